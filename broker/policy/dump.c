/*
 * The normalised dump: one YAML document with every section, a fixed key
 * order, defaults written out and every string double-quoted. Loading the
 * dump gives the same policy and therefore the same dump (a fixed point);
 * its SHA-256 is the policy digest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "pl_err.h"

static void q(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void op_list(FILE *f, const struct policy *p, uint64_t set)
{
	int first = 1;

	fputc('[', f);
	for (size_t i = 0; i < p->nops; i++)
		if (set & (UINT64_C(1) << i)) {
			fputs(first ? "" : ", ", f);
			q(f, p->ops[i].name);
			first = 0;
		}
	fputs("]\n", f);
}

static void role_list(FILE *f, const struct policy *p, uint64_t set)
{
	int first = 1;

	fputc('[', f);
	for (size_t i = 0; i < p->nroles; i++)
		if (set & (UINT64_C(1) << i)) {
			fputs(first ? "" : ", ", f);
			q(f, p->roles[i].name);
			first = 0;
		}
	fputs("]\n", f);
}

static void str_list(FILE *f, const char *base, size_t stride, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		q(f, base + i * stride);
	}
	fputs("]\n", f);
}

static void dump_ops(FILE *f, const struct policy *p)
{
	fputs(p->nops ? "operations:\n" : "operations: {}\n", f);
	for (size_t i = 0; i < p->nops; i++) {
		const struct pol_op *o = &p->ops[i];

		fputs("  ", f);
		q(f, o->name);
		fprintf(f, ":\n    routine: 0x%04X\n    risk: ", o->routine);
		q(f, policy_risk_name(o->risk));
		fprintf(f, "\n    max_ttl: %u\n    default_ttl: %u\n    exi: %u\n", o->max_ttl,
		        o->default_ttl, o->exi);
	}
	fputs(p->nroles ? "roles:\n" : "roles: {}\n", f);
	for (size_t i = 0; i < p->nroles; i++) {
		fputs("  ", f);
		q(f, p->roles[i].name);
		fputs(":\n    operations: ", f);
		op_list(f, p, p->roles[i].ops);
	}
}

static void dump_hours(FILE *f, const struct policy *p, const struct pol_hours *h)
{
	static const int order[7] = {1, 2, 3, 4, 5, 6, 0}; /* mon .. sun */

	fputs("    opening_hours:\n      time_zone: ", f);
	q(f, p->tzs[h->tz]->name);
	fputc('\n', f);
	for (int k = 0; k < 7; k++) {
		int d = order[k];

		if (h->n[d] == 0)
			continue;
		fprintf(f, "      %s: [", pol_day_names[d]);
		for (unsigned i = 0; i < h->n[d]; i++)
			fprintf(f, "%s\"%02u:%02u-%02u:%02u\"", i ? ", " : "",
			        h->r[d][i].start / 60u, h->r[d][i].start % 60u,
			        h->r[d][i].end / 60u, h->r[d][i].end % 60u);
		fputs("]\n", f);
	}
}

static void dump_people(FILE *f, const struct policy *p)
{
	fputs(p->nworkshops ? "workshops:\n" : "workshops: {}\n", f);
	for (size_t i = 0; i < p->nworkshops; i++) {
		const struct pol_workshop *w = &p->workshops[i];

		fputs("  ", f);
		q(f, w->id);
		fputs(":\n    certificate:\n      ou: ", f);
		q(f, w->ou);
		fputc('\n', f);
		if (w->ndevices > 0) {
			fputs("      device_cns: ", f);
			str_list(f, w->devices[0], sizeof(w->devices[0]), w->ndevices);
		}
		fputs("    roles: ", f);
		role_list(f, p, w->roles);
		fputs("    vin_prefixes: ", f);
		str_list(f, w->nprefixes ? w->prefixes[0] : "", sizeof(w->prefixes[0]),
		         w->nprefixes);
		if (w->has_hours)
			dump_hours(f, p, &w->hours);
		fprintf(f, "    suspended: %s\n", w->suspended ? "true" : "false");
	}
	fputs(p->ntechs ? "technicians:\n" : "technicians: {}\n", f);
	for (size_t i = 0; i < p->ntechs; i++) {
		const struct pol_tech *t = &p->techs[i];

		fputs("  ", f);
		q(f, t->id);
		fputs(":\n    certificate:\n      cn: ", f);
		q(f, t->cn);
		fputs("\n    workshop: ", f);
		q(f, p->workshops[t->workshop].id);
		fputs("\n    roles: ", f);
		role_list(f, p, t->roles);
		fprintf(f, "    suspended: %s\n", t->suspended ? "true" : "false");
	}
}

static void dump_abuse(FILE *f, const struct policy *p)
{
	fputs(p->nlimits ? "limits:\n" : "limits: []\n", f);
	for (size_t i = 0; i < p->nlimits; i++) {
		const struct pol_limit *l = &p->limits[i];

		fputs("  - name: ", f);
		q(f, l->name);
		fputs("\n    key: ", f);
		q(f, pol_key_names[l->key]);
		fputc('\n', f);
		if (!l->all_ops) {
			fputs("    operations: ", f);
			op_list(f, p, l->ops);
		}
		if (l->min_risk >= 0) {
			fputs("    min_risk: ", f);
			q(f, policy_risk_name(l->min_risk));
			fputc('\n', f);
		}
		fputs("    windows:\n", f);
		for (size_t j = 0; j < l->nwindows; j++)
			fprintf(f, "      - {count: %u, seconds: %u}\n", l->w[j].count,
			        l->w[j].seconds);
		fputs("    action: ", f);
		q(f, pol_lact_names[l->action]);
		fputc('\n', f);
	}
	fputs(p->napprovals ? "approvals:\n" : "approvals: []\n", f);
	for (size_t i = 0; i < p->napprovals; i++) {
		const struct pol_approval *a = &p->approvals[i];

		fputs("  - name: ", f);
		q(f, a->name);
		fputs("\n    operations: ", f);
		op_list(f, p, a->ops);
		fputs("    approver_roles: ", f);
		role_list(f, p, a->approvers);
		fprintf(f, "    expires: %u\n", a->expires);
		fprintf(f, "    technician_approval: %s\n", a->tech_approval ? "true" : "false");
	}
	fputs(p->nanomalies ? "anomalies:\n" : "anomalies: []\n", f);
	for (size_t i = 0; i < p->nanomalies; i++) {
		const struct pol_anomaly *a = &p->anomalies[i];

		fputs("  - name: ", f);
		q(f, a->name);
		fputs("\n    detector: ", f);
		q(f, pol_det_names[a->detector]);
		fputs("\n    action: ", f);
		q(f, pol_aact_names[a->action]);
		fputc('\n', f);
		if (a->nparams > 0) {
			fputs("    params: {", f);
			for (size_t j = 0; j < a->nparams; j++)
				fprintf(f, "%s%s: %u", j ? ", " : "", a->params[j].name,
				        a->params[j].value);
			fputs("}\n", f);
		}
	}
	fputs("decoy_vins: ", f);
	str_list(f, p->ndecoys ? p->decoys[0] : "", sizeof(p->decoys[0]), p->ndecoys);
}

static void dump_tests(FILE *f, const struct policy *p)
{
	static const char *const expect[] = {"allow", "deny", "approval"};

	fputs(p->ntests ? "tests:\n" : "tests: []\n", f);
	for (size_t i = 0; i < p->ntests; i++) {
		const struct pol_test *t = &p->tests[i];
		char when[40];

		pol_format_time(t->time, when, sizeof(when));
		fputs("  - name: ", f);
		q(f, t->name);
		fputs("\n    request:\n      device: ", f);
		q(f, t->device);
		fputs("\n      device_workshop: ", f);
		q(f, t->device_ws);
		fputs("\n      technician: ", f);
		q(f, t->tech);
		fputs("\n      technician_workshop: ", f);
		q(f, t->tech_ws);
		fputs("\n      vin: ", f);
		q(f, t->vin);
		fputs("\n      op: ", f);
		q(f, t->op);
		fputs("\n      time: ", f);
		q(f, when);
		fprintf(f, "\n      ttl: %u\n    expect:\n      decision: ", t->ttl);
		q(f, expect[t->expect]);
		fputc('\n', f);
		if (t->rule[0] != '\0') {
			fputs("      rule: ", f);
			q(f, t->rule);
			fputc('\n', f);
		}
		if (t->has_ttl)
			fprintf(f, "      ttl: %u\n", t->expect_ttl);
	}
}

int pol_dump_text(const struct policy *p, char **text, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (f == NULL)
		return PL_E_NOMEM;
	fputs("# pitlane policy, normalised (pitlanectl policy dump)\n", f);
	fprintf(f, "version: %u\nsettings:\n  hours_min_risk: ", p->version);
	q(f, policy_risk_name(p->hours_min_risk));
	fputc('\n', f);
	dump_ops(f, p);
	dump_people(f, p);
	dump_abuse(f, p);
	dump_tests(f, p);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return PL_E_NOMEM;
	}
	if (fclose(f) != 0) {
		free(buf);
		return PL_E_NOMEM;
	}
	*text = buf;
	*len = n;
	return 0;
}

int policy_dump(const struct policy *p, char **text, size_t *len)
{
	if (p == NULL || text == NULL || len == NULL)
		return PL_E_INVAL;
	return pol_dump_text(p, text, len);
}
