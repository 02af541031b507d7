#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_log.h"

static const char *log_prog = "pitlane";
static enum pl_log_level log_max = PL_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

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

static void vlog(enum pl_log_level level, const char *event, int err, va_list ap)
{
	struct line l = { .len = 0 };

	if (level > log_max)
		return;
	put_str(&l, "level=");
	put_str(&l, level_names[level]);
	put_str(&l, " prog=");
	put_str(&l, log_prog);
	put_str(&l, " event=");
	put_value(&l, event);
	if (err != 0) {
		put_str(&l, " err=");
		put_value(&l, pl_errname(err));
	}
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (k == NULL)
			break;
		const char *v = va_arg(ap, const char *);
		put_char(&l, ' ');
		put_str(&l, k);
		put_char(&l, '=');
		put_value(&l, v);
	}
	if (err != 0) {
		put_str(&l, " msg=");
		put_value(&l, pl_strerror(err));
	}
	l.buf[l.len++] = '\n';
	fflush(stderr); /* anything a program printed with stdio goes first */
	write_all(STDERR_FILENO, l.buf, l.len);
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
