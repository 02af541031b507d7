#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pitlane/token.h"
#include "pl_err.h"
#include "pl_file.h"

static int errno_to_err(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return PL_E_NOENT;
	case EACCES:
	case EPERM:
		return PL_E_PERM;
	default:
		return PL_E_IO;
	}
}

void pl_free_wiped(void *p, size_t len)
{
	if (p == NULL)
		return;
	plt_wipe(p, len);
	free(p);
}

/* Reads fd to EOF, at most max bytes, into a fresh NUL-terminated buffer. */
static int read_fd(int fd, size_t max, uint8_t **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	uint8_t *b = malloc(cap + 1);

	if (b == NULL)
		return PL_E_NOMEM;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				pl_free_wiped(b, cap + 1);
				return PL_E_TOOBIG;
			}
			size_t ncap = cap * 2;
			uint8_t *nb = malloc(ncap + 1);
			if (nb == NULL) {
				pl_free_wiped(b, cap + 1);
				return PL_E_NOMEM;
			}
			memcpy(nb, b, n);
			pl_free_wiped(b, cap + 1);
			b = nb;
			cap = ncap;
		}
		ssize_t got = read(fd, b + n, cap - n);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			pl_free_wiped(b, cap + 1);
			return PL_E_IO;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			pl_free_wiped(b, cap + 1);
			return PL_E_TOOBIG;
		}
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int pl_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	int fd, r;
	struct stat st;

	*buf = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		return read_fd(STDIN_FILENO, max, buf, len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno_to_err(errno);
	if (fstat(fd, &st) != 0) {
		close(fd);
		return PL_E_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return PL_E_NOT_REGULAR;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return PL_E_TOOBIG;
	}
	r = read_fd(fd, max, buf, len);
	close(fd);
	return r;
}

int pl_read_secret_file(const char *path, size_t max, char **buf, size_t *len)
{
	int fd, r;
	struct stat st;
	uint8_t *b = NULL;
	size_t n = 0;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ELOOP ? PL_E_SECRET_LINK : errno_to_err(errno);
	/* Check the descriptor we read from, not the name: no race with a rename. */
	if (fstat(fd, &st) != 0) {
		r = PL_E_IO;
		goto out;
	}
	if ((r = pl_file_secret_stat(&st)) != 0)
		goto out;
	if ((r = read_fd(fd, max, &b, &n)) != 0)
		goto out;
	while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r'))
		b[--n] = '\0';
	*buf = (char *)b;
	*len = n;
	r = 0;
out:
	close(fd);
	return r;
}

int pl_write_file(const char *path, const void *buf, size_t len, unsigned mode)
{
	char tmp[4096];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	const uint8_t *p = buf;

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return PL_E_NOSPACE;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return errno_to_err(errno);
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			unlink(tmp);
			return PL_E_IO;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		unlink(tmp);
		return PL_E_IO;
	}
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return errno_to_err(errno);
	}
	return 0;
}
