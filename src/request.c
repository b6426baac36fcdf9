/* request.c -- turn FastCGI params into a bounded, validated request. */
#include "request.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encoding.h"
#include "util.h"

static const char *const method_names[METHOD_MAX] = {
	[METHOD_GET] = "GET", [METHOD_HEAD] = "HEAD", [METHOD_POST] = "POST",
	[METHOD_PUT] = "PUT", [METHOD_PATCH] = "PATCH", [METHOD_DELETE] = "DELETE",
	[METHOD_OPTIONS] = "OPTIONS", [METHOD_OTHER] = "OTHER",
};

const char *
request_param(const struct request *req, const char *name)
{
	size_t n = strlen(name);
	for (char **e = req->envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/*
 * Percent-decode s[0..n) into the arena; '+' is a space when plus_space.
 * NULL for a bad escape, an encoded NUL, or invalid UTF-8.
 */
static char *
decode(struct arena *a, const char *s, size_t n, bool plus_space)
{
	size_t len = 0;
	char *out = encoding_percent_decode(a, s, n, plus_space, &len);

	if (out == NULL || !util_utf8_valid(out, len))
		return NULL;
	return out;
}

/*
 * Append name=value to a list of query parameters or cookies:
 * ST_VALIDATION_ERROR when the list is full (REQUEST_MAX_PAIRS) or either
 * could not be decoded or copied (NULL).
 */
static enum status
pair_add(struct pair *list, size_t *n, const char *name, const char *value)
{
	if (*n >= REQUEST_MAX_PAIRS || name == NULL || value == NULL)
		return ST_VALIDATION_ERROR;
	list[*n].name = name;
	list[*n].value = value;
	(*n)++;
	return ST_OK;
}

/* The next sep-separated segment of *p into seg (n bytes); false after the last. */
static bool
next_segment(const char **p, char sep, const char **seg, size_t *n)
{
	if (*p == NULL)
		return false;
	const char *end = strchr(*p, sep);
	*seg = *p;
	*n = end != NULL ? (size_t)(end - *p) : strlen(*p);
	*p = end != NULL ? end + 1 : NULL;
	return true;
}

/* seg[0..n) as name (its first *kn bytes) = value (*v, *vn; empty without '='): whether it had '='. */
static bool
split_pair(const char *seg, size_t n, size_t *kn, const char **v, size_t *vn)
{
	const char *eq = memchr(seg, '=', n);
	*kn = eq != NULL ? (size_t)(eq - seg) : n;
	*v = eq != NULL ? eq + 1 : seg + n;
	*vn = n - (size_t)(*v - seg);
	return eq != NULL;
}

static enum status
parse_query(struct request *req, const char *qs, struct arena *a)
{
	const char *p = qs, *seg, *v;
	size_t n, kn, vn;

	while (next_segment(&p, '&', &seg, &n)) {
		if (n == 0)
			continue;
		split_pair(seg, n, &kn, &v, &vn);   /* no '=': an empty value */
		if (pair_add(req->query, &req->nquery, decode(a, seg, kn, true),
		    decode(a, v, vn, true)) != ST_OK)
			return ST_VALIDATION_ERROR;
	}
	return ST_OK;
}

/* Cookie: a=b; c=d -- RFC 6265; values kept verbatim (optional quotes removed). */
static enum status
parse_cookies(struct request *req, const char *h, struct arena *a)
{
	const char *p = h, *seg, *v;
	size_t n, kn, vn;

	while (next_segment(&p, ';', &seg, &n)) {
		util_trim_blank(&seg, &n);
		if (!split_pair(seg, n, &kn, &v, &vn))
			continue;
		while (kn > 0 && (seg[kn - 1] == ' ' || seg[kn - 1] == '\t'))
			kn--;
		util_trim_blank(&v, &vn);
		util_strip_pair(&v, &vn, '"', '"');
		/* First occurrence wins, as browsers send the most specific path first. */
		if (pair_add(req->cookies, &req->ncookies, arena_strndup(a, seg, kn),
		    arena_strndup(a, v, vn)) != ST_OK)
			return ST_VALIDATION_ERROR;
	}
	return ST_OK;
}

#define REQUEST_MAX_PARAMS 1024

/*
 * True if a parameter name occurs twice with different values, or there are
 * too many to check. Web servers turn "X-Forwarded-For" and
 * "X_Forwarded_For" into the same HTTP_X_FORWARDED_FOR; lighttpd passes
 * both, in the client's order. Neither "first wins" nor joining them as a
 * list is safe: the client chooses which comes first, and so which one the
 * rightmost-untrusted-hop rule reads. Only header-name folding produces such
 * a pair (a server merges repeated headers of one spelling itself), so
 * refusing costs no honest client anything. The same value twice is no
 * ambiguity: Apache's mod_authnz_fcgi sends FCGI_ROLE so.
 */
static bool
repeated_param(char **envp)
{
	size_t n = 0;

	for (char **e = envp; e != NULL && *e != NULL; e++, n++) {
		if (n >= REQUEST_MAX_PARAMS)
			return true;
		size_t len = strcspn(*e, "=");
		for (char **f = envp; f != e; f++)
			if (strncmp(*f, *e, len) == 0 && ((*f)[len] == '=' || (*f)[len] == '\0') &&
			    strcmp(*f + len, *e + len) != 0)
				return true;
	}
	return false;
}

enum status
request_parse(struct request *req, char **envp, struct arena *a, const char **why)
{
	memset(req, 0, sizeof(*req));
	req->envp = envp;
	req->content_length = -1;
	*why = NULL;

	if (repeated_param(envp)) {
		*why = "Repeated request header";
		return ST_VALIDATION_ERROR;
	}
	for (char **e = envp; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		if (eq == NULL || strncmp(*e, "HTTP_", 5) != 0)
			continue;
		/*
		 * Any header value over the limit, credentials and the Cookie header
		 * included, is a 400 before anything reads it (doc/api.md section 7). A
		 * JWT over 8 KiB that arrives another way (the refresh_token body
		 * field) gets the 401 of its kind from token_verify.
		 */
		size_t len = strlen(eq + 1);
		if (len > REQUEST_HEADER_MAX) {
			*why = "Header value too large";
			return ST_VALIDATION_ERROR;
		}
	}
	const char *m = request_param(req, "REQUEST_METHOD");
	req->method = METHOD_OTHER;
	req->method_name = m != NULL ? m : "";
	for (int i = 0; m != NULL && i < METHOD_OTHER; i++)
		if (strcmp(m, method_names[i]) == 0)
			req->method = (enum http_method)i;

	/* REQUEST_URI is what the client sent, whatever the server's path mapping. */
	const char *uri = request_param(req, "REQUEST_URI");
	if (uri == NULL) {
		const char *sn = request_param(req, "SCRIPT_NAME"), *pi = request_param(req, "PATH_INFO");
		uri = arena_printf(a, "%s%s", sn != NULL ? sn : "", pi != NULL ? pi : "");
		if (uri == NULL)
			return ST_INTERNAL_ERROR;
	}
	size_t plen = strcspn(uri, "?#");
	if (plen == 0 || plen > REQUEST_PATH_MAX || uri[0] != '/' ||
	    (req->path = decode(a, uri, plen, false)) == NULL) {
		*why = "Malformed request path";
		return ST_VALIDATION_ERROR;
	}
	const char *qs = request_param(req, "QUERY_STRING");
	if (qs != NULL && parse_query(req, qs, a) != ST_OK) {
		*why = "Malformed query string";
		return ST_VALIDATION_ERROR;
	}
	const char *cookie = request_param(req, "HTTP_COOKIE");
	if (cookie != NULL && parse_cookies(req, cookie, a) != ST_OK) {
		*why = "Malformed cookies";
		return ST_VALIDATION_ERROR;
	}
	req->remote_addr = request_param(req, "REMOTE_ADDR");
	if (req->remote_addr == NULL)
		req->remote_addr = "";
	const char *https = request_param(req, "HTTPS");
	req->https = https != NULL && (strcasecmp(https, "on") == 0 || strcmp(https, "1") == 0);
	req->content_type = request_param(req, "CONTENT_TYPE");
	const char *cl = request_param(req, "CONTENT_LENGTH");
	if (cl != NULL && *cl != '\0') {
		long v;
		size_t digits = strspn(cl, "0123456789");
		if (digits == 0 || cl[digits] != '\0') {
			*why = "Malformed Content-Length";
			return ST_VALIDATION_ERROR;
		}
		/* Too large to represent is too large to accept: 413, not 400. */
		if (util_parse_long(cl, 0, 0x7fffffffL, &v) != 0)
			v = 0x7fffffffL;
		req->content_length = v;
	}
	return ST_OK;
}

enum status
request_read_body(struct request *req, long max_body, request_reader read, void *ctx,
    struct arena *a)
{
	if (req->content_length <= 0) {
		req->body = arena_strdup(a, "");
		req->body_len = 0;
		return req->body != NULL ? ST_OK : ST_INTERNAL_ERROR;
	}
	if (req->content_length > max_body)
		return ST_PAYLOAD_TOO_LARGE;
	size_t want = (size_t)req->content_length, got = 0;
	char *buf = arena_alloc(a, want + 1);
	if (buf == NULL)
		return ST_PAYLOAD_TOO_LARGE;
	while (got < want) {
		long n = read(ctx, buf + got, want - got);
		if (n <= 0)
			return ST_VALIDATION_ERROR;
		got += (size_t)n;
	}
	buf[got] = '\0';
	req->body = buf;
	req->body_len = got;
	return ST_OK;
}

static const char *
find_pair(const struct pair *pairs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(pairs[i].name, name) == 0)
			return pairs[i].value;
	return NULL;
}

const char *
request_query(const struct request *req, const char *name)
{
	return find_pair(req->query, req->nquery, name);
}

const char *
request_cookie(const struct request *req, const char *name)
{
	return find_pair(req->cookies, req->ncookies, name);
}

static bool media_type_is(const char *ct, const char *type);

bool
request_is_json(const struct request *req)
{
	return media_type_is(req->content_type, "application/json");
}

bool
request_is_form(const struct request *req)
{
	return media_type_is(req->content_type, "application/x-www-form-urlencoded");
}

const char *
request_form(const struct request *req, const char *name, struct arena *a, bool *bad)
{
	const char *p = req->body, *seg, *v, *found = NULL;
	size_t n, kn, vn;

	*bad = false;
	while (p != NULL && next_segment(&p, '&', &seg, &n)) {
		if (n == 0)
			continue;
		split_pair(seg, n, &kn, &v, &vn);
		if (kn != strlen(name) || memcmp(seg, name, kn) != 0)
			continue;
		/* Twice is ambiguous: which one a verifier read would be the sender's choice. */
		if (found != NULL || (found = decode(a, v, vn, true)) == NULL) {
			*bad = true;
			return NULL;
		}
	}
	return found;
}

/* ct names type (case-insensitive), with no parameter but an optional charset=utf-8. */
static bool
media_type_is(const char *ct, const char *type)
{
	size_t tlen = strlen(type);

	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, type, tlen) != 0)
		return false;
	ct += tlen;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (*ct == '\0')
		return true;
	if (*ct != ';')
		return false;
	/* Only UTF-8 is accepted (doc/api.md section 1); other parameters are ignored. */
	while (*ct == ';') {
		ct++;
		while (*ct == ' ' || *ct == '\t')
			ct++;
		size_t name = strcspn(ct, "=;");
		const char *value = ct[name] == '=' ? ct + name + 1 : ct + name;
		size_t vlen = strcspn(value, ";");
		while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
			vlen--;
		if (name == 7 && strncasecmp(ct, "charset", 7) == 0) {
			if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
				value++;
				vlen -= 2;
			}
			if (vlen != 5 || strncasecmp(value, "utf-8", 5) != 0)
				return false;
		}
		ct = value + strcspn(value, ";");
	}
	return *ct == '\0';
}

bool
request_accepts(const struct request *req, const char *media_type)
{
	const char *accept = request_param(req, "HTTP_ACCEPT");
	return accept != NULL && strcasestr(accept, media_type) != NULL;
}
