/*
 * The privsep settings of broker.conf. The `user` key is one of broker.conf's
 * keys (broker/conf/config.c); this only hands it to the process code.
 *
 *   user NAME    the unprivileged user the processes switch to when pitlaned
 *                is started as root [pitlane]
 */
#include <stdio.h>
#include <string.h>

#include "ps_config.h"

void ps_config_from_broker(const struct broker_config *c, struct ps_config *pc)
{
	memset(pc, 0, sizeof(*pc));
	snprintf(pc->user, sizeof(pc->user), "%s", c->user);
	pc->user_set = c->user_set;
}

int ps_config_load(const char *path, struct broker_config *c, struct ps_config *pc, char *err,
                   size_t errlen)
{
	struct broker_config tmp;
	int r;

	if ((r = broker_config_load(path, &tmp, err, errlen)) != 0)
		return r;
	ps_config_from_broker(&tmp, pc);
	*c = tmp;
	return 0;
}
