/* router.h -- the route table: method and path to handler, permission and body schema. */
#ifndef OW_ROUTER_H
#define OW_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "handlers.h"
#include "jsonin.h"
#include "permission.h"
#include "request.h"

#define API_PREFIX "/api/v1"

enum route_auth {
	ROUTE_PUBLIC,           /* no credential */
	ROUTE_CREDENTIAL,       /* any valid credential, plus `permission` unless PERM_NONE */
};

enum route_body {
	BODY_NONE,              /* any body is ignored */
	BODY_JSON,              /* a JSON object, validated against fields */
	BODY_OPTIONAL_JSON,     /* as BODY_JSON when Content-Length > 0 */
	BODY_FORM,              /* application/x-www-form-urlencoded, read into req->body (request_form) */
};

/*
 * Who opens the route's transaction (doc/HACKING.md section 3): the
 * dispatcher around the whole handler, or the handler itself through
 * dispatch_tx for just its writes, after work that must stay outside one.
 */
enum route_tx {
	TX_NONE,                /* reads, or a handler that calls dispatch_tx itself */
	TX_WRITE,               /* the whole handler in one transaction, retried on a deadlock */
};

struct route {
	enum http_method method;
	const char *pattern;            /* below API_PREFIX; "{id}" matches one segment */
	enum route_auth auth;
	int permission;                 /* enum permission or PERM_NONE */
	handler_fn handler;
	enum route_tx tx;
	enum route_body body;
	const struct field_spec *fields;
	size_t nfields;
};

/*
 * Find the route for method and path. On a match returns it and fills
 * params (at most CTX_MAX_PATH_PARAMS, pointing into the arena). Otherwise
 * returns NULL with *st = ST_NOT_FOUND, or ST_METHOD_NOT_ALLOWED with the
 * path's methods in *allow (arena string, e.g. "GET, POST").
 */
const struct route *router_match(enum http_method method, const char *path, struct arena *a,
    const char **params, size_t *nparams, const char **allow, enum status *st);

/*
 * Whether path names a route handled by h, whatever the method: a route
 * switched off answers every method as an unknown path (src/dispatch.c).
 */
bool router_path_of(handler_fn h, const char *path, struct arena *a);

/* The route table, for the OpenAPI consistency test and the docs. */
const struct route *router_routes(size_t *n);
const char *router_method_name(enum http_method m);

#endif
