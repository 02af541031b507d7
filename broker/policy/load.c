/*
 * Loading a policy directory: read the files (sorted by name), parse each
 * strictly (ydoc.c), then run the section parsers over all files in
 * dependency order so that a file may refer to names another file defines.
 * The result is a fresh immutable struct policy; nothing is shared with a
 * policy already in force, so a failed load changes nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load.h"
#include "pl_err.h"
#include "pl_err_policy.h"
#include "pl_file.h"

/* The sections of a policy file, in the order they are read (a section may name what the ones
 * before it define, in any file). */
static const struct ld_field top_fields[] = {
    LDF_FN("version", ld_sec_version, 0),       LDF_FN("settings", ld_sec_settings, 0),
    LDF_FN("operations", ld_sec_operations, 0), LDF_FN("roles", ld_sec_roles, 0),
    LDF_FN("workshops", ld_sec_workshops, 0),   LDF_FN("technicians", ld_sec_technicians, 0),
    LDF_FN("limits", ld_sec_limits, 0),         LDF_FN("approvals", ld_sec_approvals, 0),
    LDF_FN("anomalies", ld_sec_anomalies, 0),   LDF_FN("decoy_vins", ld_sec_decoys, 0),
    LDF_FN("tests", ld_sec_tests, 0),
};
static const struct ld_map top_map = LD_TABLE(top_fields);
#define NSECTIONS (sizeof(top_fields) / sizeof(top_fields[0]))

void pol_free(struct policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	for (size_t i = 0; i < p->nworkshops; i++) {
		free(p->workshops[i].devices);
		free(p->workshops[i].prefixes);
	}
	free(p->workshops);
	free(p->techs);
	free(p->tech_by_cn);
	free(p->ws_by_ou);
	free(p->limits);
	free(p->approvals);
	free(p->anomalies);
	free(p->decoys);
	free(p->tests);
	for (size_t i = 0; i < p->ntzs; i++)
		pol_tz_free(p->tzs[i]);
	free(p->tzs);
	free(p);
}

static int add_file(struct policy *p, const char *name)
{
	char **nf = realloc(p->files, (p->nfiles + 1) * sizeof(*nf));

	if (nf == NULL)
		return PL_E_NOMEM;
	p->files = nf;
	p->files[p->nfiles] = strdup(name);
	if (p->files[p->nfiles] == NULL)
		return PL_E_NOMEM;
	p->nfiles++;
	return 0;
}

/* Entries of one kind (workshops, technicians) and where their certificate name is. */
struct by_cert {
	const char *arr;
	size_t elem, cert_off, loc_off;
	const char *section, *field, *noun;
};

static int cmp_cert(const void *a, const void *b, void *ctx)
{
	const struct by_cert *c = ctx;

	return strcmp(c->arr + *(const size_t *)a * c->elem + c->cert_off,
	              c->arr + *(const size_t *)b * c->elem + c->cert_off);
}

/* Indices of n entries sorted by certificate name (the id is the first member); equal names
 * are errors, reported at the later entry. */
static size_t *sort_by_cert(struct ld *ld, const struct by_cert *c, size_t n)
{
	size_t *order = calloc(n ? n : 1, sizeof(size_t));
	char where[300];

	if (order == NULL) {
		ld_err_at(ld, PL_E_NOMEM, 0, 0, 0, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(size_t), cmp_cert, (void *)c);
	for (size_t i = 1; i < n; i++) {
		const char *a = c->arr + order[i - 1] * c->elem, *b = c->arr + order[i] * c->elem;
		struct pol_loc la, lb;

		if (strcmp(a + c->cert_off, b + c->cert_off) != 0)
			continue;
		memcpy(&la, a + c->loc_off, sizeof(la));
		memcpy(&lb, b + c->loc_off, sizeof(lb));
		if (lb.line < la.line && lb.file == la.file) {
			const char *t = a;
			struct pol_loc tl = la;

			a = b, la = lb;
			b = t, lb = tl;
		}
		ld_loc_str(ld, &la, where, sizeof(where));
		ld_err_at(ld, PL_E_POLICY_DUP, lb.file, lb.line, lb.col,
		          "%s.%s: certificate %s '%s' is already used by %s '%s' (%s)", c->section,
		          b, c->field, b + c->cert_off, c->noun, a, where);
	}
	return order;
}

/* Sorted indices for the lookups by certificate fields; duplicates are errors. */
static void build_indices(struct ld *ld)
{
	struct policy *p = ld->p;
	const struct by_cert techs = {
	    (const char *)p->techs,
	    sizeof(*p->techs),
	    offsetof(struct pol_tech, cn),
	    offsetof(struct pol_tech, loc),
	    "technicians",
	    "CN",
	    "technician",
	};
	const struct by_cert workshops = {
	    (const char *)p->workshops,
	    sizeof(*p->workshops),
	    offsetof(struct pol_workshop, ou),
	    offsetof(struct pol_workshop, loc),
	    "workshops",
	    "OU",
	    "workshop",
	};

	if ((p->tech_by_cn = sort_by_cert(ld, &techs, p->ntechs)) != NULL)
		p->ws_by_ou = sort_by_cert(ld, &workshops, p->nworkshops);
}

static int cmp_vin(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The keys of every file first, then each section over all files. */
static void run_sections(struct ld *ld)
{
	struct ld_got(*got)[NSECTIONS] = calloc(ld->p->nfiles, sizeof(*got));

	if (got == NULL) {
		ld_oom(ld);
		return;
	}
	for (ld->cur = 0; ld->cur < ld->p->nfiles; ld->cur++) {
		struct fy_node *root =
		    ld->docs[ld->cur] ? fy_document_root(ld->docs[ld->cur]) : NULL;

		if (root != NULL)
			ld_keys(ld, &top_map, root, NULL, "policy file", got[ld->cur]);
	}
	for (size_t s = 0; s < NSECTIONS; s++)
		for (ld->cur = 0; ld->cur < ld->p->nfiles; ld->cur++)
			if (got[ld->cur][s].key != NULL)
				top_fields[s].fn(ld, &top_fields[s], ld->p, got[ld->cur][s].val,
				                 got[ld->cur][s].key, top_fields[s].name);
	free(got);
}

static int finish(struct ld *ld, const char *where)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!ld->have_version && ld->nerrors == 0)
		ld_err_at(ld, PL_E_POLICY_SCHEMA, 0, 0, 0,
		          "no file of %s declares 'version:' (an integer, e.g. version: 1)", where);
	if (ld->nerrors != 0)
		return ld->first_err;
	build_indices(ld);
	if (ld->nerrors != 0)
		return ld->first_err;
	/* Sorted for the per-request lookup (and so the dump lists them in one order). */
	if (ld->p->ndecoys > 1)
		qsort(ld->p->decoys, ld->p->ndecoys, sizeof(ld->p->decoys[0]), cmp_vin);
	r = pol_dump_text(ld->p, &text, &len);
	if (r != 0) {
		ld_err_at(ld, r, 0, 0, 0, "cannot normalise the policy: %s", pl_strerror(r));
		return r;
	}
	SHA256((const unsigned char *)text, len, ld->p->digest);
	free(text);
	return 0;
}

static const char *ws_key(const struct policy *p, size_t i)
{
	return p->workshops[i].id;
}

static const char *tech_key(const struct policy *p, size_t i)
{
	return p->techs[i].id;
}

static void ld_init(struct ld *ld, const struct policy_load_opts *opts, struct policy_diag *diag)
{
	memset(ld, 0, sizeof(*ld));
	ld->ws_idx.key_of = ws_key;
	ld->tech_idx.key_of = tech_key;
	ld->opts = opts;
	ld->first = diag;
	if (diag != NULL)
		memset(diag, 0, sizeof(*diag));
}

static struct policy *pol_new(void)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	atomic_init(&p->refs, 1);
	p->hours_min_risk = POLICY_RISK_HIGH;
	return p;
}

static void ld_cleanup(struct ld *ld)
{
	/* The documents were destroyed by the caller (they point into its buffers). */
	free(ld->docs);
	ld_idx_free(&ld->ws_idx);
	ld_idx_free(&ld->tech_idx);
	pol_free(ld->p);
}

int policy_load_buffer(const char *name, const void *buf, size_t len,
                       const struct policy_load_opts *opts, struct policy **out,
                       struct policy_diag *diag)
{
	struct ld ld;
	int r;

	ld_init(&ld, opts, diag);
	if (name == NULL || (buf == NULL && len > 0) || out == NULL)
		return PL_E_INVAL;
	ld.p = pol_new();
	ld.docs = calloc(1, sizeof(*ld.docs));
	if (ld.p == NULL || ld.docs == NULL || add_file(ld.p, name) != 0) {
		r = PL_E_NOMEM;
		goto out;
	}
	if (len > POL_FILE_MAX) {
		ld_err_at(&ld, PL_E_POLICY_LIMIT, 0, 0, 0, "file larger than %u bytes",
		          POL_FILE_MAX);
		r = ld.first_err;
		goto out;
	}
	ld.cur = 0;
	{
		/* libfyaml wants its own stable copy; the caller's buffer may be unterminated. */
		char *copy = malloc(len + 1);

		if (copy == NULL) {
			r = PL_E_NOMEM;
			goto out;
		}
		if (len > 0)
			memcpy(copy, buf, len);
		copy[len] = '\0';
		ld_parse_doc(&ld, copy, len);
		run_sections(&ld);
		r = finish(&ld, name);
		/* The documents point into copy: destroy them before freeing it. */
		for (size_t i = 0; i < ld.p->nfiles; i++) {
			fy_document_destroy(ld.docs[i]);
			ld.docs[i] = NULL;
		}
		free(copy);
	}
	if (r != 0)
		goto out;
	*out = ld.p;
	ld.p = NULL;
out:
	ld_cleanup(&ld);
	return r;
}

int policy_file_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (n[0] == '.')
		return 0;
	return (len > 5 && strcmp(n + len - 5, ".yaml") == 0) ||
	       (len > 4 && strcmp(n + len - 4, ".yml") == 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of the policy files in dir. */
static int list_dir(struct ld *ld, const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0;
	int r = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL) {
		r = errno == ENOENT ? PL_E_NOENT : errno == EACCES ? PL_E_PERM : PL_E_IO;
		ld_err_at(ld, r, 0, 0, 0, "%s: cannot open policy directory: %s", dir,
		          strerror(errno));
		return r;
	}
	while ((e = readdir(d)) != NULL) {
		char **nv;

		if (!policy_file_name_ok(e->d_name))
			continue;
		if (cnt >= POL_MAX_FILES) {
			ld_err_at(ld, PL_E_POLICY_LIMIT, 0, 0, 0, "%s: more than %u policy files",
			          dir, POL_MAX_FILES);
			r = PL_E_POLICY_LIMIT;
			break;
		}
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (nv == NULL) {
			r = PL_E_NOMEM;
			break;
		}
		v = nv;
		v[cnt] = strdup(e->d_name);
		if (v[cnt] == NULL) {
			r = PL_E_NOMEM;
			break;
		}
		cnt++;
	}
	closedir(d);
	if (r != 0) {
		for (size_t i = 0; i < cnt; i++)
			free(v[i]);
		free(v);
		return r;
	}
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	return 0;
}

int policy_load_dir_opts(const char *dir, const struct policy_load_opts *opts, struct policy **out,
                         struct policy_diag *diag)
{
	struct ld ld;
	char **names = NULL;
	char **bufs = NULL;
	size_t n = 0;
	int r;

	ld_init(&ld, opts, diag);
	if (dir == NULL || out == NULL)
		return PL_E_INVAL;
	ld.p = pol_new();
	if (ld.p == NULL)
		return PL_E_NOMEM;
	/* Errors about the directory itself are reported under its name. */
	if ((r = add_file(ld.p, dir)) != 0)
		goto out;
	r = list_dir(&ld, dir, &names, &n);
	if (r != 0)
		goto out;
	if (n == 0) {
		ld_err_at(&ld, PL_E_POLICY_EMPTY, 0, 0, 0,
		          "%s: no policy files (*.yaml or *.yml) in the directory", dir);
		r = ld.first_err;
		goto out;
	}
	/* Index 0 stays the directory; files are 1..n. */
	ld.docs = calloc(n + 1, sizeof(*ld.docs));
	bufs = calloc(n + 1, sizeof(*bufs));
	if (ld.docs == NULL || bufs == NULL) {
		r = PL_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		uint8_t *buf = NULL;
		size_t len = 0;
		int e;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((r = add_file(ld.p, path)) != 0)
			goto out;
		ld.cur = (uint32_t)(i + 1);
		e = pl_read_file(path, POL_FILE_MAX, &buf, &len);
		if (e != 0) {
			ld_err_at(&ld, e == PL_E_TOOBIG ? PL_E_POLICY_LIMIT : e, ld.cur, 0, 0,
			          "cannot read: %s%s", pl_strerror(e),
			          e == PL_E_TOOBIG ? " (policy files are limited to 4 MiB)" : "");
			continue;
		}
		bufs[i + 1] = (char *)buf;
		ld_parse_doc(&ld, (const char *)buf, len);
	}
	run_sections(&ld);
	r = finish(&ld, dir);
	if (r != 0)
		goto out;
	*out = ld.p;
	ld.p = NULL;
out:
	for (size_t i = 0; ld.docs != NULL && i <= n; i++) {
		fy_document_destroy(ld.docs[i]);
		ld.docs[i] = NULL;
	}
	for (size_t i = 0; bufs != NULL && i <= n; i++)
		free(bufs[i]);
	free(bufs);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	ld_cleanup(&ld);
	return r;
}

int policy_load_dir(const char *dir, struct policy **out, struct policy_diag *diag)
{
	return policy_load_dir_opts(dir, NULL, out, diag);
}
