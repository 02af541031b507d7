/*
 * The vehicle connection of a command: a CAN transport (socketcan:IFACE or
 * loop:NAME), ISO-TP with the tester/ECU ids and lib/can's UDS client.
 */
#ifndef PITLANE_AGENT_CAR_H
#define PITLANE_AGENT_CAR_H

#include <stdint.h>

struct uds_client;

struct car {
	struct can_transport *tr;
	struct isotp *tp;
	struct uds_client *uc;
};

/* PL_E_CAN_* / PL_E_ISOTP_* codes; car is written only on success. */
int car_open(const char *uri, uint32_t tester_id, uint32_t ecu_id, struct car *car);
void car_close(struct car *car);

#endif
