/* What the core opens and gives up before it serves (core.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core.h"
#include "cosign_check.h"
#include "net.h"
#include "pl_err.h"
#include "pl_err_cosign.h"
#include "pl_log.h"

int core_open(const struct cosign_conf *cfg, int listen, struct core **out, char *err,
              size_t errlen)
{
	struct core *c;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PL_E_NOMEM;
	c->cfg = *cfg;
	c->api_fd = c->admin_fd = c->net_fd = c->sigfd = -1;
	if ((r = net_tls_ctx(cfg, &c->ssl_ctx, err, errlen)) != 0)
		goto out;
	if ((r = cosign_hsm_open(cfg, &c->hsm, err, errlen)) != 0)
		goto out;
	if ((r = cosign_checker_open_err(cfg, &c->checker, err, errlen)) != 0)
		goto out;
	if (listen &&
	    (r = c->api_fd = core_bind(cfg->listen_host, cfg->listen_port, "api", err, errlen)) < 0)
		goto out;
	if (listen && cfg->admin_enabled &&
	    (r = c->admin_fd = core_bind(cfg->admin_host, cfg->admin_port, "admin", err, errlen)) <
	        0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	core_close(c);
	return r;
}

void core_close(struct core *c)
{
	if (c == NULL)
		return;
	cosign_checker_free(c->checker);
	cosign_hsm_close(c->hsm);
	SSL_CTX_free(c->ssl_ctx);
	if (c->api_fd >= 0)
		close(c->api_fd);
	if (c->admin_fd >= 0)
		close(c->admin_fd);
	if (c->net_fd >= 0)
		close(c->net_fd);
	if (c->sigfd >= 0)
		close(c->sigfd);
	free(c);
}
