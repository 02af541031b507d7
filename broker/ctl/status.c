/* `pitlanectl status`: asks the broker's loopback admin listener. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "config.h"
#include "ctl.h"
#include "pl_err.h"

#define STATUS_MAX (1024 * 1024)
#define STATUS_TIMEOUT_MS 5000

struct sink {
	char *p;
	size_t len;
	int overflow;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t add = size * n;
	char *np;

	if (s->len + add > STATUS_MAX) {
		s->overflow = 1;
		return 0;
	}
	if ((np = realloc(s->p, s->len + add + 1)) == NULL)
		return 0;
	s->p = np;
	memcpy(s->p + s->len, ptr, add);
	s->len += add;
	s->p[s->len] = '\0';
	return add;
}

static int http_get(const char *url, long *status, struct sink *s)
{
	CURL *c = curl_easy_init();
	CURLcode rc;

	if (c == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)STATUS_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	else
		fprintf(stderr, "pitlanectl status: %s: %s\n", url, curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

/* Prints the metric lines (without HELP/TYPE) of the names operators look at first. */
static void print_metrics(const char *text)
{
	static const char *const wanted[] = {
	    "pitlane_hsm_ready",
	    "pitlane_audit_writable",
	    "pitlane_policy_version",
	    "pitlane_decisions_total",
	    "pitlane_tokens_issued_total",
	    "pitlane_hsm_errors_total",
	    "pitlane_audit_rows_total",
	    "pitlane_audit_commits_total",
	    "pitlane_audit_checkpoints_total",
	    "pitlane_policy_reload_failures_total",
	    "pitlane_worker_queue_depth",
	};
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		for (size_t i = 0; p[0] != '#' && i < sizeof(wanted) / sizeof(wanted[0]); i++) {
			size_t wl = strlen(wanted[i]);
			if (len > wl && strncmp(p, wanted[i], wl) == 0 &&
			    (p[wl] == ' ' || p[wl] == '{')) {
				printf("  %.*s\n", (int)len, p);
				break;
			}
		}
		p += len + (nl ? 1 : 0);
	}
}

static void status_usage(FILE *f)
{
	fputs("usage: pitlanectl status -f broker.conf\n"
	      "       pitlanectl status --admin 127.0.0.1:PORT\n"
	      "Exit status: 0 ready, 1 not ready, 2 usage error or broker unreachable.\n",
	      f);
}

int ctl_status_main(int argc, char **argv)
{
	struct broker_config cfg;
	char host[BROKER_ADDR_MAX], err[1024], url[160];
	uint16_t port = 0;
	struct sink ready = {0}, metrics = {0};
	long st_ready = 0, st_metrics = 0;
	int rc = 2;

	if (argc == 3 && strcmp(argv[1], "-f") == 0) {
		if (broker_config_load(argv[2], &cfg, err, sizeof(err)) != 0) {
			fprintf(stderr, "pitlanectl status: %s\n", err);
			return 2;
		}
		if (!cfg.admin_enabled) {
			fprintf(stderr,
			        "pitlanectl status: %s has no admin_listen; add "
			        "'admin_listen 127.0.0.1:9090' and restart the broker\n",
			        argv[2]);
			return 2;
		}
		snprintf(host, sizeof(host), "%s", cfg.admin_host);
		port = cfg.admin_port;
	} else if (argc == 3 && strcmp(argv[1], "--admin") == 0) {
		if (broker_config_parse_addr(argv[2], host, &port) != 0) {
			fprintf(stderr, "pitlanectl status: --admin takes 127.0.0.1:PORT or "
			                "[::1]:PORT\n");
			return 2;
		}
	} else {
		status_usage(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(url, sizeof(url),
	         strchr(host, ':') ? "http://[%s]:%u/v1/ready" : "http://%s:%u/v1/ready", host,
	         port);
	if (http_get(url, &st_ready, &ready) != 0)
		goto out;
	snprintf(url, sizeof(url),
	         strchr(host, ':') ? "http://[%s]:%u/metrics" : "http://%s:%u/metrics", host, port);
	if (http_get(url, &st_metrics, &metrics) != 0)
		goto out;
	printf("broker: %s\n", st_ready == 200 ? "ready" : "NOT ready");
	if (st_metrics == 200 && metrics.p != NULL)
		print_metrics(metrics.p);
	rc = st_ready == 200 ? 0 : 1;
out:
	free(ready.p);
	free(metrics.p);
	curl_global_cleanup();
	return rc;
}
