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
#include "pl_file.h"
#include "pl_log.h"

/*
 * The files of the core and the network process that decide what they trust
 * (lib/common pl_file_check; the checks test their own): secrets owner-only and
 * not links, certificates not writable by others, nor any directory above.
 */
static int files_check(const struct cosign_conf *c, char *err, size_t errlen)
{
	const struct {
		const char *key, *path;
		enum pl_file_role role;
	} f[] = {
	    {"tls_key", c->tls_key, PL_FILE_SECRET},
	    {"pin_file", c->pin_file, PL_FILE_SECRET},
	    {"tls_cert", c->tls_cert, PL_FILE_AUTHORITY},
	    {"client_ca", c->client_ca, PL_FILE_AUTHORITY},
	};
	struct pl_file_problem p;
	int r;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if ((r = pl_file_check(f[i].path, f[i].role, PL_FILE_NO_UID, &p)) != 0) {
			snprintf(err, errlen, "%s %s: %s %s; fix: %s", f[i].key, f[i].path, p.path,
			         p.what, p.fix);
			return r;
		}
	}
	return 0;
}

int core_open(const struct cosign_conf *cfg, enum core_mode mode, struct core **out, char *err,
              size_t errlen)
{
	struct core *c;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PL_E_NOMEM;
	c->cfg = *cfg;
	c->api_fd = c->admin_fd = c->net_fd = c->sigfd = c->notify_fd = -1;
	if (mode == CORE_PUBKEY) {
		/* The key ceremony prints the key before the rest of the configuration exists. */
		r = cosign_hsm_open(cfg, &c->hsm, err, errlen);
		goto done;
	}
	if ((r = files_check(cfg, err, errlen)) != 0)
		goto out;
	if ((r = net_tls_ctx(cfg, &c->ssl_ctx, err, errlen)) != 0)
		goto out;
	if ((r = cosign_hsm_open(cfg, &c->hsm, err, errlen)) != 0)
		goto out;
	if ((r = cosign_checker_open_err(cfg, &c->checker, err, errlen)) != 0)
		goto out;
	if (mode == CORE_SERVE &&
	    (r = c->api_fd = core_bind(cfg->listen_host, cfg->listen_port, "api", err, errlen)) < 0)
		goto out;
	if (mode == CORE_SERVE && cfg->admin_enabled &&
	    (r = c->admin_fd = core_bind(cfg->admin_host, cfg->admin_port, "admin", err, errlen)) <
	        0)
		goto out;
	r = 0;
done:
	if (r != 0)
		goto out;
	*out = c;
	c = NULL;
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
