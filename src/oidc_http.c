/* oidc_http.c -- provider calls through <curl/curl.h> (notify_send.c is its only other user), bounded in time, size and address. */
#include "oidc_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "jsonin.h"
#include "log.h"

int
oidc_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
oidc_global_cleanup(void)
{
	curl_global_cleanup();
}

/* The buffer is allocated whole up front: no realloc leaves copies of a token behind. */
static size_t
on_data(char *data, size_t size, size_t nmemb, void *ud)
{
	struct oidc_body *b = ud;
	size_t n = size * nmemb;

	if (n > b->max - b->len) {
		b->too_large = true;
		return 0;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

void
oidc_body_free(struct oidc_body *b)
{
	if (b->p != NULL) {
		explicit_bzero(b->p, b->max + 1);
		free(b->p);
	}
	b->p = NULL;
}

/* What the connect-time address check needs, and what it found. */
struct call {
	const struct oidc_opts *o;
	bool refused;
};

/*
 * Every socket libcurl opens for a provider call goes through here, with
 * the address it resolved: the address checked is the address connected
 * to, so a name that resolves to a public address when checked and to a
 * private one when used (DNS rebinding) cannot slip through.
 */
static curl_socket_t
open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct call *c = ud;
	const void *ip = NULL;

	if (purpose == CURLSOCKTYPE_IPCXN && sa->family == AF_INET)
		ip = &((const struct sockaddr_in *)(const void *)&sa->addr)->sin_addr;
	else if (purpose == CURLSOCKTYPE_IPCXN && sa->family == AF_INET6)
		ip = &((const struct sockaddr_in6 *)(const void *)&sa->addr)->sin6_addr;
	if (ip == NULL || !oidc_addr_allowed(sa->family, ip, c->o)) {
		c->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
}

void
oidc_url_host(const char *url, char out[OIDC_HOST_LEN])
{
	const char *p = strstr(url, "://");
	p = p != NULL ? p + 3 : url;
	snprintf(out, OIDC_HOST_LEN, "%.*s", (int)strcspn(p, "/?#"), p);
}

enum oidc_error
oidc_http_call(const char *url, const char *form, const char *header, const struct oidc_opts *o,
    size_t max, long *status, struct oidc_body *b)
{
	enum oidc_error res = OIDC_E_INTERNAL;
	struct curl_slist *hdrs = NULL, *tmp;
	struct call call = {o, false};
	char host[OIDC_HOST_LEN];
	CURL *h;

	*status = 0;
	memset(b, 0, sizeof(*b));
	b->max = max;
	b->p = malloc(max + 1);
	if (b->p == NULL)
		return OIDC_E_INTERNAL;
	b->p[0] = '\0';
	if ((h = curl_easy_init()) == NULL)
		return OIDC_E_INTERNAL;
	if ((tmp = curl_slist_append(hdrs, "Accept: application/json")) == NULL)
		goto out;
	hdrs = tmp;
	if (header != NULL) {
		if ((tmp = curl_slist_append(hdrs, header)) == NULL)
			goto out;
		hdrs = tmp;
	}
	/*
	 * Only http(s), no redirects (a provider that moves must be reconfigured,
	 * not followed), a hard deadline for the whole exchange, no signals (the
	 * worker's own handlers stay in charge), and a size cap.
	 */
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
#else
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) != CURLE_OK ||
#endif
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    /* No proxy from the environment: the address check must see the provider itself. */
	    curl_easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &call) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, b) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "overwatch-auth") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK)
		goto out;
	if (form != NULL && (curl_easy_setopt(h, CURLOPT_POSTFIELDS, form) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(form)) != CURLE_OK))
		goto out;
	CURLcode rc = curl_easy_perform(h);
	oidc_url_host(url, host);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
		res = OIDC_OK;
	} else if (b->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		log_warning("sso: response of %s is larger than %zu bytes", host, max);
		res = OIDC_E_TOO_LARGE;
	} else if (rc == CURLE_OUT_OF_MEMORY) {
		res = OIDC_E_INTERNAL;
	} else if (call.refused) {
		log_warning("sso: %s resolves to an address in a network this service may not reach", host);
		res = OIDC_E_ADDRESS;
	} else {
		log_warning("sso: %s: %s", host, curl_easy_strerror(rc));
		res = OIDC_E_UNREACHABLE;
	}
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return res;
}

enum oidc_error
oidc_fetch_json(const char *url, const struct oidc_opts *o, size_t max, json_object **out)
{
	struct oidc_body b;
	long status;
	const char *why = NULL;
	char host[OIDC_HOST_LEN];
	enum oidc_error r = oidc_http_call(url, NULL, NULL, o, max, &status, &b);

	*out = NULL;
	if (r == OIDC_OK) {
		oidc_url_host(url, host);
		if (status != 200) {
			log_warning("sso: %s answered HTTP %ld", host, status);
			r = OIDC_E_HTTP;
		} else if ((*out = jv_parse_strict(b.p, b.len, &why)) == NULL ||
		    !json_object_is_type(*out, json_type_object)) {
			log_warning("sso: %s did not answer a JSON object", host);
			json_object_put(*out);
			*out = NULL;
			r = OIDC_E_MALFORMED;
		}
	}
	oidc_body_free(&b);
	return r;
}
