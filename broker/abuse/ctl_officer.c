/* pitlanectl's officer key and the decisions it signs (ctl_officer.h). */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "ctl_officer.h"
#include "p11.h"
#include "p11_cose.h"
#include "pitlane/token.h"
#include "pl_conf.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_file.h"

#define PIN_MAX 128
#define CERT_MAX (16 * 1024)
#define CONF_MAX (16 * 1024)

struct officer_key {
	struct p11 *p11;
	uint8_t *der;
	size_t der_len;
	uint8_t point[65];
};

#define FIELD(f) offsetof(struct officer_conf, f), sizeof(((struct officer_conf *)0)->f)

static const struct pl_conf_key keys[] = {
    {"officer_cert", PL_CONF_STR, FIELD(officer_cert), 0, 0, 1,
     "PEM certificate of the officer (issued by the officer CA)", NULL},
    {"officer_key", PL_CONF_STR, FIELD(officer_key), 0, 0, 1,
     "pkcs11: URI of the officer's signing key", NULL},
    {"pin_file", PL_CONF_STR, FIELD(pin_file), 0, 0, 0,
     "file holding the token PIN (mode 0600); else asked at the terminal", NULL},
};

static const struct pl_conf_codes codes = {
    .syntax = PL_E_SRV_CONFIG_SYNTAX,
    .unknown = PL_E_SRV_CONFIG_KEY,
    .dup = PL_E_SRV_CONFIG_DUP,
    .value = PL_E_SRV_CONFIG_VALUE,
    .missing = PL_E_SRV_CONFIG_MISSING,
};

static const struct pl_conf_spec spec = {keys, sizeof(keys) / sizeof(keys[0]), &codes,
                                         "docs/abuse.md"};

int officer_conf_load(const char *path, struct officer_conf *c, char *err, size_t errlen)
{
	struct officer_conf tmp;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	memset(&tmp, 0, sizeof(tmp));
	if ((r = pl_read_file(path, CONF_MAX, &buf, &len)) != 0) {
		snprintf(err, errlen, "officer configuration %s: %s; give it with --officer FILE",
		         path, pl_strerror(r));
		return r;
	}
	r = pl_conf_parse(&spec, path, (const char *)buf, len, &tmp, err, errlen);
	free(buf);
	if (r != 0)
		return r;
	if (strncmp(tmp.officer_key, "pkcs11:", 7) != 0) {
		snprintf(err, errlen,
		         "%s: officer_key must be a pkcs11: URI (the key lives in the officer's "
		         "card or token)",
		         path);
		return PL_E_SRV_CONFIG_VALUE;
	}
	*c = tmp;
	return 0;
}

/* The PIN from the terminal, without echo; PL_E_IO without one. */
static int ask_pin(char *pin, size_t cap, size_t *len)
{
	struct termios old, quiet;
	const char prompt[] = "Officer PIN: ";
	int fd, r = PL_E_IO;
	size_t used = 0;
	ssize_t n;
	char ch;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return PL_E_IO;
	if (tcgetattr(fd, &old) != 0)
		goto out_close;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		goto out_close;
	if (write(fd, prompt, sizeof(prompt) - 1) < 0)
		goto out_restore;
	while ((n = read(fd, &ch, 1)) == 1 && ch != '\n' && used + 1 < cap)
		pin[used++] = ch;
	if (n == 1 && ch == '\n' && used > 0) {
		pin[used] = '\0';
		*len = used;
		r = 0;
	}
out_restore:
	tcsetattr(fd, TCSAFLUSH, &old);
	n = write(fd, "\n", 1); /* ends the prompt line; nothing to do if it fails */
	(void)n;
	if (r != 0)
		plt_wipe(pin, cap);
out_close:
	close(fd);
	return r;
}

static int get_pin(const struct officer_conf *c, char *pin, size_t cap, size_t *len, char *err,
                   size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	int r;

	if (c->pin_file[0] == '\0') {
		if ((r = ask_pin(pin, cap, len)) != 0)
			snprintf(err, errlen,
			         "no PIN: there is no terminal to ask it at; set pin_file in the "
			         "officer configuration or run pitlanectl from a terminal");
		return r;
	}
	if ((r = pl_read_secret_file(c->pin_file, cap - 1, &buf, &n)) != 0) {
		snprintf(err, errlen, "pin_file %s: %s", c->pin_file, pl_strerror(r));
		return r;
	}
	memcpy(pin, buf, n);
	pin[n] = '\0';
	*len = n;
	pl_free_wiped(buf, n);
	return 0;
}

static int load_cert(struct officer_key *k, const char *path, char *err, size_t errlen)
{
	const char *why = "";
	X509 *x = NULL;
	int r;

	r = p11_cose_cert_load(path, CERT_MAX, &x, &k->der, &k->der_len, k->point, &why);
	if (r == PL_E_BADCERT)
		snprintf(err, errlen, "officer_cert %s: %s", path, why);
	else if (r != 0)
		snprintf(err, errlen, "officer_cert %s: %s", path, pl_strerror(r));
	X509_free(x);
	return r;
}

static int open_token(struct officer_key *k, const struct officer_conf *c, const char *pin,
                      size_t pin_len, char *err, size_t errlen)
{
	struct p11_uri *u = NULL;
	unsigned long ckr = 0;
	char why[256] = "";
	int r;

	if ((r = p11_uri_parse(c->officer_key, &u, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "officer_key: %s; fix the pkcs11: URI", why);
		return r;
	}
	r = p11_open(u, pin, pin_len, 1, &k->p11, &ckr, why, sizeof(why));
	p11_uri_free(u);
	if (r != 0)
		snprintf(err, errlen,
		         "the officer key %s: %s (%s); insert the officer's card, check "
		         "officer_key and the PIN",
		         c->officer_key, why, p11_rv_name(ckr));
	return r;
}

int officer_key_open(const struct officer_conf *c, struct officer_key **out, char *err,
                     size_t errlen)
{
	struct officer_key *k;
	char pin[PIN_MAX] = "";
	size_t pin_len = 0;
	int r;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return PL_E_NOMEM;
	if ((r = load_cert(k, c->officer_cert, err, errlen)) != 0 ||
	    (r = get_pin(c, pin, sizeof(pin), &pin_len, err, errlen)) != 0)
		goto out;
	if ((r = open_token(k, c, pin, pin_len, err, errlen)) != 0)
		goto out;
	if (!plt_ct_equal(p11_public_point(k->p11), k->point, sizeof(k->point))) {
		snprintf(err, errlen,
		         "the key %s is not the key of officer_cert %s; fix the officer "
		         "configuration or use the officer's own card",
		         c->officer_key, c->officer_cert);
		r = PL_E_BADCERT;
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
out:
	plt_wipe(pin, sizeof(pin));
	officer_key_close(k);
	return r;
}

/* {16: id, 17: decision, ?18: reason, 19: nonce, 20: iat, 21: request hash}. */
static int build_payload(const char *id, int approve, const char *reason, const uint8_t hash[32],
                         uint8_t *out, size_t cap, size_t *len)
{
	struct plt_cbor_writer w;
	uint8_t nonce[16];
	int r;

	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		return PL_E_IO;
	plt_cbor_writer_init(&w, out, cap);
	plt_cbor_put_map(&w, reason[0] ? 6 : 5);
	plt_cbor_put_uint(&w, 16);
	plt_cbor_put_cstr(&w, id);
	plt_cbor_put_uint(&w, 17);
	plt_cbor_put_cstr(&w, approve ? "approve" : "deny");
	if (reason[0]) {
		plt_cbor_put_uint(&w, 18);
		plt_cbor_put_cstr(&w, reason);
	}
	plt_cbor_put_uint(&w, 19);
	plt_cbor_put_bstr(&w, nonce, sizeof(nonce));
	plt_cbor_put_uint(&w, 20);
	plt_cbor_put_uint(&w, (uint64_t)time(NULL));
	plt_cbor_put_uint(&w, 21);
	plt_cbor_put_bstr(&w, hash, 32);
	r = plt_cbor_writer_finish(&w, len);
	plt_wipe(nonce, sizeof(nonce));
	return r;
}

int officer_key_sign_decision(struct officer_key *k, const char *id, int approve,
                              const char *reason, const uint8_t request_hash[32], uint8_t *out,
                              size_t cap, size_t *len)
{
	uint8_t payload[512];
	size_t ylen = 0;
	int r;

	if ((r = build_payload(id, approve, reason != NULL ? reason : "", request_hash, payload,
	                       sizeof(payload), &ylen)) != 0)
		return r;
	return p11_cose_sign1(k->p11, k->der, k->der_len, payload, ylen, out, cap, len);
}

void officer_key_close(struct officer_key *k)
{
	if (k == NULL)
		return;
	p11_close(k->p11);
	OPENSSL_free(k->der);
	plt_wipe(k, sizeof(*k));
	free(k);
}
