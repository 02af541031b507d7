/*
 * p11.c: find the token and key named by an RFC 7512 URI through p11-kit,
 * log in once, keep a pool of sessions and sign 32-byte digests (CKM_ECDSA).
 * See /usr/share/doc p11-kit and docs/hsm.md for the URI forms accepted.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include "p11.h"
#include "pl_err.h"
#include "pl_err_signer.h"

#define P11_MAX_SLOTS 64
#define P11_MAX_SESSIONS 64

struct p11_uri {
	P11KitUri *uri;
};

struct p11 {
	CK_FUNCTION_LIST **mods;  /* all registered modules (managed), or NULL */
	CK_FUNCTION_LIST *single; /* the module-path module (managed), or NULL */
	CK_FUNCTION_LIST *fn;     /* the module holding the token */
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE login; /* session used for C_Login and probes */
	int logged_in;
	CK_OBJECT_HANDLE key;
	uint8_t pub[65];

	pthread_mutex_t lock; /* guards busy[] */
	pthread_cond_t freed;
	unsigned nsess;
	CK_SESSION_HANDLE sess[P11_MAX_SESSIONS];
	unsigned char busy[P11_MAX_SESSIONS];
	int sync_ready;
};

/* DER of the prime256v1 OID, as CKA_EC_PARAMS holds it (namedCurve). */
static const uint8_t p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
/* Some modules give the curve name as a PrintableString instead. */
static const uint8_t p256_name[] = {0x13, 0x0a, 'p', 'r', 'i', 'm', 'e', '2', '5', '6', 'v', '1'};

static void seterr(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static const struct {
	CK_RV rv;
	const char *name;
} rv_names[] = {
    {CKR_OK, "CKR_OK"},
    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
    {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED"},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE"},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
    {CKR_SESSION_COUNT, "CKR_SESSION_COUNT"},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID"},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
    {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN"},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL"},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
    {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
};

const char *p11_rv_name(unsigned long rv)
{
	for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	return "CKR_(other)";
}

int p11_rv_is_fault(unsigned long rv)
{
	switch (rv) {
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
	case CKR_DEVICE_REMOVED:
	case CKR_DEVICE_ERROR:
	case CKR_DEVICE_MEMORY:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_TOKEN_NOT_RECOGNIZED:
	case CKR_OBJECT_HANDLE_INVALID:
	case CKR_KEY_HANDLE_INVALID:
	case CKR_GENERAL_ERROR:
	case CKR_FUNCTION_FAILED:
	case CKR_USER_NOT_LOGGED_IN:
	case CKR_CRYPTOKI_NOT_INITIALIZED:
	case CKR_SLOT_ID_INVALID:
		return 1;
	default:
		return 0;
	}
}

/* ---- URI ------------------------------------------------------------------ */

int p11_uri_parse(const char *text, struct p11_uri **out, char *err, size_t errlen)
{
	struct p11_uri *u = NULL;
	CK_ATTRIBUTE_PTR a;
	int r, pr;

	*out = NULL;
	if (text == NULL || strncmp(text, "pkcs11:", 7) != 0) {
		seterr(err, errlen,
		       "key URI must start with 'pkcs11:' (RFC 7512), e.g. "
		       "pkcs11:token=pitlane-broker;object=broker-signing;type=private");
		return PL_E_SIGNER_URI;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL || (u->uri = p11_kit_uri_new()) == NULL) {
		r = PL_E_NOMEM;
		goto out;
	}
	pr = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, u->uri);
	if (pr != P11_KIT_URI_OK) {
		seterr(err, errlen, "key URI: %s", p11_kit_uri_message(pr));
		r = PL_E_SIGNER_URI;
		goto out;
	}
	if (p11_kit_uri_any_unrecognized(u->uri)) {
		seterr(err, errlen,
		       "key URI has an attribute p11-kit does not know (module-name, "
		       "module-path belong in the query after '?'); fix the URI");
		r = PL_E_SIGNER_URI;
		goto out;
	}
	if (p11_kit_uri_get_pin_value(u->uri) != NULL ||
	    p11_kit_uri_get_pin_source(u->uri) != NULL) {
		seterr(err, errlen,
		       "key URI carries pin-value/pin-source: remove it and put the "
		       "PIN in the pin_file (mode 0600)");
		r = PL_E_SIGNER_URI;
		goto out;
	}
	a = p11_kit_uri_get_attribute(u->uri, CKA_CLASS);
	if (a != NULL && (a->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
	                  *(CK_OBJECT_CLASS *)a->pValue != CKO_PRIVATE_KEY)) {
		seterr(err, errlen,
		       "key URI names type other than 'private'; the signer needs the "
		       "private key (type=private)");
		r = PL_E_SIGNER_URI;
		goto out;
	}
	*out = u;
	u = NULL;
	r = 0;
out:
	p11_uri_free(u);
	return r;
}

void p11_uri_free(struct p11_uri *u)
{
	if (u == NULL)
		return;
	if (u->uri != NULL)
		p11_kit_uri_free(u->uri);
	free(u);
}

/* ---- module loading and token lookup ---------------------------------------- */

static int load_modules(struct p11 *p, const struct p11_uri *u, unsigned long *ckr, char *err,
                        size_t errlen)
{
	const char *path = p11_kit_uri_get_module_path(u->uri);
	CK_RV rv;

	if (path != NULL) {
		p->single = p11_kit_module_load(path, 0);
		if (p->single == NULL) {
			seterr(err, errlen, "cannot load PKCS#11 module %s: %s", path,
			       p11_kit_message() ? p11_kit_message() : "unknown reason");
			return PL_E_SIGNER_MODULE;
		}
		rv = p11_kit_module_initialize(p->single);
		if (rv != CKR_OK) {
			p11_kit_module_release(p->single);
			p->single = NULL;
			*ckr = rv;
			seterr(err, errlen,
			       "PKCS#11 module %s failed to initialise: %s (%s); check "
			       "its configuration (SOFTHSM2_CONF, token directory)",
			       path, p11_rv_name(rv), p11_kit_strerror(rv));
			return PL_E_SIGNER_MODULE;
		}
		return 0;
	}
	p->mods = p11_kit_modules_load_and_initialize(0);
	if (p->mods == NULL) {
		seterr(err, errlen, "p11-kit could not load the registered PKCS#11 modules: %s",
		       p11_kit_message() ? p11_kit_message() : "unknown reason");
		return PL_E_SIGNER_MODULE;
	}
	return 0;
}

static int module_selected(CK_FUNCTION_LIST *m, const struct p11_uri *u)
{
	const char *want = p11_kit_uri_get_module_name(u->uri);
	CK_INFO info;
	char *name;
	int ok;

	if (m->C_GetInfo(&info) != CKR_OK || !p11_kit_uri_match_module_info(u->uri, &info))
		return 0;
	if (want == NULL)
		return 1;
	name = p11_kit_module_get_name(m);
	ok = name != NULL && strcmp(name, want) == 0;
	free(name);
	return ok;
}

/* Scans one module; counts matching tokens into *found and remembers the first. */
static void scan_module(struct p11 *p, CK_FUNCTION_LIST *m, const struct p11_uri *u,
                        unsigned *found)
{
	CK_SLOT_ID slots[P11_MAX_SLOTS];
	CK_ULONG n = P11_MAX_SLOTS;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;

	if (!module_selected(m, u))
		return;
	if (m->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return;
	for (CK_ULONG i = 0; i < n; i++) {
		if (m->C_GetSlotInfo(slots[i], &si) != CKR_OK ||
		    !p11_kit_uri_match_slot_info(u->uri, &si))
			continue;
		if (m->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    !(ti.flags & CKF_TOKEN_INITIALIZED) ||
		    !p11_kit_uri_match_token_info(u->uri, &ti))
			continue;
		if (*found == 0) {
			p->fn = m;
			p->slot = slots[i];
		}
		(*found)++;
	}
}

static int find_token(struct p11 *p, const struct p11_uri *u, char *err, size_t errlen)
{
	unsigned found = 0;

	if (p->single != NULL)
		scan_module(p, p->single, u, &found);
	else
		for (size_t i = 0; p->mods[i] != NULL; i++)
			scan_module(p, p->mods[i], u, &found);
	if (found == 0) {
		seterr(err, errlen,
		       "no initialised PKCS#11 token matches the key URI; check the "
		       "token label and the module configuration (SOFTHSM2_CONF for SoftHSM2)");
		return PL_E_SIGNER_TOKEN_NOT_FOUND;
	}
	if (found > 1) {
		seterr(err, errlen,
		       "%u tokens match the key URI; add token= or serial= to pick one", found);
		return PL_E_SIGNER_KEY_AMBIGUOUS;
	}
	return 0;
}

/* ---- sessions, login, key ------------------------------------------------------ */

static int open_sessions(struct p11 *p, unsigned nsess, unsigned long *ckr, char *err,
                         size_t errlen)
{
	CK_RV rv;

	rv = p->fn->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, &p->login);
	for (unsigned i = 0; rv == CKR_OK && i < nsess; i++) {
		rv = p->fn->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, &p->sess[i]);
		if (rv == CKR_OK)
			p->nsess = i + 1;
	}
	if (rv != CKR_OK) {
		*ckr = rv;
		seterr(err, errlen, "C_OpenSession failed: %s (%s)", p11_rv_name(rv),
		       p11_kit_strerror(rv));
		return p11_rv_is_fault(rv) ? PL_E_SIGNER_UNAVAILABLE : PL_E_SIGNER_HSM;
	}
	return 0;
}

static int login(struct p11 *p, const char *pin, size_t pin_len, unsigned long *ckr, char *err,
                 size_t errlen)
{
	CK_RV rv;

	rv = p->fn->C_Login(p->login, CKU_USER, (CK_UTF8CHAR_PTR)pin, pin_len);
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		p->logged_in = 1;
		return 0;
	}
	*ckr = rv;
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_LEN_RANGE:
		seterr(err, errlen,
		       "the token refused the PIN from the PIN file (%s); the signer "
		       "does not retry a wrong PIN",
		       p11_rv_name(rv));
		return PL_E_SIGNER_PIN_INCORRECT;
	case CKR_PIN_LOCKED:
		seterr(err, errlen,
		       "the token's user PIN is locked (CKR_PIN_LOCKED); unlock it "
		       "with the SO PIN");
		return PL_E_SIGNER_PIN_LOCKED;
	default:
		seterr(err, errlen, "C_Login failed: %s (%s)", p11_rv_name(rv),
		       p11_kit_strerror(rv));
		return rv == CKR_GENERAL_ERROR ? PL_E_SIGNER_UNAVAILABLE : PL_E_SIGNER_LOGIN;
	}
}

/* Finds up to two objects matching tmpl; *n gets how many (0, 1 or 2). */
static CK_RV find_objects(struct p11 *p, CK_ATTRIBUTE *tmpl, CK_ULONG ntmpl, CK_OBJECT_HANDLE h[2],
                          CK_ULONG *n)
{
	CK_RV rv, rv2;

	*n = 0;
	rv = p->fn->C_FindObjectsInit(p->login, tmpl, ntmpl);
	if (rv != CKR_OK)
		return rv;
	rv = p->fn->C_FindObjects(p->login, h, 2, n);
	rv2 = p->fn->C_FindObjectsFinal(p->login);
	return rv != CKR_OK ? rv : rv2;
}

static int find_key(struct p11 *p, const struct p11_uri *u, unsigned long *ckr, char *err,
                    size_t errlen)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[8];
	CK_ATTRIBUTE_PTR attrs;
	CK_ULONG nattrs = 0, ntmpl = 0, n;
	CK_OBJECT_HANDLE h[2];
	int have_class = 0;
	CK_RV rv;

	attrs = p11_kit_uri_get_attributes(u->uri, &nattrs);
	for (CK_ULONG i = 0; i < nattrs && ntmpl < 7; i++) {
		if (attrs[i].type == CKA_CLASS)
			have_class = 1;
		tmpl[ntmpl++] = attrs[i];
	}
	if (!have_class) {
		tmpl[ntmpl].type = CKA_CLASS;
		tmpl[ntmpl].pValue = &cls;
		tmpl[ntmpl].ulValueLen = sizeof(cls);
		ntmpl++;
	}
	rv = find_objects(p, tmpl, ntmpl, h, &n);
	if (rv != CKR_OK) {
		*ckr = rv;
		seterr(err, errlen, "C_FindObjects failed: %s", p11_rv_name(rv));
		return p11_rv_is_fault(rv) ? PL_E_SIGNER_UNAVAILABLE : PL_E_SIGNER_HSM;
	}
	if (n == 0) {
		seterr(err, errlen,
		       "no private key on the token matches the key URI (private keys "
		       "are invisible without a login); check object= / id=");
		return PL_E_SIGNER_KEY_NOT_FOUND;
	}
	if (n > 1) {
		seterr(err, errlen,
		       "more than one private key matches the key URI; add object= "
		       "and/or id= to name exactly one");
		return PL_E_SIGNER_KEY_AMBIGUOUS;
	}
	p->key = h[0];
	return 0;
}

/* Extracts the 65-byte point from CKA_EC_POINT: DER OCTET STRING or raw. */
static int ec_point_extract(const uint8_t *v, size_t len, uint8_t pub[65])
{
	if (len == 67 && v[0] == 0x04 && v[1] == 0x41 && v[2] == 0x04) {
		memcpy(pub, v + 2, 65);
		return 0;
	}
	if (len == 65 && v[0] == 0x04) {
		memcpy(pub, v, 65);
		return 0;
	}
	return PL_E_SIGNER_KEY_TYPE;
}

static int ec_params_are_p256(const uint8_t *v, size_t len)
{
	return (len == sizeof(p256_oid) && memcmp(v, p256_oid, len) == 0) ||
	       (len == sizeof(p256_name) && memcmp(v, p256_name, len) == 0);
}

static int read_public(struct p11 *p, unsigned long *ckr, char *err, size_t errlen)
{
	CK_KEY_TYPE kt = 0;
	CK_OBJECT_CLASS pubcls = CKO_PUBLIC_KEY;
	uint8_t id[256], params[64], point[160];
	CK_ATTRIBUTE a[2] = {
	    {CKA_KEY_TYPE, &kt, sizeof(kt)},
	    {CKA_ID, id, sizeof(id)},
	};
	CK_ATTRIBUTE tmpl[2] = {
	    {CKA_CLASS, &pubcls, sizeof(pubcls)},
	    {CKA_ID, id, 0},
	};
	CK_ATTRIBUTE b[2] = {
	    {CKA_EC_PARAMS, params, sizeof(params)},
	    {CKA_EC_POINT, point, sizeof(point)},
	};
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n;
	CK_RV rv;

	rv = p->fn->C_GetAttributeValue(p->login, p->key, a, 2);
	if (rv != CKR_OK) {
		*ckr = rv;
		seterr(err, errlen, "reading the private key's type and id failed: %s",
		       p11_rv_name(rv));
		return p11_rv_is_fault(rv) ? PL_E_SIGNER_UNAVAILABLE : PL_E_SIGNER_KEY_TYPE;
	}
	if (kt != CKK_EC) {
		seterr(err, errlen,
		       "the signing key is not an EC key (CKA_KEY_TYPE 0x%lx); the "
		       "signer needs EC P-256",
		       (unsigned long)kt);
		return PL_E_SIGNER_KEY_TYPE;
	}
	if (a[1].ulValueLen == 0 || a[1].ulValueLen == CK_UNAVAILABLE_INFORMATION) {
		seterr(err, errlen,
		       "the signing key has no CKA_ID, so its public key cannot be "
		       "found; give the key pair an id");
		return PL_E_SIGNER_KEY_TYPE;
	}
	tmpl[1].ulValueLen = a[1].ulValueLen;
	rv = find_objects(p, tmpl, 2, h, &n);
	if (rv != CKR_OK || n != 1) {
		*ckr = rv;
		seterr(err, errlen,
		       "expected exactly one public key with the private key's id, "
		       "found %lu (%s)",
		       (unsigned long)n, p11_rv_name(rv));
		return rv != CKR_OK && p11_rv_is_fault(rv) ? PL_E_SIGNER_UNAVAILABLE
		                                           : PL_E_SIGNER_KEY_TYPE;
	}
	rv = p->fn->C_GetAttributeValue(p->login, h[0], b, 2);
	if (rv != CKR_OK) {
		*ckr = rv;
		seterr(err, errlen, "reading CKA_EC_PARAMS/CKA_EC_POINT failed: %s",
		       p11_rv_name(rv));
		return p11_rv_is_fault(rv) ? PL_E_SIGNER_UNAVAILABLE : PL_E_SIGNER_KEY_TYPE;
	}
	if (!ec_params_are_p256(params, b[0].ulValueLen) ||
	    ec_point_extract(point, b[1].ulValueLen, p->pub) != 0) {
		seterr(err, errlen,
		       "the signing key is not on curve P-256 (prime256v1) or its "
		       "point is not an uncompressed 65-byte point");
		return PL_E_SIGNER_KEY_TYPE;
	}
	return 0;
}

/* ---- open / close ----------------------------------------------------------------- */

int p11_open(const struct p11_uri *u, const char *pin, size_t pin_len, unsigned nsess,
             struct p11 **out, unsigned long *ckr, char *err, size_t errlen)
{
	struct p11 *p;
	int r;

	*out = NULL;
	*ckr = CKR_OK;
	if (nsess == 0 || nsess > P11_MAX_SESSIONS)
		return PL_E_INVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return PL_E_NOMEM;
	p->login = CK_INVALID_HANDLE;
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		return PL_E_NOMEM;
	}
	if (pthread_cond_init(&p->freed, NULL) != 0) {
		pthread_mutex_destroy(&p->lock);
		free(p);
		return PL_E_NOMEM;
	}
	p->sync_ready = 1;
	if ((r = load_modules(p, u, ckr, err, errlen)) != 0)
		goto out;
	if ((r = find_token(p, u, err, errlen)) != 0)
		goto out;
	if ((r = open_sessions(p, nsess, ckr, err, errlen)) != 0)
		goto out;
	if ((r = login(p, pin, pin_len, ckr, err, errlen)) != 0)
		goto out;
	if ((r = find_key(p, u, ckr, err, errlen)) != 0)
		goto out;
	if ((r = read_public(p, ckr, err, errlen)) != 0)
		goto out;
	*out = p;
	p = NULL;
	r = 0;
out:
	p11_close(p);
	return r;
}

void p11_close(struct p11 *p)
{
	if (p == NULL)
		return;
	if (p->fn != NULL) {
		for (unsigned i = 0; i < p->nsess; i++)
			p->fn->C_CloseSession(p->sess[i]);
		if (p->logged_in)
			p->fn->C_Logout(p->login);
		if (p->login != CK_INVALID_HANDLE)
			p->fn->C_CloseSession(p->login);
	}
	if (p->single != NULL) {
		p11_kit_module_finalize(p->single);
		p11_kit_module_release(p->single);
	}
	if (p->mods != NULL)
		p11_kit_modules_finalize_and_release(p->mods);
	if (p->sync_ready) {
		pthread_cond_destroy(&p->freed);
		pthread_mutex_destroy(&p->lock);
	}
	free(p);
}

const uint8_t *p11_public_point(const struct p11 *p)
{
	return p->pub;
}

/* ---- signing ---------------------------------------------------------------------- */

static unsigned session_take(struct p11 *p)
{
	unsigned i;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		for (i = 0; i < p->nsess; i++)
			if (!p->busy[i])
				break;
		if (i < p->nsess)
			break;
		pthread_cond_wait(&p->freed, &p->lock);
	}
	p->busy[i] = 1;
	pthread_mutex_unlock(&p->lock);
	return i;
}

static void session_give(struct p11 *p, unsigned i)
{
	pthread_mutex_lock(&p->lock);
	p->busy[i] = 0;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

int p11_sign_digest(struct p11 *p, const uint8_t digest[32], uint8_t sig[64], unsigned long *ckr)
{
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	uint8_t out[64];
	CK_ULONG outlen = sizeof(out);
	unsigned i;
	CK_RV rv;
	int r;

	i = session_take(p);
	rv = p->fn->C_SignInit(p->sess[i], &mech, p->key);
	if (rv == CKR_OK)
		rv = p->fn->C_Sign(p->sess[i], (CK_BYTE_PTR)digest, 32, out, &outlen);
	session_give(p, i);
	if (rv != CKR_OK) {
		*ckr = rv;
		r = p11_rv_is_fault(rv) ? PL_E_SIGNER_UNAVAILABLE : PL_E_SIGNER_HSM;
		goto out;
	}
	if (outlen != sizeof(out)) {
		*ckr = CKR_OK;
		r = PL_E_SIGNER_HSM;
		goto out;
	}
	memcpy(sig, out, sizeof(out));
	r = 0;
out:
	return r;
}

int p11_probe(struct p11 *p, unsigned long *ckr)
{
	CK_SESSION_INFO si;
	CK_KEY_TYPE kt;
	CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof(kt)};
	CK_RV rv;

	pthread_mutex_lock(&p->lock);
	rv = p->fn->C_GetSessionInfo(p->login, &si);
	if (rv == CKR_OK && si.state != CKS_RO_USER_FUNCTIONS && si.state != CKS_RW_USER_FUNCTIONS)
		rv = CKR_USER_NOT_LOGGED_IN;
	if (rv == CKR_OK)
		rv = p->fn->C_GetAttributeValue(p->login, p->key, &a, 1);
	pthread_mutex_unlock(&p->lock);
	if (rv != CKR_OK) {
		*ckr = rv;
		return p11_rv_is_fault(rv) ? PL_E_SIGNER_UNAVAILABLE : PL_E_SIGNER_HSM;
	}
	return 0;
}
