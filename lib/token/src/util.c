/* Helpers every program shares: wipe, constant-time compare, VIN check. */
#include <string.h>

#include "pitlane/token.h"

void plt_wipe(void *p, size_t len)
{
	volatile uint8_t *v = (volatile uint8_t *)p;
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < len; i++)
		v[i] = 0;
#if defined(__GNUC__)
	/* Tell the compiler the zeroed memory is observed. */
	__asm__ __volatile__("" : : "r"(p) : "memory");
#endif
}

int plt_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = (const volatile uint8_t *)a;
	const volatile uint8_t *y = (const volatile uint8_t *)b;
	unsigned d = 0;
	size_t i;

	for (i = 0; i < len; i++)
		d |= (unsigned)(x[i] ^ y[i]);
	/* 1 when d == 0, without a data-dependent branch. */
	return (int)(1u & ((d - 1u) >> 8));
}

int plt_vin_valid(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len != PLT_VIN_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			continue;
		if (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q')
			continue;
		return 0;
	}
	return 1;
}
