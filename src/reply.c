/* reply.c -- turn a status and a body into the CGI response with the headers doc/api.md requires. */
#include "reply.h"

#include <stdio.h>
#include <string.h>

void
reply_init(struct reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = ST_OK;
}

void
reply_clear(struct reply *r)
{
	json_object_put(r->body);
	r->body = NULL;
}

void
reply_json(struct reply *r, enum status st, json_object *body)
{
	json_object_put(r->body);
	r->status = st;
	r->body = body;
}

void
reply_error(struct reply *r, enum status st, const char *detail)
{
	json_object_put(r->body);
	r->body = NULL;
	r->status = st;
	r->detail = detail;
}

enum status
reply_db_status(enum db_result r)
{
	switch (r) {
	case DB_OK:
		return ST_OK;
	case DB_DUPLICATE:
		return ST_CONFLICT;
	case DB_UNAVAILABLE:
		return ST_SERVICE_UNAVAILABLE;
	case DB_DEADLOCK:
		return ST_RETRY;
	case DB_BAD_VALUE:
		return ST_VALIDATION_ERROR;
	case DB_ERROR:
		break;
	}
	return ST_INTERNAL_ERROR;
}

void
reply_header(struct reply *r, const char *name, const char *value)
{
	if (r->nheaders < REPLY_MAX_HEADERS) {
		r->headers[r->nheaders].name = name;
		r->headers[r->nheaders].value = value;
		r->nheaders++;
	}
}

static json_object *
error_body(const struct reply *r, const struct status_info *si)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "detail", json_object_new_string(r->detail != NULL ? r->detail : si->detail));
	json_object_object_add(o, "status_code", json_object_new_int(si->http));
	json_object_object_add(o, "code", json_object_new_string(si->code));
	if (r->status == ST_VALIDATION_ERROR && r->errors.n > 0) {
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < r->errors.n; i++) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "field", json_object_new_string(r->errors.e[i].field));
			json_object_object_add(e, "message", json_object_new_string(r->errors.e[i].message));
			json_object_array_add(arr, e);
		}
		json_object_object_add(o, "errors", arr);
	}
	return o;
}

char *
reply_render(struct reply *r, struct arena *a, size_t *len)
{
	const struct status_info *si = status_info(r->status);
	json_object *err = NULL;
	const char *body = NULL;
	size_t body_len = 0;

	/* An error with a body of its own (health's 503) keeps it; others get the error body. */
	if (r->body != NULL && r->status != ST_NO_CONTENT) {
		body = json_object_to_json_string_ext(r->body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	} else if (si->code != NULL) {
		err = error_body(r, si);
		body = json_object_to_json_string_ext(err, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	}
	if (body != NULL)
		body_len = strlen(body);

	size_t extra = 0;
	for (size_t i = 0; i < r->nheaders; i++)
		extra += strlen(r->headers[i].name) + strlen(r->headers[i].value) + 4;
	if (r->allow != NULL)
		extra += strlen(r->allow) + 10;
	size_t cap = 512 + extra + body_len;
	char *out = arena_alloc(a, cap);
	if (out == NULL) {
		json_object_put(err);
		return NULL;
	}
	size_t n = 0;
#define EMIT(...) (n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__))
	EMIT("Status: %d %s\r\n", si->http, si->reason);
	if (body != NULL)
		EMIT("Content-Type: application/json; charset=utf-8\r\n");
	EMIT("%s", REPLY_FIXED_HEADERS);
	if (r->hsts)
		EMIT("Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n");
	if (si->http == 401)
		EMIT("WWW-Authenticate: Bearer%s\r\n", r->token_sent ? " error=\"invalid_token\"" : "");
	if (r->status == ST_METHOD_NOT_ALLOWED && r->allow != NULL)
		EMIT("Allow: %s\r\n", r->allow);
	if (r->retry_after > 0)
		EMIT("Retry-After: %ld\r\n", r->retry_after);
	for (size_t i = 0; i < r->nheaders; i++)
		EMIT("%s: %s\r\n", r->headers[i].name, r->headers[i].value);
	/* 204 has no body to measure; HEAD announces the length GET would send. */
	if (si->http != 204)
		EMIT("Content-Length: %zu\r\n", body_len);
	EMIT("\r\n");
#undef EMIT
	if (body != NULL && !r->head_only && n + body_len < cap) {
		memcpy(out + n, body, body_len);
		n += body_len;
	}
	json_object_put(err);
	*len = n;
	return out;
}
