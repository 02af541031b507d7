/* The privsep settings of broker.conf (its `user` key, see ps_config.c). */
#ifndef PITLANE_CONF_PS_CONFIG_H
#define PITLANE_CONF_PS_CONFIG_H

#include <stddef.h>

#include "config.h"

#define PS_USER_MAX 64

struct ps_config {
	char user[PS_USER_MAX]; /* unprivileged user when started as root ["pitlane"] */
	int user_set;           /* given in the file (else the default) */
};

/* The privsep part of a loaded broker.conf. */
void ps_config_from_broker(const struct broker_config *c, struct ps_config *pc);
/* broker_config_load() plus the privsep keys. */
int ps_config_load(const char *path, struct broker_config *c, struct ps_config *pc, char *err,
                   size_t errlen);

#endif
