/* check_reply.c -- unit tests for reply.c: status line, mandatory headers, error bodies, 401/405/Retry-After/HSTS. */
#include "unit.h"
#include <strings.h>

#include <json-c/json.h>

#include "reply.h"

static struct arena arena;

static void
setup(void)
{
	arena_init(&arena, 1024 * 1024);
}

static void
teardown(void)
{
	arena_free(&arena);
}

/* A rendered response split into its parts. */
struct rendered {
	char *raw;
	size_t len;
	char head[4096];        /* header block, without the blank line */
	const char *body;       /* after the blank line */
	size_t body_len;
};

static void
render(struct reply *r, struct rendered *out)
{
	char *raw;

	memset(out, 0, sizeof *out);
	raw = reply_render(r, &arena, &out->len);
	ck_assert_ptr_nonnull(raw);
	ck_assert_uint_eq(strnlen(raw, out->len), out->len);  /* no NUL inside */
	/* A NUL-terminated copy, so string functions stop at the end. */
	out->raw = arena_strndup(&arena, raw, out->len);
	ck_assert_ptr_nonnull(out->raw);
	const char *sep = strstr(out->raw, "\r\n\r\n");
	ck_assert_msg(sep != NULL, "no blank line in:\n%s", out->raw);
	size_t hl = (size_t)(sep - out->raw);
	ck_assert_uint_lt(hl, sizeof out->head);
	memcpy(out->head, out->raw, hl);
	out->head[hl] = '\0';
	out->body = sep + 4;
	out->body_len = out->len - hl - 4;
	/* Every header line is "Name: value" ending in CRLF; no bare LF. */
	for (const char *p = out->raw; p < sep; p++) {
		if (*p == '\n')
			ck_assert_msg(p > out->raw && p[-1] == '\r', "bare LF in header block");
	}
}

/* Value of header name (case-insensitive); NULL if absent; fails if it occurs twice. */
static const char *
header(const struct rendered *rd, const char *name, char *buf, size_t buflen)
{
	const char *found = NULL;
	size_t nl = strlen(name);

	for (const char *line = rd->head; line != NULL && *line != '\0';) {
		const char *end = strstr(line, "\r\n");
		size_t ll = end != NULL ? (size_t)(end - line) : strlen(line);
		if (ll > nl + 1 && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			ck_assert_msg(found == NULL, "header %s twice", name);
			const char *v = line + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = ll - (size_t)(v - line);
			ck_assert_uint_lt(vl, buflen);
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			found = buf;
		}
		line = end != NULL ? end + 2 : NULL;
	}
	return found;
}

static size_t
count_header(const struct rendered *rd, const char *name)
{
	size_t n = 0, nl = strlen(name);

	for (const char *line = rd->head; line != NULL && *line != '\0';) {
		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':')
			n++;
		const char *end = strstr(line, "\r\n");
		line = end != NULL ? end + 2 : NULL;
	}
	return n;
}

static void
assert_always_headers(const struct rendered *rd)
{
	char v[256];

	ck_assert_ptr_nonnull(header(rd, "Cache-Control", v, sizeof v));
	ck_assert_str_eq(v, "no-store");
	ck_assert_ptr_nonnull(header(rd, "X-Content-Type-Options", v, sizeof v));
	ck_assert_str_eq(v, "nosniff");
	ck_assert_ptr_nonnull(header(rd, "Content-Security-Policy", v, sizeof v));
	ck_assert_str_eq(v, "default-src 'none'; frame-ancestors 'none'");
	ck_assert_ptr_nonnull(header(rd, "X-Frame-Options", v, sizeof v));
	ck_assert_str_eq(v, "DENY");
	ck_assert_ptr_nonnull(header(rd, "Referrer-Policy", v, sizeof v));
	ck_assert_str_eq(v, "no-referrer");
	ck_assert_msg(strncmp(rd->head, "Status: ", 8) == 0, "first line: %.40s", rd->head);
	/* Content-Length, where present, tells the truth. */
	if (header(rd, "Content-Length", v, sizeof v) != NULL) {
		char want[32];
		snprintf(want, sizeof want, "%zu", rd->body_len);
		ck_assert_str_eq(v, want);
	}
}

/* ---- every status ---- */

static const struct {
	enum status st;
	int http;
	const char *reason;
	const char *code;       /* NULL: success, no error body */
} statuses[] = {
	{ST_OK, 200, "OK", NULL},
	{ST_CREATED, 201, "Created", NULL},
	{ST_ACCEPTED, 202, "Accepted", NULL},
	{ST_NO_CONTENT, 204, "No Content", NULL},
	{ST_FOUND, 302, "Found", NULL},
	{ST_VALIDATION_ERROR, 400, "Bad Request", "VALIDATION_ERROR"},
	{ST_INVALID_TOKEN, 401, "Unauthorized", "INVALID_TOKEN"},
	{ST_INVALID_API_KEY, 401, "Unauthorized", "INVALID_API_KEY"},
	{ST_INVALID_CREDENTIALS, 401, "Unauthorized", "INVALID_CREDENTIALS"},
	{ST_REAUTHENTICATION_REQUIRED, 401, "Unauthorized", "REAUTHENTICATION_REQUIRED"},
	{ST_INSUFFICIENT_PERMISSIONS, 403, "Forbidden", "INSUFFICIENT_PERMISSIONS"},
	{ST_CSRF_REJECTED, 403, "Forbidden", "CSRF_REJECTED"},
	{ST_HTTPS_REQUIRED, 403, "Forbidden", "HTTPS_REQUIRED"},
	{ST_SSO_REQUIRED, 403, "Forbidden", "SSO_REQUIRED"},
	{ST_NOT_FOUND, 404, "Not Found", "NOT_FOUND"},
	{ST_METHOD_NOT_ALLOWED, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED"},
	{ST_CONFLICT, 409, "Conflict", "CONFLICT"},
	{ST_PAYLOAD_TOO_LARGE, 413, "Payload Too Large", "PAYLOAD_TOO_LARGE"},
	{ST_UNSUPPORTED_MEDIA_TYPE, 415, "Unsupported Media Type", "UNSUPPORTED_MEDIA_TYPE"},
	{ST_ACCOUNT_LOCKED, 423, "Locked", "ACCOUNT_LOCKED"},
	{ST_RATE_LIMITED, 429, "Too Many Requests", "RATE_LIMITED"},
	{ST_INTERNAL_ERROR, 500, "Internal Server Error", "INTERNAL_ERROR"},
	{ST_BAD_GATEWAY, 502, "Bad Gateway", "SSO_PROVIDER_ERROR"},
	{ST_SERVICE_UNAVAILABLE, 503, "Service Unavailable", "SERVICE_UNAVAILABLE"},
	{ST_RETRY, 503, "Service Unavailable", "SERVICE_UNAVAILABLE"},
};

START_TEST(test_status)
{
	struct reply r;
	struct rendered rd;
	char line[128], v[256];

	ck_assert_uint_eq(sizeof statuses / sizeof statuses[0], ST_MAX);
	reply_init(&r);
	reply_error(&r, statuses[_i].st, NULL);
	render(&r, &rd);
	snprintf(line, sizeof line, "Status: %d %s\r\n", statuses[_i].http, statuses[_i].reason);
	ck_assert_msg(strncmp(rd.raw, line, strlen(line)) == 0, "got %.60s", rd.raw);
	assert_always_headers(&rd);
	ck_assert_uint_eq(count_header(&rd, "Cache-Control"), 1);
	ck_assert_uint_eq(count_header(&rd, "X-Content-Type-Options"), 1);
	ck_assert_ptr_null(header(&rd, "Strict-Transport-Security", v, sizeof v));
	ck_assert_ptr_null(header(&rd, "Allow", v, sizeof v));
	ck_assert_ptr_null(header(&rd, "Retry-After", v, sizeof v));
	if (statuses[_i].http == 401) {
		ck_assert_ptr_nonnull(header(&rd, "WWW-Authenticate", v, sizeof v));
		ck_assert_str_eq(v, "Bearer");
	} else {
		ck_assert_ptr_null(header(&rd, "WWW-Authenticate", v, sizeof v));
	}
	if (statuses[_i].code == NULL) {
		ck_assert_uint_eq(rd.body_len, 0);
		ck_assert_ptr_null(header(&rd, "Content-Type", v, sizeof v));
		reply_clear(&r);
		return;
	}
	/* The error body: exactly detail, status_code, code. */
	ck_assert_ptr_nonnull(header(&rd, "Content-Type", v, sizeof v));
	ck_assert_str_eq(v, "application/json; charset=utf-8");
	json_object *o = json_tokener_parse(rd.body);
	ck_assert_msg(o != NULL && json_object_is_type(o, json_type_object), "body: %s", rd.body);
	ck_assert_int_eq(json_object_object_length(o), 3);
	json_object *d, *sc, *c;
	ck_assert(json_object_object_get_ex(o, "detail", &d) && json_object_is_type(d, json_type_string));
	ck_assert(json_object_object_get_ex(o, "status_code", &sc) && json_object_is_type(sc, json_type_int));
	ck_assert(json_object_object_get_ex(o, "code", &c) && json_object_is_type(c, json_type_string));
	ck_assert_str_eq(json_object_get_string(d), status_info(statuses[_i].st)->detail);
	ck_assert_int_gt(strlen(json_object_get_string(d)), 0);
	ck_assert_int_eq(json_object_get_int(sc), statuses[_i].http);
	ck_assert_str_eq(json_object_get_string(c), statuses[_i].code);
	json_object_put(o);
	reply_clear(&r);
}
END_TEST

/* doc/api.md's default detail for a missing credential. */
START_TEST(test_status_table_details)
{
	ck_assert_str_eq(status_info(ST_INVALID_TOKEN)->detail, "Token is missing");
	ck_assert_int_eq(status_info(ST_MAX)->http, 500);
	ck_assert_int_eq(status_info((enum status)-1)->http, 500);
}
END_TEST

/* ---- success bodies ---- */

START_TEST(test_success_body)
{
	struct reply r;
	struct rendered rd;
	char v[256];
	json_object *b = json_object_new_object();

	json_object_object_add(b, "status", json_object_new_string("ok"));
	json_object_object_add(b, "path", json_object_new_string("/api/v1"));
	reply_init(&r);
	reply_json(&r, ST_OK, b);
	render(&r, &rd);
	ck_assert(strncmp(rd.raw, "Status: 200 OK\r\n", 16) == 0);
	assert_always_headers(&rd);
	ck_assert_ptr_nonnull(header(&rd, "Content-Type", v, sizeof v));
	ck_assert_str_eq(v, "application/json; charset=utf-8");
	ck_assert_uint_eq(rd.body_len, strlen("{\"status\":\"ok\",\"path\":\"/api/v1\"}"));
	ck_assert_int_eq(memcmp(rd.body, "{\"status\":\"ok\",\"path\":\"/api/v1\"}", rd.body_len), 0);
	/* Replacing the body releases the old one (run under valgrind/ASan to see leaks). */
	reply_json(&r, ST_CREATED, json_object_new_array());
	render(&r, &rd);
	ck_assert(strncmp(rd.raw, "Status: 201 Created\r\n", 21) == 0);
	ck_assert_uint_eq(rd.body_len, 2);
	ck_assert_int_eq(memcmp(rd.body, "[]", 2), 0);
	reply_clear(&r);
	ck_assert_ptr_null(r.body);
	reply_clear(&r);
}
END_TEST

/* An error status with its own body (health's 503) keeps that body. */
START_TEST(test_error_with_own_body)
{
	struct reply r;
	struct rendered rd;
	char v[64];
	json_object *b = json_object_new_object();

	json_object_object_add(b, "status", json_object_new_string("degraded"));
	json_object_object_add(b, "database", json_object_new_string("unreachable"));
	reply_init(&r);
	reply_json(&r, ST_SERVICE_UNAVAILABLE, b);
	r.retry_after = 5;
	render(&r, &rd);
	ck_assert(strncmp(rd.raw, "Status: 503 Service Unavailable\r\n", 33) == 0);
	ck_assert_int_eq(memcmp(rd.body, "{\"status\":\"degraded\",\"database\":\"unreachable\"}", rd.body_len), 0);
	ck_assert_ptr_nonnull(header(&rd, "Retry-After", v, sizeof v));
	ck_assert_str_eq(v, "5");
	assert_always_headers(&rd);
	/* reply_error drops the body and gives the error body. */
	reply_error(&r, ST_SERVICE_UNAVAILABLE, NULL);
	ck_assert_ptr_null(r.body);
	render(&r, &rd);
	ck_assert_ptr_nonnull(strstr(rd.body, "\"code\":\"SERVICE_UNAVAILABLE\""));
	reply_clear(&r);
}
END_TEST

/* 204: no body and no Content-Type even if a body was set. */
START_TEST(test_no_content)
{
	struct reply r;
	struct rendered rd;
	char v[64];

	reply_init(&r);
	reply_json(&r, ST_NO_CONTENT, json_object_new_object());
	render(&r, &rd);
	ck_assert(strncmp(rd.raw, "Status: 204 No Content\r\n", 24) == 0);
	ck_assert_uint_eq(rd.body_len, 0);
	ck_assert_ptr_null(header(&rd, "Content-Type", v, sizeof v));
	assert_always_headers(&rd);
	reply_clear(&r);
}
END_TEST

/* RFC 9110 section 8.6: no Content-Length in a 204. */
START_TEST(test_no_content_has_no_content_length)
{
	struct reply r;
	struct rendered rd;
	char v[64];

	reply_init(&r);
	reply_json(&r, ST_NO_CONTENT, NULL);
	render(&r, &rd);
	ck_assert_msg(header(&rd, "Content-Length", v, sizeof v) == NULL, "204 with Content-Length: %s", v);
	reply_clear(&r);
}
END_TEST

/* ---- error bodies ---- */

static const struct {
	enum status st;
	const char *detail;
} details[] = {
	{ST_INVALID_TOKEN, "JWT token has expired"},
	{ST_INVALID_TOKEN, "Token has been revoked"},
	{ST_INVALID_TOKEN, "Token is missing"},
	{ST_NOT_FOUND, "Incident not found"},
	{ST_CONFLICT, "Email already registered"},
	{ST_VALIDATION_ERROR, "quote \" backslash \\ slash / newline \n tab \t"},
	{ST_VALIDATION_ERROR, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
	{ST_VALIDATION_ERROR, "</script><script>alert(1)</script>"},
	{ST_VALIDATION_ERROR, ""},
};

START_TEST(test_detail)
{
	struct reply r;
	struct rendered rd;

	reply_init(&r);
	reply_error(&r, details[_i].st, details[_i].detail);
	render(&r, &rd);
	assert_always_headers(&rd);
	json_object *o = json_tokener_parse(rd.body), *d;
	ck_assert_msg(o != NULL, "body: %s", rd.body);
	ck_assert(json_object_object_get_ex(o, "detail", &d));
	ck_assert_str_eq(json_object_get_string(d), details[_i].detail);
	ck_assert_ptr_null(memchr(rd.body, '\n', rd.body_len));    /* escaped, one line */
	json_object_put(o);
	reply_clear(&r);
}
END_TEST

START_TEST(test_validation_errors)
{
	struct reply r;
	struct rendered rd;
	json_object *o, *errs, *e, *x;

	reply_init(&r);
	reply_error(&r, ST_VALIDATION_ERROR, "Request validation failed");
	field_error_add(&r.errors, "email", "is required");
	field_error_add(&r.errors, "password", "is too short");
	render(&r, &rd);
	assert_always_headers(&rd);
	o = json_tokener_parse(rd.body);
	ck_assert_msg(o != NULL, "body: %s", rd.body);
	ck_assert_int_eq(json_object_object_length(o), 4);
	ck_assert(json_object_object_get_ex(o, "status_code", &x));
	ck_assert_int_eq(json_object_get_int(x), 400);
	ck_assert(json_object_object_get_ex(o, "code", &x));
	ck_assert_str_eq(json_object_get_string(x), "VALIDATION_ERROR");
	ck_assert(json_object_object_get_ex(o, "errors", &errs));
	ck_assert(json_object_is_type(errs, json_type_array));
	ck_assert_uint_eq(json_object_array_length(errs), 2);
	static const char *const want[2][2] = {{"email", "is required"}, {"password", "is too short"}};
	for (size_t i = 0; i < 2; i++) {
		e = json_object_array_get_idx(errs, i);
		ck_assert_int_eq(json_object_object_length(e), 2);
		ck_assert(json_object_object_get_ex(e, "field", &x));
		ck_assert_str_eq(json_object_get_string(x), want[i][0]);
		ck_assert(json_object_object_get_ex(e, "message", &x));
		ck_assert_str_eq(json_object_get_string(x), want[i][1]);
	}
	json_object_put(o);
	reply_clear(&r);
}
END_TEST

/* No errors: no "errors" key; errors on another status: not shown. */
START_TEST(test_errors_only_for_validation)
{
	struct reply r;
	struct rendered rd;

	reply_init(&r);
	reply_error(&r, ST_VALIDATION_ERROR, NULL);
	render(&r, &rd);
	ck_assert_ptr_null(strstr(rd.body, "\"errors\""));
	/* A single error is shown too. */
	field_error_add(&r.errors, "name", "must not be empty");
	render(&r, &rd);
	ck_assert_ptr_nonnull(strstr(rd.body, "\"errors\":[{\"field\":\"name\",\"message\":\"must not be empty\"}]"));
	r.errors.n = 0;
	reply_error(&r, ST_CONFLICT, NULL);
	field_error_add(&r.errors, "email", "taken");
	render(&r, &rd);
	ck_assert_ptr_null(strstr(rd.body, "\"errors\""));
	ck_assert_ptr_nonnull(strstr(rd.body, "\"code\":\"CONFLICT\""));
	/* The full 16 errors render. */
	reply_error(&r, ST_VALIDATION_ERROR, NULL);
	r.errors.n = 0;
	for (int i = 0; i < FIELD_ERRORS_MAX + 2; i++)
		field_error_add(&r.errors, "f", "m");
	render(&r, &rd);
	json_object *o = json_tokener_parse(rd.body), *errs;
	ck_assert(json_object_object_get_ex(o, "errors", &errs));
	ck_assert_uint_eq(json_object_array_length(errs), FIELD_ERRORS_MAX);
	json_object_put(o);
	reply_clear(&r);
}
END_TEST

/* ---- 401 ---- */

static const struct {
	enum status st;
	bool token_sent;
	const char *want;
} authn[] = {
	{ST_INVALID_TOKEN, false, "Bearer"},
	{ST_INVALID_TOKEN, true, "Bearer error=\"invalid_token\""},
	{ST_INVALID_API_KEY, false, "Bearer"},
	{ST_INVALID_API_KEY, true, "Bearer error=\"invalid_token\""},
	{ST_INVALID_CREDENTIALS, false, "Bearer"},
	{ST_REAUTHENTICATION_REQUIRED, false, "Bearer"},
	{ST_INSUFFICIENT_PERMISSIONS, true, NULL},
	{ST_OK, true, NULL},
	{ST_NOT_FOUND, true, NULL},
};

START_TEST(test_www_authenticate)
{
	struct reply r;
	struct rendered rd;
	char v[256];

	reply_init(&r);
	reply_error(&r, authn[_i].st, NULL);
	r.token_sent = authn[_i].token_sent;
	render(&r, &rd);
	const char *got = header(&rd, "WWW-Authenticate", v, sizeof v);
	if (authn[_i].want == NULL) {
		ck_assert_msg(got == NULL, "status %d has WWW-Authenticate: %s", authn[_i].st, got);
	} else {
		ck_assert_msg(got != NULL, "status %d lacks WWW-Authenticate", authn[_i].st);
		ck_assert_str_eq(got, authn[_i].want);
	}
	assert_always_headers(&rd);
	reply_clear(&r);
}
END_TEST

/* ---- 405, Retry-After, HSTS, extra headers ---- */

START_TEST(test_allow)
{
	struct reply r;
	struct rendered rd;
	char v[256];

	reply_init(&r);
	reply_error(&r, ST_METHOD_NOT_ALLOWED, NULL);
	r.allow = "GET, HEAD";
	render(&r, &rd);
	ck_assert(strncmp(rd.raw, "Status: 405 Method Not Allowed\r\n", 32) == 0);
	ck_assert_ptr_nonnull(header(&rd, "Allow", v, sizeof v));
	ck_assert_str_eq(v, "GET, HEAD");
	assert_always_headers(&rd);
	ck_assert_ptr_nonnull(strstr(rd.body, "\"code\":\"METHOD_NOT_ALLOWED\""));
	/* A long list fits. */
	r.allow = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
	render(&r, &rd);
	ck_assert_ptr_nonnull(header(&rd, "Allow", v, sizeof v));
	ck_assert_str_eq(v, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
	/* Allow belongs to 405 only. */
	reply_error(&r, ST_NOT_FOUND, NULL);
	render(&r, &rd);
	ck_assert_ptr_null(header(&rd, "Allow", v, sizeof v));
	reply_clear(&r);
}
END_TEST

static const struct {
	enum status st;
	long seconds;
	const char *want;
} retry[] = {
	{ST_ACCOUNT_LOCKED, 900, "900"},
	{ST_ACCOUNT_LOCKED, 1, "1"},
	{ST_RATE_LIMITED, 60, "60"},
	{ST_SERVICE_UNAVAILABLE, 5, "5"},
	{ST_SERVICE_UNAVAILABLE, 0, NULL},
	{ST_ACCOUNT_LOCKED, 0, NULL},
	{ST_RATE_LIMITED, -3, NULL},
	{ST_ACCOUNT_LOCKED, 2147483647L, "2147483647"},
};

START_TEST(test_retry_after)
{
	struct reply r;
	struct rendered rd;
	char v[64];

	reply_init(&r);
	reply_error(&r, retry[_i].st, NULL);
	r.retry_after = retry[_i].seconds;
	render(&r, &rd);
	const char *got = header(&rd, "Retry-After", v, sizeof v);
	if (retry[_i].want == NULL)
		ck_assert_msg(got == NULL, "Retry-After: %s for %ld", got, retry[_i].seconds);
	else
		ck_assert_str_eq(got != NULL ? got : "(absent)", retry[_i].want);
	assert_always_headers(&rd);
	reply_clear(&r);
}
END_TEST

static const enum status hsts_statuses[] = {ST_OK, ST_NO_CONTENT, ST_HTTPS_REQUIRED, ST_INVALID_TOKEN, ST_INTERNAL_ERROR};

START_TEST(test_hsts)
{
	struct reply r;
	struct rendered rd;
	char v[128];

	reply_init(&r);
	reply_error(&r, hsts_statuses[_i], NULL);
	r.hsts = true;
	render(&r, &rd);
	ck_assert_ptr_nonnull(header(&rd, "Strict-Transport-Security", v, sizeof v));
	ck_assert_msg(strncmp(v, "max-age=", 8) == 0 && atol(v + 8) >= 31536000, "HSTS: %s", v);
	assert_always_headers(&rd);
	r.hsts = false;
	render(&r, &rd);
	ck_assert_ptr_null(header(&rd, "Strict-Transport-Security", v, sizeof v));
	reply_clear(&r);
}
END_TEST

START_TEST(test_extra_headers)
{
	struct reply r;
	struct rendered rd;
	char v[256];

	reply_init(&r);
	reply_json(&r, ST_OK, json_object_new_object());
	reply_header(&r, "Set-Cookie", "access_token=a; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict");
	reply_header(&r, "Set-Cookie", "refresh_token=r; Path=/api/v1/auth; Max-Age=604800; HttpOnly; SameSite=Strict");
	reply_header(&r, "Location", "/console");
	render(&r, &rd);
	ck_assert_uint_eq(count_header(&rd, "Set-Cookie"), 2);
	const char *first = strstr(rd.head, "Set-Cookie: access_token=a;");
	const char *second = strstr(rd.head, "Set-Cookie: refresh_token=r;");
	ck_assert(first != NULL && second != NULL && first < second);
	ck_assert_ptr_nonnull(header(&rd, "Location", v, sizeof v));
	ck_assert_str_eq(v, "/console");
	assert_always_headers(&rd);
	/* More than REPLY_MAX_HEADERS: the extra ones are dropped, nothing overflows. */
	for (int i = 0; i < REPLY_MAX_HEADERS + 5; i++)
		reply_header(&r, "X-Test", "1");
	ck_assert_uint_eq(r.nheaders, REPLY_MAX_HEADERS);
	render(&r, &rd);
	ck_assert_uint_eq(count_header(&rd, "X-Test"), REPLY_MAX_HEADERS - 3);
	assert_always_headers(&rd);
	reply_clear(&r);
}
END_TEST

/* Long header values and a large body: everything is rendered whole. */
START_TEST(test_large)
{
	struct reply r;
	size_t len = 0, hits = 0;
	char *big = malloc(9000), *line = malloc(9100), want[64];

	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(line);
	memset(big, 'v', 8999);
	big[8999] = '\0';
	reply_init(&r);
	json_object *b = json_object_new_object();
	json_object_object_add(b, "blob", json_object_new_string(big));
	reply_json(&r, ST_OK, b);
	for (int i = 0; i < REPLY_MAX_HEADERS; i++)
		reply_header(&r, "X-Big", big);
	r.hsts = true;
	r.retry_after = 1;
	char *out = reply_render(&r, &arena, &len);
	ck_assert_ptr_nonnull(out);
	char *raw = arena_strndup(&arena, out, len);
	ck_assert_ptr_nonnull(raw);
	snprintf(line, 9100, "\r\nX-Big: %s\r\n", big);
	for (const char *p = raw; (p = strstr(p, line)) != NULL; p++)
		hits++;
	ck_assert_uint_eq(hits, REPLY_MAX_HEADERS);
	const char *sep = strstr(raw, "\r\n\r\n");
	ck_assert_ptr_nonnull(sep);
	size_t body_len = len - (size_t)(sep + 4 - raw);
	ck_assert_uint_eq(body_len, strlen(big) + strlen("{\"blob\":\"\"}"));
	ck_assert_int_eq(memcmp(sep + 4, "{\"blob\":\"vvv", 12), 0);
	ck_assert_int_eq(raw[len - 1], '}');
	snprintf(want, sizeof want, "\r\nContent-Length: %zu\r\n", body_len);
	ck_assert_ptr_nonnull(strstr(raw, want));
	ck_assert_ptr_nonnull(strstr(raw, "\r\nRetry-After: 1\r\n"));
	ck_assert_ptr_nonnull(strstr(raw, "\r\nStrict-Transport-Security: "));
	reply_clear(&r);
	free(line);
	free(big);
}
END_TEST

/* A full arena: NULL, not a truncated response. */
START_TEST(test_arena_full)
{
	struct reply r;
	struct arena small;
	size_t len = 12345;

	arena_init(&small, 64);
	reply_init(&r);
	reply_error(&r, ST_NOT_FOUND, NULL);
	ck_assert_ptr_null(reply_render(&r, &small, &len));
	arena_free(&small);
	reply_clear(&r);
}
END_TEST

/* HEAD: the headers of the GET, no body bytes (RFC 9110 section 9.3.2). */
START_TEST(test_head_no_body)
{
	struct reply r;
	struct rendered rd;
	char v[64];

	reply_init(&r);
	reply_json(&r, ST_OK, json_tokener_parse("{\"status\":\"ok\",\"database\":\"ok\"}"));
	r.head_only = true;
	render(&r, &rd);
	ck_assert_uint_eq(rd.body_len, 0);
	ck_assert_ptr_nonnull(header(&rd, "Content-Type", v, sizeof v));
	ck_assert_ptr_nonnull(header(&rd, "Cache-Control", v, sizeof v));
	reply_clear(&r);
}
END_TEST

/*
 * RFC 9110 section 8.6: a Content-Length sent with a HEAD response must be
 * the length the GET would have had (or be left out), never 0.
 */
START_TEST(test_head_content_length)
{
	struct reply r;
	struct rendered rd;
	char v[64], want[32];
	const char *json = "{\"status\":\"ok\",\"database\":\"ok\"}";

	reply_init(&r);
	reply_json(&r, ST_OK, json_tokener_parse(json));
	r.head_only = true;
	render(&r, &rd);
	snprintf(want, sizeof want, "%zu", strlen(json));
	if (header(&rd, "Content-Length", v, sizeof v) != NULL)
		ck_assert_msg(strcmp(v, want) == 0, "HEAD Content-Length: %s, GET would send %s", v, want);
	reply_clear(&r);
}
END_TEST

static Suite *
reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc;

	tc = unit_tcase(s, "status", 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_status, 0, sizeof statuses / sizeof statuses[0]);
	tcase_add_test(tc, test_status_table_details);
	tcase_add_test(tc, test_success_body);
	tcase_add_test(tc, test_error_with_own_body);
	tcase_add_test(tc, test_no_content);
	tcase_add_test(tc, test_no_content_has_no_content_length);

	tc = unit_tcase(s, "errors", 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_detail, 0, sizeof details / sizeof details[0]);
	tcase_add_test(tc, test_validation_errors);
	tcase_add_test(tc, test_errors_only_for_validation);

	tc = unit_tcase(s, "headers", 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_www_authenticate, 0, sizeof authn / sizeof authn[0]);
	tcase_add_test(tc, test_allow);
	tcase_add_loop_test(tc, test_retry_after, 0, sizeof retry / sizeof retry[0]);
	tcase_add_loop_test(tc, test_hsts, 0, sizeof hsts_statuses / sizeof hsts_statuses[0]);
	tcase_add_test(tc, test_extra_headers);
	tcase_add_test(tc, test_large);
	tcase_add_test(tc, test_arena_full);
	tcase_add_test(tc, test_head_no_body);
	tcase_add_test(tc, test_head_content_length);
	return s;
}

int
main(void)
{
	return unit_run(reply_suite(), false);
}
