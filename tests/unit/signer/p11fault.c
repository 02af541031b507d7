/*
 * p11fault: the one allowed kind of mock in the signer tests. A PKCS#11
 * module that forwards every call to the real SoftHSM2 module and, on command,
 * makes C_SignInit fail with a chosen CKR_* value or makes C_Sign return a
 * corrupted signature. It produces faults a real SoftHSM2 cannot be made to
 * produce on demand (CKR_DEVICE_REMOVED, CKR_DEVICE_ERROR, ...).
 *
 * Control: the environment variable PITLANE_P11FAULT_FILE names a file read
 * before every signature: absent or empty = pass through; "corrupt" = flip a
 * bit of the signature; otherwise a CKR value in hex (e.g. 0x32). The real
 * module is PITLANE_P11FAULT_TARGET (default: SoftHSM2's multiarch path).
 * If PITLANE_P11FAULT_LOGINS names a file, every C_Login appends a line to it.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define DEFAULT_TARGET "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CK_FUNCTION_LIST wrapped;
static CK_FUNCTION_LIST_PTR real;

/* 0 = pass, 1 = corrupt, else *rv = the CKR to return. */
static int fault_mode(CK_RV *rv)
{
	const char *path = getenv("PITLANE_P11FAULT_FILE");
	char buf[32];
	ssize_t n;
	char *end;
	int fd;

	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (strncmp(buf, "corrupt", 7) == 0)
		return 1;
	*rv = strtoul(buf, &end, 16);
	return end != buf && *rv != CKR_OK ? 2 : 0;
}

static CK_RV w_sign_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	CK_RV rv = CKR_OK;

	if (fault_mode(&rv) == 2)
		return rv;
	return real->C_SignInit(h, m, k);
}

static CK_RV w_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR s,
		    CK_ULONG_PTR sl)
{
	CK_RV rv = CKR_OK;
	int mode = fault_mode(&rv);

	rv = real->C_Sign(h, d, dl, s, sl);
	if (rv == CKR_OK && mode == 1 && s != NULL && *sl > 0)
		s[*sl / 2] ^= 0x01;
	return rv;
}

static CK_RV w_login(CK_SESSION_HANDLE h, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	const char *path = getenv("PITLANE_P11FAULT_LOGINS");
	ssize_t w;
	int fd;

	if (path != NULL &&
	    (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) >= 0) {
		w = write(fd, "login\n", 6); /* a short write shows as a wrong count */
		(void)w;
		close(fd);
	}
	return real->C_Login(h, u, pin, len);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	const char *target = getenv("PITLANE_P11FAULT_TARGET");
	CK_C_GetFunctionList gfl;
	CK_RV rv = CKR_OK;
	void *h;

	pthread_mutex_lock(&lock);
	if (real == NULL) {
		h = dlopen(target != NULL ? target : DEFAULT_TARGET, RTLD_NOW | RTLD_LOCAL);
		gfl = h != NULL ? (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList") : NULL;
		if (gfl == NULL || (rv = gfl(&real)) != CKR_OK) {
			real = NULL;
			rv = rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
			goto out;
		}
		wrapped = *real;
		wrapped.C_SignInit = w_sign_init;
		wrapped.C_Sign = w_sign;
		wrapped.C_Login = w_login;
	}
	*list = &wrapped;
out:
	pthread_mutex_unlock(&lock);
	return rv;
}
