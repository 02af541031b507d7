/* The line and word walker of the co-signer's rules files (rules.h). */
#include <stdio.h>
#include <string.h>

#include "rules.h"

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Splits line[0..n) (a writable copy) into words; 0 or -1 with msg. */
static int split(char *line, struct cosign_line *l, char *msg, size_t msglen)
{
	char *p = line;

	l->nwords = 0;
	for (;;) {
		while (blank(*p))
			p++;
		if (*p == '\0' || (l->nwords == 0 && *p == '#'))
			return 0;
		if (l->nwords == COSIGN_WORDS_MAX) {
			snprintf(msg, msglen, "more than %d words on one line", COSIGN_WORDS_MAX);
			return -1;
		}
		l->word[l->nwords++] = p;
		while (*p != '\0' && !blank(*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

int cosign_words_walk(const char *name, const char *text, size_t len, int code,
                      int (*fn)(void *ctx, const struct cosign_line *l, char *msg, size_t msglen),
                      void *ctx, char *err, size_t errlen)
{
	char line[COSIGN_LINE_MAX + 1], msg[256] = "";
	struct cosign_line l = {.lineno = 0};
	size_t i = 0;
	int r;

	while (i < len) {
		size_t start = i, n;

		while (i < len && text[i] != '\n')
			i++;
		n = i - start;
		l.lineno++;
		i++; /* the newline */
		if (n > COSIGN_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", name, l.lineno,
			         COSIGN_LINE_MAX);
			return code;
		}
		for (size_t k = start; k < start + n; k++)
			if (((unsigned char)text[k] < 0x20 && !blank(text[k])) || text[k] == 0x7f) {
				snprintf(err, errlen,
				         "%s:%u: control character in line; is it a text file?",
				         name, l.lineno);
				return code;
			}
		memcpy(line, text + start, n);
		line[n] = '\0';
		if (split(line, &l, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s:%u: %s", name, l.lineno, msg);
			return code;
		}
		if (l.nwords == 0)
			continue;
		if ((r = fn(ctx, &l, msg, sizeof(msg))) != 0) {
			snprintf(err, errlen, "%s:%u: %s", name, l.lineno, msg);
			return r;
		}
	}
	return 0;
}
