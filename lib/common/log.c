#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_log.h"

static const char *log_prog = "pitlane";
static enum pl_log_level log_max = PL_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

/*
 * A line is assembled in a buffer and written with one write(2): several
 * processes (pitlaned's privilege-separated children) share one stderr, and
 * separate stdio calls would interleave their lines.
 */
#define LOG_LINE_MAX 2048

struct line {
	char buf[LOG_LINE_MAX];
	size_t len;
};

static void put_char(struct line *l, char c)
{
	/* Keep room for the final newline; an over-long line is cut, never overrun. */
	if (l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = c;
}

static void put_str(struct line *l, const char *s)
{
	for (; *s != '\0'; s++)
		put_char(l, *s);
}

void pl_log_init(const char *prog, enum pl_log_level max_level)
{
	log_prog = prog;
	log_max = max_level;
}

enum pl_log_level pl_log_max_level(void)
{
	return log_max;
}

static void put_value(struct line *l, const char *v)
{
	if (v == NULL)
		v = "";
	if (v[0] != '\0' && strpbrk(v, " \t\"=\\\n") == NULL) {
		put_str(l, v);
		return;
	}
	put_char(l, '"');
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			put_char(l, '\\');
		if (*v == '\n') {
			put_str(l, "\\n");
			continue;
		}
		put_char(l, *v);
	}
	put_char(l, '"');
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return; /* nowhere left to report a failing stderr */
		p += w;
		n -= (size_t)w;
	}
}

/* The line of one event, without the final newline. */
static void build_line(struct line *l, enum pl_log_level level, const char *event, int err,
                       va_list ap)
{
	put_str(l, "level=");
	put_str(l, level_names[level]);
	put_str(l, " prog=");
	put_str(l, log_prog);
	put_str(l, " event=");
	put_value(l, event);
	if (err != 0) {
		put_str(l, " err=");
		put_value(l, pl_errname(err));
	}
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (k == NULL)
			break;
		const char *v = va_arg(ap, const char *);
		put_char(l, ' ');
		put_str(l, k);
		put_char(l, '=');
		put_value(l, v);
	}
	if (err != 0) {
		put_str(l, " msg=");
		put_value(l, pl_strerror(err));
	}
}

static void emit(struct line *l)
{
	l->buf[l->len++] = '\n';
	fflush(stderr); /* anything a program printed with stdio goes first */
	write_all(STDERR_FILENO, l->buf, l->len);
}

static void vlog(enum pl_log_level level, const char *event, int err, va_list ap)
{
	struct line l = {.len = 0};

	if (level > log_max)
		return;
	build_line(&l, level, event, err, ap);
	emit(&l);
}

/*
 * Collapsing (pl_log_rl): a table of the distinct lines written lately. A
 * line seen again within a second of the last time it was written is only
 * counted; the next one after that second (or pl_log_rl_flush) writes it once
 * more with repeated=N, N counting the suppressed lines and this one. Distinct
 * lines beyond RL_LINES_PER_S a second are counted into one log_suppressed
 * line, so varying a field cannot flood the log either.
 */
#define RL_SLOTS 64
#define RL_WINDOW_MS 1000
#define RL_LINES_PER_S 50

struct rl_slot {
	uint64_t hash, window_end_ms, last_ms;
	unsigned long count; /* suppressed since the last written line */
	int used;
	struct line l;
};

static pthread_mutex_t rl_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rl_slot rl_slots[RL_SLOTS];
static uint64_t rl_budget_end_ms;
static unsigned rl_budget_used;
static unsigned long rl_over_budget;

static uint64_t rl_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static uint64_t rl_hash(const struct line *l)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < l->len; i++)
		h = (h ^ (unsigned char)l->buf[i]) * 1099511628211ull;
	return h;
}

/* Writes l with " repeated=N" appended (N > 1) or as it is. */
static void rl_write(const struct line *src, unsigned long n)
{
	struct line l = *src;
	char num[32];

	if (n > 1) {
		snprintf(num, sizeof(num), " repeated=%lu", n);
		put_str(&l, num);
	}
	emit(&l);
}

/* A new second of the budget: first the count of what the last one suppressed. */
static void rl_budget_roll(uint64_t now)
{
	if (now >= rl_budget_end_ms) {
		if (rl_over_budget > 0) {
			char num[32];

			snprintf(num, sizeof(num), "%lu", rl_over_budget);
			pl_log(PL_LOG_WARN, "log_suppressed", "lines", num, "reason",
			       "more than 50 distinct repeated events in a second", NULL);
			rl_over_budget = 0;
		}
		rl_budget_end_ms = now + RL_WINDOW_MS;
		rl_budget_used = 0;
	}
}

/* The budget of distinct lines: 1 when one more may be written now. */
static int rl_budget(uint64_t now)
{
	rl_budget_roll(now);
	if (rl_budget_used >= RL_LINES_PER_S) {
		rl_over_budget++;
		return 0;
	}
	rl_budget_used++;
	return 1;
}

static struct rl_slot *rl_find(const struct line *l, uint64_t h, struct rl_slot **victim)
{
	struct rl_slot *old = &rl_slots[0];

	for (size_t i = 0; i < RL_SLOTS; i++) {
		struct rl_slot *s = &rl_slots[i];

		if (s->used && s->hash == h && s->l.len == l->len &&
		    memcmp(s->l.buf, l->buf, l->len) == 0)
			return s;
		if (!s->used || (old->used && s->last_ms < old->last_ms))
			old = s;
	}
	*victim = old;
	return NULL;
}

static void rl_log(const struct line *l)
{
	uint64_t now = rl_now_ms(), h = rl_hash(l);
	struct rl_slot *s, *victim = NULL;

	pthread_mutex_lock(&rl_mu);
	if ((s = rl_find(l, h, &victim)) != NULL) {
		s->last_ms = now;
		if (now < s->window_end_ms) {
			s->count++;
		} else {
			rl_write(l, s->count + 1);
			s->count = 0;
			s->window_end_ms = now + RL_WINDOW_MS;
		}
		pthread_mutex_unlock(&rl_mu);
		return;
	}
	if (!rl_budget(now)) {
		pthread_mutex_unlock(&rl_mu);
		return;
	}
	if (victim->used && victim->count > 0)
		rl_write(&victim->l, victim->count);
	victim->used = 1;
	victim->hash = h;
	victim->count = 0;
	victim->last_ms = now;
	victim->window_end_ms = now + RL_WINDOW_MS;
	victim->l = *l;
	rl_write(l, 1);
	pthread_mutex_unlock(&rl_mu);
}

void pl_log_rl(enum pl_log_level level, const char *event, ...)
{
	struct line l = {.len = 0};
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, event);
	build_line(&l, level, event, 0, ap);
	va_end(ap);
	rl_log(&l);
}

void pl_log_rl_flush(void)
{
	uint64_t now = rl_now_ms();

	pthread_mutex_lock(&rl_mu);
	for (size_t i = 0; i < RL_SLOTS; i++) {
		struct rl_slot *s = &rl_slots[i];

		if (!s->used || now < s->window_end_ms)
			continue;
		if (s->count > 0)
			rl_write(&s->l, s->count);
		s->used = 0;
	}
	rl_budget_roll(now);
	pthread_mutex_unlock(&rl_mu);
}

void pl_log(enum pl_log_level level, const char *event, ...)
{
	va_list ap;
	va_start(ap, event);
	vlog(level, event, 0, ap);
	va_end(ap);
}

void pl_log_err(const char *event, int err, ...)
{
	va_list ap;
	va_start(ap, err);
	vlog(PL_LOG_ERROR, event, err, ap);
	va_end(ap);
}
