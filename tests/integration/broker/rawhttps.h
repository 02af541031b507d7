/*
 * A minimal HTTP/1.1-over-TLS-1.3 keep-alive client for the load generator
 * (tokreq --lean-client): one POST at a time on one connection, no redirects, no
 * chunked answers (the broker always sends Content-Length). libcurl costs the
 * load generator about 150 us of CPU per request on this machine, which the
 * broker's benchmark would otherwise share its cores with; this costs a few
 * tens. Not used by the product.
 */
#ifndef PITLANE_TEST_RAWHTTPS_H
#define PITLANE_TEST_RAWHTTPS_H

#include <stddef.h>
#include <stdint.h>

struct rawhttps;

/* url: https://HOST:PORT/PATH (an IPv4 literal host). NULL on failure, why on stderr. */
struct rawhttps *rawhttps_new(const char *url, const char *cacert, const char *cert,
			      const char *key);
/* POSTs body; fills status and the answer body (up to cap). 0 or -1 (connection failed). */
int rawhttps_post(struct rawhttps *c, const char *content_type, const uint8_t *body,
		  size_t len, long *status, uint8_t *out, size_t cap, size_t *out_len);
void rawhttps_free(struct rawhttps *c);

#endif
