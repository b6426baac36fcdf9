/* request.h -- one HTTP request as FastCGI hands it over: params, headers, cookies, body. */
#ifndef OW_REQUEST_H
#define OW_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "status.h"

#define REQUEST_HEADER_MAX 8192     /* doc/api.md section 7: header or cookie value */
#define REQUEST_PATH_MAX 2048
#define REQUEST_MAX_PAIRS 64        /* query parameters or cookies */

enum http_method {
	METHOD_GET, METHOD_HEAD, METHOD_POST, METHOD_PUT, METHOD_PATCH, METHOD_DELETE,
	METHOD_OPTIONS, METHOD_OTHER, METHOD_MAX
};

struct pair {
	const char *name;
	const char *value;
};

struct request {
	char **envp;                /* FastCGI params, NAME=value */
	enum http_method method;
	const char *method_name;
	const char *path;           /* decoded path, no query */
	const char *remote_addr;
	bool https;                 /* from the HTTPS param (proxies: see the caller) */
	struct pair query[REQUEST_MAX_PAIRS];
	size_t nquery;
	struct pair cookies[REQUEST_MAX_PAIRS];
	size_t ncookies;
	long content_length;        /* -1 when absent */
	const char *content_type;
	char *body;                 /* NUL-terminated, in the arena */
	size_t body_len;
};

/* Reads up to n bytes of body into buf; returns bytes read, 0 at end, -1 on error. */
typedef long (*request_reader)(void *ctx, char *buf, size_t n);

/*
 * Parse envp (NULL-terminated NAME=value strings that must outlive req) into
 * req, allocating in a. Returns ST_OK, or the error status the client gets:
 * ST_VALIDATION_ERROR for an oversized header or cookie, a parameter that
 * occurs twice with different values (a header folded with another spelling
 * of its name, such as X_Forwarded_For next to X-Forwarded-For), a
 * malformed path or query string; *why then says which.
 */
enum status request_parse(struct request *req, char **envp, struct arena *a, const char **why);

/*
 * Read the body declared by CONTENT_LENGTH: ST_PAYLOAD_TOO_LARGE when it is
 * over max_body (judged before reading), ST_VALIDATION_ERROR when the stream
 * ends early.
 */
enum status request_read_body(struct request *req, long max_body, request_reader read,
    void *ctx, struct arena *a);

/* FastCGI param by name (e.g. "HTTP_ORIGIN"), NULL if absent. */
const char *request_param(const struct request *req, const char *name);
/* Whether the Accept header names media_type (compared without regard to case, as RFC 9110 says). */
bool request_accepts(const struct request *req, const char *media_type);
/* Query parameter or cookie by name; NULL if absent. */
const char *request_query(const struct request *req, const char *name);
const char *request_cookie(const struct request *req, const char *name);
/* True if the Content-Type is application/json (any charset=utf-8 parameter). */
bool request_is_json(const struct request *req);
/* True if the Content-Type is application/x-www-form-urlencoded (any charset=utf-8 parameter). */
bool request_is_form(const struct request *req);
/*
 * The value of name in the form body read into req->body (percent-decoded
 * into a, '+' a space): NULL when absent; NULL with *bad when it is given
 * twice or does not decode (a bad escape, NUL, invalid UTF-8).
 */
const char *request_form(const struct request *req, const char *name, struct arena *a, bool *bad);

#endif
