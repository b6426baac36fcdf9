/* oidc_http.h -- the provider HTTP client (libcurl), shared by discovery and the token request; not for handlers. */
#ifndef OW_OIDC_HTTP_H
#define OW_OIDC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "oidc.h"

#define OIDC_HOST_LEN 128           /* a URL's host (and port) for a log line */

/*
 * A response body: allocated whole (max + 1 bytes) before the call, so that
 * no realloc leaves copies of a token behind; oidc_body_free wipes it.
 */
struct oidc_body {
	char *p;                    /* NUL-terminated */
	size_t len, max;
	bool too_large;
};
/* Wipe and free b->p; safe on a zeroed or already freed body. */
void oidc_body_free(struct oidc_body *b);

/*
 * GET url, or POST form (application/x-www-form-urlencoded) when form is not
 * NULL, with one extra header line (or NULL). Only http and https, no
 * redirects, no proxy, o->timeout for the whole exchange, every connection
 * checked by oidc_addr_allowed on the address actually connected to. The
 * body (at most max bytes) lands in *b, which the caller frees with
 * oidc_body_free whatever the result; *status receives the HTTP status on
 * OIDC_OK. Errors: OIDC_E_UNREACHABLE, OIDC_E_TOO_LARGE, OIDC_E_ADDRESS,
 * OIDC_E_INTERNAL, each logged once here (the host only, never the path).
 */
enum oidc_error oidc_http_call(const char *url, const char *form, const char *header,
    const struct oidc_opts *o, size_t max, long *status, struct oidc_body *b);

/*
 * GET url expecting HTTP 200 and a JSON object of at most max bytes; *out
 * receives it (the caller puts it), or NULL with OIDC_E_HTTP,
 * OIDC_E_MALFORMED or an oidc_http_call error.
 */
enum oidc_error oidc_fetch_json(const char *url, const struct oidc_opts *o, size_t max,
    json_object **out);

/* The host part of url for log lines (never its path or query), cut to fit. */
void oidc_url_host(const char *url, char out[OIDC_HOST_LEN]);

#endif
