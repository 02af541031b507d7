/* The vehicle connection (see car.h). */
#include <string.h>

#include "can_transport.h"
#include "car.h"
#include "isotp.h"
#include "uds_client.h"

int car_open(const char *uri, uint32_t tester_id, uint32_t ecu_id, struct car *car)
{
	struct can_filter_ids ids = {.ids = {ecu_id}, .n = 1};
	struct isotp_config ic;
	struct uds_client_config uc;
	struct car c = {0};
	int r;

	if ((r = can_transport_open(uri, &ids, &c.tr)) != 0)
		return r;
	isotp_config_default(&ic, tester_id, ecu_id);
	uds_client_config_default(&uc);
	uc.adopt_server_timing = 1;
	if ((r = isotp_open(c.tr, &ic, &c.tp)) != 0 ||
	    (r = uds_client_open(c.tp, &uc, &c.uc)) != 0) {
		car_close(&c);
		return r;
	}
	*car = c;
	return 0;
}

void car_close(struct car *car)
{
	uds_client_free(car->uc);
	isotp_free(car->tp);
	can_transport_close(car->tr);
	memset(car, 0, sizeof(*car));
}
