#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pl_conf.h"
#include "pl_err.h"

struct cfg {
	char path[16];
	uint32_t n;
	uint32_t id;
	int custom_seen;
};

static int set_mode(void *c, const char *v, char *msg, size_t msglen)
{
	if (strcmp(v, "strict") != 0) {
		snprintf(msg, msglen, "mode must be strict");
		return -5;
	}
	((struct cfg *)c)->custom_seen = 1;
	return 0;
}

static const struct pl_conf_key keys[] = {
	{ "path", PL_CONF_STR, offsetof(struct cfg, path), 16, 0, 0, 1, "a path", NULL },
	{ "n", PL_CONF_U32, offsetof(struct cfg, n), 4, 1, 10, 0, "a count", NULL },
	{ "id", PL_CONF_U32_ANY, offsetof(struct cfg, id), 4, 0, 0x7FF, 0, "a CAN id", NULL },
	{ "mode", PL_CONF_CUSTOM, 0, 0, 0, 0, 0, "strict", set_mode },
};
static const struct pl_conf_codes codes = { -1, -2, -3, -4, -6 };
static const struct pl_conf_spec spec = { keys, 4, &codes, "docs/x.md" };

static int parse(const char *text, struct cfg *c, char *err)
{
	memset(c, 0, sizeof(*c));
	return pl_conf_parse(&spec, "x.conf", text, strlen(text), c, err, 512);
}

Test(common_conf, REQ_COM_008_parses_keys_comments_blanks_and_kinds)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(parse("# comment\n\n  path  /a/b  \nn 7\r\nid 0x7E0\nmode strict", &c, err), 0,
		     "%s", err);
	cr_assert_str_eq(c.path, "/a/b");
	cr_assert_eq(c.n, 7);
	cr_assert_eq(c.id, 0x7E0);
	cr_assert_eq(c.custom_seen, 1);
}

Test(common_conf, REQ_COM_008_each_mistake_has_its_code_and_line)
{
	struct cfg c;
	char err[512];
	cr_assert_eq(parse("path /a\ncolour blue\n", &c, err), -2);
	cr_assert_str_eq(err, "x.conf:2: unknown key 'colour' (known keys are listed in docs/x.md)");
	cr_assert_eq(parse("path /a\npath /b\n", &c, err), -3);
	cr_assert_str_eq(err, "x.conf:2: key 'path' given twice; keep one line");
	cr_assert_eq(parse("path /a\nn\n", &c, err), -1);
	cr_assert_str_eq(err, "x.conf:2: key 'n' has no value; write 'n <a count>'");
	cr_assert_eq(parse("path /a\nn 11\n", &c, err), -4);
	cr_assert_str_eq(err, "x.conf:2: n must be a whole number from 1 to 10, got '11'");
	cr_assert_eq(parse("path /a\nid 0x800\n", &c, err), -4);
	cr_assert_str_eq(err, "x.conf:2: id must be a number from 0x0 to 0x7FF (decimal or 0x-hex), "
			      "got '0x800'");
	cr_assert_eq(parse("path 0123456789abcdef\n", &c, err), -4);
	cr_assert_str_eq(err, "x.conf:1: path is longer than 15 bytes");
	cr_assert_eq(parse("path /a\nmode lax\n", &c, err), -5);
	cr_assert_str_eq(err, "x.conf:2: mode must be strict");
	cr_assert_eq(parse("n 3\n", &c, err), -6);
	cr_assert_str_eq(err, "x.conf: required key 'path' is missing; add a line 'path <a path>'");
	cr_assert_eq(parse("path /a\x01\n", &c, err), -1);
	cr_assert_str_eq(err, "x.conf:1: control character in line; is it a text file?");
}

Test(common_conf, REQ_COM_008_nul_bytes_refused)
{
	struct cfg c;
	char err[512];
	memset(&c, 0, sizeof(c));
	cr_assert_eq(pl_conf_parse(&spec, "x.conf", "path /a\0b", 9, &c, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "x.conf: contains a NUL byte; is it a text file?");
}
