/*
 * Reading files with limits, and secret files with ownership/mode checks.
 */
#ifndef PITLANE_COMMON_FILE_H
#define PITLANE_COMMON_FILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads a whole regular file of at most max bytes into a new heap buffer
 * (NUL-terminated for convenience; *len excludes the NUL). "-" reads stdin.
 * Caller frees with pl_free_wiped(buf, len) or free().
 */
int pl_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);

/*
 * Reads a secret (PIN file, key) the same way, after checking with fstat on
 * the opened descriptor that it is a regular file owned by the effective user
 * (or root) and not accessible to group or others. Trailing newlines are
 * stripped. Errors: PL_E_NOENT, PL_E_PERM, PL_E_SECRET_MODE, PL_E_SECRET_OWNER,
 * PL_E_NOT_REGULAR, PL_E_TOOBIG, PL_E_IO.
 */
int pl_read_secret_file(const char *path, size_t max, char **buf, size_t *len);

/* Writes len bytes to path (mode applies when it is created); atomic rename. */
int pl_write_file(const char *path, const void *buf, size_t len, unsigned mode);

/* Wipes then frees (NULL is fine). */
void pl_free_wiped(void *p, size_t len);

#endif
