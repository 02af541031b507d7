/*
 * pitlane error codes: one table, one strerror.
 *
 * Every function in pitlane returns 0 on success or a negative code from this
 * table. Codes are append-only: never renumber, never reuse. Each area owns a
 * range and its own table file in lib/common (err_<area>.c); pl_strerror() and
 * pl_errname() dispatch on the range.
 *
 *   -1   .. -99    lib/token   (PLT_E_*, see lib/token/include/pitlane/token.h;
 *                               tables live in lib/token, which has no deps)
 *   -100 .. -199   common      (PL_E_*, below)
 *   -200 .. -299   CAN, ISO-TP, UDS   (pl_err_can.h)
 *   -300 .. -349   broker policy  (pl_err_policy.h)
 *   -350 .. -399   broker audit   (pl_err_audit.h)
 *   -400 .. -449   broker signer  (pl_err_signer.h)
 *   -450 .. -549   broker server, pitlanectl (pl_err_server.h)
 *   -600 .. -699   agent          (pl_err_agent.h)
 *
 * UDS negative response codes are not errors of ours: they are data (the ECU
 * said no) and travel separately (struct uds_result).
 */
#ifndef PITLANE_COMMON_ERR_H
#define PITLANE_COMMON_ERR_H

enum pl_err_common {
	PL_OK = 0,
	PL_E_NOMEM = -100,        /* out of memory */
	PL_E_INVAL = -101,        /* invalid argument (a programming error) */
	PL_E_RANGE = -102,        /* number out of the allowed range */
	PL_E_SYNTAX = -103,       /* text is not a number / not hex / not base64url */
	PL_E_TRUNCATED = -104,    /* input ended before the value did */
	PL_E_TRAILING = -105,     /* bytes left over after the value */
	PL_E_NOSPACE = -106,      /* output buffer too small */
	PL_E_IO = -107,           /* read/write failed (see errno where logged) */
	PL_E_NOENT = -108,        /* file not found */
	PL_E_PERM = -109,         /* permission denied */
	PL_E_SECRET_MODE = -110,  /* secret file readable by group or others */
	PL_E_SECRET_OWNER = -111, /* secret file not owned by us (or root) */
	PL_E_TOOBIG = -112,       /* file or message larger than the limit */
	PL_E_TIMEOUT = -113,      /* operation timed out */
	PL_E_NOTFOUND = -114,     /* a named thing does not exist */
	PL_E_EXISTS = -115,       /* a named thing already exists */
	PL_E_CONFIG = -116,       /* configuration is invalid (details were reported) */
	PL_E_USAGE = -117,        /* command-line usage error */
	PL_E_INTERNAL = -118,     /* an invariant failed: a bug */
	PL_E_CRYPTO = -119,       /* a crypto library call failed */
	PL_E_BADKEY = -120,       /* a key file is unusable (wrong type, curve, format) */
	PL_E_BADCERT = -121,      /* a certificate is unusable */
	PL_E_NOT_REGULAR = -122,  /* path is not a regular file */
	PL_E_SECRET_LINK = -123,  /* secret file is a symbolic link */
	PL_E_UNSAFE_MODE = -124,  /* trusted file or directory writable by group or others */
	PL_E_UNSAFE_OWNER = -125, /* trusted file or directory owned by another user */
	PL_E_NOT_DIR = -126,      /* path is not a directory */
};

/* The last common code (tests walk the table down to it). */
#define PL_E_COMMON_LAST PL_E_NOT_DIR

/* A sentence describing err (never NULL; unknown codes get a generic text). */
const char *pl_strerror(int err);
/* A stable, machine-readable name for err, e.g. "secret_mode" (never NULL). */
const char *pl_errname(int err);

#endif
