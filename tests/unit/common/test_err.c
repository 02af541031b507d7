#include <criterion/criterion.h>
#include <string.h>

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
