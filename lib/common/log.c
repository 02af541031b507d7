#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pl_err.h"
#include "pl_log.h"

static const char *log_prog = "pitlane";
static enum pl_log_level log_max = PL_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void pl_log_init(const char *prog, enum pl_log_level max_level)
{
	log_prog = prog;
	log_max = max_level;
}

static void put_value(FILE *f, const char *v)
{
	if (v == NULL)
		v = "";
	if (v[0] != '\0' && strpbrk(v, " \t\"=\\\n") == NULL) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
	fputc('"', f);
}

static void vlog(enum pl_log_level level, const char *event, int err, va_list ap)
{
	if (level > log_max)
		return;
	FILE *f = stderr;
	flockfile(f);
	fprintf(f, "level=%s prog=%s event=", level_names[level], log_prog);
	put_value(f, event);
	if (err != 0) {
		fputs(" err=", f);
		put_value(f, pl_errname(err));
	}
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (k == NULL)
			break;
		const char *v = va_arg(ap, const char *);
		fprintf(f, " %s=", k);
		put_value(f, v);
	}
	if (err != 0) {
		fputs(" msg=", f);
		put_value(f, pl_strerror(err));
	}
	fputc('\n', f);
	funlockfile(f);
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
