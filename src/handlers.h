/* handlers.h -- the per-request context and every resource handler the router names. */
#ifndef OW_HANDLERS_H
#define OW_HANDLERS_H

#include <json-c/json.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "net.h"
#include "permission.h"
#include "reply.h"
#include "request.h"
#include "status.h"
#include "token.h"

#define CTX_MAX_PATH_PARAMS 4

enum principal_type { PRINCIPAL_NONE, PRINCIPAL_USER, PRINCIPAL_API_KEY };

/* Who is calling, as auth.c established it (strings in the request arena). */
struct principal {
	enum principal_type type;
	const char *id;             /* user id or API key id */
	const char *org_id;
	enum role role;             /* users */
	perm_set perms;
	const char *email, *name;   /* users */
	struct token_claims claims; /* users: the access token */
	const char *key_name, *key_prefix;  /* API keys */
	/* API keys: what a key it mints inherits (sql/004_api_key_chain.sql). */
	const char *key_root_user;  /* the user at the top of its chain */
	perm_set key_chain;         /* its list & its ancestors' lists */
	long long key_expires;      /* epoch of its earliest expiry up the chain; 0: none */
	bool via_cookie;
};

/* What a handler sees: validated input in, reply out. */
struct ctx {
	const struct config *cfg;
	const struct token_keys *keys;
	const struct net_proxies *proxies;
	struct db *db;
	struct arena *a;
	const struct request *req;
	struct reply *rep;
	json_object *body;                          /* validated body, or NULL */
	const char *path_params[CTX_MAX_PATH_PARAMS];
	size_t npath_params;
	const char *client_ip;
	const char *throttle_ip;                    /* client_ip as per-IP limits key it (IPv6: its network) */
	const char *user_agent;
	bool https;                                 /* direct, or from a trusted proxy */
	struct principal principal;
};

/* A handler fills c->rep and returns its status (errors may set c->rep->detail). */
typedef enum status (*handler_fn)(struct ctx *c);

enum status h_health(struct ctx *c);

/*
 * Count this request against the client's fixed window of window seconds in
 * bucket (ctx's throttle_ip: IPv6 grouped by [lockout] ipv6_prefix); over
 * limit: ST_RATE_LIMITED with Retry-After set. A database failure's status
 * otherwise; ST_OK.
 */
enum status h_auth_throttle(struct ctx *c, const char *bucket, long limit, long window);
/* The client's failed-login budget ([lockout] ip_failures_per_minute): ST_RATE_LIMITED once spent. */
enum status h_auth_ip_budget(struct ctx *c);
enum status h_auth_register(struct ctx *c);
enum status h_auth_login(struct ctx *c);
enum status h_auth_refresh(struct ctx *c);
enum status h_auth_logout(struct ctx *c);
enum status h_auth_me(struct ctx *c);
enum status h_auth_password(struct ctx *c);

enum status h_apikeys_create(struct ctx *c);
enum status h_apikeys_list(struct ctx *c);
enum status h_apikeys_delete(struct ctx *c);

enum status h_users_list(struct ctx *c);
enum status h_users_create(struct ctx *c);
enum status h_users_update(struct ctx *c);
enum status h_users_unlock(struct ctx *c);

enum status h_incidents_list(struct ctx *c);
enum status h_incidents_create(struct ctx *c);
enum status h_incidents_get(struct ctx *c);
enum status h_incidents_update(struct ctx *c);
enum status h_procedures_list(struct ctx *c);
enum status h_procedures_create(struct ctx *c);
enum status h_procedures_execute(struct ctx *c);

enum status h_audit_list(struct ctx *c);

enum status h_sso_start(struct ctx *c);
enum status h_sso_callback(struct ctx *c);
enum status h_sso_connection_get(struct ctx *c);
enum status h_sso_connection_put(struct ctx *c);

#endif
