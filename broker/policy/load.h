/*
 * The policy loader's internals: the strict YAML reader (ydoc.c) and the
 * section parsers (load.c, load_sections.c, load_ext.c). Every error is
 * reported with file:line:col and the loader carries on where it can, so one
 * run lists every problem.
 */
#ifndef PITLANE_BROKER_POLICY_LOAD_H
#define PITLANE_BROKER_POLICY_LOAD_H

#include <libfyaml.h>
#include <stdarg.h>

#include "policy_int.h"

#define POL_FILE_MAX (4u * 1024u * 1024u)
#define POL_MAX_FILES 256u
#define POL_MAX_WORKSHOPS 10000u
#define POL_MAX_TECHS 100000u
#define POL_MAX_LIST 10000u /* limits, approvals, anomalies, decoys, tests */
#define POL_MAX_DEPTH 32u

/* Name → position index (lidx.c); key_of returns the name of entry i. */
struct ld_idx {
	size_t *slot; /* position + 1; 0 = empty */
	size_t cap, n;
	const char *(*key_of)(const struct policy *p, size_t i);
};

int ld_idx_find(const struct ld_idx *x, const struct policy *p, const char *name, size_t *pos);
int ld_idx_add(struct ld_idx *x, const struct policy *p, size_t at);
void ld_idx_free(struct ld_idx *x);

struct ld {
	const struct policy_load_opts *opts;
	struct policy_diag *first;
	int first_err;
	unsigned nerrors;
	struct policy *p;
	struct fy_document **docs; /* one per file (NULL when it did not parse or is empty) */
	uint32_t cur;              /* file being processed */
	int have_version, have_settings;
	struct pol_loc version_loc, settings_loc;
	size_t cap_ws, cap_techs, cap_limits, cap_appr, cap_anom, cap_decoys, cap_tests, cap_tzs;
	struct ld_idx ws_idx, tech_idx; /* by id */
};

/* Scalar kinds for ld_str(). */
enum ld_kind {
	LD_ID,   /* [A-Za-z0-9][A-Za-z0-9._-]* */
	LD_TEXT, /* printable ASCII, no leading/trailing blank */
};

/* Reports an error at a position (line/col 1-based; 0 when unknown). */
void ld_err_at(struct ld *ld, int err, uint32_t file, unsigned line, unsigned col, const char *fmt,
	       ...) __attribute__((format(printf, 6, 7)));
/* Reports an error at node n (or, when n has no position, at fallback). */
void ld_err(struct ld *ld, int err, struct fy_node *n, struct fy_node *fallback, const char *fmt,
	    ...) __attribute__((format(printf, 5, 6)));
/* The position of node n in the current file (line/col 0 when unknown). */
struct pol_loc ld_loc(struct ld *ld, struct fy_node *n, struct fy_node *fallback);
/* "file:line:col" of a stored location. */
void ld_loc_str(const struct ld *ld, const struct pol_loc *loc, char *buf, size_t cap);

/* Reads and parses one file (already in memory) into ld->docs[ld->cur]. */
int ld_parse_doc(struct ld *ld, const char *buf, size_t len);

/*
 * Mapping schema check: every key of map must be one of names[]; the value
 * of each known key is stored in vals[i] (its key node in keys[i]); required
 * keys (bit i of required) that are missing are errors. Returns 0 when the
 * map had no error.
 */
int ld_fields(struct ld *ld, struct fy_node *map, struct fy_node *mapkey, const char *what,
	      const char *const *names, size_t n, uint32_t required, struct fy_node **keys,
	      struct fy_node **vals);

/* Typed scalars: 0 on success, -1 after reporting the error. */
int ld_str(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, int kind,
	   char *buf, size_t cap);
int ld_u32(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, uint32_t min,
	   uint32_t max, uint32_t *out);
int ld_bool(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, int *out);
int ld_enum(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
	    const char *const *names, size_t count, int *out);
/* A sequence (or, where one_ok, a single scalar meaning a one-item list). */
int ld_is_seq(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what);
/* A mapping; empty flow mappings {} are fine. */
int ld_is_map(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what);
/* Key text of a mapping pair (after checking it is a string scalar). */
int ld_key(struct ld *ld, struct fy_node *key, const char *what, int kind, char *buf, size_t cap);

/* Resolves a list of operation names / role names into a bit set. */
int ld_op_set(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, uint64_t *out);
int ld_role_set(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
		uint64_t *out);

/* The value of top-level section name in the current document (NULL if absent). */
struct fy_node *ld_section(struct ld *ld, const char *name, struct fy_node **key);

/* Grows arr (of *cap elements of size elem) to hold at least n + 1; NULL when out of memory. */
void *ld_grow(void *arr, size_t *cap, size_t n, size_t elem);

/* Section parsers (called once per document, in dependency order). */
void ld_sec_version(struct ld *ld);
void ld_sec_settings(struct ld *ld);
void ld_sec_operations(struct ld *ld);
void ld_sec_roles(struct ld *ld);
void ld_sec_workshops(struct ld *ld);
void ld_sec_technicians(struct ld *ld);
void ld_sec_limits(struct ld *ld);
void ld_sec_approvals(struct ld *ld);
void ld_sec_anomalies(struct ld *ld);
void ld_sec_decoys(struct ld *ld);
void ld_sec_tests(struct ld *ld);

/* Dump (dump.c); the loader hashes it. */
int pol_dump_text(const struct policy *p, char **text, size_t *len);

#endif
