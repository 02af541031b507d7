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

enum pl_conf_kind {
	PL_CONF_STR,     /* char array of `size` bytes at `off` */
	PL_CONF_U32,     /* uint32_t at `off`, decimal, min..max */
	PL_CONF_U32_ANY, /* uint32_t at `off`, decimal or 0x-hex, min..max */
	PL_CONF_CUSTOM,  /* set() decides */
};

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

#endif
