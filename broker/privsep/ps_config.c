/*
 * The privsep keys of broker.conf. broker_config_parse() (broker/server)
 * knows the daemon's keys; the privsep keys are taken out first and their
 * lines turned into comments, so its line numbers stay right.
 *
 *   user NAME    the unprivileged user the processes switch to when pitlaned
 *                is started as root [pitlane]
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_file.h"
#include "privsep.h"

#define PS_DEFAULT_USER "pitlane"

/* A POSIX-portable user name: [a-z_][a-z0-9_-]*, at most 31 characters. */
static int user_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 31 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* Handles one line (NUL-terminated in place); 1 if it was a privsep key. */
static int take_line(const char *name, unsigned lineno, char *line, struct ps_config *pc,
		     int *err_code, char *err, size_t errlen)
{
	char *p = line, *v, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "user", 4) != 0 || (p[4] != ' ' && p[4] != '\t'))
		return 0;
	v = p + 4;
	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	if (pc->user_set) {
		snprintf(err, errlen, "%s:%u: key 'user' given twice; keep one", name, lineno);
		*err_code = PL_E_SRV_CONFIG_DUP;
	} else if (!user_name_ok(v, (size_t)(end - v))) {
		snprintf(err, errlen, "%s:%u: user must be a user name ([a-z_][a-z0-9_-]*, at "
			 "most 31 characters), got '%.*s'", name, lineno, (int)(end - v), v);
		*err_code = PL_E_SRV_CONFIG_VALUE;
	} else {
		memcpy(pc->user, v, (size_t)(end - v));
		pc->user[end - v] = '\0';
		pc->user_set = 1;
	}
	*p = '#';
	return 1;
}

int ps_config_extract(const char *name, char *text, struct ps_config *pc, char *err,
		      size_t errlen)
{
	struct ps_config tmp;
	unsigned lineno = 0;
	int r = 0;

	memset(&tmp, 0, sizeof(tmp));
	snprintf(tmp.user, sizeof(tmp.user), "%s", PS_DEFAULT_USER);
	for (char *line = text; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n');

		lineno++;
		if (nl != NULL)
			*nl = '\0';
		take_line(name, lineno, line, &tmp, &r, err, errlen);
		if (nl != NULL)
			*nl = '\n';
		if (r != 0)
			return r;
		line = nl != NULL ? nl + 1 : NULL;
	}
	*pc = tmp;
	return 0;
}

void ps_config_print(const struct ps_config *pc, FILE *f)
{
	fprintf(f, "user %s\n", pc->user);
}

#define PS_CONFIG_FILE_MAX (1024 * 1024)

int ps_config_load(const char *path, struct broker_config *c, struct ps_config *pc, char *err,
		   size_t errlen)
{
	struct ps_config p;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = pl_read_file(path, PS_CONFIG_FILE_MAX, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: cannot read config: %s", path, pl_strerror(r));
		return r;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: config contains a NUL byte", path);
		r = PL_E_SRV_CONFIG_SYNTAX;
		goto out;
	}
	if ((r = ps_config_extract(path, (char *)buf, &p, err, errlen)) != 0 ||
	    (r = broker_config_parse(path, (const char *)buf, c, err, errlen)) != 0)
		goto out;
	*pc = p;
out:
	free(buf);
	return r;
}
