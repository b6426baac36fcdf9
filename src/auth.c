/* auth.c -- the credential lookup order of doc/api.md section 3 and the checks each credential gets. */
#include "auth.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "apikey.h"
#include "audit.h"
#include "credcache.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "usage.h"

static bool origin_in_list(const char *origin, const char *list);

static enum status
token_fail(struct ctx *c, const char *detail)
{
	c->rep->detail = detail;
	c->rep->token_sent = true;
	return ST_INVALID_TOKEN;
}

/*
 * An access token's use is activity of its session (doc/api.md section 3,
 * Sessions): recorded here, where the credential cache has missed and the
 * database is asked anyway, and only when the last record is older than
 * the touch interval, so that no request pays a write of its own. A use
 * the cache answers is not recorded: the cached entry lasts at most half
 * the idle timeout from the last record, so a session used at shorter
 * intervals comes back here, and is touched, before it can go idle.
 * Returns how long the cache may keep the token.
 */
static time_t
session_seen(struct ctx *c, const struct session_check *sc, time_t now)
{
	long long seen = sc->last_seen;

	if (sc->stale) {
		/* A failed touch only shortens the session: the request goes on. */
		if (store_session_touch(c->db, c->principal.claims.sid) == DB_OK)
			seen = (long long)now;
		else
			log_warning("could not record the activity of a session");
	}
	time_t until = c->principal.claims.exp;
	if (sc->expires_at > 0 && sc->expires_at < (long long)until)
		until = (time_t)sc->expires_at;
	long long idle_bound = seen + sc->idle_timeout / 2;
	if (sc->idle_timeout > 0 && idle_bound < (long long)until)
		until = (time_t)idle_bound;
	return until;
}

enum status
auth_access_token(struct ctx *c, const char *token)
{
	struct principal *p = &c->principal;
	struct session_check sc;
	unsigned char ck[CREDCACHE_KEY_LEN] = {0};   /* all zero: never stored */
	time_t now = time(NULL);

	/* A hit skips the signature and the session query (doc/api.md section 3, revocation). */
	if (credcache_on()) {
		credcache_key('J', token, strlen(token), ck);
		if (credcache_get(ck, now, p, c->a))
			return ST_OK;
	}
	uint64_t epoch = credcache_epoch();     /* before the query: a revocation meanwhile outdates it */
	enum token_error te = token_verify(c->keys, token, TOKEN_ACCESS, now, &p->claims);
	if (te != TOKEN_OK)
		return token_fail(c, token_error_detail(te));
	enum db_result r = store_session_check(c->db, c->a, p->claims.sid, p->claims.sub,
	    p->claims.jti, &sc);
	if (r != DB_OK)
		return reply_db_status(r);
	if (!sc.found || !sc.session_live || sc.jti_revoked || !sc.user_active) {
		/* A well-signed token of a session that ended: its organization sees the try. */
		if (sc.found)
			audit_attack(c, sc.org_id, "auth.token_rejected", "session", p->claims.sid);
		return token_fail(c, !sc.found || !sc.session_live || sc.jti_revoked ?
		    "Token has been revoked" : "User account is deactivated");
	}
	if (sc.idle)
		return token_fail(c, AUTH_SESSION_EXPIRED);
	int role = role_parse(sc.role);
	if (role < 0)
		return ST_INTERNAL_ERROR;
	/* The user's current role and organization, not what the token says. */
	p->type = PRINCIPAL_USER;
	p->id = p->claims.sub;
	p->org_id = sc.org_id;
	p->org_name = sc.org_name;
	p->org_slug = sc.org_slug;
	p->role = (enum role)role;
	p->perms = role_permissions((enum role)role);
	p->email = sc.email;
	p->name = sc.name;
	p->mfa_on = sc.mfa_on;
	credcache_put(ck, epoch, session_seen(c, &sc, now), p);
	return ST_OK;
}

/*
 * A rejected key of a known organization (revoked, expired) goes to that
 * organization's audit log, at most REJECT_BURST per minute per worker so
 * that a flood of them cannot flood the log; the suppressed ones are counted
 * in the next event. Keys that name no organization (malformed, unknown) are
 * only counted (usage.c), off the request path.
 */
#define REJECT_BURST 20
static time_t reject_window;
static int reject_logged;
static long reject_suppressed;

static void
audit_rejected_apikey(struct ctx *c, const char *org_id, const char *key_id, const char *why)
{
	time_t now = time(NULL);
	if (now - reject_window >= 60) {
		reject_window = now;
		reject_logged = 0;
	}
	if (reject_logged >= REJECT_BURST) {
		reject_suppressed++;
		return;
	}
	reject_logged++;
	const char *detail = why;
	if (reject_suppressed > 0) {
		detail = arena_printf(c->a, "%s; %ld earlier rejections not logged", why, reject_suppressed);
		reject_suppressed = 0;
	}
	struct audit_event ev = {
		.org_id = org_id, .action = "api_key.rejected", .outcome = "failure",
		.actor_type = "anonymous", .ip = c->client_ip, .user_agent = c->user_agent,
		.target_type = "api_key", .target_id = key_id, .detail = detail,
	};
	if (store_audit(c->db, &ev) != DB_OK)
		log_warning("could not record a rejected API key");
}

static enum status
apikey_fail(struct ctx *c, const char *detail)
{
	c->rep->detail = detail;
	return ST_INVALID_API_KEY;
}

static const struct {
	const char *status;     /* GET /api-keys */
	const char *detail;     /* the 401's detail */
	const char *audit;      /* api_key.rejected's detail */
} apikey_states[APIKEY_STATE_MAX] = {
	[APIKEY_ACTIVE] = {"active", NULL, NULL},
	[APIKEY_REVOKED] = {"revoked", "API key has been revoked", "revoked key"},
	[APIKEY_ROTATED] = {"rotated", "API key has been rotated; use its successor", "rotated key"},
	[APIKEY_PARENT_REVOKED] = {"parent_revoked", "API key's parent key has been revoked",
	    "parent key revoked"},
	[APIKEY_PARENT_EXPIRED] = {"expired", "API key's parent key has expired", "parent key expired"},
	[APIKEY_EXPIRED] = {"expired", "API key has expired", "expired key"},
	[APIKEY_CREATOR_DELETED] = {"creator_inactive", "API key's creator no longer exists",
	    "creator deleted"},
	[APIKEY_CREATOR_INACTIVE] = {"creator_inactive", "API key's creator is deactivated",
	    "creator deactivated"},
};

enum apikey_state
auth_apikey_state(const struct apikey_row *k, perm_set *effective)
{
	enum apikey_state s = APIKEY_ACTIVE;

	*effective = 0;
	if (k->revoked)
		s = APIKEY_REVOKED;
	else if (k->rotated)
		s = APIKEY_ROTATED;
	else if (k->parent_revoked)
		s = APIKEY_PARENT_REVOKED;
	else if (k->parent_expired)
		s = APIKEY_PARENT_EXPIRED;
	else if (k->expired)
		s = APIKEY_EXPIRED;
	else if (!k->creator_found || k->root_user_id == NULL)
		s = APIKEY_CREATOR_DELETED;
	else if (!k->creator_active)
		s = APIKEY_CREATOR_INACTIVE;
	if (s != APIKEY_ACTIVE)
		return s;
	/* Never more than the chain's lists, nor than the root user holds now. */
	int role = k->creator_role != NULL ? role_parse(k->creator_role) : -1;
	if (role >= 0)
		*effective = permission_csv(k->chain_permissions) & role_permissions((enum role)role);
	return s;
}

const char *
auth_apikey_status(enum apikey_state s)
{
	return (unsigned)s < APIKEY_STATE_MAX ? apikey_states[s].status : "revoked";
}

enum status
auth_apikey(struct ctx *c, const char *key)
{
	unsigned char digest[APIKEY_DIGEST_LEN];
	struct apikey_row k;
	bool found = false;
	perm_set effective = 0;

	/* Over-long, malformed or mistyped: refused here, without a query. */
	if (strlen(key) > APIKEY_MAX_BYTES || !apikey_well_formed(key)) {
		usage_reject(true, c->client_ip, time(NULL));
		return apikey_fail(c, "Invalid API key");
	}
	apikey_digest(key, digest);
	unsigned char ck[CREDCACHE_KEY_LEN] = {0};   /* all zero: never stored */
	if (credcache_on()) {
		credcache_key('K', digest, sizeof(digest), ck);
		/* A hit is a use like any other (usage.c counts it). */
		if (credcache_get(ck, time(NULL), &c->principal, c->a)) {
			usage_record(c->principal.id, c->principal.org_id, c->client_ip, true, time(NULL));
			return ST_OK;
		}
	}
	uint64_t epoch = credcache_epoch();     /* before the query, as for tokens */
	/* One statement: the key, its chain's state and its root user's (no walk up the chain). */
	enum db_result r = store_apikey_by_digest(c->db, c->a, digest, sizeof(digest), &k, &found);
	if (r != DB_OK)
		return reply_db_status(r);
	if (!found || k.digest_len != sizeof(digest) || !util_ct_equal(k.digest, digest, sizeof(digest))) {
		usage_reject(false, c->client_ip, time(NULL));
		return apikey_fail(c, "Invalid API key");
	}
	enum apikey_state ks = auth_apikey_state(&k, &effective);
	if (ks != APIKEY_ACTIVE) {
		audit_rejected_apikey(c, k.org_id, k.id, apikey_states[ks].audit);
		usage_record(k.id, k.org_id, c->client_ip, false, time(NULL));
		return apikey_fail(c, apikey_states[ks].detail);
	}
	struct principal *p = &c->principal;
	p->type = PRINCIPAL_APIKEY;
	p->id = k.id;
	p->org_id = k.org_id;
	p->org_name = k.org_name;
	p->org_slug = k.org_slug;
	p->perms = effective;
	p->key_name = k.name;
	p->key_prefix = k.prefix;
	p->key_root_user = k.root_user_id;
	p->key_chain = permission_csv(k.chain_permissions);
	p->key_expires = k.expires_bound;
	credcache_put(ck, epoch, (time_t)k.expires_bound, p);
	usage_record(k.id, k.org_id, c->client_ip, true, time(NULL));
	return ST_OK;
}

bool
auth_method_unsafe(const struct ctx *c)
{
	enum http_method m = c->req->method;
	return m == METHOD_POST || m == METHOD_PUT || m == METHOD_PATCH || m == METHOD_DELETE ||
	    m == METHOD_OTHER;
}

/* scheme://host[:port] of a URL, as an Origin header would carry it. */
static const char *
origin_of(const char *url, struct arena *a)
{
	const char *sep = strstr(url, "://");
	if (sep == NULL)
		return NULL;
	const char *host = sep + 3;
	size_t n = strcspn(host, "/?#");
	return arena_strndup(a, url, (size_t)(host - url) + n);
}

bool
auth_origin_configured(const struct ctx *c, const char *origin)
{
	return origin != NULL && origin_in_list(origin, c->cfg->allowed_origins);
}

static bool
origin_in_list(const char *origin, const char *list)
{
	size_t olen = strlen(origin);
	const char *p = list;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		size_t n = strcspn(p, " ,\t");
		if (n > 0 && n == olen && strncasecmp(p, origin, n) == 0)
			return true;
		p += n;
	}
	return false;
}

bool
auth_same_origin(const struct ctx *c)
{
	const char *origin = request_param(c->req, "HTTP_ORIGIN");
	if (origin == NULL) {
		const char *referer = request_param(c->req, "HTTP_REFERER");
		if (referer == NULL)
			return false;
		origin = origin_of(referer, c->a);
		if (origin == NULL)
			return false;
	}
	if (strcmp(origin, "null") == 0)
		return false;
	const char *host = request_param(c->req, "HTTP_HOST");
	if (host != NULL && *host != '\0') {
		const char *own = arena_printf(c->a, "%s://%s", c->https ? "https" : "http", host);
		if (own != NULL && strcasecmp(origin, own) == 0)
			return true;
	}
	return origin_in_list(origin, c->cfg->allowed_origins);
}

enum status
auth_authenticate(struct ctx *c)
{
	const char *authz = request_param(c->req, "HTTP_AUTHORIZATION");
	const char *key = request_param(c->req, "HTTP_X_API_KEY");
	const char *cookie = request_cookie(c->req, session_access_cookie(c->cfg));

	if (authz != NULL) {
		/* Web servers trim trailing spaces: "Bearer" alone is a missing token. */
		if (strncasecmp(authz, "Bearer", 6) != 0 || (authz[6] != ' ' && authz[6] != '\0'))
			return token_fail(c, "Authorization header must use the Bearer scheme");
		const char *tok = authz + 6;
		while (*tok == ' ')
			tok++;
		if (*tok == '\0') {
			c->rep->detail = "Token is missing";
			return ST_INVALID_TOKEN;
		}
		return auth_access_token(c, tok);
	}
	if (key != NULL)
		return auth_apikey(c, key);
	if (cookie != NULL && *cookie != '\0') {
		enum status st = auth_access_token(c, cookie);
		if (st != ST_OK)
			return st;
		c->principal.via_cookie = true;
		if (auth_method_unsafe(c) && !auth_same_origin(c)) {
			audit_attack(c, c->principal.org_id, "auth.csrf_rejected", "session",
			    c->principal.claims.sid);
			c->rep->detail = "Cross-site request rejected";
			return ST_CSRF_REJECTED;
		}
		return ST_OK;
	}
	c->rep->detail = "Token is missing";
	return ST_INVALID_TOKEN;
}

enum status
auth_require(struct ctx *c, int perm)
{
	if (c->principal.type == PRINCIPAL_NONE)
		return ST_INVALID_TOKEN;
	if (perm == PERM_NONE || (c->principal.perms & PERM_BIT(perm)) != 0)
		return ST_OK;
	c->rep->detail = "Insufficient permissions";
	return ST_INSUFFICIENT_PERMISSIONS;
}
