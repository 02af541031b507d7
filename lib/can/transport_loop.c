/*
 * loop:NAME — a userspace CAN bus between processes of one user.
 *
 * The bus is a directory (mode 0700, owned by us): $PITLANE_CANBUS_DIR/NAME or
 * /tmp/pitlane-canbus-<uid>/NAME. Each endpoint binds a UNIX datagram socket
 * "ep-<pid>-<seq>" in it and sends every frame, as one 16-byte datagram, to
 * every other socket in the directory through a cached connected socket per
 * peer. The peer list is re-read when the directory changes.
 *
 * Robustness:
 *  - a peer whose socket is gone (ECONNREFUSED: its process exited without
 *    cleaning up) is pruned: its file is unlinked and it is dropped;
 *  - a full peer queue is waited for (poll POLLOUT on the connected socket)
 *    up to the send timeout: this is the bus' flow control, since the kernel
 *    keeps at most net.unix.max_dgram_qlen datagrams per receiver;
 *  - a peer that stays full for a whole timeout is marked stalled (a
 *    process that stopped reading): later frames to it are dropped without
 *    waiting until it drains again, so one stuck listener cannot slow the bus.
 *    The send that discovers the stall returns PL_E_CAN_TX_TIMEOUT.
 *
 * Datagram: id (u32 BE, bit 31 = 29-bit id), len, version 0x01, 0, 0, 8 data.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "can_clock.h"
#include "can_transport.h"
#include "pl_err.h"
#include "pl_err_can.h"

#define LOOP_DGRAM_LEN 16
#define LOOP_VERSION 0x01
#define LOOP_NAME_MAX 32
/* After a directory change, keep rescanning for this long: mtime is coarse. */
#define LOOP_MTIME_SLACK_US 50000u

struct loop_peer {
	char name[64];
	int fd;
	int stalled;
};

struct loop {
	struct can_transport base; /* first: the vtable */
	int fd;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char self[64];
	struct can_filter_ids filter;
	struct loop_peer *peers;
	size_t npeers;
	struct timespec dir_mtime;
	uint64_t rescan_until_us;
	int scanned;
	int bound; /* self exists in dir and is ours to unlink */
};

static unsigned loop_seq;

static int name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LOOP_NAME_MAX || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Creates dir (0700) if missing and checks it is a directory of ours nobody else can use. */
static int dir_ensure(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return errno == EACCES ? PL_E_PERM : PL_E_CAN_BUS_DIR;
	if (lstat(dir, &st) != 0)
		return PL_E_CAN_BUS_DIR;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		return PL_E_CAN_BUS_DIR;
	return 0;
}

static int path_join(char *out, size_t cap, const char *a, const char *b)
{
	int n = snprintf(out, cap, "%s/%s", a, b);

	return (n < 0 || (size_t)n >= cap) ? PL_E_CAN_PATH_TOO_LONG : 0;
}

static int bus_dir(const char *name, char *out, size_t cap)
{
	const char *base = getenv("PITLANE_CANBUS_DIR");
	char def[64];
	int n, r;

	if (base == NULL || base[0] == '\0') {
		n = snprintf(def, sizeof(def), "/tmp/pitlane-canbus-%u", (unsigned)geteuid());
		if (n < 0 || (size_t)n >= sizeof(def))
			return PL_E_INTERNAL;
		base = def;
	}
	if ((r = dir_ensure(base)) != 0)
		return r;
	if ((r = path_join(out, cap, base, name)) != 0)
		return r;
	return dir_ensure(out);
}

static void peer_drop(struct loop *l, size_t i, int unlink_file)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (unlink_file && path_join(path, sizeof(path), l->dir, l->peers[i].name) == 0)
		unlink(path);
	close(l->peers[i].fd);
	l->peers[i] = l->peers[l->npeers - 1];
	l->npeers--;
}

static int peer_find(const struct loop *l, const char *name)
{
	for (size_t i = 0; i < l->npeers; i++)
		if (strcmp(l->peers[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Connects to the socket "name" in the bus directory and adds it as a peer. */
static int peer_add(struct loop *l, const char *name)
{
	struct sockaddr_un sa;
	struct loop_peer *np;
	int fd, r;

	if (strlen(name) >= sizeof(l->peers[0].name))
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((r = path_join(sa.sun_path, sizeof(sa.sun_path), l->dir, name)) != 0)
		return r;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return PL_E_IO;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno == ECONNREFUSED)
			unlink(sa.sun_path); /* stale: its owner is gone */
		close(fd);
		return 0;
	}
	np = realloc(l->peers, (l->npeers + 1) * sizeof(*np));
	if (np == NULL) {
		close(fd);
		return PL_E_NOMEM;
	}
	l->peers = np;
	memset(&np[l->npeers], 0, sizeof(np[0]));
	memcpy(np[l->npeers].name, name, strlen(name) + 1);
	np[l->npeers].fd = fd;
	l->npeers++;
	return 0;
}

/* Re-reads the directory when it changed: adds new peers, drops vanished ones. */
static int peers_refresh(struct loop *l)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *e;
	char *seen = NULL;
	uint64_t now = can_clock_us();
	int r = 0, i;

	if (stat(l->dir, &st) != 0)
		return PL_E_CAN_BUS_DIR;
	if (l->scanned && now >= l->rescan_until_us && st.st_mtim.tv_sec == l->dir_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == l->dir_mtime.tv_nsec)
		return 0;
	if (!l->scanned || st.st_mtim.tv_sec != l->dir_mtime.tv_sec ||
	    st.st_mtim.tv_nsec != l->dir_mtime.tv_nsec)
		l->rescan_until_us = now + LOOP_MTIME_SLACK_US;
	l->dir_mtime = st.st_mtim;
	l->scanned = 1;
	if ((d = opendir(l->dir)) == NULL)
		return PL_E_CAN_BUS_DIR;
	if (l->npeers > 0 && (seen = calloc(l->npeers, 1)) == NULL) {
		r = PL_E_NOMEM;
		goto out;
	}
	{
		size_t known = l->npeers;

		while ((e = readdir(d)) != NULL) {
			if (strncmp(e->d_name, "ep-", 3) != 0 || strcmp(e->d_name, l->self) == 0)
				continue;
			if ((i = peer_find(l, e->d_name)) >= 0) {
				if ((size_t)i < known)
					seen[i] = 1;
				continue;
			}
			if ((r = peer_add(l, e->d_name)) != 0)
				goto out;
		}
		/* Peers whose file disappeared: drop from the end so indexes stay valid. */
		for (size_t k = known; k-- > 0;)
			if (!seen[k])
				peer_drop(l, k, 0);
	}
out:
	free(seen);
	closedir(d);
	return r;
}

static void frame_encode(const struct can_frame_pl *f, uint8_t b[LOOP_DGRAM_LEN])
{
	memset(b, 0, LOOP_DGRAM_LEN);
	b[0] = (uint8_t)(f->id >> 24);
	b[1] = (uint8_t)(f->id >> 16);
	b[2] = (uint8_t)(f->id >> 8);
	b[3] = (uint8_t)f->id;
	b[4] = f->len;
	b[5] = LOOP_VERSION;
	memcpy(b + 8, f->data, f->len);
}

static int frame_decode(const uint8_t *b, size_t n, struct can_frame_pl *f)
{
	struct can_frame_pl t;

	if (n != LOOP_DGRAM_LEN || b[4] > CAN_PL_MAX_DLEN || b[5] != LOOP_VERSION || b[6] || b[7])
		return PL_E_CAN_BAD_FRAME;
	t.id = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	t.len = b[4];
	memset(t.data, 0, sizeof(t.data));
	memcpy(t.data, b + 8, t.len);
	if (!can_frame_valid(&t))
		return PL_E_CAN_BAD_FRAME;
	*f = t;
	return 0;
}

/* Sends to one peer: 0, 1 when the peer is gone, PL_E_CAN_TX_TIMEOUT when it stalled. */
static int peer_send(struct loop_peer *p, const uint8_t *b, uint64_t deadline)
{
	struct pollfd pf;

	for (;;) {
		if (send(p->fd, b, LOOP_DGRAM_LEN, MSG_DONTWAIT | MSG_NOSIGNAL) == LOOP_DGRAM_LEN) {
			p->stalled = 0;
			return 0;
		}
		if (errno == ECONNREFUSED || errno == ENOTCONN || errno == ECONNRESET ||
		    errno == EPIPE)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return PL_E_CAN_SEND;
		if (p->stalled)
			return 0; /* dropped for this listener only, as on a real overrun */
		if (can_clock_us() >= deadline) {
			p->stalled = 1;
			return PL_E_CAN_TX_TIMEOUT;
		}
		pf.fd = p->fd;
		pf.events = POLLOUT;
		pf.revents = 0;
		if (poll(&pf, 1, can_clock_left_ms(deadline)) < 0 && errno != EINTR)
			return PL_E_CAN_SEND;
	}
}

static int loop_send(struct can_transport *t, const struct can_frame_pl *f, int timeout_ms)
{
	struct loop *l = (struct loop *)t;
	uint64_t deadline = can_clock_us() + (uint64_t)timeout_ms * 1000u;
	uint8_t b[LOOP_DGRAM_LEN];
	int r, ret = 0;
	size_t i;

	if ((r = peers_refresh(l)) != 0)
		return r;
	frame_encode(f, b);
	for (i = 0; i < l->npeers;) {
		r = peer_send(&l->peers[i], b, deadline);
		if (r == 1) {
			peer_drop(l, i, 1);
			continue;
		}
		if (r < 0 && ret == 0)
			ret = r;
		i++;
	}
	return ret;
}

static int loop_recv(struct can_transport *t, struct can_frame_pl *f, int timeout_ms)
{
	struct loop *l = (struct loop *)t;
	uint64_t deadline = can_clock_us() + (uint64_t)timeout_ms * 1000u;
	uint8_t b[LOOP_DGRAM_LEN + 1];
	struct can_frame_pl got;
	struct pollfd pf;
	ssize_t n;
	int r;

	for (;;) {
		n = recv(l->fd, b, sizeof(b), MSG_DONTWAIT);
		if (n >= 0) {
			if (frame_decode(b, (size_t)n, &got) != 0)
				continue; /* not a frame of ours */
			if (l->filter.n > 0) {
				size_t i;

				for (i = 0; i < l->filter.n; i++)
					if (l->filter.ids[i] == got.id)
						break;
				if (i == l->filter.n)
					continue;
			}
			*f = got;
			return 0;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return PL_E_CAN_RECV;
		pf.fd = l->fd;
		pf.events = POLLIN;
		pf.revents = 0;
		r = poll(&pf, 1, can_clock_left_ms(deadline));
		if (r == 0)
			return PL_E_CAN_RX_TIMEOUT;
		if (r < 0 && errno != EINTR)
			return PL_E_CAN_RECV;
	}
}

static void loop_close(struct can_transport *t)
{
	struct loop *l = (struct loop *)t;
	char path[sizeof(l->dir)];

	while (l->npeers > 0)
		peer_drop(l, l->npeers - 1, 0);
	free(l->peers);
	if (l->bound && path_join(path, sizeof(path), l->dir, l->self) == 0)
		unlink(path);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

static int loop_bind(struct loop *l)
{
	struct sockaddr_un sa;
	int r, tries;

	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0)
		return PL_E_IO;
	for (tries = 0; tries < 16; tries++) {
		unsigned seq = __atomic_fetch_add(&loop_seq, 1, __ATOMIC_RELAXED);
		int n = snprintf(l->self, sizeof(l->self), "ep-%ld-%u", (long)getpid(), seq);

		if (n < 0 || (size_t)n >= sizeof(l->self))
			return PL_E_INTERNAL;
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		if ((r = path_join(sa.sun_path, sizeof(sa.sun_path), l->dir, l->self)) != 0)
			return r;
		if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			l->bound = 1;
			return 0;
		}
		if (errno != EADDRINUSE)
			return errno == EACCES ? PL_E_PERM : PL_E_IO;
	}
	return PL_E_IO;
}

int can_loop_open(const char *name, const struct can_filter_ids *ids, struct can_transport **out)
{
	struct loop *l = NULL;
	int r;

	if (name == NULL || out == NULL)
		return PL_E_INVAL;
	*out = NULL;
	if (!name_valid(name))
		return PL_E_CAN_URI;
	if (ids != NULL && ids->n > CAN_PL_MAX_FILTER_IDS)
		return PL_E_CAN_TOO_MANY_IDS;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return PL_E_NOMEM;
	l->fd = -1;
	if (ids != NULL)
		l->filter = *ids;
	if ((r = bus_dir(name, l->dir, sizeof(l->dir) - 1 - 24)) != 0)
		goto out;
	if ((r = loop_bind(l)) != 0)
		goto out;
	l->base.send = loop_send;
	l->base.recv = loop_recv;
	l->base.close = loop_close;
	l->base.kind = "loop";
	*out = &l->base;
	l = NULL;
	r = 0;
out:
	if (l != NULL)
		loop_close(&l->base);
	return r;
}
