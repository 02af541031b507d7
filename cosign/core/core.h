/*
 * The core of pitlane-cosignd: the parent process. It holds the PKCS#11
 * session (hsm.c) and the checker (cosign/check/, its SQLite file), builds
 * the TLS context and binds the listeners, then forks the network child
 * (cosign/net/) and restarts it when it dies; its own state (the HSM login,
 * the checker, the counters) survives. Requests arrive as the bytes the
 * network child received; the core checks, signs and answers (serve.c).
 */
#ifndef PITLANE_COSIGN_CORE_H
#define PITLANE_COSIGN_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "cosign_conf.h"
#include "cs_msg.h"
#include "hsm.h"
#include "metrics.h"

struct cosign_checker;

struct core {
	struct cosign_conf cfg;
	struct cosign_hsm *hsm;
	struct cosign_checker *checker;
	SSL_CTX *ssl_ctx;
	int api_fd, admin_fd; /* bound listeners, handed to every network child */
	int net_fd;           /* the core's end of the channel, -1 while no child */
	pid_t net_pid;
	uint64_t net_started_ms, net_restart_at_ms;
	uint32_t net_backoff_ms;
	int net_ready_once; /* READY sent */
	int notify_fd;      /* -d absent: the foreground parent's pipe, until READY */
	int sigfd;
	uint64_t status_seq;
	int hsm_ok, audit_ok; /* the last probes (every tick, not per request) */
	struct core_metrics m;
};

enum core_mode {
	CORE_SERVE,  /* everything, and the listeners */
	CORE_TEST,   /* -n: everything but the listeners */
	CORE_PUBKEY, /* --print-pubkey: the HSM key only */
};

/*
 * Opens what the core holds: file checks, TLS context, HSM key, checker,
 * listeners (in that order; mode says how far). err says what failed.
 */
int core_open(const struct cosign_conf *c, enum core_mode mode, struct core **out, char *err,
              size_t errlen);
void core_close(struct core *c);

/*
 * Remembers how to start the network child: this program (opened now, for
 * fexecve), the configuration path and -v. Call once at start.
 */
int core_set_exec(const char *conf_path, int verbose);

/* Serves until SIGTERM/SIGINT; notify_fd (or -1) gets 'R' once serving. Returns the exit code. */
int core_run(struct core *c, int notify_fd);

/* One request from the network child: check, sign, answer (serve.c). */
void core_serve(struct core *c, uint64_t id, const struct cs_request *rq, const uint8_t *body,
                size_t len);
/*
 * The status and metrics text, pushed to the network child (serve.c). probe:
 * ask the HSM and the audit store again (the tick); else the last answers
 * with the counters the requests just changed.
 */
void core_push_status(struct core *c, int probe);

/* Binds host:port (what: "api" / "admin" for the log); the descriptor, or a negative code. */
int core_bind(const char *host, uint16_t port, const char *what, char *err, size_t errlen);

/* systemd's readiness message (sd_notify(3) READY=1), when NOTIFY_SOCKET is set. */
void core_sd_notify(const char *state);

#endif
