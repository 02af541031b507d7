#include <string.h>

#include "ecu_vehicle.h"
#include "pl_codec.h"
#include "pl_err.h"

void ecu_vehicle_init(struct ecu_vehicle *v)
{
	memset(v, 0, sizeof(*v));
	v->doors_locked = 1;
	v->ignition_on = 0;
	/* P0300 random misfire, U0100 lost communication with the ECM. */
	v->dtc[0] = 0x030000;
	v->dtc[1] = 0xC10000;
	v->ndtc = 2;
}

static const char dtc_letters[4] = {'P', 'C', 'B', 'U'};

int ecu_dtc_parse(const char *s, size_t len, uint32_t *dtc)
{
	uint32_t v = 0;
	int letter = -1;

	if (len != 5)
		return PL_E_SYNTAX;
	for (int i = 0; i < 4; i++)
		if (s[0] == dtc_letters[i])
			letter = i;
	if (letter < 0 || s[1] < '0' || s[1] > '3')
		return PL_E_SYNTAX;
	v = ((uint32_t)letter << 14) | ((uint32_t)(s[1] - '0') << 12);
	for (size_t i = 2; i < 5; i++) {
		int d = pl_hex_value(s[i], PL_HEX_UPPER);
		if (d < 0)
			return PL_E_SYNTAX;
		v |= (uint32_t)d << (4 * (4 - i));
	}
	*dtc = v << 8;
	return 0;
}

int ecu_dtc_format(uint32_t dtc, char out[6])
{
	uint32_t code = dtc >> 8;

	if (dtc > 0xFFFFFF || (dtc & 0xFF) != 0)
		return PL_E_RANGE;
	out[0] = dtc_letters[(code >> 14) & 3];
	out[1] = (char)('0' + ((code >> 12) & 3));
	out[2] = pl_hex_digit(code >> 8, PL_HEX_UPPER);
	out[3] = pl_hex_digit(code >> 4, PL_HEX_UPPER);
	out[4] = pl_hex_digit(code, PL_HEX_UPPER);
	out[5] = '\0';
	return 0;
}
