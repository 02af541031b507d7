/*
 * "key value" configuration files (broker.conf, agent.conf): one reader.
 *
 * One setting per line, '#' starts a comment line, blank lines are ignored,
 * the value is the rest of the line without surrounding blanks. Unknown keys,
 * keys given twice, keys without a value, control characters, values that do
 * not parse and missing required keys are errors reported as "FILE:LINE: ...".
 * The caller's table says where each value goes (offset into its struct).
 */
#ifndef PITLANE_COMMON_CONF_H
#define PITLANE_COMMON_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum pl_conf_kind {
	PL_CONF_STR,     /* char array of `size` bytes at `off` */
	PL_CONF_U32,     /* uint32_t at `off`, decimal, min..max */
	PL_CONF_U32_ANY, /* uint32_t at `off`, decimal or 0x-hex, min..max */
	PL_CONF_CUSTOM,  /* set() decides */
};

/* Table rows for a char array / uint32_t field f of struct type T. */
#define PL_CONF_STR_KEY(T, f, req, h)                                                              \
	{                                                                                          \
#f, PL_CONF_STR, offsetof(T, f), sizeof(((T *)0)->f), 0, 0, req, h, NULL           \
	}
#define PL_CONF_U32_KEY(T, f, lo, hi, h)                                                           \
	{                                                                                          \
#f, PL_CONF_U32, offsetof(T, f), sizeof(uint32_t), lo, hi, 0, h, NULL              \
	}

struct pl_conf_key {
	const char *name;
	enum pl_conf_kind kind;
	size_t off;
	size_t size;
	uint32_t min, max;
	int required;
	const char *help;
	/* PL_CONF_CUSTOM: stores value into cfg; 0, or an error code with msg filled. */
	int (*set)(void *cfg, const char *value, char *msg, size_t msglen);
};

/* The caller's error codes for each kind of mistake (its own area's table). */
struct pl_conf_codes {
	int syntax;  /* no value, control character */
	int unknown; /* unknown key */
	int dup;     /* key given twice */
	int value;   /* value does not parse / too long */
	int missing; /* required key absent */
};

struct pl_conf_spec {
	const struct pl_conf_key *keys;
	size_t nkeys;
	const struct pl_conf_codes *codes;
	const char *docs; /* where the keys are documented, e.g. "docs/broker.md" */
};

/*
 * Parses text (len bytes, NUL bytes refused) into cfg, which the caller filled
 * with defaults. name is used in messages. On error cfg may be partly written:
 * parse into a scratch copy.
 */
int pl_conf_parse(const struct pl_conf_spec *spec, const char *name, const char *text, size_t len,
                  void *cfg, char *err, size_t errlen);

/* Largest numeric host text, with its NUL, that pl_conf_parse_addr() accepts. */
#define PL_CONF_ADDR_MAX 64

/*
 * "1.2.3.4:port" or "[v6]:port" (numeric hosts only) into host (cap bytes) and
 * port; 0, or -1 with host and port untouched.
 */
int pl_conf_parse_addr(const char *s, char *host, size_t cap, uint16_t *port);

/* 1 for a POSIX-portable user name: [a-z_][a-z0-9_-]*, at most 31 characters. */
int pl_conf_user_name_ok(const char *s);

/*
 * 1 for a dotted-decimal OID (first arc 0..2, at least two arcs) that is not a
 * TLS purpose a device certificate carries (serverAuth, clientAuth, anyEKU).
 */
int pl_conf_role_oid_ok(const char *s);

/* `none` (sets *none, empties dst) or a path of less than cap bytes; 0 or -1. */
int pl_conf_set_path_or_none(const char *v, char *dst, size_t cap, int *none);

/* "key host:port", or "key [host]:port" for an IPv6 host. */
void pl_conf_print_addr(FILE *f, const char *key, const char *host, uint16_t port);

/* Prints a table key of cfg back as "key value" (a STR only when set); not CUSTOM keys. */
void pl_conf_print_field(const struct pl_conf_key *k, const void *cfg, FILE *f);

#endif
