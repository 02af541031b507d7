/*
 * Bounded byte reader and writer. Every byte from outside goes through a
 * reader that refuses to read past the end; pl_rbuf_end() rejects trailing
 * bytes. Errors are sticky: after the first failure every call fails with the
 * same code and reads as zero, so a parser can check once at the end.
 */
#ifndef PITLANE_COMMON_BUF_H
#define PITLANE_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

struct pl_rbuf {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err;
};

void pl_rbuf_init(struct pl_rbuf *r, const void *p, size_t len);
int pl_rbuf_u8(struct pl_rbuf *r, uint8_t *v);
int pl_rbuf_u16be(struct pl_rbuf *r, uint16_t *v);
int pl_rbuf_u32be(struct pl_rbuf *r, uint32_t *v);
/* Points *v at the next n bytes (no copy). */
int pl_rbuf_bytes(struct pl_rbuf *r, size_t n, const uint8_t **v);
int pl_rbuf_copy(struct pl_rbuf *r, void *dst, size_t n);
size_t pl_rbuf_left(const struct pl_rbuf *r);
/* 0 when everything was consumed without error; PL_E_TRAILING or the sticky error. */
int pl_rbuf_end(const struct pl_rbuf *r);

struct pl_wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	int err;
};

void pl_wbuf_init(struct pl_wbuf *w, void *p, size_t cap);
int pl_wbuf_u8(struct pl_wbuf *w, uint8_t v);
int pl_wbuf_u16be(struct pl_wbuf *w, uint16_t v);
int pl_wbuf_u32be(struct pl_wbuf *w, uint32_t v);
int pl_wbuf_bytes(struct pl_wbuf *w, const void *src, size_t n);
/* 0 or the sticky error (PL_E_NOSPACE). */
int pl_wbuf_finish(const struct pl_wbuf *w, size_t *len);

#endif
