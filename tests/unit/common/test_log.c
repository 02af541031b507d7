#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pl_err.h"
#include "pl_log.h"

/* Runs fn with stderr redirected into a pipe and returns what it wrote. */
static void capture(void (*fn)(void), char *out, size_t cap)
{
	int p[2], saved = dup(STDERR_FILENO);
	cr_assert_eq(pipe(p), 0);
	cr_assert(dup2(p[1], STDERR_FILENO) >= 0);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	ssize_t n = read(p[0], out, cap - 1);
	close(p[0]);
	out[n > 0 ? n : 0] = '\0';
}

static void log_plain(void)
{
	pl_log_init("pltest", PL_LOG_INFO);
	pl_log(PL_LOG_INFO, "started", "listen", "127.0.0.1:8443", "note", "two words", NULL);
	pl_log(PL_LOG_DEBUG, "hidden", NULL);
}

static void log_error(void)
{
	pl_log_init("pltest", PL_LOG_INFO);
	pl_log_err("pin_file", PL_E_SECRET_MODE, "file", "/etc/pitlane/pin", NULL);
}

static void log_quotes(void)
{
	pl_log_init("pltest", PL_LOG_INFO);
	pl_log(PL_LOG_WARN, "odd", "v", "a\"b\\c\nd", "empty", "", NULL);
}

Test(common_log, REQ_COM_007_one_key_value_line_per_event_above_level)
{
	char out[512];
	capture(log_plain, out, sizeof(out));
	cr_assert_str_eq(out, "level=info prog=pltest event=started listen=127.0.0.1:8443 "
			      "note=\"two words\"\n");
}

Test(common_log, REQ_COM_007_errors_carry_stable_name_and_sentence)
{
	char out[512];
	capture(log_error, out, sizeof(out));
	cr_assert_str_eq(out, "level=error prog=pltest event=pin_file err=secret_mode "
			      "file=/etc/pitlane/pin msg=\"secret file is readable or writable by "
			      "group or others (chmod 600 it)\"\n");
}

Test(common_log, REQ_COM_007_values_are_quoted_and_escaped)
{
	char out[512];
	capture(log_quotes, out, sizeof(out));
	cr_assert_str_eq(out, "level=warn prog=pltest event=odd v=\"a\\\"b\\\\c\\nd\" empty=\"\"\n");
}

static void log_repeats(void)
{
	pl_log_init("pltest", PL_LOG_INFO);
	for (int i = 0; i < 1000; i++)
		pl_log_rl(PL_LOG_WARN, "connection_refused", "addr", "127.0.0.1", NULL);
	pl_log_rl(PL_LOG_WARN, "connection_refused", "addr", "127.0.0.2", NULL);
	pl_log_rl_flush();                /* the second has not passed: nothing yet */
	usleep(1100 * 1000);
	pl_log_rl_flush();
	pl_log_rl(PL_LOG_WARN, "connection_refused", "addr", "127.0.0.1", NULL);
}

Test(common_log, REQ_BRK_224_identical_events_collapse_into_a_line_a_second)
{
	char out[1024];

	capture(log_repeats, out, sizeof(out));
	cr_assert_str_eq(out,
			 "level=warn prog=pltest event=connection_refused addr=127.0.0.1\n"
			 "level=warn prog=pltest event=connection_refused addr=127.0.0.2\n"
			 "level=warn prog=pltest event=connection_refused addr=127.0.0.1 "
			 "repeated=999\n"
			 "level=warn prog=pltest event=connection_refused addr=127.0.0.1\n");
}

static void log_distinct(void)
{
	char addr[32];

	pl_log_init("pltest", PL_LOG_INFO);
	for (int i = 0; i < 200; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 256, i % 256);
		pl_log_rl(PL_LOG_WARN, "x", "addr", addr, NULL);
	}
	usleep(1100 * 1000);
	pl_log_rl_flush();
}

Test(common_log, REQ_BRK_224_distinct_events_are_capped_at_50_a_second)
{
	static char out[16384];
	int lines = 0;

	capture(log_distinct, out, sizeof(out));
	for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	cr_assert_eq(lines, 51, "%s", out);
	cr_assert(strstr(out, "event=log_suppressed lines=150 ") != NULL, "%s", out);
}
