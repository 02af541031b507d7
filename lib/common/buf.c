#include <string.h>

#include "pl_buf.h"
#include "pl_err.h"

void pl_rbuf_init(struct pl_rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->len = p ? len : 0;
	r->off = 0;
	r->err = 0;
}

/* Reserves n bytes; returns a pointer to them or NULL (sticky error). */
static const uint8_t *rbuf_take(struct pl_rbuf *r, size_t n)
{
	if (r->err != 0)
		return NULL;
	if (n > r->len - r->off) {
		r->err = PL_E_TRUNCATED;
		return NULL;
	}
	const uint8_t *q = r->p + r->off;
	r->off += n;
	return q;
}

int pl_rbuf_u8(struct pl_rbuf *r, uint8_t *v)
{
	const uint8_t *q = rbuf_take(r, 1);
	*v = q ? q[0] : 0;
	return r->err;
}

int pl_rbuf_u16be(struct pl_rbuf *r, uint16_t *v)
{
	const uint8_t *q = rbuf_take(r, 2);
	*v = q ? (uint16_t)((q[0] << 8) | q[1]) : 0;
	return r->err;
}

int pl_rbuf_u32be(struct pl_rbuf *r, uint32_t *v)
{
	const uint8_t *q = rbuf_take(r, 4);
	*v = q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3] : 0;
	return r->err;
}

int pl_rbuf_bytes(struct pl_rbuf *r, size_t n, const uint8_t **v)
{
	*v = rbuf_take(r, n);
	return r->err;
}

int pl_rbuf_copy(struct pl_rbuf *r, void *dst, size_t n)
{
	const uint8_t *q = rbuf_take(r, n);
	if (q != NULL && n > 0)
		memcpy(dst, q, n);
	return r->err;
}

size_t pl_rbuf_left(const struct pl_rbuf *r)
{
	return r->err ? 0 : r->len - r->off;
}

int pl_rbuf_end(const struct pl_rbuf *r)
{
	if (r->err != 0)
		return r->err;
	return r->off == r->len ? 0 : PL_E_TRAILING;
}

void pl_wbuf_init(struct pl_wbuf *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = p ? cap : 0;
	w->len = 0;
	w->err = 0;
}

int pl_wbuf_bytes(struct pl_wbuf *w, const void *src, size_t n)
{
	if (w->err != 0)
		return w->err;
	if (n > w->cap - w->len) {
		w->err = PL_E_NOSPACE;
		return w->err;
	}
	if (n > 0)
		memcpy(w->p + w->len, src, n);
	w->len += n;
	return 0;
}

int pl_wbuf_u8(struct pl_wbuf *w, uint8_t v)
{
	return pl_wbuf_bytes(w, &v, 1);
}

int pl_wbuf_u16be(struct pl_wbuf *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return pl_wbuf_bytes(w, b, sizeof(b));
}

int pl_wbuf_u32be(struct pl_wbuf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return pl_wbuf_bytes(w, b, sizeof(b));
}

int pl_wbuf_finish(const struct pl_wbuf *w, size_t *len)
{
	*len = w->err ? 0 : w->len;
	return w->err;
}
