/* ctx.h -- the per-request context a handler works in, and the principal auth.c fills in. */
#ifndef OW_CTX_H
#define OW_CTX_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "jsonin.h"
#include "net.h"
#include "permission.h"
#include "reply.h"
#include "request.h"
#include "status.h"
#include "token.h"

#define CTX_MAX_PATH_PARAMS 4

enum principal_type { PRINCIPAL_NONE, PRINCIPAL_USER, PRINCIPAL_APIKEY };

/* Who is calling, as auth.c established it (strings in the request arena). */
struct principal {
	enum principal_type type;
	const char *id;             /* user id or API key id */
	const char *org_id;
	const char *org_name, *org_slug;    /* GET /auth/me: from the same lookup, never a query of its own */
	enum role role;             /* users */
	perm_set perms;
	const char *email, *name;   /* users */
	bool mfa_on;                /* users: two-factor sign-in confirmed (GET /auth/me) */
	struct token_claims claims; /* users: the access token */
	const char *key_name, *key_prefix;  /* API keys */
	/* API keys: what a key it mints inherits (sql/004_api_key_chain.sql). */
	const char *key_root_user;  /* the user at the top of its chain */
	perm_set key_chain;         /* its list & its ancestors' lists */
	long long key_expires;      /* epoch of its earliest expiry up the chain; 0: none */
	bool via_cookie;
};

struct ctx;

/* Run right after the request's transaction committed (dispatch_after_commit). */
typedef void (*after_commit_fn)(struct ctx *c, void *arg);
#define CTX_MAX_AFTER_COMMIT 4

/*
 * An audit event of a refusal made inside a transaction, kept until that
 * transaction has ended (audit_refusal in src/audit.c): strings are
 * copies in the arena.
 */
struct ctx_refusal {
	const char *org_id, *action, *outcome, *target_type, *target_id;
};
#define CTX_MAX_REFUSALS 2

/* What a handler sees: validated input in, reply out. */
struct ctx {
	const struct config *cfg;
	const struct token_keys *keys;
	const struct net_proxies *proxies;
	struct db *db;
	struct arena *a;
	const struct request *req;
	struct reply *rep;
	json_object *body;                          /* the body, or NULL: dispatch_request puts it */
	struct jv_values in;                        /* the body's fields as validated (jv_field) */
	const char *path_params[CTX_MAX_PATH_PARAMS];
	size_t npath_params;
	const char *client_ip;
	const char *throttle_ip;                    /* client_ip as per-IP limits key it (IPv6: its network) */
	const char *user_agent;
	bool https;                                 /* direct, or from a trusted proxy */
	struct principal principal;
	/* Transaction state, owned by dispatch_tx (src/dispatch.c). */
	bool in_tx;
	struct ctx_after_commit {
		after_commit_fn fn;
		void *arg;
	} after_commit[CTX_MAX_AFTER_COMMIT];
	size_t nafter_commit;
	struct ctx_refusal refusals[CTX_MAX_REFUSALS];
	size_t nrefusals;
	bool probed;        /* a lookup of the path's id found nothing (h_found): src/audit_probe.c */
};

#endif
