/* session.c -- finishing a sign-in: session row, token pair, cookies and audit in one place. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "request.h"
#include "notify.h"
#include "view.h"

const char *
session_cookie(struct ctx *c, const char *name, const char *value, const char *path, long max_age)
{
	bool secure = c->cfg->environment == ENVIRONMENT_PRODUCTION;
	return arena_printf(c->a, "%s=%s; Path=%s; Max-Age=%ld; HttpOnly; SameSite=Strict%s", name,
	    value, path, max_age, secure ? "; Secure" : "");
}

void
session_cookies_expire(struct ctx *c)
{
	reply_header(c->rep, "Set-Cookie", session_cookie(c, session_access_cookie(c->cfg), "", "/", 0));
	reply_header(c->rep, "Set-Cookie",
	    session_cookie(c, session_refresh_cookie(c->cfg), "", COOKIE_REFRESH_PATH, 0));
}

const char *
session_access_cookie(const struct config *cfg)
{
	return cfg->environment == ENVIRONMENT_PRODUCTION ? "__Host-access_token" : "access_token";
}

const char *
session_refresh_cookie(const struct config *cfg)
{
	return cfg->environment == ENVIRONMENT_PRODUCTION ? "__Secure-refresh_token" : "refresh_token";
}

int
session_claims(struct token_claims *tc, enum token_type type, const char *user_id,
    const char *org_id, const char *role, const char *sid, time_t iat, time_t exp)
{
	memset(tc, 0, sizeof(*tc));
	tc->type = type;
	snprintf(tc->sub, sizeof(tc->sub), "%s", user_id);
	snprintf(tc->org_id, sizeof(tc->org_id), "%s", org_id);
	snprintf(tc->role, sizeof(tc->role), "%s", role);
	snprintf(tc->sid, sizeof(tc->sid), "%s", sid);
	tc->iat = iat;
	tc->exp = exp;
	return util_uuid(tc->jti);
}

const char *
session_token_take(struct ctx *c, char *s)
{
	if (s == NULL)
		return NULL;
	const char *copy = arena_strdup(c->a, s);
	explicit_bzero(s, strlen(s));
	free(s);
	return copy;
}

enum status
session_start(struct ctx *c, const struct user_row *u)
{
	return session_start_with(c, u, NULL, NULL);
}

/* What the sign-in transaction writes (session_start_with). */
/*
 * A browser's sign-in gets the browser's limits, an API client's the
 * contract's (doc/api.md section 3, Sessions): a browser says what it is
 * with its Fetch Metadata (Sec-Fetch-Site on every fetch and navigation to
 * an HTTPS or loopback origin, in every engine since 2023), which a page's
 * script cannot take away. Not Sec-Fetch-Mode: Node's fetch sends that one
 * too. A program that sends Sec-Fetch-Site anyway only shortens its own
 * session.
 */
struct session_policy
session_policy_of(struct ctx *c)
{
	const char *mode = request_param(c->req, "HTTP_SEC_FETCH_SITE");
	if (mode != NULL && mode[0] != '\0')
		return (struct session_policy){c->cfg->jwt_browser_session_ttl, c->cfg->jwt_browser_idle_timeout};
	return (struct session_policy){c->cfg->jwt_refresh_ttl, c->cfg->jwt_idle_timeout};
}

struct signin_tx {
	const struct user_row *u;
	const struct session_policy *policy;
	const char *sid, *refresh_jti;
	session_step step;
	void *arg;
	const struct session_sso *sso;
};

/* A sign-in from an address none of the user's sessions came from: the user hears of it. */
static enum db_result
new_address(struct ctx *c, const struct user_row *u)
{
	bool seen = false;
	enum db_result r;

	if (!notify_configured(c->cfg) || c->client_ip == NULL)
		return DB_OK;
	if ((r = store_session_seen_ip(c->db, c->a, u->id, c->client_ip, &seen)) != DB_OK || seen)
		return r;
	return notify_queue(c->db, c->cfg, NOTIFY_NEW_SIGN_IN, u->id, false, c->client_ip, 0);
}

static enum status
signin_write(struct ctx *c, void *arg)
{
	const struct signin_tx *t = arg;
	const struct user_row *u = t->u;
	enum db_result r;

	/*
	 * The failure counter is reset first, and only when there is one: the
	 * session INSERT takes a shared lock on the user row (foreign key), and
	 * two logins of one user each upgrading it afterwards deadlocked.
	 */
	if ((t->step != NULL && (r = t->step(c, t->arg)) != DB_OK) ||
	    (r = new_address(c, u)) != DB_OK ||
	    (u->has_failures && (r = store_user_login_ok(c->db, u->id)) != DB_OK) ||
	    (r = store_session_create(c->db, t->sid, u->id, u->org_id, t->refresh_jti,
	    t->policy, c->client_ip, c->user_agent)) != DB_OK ||
	    (t->sso != NULL && (r = store_sso_session_mark(c->db, t->sid, t->sso->connection,
	    t->sso->provider_sid)) != DB_OK) ||
	    (r = audit_record(c, u->org_id, "auth.login", "success", "session", t->sid)) != DB_OK)
		return reply_db_status(r);
	return ST_OK;
}

enum status
session_start_with(struct ctx *c, const struct user_row *u, session_step step, void *arg)
{
	return session_start_sso(c, u, step, arg, NULL);
}

enum status
session_start_sso(struct ctx *c, const struct user_row *u, session_step step, void *arg,
    const struct session_sso *sso)
{
	struct token_claims access, refresh;
	char sid[UUID_STR_LEN];
	time_t now = time(NULL);
	struct session_policy policy = session_policy_of(c);

	if (util_uuid(sid) != 0 ||
	    session_claims(&access, TOKEN_ACCESS, u->id, u->org_id, u->role, sid, now,
		now + c->cfg->jwt_access_ttl) != 0 ||
	    session_claims(&refresh, TOKEN_REFRESH, u->id, u->org_id, u->role, sid, now,
		now + policy.ttl) != 0)
		return ST_INTERNAL_ERROR;
	const char *at = session_token_take(c, token_issue(c->keys, &access));
	const char *rt = session_token_take(c, token_issue(c->keys, &refresh));
	if (at == NULL || rt == NULL)
		return ST_INTERNAL_ERROR;

	/*
	 * The session and the record of it commit together, or neither does;
	 * the tokens were signed before, outside the transaction.
	 */
	struct signin_tx t = {.u = u, .policy = &policy, .sid = sid, .refresh_jti = refresh.jti, .step = step, .arg = arg,
	    .sso = sso};
	struct principal actor = {.type = PRINCIPAL_USER, .id = u->id};
	struct principal saved = c->principal;
	c->principal = actor;
	enum status st = dispatch_tx(c, signin_write, &t);
	c->principal = saved;
	if (st != ST_OK)
		return st;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "access_token", json_object_new_string(at));
	json_object_object_add(o, "refresh_token", json_object_new_string(rt));
	json_object_object_add(o, "token_type", json_object_new_string("bearer"));
	json_object_object_add(o, "expires_in", json_object_new_int64(c->cfg->jwt_access_ttl));
	json_object_object_add(o, "user", view_user_brief(u->id, u->email, u->name, u->role, u->org_id));
	reply_json(c->rep, ST_OK, o);
	reply_header(c->rep, "Set-Cookie", session_cookie(c, session_access_cookie(c->cfg), at, "/", c->cfg->jwt_access_ttl));
	reply_header(c->rep, "Set-Cookie",
	    session_cookie(c, session_refresh_cookie(c->cfg), rt, COOKIE_REFRESH_PATH, policy.ttl));
	return ST_OK;
}
