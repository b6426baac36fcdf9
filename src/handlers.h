/* handlers.h -- the per-request context and every resource handler the router names. */
#ifndef OW_HANDLERS_H
#define OW_HANDLERS_H

#include <json-c/json.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "reply.h"
#include "request.h"
#include "status.h"

#define CTX_MAX_PATH_PARAMS 4

/* What a handler sees: validated input in, reply out. */
struct ctx {
	const struct config *cfg;
	struct db *db;
	struct arena *a;
	const struct request *req;
	struct reply *rep;
	json_object *body;                          /* validated body, or NULL */
	const char *path_params[CTX_MAX_PATH_PARAMS];
	size_t npath_params;
	const char *client_ip;
};

/* A handler fills c->rep and returns its status (errors may set c->rep->detail). */
typedef enum status (*handler_fn)(struct ctx *c);

enum status h_health(struct ctx *c);

#endif
