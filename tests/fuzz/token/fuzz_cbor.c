/*
 * libFuzzer target for the strict CBOR codec (plt_cbor_*), which the broker
 * and agent also use for their wire messages. Property: whatever the reader
 * accepts as one whole item is canonical, so walking it with the typed
 * getters and writing every item back with the writer reproduces the input
 * byte for byte. And the walk and plt_cbor_skip agree on acceptance.
 */
#include <stdint.h>
#include <string.h>

#include "pitlane/token.h"

static void must(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* Copies one item from r to w; 1 when copied, 0 when the reader refused it,
 * -1 when it holds something the typed API cannot express (nint < INT64_MIN,
 * undefined). */
static int walk(struct plt_cbor_reader *r, struct plt_cbor_writer *w)
{
	uint64_t todo[PLT_CBOR_MAX_DEPTH + 2];
	size_t depth = 1;

	todo[0] = 1;
	while (depth > 0) {
		struct plt_bytes b;
		uint64_t u = 0;
		int64_t i = 0;
		size_t n = 0;
		int t, v = 0;

		if (todo[depth - 1] == 0) {
			depth--;
			continue;
		}
		todo[depth - 1]--;
		t = plt_cbor_peek(r);
		switch (t) {
		case PLT_CBOR_UINT:
			if (plt_cbor_get_uint(r, &u) != 0)
				return 0;
			plt_cbor_put_uint(w, u);
			break;
		case PLT_CBOR_NINT:
			if (plt_cbor_get_int(r, &i) != 0)
				return r->err == PLT_E_CBOR_RANGE ? -1 : 0;
			plt_cbor_put_int(w, i);
			break;
		case PLT_CBOR_BSTR:
			if (plt_cbor_get_bstr(r, &b) != 0)
				return 0;
			plt_cbor_put_bstr(w, b.ptr, b.len);
			break;
		case PLT_CBOR_TSTR:
			if (plt_cbor_get_tstr(r, &b) != 0)
				return 0;
			plt_cbor_put_tstr(w, (const char *)b.ptr, b.len);
			break;
		case PLT_CBOR_ARRAY:
		case PLT_CBOR_MAP:
			if ((t == PLT_CBOR_ARRAY ? plt_cbor_get_array(r, &n)
			                         : plt_cbor_get_map(r, &n)) != 0)
				return 0;
			if (t == PLT_CBOR_ARRAY)
				plt_cbor_put_array(w, n);
			else
				plt_cbor_put_map(w, n);
			if (n == 0)
				break;
			if (depth > PLT_CBOR_MAX_DEPTH)
				return 0; /* skip refuses this depth too */
			todo[depth++] = t == PLT_CBOR_MAP ? 2 * (uint64_t)n : n;
			break;
		case PLT_CBOR_TAG:
			if (plt_cbor_get_tag(r, &u) != 0)
				return 0;
			plt_cbor_put_tag(w, u);
			todo[depth - 1]++;
			break;
		case PLT_CBOR_SIMPLE:
			if (r->buf[r->off] == 0xf6) {
				if (plt_cbor_get_null(r) != 0)
					return 0;
				plt_cbor_put_null(w);
			} else if (r->buf[r->off] == 0xf7) {
				return -1;
			} else {
				if (plt_cbor_get_bool(r, &v) != 0)
					return 0;
				plt_cbor_put_bool(w, v);
			}
			break;
		default:
			return 0;
		}
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 16];
	struct plt_cbor_reader r, s;
	struct plt_cbor_writer w;
	size_t len = 0;
	int ok, skipped;

	if (size > sizeof(out))
		return 0;
	plt_cbor_reader_init(&s, data, size);
	skipped = plt_cbor_skip(&s) == 0;
	plt_cbor_reader_init(&r, data, size);
	plt_cbor_writer_init(&w, out, sizeof(out));
	ok = walk(&r, &w);
	if (ok < 0)
		return 0;
	/* the typed walk and skip accept the same items and stop at the same place */
	must(ok == skipped);
	if (!ok)
		return 0;
	must(r.off == s.off);
	must(plt_cbor_writer_finish(&w, &len) == 0);
	must(len == r.off && memcmp(out, data, len) == 0);
	return 0;
}
