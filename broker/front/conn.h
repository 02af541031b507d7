/*
 * The front end's connection guard (docs/broker.md, "Connections"): what an
 * anonymous client can hold and for how long.
 *
 *   - caps: max_connections API connections at once, max_connections_per_address
 *     of them from one IPv4 address or IPv6 /64; a connection over a cap is
 *     closed right after accept, before the TLS handshake
 *   - absolute deadlines (a trickle of bytes does not extend them): the TLS
 *     handshake within tls_handshake_timeout_s of accept; each whole request
 *     within request_timeout_s of accept or of the previous reply
 *   - connection_max_age_s: no request starts on an older connection
 *   - a CRL reload verifies every connection's peer again; a revoked one is
 *     closed (at once, or right after the reply in flight)
 *   - RLIMIT_NOFILE raised for max_connections plus a reserve for the admin
 *     listener and the decider channels; accepts pause (back-off) on EMFILE
 *   - refusals, deadlines and accept errors are logged with pl_log_rl
 *     (identical lines collapse into one a second)
 *
 * Everything runs on the event-loop thread. A connection is the SSL object
 * evhttp's bevcb makes; its state hangs off the SSL (ex_data) and goes when
 * libevent frees the bufferevent. Closing one is shutdown(2) on its socket:
 * evhttp sees the end of the stream and frees it on its own path.
 */
#ifndef PITLANE_BROKER_CONN_H
#define PITLANE_BROKER_CONN_H

#include <event2/http.h>
#include <openssl/ssl.h>

struct front;
struct conn_guard;

/* Raises RLIMIT_NOFILE, sets up the guard (before the privilege drop). */
int conn_guard_new(struct front *b, char *err, size_t errlen);
/* After the listeners exist: watches their accept errors (EMFILE back-off). */
void conn_guard_listeners(struct front *b);
/* The API listener is about to be freed (drain). */
void conn_guard_stop_accepting(struct front *b);
void conn_guard_free(struct conn_guard *g);

/* bevcb: a new API connection's SSL. 0, or -1 (then free ssl, refuse). */
int conn_track(struct front *b, SSL *ssl);

/*
 * api_cb: a whole request arrived on ssl's connection. Returns 0 to serve it,
 * or PL_E_SRV_IDENTITY when a CRL reload revoked the peer meanwhile.
 */
int conn_request_begin(struct front *b, SSL *ssl, struct evhttp_request *req);

/* After a CRL update: verifies every connection's peer again; closes revoked ones. */
void conn_crl_recheck(struct front *b);

#endif
