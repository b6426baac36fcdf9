/* router.c -- the route table (routes.def, bodies.def) and matching a request to its route. */
#include "router.h"

#include <string.h>

#define FIELDS(f) (f), (sizeof(f) / sizeof((f)[0]))
#define NO_FIELDS NULL, 0
/* A row of routes.def (its opening comment names the columns). */
#define ROUTE(method, pattern, auth, perm, handler, tx, body, fields) \
	{method, pattern, auth, perm, handler, tx, body, fields},
/* The body arrays, from the rows of bodies.def (its opening comment names the columns). */
#define BODY(array, ...) static const struct field_spec array[] = {__VA_ARGS__};
#define VALUES(array, ...) static const char *const array[] = {__VA_ARGS__, NULL};
#define FIELD(name, kind, presence, min, max, values) FIELD_SPEC(name, FIELD_##kind, presence, min, max, values)
/* presence is two columns by now: required, nullable. */
#define FIELD_SPEC(name, type, req, null, min, max, values) {name, type, req, null, min, max, values},
#define REQUIRED true, false
#define OPTIONAL false, false
#define NULLABLE false, true
#define ANY NULL
#include "bodies.def"

static const struct route routes[] = {
#include "routes.def"
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const char *const method_names[METHOD_MAX] = {
	[METHOD_GET] = "GET", [METHOD_HEAD] = "HEAD", [METHOD_POST] = "POST",
	[METHOD_PUT] = "PUT", [METHOD_PATCH] = "PATCH", [METHOD_DELETE] = "DELETE",
	[METHOD_OPTIONS] = "OPTIONS", [METHOD_OTHER] = "OTHER",
};

const char *
router_method_name(enum http_method m)
{
	return (unsigned)m < METHOD_MAX ? method_names[m] : "OTHER";
}

/* Match path (already stripped of API_PREFIX) against pattern; fill params. */
static bool
pattern_match(const char *pattern, const char *path, struct arena *a, const char **params,
    size_t *nparams)
{
	const char *p = pattern, *s = path;
	size_t n = 0;

	while (*p != '\0' && *s != '\0') {
		if (*p == '{') {
			const char *pend = strchr(p, '}');
			size_t seg = strcspn(s, "/");
			if (pend == NULL || seg == 0 || n >= CTX_MAX_PATH_PARAMS)
				return false;
			if (params != NULL) {
				params[n] = arena_strndup(a, s, seg);
				if (params[n] == NULL)
					return false;
			}
			n++;
			p = pend + 1;
			s += seg;
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	if (*p != '\0' || *s != '\0')
		return false;
	if (nparams != NULL)
		*nparams = n;
	return true;
}

const struct route *
router_match(enum http_method method, const char *path, struct arena *a, const char **params,
    size_t *nparams, const char **allow, enum status *st)
{
	size_t plen = strlen(API_PREFIX);
	char methods[128] = "";

	*st = ST_NOT_FOUND;
	*allow = NULL;
	*nparams = 0;
	if (strncmp(path, API_PREFIX, plen) != 0 || path[plen] != '/')
		return NULL;
	path += plen;
	/* A trailing slash names the same resource. */
	size_t len = strlen(path);
	char *trimmed = NULL;
	if (len > 1 && path[len - 1] == '/') {
		trimmed = arena_strndup(a, path, len - 1);
		if (trimmed == NULL)
			return NULL;
		path = trimmed;
	}
	for (size_t i = 0; i < NROUTES; i++) {
		if (!pattern_match(routes[i].pattern, path, a, NULL, NULL))
			continue;
		if (routes[i].method == method ||
		    (method == METHOD_HEAD && routes[i].method == METHOD_GET)) {
			if (!pattern_match(routes[i].pattern, path, a, params, nparams))
				return NULL;
			*st = ST_OK;
			return &routes[i];
		}
		const char *name = method_names[routes[i].method];
		if (strstr(methods, name) == NULL) {
			if (methods[0] != '\0')
				strncat(methods, ", ", sizeof(methods) - strlen(methods) - 1);
			strncat(methods, name, sizeof(methods) - strlen(methods) - 1);
			if (routes[i].method == METHOD_GET)
				strncat(methods, ", HEAD", sizeof(methods) - strlen(methods) - 1);
		}
	}
	if (methods[0] != '\0') {
		*st = ST_METHOD_NOT_ALLOWED;
		*allow = arena_strdup(a, methods);
	}
	return NULL;
}

bool
router_path_of(handler_fn h, const char *path, struct arena *a)
{
	const char *params[CTX_MAX_PATH_PARAMS], *allow;
	size_t n;
	enum status st;

	for (size_t i = 0; i < NROUTES; i++) {
		if (routes[i].handler != h)
			continue;
		const struct route *rt = router_match(routes[i].method, path, a, params, &n, &allow, &st);
		if (rt != NULL && rt->handler == h)
			return true;
	}
	return false;
}

const struct route *
router_routes(size_t *n)
{
	*n = NROUTES;
	return routes;
}
