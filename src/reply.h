/* reply.h -- the response being built: status, JSON body, headers; the only place HTTP codes live. */
#ifndef OW_REPLY_H
#define OW_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "arena.h"
#include "db.h"
#include "jsonin.h"
#include "status.h"

#define REPLY_MAX_HEADERS 16

/*
 * The headers of every response, errors and the last-resort 500 included
 * (doc/api.md section 1): nothing cached, nothing sniffed, and a JSON answer
 * opened in a browser may load nothing, be framed nowhere and send no
 * Referer onward.
 */
#define REPLY_FIXED_HEADERS \
	"Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n" \
	"Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n" \
	"X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n"

struct reply {
	enum status status;
	json_object *body;          /* success body, owned; NULL for none */
	const char *detail;         /* error detail; NULL: the status's default */
	struct field_errors errors; /* VALIDATION_ERROR details */
	const char *allow;          /* 405: the Allow header */
	long retry_after;           /* 423, 429, 503: seconds; 0 = none */
	bool token_sent;            /* 401: add error="invalid_token" */
	struct pair_header {
		const char *name;
		const char *value;
	} headers[REPLY_MAX_HEADERS];
	size_t nheaders;
	bool hsts;                  /* production: Strict-Transport-Security */
	bool head_only;             /* HEAD: no body */
};

void reply_init(struct reply *r);
/* Release the body object. */
void reply_clear(struct reply *r);
/* Set a success status and take ownership of body (may be NULL). */
void reply_json(struct reply *r, enum status st, json_object *body);
/* Set an error status with a detail (NULL: the default detail). Drops any body. */
void reply_error(struct reply *r, enum status st, const char *detail);
/*
 * The request status for a database outcome (doc/api.md section 2): a
 * duplicate is 409, an unreachable server 503, a refused value 400, a lost
 * deadlock ST_RETRY (the dispatcher runs the handler again), anything else
 * 500. A handler that expects a duplicate tests DB_DUPLICATE itself.
 */
enum status reply_db_status(enum db_result r);
/* Add a header; name and value must live as long as the reply (arena or static). */
void reply_header(struct reply *r, const char *name, const char *value);

/*
 * Render the FastCGI response (CGI headers, blank line, body) into the arena.
 * Returns the bytes and their length in *len, or NULL when the arena is full.
 */
char *reply_render(struct reply *r, struct arena *a, size_t *len);

#endif
