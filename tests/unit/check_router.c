/* check_router.c -- unit tests for router.c: matching, HEAD, 405 with Allow, and properties of the whole table. */
#include "unit.h"

#include "router.h"

static struct arena arena;

static void
setup(void)
{
	arena_init(&arena, 64 * 1024);
}

static void
teardown(void)
{
	arena_free(&arena);
}

struct match {
	const struct route *rt;
	const char *params[CTX_MAX_PATH_PARAMS];
	size_t nparams;
	const char *allow;
	enum status st;
};

static void
match(enum http_method m, const char *path, struct match *out)
{
	memset(out, 0, sizeof *out);
	out->nparams = 99;
	out->allow = "unset";
	out->st = ST_MAX;
	out->rt = router_match(m, path, &arena, out->params, &out->nparams, &out->allow, &out->st);
}

/* ---- the health route, which is always there ---- */

static const struct {
	enum http_method method;
	const char *path;
} health_ok[] = {
	{METHOD_GET, "/api/v1/health"},
	{METHOD_HEAD, "/api/v1/health"},
	{METHOD_GET, "/api/v1/health/"},
	{METHOD_HEAD, "/api/v1/health/"},
};

START_TEST(test_health_match)
{
	struct match r;

	match(health_ok[_i].method, health_ok[_i].path, &r);
	ck_assert_msg(r.rt != NULL, "%s %s: no route (status %d)",
	    router_method_name(health_ok[_i].method), health_ok[_i].path, r.st);
	ck_assert_int_eq(r.st, ST_OK);
	ck_assert_int_eq(r.rt->method, METHOD_GET);     /* HEAD is served by the GET route */
	ck_assert_str_eq(r.rt->pattern, "/health");
	ck_assert_int_eq(r.rt->auth, ROUTE_PUBLIC);
	ck_assert_int_eq(r.rt->permission, PERM_NONE);
	ck_assert(r.rt->handler == h_health);
	ck_assert_int_eq(r.rt->body, BODY_NONE);
	ck_assert_uint_eq(r.nparams, 0);
}
END_TEST

static const enum http_method health_wrong[] = {
	METHOD_POST, METHOD_PUT, METHOD_PATCH, METHOD_DELETE, METHOD_OPTIONS, METHOD_OTHER,
};

START_TEST(test_health_405)
{
	struct match r;

	match(health_wrong[_i], "/api/v1/health", &r);
	ck_assert_ptr_null(r.rt);
	ck_assert_msg(r.st == ST_METHOD_NOT_ALLOWED, "%s: status %d",
	    router_method_name(health_wrong[_i]), r.st);
	ck_assert_ptr_nonnull(r.allow);
	ck_assert_str_eq(r.allow, "GET, HEAD");
	/* The same with a trailing slash. */
	match(health_wrong[_i], "/api/v1/health/", &r);
	ck_assert_int_eq(r.st, ST_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(r.allow, "GET, HEAD");
}
END_TEST

static const char *const not_found[] = {
	"/api/v1/nope",
	"/api/v2/health",
	"/api/v1health",
	"/api/v1",
	"/api/v1/",
	"/api",
	"/",
	"",
	"/health",
	"health",
	"/api/v1/health/x",
	"/api/v1/healthz",
	"/api/v1/healt",
	"/api/v1/Health",
	"/API/V1/health",
	"/api/v1//health",
	"/api/v1/health//",
	"//api/v1/health",
	"/api/v1/./health",
	"/api/v1/x/../health",
	"/api/v1/health?x=1",
	"/api/v1/health ",
	"/xapi/v1/health",
	"/api/v10/health",
};

START_TEST(test_not_found)
{
	struct match r;

	for (enum http_method m = METHOD_GET; m < METHOD_MAX; m++) {
		match(m, not_found[_i], &r);
		ck_assert_msg(r.rt == NULL, "%s \"%s\" matched %s", router_method_name(m), not_found[_i],
		    r.rt ? r.rt->pattern : "");
		ck_assert_msg(r.st == ST_NOT_FOUND, "%s \"%s\": status %d", router_method_name(m),
		    not_found[_i], r.st);
		ck_assert_ptr_null(r.allow);
	}
}
END_TEST

START_TEST(test_method_names)
{
	static const char *const want[METHOD_MAX] = {
		"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER",
	};

	for (int m = 0; m < METHOD_MAX; m++)
		ck_assert_str_eq(router_method_name((enum http_method)m), want[m]);
	ck_assert_str_eq(router_method_name(METHOD_MAX), "OTHER");
	ck_assert_str_eq(router_method_name((enum http_method)-1), "OTHER");
}
END_TEST

/* ---- properties of every route, whatever the table holds ---- */

/* Pattern with each "{name}" replaced by "{}": compares patterns whatever the parameter names. */
static void
shape(const char *pattern, char *out, size_t outlen)
{
	size_t n = 0;

	for (const char *p = pattern; *p != '\0' && n + 3 < outlen; p++) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			ck_assert_msg(close != NULL, "unclosed { in %s", pattern);
			out[n++] = '{';
			out[n++] = '}';
			p = close;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

static size_t
count_params(const char *pattern)
{
	size_t n = 0;
	for (const char *p = pattern; (p = strchr(p, '{')) != NULL; p++)
		n++;
	return n;
}

/* The test's own reading of a pattern: literal text, "{name}" one non-empty segment. */
static bool
pattern_covers(const char *pattern, const char *path)
{
	while (*pattern != '\0' && *path != '\0') {
		if (*pattern == '{') {
			size_t seg = strcspn(path, "/");
			if (seg == 0)
				return false;
			pattern = strchr(pattern, '}') + 1;
			path += seg;
		} else if (*pattern++ != *path++) {
			return false;
		}
	}
	return *pattern == '\0' && *path == '\0';
}

/* doc/api.md section 1 and 6: the only requests without a credential. */
static const struct {
	enum http_method method;
	const char *shape;
} public_routes[] = {
	{METHOD_POST, "/auth/login"},
	{METHOD_POST, "/auth/register"},
	{METHOD_POST, "/auth/refresh"},
	{METHOD_GET, "/health"},
	{METHOD_GET, "/auth/sso/{}/start"},
	{METHOD_GET, "/auth/sso/{}/callback"},
	/* doc/api.md section 6 "Single sign-on": the provider's signed logout token is the credential. */
	{METHOD_POST, "/auth/sso/{}/backchannel-logout"},
	/* doc/api.md section 6 "Two-factor sign-in": a session or a sign-in's mfa_token, checked by the handler. */
	{METHOD_POST, "/auth/mfa/totp"},
	{METHOD_POST, "/auth/mfa/totp/confirm"},
	{METHOD_POST, "/auth/mfa/verify"},
	/* doc/api.md section 6 "Account links": the link's token is the credential, checked by the handler. */
	{METHOD_POST, "/auth/password-reset"},
	{METHOD_POST, "/auth/password-reset/confirm"},
	{METHOD_POST, "/auth/activate"},
};

START_TEST(test_table_shape)
{
	size_t n = 0;
	const struct route *routes = router_routes(&n);
	int have_health = 0;

	ck_assert_ptr_nonnull(routes);
	ck_assert_uint_ge(n, 1);
	for (size_t i = 0; i < n; i++) {
		const struct route *r = &routes[i];
		const char *p = r->pattern;

		ck_assert_ptr_nonnull(p);
		ck_assert_msg(p[0] == '/', "route %zu: pattern \"%s\" does not start with /", i, p);
		ck_assert_msg(strncmp(p, API_PREFIX, strlen(API_PREFIX)) != 0,
		    "route %zu: pattern \"%s\" repeats the API prefix", i, p);
		ck_assert_msg(strlen(p) == 1 || p[strlen(p) - 1] != '/',
		    "route %zu: pattern \"%s\" ends with /", i, p);
		ck_assert_msg(strstr(p, "//") == NULL, "route %zu: pattern \"%s\" has //", i, p);
		ck_assert_msg(strchr(p, '?') == NULL && strchr(p, '#') == NULL && strchr(p, '%') == NULL,
		    "route %zu: pattern \"%s\"", i, p);
		ck_assert_msg(count_params(p) <= CTX_MAX_PATH_PARAMS, "route %zu: %s has too many params",
		    i, p);
		/* A parameter is a whole segment: "/{id}" then "/" or the end. */
		for (const char *b = p; (b = strchr(b, '{')) != NULL; b++) {
			const char *close = strchr(b, '}');
			ck_assert_msg(b[-1] == '/' && close != NULL && (close[1] == '/' || close[1] == '\0') &&
			    close > b + 1, "route %zu: bad parameter in %s", i, p);
		}
		ck_assert_msg(r->method < METHOD_OTHER && r->method != METHOD_HEAD,
		    "route %zu (%s): method %d", i, p, r->method);
		ck_assert_msg(r->handler != NULL, "route %zu (%s): no handler", i, p);
		ck_assert_msg(r->auth == ROUTE_PUBLIC || r->auth == ROUTE_CREDENTIAL, "route %zu (%s): auth %d",
		    i, p, r->auth);
		ck_assert_msg(r->permission == PERM_NONE || (r->permission >= 0 && r->permission < PERM_MAX),
		    "route %zu (%s): permission %d", i, p, r->permission);
		if (r->auth == ROUTE_PUBLIC)
			ck_assert_msg(r->permission == PERM_NONE, "public route %s names a permission", p);
		ck_assert_msg(r->body == BODY_NONE || r->body == BODY_JSON || r->body == BODY_OPTIONAL_JSON ||
		    r->body == BODY_FORM, "route %s: body %d", p, r->body);
		/* A form is read by its handler (request_form): no JSON fields. */
		if (r->body == BODY_FORM)
			ck_assert_msg(r->nfields == 0 && r->auth == ROUTE_PUBLIC,
			    "route %s: a form body is for a provider's public back-channel call", p);
		if (r->body == BODY_JSON || r->body == BODY_OPTIONAL_JSON)
			ck_assert_msg(r->fields != NULL && r->nfields > 0,
			    "route %s %s takes a JSON body but has no fields", router_method_name(r->method), p);
		ck_assert_msg((r->fields == NULL) == (r->nfields == 0), "route %s: fields %p, nfields %zu",
		    p, (const void *)r->fields, r->nfields);
		if (r->nfields > 0)
			ck_assert_msg(r->body == BODY_JSON || r->body == BODY_OPTIONAL_JSON,
			    "route %s has fields but no JSON body", p);
		if (r->method == METHOD_GET || r->method == METHOD_DELETE)
			ck_assert_msg(r->body == BODY_NONE, "%s %s reads a body", router_method_name(r->method), p);
		/* An optional body cannot have required fields: an absent body would skip them. */
		if (r->body == BODY_OPTIONAL_JSON)
			for (size_t k = 0; k < r->nfields; k++)
				ck_assert_msg(!r->fields[k].required, "%s: optional body with required field %s",
				    p, r->fields[k].name);
		/* Unique (method, pattern shape). */
		char si[256], sj[256];
		shape(p, si, sizeof si);
		for (size_t j = 0; j < i; j++) {
			shape(routes[j].pattern, sj, sizeof sj);
			ck_assert_msg(routes[j].method != r->method || strcmp(si, sj) != 0,
			    "routes %zu and %zu are both %s %s", j, i, router_method_name(r->method), si);
		}
		if (r->method == METHOD_GET && strcmp(p, "/health") == 0)
			have_health = 1;
	}
	ck_assert(have_health);
}
END_TEST

/* Body schemas: named, unique, with coherent limits. */
START_TEST(test_table_fields)
{
	size_t n = 0;
	const struct route *routes = router_routes(&n);

	for (size_t i = 0; i < n; i++) {
		const struct route *r = &routes[i];
		/* The parsed values of a body (struct jv_values) hold at most JV_FIELDS_MAX. */
		ck_assert_msg(r->nfields <= JV_FIELDS_MAX, "%s: more fields than JV_FIELDS_MAX", r->pattern);
		ck_assert_msg(r->tx == TX_NONE || r->tx == TX_WRITE, "%s: no transaction mode", r->pattern);
		for (size_t k = 0; k < r->nfields; k++) {
			const struct field_spec *f = &r->fields[k];
			ck_assert_msg(f->name != NULL && f->name[0] != '\0', "%s field %zu: no name", r->pattern, k);
			for (size_t j = 0; j < k; j++)
				ck_assert_msg(strcmp(r->fields[j].name, f->name) != 0, "%s: field %s twice",
				    r->pattern, f->name);
			if (f->type == FIELD_ENUM) {
				ck_assert_msg(f->values != NULL && f->values[0] != NULL, "%s.%s: enum without values",
				    r->pattern, f->name);
			}
			if (f->type == FIELD_STRING || f->type == FIELD_INT || f->type == FIELD_STRING_ARRAY)
				ck_assert_msg(f->min <= f->max, "%s.%s: min %ld > max %ld", r->pattern, f->name,
				    f->min, f->max);
			if (f->type == FIELD_STRING || f->type == FIELD_STRING_ARRAY)
				ck_assert_msg(f->min >= 0 && f->max > 0, "%s.%s: limits %ld..%ld", r->pattern,
				    f->name, f->min, f->max);
		}
	}
}
END_TEST

START_TEST(test_table_public)
{
	size_t n = 0;
	const struct route *routes = router_routes(&n);
	char s[256];

	for (size_t i = 0; i < n; i++) {
		if (routes[i].auth != ROUTE_PUBLIC)
			continue;
		shape(routes[i].pattern, s, sizeof s);
		int listed = 0;
		for (size_t k = 0; k < sizeof public_routes / sizeof public_routes[0]; k++)
			if (public_routes[k].method == routes[i].method && strcmp(public_routes[k].shape, s) == 0)
				listed = 1;
		ck_assert_msg(listed, "%s %s is public but doc/api.md requires a credential for it",
		    router_method_name(routes[i].method), routes[i].pattern);
	}
}
END_TEST

/* Every route is reached by a concrete path made from its own pattern, and gives its parameters. */
START_TEST(test_table_reachable)
{
	size_t n = 0;
	const struct route *routes = router_routes(&n);
	static const char *const values[CTX_MAX_PATH_PARAMS] = {
		"0b5e7a52-3f1c-4d6e-9a8b-1c2d3e4f5a6b", "acme-corp", "p3", "7",
	};

	for (size_t i = 0; i < n; i++) {
		char path[512];
		size_t len = (size_t)snprintf(path, sizeof path, "%s", API_PREFIX), k = 0;
		struct match r;

		for (const char *p = routes[i].pattern; *p != '\0'; p++) {
			if (*p == '{') {
				len += (size_t)snprintf(path + len, sizeof path - len, "%s", values[k++]);
				p = strchr(p, '}');
			} else if (len + 1 < sizeof path) {
				path[len++] = *p;
				path[len] = '\0';
			}
		}
		match(routes[i].method, path, &r);
		ck_assert_msg(r.rt == &routes[i], "%s %s reached %s %s (status %d)",
		    router_method_name(routes[i].method), path, r.rt ? router_method_name(r.rt->method) : "-",
		    r.rt ? r.rt->pattern : "nothing", r.st);
		ck_assert_int_eq(r.st, ST_OK);
		ck_assert_uint_eq(r.nparams, k);
		for (size_t j = 0; j < k; j++)
			ck_assert_str_eq(r.params[j], values[j]);
		/* A trailing slash reaches the same route. */
		if (len + 1 < sizeof path) {
			path[len] = '/';
			path[len + 1] = '\0';
			match(routes[i].method, path, &r);
			ck_assert_msg(r.rt == &routes[i], "%s with trailing slash: no match", path);
		}
		arena_reset(&arena);
	}
}
END_TEST

/* For every path, each method the table lacks gets 405 with exactly the methods it has. */
START_TEST(test_table_allow)
{
	size_t n = 0;
	const struct route *routes = router_routes(&n);

	for (size_t i = 0; i < n; i++) {
		char path[512];
		size_t len = (size_t)snprintf(path, sizeof path, "%s", API_PREFIX);
		bool has[METHOD_MAX] = {false};

		for (const char *p = routes[i].pattern; *p != '\0' && len + 40 < sizeof path; p++) {
			if (*p == '{') {
				len += (size_t)snprintf(path + len, sizeof path - len, "x1");
				p = strchr(p, '}');
			} else {
				path[len++] = *p;
				path[len] = '\0';
			}
		}
		/* The methods of every route whose pattern matches this path. */
		for (size_t j = 0; j < n; j++)
			if (pattern_covers(routes[j].pattern, path + strlen(API_PREFIX)))
				has[routes[j].method] = true;
		if (has[METHOD_GET])
			has[METHOD_HEAD] = true;
		for (enum http_method m = METHOD_GET; m < METHOD_MAX; m++) {
			struct match r;
			match(m, path, &r);
			if (has[m]) {
				ck_assert_msg(r.rt != NULL, "%s %s: status %d", router_method_name(m), path, r.st);
				continue;
			}
			ck_assert_msg(r.rt == NULL && r.st == ST_METHOD_NOT_ALLOWED, "%s %s: status %d",
			    router_method_name(m), path, r.st);
			ck_assert_ptr_nonnull(r.allow);
			/* Allow lists each method once, comma-separated, and nothing else. */
			size_t listed = 0;
			for (enum http_method k = METHOD_GET; k < METHOD_OTHER; k++) {
				const char *name = router_method_name(k);
				const char *at = strstr(r.allow, name);
				bool whole = false;
				while (at != NULL) {
					size_t nl = strlen(name);
					if ((at == r.allow || at[-1] == ' ') && (at[nl] == '\0' || at[nl] == ','))
						whole = true;
					at = strstr(at + 1, name);
				}
				ck_assert_msg(whole == has[k], "%s %s: Allow \"%s\" %s %s", router_method_name(m), path,
				    r.allow, has[k] ? "lacks" : "has", name);
				if (has[k])
					listed++;
			}
			/* "A, B, C": listed names and listed - 1 separators. */
			size_t commas = 0;
			for (const char *c = r.allow; *c != '\0'; c++)
				commas += *c == ',';
			ck_assert_msg(commas + 1 == listed, "%s: Allow \"%s\"", path, r.allow);
		}
		arena_reset(&arena);
	}
}
END_TEST

/* Parameter segments must not be empty or cross a '/'. */
START_TEST(test_table_param_segments)
{
	size_t n = 0;
	const struct route *routes = router_routes(&n);

	for (size_t i = 0; i < n; i++) {
		const char *p = routes[i].pattern;
		if (count_params(p) == 0)
			continue;
		char empty[512], two[512];
		size_t le = (size_t)snprintf(empty, sizeof empty, "%s", API_PREFIX);
		size_t lt = (size_t)snprintf(two, sizeof two, "%s", API_PREFIX);
		for (; *p != '\0' && le + 8 < sizeof empty; p++) {
			if (*p == '{') {
				lt += (size_t)snprintf(two + lt, sizeof two - lt, "a/b");
				p = strchr(p, '}');
			} else {
				empty[le++] = *p;
				two[lt++] = *p;
			}
		}
		empty[le] = '\0';
		two[lt] = '\0';
		struct match r;
		match(routes[i].method, empty, &r);
		ck_assert_msg(r.rt != &routes[i], "%s matched %s with an empty parameter", empty,
		    routes[i].pattern);
		match(routes[i].method, two, &r);
		ck_assert_msg(r.rt != &routes[i], "%s matched %s with a parameter across /", two,
		    routes[i].pattern);
		arena_reset(&arena);
	}
}
END_TEST

/* ---- router_path_of: which paths a handler's routes name, whatever the method ---- */

START_TEST(test_path_of)
{
	ck_assert(router_path_of(h_auth_register, "/api/v1/auth/register", &arena));
	ck_assert(router_path_of(h_auth_register, "/api/v1/auth/register/", &arena));
	ck_assert(!router_path_of(h_auth_register, "/api/v1/auth/login", &arena));
	ck_assert(!router_path_of(h_auth_register, "/api/v1/auth/register/x", &arena));
	ck_assert(!router_path_of(h_auth_register, "/auth/register", &arena));
	ck_assert(router_path_of(h_health, "/api/v1/health", &arena));
}
END_TEST

static Suite *
router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc;

	tc = unit_tcase(s, "health", 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_health_match, 0, sizeof health_ok / sizeof health_ok[0]);
	tcase_add_loop_test(tc, test_health_405, 0, sizeof health_wrong / sizeof health_wrong[0]);
	tcase_add_loop_test(tc, test_not_found, 0, sizeof not_found / sizeof not_found[0]);
	tcase_add_test(tc, test_method_names);
	tcase_add_test(tc, test_path_of);

	tc = unit_tcase(s, "table", 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_table_shape);
	tcase_add_test(tc, test_table_fields);
	tcase_add_test(tc, test_table_public);
	tcase_add_test(tc, test_table_reachable);
	tcase_add_test(tc, test_table_allow);
	tcase_add_test(tc, test_table_param_segments);
	return s;
}

int
main(void)
{
	return unit_run(router_suite(), false);
}
