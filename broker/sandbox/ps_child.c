/* Helpers of the child processes (signer, decider, front end). */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_log.h"
#include "ps_child.h"

void ps_child_fail(const char *msg, int err)
{
	pl_log_err("startup_failed", err, "msg", msg, NULL);
	_exit(1);
}

int ps_child_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int ps_drop_early(const struct ps_config *pc)
{
	return geteuid() != 0 || getpwnam(pc->user) == NULL;
}

int ps_ctl_ready(struct ps_chan *ctl, enum ps_role self)
{
	struct ps_role_msg m = {.role = self};

	return ps_send(ctl, PS_CM_READY, 0, &m, sizeof(m), NULL, 0);
}

int ps_ctl_peer_bad(struct ps_chan *ctl, enum ps_role peer)
{
	struct ps_role_msg m = {.role = peer};

	return ps_send(ctl, PS_CM_PEER_BAD, 0, &m, sizeof(m), NULL, 0);
}

uint8_t *ps_read_fd(int fd, size_t max, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	uint8_t *buf = malloc(cap), *nb;
	ssize_t k;

	while (buf != NULL) {
		if (n == cap) {
			if (cap >= max || (nb = realloc(buf, cap * 2)) == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		if ((k = read(fd, buf + n, cap - n)) < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		if (k == 0) {
			*len = n;
			return buf;
		}
		n += (size_t)k;
	}
	free(buf);
	return NULL;
}
