/* check_request.c -- unit tests for request.c: FastCGI params, path, query, cookies, body, content type. */
#include "unit.h"

#include "arena.h"
#include "request.h"

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

/* envp from a NULL-terminated list; the strings are copied so request code may not write to literals. */
#define ENV_MAX 80
struct env {
	char *v[ENV_MAX + 1];
	size_t n;
};

static void
env_add(struct env *e, const char *name, const char *value)
{
	ck_assert_uint_lt(e->n, ENV_MAX);
	ck_assert_int_ge(asprintf(&e->v[e->n], "%s=%s", name, value), 0);
	e->n++;
	e->v[e->n] = NULL;
}

static void
env_free(struct env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
	e->v[0] = NULL;
}

/* A typical request with one parameter replaced or added. */
static enum status
parse_with(struct request *req, struct env *e, const char *name, const char *value, const char **why)
{
	e->n = 0;
	e->v[0] = NULL;
	env_add(e, "REQUEST_METHOD", "GET");
	env_add(e, "REQUEST_URI", "/api/v1/health");
	env_add(e, "REMOTE_ADDR", "192.0.2.1");
	if (name != NULL)
		env_add(e, name, value);
	return request_parse(req, e->v, &arena, why);
}

/* ---- method ---- */

static const struct {
	const char *in;     /* NULL: REQUEST_METHOD absent */
	enum http_method want;
} methods[] = {
	{"GET", METHOD_GET}, {"HEAD", METHOD_HEAD}, {"POST", METHOD_POST}, {"PUT", METHOD_PUT},
	{"PATCH", METHOD_PATCH}, {"DELETE", METHOD_DELETE}, {"OPTIONS", METHOD_OPTIONS},
	{"get", METHOD_OTHER}, {"Get", METHOD_OTHER}, {"TRACE", METHOD_OTHER}, {"CONNECT", METHOD_OTHER},
	{"GETX", METHOD_OTHER}, {"GE", METHOD_OTHER}, {"", METHOD_OTHER}, {"OTHER", METHOD_OTHER},
	{NULL, METHOD_OTHER},
};

START_TEST(test_method)
{
	struct request req;
	struct env e = {0};
	const char *why;

	env_add(&e, "REQUEST_URI", "/");
	if (methods[_i].in != NULL)
		env_add(&e, "REQUEST_METHOD", methods[_i].in);
	ck_assert_int_eq(request_parse(&req, e.v, &arena, &why), ST_OK);
	ck_assert_msg(req.method == methods[_i].want, "%s: got %d", methods[_i].in, req.method);
	ck_assert_str_eq(req.method_name, methods[_i].in != NULL ? methods[_i].in : "");
	env_free(&e);
}
END_TEST

/* ---- path ---- */

static const struct {
	const char *uri;
	const char *want;       /* NULL: ST_VALIDATION_ERROR */
} paths[] = {
	{"/api/v1/health", "/api/v1/health"},
	{"/", "/"},
	{"/api/v1/health?x=1", "/api/v1/health"},
	{"/api/v1/health?", "/api/v1/health"},
	{"/api/v1/health?a?b#c", "/api/v1/health"},
	{"/api/v1/health#frag", "/api/v1/health"},
	{"/a%20b", "/a b"},
	{"/a+b", "/a+b"},                       /* '+' is only a space in queries */
	{"/%41%42%43", "/ABC"},
	{"/%7e%7E", "/~~"},
	{"/caf%C3%A9", "/caf\xc3\xa9"},
	{"/caf\xc3\xa9", "/caf\xc3\xa9"},
	{"/%E2%82%AC", "/\xe2\x82\xac"},
	{"/%F0%9F%98%80", "/\xf0\x9f\x98\x80"},
	{"/a%2Fb", "/a/b"},
	{"/a%3Fb", "/a?b"},
	{"/%25", "/%"},
	{"/%2500", "/%00"},                     /* decoded once only */
	{"/a%00b", NULL},
	{"/%00", NULL},
	{"/a%", NULL},
	{"/a%4", NULL},
	{"/a%4?x=1", NULL},
	{"/a%zz", NULL},
	{"/a%4g", NULL},
	{"/a%g4", NULL},
	{"/a% 1", NULL},
	{"/a%-1", NULL},
	{"/%FF", NULL},
	{"/%C3", NULL},                         /* truncated */
	{"/%C3%28", NULL},
	{"/%C0%AF", NULL},                      /* overlong '/' */
	{"/%C0%80", NULL},                      /* overlong NUL */
	{"/%E0%80%AF", NULL},
	{"/%ED%A0%80", NULL},                   /* surrogate */
	{"/%F4%90%80%80", NULL},                /* above U+10FFFF */
	{"/\xff", NULL},
	{"/caf\xe9", NULL},
	{"/\xed\xa0\x80", NULL},
	{"", NULL},
	{"?a=1", NULL},
	{"#x", NULL},
	{"api/v1/health", NULL},
	{"*", NULL},
	{"http://example.com/api/v1/health", NULL},
};

START_TEST(test_path)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;
	enum status st;

	env_add(&e, "REQUEST_METHOD", "GET");
	env_add(&e, "REQUEST_URI", paths[_i].uri);
	st = request_parse(&req, e.v, &arena, &why);
	if (paths[_i].want != NULL) {
		ck_assert_msg(st == ST_OK, "%s: status %d (%s)", paths[_i].uri, st, why);
		ck_assert_msg(strcmp(req.path, paths[_i].want) == 0, "%s: path \"%s\", want \"%s\"",
		    paths[_i].uri, req.path, paths[_i].want);
		ck_assert_ptr_null(why);
	} else {
		ck_assert_msg(st == ST_VALIDATION_ERROR, "%s: status %d, path \"%s\"", paths[_i].uri, st,
		    st == ST_OK ? req.path : "");
		ck_assert_ptr_nonnull(why);
	}
	env_free(&e);
}
END_TEST

START_TEST(test_path_length)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;
	char *uri = malloc(REQUEST_PATH_MAX + 16);

	ck_assert_ptr_nonnull(uri);
	/* Exactly REQUEST_PATH_MAX bytes of path, then a query that does not count. */
	uri[0] = '/';
	memset(uri + 1, 'p', REQUEST_PATH_MAX - 1);
	strcpy(uri + REQUEST_PATH_MAX, "?q=1");
	env_add(&e, "REQUEST_URI", uri);
	ck_assert_int_eq(request_parse(&req, e.v, &arena, &why), ST_OK);
	ck_assert_uint_eq(strlen(req.path), REQUEST_PATH_MAX);
	env_free(&e);
	/* One byte more. */
	uri[REQUEST_PATH_MAX] = 'p';
	uri[REQUEST_PATH_MAX + 1] = '\0';
	env_add(&e, "REQUEST_URI", uri);
	ck_assert_int_eq(request_parse(&req, e.v, &arena, &why), ST_VALIDATION_ERROR);
	env_free(&e);
	free(uri);
}
END_TEST

/* Without REQUEST_URI the path is SCRIPT_NAME followed by PATH_INFO. */
static const struct {
	const char *script, *info, *want;
} cgi_paths[] = {
	{"/api", "/v1/health", "/api/v1/health"},
	{"", "/api/v1/health", "/api/v1/health"},
	{NULL, "/api/v1/health", "/api/v1/health"},
	{"/api/v1/health", NULL, "/api/v1/health"},
	{"/x", "/a%20b", "/x/a b"},
	{NULL, NULL, NULL},
	{"", "", NULL},
};

START_TEST(test_cgi_path)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;

	env_add(&e, "REQUEST_METHOD", "GET");
	if (cgi_paths[_i].script != NULL)
		env_add(&e, "SCRIPT_NAME", cgi_paths[_i].script);
	if (cgi_paths[_i].info != NULL)
		env_add(&e, "PATH_INFO", cgi_paths[_i].info);
	enum status st = request_parse(&req, e.v, &arena, &why);
	if (cgi_paths[_i].want != NULL) {
		ck_assert_msg(st == ST_OK, "case %d: %s", _i, why);
		ck_assert_str_eq(req.path, cgi_paths[_i].want);
	} else {
		ck_assert_int_eq(st, ST_VALIDATION_ERROR);
	}
	env_free(&e);
}
END_TEST

/* ---- header size ---- */

static const struct {
	const char *name;
	size_t len;
	enum status want;
} headers[] = {
	{"HTTP_X_CUSTOM", REQUEST_HEADER_MAX, ST_OK},
	{"HTTP_X_CUSTOM", REQUEST_HEADER_MAX + 1, ST_VALIDATION_ERROR},
	{"HTTP_AUTHORIZATION", REQUEST_HEADER_MAX, ST_OK},
	{"HTTP_AUTHORIZATION", REQUEST_HEADER_MAX + 1, ST_VALIDATION_ERROR},
	{"HTTP_COOKIE", REQUEST_HEADER_MAX, ST_OK},
	{"HTTP_COOKIE", REQUEST_HEADER_MAX + 1, ST_VALIDATION_ERROR},
	{"HTTP_X_API_KEY", 100000, ST_VALIDATION_ERROR},
	{"HTTP_USER_AGENT", 0, ST_OK},
	{"SERVER_SOFTWARE", 20000, ST_OK},      /* not a header */
};

START_TEST(test_header_size)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;
	char *v = malloc(headers[_i].len + 1);

	ck_assert_ptr_nonnull(v);
	/* "c=" prefix keeps the cookie case a well-formed cookie. */
	memset(v, 'c', headers[_i].len);
	if (headers[_i].len >= 2)
		v[1] = '=';
	v[headers[_i].len] = '\0';
	enum status st = parse_with(&req, &e, headers[_i].name, v, &why);
	ck_assert_msg(st == headers[_i].want, "%s of %zu bytes: status %d", headers[_i].name,
	    headers[_i].len, st);
	if (st != ST_OK)
		ck_assert_ptr_nonnull(why);
	else
		ck_assert_str_eq(request_param(&req, headers[_i].name), v);
	free(v);
	env_free(&e);
}
END_TEST

/* ---- params ---- */

START_TEST(test_params)
{
	struct request req;
	struct env e = {0};
	const char *why;

	env_add(&e, "REQUEST_URI", "/");
	env_add(&e, "HTTP_X_FOO", "foo");
	env_add(&e, "HTTP_X", "short");
	env_add(&e, "NOEQUALS", "");
	e.v[e.n - 1][8] = '\0';     /* "NOEQUALS" with no '=' at all */
	env_add(&e, "EMPTY", "");
	ck_assert_int_eq(request_parse(&req, e.v, &arena, &why), ST_OK);
	ck_assert_str_eq(request_param(&req, "HTTP_X_FOO"), "foo");
	ck_assert_str_eq(request_param(&req, "HTTP_X"), "short");
	ck_assert_ptr_null(request_param(&req, "HTTP_X_F"));
	ck_assert_ptr_null(request_param(&req, "HTTP"));
	ck_assert_ptr_null(request_param(&req, "NOEQUALS"));
	ck_assert_str_eq(request_param(&req, "EMPTY"), "");
	ck_assert_ptr_null(request_param(&req, "http_x_foo"));
	/* Defaults when absent. */
	ck_assert_str_eq(req.remote_addr, "");
	ck_assert(!req.https);
	ck_assert_int_eq(req.content_length, -1);
	ck_assert_ptr_null(req.content_type);
	ck_assert_uint_eq(req.nquery, 0);
	ck_assert_uint_eq(req.ncookies, 0);
	env_free(&e);
	/* A NULL envp is an empty request: no path. */
	ck_assert_int_eq(request_parse(&req, NULL, &arena, &why), ST_VALIDATION_ERROR);
}
END_TEST

/*
 * A parameter that occurs twice with two values is refused, never resolved
 * by "first wins":
 * lighttpd folds X_Forwarded_For into HTTP_X_FORWARDED_FOR next to the
 * proxy's own X-Forwarded-For, in the order the client chose.
 */
static const struct {
	const char *name1, *value1, *name2, *value2;
	enum status want;
} repeats[] = {
	{"HTTP_X_FORWARDED_FOR", "203.0.113.9", "HTTP_X_FORWARDED_FOR", "198.51.100.7", ST_VALIDATION_ERROR},
	{"HTTP_X_FORWARDED_PROTO", "https", "HTTP_X_FORWARDED_PROTO", "http", ST_VALIDATION_ERROR},
	{"HTTP_AUTHORIZATION", "Bearer a", "HTTP_AUTHORIZATION", "Bearer b", ST_VALIDATION_ERROR},
	{"REMOTE_ADDR", "203.0.113.9", NULL, NULL, ST_VALIDATION_ERROR},     /* next to 192.0.2.1 */
	{"HTTPS", "on", "HTTPS", "", ST_VALIDATION_ERROR},
	{"HTTP_X_FORWARDED_FOR", "203.0.113.9", "HTTP_X_FORWARDED_FOR", "203.0.113.9 ", ST_VALIDATION_ERROR},
	/* The same value twice is no ambiguity (mod_authnz_fcgi sends FCGI_ROLE twice). */
	{"FCGI_ROLE", "AUTHORIZER", "FCGI_ROLE", "AUTHORIZER", ST_OK},
	{"REMOTE_ADDR", "192.0.2.1", NULL, NULL, ST_OK},
	{"HTTP_X_FORWARDED_FOR", "203.0.113.9", "HTTP_X_FORWARDED_FOR", "203.0.113.9", ST_OK},
	{"HTTP_X_FORWARDED_FOR", "203.0.113.9", "HTTP_X_FORWARDED_FORX", "1", ST_OK},
	{"HTTP_X_FORWARDED", "203.0.113.9", "HTTP_X_FORWARDED_FOR", "1", ST_OK},
	{"HTTP_X_FORWARDED_FOR", "203.0.113.9, 198.51.100.7", NULL, NULL, ST_OK},
};

START_TEST(test_repeated_param)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;

	env_add(&e, "REQUEST_METHOD", "GET");
	env_add(&e, "REQUEST_URI", "/api/v1/health");
	env_add(&e, "REMOTE_ADDR", "192.0.2.1");
	env_add(&e, repeats[_i].name1, repeats[_i].value1);
	if (repeats[_i].name2 != NULL)
		env_add(&e, repeats[_i].name2, repeats[_i].value2);
	ck_assert_int_eq(request_parse(&req, e.v, &arena, &why), repeats[_i].want);
	if (repeats[_i].want == ST_VALIDATION_ERROR)
		ck_assert_str_eq(why, "Repeated request header");
	else
		ck_assert_str_eq(request_param(&req, repeats[_i].name1), repeats[_i].value1);
	env_free(&e);
}
END_TEST

/* More parameters than anyone sends are refused rather than compared pairwise. */
START_TEST(test_param_count)
{
	struct request req;
	const char *why = NULL;
	enum { N = 1100 };
	char **envp = calloc(N + 1, sizeof(*envp));

	ck_assert_ptr_nonnull(envp);
	for (int i = 0; i < N; i++)
		ck_assert_int_ge(asprintf(&envp[i], i == 0 ? "REQUEST_URI=/" : "HTTP_X_%d=v", i), 0);
	ck_assert_int_eq(request_parse(&req, envp, &arena, &why), ST_VALIDATION_ERROR);
	free(envp[N - 1]);
	envp[N - 1] = NULL;
	for (int i = 1000; i < N - 1; i++) {
		free(envp[i]);
		envp[i] = NULL;
	}
	ck_assert_int_eq(request_parse(&req, envp, &arena, &why), ST_OK);
	for (int i = 0; i < 1000; i++)
		free(envp[i]);
	free(envp);
}
END_TEST

static const struct {
	const char *value;
	bool want;
} https_values[] = {
	{"on", true}, {"ON", true}, {"On", true}, {"1", true},
	{"off", false}, {"", false}, {"0", false}, {"yes", false}, {"onx", false},
};

START_TEST(test_https)
{
	struct request req;
	struct env e = {0};
	const char *why;

	ck_assert_int_eq(parse_with(&req, &e, "HTTPS", https_values[_i].value, &why), ST_OK);
	ck_assert_msg(req.https == https_values[_i].want, "HTTPS=%s", https_values[_i].value);
	ck_assert_str_eq(req.remote_addr, "192.0.2.1");
	env_free(&e);
}
END_TEST

/* ---- cookies ---- */

struct kv {
	const char *name, *value;
};

static const struct {
	const char *header;
	size_t n;                   /* cookies kept */
	struct kv want[4];          /* lookups: value NULL means absent */
} cookies[] = {
	{"a=1", 1, {{"a", "1"}}},
	{"a=1; b=2", 2, {{"a", "1"}, {"b", "2"}}},
	{"a=1;b=2", 2, {{"a", "1"}, {"b", "2"}}},
	{"a=1;  \t b=2 ;", 2, {{"a", "1"}, {"b", "2"}}},
	{"  a=1  ;  b=2  ", 2, {{"a", "1"}, {"b", "2"}}},
	{"a =1; b\t=2", 2, {{"a", "1"}, {"b", "2"}}},
	{"access_token=\"eyJ.x.y\"", 1, {{"access_token", "eyJ.x.y"}}},
	{"a=\"x y\"", 1, {{"a", "x y"}}},
	{"a=\"\"", 1, {{"a", ""}}},
	{"a=\"", 1, {{"a", "\""}}},
	{"a=\"x", 1, {{"a", "\"x"}}},
	{"a=1; a=2", 2, {{"a", "1"}}},                  /* first wins */
	{"b=0; a=first; c=3; a=second", 4, {{"a", "first"}, {"c", "3"}}},
	{"flag; a=1", 1, {{"a", "1"}, {"flag", NULL}}},
	{"a=", 1, {{"a", ""}}},
	{"tok=abc==; b=c=d", 2, {{"tok", "abc=="}, {"b", "c=d"}}},
	{"", 0, {{"a", NULL}}},
	{";;;", 0, {{"a", NULL}}},
	{" ; ; ", 0, {{"a", NULL}}},
	{"A=1", 1, {{"A", "1"}, {"a", NULL}}},          /* names are case-sensitive */
	{"refresh_token=r; access_token=a", 2, {{"access_token", "a"}, {"refresh_token", "r"}}},
	{"a=%41", 1, {{"a", "%41"}}},                   /* values are not percent-decoded */
};

START_TEST(test_cookies)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;

	ck_assert_int_eq(parse_with(&req, &e, "HTTP_COOKIE", cookies[_i].header, &why), ST_OK);
	ck_assert_msg(req.ncookies == cookies[_i].n, "\"%s\": %zu cookies, want %zu", cookies[_i].header,
	    req.ncookies, cookies[_i].n);
	for (size_t k = 0; k < 4 && cookies[_i].want[k].name != NULL; k++) {
		const char *got = request_cookie(&req, cookies[_i].want[k].name);
		const char *want = cookies[_i].want[k].value;
		ck_assert_msg(want == NULL ? got == NULL : got != NULL && strcmp(got, want) == 0,
		    "\"%s\": cookie %s = \"%s\", want \"%s\"", cookies[_i].header, cookies[_i].want[k].name,
		    got ? got : "(absent)", want ? want : "(absent)");
	}
	env_free(&e);
}
END_TEST

/* Whitespace around '=' is dropped on both sides, as after the name. */
START_TEST(test_cookie_value_leading_space)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;

	ck_assert_int_eq(parse_with(&req, &e, "HTTP_COOKIE", "a= 1; b = \"x\"", &why), ST_OK);
	ck_assert_msg(strcmp(request_cookie(&req, "a"), "1") == 0, "a = \"%s\"", request_cookie(&req, "a"));
	ck_assert_msg(strcmp(request_cookie(&req, "b"), "x") == 0, "b = \"%s\"", request_cookie(&req, "b"));
	env_free(&e);
}
END_TEST

START_TEST(test_cookie_count)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;
	char h[2048];
	size_t n = 0;

	for (int i = 0; i < REQUEST_MAX_PAIRS; i++)
		n += (size_t)snprintf(h + n, sizeof h - n, "c%d=%d; ", i, i);
	ck_assert_int_eq(parse_with(&req, &e, "HTTP_COOKIE", h, &why), ST_OK);
	ck_assert_uint_eq(req.ncookies, REQUEST_MAX_PAIRS);
	ck_assert_str_eq(request_cookie(&req, "c63"), "63");
	env_free(&e);
	snprintf(h + n, sizeof h - n, "one=more");
	ck_assert_int_eq(parse_with(&req, &e, "HTTP_COOKIE", h, &why), ST_VALIDATION_ERROR);
	ck_assert_ptr_nonnull(why);
	env_free(&e);
}
END_TEST

/* ---- query ---- */

static const struct {
	const char *qs;
	size_t n;                   /* pairs kept; (size_t)-1: ST_VALIDATION_ERROR */
	struct kv want[4];
} queries[] = {
	{"", 0, {{"a", NULL}}},
	{"a=1", 1, {{"a", "1"}}},
	{"a=1&b=2", 2, {{"a", "1"}, {"b", "2"}}},
	{"q=hello+world", 1, {{"q", "hello world"}}},
	{"q=hello%20world", 1, {{"q", "hello world"}}},
	{"q=a%2Bb", 1, {{"q", "a+b"}}},
	{"q=a%2bb", 1, {{"q", "a+b"}}},
	{"q=%26%3D", 1, {{"q", "&="}}},
	{"first+name=Ann", 1, {{"first name", "Ann"}}},
	{"%61=1", 1, {{"a", "1"}}},
	{"a", 1, {{"a", ""}}},
	{"a=", 1, {{"a", ""}}},
	{"=1", 1, {{"", "1"}}},
	{"a=b=c", 1, {{"a", "b=c"}}},
	{"&&a=1&&b=2&", 2, {{"a", "1"}, {"b", "2"}}},
	{"a=1&a=2", 2, {{"a", "1"}}},                   /* first wins */
	{"since=2026-02-20T14%3A30%3A00Z", 1, {{"since", "2026-02-20T14:30:00Z"}}},
	{"e=%C3%A9", 1, {{"e", "\xc3\xa9"}}},
	{"a=%00", (size_t)-1, {{NULL}}},
	{"%00=1", (size_t)-1, {{NULL}}},
	{"a=%", (size_t)-1, {{NULL}}},
	{"a=%2", (size_t)-1, {{NULL}}},
	{"a=%zz", (size_t)-1, {{NULL}}},
	{"a=%2&b=1", (size_t)-1, {{NULL}}},
	{"a=%FF", (size_t)-1, {{NULL}}},
	{"a=%C0%AF", (size_t)-1, {{NULL}}},
	{"a=%ED%A0%80", (size_t)-1, {{NULL}}},
	{"a=\xff", (size_t)-1, {{NULL}}},
	{"ok=1&bad=%G0", (size_t)-1, {{NULL}}},
};

START_TEST(test_query)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;
	enum status st = parse_with(&req, &e, "QUERY_STRING", queries[_i].qs, &why);

	if (queries[_i].n == (size_t)-1) {
		ck_assert_msg(st == ST_VALIDATION_ERROR, "\"%s\": status %d", queries[_i].qs, st);
		ck_assert_ptr_nonnull(why);
		env_free(&e);
		return;
	}
	ck_assert_msg(st == ST_OK, "\"%s\": status %d (%s)", queries[_i].qs, st, why);
	ck_assert_msg(req.nquery == queries[_i].n, "\"%s\": %zu pairs, want %zu", queries[_i].qs,
	    req.nquery, queries[_i].n);
	for (size_t k = 0; k < 4 && queries[_i].want[k].name != NULL; k++) {
		const char *got = request_query(&req, queries[_i].want[k].name);
		const char *want = queries[_i].want[k].value;
		ck_assert_msg(want == NULL ? got == NULL : got != NULL && strcmp(got, want) == 0,
		    "\"%s\": %s = \"%s\", want \"%s\"", queries[_i].qs, queries[_i].want[k].name,
		    got ? got : "(absent)", want ? want : "(absent)");
	}
	env_free(&e);
}
END_TEST

START_TEST(test_query_count)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;
	char q[2048];
	size_t n = 0;

	for (int i = 0; i < REQUEST_MAX_PAIRS; i++)
		n += (size_t)snprintf(q + n, sizeof q - n, "%sk%d=%d", i ? "&" : "", i, i);
	ck_assert_int_eq(parse_with(&req, &e, "QUERY_STRING", q, &why), ST_OK);
	ck_assert_uint_eq(req.nquery, REQUEST_MAX_PAIRS);
	env_free(&e);
	snprintf(q + n, sizeof q - n, "&x=1");
	ck_assert_int_eq(parse_with(&req, &e, "QUERY_STRING", q, &why), ST_VALIDATION_ERROR);
	env_free(&e);
}
END_TEST

/* ---- Content-Length ---- */

static const struct {
	const char *value;          /* NULL: absent */
	enum status st;
	long want;
} lengths[] = {
	{NULL, ST_OK, -1},
	{"", ST_OK, -1},
	{"0", ST_OK, 0},
	{"42", ST_OK, 42},
	{"0042", ST_OK, 42},
	{"65536", ST_OK, 65536},
	{"2147483647", ST_OK, 2147483647L},
	{"-1", ST_VALIDATION_ERROR, 0},
	{"abc", ST_VALIDATION_ERROR, 0},
	{"12abc", ST_VALIDATION_ERROR, 0},
	{"1.5", ST_VALIDATION_ERROR, 0},
	{"0x10", ST_VALIDATION_ERROR, 0},
	{" 5", ST_VALIDATION_ERROR, 0},
	{"\t5", ST_VALIDATION_ERROR, 0},
	{"\n5", ST_VALIDATION_ERROR, 0},
	{"5 ", ST_VALIDATION_ERROR, 0},
	{"+5", ST_VALIDATION_ERROR, 0},
	{"5, 5", ST_VALIDATION_ERROR, 0},
};

START_TEST(test_content_length)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;
	enum status st = lengths[_i].value != NULL ?
	    parse_with(&req, &e, "CONTENT_LENGTH", lengths[_i].value, &why) :
	    parse_with(&req, &e, NULL, NULL, &why);

	char vis[64];

	ck_assert_msg(st == lengths[_i].st, "CONTENT_LENGTH=\"%s\": status %d, want %d",
	    unit_visible(lengths[_i].value, vis, sizeof vis), st, lengths[_i].st);
	if (st == ST_OK)
		ck_assert_int_eq(req.content_length, lengths[_i].want);
	else
		ck_assert_ptr_nonnull(why);
	env_free(&e);
}
END_TEST

/* A well-formed but huge Content-Length is a body over the limit: 413 (doc/api.md section 2), not 400. */
static const char *const huge_lengths[] = {"2147483648", "4294967296", "99999999999999999999"};

START_TEST(test_huge_content_length_is_413)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;
	enum status st = parse_with(&req, &e, "CONTENT_LENGTH", huge_lengths[_i], &why);

	if (st == ST_OK)
		st = request_read_body(&req, 65536, NULL, NULL, &arena);
	ck_assert_msg(st == ST_PAYLOAD_TOO_LARGE, "CONTENT_LENGTH=%s: status %d (%s), want 413",
	    huge_lengths[_i], st, why ? why : "");
	env_free(&e);
}
END_TEST

/* ---- body ---- */

struct fake {
	const char *data;
	size_t len, pos;
	size_t chunk;           /* most bytes per call; 0: as many as asked */
	int calls;
	int fail_at;            /* call number that returns -1; 0: never */
};

static long
fake_read(void *ctx, char *buf, size_t n)
{
	struct fake *f = ctx;

	f->calls++;
	if (f->fail_at != 0 && f->calls == f->fail_at)
		return -1;
	size_t left = f->len - f->pos;
	if (n > left)
		n = left;
	if (f->chunk != 0 && n > f->chunk)
		n = f->chunk;
	memcpy(buf, f->data + f->pos, n);
	f->pos += n;
	return (long)n;
}

static const struct {
	const char *label;
	long content_length;
	long max_body;
	const char *data;
	size_t data_len;
	size_t chunk;
	int fail_at;
	enum status st;
	int max_calls;          /* -1: do not check */
} bodies[] = {
	{"no body", -1, 65536, "", 0, 0, 0, ST_OK, 0},
	{"zero length", 0, 65536, "ignored", 7, 0, 0, ST_OK, 0},
	{"exact", 11, 65536, "{\"a\":\"bc\"}x", 11, 0, 0, ST_OK, -1},
	{"one byte a call", 11, 65536, "{\"a\":\"bc\"}x", 11, 1, 0, ST_OK, 11},
	{"more data than declared", 5, 65536, "helloworld", 10, 0, 0, ST_OK, -1},
	{"embedded NUL", 5, 65536, "ab\0cd", 5, 2, 0, ST_OK, -1},
	{"short stream", 20, 65536, "only ten b", 10, 0, 0, ST_VALIDATION_ERROR, -1},
	{"short stream chunked", 20, 65536, "only ten b", 10, 3, 0, ST_VALIDATION_ERROR, -1},
	{"empty stream", 5, 65536, "", 0, 0, 0, ST_VALIDATION_ERROR, 1},
	{"reader error first", 5, 65536, "hello", 5, 0, 1, ST_VALIDATION_ERROR, 1},
	{"reader error later", 5, 65536, "hello", 5, 2, 2, ST_VALIDATION_ERROR, 2},
	{"at max", 1024, 1024, NULL, 1024, 0, 0, ST_OK, -1},
	{"one over max", 1025, 1024, NULL, 1025, 0, 0, ST_PAYLOAD_TOO_LARGE, 0},
	{"far over max", 2147483647L, 65536, "x", 1, 0, 0, ST_PAYLOAD_TOO_LARGE, 0},
	{"over the arena", 2 * 1024 * 1024, 16 * 1024 * 1024, "x", 1, 0, 0, ST_PAYLOAD_TOO_LARGE, 0},
};

START_TEST(test_read_body)
{
	struct request req;
	struct env e = {0};
	const char *why = NULL;
	char cl[32];
	static char filler[2048];
	struct fake f = {0};

	memset(filler, 'f', sizeof filler);
	f.data = bodies[_i].data != NULL ? bodies[_i].data : filler;
	f.len = bodies[_i].data_len;
	f.chunk = bodies[_i].chunk;
	f.fail_at = bodies[_i].fail_at;
	if (bodies[_i].content_length >= 0) {
		snprintf(cl, sizeof cl, "%ld", bodies[_i].content_length);
		ck_assert_int_eq(parse_with(&req, &e, "CONTENT_LENGTH", cl, &why), ST_OK);
	} else {
		ck_assert_int_eq(parse_with(&req, &e, NULL, NULL, &why), ST_OK);
	}
	enum status st = request_read_body(&req, bodies[_i].max_body, fake_read, &f, &arena);
	ck_assert_msg(st == bodies[_i].st, "%s: status %d, want %d", bodies[_i].label, st, bodies[_i].st);
	if (bodies[_i].max_calls >= 0)
		ck_assert_msg(f.calls <= bodies[_i].max_calls, "%s: reader called %d times",
		    bodies[_i].label, f.calls);
	if (st == ST_OK) {
		size_t want = bodies[_i].content_length > 0 ? (size_t)bodies[_i].content_length : 0;
		ck_assert_ptr_nonnull(req.body);
		ck_assert_uint_eq(req.body_len, want);
		ck_assert_int_eq(memcmp(req.body, f.data, want), 0);
		ck_assert_int_eq(req.body[want], '\0');
		ck_assert_uint_eq(f.pos, want);     /* nothing read beyond the declared length */
	}
	env_free(&e);
}
END_TEST

/* ---- Content-Type ---- */

static const struct {
	const char *ct;         /* NULL: absent */
	bool want;
} types[] = {
	{"application/json", true},
	{"application/json; charset=utf-8", true},
	{"application/json;charset=utf-8", true},
	{"application/json; charset=UTF-8", true},
	{"application/json; charset=\"utf-8\"", true},
	{"application/json ; charset=utf-8", true},
	{"application/json; charset=utf-8; foo=bar", true},
	{"application/json; foo=bar", true},
	{"Application/JSON", true},
	{"APPLICATION/JSON; CHARSET=UTF-8", true},
	{" application/json", true},
	{"application/json ", true},
	{"application/json; charset=latin1", false},
	{"application/json; charset=iso-8859-1", false},
	{"application/json; charset=utf-16", false},
	{"application/json; charset=utf-8x", false},
	{"application/json; charset=\"latin1\"", false},
	{"application/json; charset=ascii", false},
	{"application/json; charset=\"ascii\"", false},
	{"application/json; charset=", false},
	{"text/plain", false},
	{"text/plain; charset=utf-8", false},
	{"text/json", false},
	{"application/jsonx", false},
	{"application/json-patch+json", false},
	{"application/jsonp", false},
	{"application/x-www-form-urlencoded", false},
	{"multipart/form-data; boundary=x", false},
	{"application/", false},
	{"application/jso", false},
	{"", false},
	{NULL, false},
};

START_TEST(test_is_json)
{
	struct request req;
	struct env e = {0};
	const char *why;

	if (types[_i].ct != NULL) {
		ck_assert_int_eq(parse_with(&req, &e, "CONTENT_TYPE", types[_i].ct, &why), ST_OK);
		ck_assert_str_eq(req.content_type, types[_i].ct);
	} else {
		ck_assert_int_eq(parse_with(&req, &e, NULL, NULL, &why), ST_OK);
		ck_assert_ptr_null(req.content_type);
	}
	ck_assert_msg(request_is_json(&req) == types[_i].want, "\"%s\": got %d", types[_i].ct,
	    !types[_i].want);
	env_free(&e);
}
END_TEST

/* Everything the parser allocates is in the arena: a small one makes it fail cleanly. */
START_TEST(test_small_arena)
{
	struct request req;
	struct env e = {0};
	struct arena small;
	const char *why = NULL;

	arena_init(&small, 16);
	env_add(&e, "REQUEST_URI", "/api/v1/a-path-longer-than-the-arena");
	enum status st = request_parse(&req, e.v, &small, &why);
	ck_assert_int_ne(st, ST_OK);
	arena_free(&small);
	env_free(&e);
}
END_TEST

static Suite *
request_suite(void)
{
	Suite *s = suite_create("request");
	TCase *tc;

	tc = unit_tcase(s, "parse", 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_method, 0, sizeof methods / sizeof methods[0]);
	tcase_add_loop_test(tc, test_path, 0, sizeof paths / sizeof paths[0]);
	tcase_add_test(tc, test_path_length);
	tcase_add_loop_test(tc, test_cgi_path, 0, sizeof cgi_paths / sizeof cgi_paths[0]);
	tcase_add_loop_test(tc, test_header_size, 0, sizeof headers / sizeof headers[0]);
	tcase_add_test(tc, test_params);
	tcase_add_loop_test(tc, test_repeated_param, 0, sizeof repeats / sizeof repeats[0]);
	tcase_add_test(tc, test_param_count);
	tcase_add_loop_test(tc, test_https, 0, sizeof https_values / sizeof https_values[0]);
	tcase_add_test(tc, test_small_arena);

	tc = unit_tcase(s, "cookies_query", 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cookies, 0, sizeof cookies / sizeof cookies[0]);
	tcase_add_test(tc, test_cookie_value_leading_space);
	tcase_add_test(tc, test_cookie_count);
	tcase_add_loop_test(tc, test_query, 0, sizeof queries / sizeof queries[0]);
	tcase_add_test(tc, test_query_count);

	tc = unit_tcase(s, "body", 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_content_length, 0, sizeof lengths / sizeof lengths[0]);
	tcase_add_loop_test(tc, test_huge_content_length_is_413, 0,
	    sizeof huge_lengths / sizeof huge_lengths[0]);
	tcase_add_loop_test(tc, test_read_body, 0, sizeof bodies / sizeof bodies[0]);
	tcase_add_loop_test(tc, test_is_json, 0, sizeof types / sizeof types[0]);
	return s;
}

int
main(void)
{
	return unit_run(request_suite(), false);
}
