/*
 * The policy loader's internals: the strict YAML reader (ydoc.c), the
 * table-driven field walker (fields.c) and the sections' tables and checks
 * (load.c, load_sections.c, load_ext.c). Every error is
 * reported with file:line:col and the loader carries on where it can, so one
 * run lists every problem.
 */
#ifndef PITLANE_BROKER_POLICY_LOAD_H
#define PITLANE_BROKER_POLICY_LOAD_H

#include <libfyaml.h>
#include <stdarg.h>
#include <stddef.h>

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

/* Typed scalars: 0 on success, -1 after reporting the error. */
int ld_str(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, int kind,
           char *buf, size_t cap);
int ld_u32(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, uint32_t min,
           uint32_t max, uint32_t *out);
int ld_bool(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, int *out);
int ld_enum(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
            const char *const *names, size_t count, int *out);
int ld_is_seq(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what);
/* A mapping; empty flow mappings {} are fine. */
int ld_is_map(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what);
/* "a, b, c": the n names at first, stride bytes apart (a struct's first member). */
void ld_words(char *buf, size_t cap, const void *first, size_t stride, size_t n);
/* A scalar's text (NUL-free), or NULL after reporting "what: expected <expect>, got ...". */
const char *ld_scalar(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
                      const char *expect, size_t *len);

/*
 * The table-driven mapping reader (fields.c): one table of fields per kind of
 * mapping, one walker for all of them. ld_walk() refuses unknown, duplicate
 * and missing keys, then reads each present value in table order through its
 * type into obj + off, reporting every error at the offending node. Checks
 * between fields, entries and sections are small functions called after it.
 */
enum ld_ftype {
	LD_F_STR,    /* char[size] at off, of ld_kind `kind` */
	LD_F_U32,    /* uint32_t (or uint16_t, by size) at off, min..max */
	LD_F_BOOL,   /* int at off: true or false */
	LD_F_ENUM,   /* int at off: the index of the word in words[nwords] */
	LD_F_OPS,    /* uint64_t at off: a list of operation names (bit set) */
	LD_F_ROLES,  /* uint64_t at off: a list of role names (bit set) */
	LD_F_MAP,    /* a nested mapping, read by the table `sub` into the same obj */
	LD_F_FN,     /* fn() reads the value */
	LD_F_CALLER, /* only the key is checked here; the caller reads the value */
};

#define LD_REQ 1u  /* the key must be given */
#define LD_STOP 2u /* when this field is missing or wrong, the rest of the mapping is skipped */
#define LD_NAME 4u /* this string names the entry: later fields say "<prefix>.<name>.<key>" */

struct ld_field;
/*
 * A field reader: LD_F_FN reads the value val of key into obj (what names it
 * in messages); for other types it checks the value once stored. Returns 0,
 * or -1 after reporting.
 */
#define LD_FIELD_FN(name)                                                                          \
	int name(struct ld *ld, const struct ld_field *f, void *obj, struct fy_node *val,          \
	         struct fy_node *key, const char *what)
typedef LD_FIELD_FN((*ld_field_fn));

struct ld_field {
	const char *name;
	enum ld_ftype type;
	unsigned flags;
	size_t off, size;
	uint32_t min, max;
	int kind; /* LD_F_STR */
	const char *const *words;
	size_t nwords;
	const struct ld_map *sub;
	int arg; /* for fn */
	ld_field_fn fn;
};

struct ld_map {
	const struct ld_field *f;
	size_t n;
	int strict; /* the first error of any kind ends the walk */
};

#define LD_MAX_FIELDS 16u
#define LD_WHAT_MAX 256u
#define LD_TABLE(a)                                                                                \
	{                                                                                          \
		a, sizeof(a) / sizeof(a[0]), 0                                                     \
	}

/* Field definitions; T is the struct the table reads into, m its member. */
#define LDF_STR(n, T, m, k, fl)                                                                    \
	{                                                                                          \
		.name = n, .type = LD_F_STR, .flags = fl, .off = offsetof(T, m),                   \
		.size = sizeof(((T *)0)->m), .kind = k                                             \
	}
#define LDF_U32(n, T, m, lo, hi, fl, check)                                                        \
	{                                                                                          \
		.name = n, .type = LD_F_U32, .flags = fl, .off = offsetof(T, m),                   \
		.size = sizeof(((T *)0)->m), .min = lo, .max = hi, .fn = check                     \
	}
#define LDF_BOOL(n, T, m)                                                                          \
	{                                                                                          \
		.name = n, .type = LD_F_BOOL, .off = offsetof(T, m)                                \
	}
#define LDF_ENUM(n, T, m, w, nw, fl)                                                               \
	{                                                                                          \
		.name = n, .type = LD_F_ENUM, .flags = fl, .off = offsetof(T, m), .words = w,      \
		.nwords = nw                                                                       \
	}
#define LDF_SET(n, type_, T, m, fl, check)                                                         \
	{                                                                                          \
		.name = n, .type = type_, .flags = fl, .off = offsetof(T, m), .fn = check          \
	}
#define LDF_NAME(n, T, m, k, check)                                                                \
	{                                                                                          \
		.name = n, .type = LD_F_STR, .flags = LD_REQ | LD_STOP | LD_NAME,                  \
		.off = offsetof(T, m), .size = sizeof(((T *)0)->m), .kind = k, .fn = check         \
	}
#define LDF_MAP(n, s, fl)                                                                          \
	{                                                                                          \
		.name = n, .type = LD_F_MAP, .flags = fl, .sub = s                                 \
	}
#define LDF_FN(n, f, fl)                                                                           \
	{                                                                                          \
		.name = n, .type = LD_F_FN, .flags = fl, .fn = f                                   \
	}
#define LDF_CALLER(n, fl)                                                                          \
	{                                                                                          \
		.name = n, .type = LD_F_CALLER, .flags = fl                                        \
	}

/* Per field of a table: its key and value (NULL when absent); ok once read without error. */
struct ld_got {
	struct fy_node *key, *val;
	int ok;
};

/* Only the keys of map: unknown, duplicate, missing (got as for ld_walk). 0 when all fine. */
int ld_keys(struct ld *ld, const struct ld_map *m, struct fy_node *map, struct fy_node *mapkey,
            const char *what, struct ld_got *got);
/*
 * Walks map (the value of mapkey) with table m into obj. Messages about the
 * mapping itself say `what`; those about a field "<prefix>.<key>" (prefix
 * NULL: what). got (m->n entries, may be NULL) tells the caller what was
 * there. Returns 0 when nothing was wrong, -1 otherwise.
 */
int ld_walk(struct ld *ld, const struct ld_map *m, struct fy_node *map, struct fy_node *mapkey,
            const char *what, const char *prefix, void *obj, struct ld_got *got);

/*
 * Reads list n of strings of kind (each at most POL_ID_MAX - 1 characters,
 * checked by ok when not NULL, duplicates refused) onto the array *arr of
 * *count elements of elem bytes (capacity *cap); at most max (0: no limit).
 * Returns -1 when n is not a list or the reading had to stop, else 0.
 */
typedef int (*ld_str_ok_fn)(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what,
                            const char *s);
int ld_str_list(struct ld *ld, struct fy_node *n, struct fy_node *key, const char *what, int kind,
                ld_str_ok_fn ok, size_t max, void *arr, size_t elem, size_t *count, size_t *cap);

/* Reports running out of memory (at the current file). */
void ld_oom(struct ld *ld);
/*
 * The new (zeroed) element n of the array *arrp (capacity *cap, elements of
 * elem bytes), grown as needed; NULL after reporting. The caller counts it.
 */
char *ld_slot(struct ld *ld, void *arrp, size_t n, size_t *cap, size_t elem);

/* Grows arr (of *cap elements of size elem) to hold at least n + 1; NULL when out of memory. */
void *ld_grow(void *arr, size_t *cap, size_t n, size_t elem);

/*
 * The sections: the fields of the top-level table (load.c), each called with
 * the section's value and key in every file, one section after the other in
 * dependency order.
 */
LD_FIELD_FN(ld_sec_version);
LD_FIELD_FN(ld_sec_settings);
LD_FIELD_FN(ld_sec_operations);
LD_FIELD_FN(ld_sec_roles);
LD_FIELD_FN(ld_sec_workshops);
LD_FIELD_FN(ld_sec_technicians);
LD_FIELD_FN(ld_sec_limits);
LD_FIELD_FN(ld_sec_approvals);
LD_FIELD_FN(ld_sec_anomalies);
LD_FIELD_FN(ld_sec_decoys);
LD_FIELD_FN(ld_sec_tests);

/* Dump (dump.c); the loader hashes it. */
int pol_dump_text(const struct policy *p, char **text, size_t *len);

#endif
