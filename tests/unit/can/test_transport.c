/* CAN transports: URI parsing, the loop bus, and SocketCAN's error when the kernel has none. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "can_test_util.h"
#include "can_transport.h"
#include "pl_err.h"
#include "pl_err_can.h"

static const char *dir;

static void setup(void)
{
	dir = ctu_bus_dir();
}

static void teardown(void)
{
	ctu_bus_dir_remove();
}

TestSuite(can_transport, .init = setup, .fini = teardown);

Test(can_transport, REQ_CAN_020_uri_parsing)
{
	struct can_transport *t = (struct can_transport *)0x1;

	cr_assert_eq(can_transport_open("", NULL, &t), PL_E_CAN_URI);
	cr_assert_null(t, "out cleared on failure");
	cr_assert_eq(can_transport_open("vcan0", NULL, &t), PL_E_CAN_URI);
	cr_assert_eq(can_transport_open("socketcan:", NULL, &t), PL_E_CAN_URI);
	cr_assert_eq(can_transport_open("loop:", NULL, &t), PL_E_CAN_URI);
	cr_assert_eq(can_transport_open("tcp:1.2.3.4", NULL, &t), PL_E_CAN_URI);
	cr_assert_eq(can_transport_open("loop:../x", NULL, &t), PL_E_CAN_URI);
	cr_assert_eq(can_transport_open("loop:.hidden", NULL, &t), PL_E_CAN_URI);
	cr_assert_eq(can_transport_open("loop:a/b", NULL, &t), PL_E_CAN_URI);
	cr_assert_eq(can_transport_open("loop:abcdefghijabcdefghijabcdefghijabc", NULL, &t),
		     PL_E_CAN_URI, "33 characters");
	cr_assert_eq(can_transport_open("socketcan:abcdefghijklmnopq", NULL, &t), PL_E_CAN_URI,
		     "interface names are at most 15 characters");
	cr_assert_eq(can_transport_open(NULL, NULL, &t), PL_E_INVAL);
	cr_assert_eq(can_transport_open("loop:ok-name_1.2", NULL, &t), 0);
	cr_assert_str_eq(t->kind, "loop");
	can_transport_close(t);
	can_transport_close(NULL);
}

Test(can_transport, REQ_CAN_021_socketcan_error_says_what_to_do)
{
	struct can_transport *t = NULL;
	int s = socket(PF_CAN, SOCK_RAW, 1);
	int no_can = s < 0 && errno == EAFNOSUPPORT;
	int r;

	if (s >= 0)
		close(s);
	r = can_transport_open("socketcan:nosuchcan0", NULL, &t);
	/* This machine decides which answer is right; both are exact. */
	cr_assert_eq(r, no_can ? PL_E_CAN_NO_SOCKETCAN : PL_E_CAN_NO_IFACE, "got %s",
		     pl_errname(r));
	cr_assert_null(t);
	if (no_can)
		cr_assert_not_null(strstr(pl_strerror(r), "use loop:NAME"));
}

Test(can_transport, REQ_CAN_022_loop_delivers_to_every_other_endpoint_not_self)
{
	struct can_transport *a = ctu_open_loop("bus", 0xFFFFFFFFu);
	struct can_transport *b = ctu_open_loop("bus", 0xFFFFFFFFu);
	struct can_transport *c = ctu_open_loop("bus", 0xFFFFFFFFu);
	struct can_frame_pl f = { .id = 0x123, .len = 4, .data = { 0xDE, 0xAD, 0xBE, 0xEF } };
	struct can_frame_pl g;

	cr_assert_eq(can_transport_send(a, &f, 100), 0);
	memset(&g, 0, sizeof(g));
	cr_assert_eq(can_transport_recv(b, &g, 200), 0);
	cr_assert_eq(g.id, 0x123);
	cr_assert_eq(g.len, 4);
	cr_assert_eq(memcmp(g.data, f.data, 4), 0);
	memset(&g, 0, sizeof(g));
	cr_assert_eq(can_transport_recv(c, &g, 200), 0);
	cr_assert_eq(g.id, 0x123);
	cr_assert_eq(can_transport_recv(a, &g, 30), PL_E_CAN_RX_TIMEOUT, "no echo to the sender");
	/* extended ids keep their flag */
	f.id = 0x18DA10F1u | CAN_PL_EFF_FLAG;
	f.len = 0;
	cr_assert_eq(can_transport_send(b, &f, 100), 0);
	cr_assert_eq(can_transport_recv(a, &g, 200), 0);
	cr_assert_eq(g.id, 0x18DA10F1u | CAN_PL_EFF_FLAG);
	cr_assert_eq(g.len, 0);
	can_transport_close(a);
	can_transport_close(b);
	can_transport_close(c);
}

Test(can_transport, REQ_CAN_023_loop_receive_filter)
{
	struct can_filter_ids ids = { .ids = { 0x7E0, 0x7DF }, .n = 2 };
	struct can_transport *a = ctu_open_loop("flt", 0xFFFFFFFFu), *b = NULL;
	struct can_frame_pl f = { .id = 0x7E8, .len = 1, .data = { 1 } }, g;

	cr_assert_eq(can_transport_open("loop:flt", &ids, &b), 0);
	cr_assert_eq(can_transport_send(a, &f, 100), 0);
	f.id = 0x7DF;
	f.data[0] = 2;
	cr_assert_eq(can_transport_send(a, &f, 100), 0);
	f.id = 0x7E0;
	f.data[0] = 3;
	cr_assert_eq(can_transport_send(a, &f, 100), 0);
	cr_assert_eq(can_transport_recv(b, &g, 200), 0);
	cr_assert_eq(g.id, 0x7DF);
	cr_assert_eq(g.data[0], 2);
	cr_assert_eq(can_transport_recv(b, &g, 200), 0);
	cr_assert_eq(g.id, 0x7E0);
	cr_assert_eq(can_transport_recv(b, &g, 30), PL_E_CAN_RX_TIMEOUT);
	can_transport_close(b);
	ids.n = CAN_PL_MAX_FILTER_IDS + 1;
	cr_assert_eq(can_transport_open("loop:flt", &ids, &b), PL_E_CAN_TOO_MANY_IDS);
	cr_assert_null(b);
	can_transport_close(a);
}

static size_t count_endpoints(const char *bus)
{
	char cmd[512];
	FILE *p;
	size_t n = 0;
	int c;

	snprintf(cmd, sizeof(cmd), "ls -1 '%s/%s' | grep -c '^ep-'", dir, bus);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	if (fscanf(p, "%zu", &n) != 1)
		n = 0;
	while ((c = fgetc(p)) != EOF)
		;
	pclose(p);
	return n;
}

Test(can_transport, REQ_CAN_024_vanished_endpoints_are_pruned)
{
	struct can_transport *a = ctu_open_loop("prune", 0xFFFFFFFFu);
	struct can_frame_pl f = { .id = 0x100, .len = 1, .data = { 1 } };
	pid_t pid;
	int st;

	/* A child opens an endpoint and dies without closing it. */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct can_transport *t = NULL;

		_exit(can_transport_open("loop:prune", NULL, &t) == 0 ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert_eq(WEXITSTATUS(st), 0);
	cr_assert_eq(count_endpoints("prune"), 2);
	cr_assert_eq(can_transport_send(a, &f, 100), 0, "a dead endpoint is no error");
	cr_assert_eq(count_endpoints("prune"), 1, "its socket file was removed");
	can_transport_close(a);
	cr_assert_eq(count_endpoints("prune"), 0, "close removes our own socket");
}

Test(can_transport, REQ_CAN_025_stalled_listener_does_not_block_the_bus)
{
	struct can_transport *a = ctu_open_loop("stall", 0xFFFFFFFFu);
	struct can_transport *live = ctu_open_loop("stall", 0xFFFFFFFFu);
	struct can_transport *stuck = ctu_open_loop("stall", 0xFFFFFFFFu);
	struct can_frame_pl f = { .id = 0x100, .len = 1, .data = { 0 } }, g;
	uint64_t t0, dt;
	int i, r, timeouts = 0;

	/* stuck never reads; live drains after every frame. */
	t0 = ctu_now_ms();
	for (i = 0; i < 100; i++) {
		f.data[0] = (uint8_t)i;
		r = can_transport_send(a, &f, 50);
		if (r == PL_E_CAN_TX_TIMEOUT)
			timeouts++;
		else
			cr_assert_eq(r, 0, "frame %d: %s", i, pl_errname(r));
		cr_assert_eq(can_transport_recv(live, &g, 200), 0, "frame %d", i);
		cr_assert_eq(g.data[0], (uint8_t)i);
	}
	dt = ctu_now_ms() - t0;
	cr_assert_eq(timeouts, 1, "the stall is reported once");
	cr_assert_lt(dt, 1000, "took %llu ms", (unsigned long long)dt);
	/* once it drains it gets frames again */
	while (can_transport_recv(stuck, &g, 0) == 0)
		;
	f.data[0] = 0xAA;
	cr_assert_eq(can_transport_send(a, &f, 50), 0);
	cr_assert_eq(can_transport_recv(stuck, &g, 200), 0);
	cr_assert_eq(g.data[0], 0xAA);
	can_transport_close(a);
	can_transport_close(live);
	can_transport_close(stuck);
}

Test(can_transport, REQ_CAN_026_bus_directory_must_be_private)
{
	struct can_transport *t = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/open", dir);
	cr_assert_eq(mkdir(path, 0770), 0);
	cr_assert_eq(chmod(path, 0770), 0);
	cr_assert_eq(can_transport_open("loop:open", NULL, &t), PL_E_CAN_BUS_DIR);
	cr_assert_eq(chmod(path, 0700), 0);
	cr_assert_eq(can_transport_open("loop:open", NULL, &t), 0);
	can_transport_close(t);
	/* a symlink is refused too */
	snprintf(path, sizeof(path), "%s/link", dir);
	cr_assert_eq(symlink("/tmp", path), 0);
	cr_assert_eq(can_transport_open("loop:link", NULL, &t), PL_E_CAN_BUS_DIR);
	/* a base directory open to others is refused */
	cr_assert_eq(chmod(dir, 0755), 0);
	cr_assert_eq(can_transport_open("loop:open", NULL, &t), PL_E_CAN_BUS_DIR);
	cr_assert_eq(chmod(dir, 0700), 0);
}

Test(can_transport, REQ_CAN_027_receive_timeout_is_honoured)
{
	struct can_transport *a = ctu_open_loop("tmo", 0xFFFFFFFFu);
	struct can_frame_pl g;
	uint64_t t0 = ctu_now_ms();

	cr_assert_eq(can_transport_recv(a, &g, 60), PL_E_CAN_RX_TIMEOUT);
	cr_assert_geq(ctu_now_ms() - t0, 60);
	cr_assert_lt(ctu_now_ms() - t0, 500);
	t0 = ctu_now_ms();
	cr_assert_eq(can_transport_recv(a, &g, 0), PL_E_CAN_RX_TIMEOUT);
	cr_assert_lt(ctu_now_ms() - t0, 50);
	cr_assert_eq(can_transport_recv(a, &g, -1), PL_E_INVAL);
	can_transport_close(a);
}

Test(can_transport, REQ_CAN_028_invalid_frames_and_garbage_datagrams)
{
	struct can_transport *a = ctu_open_loop("bad", 0xFFFFFFFFu);
	struct can_transport *b = ctu_open_loop("bad", 0xFFFFFFFFu);
	struct can_frame_pl f = { .id = 0x800, .len = 1 }, g;
	struct sockaddr_un sa;
	char cmd[600], name[256];
	FILE *p;
	int fd;
	const uint8_t junk[16] = { 0, 0, 1, 0x23, 9, 1, 0, 0 }; /* len 9 */
	const uint8_t good[16] = { 0, 0, 0x01, 0x23, 1, 1, 0, 0, 0x42 };

	cr_assert_eq(can_transport_send(a, &f, 10), PL_E_CAN_BAD_FRAME, "11-bit id above 0x7FF");
	f.id = 0x20000000u | CAN_PL_EFF_FLAG;
	cr_assert_eq(can_transport_send(a, &f, 10), PL_E_CAN_BAD_FRAME, "29-bit id too large");
	f.id = 0x100;
	f.len = 9;
	cr_assert_eq(can_transport_send(a, &f, 10), PL_E_CAN_BAD_FRAME, "9 data bytes");
	can_transport_close(a);

	/* Write garbage straight into b's socket: it is skipped, the good frame arrives. */
	snprintf(cmd, sizeof(cmd), "ls -1 '%s/bad' | grep '^ep-'", dir);
	p = popen(cmd, "r");
	cr_assert_not_null(fgets(name, sizeof(name), p));
	pclose(p);
	name[strcspn(name, "\n")] = '\0';
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	cr_assert_lt(strlen(dir) + strlen(name) + 6, sizeof(sa.sun_path));
	memcpy(sa.sun_path, dir, strlen(dir));
	memcpy(sa.sun_path + strlen(dir), "/bad/", 5);
	memcpy(sa.sun_path + strlen(dir) + 5, name, strlen(name) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(sendto(fd, junk, 16, 0, (struct sockaddr *)&sa, sizeof(sa)), 16);
	cr_assert_eq(sendto(fd, good, 15, 0, (struct sockaddr *)&sa, sizeof(sa)), 15);
	cr_assert_eq(sendto(fd, good, 16, 0, (struct sockaddr *)&sa, sizeof(sa)), 16);
	close(fd);
	cr_assert_eq(can_transport_recv(b, &g, 200), 0);
	cr_assert_eq(g.id, 0x123);
	cr_assert_eq(g.len, 1);
	cr_assert_eq(g.data[0], 0x42);
	cr_assert_eq(can_transport_recv(b, &g, 20), PL_E_CAN_RX_TIMEOUT);
	can_transport_close(b);
}
