#include <criterion/criterion.h>
#include <string.h>

#include "pitlane/token.h"
#include "pl_err.h"

Test(common_err, REQ_COM_006_every_common_code_has_a_name_and_sentence)
{
	for (int e = PL_E_NOMEM; e >= PL_E_COMMON_LAST; e--) {
		cr_assert_str_neq(pl_errname(e), "unknown", "code %d has no name", e);
		cr_assert_str_neq(pl_strerror(e), "unknown error", "code %d has no text", e);
	}
}

Test(common_err, REQ_COM_006_unknown_codes_get_generic_text_not_null)
{
	cr_assert_str_eq(pl_strerror(-99999), "unknown error");
	cr_assert_str_eq(pl_errname(12345), "unknown");
	cr_assert_str_eq(pl_errname(0), "ok");
}

static int area_of(int code, const struct pl_err_area *areas, size_t n_areas)
{
	int found = -1;

	for (size_t a = 0; a < n_areas; a++) {
		if (code <= areas[a].first && code >= areas[a].last) {
			cr_assert_eq(found, -1, "code %d lies in two areas (%s and %s)", code,
			             areas[found].name, areas[a].name);
			found = (int)a;
		}
	}
	return found;
}

Test(common_err, REQ_COM_006_codes_and_names_are_unique_over_the_whole_list)
{
	size_t n;
	const struct pl_err_info *t = pl_err_table(&n);

	cr_assert_gt(n, 150, "the list has %zu entries", n);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			cr_assert_neq(t[i].code, t[j].code, "%s and %s share code %d", t[i].symbol,
			              t[j].symbol, t[i].code);
			cr_assert_str_neq(t[i].name, t[j].name, "%s and %s share the name \"%s\"",
			                  t[i].symbol, t[j].symbol, t[i].name);
			cr_assert_str_neq(t[i].symbol, t[j].symbol, "%s listed twice", t[i].symbol);
		}
	}
}

Test(common_err, REQ_COM_006_every_code_lies_in_its_area_and_the_list_only_grows_downwards)
{
	size_t n, n_areas;
	const struct pl_err_info *t = pl_err_table(&n);
	const struct pl_err_area *areas = pl_err_areas(&n_areas);

	for (size_t a = 0; a < n_areas; a++) {
		cr_assert_gt(areas[a].first, areas[a].last, "area %s", areas[a].name);
		if (a > 0)
			cr_assert_lt(areas[a].first, areas[a - 1].last,
			             "areas %s and %s overlap or are out of order",
			             areas[a - 1].name, areas[a].name);
	}
	cr_assert_eq(t[0].code, PL_OK);
	for (size_t i = 1; i < n; i++) {
		int a = area_of(t[i].code, areas, n_areas);

		cr_assert_neq(a, -1, "%s (%d) lies in no area of pl_err_all.def", t[i].symbol,
		              t[i].code);
		cr_assert_str_neq(areas[a].name, "token", "%s (%d) lies in lib/token's range",
		                  t[i].symbol, t[i].code);
		/* Appended at the end of its area's list: every entry is below the one before. */
		cr_assert_lt(t[i].code, t[i - 1].code, "%s (%d) is not below %s (%d)", t[i].symbol,
		             t[i].code, t[i - 1].symbol, t[i - 1].code);
	}
}

Test(common_err, REQ_COM_006_every_entry_has_a_lower_case_name_and_a_sentence_and_is_found)
{
	size_t n;
	const struct pl_err_info *t = pl_err_table(&n);

	for (size_t i = 0; i < n; i++) {
		cr_assert_neq(t[i].name[0], '\0', "%s has no name", t[i].symbol);
		cr_assert_eq(strspn(t[i].name, "abcdefghijklmnopqrstuvwxyz0123456789_"),
		             strlen(t[i].name), "%s: name \"%s\" is not [a-z0-9_]", t[i].symbol,
		             t[i].name);
		cr_assert_gt(strlen(t[i].text), 3, "%s has no sentence", t[i].symbol);
		cr_assert_eq(strncmp(t[i].symbol, "PL_", 3), 0, "%s", t[i].symbol);
		cr_assert_eq(pl_errname(t[i].code), t[i].name, "%s", t[i].symbol);
		cr_assert_eq(pl_strerror(t[i].code), t[i].text, "%s", t[i].symbol);
	}
}

Test(common_err, REQ_COM_006_names_are_stable)
{
	/* A few names that logs, problem details and docs rely on, one per area. */
	cr_assert_str_eq(pl_errname(PL_E_SECRET_MODE), "secret_mode");
	cr_assert_str_eq(pl_errname(-201), "can_uri");
	cr_assert_str_eq(pl_errname(-301), "policy_syntax");
	cr_assert_str_eq(pl_errname(-363), "audit_chain_diverged");
	cr_assert_str_eq(pl_errname(-410), "hsm_unavailable");
	cr_assert_str_eq(pl_errname(-469), "stale_request");
	cr_assert_str_eq(pl_errname(-617), "bad_vin");
	/* lib/token's range goes to lib/token's table. */
	cr_assert_str_eq(pl_errname(-2), plt_errname(-2));
}
