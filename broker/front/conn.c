/* The front end's connection guard: caps, deadlines, revocation, descriptors (conn.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/x509.h>

#include "conn.h"
#include "front.h"
#include "pl_err.h"
#include "pl_err_server.h"
#include "pl_log.h"
#include "tls.h"

#define SWEEP_MS 250        /* deadline resolution */
#define ACCEPT_BURST 32     /* connections accepted before they are counted */
#define BACKOFF_MIN_MS 50   /* accepts pause this long after EMFILE, doubling ... */
#define BACKOFF_MAX_MS 2000 /* ... up to this */
#define ADDR_BUCKETS 1024
/*
 * Descriptors kept free beyond max_connections: stdio, the listeners, the
 * monitor and decider channels (twice while the decider restarts), the event
 * loop's own, connections the admin listener serves, a CRL file, and the
 * connections accepted in one burst before they are counted or closed.
 */
#define FD_RESERVE_BASE 256u

enum conn_phase {
	CONN_NEW = 0,   /* accepted, not counted yet (conn_classify) */
	CONN_HANDSHAKE, /* TLS handshake under way */
	CONN_WAITING,   /* waiting for / reading a request */
	CONN_BUSY,      /* a request is being answered */
	CONN_CLOSING,   /* shut down; evhttp frees it on the next read */
};

struct conn_addr {
	uint8_t family; /* 4 or 6 (the /64) */
	uint8_t a[8];
};

struct addr_count {
	struct addr_count *next;
	struct conn_addr addr;
	uint32_t n;
};

struct conn {
	struct conn *prev, *next;
	struct conn_guard *g;
	SSL *ssl;
	enum conn_phase phase;
	int counted, revoked;
	struct conn_addr addr;
	char addr_text[INET6_ADDRSTRLEN];
	uint64_t opened_ms, deadline_ms;
};

struct accept_pause {
	struct evconnlistener *lev;
	struct event *ev;
	uint32_t backoff_ms;
	int paused; /* by EMFILE back-off */
};

struct conn_guard {
	struct front *b;
	struct conn *head;
	uint32_t counted; /* CONN_HANDSHAKE .. CONN_BUSY */
	uint32_t max_conns, per_addr;
	uint64_t hs_ms, req_ms, age_ms;
	struct conn *pending[ACCEPT_BURST];
	unsigned npending;
	int burst_paused;
	struct event *ev_classify, *ev_sweep;
	struct accept_pause api, admin;
	struct addr_count *buckets[ADDR_BUCKETS];
};

static int conn_idx = -1;
static struct conn_guard *the_guard; /* the listener error callback gets evhttp's arg */

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* --- per-address counts --- */

static unsigned addr_bucket(const struct conn_addr *a)
{
	uint32_t h = 2166136261u ^ a->family;

	for (size_t i = 0; i < sizeof(a->a); i++)
		h = (h ^ a->a[i]) * 16777619u;
	return h % ADDR_BUCKETS;
}

static struct addr_count **addr_slot(struct conn_guard *g, const struct conn_addr *a)
{
	struct addr_count **p = &g->buckets[addr_bucket(a)];

	while (*p != NULL && memcmp(&(*p)->addr, a, sizeof(*a)) != 0)
		p = &(*p)->next;
	return p;
}

static uint32_t addr_get(struct conn_guard *g, const struct conn_addr *a)
{
	struct addr_count *e = *addr_slot(g, a);

	return e != NULL ? e->n : 0;
}

static int addr_inc(struct conn_guard *g, const struct conn_addr *a)
{
	struct addr_count **p = addr_slot(g, a);

	if (*p == NULL) {
		if ((*p = calloc(1, sizeof(**p))) == NULL)
			return -1;
		(*p)->addr = *a;
	}
	(*p)->n++;
	return 0;
}

static void addr_dec(struct conn_guard *g, const struct conn_addr *a)
{
	struct addr_count **p = addr_slot(g, a), *e = *p;

	if (e != NULL && --e->n == 0) {
		*p = e->next;
		free(e);
	}
}

/* The peer of fd as a cap key: an IPv4 address, or an IPv6 /64 (v4-mapped: IPv4). */
static int peer_key(int fd, struct conn_addr *k, char *text, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(k, 0, sizeof(*k));
	snprintf(text, cap, "?");
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		k->family = 4;
		memcpy(k->a, &s4->sin_addr, 4);
		inet_ntop(AF_INET, &s4->sin_addr, text, (socklen_t)cap);
		return 0;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			k->family = 4;
			memcpy(k->a, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			k->family = 6;
			memcpy(k->a, s6->sin6_addr.s6_addr, 8);
		}
		inet_ntop(AF_INET6, &s6->sin6_addr, text, (socklen_t)cap);
		return 0;
	}
	return -1;
}

/* --- closing --- */

static int conn_fd(const struct conn *c)
{
	return SSL_get_fd(c->ssl);
}

static void conn_uncount(struct conn *c)
{
	if (!c->counted)
		return;
	c->counted = 0;
	c->g->counted--;
	addr_dec(c->g, &c->addr);
}

/*
 * Ends c: shutdown(2) makes the next read see the end of the stream, and
 * evhttp frees the connection on its own error path (nothing here frees what
 * evhttp owns). Its slot is free at once.
 */
static void conn_close(struct conn *c, const char *reason)
{
	int fd = conn_fd(c);

	if (c->phase == CONN_CLOSING)
		return;
	conn_uncount(c);
	c->phase = CONN_CLOSING;
	if (fd >= 0)
		(void)shutdown(fd, SHUT_RDWR);
	if (reason != NULL)
		pl_log_rl(PL_LOG_INFO, "connection_closed", "reason", reason, "addr", c->addr_text,
		          NULL);
}

/* SSL ex_data free callback: libevent freed the connection's bufferevent and SSL. */
static void conn_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                         void *argp)
{
	struct conn *c = ptr;
	struct conn_guard *g;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (c == NULL)
		return;
	g = c->g;
	if (g != NULL) {
		conn_uncount(c);
		for (unsigned i = 0; i < g->npending; i++)
			if (g->pending[i] == c)
				g->pending[i] = g->pending[--g->npending];
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			g->head = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
	}
	free(c);
}

/* --- accepting --- */

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct accept_pause *p = arg;

	(void)fd;
	(void)what;
	p->paused = 0;
	if (p->lev != NULL && !(p == &the_guard->api && the_guard->burst_paused))
		evconnlistener_enable(p->lev);
}

/*
 * accept(2) failed for another reason than "nothing left": out of descriptors
 * (EMFILE, ENFILE) or memory. The listener would be readable again at once and
 * spin; it pauses instead, the pause doubling while the error persists.
 */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct conn_guard *g = the_guard;
	struct accept_pause *p;
	int e = EVUTIL_SOCKET_ERROR();
	char ms[16];
	struct timeval tv;

	(void)arg;
	if (g == NULL)
		return;
	p = lev == g->api.lev ? &g->api : &g->admin;
	p->backoff_ms = p->backoff_ms == 0                   ? BACKOFF_MIN_MS
	                : p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
	                                                     : p->backoff_ms * 2;
	snprintf(ms, sizeof(ms), "%u", p->backoff_ms);
	pl_log_rl(PL_LOG_WARN, "accept_failed", "listener", p == &g->api ? "api" : "admin",
	          "reason", strerror(e), "action", "accepting again after a pause", "pause_ms", ms,
	          NULL);
	evconnlistener_disable(lev);
	p->paused = 1;
	tv.tv_sec = p->backoff_ms / 1000;
	tv.tv_usec = (suseconds_t)(p->backoff_ms % 1000) * 1000;
	event_add(p->ev, &tv);
}

static void refuse(struct conn *c, const char *reason, uint32_t limit)
{
	char lim[16];

	snprintf(lim, sizeof(lim), "%u", limit);
	c->phase = CONN_CLOSING;
	(void)shutdown(conn_fd(c), SHUT_RDWR);
	pl_log_rl(PL_LOG_WARN, "connection_refused", "reason", reason, "addr", c->addr_text,
	          "limit", lim, NULL);
}

/* One accepted connection: counted, or refused over a cap. */
static void classify_one(struct conn_guard *g, struct conn *c)
{
	if (peer_key(conn_fd(c), &c->addr, c->addr_text, sizeof(c->addr_text)) != 0) {
		refuse(c, "no peer address", 0);
		return;
	}
	if (g->counted >= g->max_conns) {
		refuse(c, "too_many_connections", g->max_conns);
		return;
	}
	if (addr_get(g, &c->addr) >= g->per_addr) {
		refuse(c, "too_many_from_address", g->per_addr);
		return;
	}
	if (addr_inc(g, &c->addr) != 0) {
		refuse(c, "out of memory", 0);
		return;
	}
	c->counted = 1;
	g->counted++;
	c->phase = CONN_HANDSHAKE;
	g->api.backoff_ms = 0;
}

/* Runs right after the listener's accept loop: counts or refuses what it accepted. */
static void classify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_guard *g = arg;

	(void)fd;
	(void)what;
	while (g->npending > 0) {
		struct conn *c = g->pending[--g->npending];

		classify_one(g, c);
	}
	if (g->burst_paused) {
		g->burst_paused = 0;
		if (g->api.lev != NULL && !g->api.paused)
			evconnlistener_enable(g->api.lev);
	}
}

int conn_track(struct front *b, SSL *ssl)
{
	struct conn_guard *g = b->conns;
	struct conn *c;

	/* npending < ACCEPT_BURST: the listener stops at ACCEPT_BURST until classify_cb */
	if (g == NULL || g->npending >= ACCEPT_BURST || (c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->g = g;
	c->ssl = ssl;
	c->opened_ms = mono_ms();
	c->deadline_ms = c->opened_ms + g->req_ms;
	snprintf(c->addr_text, sizeof(c->addr_text), "?");
	if (SSL_set_ex_data(ssl, conn_idx, c) != 1) {
		free(c);
		return -1;
	}
	c->next = g->head;
	if (g->head != NULL)
		g->head->prev = c;
	g->head = c;
	/* evhttp sets the socket after this returns: it is counted in classify_cb. */
	g->pending[g->npending++] = c;
	event_active(g->ev_classify, EV_TIMEOUT, 0);
	if (g->npending == ACCEPT_BURST && g->api.lev != NULL) {
		evconnlistener_disable(g->api.lev); /* ends the accept loop */
		g->burst_paused = 1;
	}
	return 0;
}

/* --- requests --- */

static int too_old(const struct conn *c, uint64_t now)
{
	return now - c->opened_ms >= c->g->age_ms;
}

/* evhttp wrote the whole reply: the next request's deadline starts. */
static void reply_done_cb(struct evhttp_request *req, void *arg)
{
	struct conn *c = arg;
	uint64_t now = mono_ms();

	(void)req;
	if (c->phase != CONN_BUSY)
		return;
	c->phase = CONN_WAITING;
	c->deadline_ms = now + c->g->req_ms;
	if (c->revoked)
		conn_close(c, "revoked");
	else if (too_old(c, now))
		conn_close(c, "max_age");
}

int conn_request_begin(struct front *b, SSL *ssl, struct evhttp_request *req)
{
	struct conn *c = ssl != NULL && b->conns != NULL ? SSL_get_ex_data(ssl, conn_idx) : NULL;

	if (c == NULL)
		return 0;
	if (c->revoked)
		return PL_E_SRV_IDENTITY;
	if (c->phase != CONN_CLOSING) {
		c->phase = CONN_BUSY;
		evhttp_request_set_on_complete_cb(req, reply_done_cb, c);
	}
	return 0;
}

/* --- deadlines --- */

static void sweep_one(struct conn *c, uint64_t now)
{
	if (c->phase == CONN_HANDSHAKE) {
		if (!SSL_is_init_finished(c->ssl)) {
			/* the request deadline counts from accept too */
			if (now - c->opened_ms >= c->g->hs_ms || now >= c->deadline_ms)
				conn_close(c, "handshake_deadline");
			return;
		}
		c->phase = CONN_WAITING;
	}
	if (c->phase != CONN_WAITING)
		return; /* being answered, or already closing */
	if (now >= c->deadline_ms)
		conn_close(c, "request_deadline");
	else if (c->revoked)
		conn_close(c, "revoked");
	else if (too_old(c, now))
		conn_close(c, "max_age");
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_guard *g = arg;
	uint64_t now = mono_ms();

	(void)fd;
	(void)what;
	/* conn_close only shuts sockets down: nothing leaves the list here. */
	for (struct conn *c = g->head; c != NULL; c = c->next)
		sweep_one(c, now);
	pl_log_rl_flush();
}

/* --- revocation --- */

void conn_crl_recheck(struct front *b)
{
	struct conn_guard *g = b->conns;
	unsigned checked = 0, closed = 0, later = 0;
	char n1[16], n2[16], n3[16];

	if (g == NULL)
		return;
	for (struct conn *c = g->head; c != NULL; c = c->next) {
		int x509_err;

		if (c->phase == CONN_NEW || c->phase == CONN_CLOSING ||
		    SSL_get0_peer_certificate(c->ssl) == NULL)
			continue;
		checked++;
		if (tls_peer_recheck(b->store, c->ssl, &x509_err) == 0)
			continue;
		c->revoked = 1;
		pl_log(PL_LOG_INFO, "connection_revoked", "addr", c->addr_text, "reason",
		       X509_verify_cert_error_string(x509_err), "action",
		       c->phase == CONN_BUSY ? "closing after the reply in flight" : "closing now",
		       NULL);
		if (c->phase == CONN_BUSY) {
			later++;
		} else {
			conn_close(c, NULL);
			closed++;
		}
	}
	snprintf(n1, sizeof(n1), "%u", checked);
	snprintf(n2, sizeof(n2), "%u", closed);
	snprintf(n3, sizeof(n3), "%u", later);
	pl_log(PL_LOG_INFO, "connections_rechecked", "connections", n1, "closed", n2,
	       "closing_after_reply", n3, NULL);
}

/* --- set-up --- */

static void libevent_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		pl_log_rl(severity >= EVENT_LOG_ERR ? PL_LOG_ERROR : PL_LOG_WARN, "libevent", "msg",
		          msg, NULL);
}

/*
 * RLIMIT_NOFILE for max_connections plus the reserve: the soft limit is raised
 * (up to the hard limit). When the hard limit is lower, max_connections shrinks
 * to fit, so the reserve always stays free.
 */
static uint32_t fd_budget(const struct broker_config *c)
{
	uint64_t reserve = FD_RESERVE_BASE + 4u * (uint64_t)c->workers;
	uint64_t need = c->max_connections + reserve;
	struct rlimit rl;
	uint32_t eff = c->max_connections;
	char a[24], b2[24], m[24];

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		pl_log(PL_LOG_WARN, "fd_limit_unknown", "reason", strerror(errno), "action",
		       "keeping max_connections; set LimitNOFILE", NULL);
		return eff;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		struct rlimit want = rl;

		want.rlim_cur =
		    rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl = want;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		eff = rl.rlim_cur > reserve + 16 ? (uint32_t)(rl.rlim_cur - reserve) : 16;
		snprintf(a, sizeof(a), "%llu", (unsigned long long)rl.rlim_cur);
		snprintf(m, sizeof(m), "%u", eff);
		pl_log(PL_LOG_WARN, "fd_limit_low", "nofile", a, "max_connections", m, "action",
		       "raise LimitNOFILE (the hard limit) to serve the configured "
		       "max_connections",
		       NULL);
	}
	snprintf(a, sizeof(a), "%llu", (unsigned long long)rl.rlim_cur);
	snprintf(b2, sizeof(b2), "%llu", (unsigned long long)reserve);
	snprintf(m, sizeof(m), "%u", eff);
	{
		char pa[16], hs[16], rq[16], age[16];

		snprintf(pa, sizeof(pa), "%u", c->max_connections_per_address);
		snprintf(hs, sizeof(hs), "%u", c->tls_handshake_timeout_s);
		snprintf(rq, sizeof(rq), "%u", c->request_timeout_s);
		snprintf(age, sizeof(age), "%u", c->connection_max_age_s);
		pl_log(PL_LOG_INFO, "connection_limits", "max_connections", m, "per_address", pa,
		       "handshake_s", hs, "request_s", rq, "max_age_s", age, "nofile", a,
		       "reserved_fds", b2, NULL);
	}
	return eff;
}

int conn_guard_new(struct front *b, char *err, size_t errlen)
{
	const struct broker_config *c = &b->cfg;
	struct conn_guard *g;

	if (conn_idx < 0 &&
	    (conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_ex_free)) < 0) {
		snprintf(err, errlen, "cannot set up connection tracking (SSL ex_data)");
		return PL_E_INTERNAL;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return PL_E_NOMEM;
	g->b = b;
	g->max_conns = fd_budget(c);
	g->per_addr = c->max_connections_per_address;
	g->hs_ms = (uint64_t)c->tls_handshake_timeout_s * 1000u;
	g->req_ms = (uint64_t)c->request_timeout_s * 1000u;
	g->age_ms = (uint64_t)c->connection_max_age_s * 1000u;
	g->ev_classify = event_new(b->base, -1, 0, classify_cb, g);
	g->ev_sweep = event_new(b->base, -1, EV_PERSIST, sweep_cb, g);
	g->api.ev = evtimer_new(b->base, resume_cb, &g->api);
	g->admin.ev = evtimer_new(b->base, resume_cb, &g->admin);
	b->conns = g;
	the_guard = g;
	if (g->ev_classify == NULL || g->ev_sweep == NULL || g->api.ev == NULL ||
	    g->admin.ev == NULL) {
		snprintf(err, errlen, "cannot set up connection tracking (events)");
		return PL_E_NOMEM;
	}
	{
		struct timeval tv = {0, SWEEP_MS * 1000};

		if (event_add(g->ev_sweep, &tv) != 0) {
			snprintf(err, errlen, "cannot set up connection tracking (timer)");
			return PL_E_INTERNAL;
		}
	}
	event_set_log_callback(libevent_log_cb);
	return 0;
}

void conn_guard_listeners(struct front *b)
{
	struct conn_guard *g = b->conns;

	if (g == NULL)
		return;
	if (b->http_sock != NULL && (g->api.lev = evhttp_bound_socket_get_listener(b->http_sock)))
		evconnlistener_set_error_cb(g->api.lev, accept_error_cb);
	if (b->admin_sock != NULL &&
	    (g->admin.lev = evhttp_bound_socket_get_listener(b->admin_sock)))
		evconnlistener_set_error_cb(g->admin.lev, accept_error_cb);
}

void conn_guard_stop_accepting(struct front *b)
{
	struct conn_guard *g = b->conns;

	if (g == NULL)
		return;
	g->api.lev = NULL;
	event_del(g->api.ev);
}

void conn_guard_free(struct conn_guard *g)
{
	if (g == NULL)
		return;
	/* Connections evhttp frees later find no guard. */
	for (struct conn *c = g->head; c != NULL; c = c->next)
		c->g = NULL;
	for (size_t i = 0; i < ADDR_BUCKETS; i++)
		while (g->buckets[i] != NULL) {
			struct addr_count *e = g->buckets[i];

			g->buckets[i] = e->next;
			free(e);
		}
	if (g->ev_classify != NULL)
		event_free(g->ev_classify);
	if (g->ev_sweep != NULL)
		event_free(g->ev_sweep);
	if (g->api.ev != NULL)
		event_free(g->api.ev);
	if (g->admin.ev != NULL)
		event_free(g->admin.ev);
	if (the_guard == g)
		the_guard = NULL;
	free(g);
}
