/*
 * The strict CBOR reader: definite lengths only, shortest-form heads only, no
 * floats, valid UTF-8 in text strings, nesting limited and walked without
 * recursion. Errors are sticky; r->off stays at the start of the bad item.
 */
#include "pitlane/token.h"

struct cbor_head {
	unsigned major;
	uint64_t val; /* argument: value, length, count, tag or simple value */
	size_t hlen;  /* bytes of the head */
};

static int reader_fail(struct plt_cbor_reader *r, int err)
{
	if (r->err == 0)
		r->err = err;
	return r->err;
}

/* Decodes the head at r->off without consuming it. */
static int head_peek(const struct plt_cbor_reader *r, struct cbor_head *h)
{
	const uint8_t *p;
	size_t avail, n, i;
	unsigned ai;
	uint64_t v;

	if (r->err != 0)
		return r->err;
	if (r->off >= r->len)
		return PLT_E_TRUNCATED;
	p = r->buf + r->off;
	avail = r->len - r->off;
	h->major = p[0] >> 5;
	ai = p[0] & 0x1fu;
	if (ai < 24) {
		h->val = ai;
		h->hlen = 1;
		return 0;
	}
	if (ai == 31)
		return PLT_E_CBOR_INDEFINITE;
	if (ai > 27)
		return PLT_E_CBOR_RESERVED;
	if (h->major == 7 && ai > 24)
		return PLT_E_CBOR_SIMPLE; /* half, single, double floats */
	n = (size_t)1 << (ai - 24);
	if (avail < 1 + n)
		return PLT_E_TRUNCATED;
	v = 0;
	for (i = 0; i < n; i++)
		v = (v << 8) | p[1 + i];
	/* Shortest form: each width must be needed. Simple values 0..31 are one byte. */
	if ((n == 1 && v < 24) || (n == 2 && v <= 0xffu) || (n == 4 && v <= 0xffffu) ||
	    (n == 8 && v <= 0xffffffffu))
		return h->major == 7 ? PLT_E_CBOR_SIMPLE : PLT_E_CBOR_NONMINIMAL;
	h->val = v;
	h->hlen = 1 + n;
	return 0;
}

/* Reads a head of the given major type and consumes it. */
static int head_get(struct plt_cbor_reader *r, unsigned major, struct cbor_head *h)
{
	int e = head_peek(r, h);

	if (e != 0)
		return reader_fail(r, e);
	if (h->major != major)
		return reader_fail(r, PLT_E_CBOR_TYPE);
	return 0;
}

static int utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n, k;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0u) == 0xc0u) {
			n = 1;
			cp = c & 0x1fu;
			min = 0x80;
		} else if ((c & 0xf0u) == 0xe0u) {
			n = 2;
			cp = c & 0x0fu;
			min = 0x800;
		} else if ((c & 0xf8u) == 0xf0u) {
			n = 3;
			cp = c & 0x07u;
			min = 0x10000;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0u) != 0x80u)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffffu || (cp >= 0xd800u && cp <= 0xdfffu))
			return 0;
		i += n + 1;
	}
	return 1;
}

void plt_cbor_reader_init(struct plt_cbor_reader *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = buf != NULL ? len : 0;
	r->off = 0;
	r->err = 0;
}

int plt_cbor_peek(const struct plt_cbor_reader *r)
{
	struct cbor_head h;
	int e = head_peek(r, &h);

	return e != 0 ? e : (int)h.major;
}

int plt_cbor_get_uint(struct plt_cbor_reader *r, uint64_t *v)
{
	struct cbor_head h;
	int e = head_get(r, 0, &h);

	if (e != 0)
		return e;
	r->off += h.hlen;
	*v = h.val;
	return 0;
}

int plt_cbor_get_int(struct plt_cbor_reader *r, int64_t *v)
{
	struct cbor_head h;
	int e = head_peek(r, &h);

	if (e != 0)
		return reader_fail(r, e);
	if (h.major > 1)
		return reader_fail(r, PLT_E_CBOR_TYPE);
	if (h.val > (uint64_t)INT64_MAX)
		return reader_fail(r, PLT_E_CBOR_RANGE);
	r->off += h.hlen;
	*v = h.major == 0 ? (int64_t)h.val : -1 - (int64_t)h.val;
	return 0;
}

static int get_string(struct plt_cbor_reader *r, unsigned major, struct plt_bytes *v)
{
	struct cbor_head h;
	int e = head_get(r, major, &h);
	const uint8_t *p;

	if (e != 0)
		return e;
	if (h.val > (uint64_t)(r->len - r->off - h.hlen))
		return reader_fail(r, PLT_E_TRUNCATED);
	p = r->buf + r->off + h.hlen;
	if (major == 3 && !utf8_valid(p, (size_t)h.val))
		return reader_fail(r, PLT_E_CBOR_UTF8);
	r->off += h.hlen + (size_t)h.val;
	v->ptr = p;
	v->len = (size_t)h.val;
	return 0;
}

int plt_cbor_get_bstr(struct plt_cbor_reader *r, struct plt_bytes *v)
{
	return get_string(r, 2, v);
}

int plt_cbor_get_tstr(struct plt_cbor_reader *r, struct plt_bytes *v)
{
	return get_string(r, 3, v);
}

/* Array and map counts are bounded by the bytes left (each item takes >= 1). */
static int get_count(struct plt_cbor_reader *r, unsigned major, size_t *n)
{
	struct cbor_head h;
	int e = head_get(r, major, &h);
	uint64_t left;

	if (e != 0)
		return e;
	left = (uint64_t)(r->len - r->off - h.hlen);
	if (h.val > left || (major == 5 && h.val > left / 2))
		return reader_fail(r, PLT_E_TRUNCATED);
	r->off += h.hlen;
	*n = (size_t)h.val;
	return 0;
}

int plt_cbor_get_array(struct plt_cbor_reader *r, size_t *n)
{
	return get_count(r, 4, n);
}

int plt_cbor_get_map(struct plt_cbor_reader *r, size_t *n)
{
	return get_count(r, 5, n);
}

int plt_cbor_get_tag(struct plt_cbor_reader *r, uint64_t *tag)
{
	struct cbor_head h;
	int e = head_get(r, 6, &h);

	if (e != 0)
		return e;
	r->off += h.hlen;
	*tag = h.val;
	return 0;
}

static int get_simple(struct plt_cbor_reader *r, uint64_t *sv)
{
	struct cbor_head h;
	int e = head_get(r, 7, &h);

	if (e != 0)
		return e;
	*sv = h.val;
	return 0;
}

int plt_cbor_get_bool(struct plt_cbor_reader *r, int *v)
{
	uint64_t sv = 0;
	int e = get_simple(r, &sv);

	if (e != 0)
		return e;
	if (sv != 20 && sv != 21)
		return reader_fail(r, PLT_E_CBOR_TYPE);
	r->off += 1;
	*v = sv == 21;
	return 0;
}

int plt_cbor_get_null(struct plt_cbor_reader *r)
{
	uint64_t sv = 0;
	int e = get_simple(r, &sv);

	if (e != 0)
		return e;
	if (sv != 22)
		return reader_fail(r, PLT_E_CBOR_TYPE);
	r->off += 1;
	return 0;
}

/*
 * Skips one item with an explicit stack of "items still to read" per level.
 * Only false, true, null and undefined are accepted as simple values.
 */
int plt_cbor_skip(struct plt_cbor_reader *r)
{
	uint64_t pending[PLT_CBOR_MAX_DEPTH + 1];
	size_t depth = 1;
	struct cbor_head h;
	int e;

	if (r->err != 0)
		return r->err;
	pending[0] = 1;
	while (depth > 0) {
		uint64_t left;

		if (pending[depth - 1] == 0) {
			depth--;
			continue;
		}
		pending[depth - 1]--;
		e = head_peek(r, &h);
		if (e != 0)
			goto fail;
		left = (uint64_t)(r->len - r->off - h.hlen);
		switch (h.major) {
		case 0:
		case 1:
			break;
		case 2:
		case 3:
			if (h.val > left) {
				e = PLT_E_TRUNCATED;
				goto fail;
			}
			if (h.major == 3 && !utf8_valid(r->buf + r->off + h.hlen, (size_t)h.val)) {
				e = PLT_E_CBOR_UTF8;
				goto fail;
			}
			r->off += (size_t)h.val;
			break;
		case 4:
		case 5:
			if (h.val > left || (h.major == 5 && h.val > left / 2)) {
				e = PLT_E_TRUNCATED;
				goto fail;
			}
			if (h.val == 0)
				break;
			if (depth > PLT_CBOR_MAX_DEPTH) {
				e = PLT_E_CBOR_DEPTH;
				goto fail;
			}
			pending[depth++] = h.major == 5 ? 2 * h.val : h.val;
			break;
		case 6:
			pending[depth - 1]++; /* the tagged item follows on the same level */
			break;
		default:
			if (h.val < 20 || h.val > 23) {
				e = PLT_E_CBOR_SIMPLE;
				goto fail;
			}
			break;
		}
		r->off += h.hlen;
	}
	return 0;
fail:
	/* r->off is at the offending item; the error is sticky from here. */
	r->err = e;
	return e;
}

int plt_cbor_end(const struct plt_cbor_reader *r)
{
	if (r->err != 0)
		return r->err;
	return r->off == r->len ? 0 : PLT_E_TRAILING;
}
