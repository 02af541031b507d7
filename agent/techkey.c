/* The technician's PKCS#11 key and certificate (see techkey.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "config.h"
#include "p11.h"
#include "p11_cose.h"
#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_err_agent.h"
#include "pl_err_signer.h"
#include "pl_file.h"
#include "techkey.h"

#define PIN_MAX 128
#define CERT_MAX (16 * 1024)

struct techkey {
	struct p11 *p11;
	char pin[PIN_MAX]; /* between techkey_prepare and techkey_login only */
	size_t pin_len;
	uint8_t *der;
	size_t der_len;
	uint8_t point[65];
	char id[65];
	long long seconds_left;
};

int techkey_ask_pin(const char *prompt, char *pin, size_t cap, size_t *len)
{
	struct termios old, quiet;
	int fd, r = PL_E_AGENT_PIN;
	ssize_t n;
	size_t used = 0;
	char ch;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return PL_E_AGENT_PIN;
	if (tcgetattr(fd, &old) != 0)
		goto out_close;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		goto out_close;
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto out_restore;
	while ((n = read(fd, &ch, 1)) == 1 && ch != '\n') {
		if (used + 1 >= cap) {
			r = PL_E_TOOBIG;
			goto out_restore;
		}
		pin[used++] = ch;
	}
	if (n < 0 || used == 0)
		goto out_restore;
	pin[used] = '\0';
	*len = used;
	r = 0;
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

static int get_pin(const struct agent_config *c, char *pin, size_t cap, size_t *len, char *err,
                   size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	int r;

	if (c->pin_file[0] == '\0') {
		r = techkey_ask_pin("Technician PIN: ", pin, cap, len);
		if (r != 0)
			snprintf(err, errlen,
			         "no PIN: there is no terminal to ask it at; set "
			         "pin_file in agent.conf or run pitlane from a terminal");
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

/* CN and seconds to notAfter of the technician certificate. */
static int cert_details(struct techkey *k, X509 *x, const char *path, char *err, size_t errlen)
{
	int diff = 0, sec = 0;

	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, k->id, sizeof(k->id));
	if (ASN1_TIME_diff(&diff, &sec, NULL, X509_get0_notAfter(x)) != 1) {
		snprintf(err, errlen, "technician_cert %s: unreadable notAfter", path);
		return PL_E_AGENT_TECH_CERT;
	}
	k->seconds_left = (long long)diff * 86400 + sec;
	return 0;
}

static int load_cert(struct techkey *k, const char *path, char *err, size_t errlen)
{
	const char *why = "";
	X509 *x = NULL;
	int r;

	r = p11_cose_cert_load(path, CERT_MAX, &x, &k->der, &k->der_len, k->point, &why);
	if (r == PL_E_BADCERT) {
		snprintf(err, errlen, "technician_cert %s: %s", path, why);
		return PL_E_AGENT_TECH_CERT;
	}
	if (r != 0) {
		snprintf(err, errlen, "technician_cert %s: %s; check agent.conf", path,
		         pl_strerror(r));
		return PL_E_AGENT_TECH_CERT;
	}
	r = cert_details(k, x, path, err, errlen);
	X509_free(x);
	return r;
}

static int open_token(struct techkey *k, const struct agent_config *c, const char *pin,
                      size_t pin_len, char *err, size_t errlen)
{
	struct p11_uri *u = NULL;
	unsigned long ckr = 0;
	char why[256] = "";
	int r;

	if ((r = p11_uri_parse(c->technician_key, &u, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "technician_key: %s; fix the pkcs11: URI in agent.conf", why);
		return PL_E_AGENT_TECH_KEY;
	}
	r = p11_open(u, pin, pin_len, 1, &k->p11, &ckr, why, sizeof(why));
	p11_uri_free(u);
	if (r == 0)
		return 0;
	switch (r) {
	case PL_E_SIGNER_TOKEN_NOT_FOUND:
		snprintf(err, errlen,
		         "the technician token is not there (%s): insert the "
		         "smartcard, or check technician_key in agent.conf",
		         why);
		break;
	case PL_E_SIGNER_PIN_INCORRECT:
		snprintf(err, errlen,
		         "the token refused the PIN; try again (a smartcard "
		         "locks after a few wrong PINs)");
		break;
	case PL_E_SIGNER_PIN_LOCKED:
		snprintf(err, errlen,
		         "the token's PIN is locked; ask the workshop admin to "
		         "unblock the smartcard");
		break;
	case PL_E_SIGNER_KEY_NOT_FOUND:
		snprintf(err, errlen,
		         "no technician key in the token (%s): check the object= "
		         "of technician_key in agent.conf",
		         why);
		break;
	default:
		snprintf(err, errlen, "technician key: %s (%s)", why, p11_rv_name(ckr));
		break;
	}
	return r == PL_E_SIGNER_PIN_INCORRECT || r == PL_E_SIGNER_PIN_LOCKED ? r
	                                                                     : PL_E_AGENT_TECH_KEY;
}

int techkey_prepare(const struct agent_config *c, struct techkey **out, char *err, size_t errlen)
{
	struct techkey *k;
	int r;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return PL_E_NOMEM;
	if ((r = load_cert(k, c->technician_cert, err, errlen)) != 0 ||
	    (r = get_pin(c, k->pin, sizeof(k->pin), &k->pin_len, err, errlen)) != 0) {
		techkey_close(k);
		return r;
	}
	*out = k;
	return 0;
}

int techkey_login(struct techkey *k, const struct agent_config *c, char *err, size_t errlen)
{
	int r = open_token(k, c, k->pin, k->pin_len, err, errlen);

	plt_wipe(k->pin, sizeof(k->pin));
	k->pin_len = 0;
	if (r != 0)
		return r;
	if (memcmp(p11_public_point(k->p11), k->point, sizeof(k->point)) != 0) {
		snprintf(err, errlen,
		         "the key %s is not the key of technician_cert %s (CN=%s); "
		         "fix agent.conf or use the technician's own card",
		         c->technician_key, c->technician_cert, k->id);
		return PL_E_AGENT_TECH_MISMATCH;
	}
	return 0;
}

int techkey_open(const struct agent_config *c, struct techkey **out, char *err, size_t errlen)
{
	struct techkey *k = NULL;
	int r;

	if ((r = techkey_prepare(c, &k, err, errlen)) != 0)
		return r;
	if ((r = techkey_login(k, c, err, errlen)) != 0) {
		techkey_close(k);
		return r;
	}
	*out = k;
	return 0;
}

int techkey_sign(struct techkey *k, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	uint8_t dig[32];
	unsigned long ckr = 0;
	int r;

	SHA256(msg, len, dig);
	r = p11_sign_digest(k->p11, dig, sig, &ckr);
	plt_wipe(dig, sizeof(dig));
	return r;
}

int techkey_sign1(struct techkey *k, const uint8_t *payload, size_t ylen, uint8_t *out, size_t cap,
                  size_t *len)
{
	return p11_cose_sign1(k->p11, k->der, k->der_len, payload, ylen, out, cap, len);
}

const uint8_t *techkey_cert_der(const struct techkey *k, size_t *len)
{
	*len = k->der_len;
	return k->der;
}

const char *techkey_id(const struct techkey *k)
{
	return k->id;
}

long long techkey_cert_seconds_left(const struct techkey *k)
{
	return k->seconds_left;
}

void techkey_close(struct techkey *k)
{
	if (k == NULL)
		return;
	p11_close(k->p11);
	OPENSSL_free(k->der);
	plt_wipe(k, sizeof(*k));
	free(k);
}
