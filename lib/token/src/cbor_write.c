/*
 * The strict CBOR writer: definite lengths, shortest-form heads. Errors are
 * sticky: after the first failure every call is a no-op.
 */
#include <string.h>

#include "pitlane/token.h"

void plt_cbor_writer_init(struct plt_cbor_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf != NULL ? cap : 0;
	w->len = 0;
	w->err = 0;
}

static int writer_room(struct plt_cbor_writer *w, size_t n)
{
	if (w->err != 0)
		return 0;
	if (n > w->cap - w->len) {
		w->err = PLT_E_NOSPACE;
		return 0;
	}
	return 1;
}

static size_t head_len(uint64_t v)
{
	if (v < 24)
		return 1;
	if (v <= 0xffu)
		return 2;
	if (v <= 0xffffu)
		return 3;
	return v <= 0xffffffffu ? 5 : 9;
}

static void writer_head(struct plt_cbor_writer *w, unsigned major, uint64_t v)
{
	uint8_t h[9];
	size_t n, i;
	uint8_t mt = (uint8_t)(major << 5);

	if (v < 24) {
		h[0] = (uint8_t)(mt | v);
		n = 1;
	} else if (v <= 0xffu) {
		h[0] = (uint8_t)(mt | 24);
		n = 2;
	} else if (v <= 0xffffu) {
		h[0] = (uint8_t)(mt | 25);
		n = 3;
	} else if (v <= 0xffffffffu) {
		h[0] = (uint8_t)(mt | 26);
		n = 5;
	} else {
		h[0] = (uint8_t)(mt | 27);
		n = 9;
	}
	for (i = n - 1; i >= 1 && n > 1; i--) {
		h[i] = (uint8_t)(v & 0xffu);
		v >>= 8;
	}
	if (!writer_room(w, n))
		return;
	memcpy(w->buf + w->len, h, n);
	w->len += n;
}

void plt_cbor_put_uint(struct plt_cbor_writer *w, uint64_t v)
{
	writer_head(w, 0, v);
}

void plt_cbor_put_int(struct plt_cbor_writer *w, int64_t v)
{
	if (v >= 0)
		writer_head(w, 0, (uint64_t)v);
	else
		writer_head(w, 1, (uint64_t)(-(v + 1)));
}

static void writer_string(struct plt_cbor_writer *w, unsigned major, const void *p, size_t len)
{
	if (p == NULL && len != 0) {
		if (w->err == 0)
			w->err = PLT_E_INVAL;
		return;
	}
	/* Room for head and contents first, so a failed call writes nothing. */
	if (len > SIZE_MAX - 9 || !writer_room(w, head_len((uint64_t)len) + len))
		return;
	writer_head(w, major, (uint64_t)len);
	if (len == 0 || !writer_room(w, len))
		return;
	memcpy(w->buf + w->len, p, len);
	w->len += len;
}

void plt_cbor_put_bstr(struct plt_cbor_writer *w, const void *p, size_t len)
{
	writer_string(w, 2, p, len);
}

void plt_cbor_put_tstr(struct plt_cbor_writer *w, const char *p, size_t len)
{
	writer_string(w, 3, p, len);
}

void plt_cbor_put_cstr(struct plt_cbor_writer *w, const char *s)
{
	if (s == NULL) {
		if (w->err == 0)
			w->err = PLT_E_INVAL;
		return;
	}
	writer_string(w, 3, s, strlen(s));
}

void plt_cbor_put_array(struct plt_cbor_writer *w, size_t n)
{
	writer_head(w, 4, (uint64_t)n);
}

void plt_cbor_put_map(struct plt_cbor_writer *w, size_t n)
{
	writer_head(w, 5, (uint64_t)n);
}

void plt_cbor_put_tag(struct plt_cbor_writer *w, uint64_t tag)
{
	writer_head(w, 6, tag);
}

void plt_cbor_put_bool(struct plt_cbor_writer *w, int v)
{
	writer_head(w, 7, v ? 21u : 20u);
}

void plt_cbor_put_null(struct plt_cbor_writer *w)
{
	writer_head(w, 7, 22u);
}

void plt_cbor_put_raw(struct plt_cbor_writer *w, const void *p, size_t len)
{
	if (p == NULL && len != 0) {
		if (w->err == 0)
			w->err = PLT_E_INVAL;
		return;
	}
	if (len == 0 || !writer_room(w, len))
		return;
	memcpy(w->buf + w->len, p, len);
	w->len += len;
}

int plt_cbor_writer_finish(const struct plt_cbor_writer *w, size_t *len)
{
	if (w->err != 0)
		return w->err;
	if (len != NULL)
		*len = w->len;
	return 0;
}
