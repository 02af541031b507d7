/* The one strerror: dispatches on the code's range (see pl_err.h). */
#include <stddef.h>

#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "pl_err_audit.h"
#include "pl_err_can.h"
#include "pl_err_policy.h"
#include "pl_err_server.h"
#include "pl_err_signer.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} common_table[] = {
	{ PL_OK, "ok", "success" },
	{ PL_E_NOMEM, "nomem", "out of memory" },
	{ PL_E_INVAL, "inval", "invalid argument" },
	{ PL_E_RANGE, "range", "number out of the allowed range" },
	{ PL_E_SYNTAX, "syntax", "malformed text (not a number, hex or base64)" },
	{ PL_E_TRUNCATED, "truncated", "input ended too early" },
	{ PL_E_TRAILING, "trailing", "unexpected bytes after the end of the value" },
	{ PL_E_NOSPACE, "nospace", "output buffer too small" },
	{ PL_E_IO, "io", "input/output error" },
	{ PL_E_NOENT, "noent", "no such file or directory" },
	{ PL_E_PERM, "perm", "permission denied" },
	{ PL_E_SECRET_MODE, "secret_mode",
	  "secret file is readable or writable by group or others (chmod 600 it)" },
	{ PL_E_SECRET_OWNER, "secret_owner",
	  "secret file is owned by another user (chown it to the service user)" },
	{ PL_E_TOOBIG, "toobig", "input larger than the allowed limit" },
	{ PL_E_TIMEOUT, "timeout", "operation timed out" },
	{ PL_E_NOTFOUND, "notfound", "not found" },
	{ PL_E_EXISTS, "exists", "already exists" },
	{ PL_E_CONFIG, "config", "invalid configuration" },
	{ PL_E_USAGE, "usage", "command-line usage error" },
	{ PL_E_INTERNAL, "internal", "internal error (a bug; please report it)" },
	{ PL_E_CRYPTO, "crypto", "cryptographic library failure" },
	{ PL_E_BADKEY, "badkey", "unusable key (wrong type, curve or format)" },
	{ PL_E_BADCERT, "badcert", "unusable certificate" },
	{ PL_E_NOT_REGULAR, "not_regular", "not a regular file" },
	{ PL_E_SECRET_LINK, "secret_link",
	  "secret file is a symbolic link (name the file itself)" },
	{ PL_E_UNSAFE_MODE, "unsafe_mode",
	  "a file or directory that decides what is trusted is writable by group or others "
	  "(chmod go-w it)" },
	{ PL_E_UNSAFE_OWNER, "unsafe_owner",
	  "a file or directory that decides what is trusted is owned by another user "
	  "(chown it to root)" },
	{ PL_E_NOT_DIR, "not_dir", "not a directory" },
};

static const char *common_text(int err, int name)
{
	for (size_t i = 0; i < sizeof(common_table) / sizeof(common_table[0]); i++)
		if (common_table[i].code == err)
			return name ? common_table[i].name : common_table[i].text;
	return NULL;
}

static const char *lookup(int err, int name)
{
	const char *s = NULL;

	if (err == 0 || (err <= -100 && err > -200))
		s = common_text(err, name);
	else if (err < 0 && err > -100)
		s = name ? plt_errname(err) : plt_strerror(err);
	else if (err <= -200 && err > -300)
		s = pl_err_can_text(err, name);
	else if (err <= -300 && err > -350)
		s = pl_err_policy_text(err, name);
	else if (err <= -350 && err > -400)
		s = pl_err_audit_text(err, name);
	else if (err <= -400 && err > -450)
		s = pl_err_signer_text(err, name);
	else if (err <= -450 && err > -550)
		s = pl_err_server_text(err, name);
	else if (err <= -600 && err > -700)
		s = pl_err_agent_text(err, name);
	return s;
}

const char *pl_strerror(int err)
{
	const char *s = lookup(err, 0);
	return s ? s : "unknown error";
}

const char *pl_errname(int err)
{
	const char *s = lookup(err, 1);
	return s ? s : "unknown";
}
