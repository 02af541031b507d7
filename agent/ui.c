/* Progress lines and spinner (see ui.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ui.h"

#define DOTS_COL 50

void ui_init(struct ui *u, int quiet, int total)
{
	memset(u, 0, sizeof(*u));
	u->quiet = quiet;
	u->tty = isatty(STDOUT_FILENO);
	u->total = total;
}

static void print_head(struct ui *u)
{
	int n = (int)strlen(u->line);

	fputs(u->line, stdout);
	for (int i = n; i < DOTS_COL; i++)
		fputc('.', stdout);
	fputc(' ', stdout);
}

void ui_step(struct ui *u, int n, const char *fmt, ...)
{
	char text[120];
	va_list ap;

	if (u->quiet)
		return;
	if (u->open)
		fputs("\n", stdout);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n > 0)
		snprintf(u->line, sizeof(u->line), "  [%d/%d] %s ", n, u->total, text);
	else
		snprintf(u->line, sizeof(u->line), "        %s ", text);
	print_head(u);
	fflush(stdout);
	u->open = 1;
}

void ui_done(struct ui *u, const char *fmt, ...)
{
	va_list ap;

	if (u->quiet || !u->open)
		return;
	if (u->tty && u->spin) {
		fputs("\r", stdout);
		print_head(u);
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("\n", stdout);
	fflush(stdout);
	u->open = 0;
	u->spin = 0;
}

void ui_spin(struct ui *u)
{
	static const char wheel[] = "|/-\\";

	if (u->quiet || !u->tty || !u->open)
		return;
	fputc(wheel[u->spin++ % 4], stdout);
	fputc('\b', stdout);
	fflush(stdout);
}

void ui_say(struct ui *u, const char *fmt, ...)
{
	va_list ap;

	if (u->quiet)
		return;
	if (u->open) {
		fputs("\n", stdout);
		u->open = 0;
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("\n", stdout);
	fflush(stdout);
}
