/* h_sso.c -- single sign-on through an organization's OpenID Connect provider, and its connection. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit.h"
#include "auth.h"
#include "log.h"
#include "oidc.h"
#include "params.h"
#include "router.h"
#include "session.h"
#include "sso.h"
#include "sso_provider.h"
#include "sso_roles.h"
#include "store.h"
#include "view.h"

/*
 * The browser binding: /start sets a random value in this cookie and keeps
 * only its hash with the state; /callback must present the same cookie.
 * SameSite=Lax because the provider's redirect back is a cross-site
 * top-level GET, which Strict would strip.
 */
#define SSO_COOKIE "ow_sso"
#define SSO_COOKIE_PATH API_PREFIX "/auth/sso"
#define SSO_STATE_TTL 600           /* seconds a started sign-in may take */
#define SSO_PARAM_MAX 2048          /* code, next */
#define SSO_SIGNIN_ATTEMPTS 3
#define SSO_ACCESS_TOKEN_MAX 4096   /* a longer access token is not kept: no userinfo call */

/*
 * The one text a client gets for every provider failure: telling a refused
 * connection from a timeout, a TLS error or an HTTP status would make the
 * sign-in a port scanner. The precise reason goes to the audit log and the log.
 */
static const char provider_detail[] =
    "The organization's identity provider could not complete the sign-in; try again later";
/* The one answer for an unknown organization, one without single sign-on, or an unknown connection name. */
static const char not_configured[] = "Single sign-on is not configured for this organization";

static bool
host_ok(const char *h)
{
	size_t n = strlen(h);
	return n > 0 && n <= 255 &&
	    strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == n;
}

/*
 * A URL of this site given to the provider (the callback, the console after
 * a logout): the configured external base, else this request's own scheme
 * and Host (the provider only accepts URLs registered with it, so a forged
 * Host gains nothing). NULL when there is no usable Host.
 */
const char *
h_sso_site_url(struct ctx *c, const char *path)
{
	const char *base = c->cfg->sso_redirect_base;
	if (path == NULL)
		return NULL;
	if (base[0] != '\0')
		return arena_printf(c->a, "%s%s", base, path);
	const char *host = request_param(c->req, "HTTP_HOST");
	if (host == NULL || !host_ok(host))
		return NULL;
	return arena_printf(c->a, "%s://%s%s", c->https ? "https" : "http", host, path);
}

/* The callback URL the provider must send the browser back to. */
static const char *
redirect_uri_of(struct ctx *c, const char *slug)
{
	return h_sso_site_url(c, arena_printf(c->a, "%s/auth/sso/%s/callback", API_PREFIX, slug));
}

static void
wipe_secret(struct sso_connection *conn)
{
	if (conn->client_secret != NULL)
		explicit_bzero(conn->client_secret, conn->client_secret_len);
}

/* A same-site path to return to after signing in (no scheme, no "//host"). */
static bool
next_ok(const char *n)
{
	return util_visible_token(n, SSO_PARAM_MAX) && n[0] == '/' && n[1] != '/' && n[1] != '\\';
}

static bool
binding_ok(const char *v)
{
	return v != NULL && strlen(v) == OIDC_RANDOM_LEN - 1 &&
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	    OIDC_RANDOM_LEN - 1;
}

/* Record a refused sign-in (reason: a short word, never a secret) and answer st. */
static enum status
refuse(struct ctx *c, const char *org_id, const char *reason, const char *user_id, enum status st,
    const char *detail)
{
	struct audit_event ev = {
		.org_id = org_id, .action = "sso.login_failed", .outcome = "failure",
		.actor_type = "anonymous", .ip = c->client_ip, .user_agent = c->user_agent,
		.target_type = user_id != NULL ? "user" : NULL, .target_id = user_id, .detail = reason,
	};
	enum db_result r = store_audit(c->db, &ev);

	log_info("sso: sign-in to organization %s refused: %s", org_id, reason);
	if (r != DB_OK)
		return reply_db_status(r);
	return h_fail(c, st, detail);
}

static enum status
refuse_oidc(struct ctx *c, const char *org_id, enum oidc_error e)
{
	const struct oidc_error_info *info = oidc_error_info(e);

	if (e == OIDC_E_INTERNAL)
		return ST_INTERNAL_ERROR;
	if (info->provider_fault)
		return refuse(c, org_id, info->reason, NULL, ST_BAD_GATEWAY, provider_detail);
	return refuse(c, org_id, info->reason, NULL, ST_INVALID_CREDENTIALS, info->detail);
}

/* A connection saved before its metadata was stored: nothing to serve /start or a callback from. */
static bool
metadata_missing(const struct sso_connection *conn)
{
	return conn->authorization_endpoint == NULL || conn->authorization_endpoint[0] == '\0' ||
	    conn->token_endpoint == NULL || conn->token_endpoint[0] == '\0' ||
	    conn->provider_issuer == NULL || conn->provider_issuer[0] == '\0' || conn->jwks == NULL;
}

static void
provider_of(const struct sso_connection *conn, struct oidc_provider *p)
{
	p->issuer = conn->provider_issuer;
	p->authorization_endpoint = conn->authorization_endpoint;
	p->token_endpoint = conn->token_endpoint;
	p->jwks_uri = conn->jwks_uri;
	p->userinfo_endpoint = conn->userinfo_endpoint != NULL ? conn->userinfo_endpoint : "";
}

/*
 * The connection the callback's state was started at (read, not spent: the
 * connection is loaded first); the default one for a state that is not
 * known, which take_state then refuses.
 */
static enum db_result
state_connection(struct ctx *c, const char **name)
{
	const char *state = request_query(c->req, "state");
	enum db_result r = DB_OK;

	*name = NULL;
	if (state != NULL && util_visible_token(state, 128))
		r = store_sso_state_connection(c->db, c->a, state, name);
	if (*name == NULL)
		*name = SSO_DEFAULT_CONNECTION;
	return r;
}

/*
 * The organization of the path and its enabled connection name (NULL: the
 * one the callback's state names); ST_NOT_FOUND when either is missing or
 * the name is none a connection can have, with one answer for all of them.
 */
enum status
h_sso_load_connection(struct ctx *c, const char *name, struct sso_org *org, struct sso_connection *conn)
{
	bool have = false;
	enum db_result r;
	/*
	 * Request edge: both public steps are limited per client before any
	 * database or provider work, and an organization that is not printable
	 * ASCII (slugs and ids are) is an unknown one without a query.
	 */
	enum status st = h_auth_throttle(c, "sso", c->cfg->sso_requests_per_minute, 60);
	if (st != ST_OK)
		return st;
	if (c->npath_params >= 1 && !util_visible_token(c->path_params[0], 100))
		return h_fail(c, ST_NOT_FOUND, not_configured);

	if (c->npath_params < 1 || strlen(c->path_params[0]) > 100)
		return ST_NOT_FOUND;
	if (name == NULL && (r = state_connection(c, &name)) != DB_OK)
		return reply_db_status(r);
	if (!sso_connection_name_ok(name))
		return h_fail(c, ST_NOT_FOUND, not_configured);
	r = store_sso_org_connection(c->db, c->a, c->path_params[0], name, org, conn, &have);
	if (r != DB_OK)
		return reply_db_status(r);
	if (!org->found || !have || !conn->enabled) {
		wipe_secret(conn);
		return h_fail(c, ST_NOT_FOUND, not_configured);
	}
	return ST_OK;
}

enum status
h_sso_load_connections(struct ctx *c, struct sso_org *org, struct sso_connection **conns, size_t *n)
{
	struct sso_connection first, *all = NULL;
	size_t total = 0;
	enum db_result r;
	enum status st;

	/*
	 * The path's organization as every public step resolves it (the limit
	 * per client first); then any enabled connection will do, the default
	 * one or not.
	 */
	memset(org, 0, sizeof(*org));
	st = h_sso_load_connection(c, SSO_DEFAULT_CONNECTION, org, &first);
	*conns = NULL;
	*n = 0;
	if (st == ST_OK)
		wipe_secret(&first);
	else if (st != ST_NOT_FOUND || !org->found)
		return st;
	if ((r = store_sso_connection_list(c->db, c->a, org->id, org, &all, &total)) != DB_OK)
		return reply_db_status(r);
	for (size_t i = 0; i < total; i++)
		if (all[i].enabled)
			all[(*n)++] = all[i];
	*conns = all;
	if (*n == 0)
		return h_fail(c, ST_NOT_FOUND, not_configured);
	reply_clear(c->rep);
	return ST_OK;
}

static const char *
binding_cookie(struct ctx *c, const char *value)
{
	bool secure = c->cfg->environment == ENVIRONMENT_PRODUCTION;
	return arena_printf(c->a, "%s=%s; Path=%s; Max-Age=%d; HttpOnly; SameSite=Lax%s", SSO_COOKIE,
	    value, SSO_COOKIE_PATH, SSO_STATE_TTL, secure ? "; Secure" : "");
}

enum status
h_sso_start(struct ctx *c)
{
	struct sso_org org;
	struct sso_connection conn;
	struct oidc_provider p;
	const char *next = request_query(c->req, "next"), *link = request_query(c->req, "link");
	const char *link_user = NULL, *named = request_query(c->req, "connection");
	char state[OIDC_RANDOM_LEN], nonce[OIDC_RANDOM_LEN], verifier[OIDC_RANDOM_LEN];
	char fresh[OIDC_RANDOM_LEN], challenge[OIDC_S256_LEN], binding_hash[OIDC_S256_LEN];
	/* ?connection=NAME starts at that connection; the callback finishes with the state's. */
	enum status st = h_sso_load_connection(c, named != NULL ? named : SSO_DEFAULT_CONNECTION, &org, &conn);
	enum db_result r;

	if (st != ST_OK)
		return st;
	wipe_secret(&conn);             /* not needed before the callback */
	if (next != NULL && !next_ok(next)) {
		field_error_add(&c->rep->errors, "next", "must be a path on this site");
		return h_fail(c, ST_VALIDATION_ERROR, "Invalid query parameter");
	}
	const char *redirect_uri = redirect_uri_of(c, org.slug);
	if (redirect_uri == NULL)
		return h_fail(c, ST_VALIDATION_ERROR, "No valid Host header to build the callback URL from (set [sso] redirect_base)");
	if (link != NULL) {
		if (strcmp(link, "1") != 0) {
			field_error_add(&c->rep->errors, "link", "must be 1");
			return h_fail(c, ST_VALIDATION_ERROR, "Invalid query parameter");
		}
		/* Linking: the signed-in user (access token in header or cookie) is who the identity joins. */
		if ((st = auth_authenticate(c)) != ST_OK)
			return st;
		if (c->principal.type != PRINCIPAL_USER)
			return h_fail(c, ST_INSUFFICIENT_PERMISSIONS, "Only a signed-in user can link a single sign-on identity to their account");
		if (strcmp(c->principal.org_id, org.id) != 0)
			return h_fail(c, ST_INSUFFICIENT_PERMISSIONS, "An identity can only be linked through your own organization's provider");
		link_user = c->principal.id;
	}
	/* Served from what the save fetched and checked: no outbound call here, whatever the provider does. */
	if (metadata_missing(&conn)) {
		log_warning("sso: connection of organization %s has no stored provider metadata: save it again",
		    org.id);
		return refuse(c, org.id, "provider_metadata_missing", NULL, ST_BAD_GATEWAY, provider_detail);
	}
	provider_of(&conn, &p);
	/* One binding per browser, reused while it lives: sign-ins in two tabs both finish. */
	const char *binding = request_cookie(c->req, SSO_COOKIE);
	if (!binding_ok(binding)) {
		if (oidc_random(fresh) != 0)
			return ST_INTERNAL_ERROR;
		binding = fresh;
	}
	if (oidc_random(state) != 0 || oidc_random(nonce) != 0 || oidc_random(verifier) != 0)
		return ST_INTERNAL_ERROR;
	oidc_s256(verifier, challenge);
	oidc_s256(binding, binding_hash);
	struct sso_state s = {
		.state = state, .org_id = org.id, .connection = conn.name, .nonce = nonce, .code_verifier = verifier,
		.binding_hash = binding_hash, .redirect_uri = redirect_uri, .redirect_to = next,
		.link_user_id = link_user,
	};
	if ((r = store_sso_state_create(c->db, &s, SSO_STATE_TTL)) != DB_OK)
		return reply_db_status(r);
	struct oidc_auth_request ar = {
		.client_id = conn.client_id, .redirect_uri = redirect_uri, .scope = conn.scopes,
		.state = state, .nonce = nonce, .code_challenge = challenge,
	};
	const char *url = oidc_authorization_url(&p, &ar, c->a);
	const char *cookie = binding_cookie(c, binding);
	if (url == NULL || cookie == NULL)
		return ST_INTERNAL_ERROR;
	reply_json(c->rep, ST_FOUND, NULL);
	reply_header(c->rep, "Location", url);
	reply_header(c->rep, "Set-Cookie", cookie);
	return ST_FOUND;
}

/* What the callback decided to do for the signed-in identity, run inside the session's transaction. */
struct signin_plan {
	const char *org_id, *issuer, *subject;
	const char *connection;     /* its name, in the sso.login event */
	struct user_row user;
	bool create;                /* a new user (auto_create) */
	bool link;                  /* a new link of (issuer, subject) to the user */
	/* Role mapping: where the role came from, and a change of an existing user's role. */
	enum sso_role_source role_source;
	bool role_clipped;
	const char *role_before;    /* the role replaced, NULL when it stays */
	bool keep_admin;            /* an earlier attempt found the last admin: not demoted (kept across attempts) */
	char user_id[UUID_STR_LEN];
	char email[256];
	char name[SSO_NAME_MAX * 4 + 1];
};

/*
 * The mapped role of an existing user, inside the sign-in's transaction:
 * the last-admin rule holds as for PATCH /users/{id} (the guard, the admins
 * locked and counted, the user read as it is now). The plan's role_before
 * was read before the transaction: the user may have been made an admin
 * since, so any change to a lesser role asks, not only one from "admin".
 * Demoting the last active admin is not done: the tokens are already
 * signed with the new role, so the attempt is rerun (DB_DEADLOCK: signin()
 * plans again) with the admin role kept.
 */
static enum db_result
signin_role_change(struct ctx *c, struct signin_plan *pl)
{
	struct user_row now;
	bool found = false;
	long admins = 0;
	enum db_result r;

	if (strcmp(pl->user.role, "admin") != 0) {
		if ((r = store_user_lock_target(c->db, c->a, pl->org_id, pl->user.id, &admins, &now,
		    &found)) != DB_OK)
			return r;
		if (found && now.active && strcmp(now.role, "admin") == 0 && admins <= 1) {
			pl->keep_admin = true;
			return DB_DEADLOCK;
		}
	}
	if ((r = store_user_update(c->db, pl->user.id, pl->org_id, NULL, pl->user.role, -1)) != DB_OK)
		return r;
	return audit_record(c, pl->org_id, "user.updated", "success", "user", pl->user.id);
}

static enum db_result
signin_step(struct ctx *c, void *arg)
{
	struct signin_plan *pl = arg;
	enum db_result r = DB_OK;

	if (pl->create)
		r = store_user_create(c->db, pl->user.id, pl->org_id, pl->user.email, pl->user.name,
		    pl->user.role, NULL, NULL);
	if (r == DB_OK && pl->role_before != NULL)
		r = signin_role_change(c, pl);
	if (r == DB_OK)
		r = pl->link ? store_sso_identity_link(c->db, pl->org_id, pl->issuer, pl->subject, pl->user.id) :
		    store_sso_identity_touch(c->db, pl->org_id, pl->issuer, pl->subject);
	if (r == DB_OK && pl->create)
		r = audit_record(c, pl->org_id, "user.created", "success", "user", pl->user.id);
	if (r != DB_OK)
		return r;
	json_object *d = json_object_new_object();
	json_object_object_add(d, "issuer", json_object_new_string(pl->issuer));
	json_object_object_add(d, "connection", json_object_new_string(pl->connection));
	json_object_object_add(d, "created", json_object_new_boolean(pl->create));
	json_object_object_add(d, "linked", json_object_new_boolean(pl->link));
	json_object_object_add(d, "role", json_object_new_string(pl->user.role));
	json_object_object_add(d, "role_source",
	    json_object_new_string(sso_role_source_name(pl->role_source)));
	if (pl->role_before != NULL)
		json_object_object_add(d, "previous_role", json_object_new_string(pl->role_before));
	if (pl->role_clipped)
		json_object_object_add(d, "role_clipped", json_object_new_boolean(true));
	if (pl->keep_admin)
		json_object_object_add(d, "role_kept", json_object_new_string("last_admin"));
	const char *detail = arena_strdup(c->a, json_object_to_json_string_ext(d,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(d);
	struct audit_event ev = {
		.org_id = pl->org_id, .action = "sso.login", .outcome = "success",
		.actor_type = "user", .actor_id = pl->user.id, .ip = c->client_ip,
		.user_agent = c->user_agent, .target_type = "user", .target_id = pl->user.id,
		.detail = detail,
	};
	return store_audit(c->db, &ev);
}

static const char link_detail[] =
    "An account with this email already exists. Sign in to it with its password, then link this "
    "identity from there (start the single sign-on with ?link=1 while signed in), or ask an "
    "administrator to trust this provider's verified emails (link_existing_accounts)";

/* The user of a stored link (linked) or of the state's link request (link_user). */
static enum status
plan_linked_user(struct ctx *c, bool linked, const char *link_user, struct signin_plan *pl)
{
	const char *org = pl->org_id;
	const char *id = linked ? pl->user_id : link_user;
	bool found = false;
	enum db_result r = store_user_by_id(c->db, c->a, id, &pl->user, &found);

	if (r != DB_OK)
		return reply_db_status(r);
	if (!found || strcmp(pl->user.org_id, org) != 0) {
		if (linked)
			return ST_INTERNAL_ERROR;   /* the foreign keys make this impossible */
		/* The user who asked to link is gone (or moved): nobody to link to. */
		return refuse(c, org, "link_user_gone", link_user, ST_INVALID_CREDENTIALS,
		    "The account that asked to link this identity no longer exists; sign in and start again");
	}
	if (!linked) {
		snprintf(pl->user_id, sizeof(pl->user_id), "%s", link_user);
		pl->user.id = pl->user_id;
		pl->link = true;
	}
	return ST_OK;
}

/* A new user of the organization for the identity (the connection's auto_create). */
static enum status
plan_new_user(const struct sso_connection *conn, const struct oidc_claims *cl, struct signin_plan *pl)
{
	if (util_uuid(pl->user_id) != 0)
		return ST_INTERNAL_ERROR;
	sso_user_name(cl->name, pl->email, pl->name, sizeof(pl->name));
	memset(&pl->user, 0, sizeof(pl->user));
	pl->user.id = pl->user_id;
	pl->user.org_id = pl->org_id;
	pl->user.email = pl->email;
	pl->user.name = pl->name;
	pl->user.role = conn->default_role;
	pl->user.active = true;
	pl->create = true;
	return ST_OK;
}

/* First sign-in of an identity: the account of its verified email, or a new one. */
static enum status
plan_by_email(struct ctx *c, const struct sso_connection *conn, const struct oidc_claims *cl,
    bool have_email, struct signin_plan *pl)
{
	const char *org = pl->org_id;
	bool found = false;
	enum db_result r;

	if (!have_email)
		return refuse(c, org, cl->email != NULL ? "email_unverified" : "email_missing", NULL,
		    ST_INSUFFICIENT_PERMISSIONS,
		    "The identity provider did not send a verified email to match an account with");
	if ((r = store_user_by_email(c->db, c->a, pl->email, &pl->user, &found)) != DB_OK)
		return reply_db_status(r);
	if (found && strcmp(pl->user.org_id, org) != 0)
		return refuse(c, org, "email_in_other_organization", NULL, ST_INSUFFICIENT_PERMISSIONS,
		    "This email belongs to an account of another organization");
	if (found) {
		/*
		 * An existing account is someone else's until proven otherwise: a
		 * tenant-run provider can put any email in a token. Only an
		 * explicitly verified email, at a connection the admin trusts
		 * for this, links it; the user may always link while signed in.
		 */
		if (cl->email_verified != 1)
			return refuse(c, org, "existing_account_email_unverified", pl->user.id, ST_CONFLICT,
			    link_detail);
		if (!conn->link_existing_accounts)
			return refuse(c, org, "existing_account_linking_disabled", pl->user.id, ST_CONFLICT,
			    link_detail);
	}
	if (!found && !conn->auto_create)
		return refuse(c, org, "no_account", NULL, ST_INSUFFICIENT_PERMISSIONS,
		    "There is no account for this email in the organization; ask an administrator");
	pl->link = true;
	return found ? ST_OK : plan_new_user(conn, cl, pl);
}

/*
 * The role of this sign-in (doc/api.md section 6, "Single sign-on", role
 * mapping): a new user gets the mapped role; an existing one gets it too,
 * down as well as up, at every sign-in, unless the connection maps no
 * claim (their role is then the organization's business) or the last
 * admin would go (pl->keep_admin, learnt by an earlier attempt).
 */
static void
plan_role(const struct sso_connection *conn, const struct oidc_claims *cl, struct signin_plan *pl)
{
	const char *role = sso_role_map(conn->role_claim, conn->role_rules, cl->json, conn->default_role,
	    conn->rules_author_role, &pl->role_source, &pl->role_clipped);

	pl->role_before = NULL;
	if (pl->create) {
		pl->user.role = role;
		return;
	}
	if (pl->role_source == SSO_ROLE_UNMAPPED || strcmp(role, pl->user.role) == 0)
		return;
	if (pl->keep_admin && strcmp(pl->user.role, "admin") == 0)
		return;
	pl->role_before = pl->user.role;
	pl->user.role = role;
}

/*
 * Map the verified identity to a user of the organization: the stored link
 * first; else a signed-in user's link request (link_user: the state's); else,
 * at first sign-in, by email: an existing account is linked only when the
 * provider says the email is verified and the connection is trusted for
 * linking, an unknown one is created when the connection says so. A refusal
 * answers st != ST_OK with its audit event written.
 */
static enum status
signin_plan(struct ctx *c, const struct sso_connection *conn, const struct oidc_claims *cl,
    const char *link_user, struct signin_plan *pl)
{
	bool linked = false, restricted = false;
	const char *org = pl->org_id;
	enum db_result r;
	enum status st;

	pl->create = pl->link = false;
	/* An email the provider says it has not verified is no email at all here. */
	bool have_email = cl->email != NULL && cl->email_verified != 0 &&
	    util_email_normalize(cl->email, pl->email, sizeof(pl->email)) == 0;
	if (!have_email)
		pl->email[0] = '\0';
	if (!sso_domain_allowed(conn->allowed_domains, pl->email, &restricted) && restricted) {
		if (!have_email)
			return refuse(c, org, cl->email != NULL ? "email_unverified" : "email_missing", NULL,
			    ST_INSUFFICIENT_PERMISSIONS,
			    "The identity provider did not send a verified email, which this organization requires");
		return refuse(c, org, "domain_not_allowed", NULL, ST_INSUFFICIENT_PERMISSIONS,
		    "This email domain is not allowed to sign in to this organization");
	}
	if ((r = store_sso_identity_user(c->db, c->a, org, pl->issuer, pl->subject, pl->user_id,
	    &linked)) != DB_OK)
		return reply_db_status(r);
	if (linked && link_user != NULL && strcmp(pl->user_id, link_user) != 0)
		return refuse(c, org, "identity_linked_to_other_user", link_user, ST_CONFLICT,
		    "This identity of the provider is already linked to another account");
	st = linked || link_user != NULL ? plan_linked_user(c, linked, link_user, pl) :
	    plan_by_email(c, conn, cl, have_email, pl);
	if (st != ST_OK)
		return st;
	/* Deactivation holds for SSO users as for any other. */
	if (!pl->user.active)
		return refuse(c, org, "user_deactivated", pl->user.id, ST_INSUFFICIENT_PERMISSIONS,
		    "User account is deactivated");
	plan_role(conn, cl, pl);
	return ST_OK;
}

/* The provider's error code, reduced to what is safe to echo and record. */
static const char *
provider_error_code(struct ctx *c, const char *e)
{
	size_t n = strspn(e, "abcdefghijklmnopqrstuvwxyz_");
	if (n == 0 || n != strlen(e) || n > 40)
		return "error";
	return arena_strdup(c->a, e);
}

static const char state_detail[] =
    "The sign-in state is missing, unknown, expired, already used or from another browser; "
    "start the sign-in again";

/*
 * Take (spend) the sign-in state of the query into s and check that it
 * belongs to this organization, is fresh and comes back to the browser it
 * was given to; a refusal is answered and audited.
 */
static enum status
take_state(struct ctx *c, const char *org_id, struct sso_state *s)
{
	const char *state = request_query(c->req, "state");
	char cookie_hash[OIDC_S256_LEN] = "";
	bool found = false;
	enum db_result r;

	if (state == NULL || !util_visible_token(state, 128))
		return refuse(c, org_id, "state_missing", NULL, ST_INVALID_CREDENTIALS, state_detail);
	/* Taken first, whatever follows: a state is good for one attempt only. */
	if ((r = store_sso_state_take(c->db, c->a, state, s, &found)) != DB_OK)
		return reply_db_status(r);
	const char *binding = request_cookie(c->req, SSO_COOKIE);
	if (binding_ok(binding))
		oidc_s256(binding, cookie_hash);
	const char *why = !found ? "state_unknown" : strcmp(s->org_id, org_id) != 0 ? "state_other_organization" :
	    s->expired ? "state_expired" : !binding_ok(binding) || strlen(s->binding_hash) != OIDC_S256_LEN - 1 ||
	    !util_ct_equal(cookie_hash, s->binding_hash, OIDC_S256_LEN - 1) ? "state_browser_mismatch" : NULL;
	if (why != NULL)
		return refuse(c, org_id, why, NULL, ST_INVALID_CREDENTIALS, state_detail);
	return ST_OK;
}

/* The provider's answer on the callback's query: its error, or a usable authorization code in *code. */
static enum status
provider_answer(struct ctx *c, const char *org_id, const char **code)
{
	const char *error = request_query(c->req, "error");

	*code = request_query(c->req, "code");
	if (error != NULL) {
		const char *ec = provider_error_code(c, error);
		return refuse(c, org_id, arena_printf(c->a, "provider_error_%s", ec), NULL,
		    ST_INVALID_CREDENTIALS, arena_printf(c->a,
		    "The identity provider did not sign the user in (%s)", ec));
	}
	if (*code == NULL || !util_visible_token(*code, SSO_PARAM_MAX))
		return refuse(c, org_id, "code_missing", NULL, ST_INVALID_CREDENTIALS,
		    "The identity provider's answer carries no authorization code");
	return ST_OK;
}

/*
 * Verify the ID token against the stored keys, with one fresh look at the
 * provider's keys (stored when they verify) for a kid the stored set lacks:
 * keys rotate.
 */
static enum oidc_error
verify_id_token(struct ctx *c, const char *org_id, const struct sso_connection *conn,
    const struct oidc_opts *o, const char *id_token, const struct oidc_expect *want,
    struct oidc_claims *claims)
{
	enum oidc_error e = oidc_verify_with_jwks(conn->jwks, strlen(conn->jwks), id_token, want,
	    time(NULL), c->a, claims);
	const char *fresh = NULL;

	if (e != OIDC_E_UNKNOWN_KEY || conn->jwks_uri == NULL || conn->jwks_uri[0] == '\0')
		return e;
	if ((e = oidc_fetch_jwks(conn->jwks_uri, o, c->a, &fresh)) != OIDC_OK)
		return e;
	if (store_sso_connection_jwks(c->db, org_id, conn->name, conn->jwks_uri, fresh) != DB_OK)
		log_warning("sso: could not store the new JWKS of organization %s", org_id);
	return oidc_verify_with_jwks(fresh, strlen(fresh), id_token, want, time(NULL), c->a, claims);
}

/*
 * An ID token without an email: the provider's userinfo endpoint may have
 * it (OpenID Connect Core 5.3; some providers keep the ID token small).
 * Asked only then, only when discovery named one and the token response
 * carried an access token; its answer must be about the same subject.
 */
static enum oidc_error
userinfo_email(struct ctx *c, const struct oidc_provider *p, const struct oidc_opts *o,
    const char *access, struct oidc_claims *claims)
{
	if (claims->email != NULL || p->userinfo_endpoint == NULL || p->userinfo_endpoint[0] == '\0' ||
	    access[0] == '\0')
		return OIDC_OK;
	return oidc_userinfo_email(p, o, access, claims->sub, c->a, &claims->email, &claims->email_verified);
}

/*
 * Exchange code for an ID token at the provider and verify it against the
 * stored keys (one fresh look at the provider's keys for an unknown kid):
 * the verified claims in *claims. The client secret is wiped once sent.
 */
static enum status
provider_identity(struct ctx *c, const char *org_id, struct sso_connection *conn,
    const struct sso_state *s, const char *code, struct oidc_provider *p, struct oidc_claims *claims)
{
	struct oidc_opts o = sso_provider_opts(c->cfg);
	struct sso_guard guard;
	const char *id_token = NULL;
	char access[SSO_ACCESS_TOKEN_MAX];     /* the provider's access token: for userinfo, then wiped */
	enum db_result r;

	if (metadata_missing(conn)) {
		log_warning("sso: connection of organization %s has no stored provider metadata: save it again",
		    org_id);
		return refuse(c, org_id, "provider_metadata_missing", NULL, ST_BAD_GATEWAY, provider_detail);
	}
	provider_of(conn, p);
	/*
	 * The provider's calls: one at a time per issuer across every worker
	 * and process (a second caller is answered at once), never while the
	 * provider is remembered as not answering, each bounded by the timeout.
	 */
	enum oidc_error e = sso_provider_enter(c->db, c->a, conn->issuer, true, &guard, &r);
	if (e == OIDC_E_INTERNAL && r != DB_OK)
		return reply_db_status(r);
	struct oidc_expect want = {.issuer = p->issuer, .client_id = conn->client_id, .nonce = s->nonce};
	if (e == OIDC_OK) {
		e = oidc_exchange_code(p, &o, conn->client_id, conn->client_secret, code, s->redirect_uri,
		    s->code_verifier, c->a, &id_token, access, sizeof(access));
		wipe_secret(conn);
		if (e == OIDC_OK)
			e = verify_id_token(c, org_id, conn, &o, id_token, &want, claims);
		if (e == OIDC_OK)
			e = userinfo_email(c, p, &o, access, claims);
		sso_provider_leave(c->db, conn->issuer, &guard, e, c->cfg->sso_failure_ttl);
	}
	explicit_bzero(access, sizeof(access));
	wipe_secret(conn);
	return e != OIDC_OK ? refuse_oidc(c, org_id, e) : ST_OK;
}

/*
 * Sign the verified identity in. A concurrent first sign-in of the same
 * person may create the user or the link first (duplicate key), or the
 * transaction may lose a deadlock: look again and retry here, since the
 * state is spent and the dispatcher's rerun of the whole handler could not
 * succeed.
 */
static enum status
signin(struct ctx *c, const struct sso_connection *conn, const struct oidc_claims *claims,
    const struct sso_state *s, struct signin_plan *pl)
{
	enum status st = ST_OK;
	/* Kept on the session for logout that follows the provider (back-channel, RP-initiated). */
	struct session_sso origin = {.connection = conn->name, .provider_sid = claims->sid};

	for (int attempt = 0; attempt < SSO_SIGNIN_ATTEMPTS; attempt++) {
		if ((st = signin_plan(c, conn, claims, s->link_user_id, pl)) != ST_OK)
			return st;
		st = session_start_sso(c, &pl->user, signin_step, pl, &origin);
		if (st != ST_RETRY && st != ST_CONFLICT)
			break;
	}
	/* Not ST_RETRY: the dispatcher would rerun the handler, and the spent state refuse it. */
	if (st == ST_CONFLICT || st == ST_RETRY)
		st = ST_SERVICE_UNAVAILABLE;
	if (st != ST_OK || request_accepts(c->req, "application/json"))
		return st;
	/* A browser: to the console (or the page it came from), with the session cookies. */
	const char *to = s->redirect_to != NULL ? s->redirect_to : c->cfg->sso_console_url;
	reply_json(c->rep, ST_FOUND, NULL);
	reply_header(c->rep, "Location", to);
	return ST_FOUND;
}

/*
 * TX_NONE: the state is spent first, whatever follows, and the provider is
 * called outside any transaction; the sign-in writes go through
 * session_start_with, that is dispatch_tx.
 */
enum status
h_sso_callback(struct ctx *c)
{
	struct sso_org org;
	struct sso_connection conn;
	struct sso_state s;
	struct oidc_provider p;
	struct oidc_claims claims;
	const char *code = NULL;
	enum status st = h_sso_load_connection(c, NULL, &org, &conn);

	if (st != ST_OK)
		return st;
	if ((st = take_state(c, org.id, &s)) == ST_OK && (st = provider_answer(c, org.id, &code)) == ST_OK &&
	    (st = provider_identity(c, org.id, &conn, &s, code, &p, &claims)) == ST_OK) {
		struct signin_plan pl = {.org_id = org.id, .issuer = p.issuer, .subject = claims.sub,
		    .connection = conn.name};
		st = signin(c, &conn, &claims, &s, &pl);
	}
	wipe_secret(&conn);
	return st;
}

/* ------------------------------------------------------------------ the connection */

/* A column that is '' until the first fetch reads as null. */
static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/*
 * A connection as GET shows it, never its secret; named adds its name (the
 * named routes: GET/PUT /sso-connections keep their shape).
 */
json_object *
h_sso_connection_view(struct ctx *c, const struct sso_org *org, const struct sso_connection *conn,
    bool named)
{
	const char *why = NULL, *uri = redirect_uri_of(c, org->slug);
	json_object *o = json_object_new_object();
	json_object *domains = jv_parse_strict(conn->allowed_domains, strlen(conn->allowed_domains), &why);

	if (domains == NULL || !json_object_is_type(domains, json_type_array)) {
		json_object_put(domains);
		domains = json_object_new_array();
	}
	if (named)
		json_object_object_add(o, "name", json_object_new_string(conn->name));
	json_object_object_add(o, "issuer", json_object_new_string(conn->issuer));
	json_object_object_add(o, "client_id", json_object_new_string(conn->client_id));
	json_object_object_add(o, "allowed_domains", domains);
	json_object_object_add(o, "auto_create", json_object_new_boolean(conn->auto_create));
	json_object_object_add(o, "link_existing_accounts",
	    json_object_new_boolean(conn->link_existing_accounts));
	json_object_object_add(o, "default_role", json_object_new_string(conn->default_role));
	json_object_object_add(o, "scopes", json_object_new_string(conn->scopes));
	json_object_object_add(o, "role_claim", view_opt_string(conn->role_claim));
	sso_role_rules_view(conn->role_rules, o);
	json_object_object_add(o, "rules_author_role", view_opt_string(conn->role_claim != NULL ?
	    conn->rules_author_role : NULL));
	json_object_object_add(o, "enabled", json_object_new_boolean(conn->enabled));
	json_object_object_add(o, "redirect_uri", view_opt_string(uri));
	/* What the last save fetched: where the client secret goes, where the keys come from. */
	json_object_object_add(o, "authorization_endpoint", view_opt_string(nonempty(conn->authorization_endpoint)));
	json_object_object_add(o, "token_endpoint", view_opt_string(nonempty(conn->token_endpoint)));
	json_object_object_add(o, "jwks_uri", view_opt_string(nonempty(conn->jwks_uri)));
	json_object_object_add(o, "userinfo_endpoint", view_opt_string(nonempty(conn->userinfo_endpoint)));
	json_object_object_add(o, "end_session_endpoint", view_opt_string(nonempty(conn->end_session_endpoint)));
	json_object_object_add(o, "fetched_at", view_opt_string(conn->fetched_at));
	json_object_object_add(o, "created_at", view_opt_string(conn->created_at));
	json_object_object_add(o, "updated_at", view_opt_string(conn->updated_at));
	return o;
}

/* Connection name as stored now, answered with st (200, or 201 for a named one just created). */
static enum status
connection_reply(struct ctx *c, const char *name, bool named, enum status st)
{
	struct sso_org org;
	struct sso_connection conn;
	bool found = false;
	enum db_result r = store_sso_connection_get(c->db, c->a, c->principal.org_id, name, false, &org,
	    &conn, &found);

	wipe_secret(&conn);
	if (r != DB_OK)
		return reply_db_status(r);
	if (!found)
		return h_fail(c, ST_NOT_FOUND, named ? "No single sign-on connection of this name" :
		    "No single sign-on connection is configured for this organization");
	reply_json(c->rep, st, h_sso_connection_view(c, &org, &conn, named));
	return st;
}

enum status
h_sso_connection_show(struct ctx *c, const char *name, bool named)
{
	return connection_reply(c, name, named, ST_OK);
}

enum status
h_sso_connection_get(struct ctx *c)
{
	return h_sso_connection_show(c, SSO_DEFAULT_CONNECTION, false);
}

/*
 * The organization's other connections (doc/SECURITY.md, "Single sign-on
 * and tenant admins"): at most SSO_CONNECTIONS_MAX of them; an email domain
 * allowed by one only, so that a domain names one connection; never two of
 * one issuer and client, so that a logout token's iss and aud name one.
 */
static enum status
connection_neighbours_check(struct ctx *c, const struct sso_connection_write *w, bool found)
{
	struct db_rows rows;
	enum db_result r = store_sso_connection_others(c->db, c->a, c->principal.org_id, w->name, &rows);

	if (r != DB_OK)
		return reply_db_status(r);
	if (!found && rows.nrows >= SSO_CONNECTIONS_MAX)
		return h_fail(c, ST_CONFLICT, arena_printf(c->a,
		    "An organization has at most %d single sign-on connections; delete one first",
		    SSO_CONNECTIONS_MAX));
	for (size_t i = 0; i < rows.nrows; i++) {
		const char *other = db_cell(&rows, i, 0);
		const char *shared = sso_domains_shared(w->allowed_domains, db_cell(&rows, i, 3), c->a);
		if (shared != NULL)
			return params_field_error(c, "allowed_domains", arena_printf(c->a,
			    "%s is already allowed by connection %s", shared, other));
		if (oidc_same_issuer(db_cell(&rows, i, 1), w->issuer) &&
		    strcmp(db_cell(&rows, i, 2), w->client_id) == 0)
			return params_field_error(c, "client_id", arena_printf(c->a,
			    "is already used with this issuer by connection %s", other));
	}
	return ST_OK;
}

/* A save: what is written, and whether it made the connection. */
struct connection_save {
	struct sso_connection_write w;
	bool created;
};

/*
 * The write of a save, in its transaction: the stored row is read locked
 * with its organization, so that the secret rule below judges what is
 * replaced and concurrent saves of the organization see each other.
 */
static enum status
connection_write(struct ctx *c, void *arg)
{
	struct connection_save *sv = arg;
	const struct sso_connection_write *w = &sv->w;
	const char *org = c->principal.org_id;
	struct sso_org o;
	struct sso_connection conn;
	bool found = false;
	enum status st;
	enum db_result r = store_sso_connection_get(c->db, c->a, org, w->name, true, &o, &conn, &found);

	wipe_secret(&conn);
	if (r != DB_OK)
		return reply_db_status(r);
	if (!found && w->client_secret == NULL)
		return params_field_error(c, "client_secret", "is required when the connection is created");
	/*
	 * The secret is write-only and goes to the token endpoint only: a new
	 * issuer, or one whose discovery now names another token endpoint, gets
	 * it only from whoever types it again, never the stored one.
	 */
	if (found && w->client_secret == NULL && (!oidc_same_issuer(conn.issuer, w->issuer) ||
	    conn.token_endpoint == NULL || strcmp(conn.token_endpoint, w->token_endpoint) != 0))
		return params_field_error(c, "client_secret",
		    "is required again when the issuer or its token endpoint changes");
	if ((st = connection_neighbours_check(c, w, found)) != ST_OK)
		return st;
	sv->created = !found;
	if ((r = store_sso_connection_put(c->db, org, w)) != DB_OK ||
	    (r = audit_record_detail(c, org, found ? "sso_connection.updated" : "sso_connection.created",
	    "success", "organization", org, h_sso_name_detail(c, w->name, -1))) != DB_OK)
		return reply_db_status(r);
	return ST_OK;
}

/* The detail of a connection's audit event: its name, and the sessions a deletion ended (ended >= 0). */
const char *
h_sso_name_detail(struct ctx *c, const char *name, long long ended)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "name", json_object_new_string(name));
	if (ended >= 0)
		json_object_object_add(d, "sessions_ended", json_object_new_int64(ended));
	const char *text = arena_strdup(c->a, json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
	json_object_put(d);
	return text;
}

/*
 * The body's issuer, client_id, client_secret and allowed_domains checked
 * (every bad field named at once), the domains as the stored JSON array in
 * *domains_json.
 */
static enum status
connection_fields_check(struct ctx *c, const struct oidc_opts *opts, const char **domains_json)
{
	const char *issuer = jv_str(&c->in, "issuer");
	const char *secret = jv_str(&c->in, "client_secret");
	const char *domains[SSO_DOMAINS_MAX], *bad = NULL, *problem;
	json_object *arr;
	size_t n = 0;
	enum status st = ST_OK;

	if ((problem = oidc_issuer_problem(issuer, opts)) != NULL)
		st = params_field_error(c, "issuer", problem);
	if (!util_visible_token(jv_str(&c->in, "client_id"), 255))
		st = params_field_error(c, "client_id", "must be printable ASCII without spaces");
	if (secret != NULL && strlen(secret) > 1024)
		st = params_field_error(c, "client_secret", "is too long");
	if ((arr = jv_field(&c->in, "allowed_domains")->array) != NULL) {
		n = json_object_array_length(arr);
		if (n > SSO_DOMAINS_MAX)
			st = params_field_error(c, "allowed_domains", "has too many items");
		for (size_t i = 0; i < n && i < SSO_DOMAINS_MAX; i++)
			domains[i] = json_object_get_string(json_object_array_get_idx(arr, i));
	}
	if (st != ST_OK)
		return st;
	if ((*domains_json = sso_domains_json(domains, n, c->a, &bad)) == NULL)
		return params_field_error(c, "allowed_domains", bad != NULL ? "holds something that is not a domain name" :
		    "is too long");
	return ST_OK;
}

/*
 * The role given to users the connection creates (viewer unless named):
 * nobody hands out a role whose permissions they do not all hold themselves
 * (a user's role, an API key's effective list).
 */
static enum status
default_role_check(struct ctx *c, bool auto_create, const char **role)
{
	const char *named = jv_str(&c->in, "default_role");

	*role = named != NULL ? named : "viewer";
	int rl = role_parse(*role);
	if (rl < 0)
		return params_field_error(c, "default_role", "must be admin, engineer or viewer");
	if ((named != NULL || auto_create) && (role_permissions((enum role)rl) & ~c->principal.perms) != 0)
		return h_fail(c, ST_INSUFFICIENT_PERMISSIONS, "default_role has permissions you do not hold");
	return ST_OK;
}

/*
 * The scopes the sign-in asks for (default SSO_SCOPES_DEFAULT): only words
 * sent to the provider's authorization endpoint, never a URL this service
 * fetches, so they need the token rules and openid, nothing more.
 */
static enum status
scopes_check(struct ctx *c, struct sso_connection_write *w)
{
	const char *in = jv_str(&c->in, "scopes"), *why = NULL;

	if (in == NULL)
		return ST_OK;
	if ((w->scopes = sso_scopes_normalize(in, c->a, &why)) == NULL)
		return why != NULL ? params_field_error(c, "scopes", why) : ST_INTERNAL_ERROR;
	return ST_OK;
}

/* The highest role whose permissions the caller all holds: what rules they save may grant. */
static const char *
grantable_role(const struct ctx *c)
{
	for (int r = 0; r < ROLE_MAX; r++)
		if (role_within((enum role)r, c->principal.perms))
			return role_name((enum role)r);
	return NULL;
}

/*
 * The role mapping of the body into w: the claim, the rules built from each
 * role's values, and the author's role recorded with them. Nobody writes a
 * rule giving a role whose permissions they do not all hold, as for
 * default_role (doc/SECURITY.md, "Single sign-on and tenant admins"); the
 * sign-in clips to the recorded role all the same.
 */
static enum status
role_rules_check(struct ctx *c, struct sso_connection_write *w)
{
	json_object *lists[ROLE_MAX];
	const char *claim = jv_str(&c->in, "role_claim"), *bad = NULL;
	bool any = false;

	for (int r = 0; r < ROLE_MAX; r++) {
		lists[r] = jv_field(&c->in, sso_role_values_field((enum role)r))->array;
		if (lists[r] == NULL || json_object_array_length(lists[r]) == 0)
			continue;
		any = true;
		if (!role_within((enum role)r, c->principal.perms))
			return h_fail(c, ST_INSUFFICIENT_PERMISSIONS, arena_printf(c->a,
			    "%s gives a role with permissions you do not hold", sso_role_values_field((enum role)r)));
	}
	if (claim == NULL)
		return any ? params_field_error(c, "role_claim", "is required when role values are given") : ST_OK;
	if (!sso_role_claim_ok(claim))
		return params_field_error(c, "role_claim", "must be printable ASCII without spaces");
	if ((w->role_rules = sso_role_rules_json(lists, c->a, &bad)) == NULL)
		return bad == NULL ? ST_INTERNAL_ERROR : params_field_error(c, sso_role_values_field(
		    (enum role)role_parse(bad)), "holds an empty, too long or control-character value");
	w->role_claim = claim;
	w->rules_author_role = grantable_role(c);
	return ST_OK;
}

/*
 * Fetch and check the provider now, outside any transaction: /start is
 * served from what is stored, so a provider that is down or hostile is
 * found out here, by the admin, and not by every sign-in.
 */
enum status
h_sso_provider_fetch(struct ctx *c, const char *issuer, struct oidc_provider *p, const char **jwks)
{
	enum db_result r = DB_OK;
	enum oidc_error e = sso_provider_fetch(c->db, c->cfg, c->a, issuer, p, jwks, &r);

	if (e == OIDC_E_INTERNAL && r != DB_OK)
		return reply_db_status(r);
	if (e != OIDC_OK)
		return e == OIDC_E_INTERNAL ? ST_INTERNAL_ERROR : params_field_error(c, "issuer",
		    arena_printf(c->a, "the identity provider could not be used: %s",
		    oidc_error_info(e)->detail));
	return ST_OK;
}

/*
 * TX_NONE: the provider is fetched and checked first, outside any
 * transaction (a network call, and the failures it remembers must stay);
 * only the write runs through dispatch_tx. Answered with the connection as
 * stored: 201 for a named one it created, else 200 (PUT /sso-connections
 * always 200, as it always was).
 */
enum status
h_sso_connection_save(struct ctx *c, const char *name, bool named)
{
	const char *issuer = jv_str(&c->in, "issuer");
	const char *secret = jv_str(&c->in, "client_secret");
	bool auto_create = jv_bool(&c->in, "auto_create", false);
	const char *domains_json = NULL, *role = NULL, *jwks = NULL;
	struct oidc_opts opts = sso_provider_opts(c->cfg);
	struct oidc_provider p;
	struct connection_save sv = {.w = {.name = name}};
	struct sso_connection_write *w = &sv.w;
	enum status st;

	if ((st = h_step_up(c)) == ST_OK &&
	    (st = connection_fields_check(c, &opts, &domains_json)) == ST_OK &&
	    (st = default_role_check(c, auto_create, &role)) == ST_OK &&
	    (st = role_rules_check(c, w)) == ST_OK && (st = scopes_check(c, w)) == ST_OK &&
	    (st = h_sso_provider_fetch(c, issuer, &p, &jwks)) == ST_OK) {
		w->issuer = issuer;
		w->client_id = jv_str(&c->in, "client_id");
		w->allowed_domains = domains_json;
		w->default_role = role;
		w->client_secret = secret;
		w->auto_create = auto_create;
		w->enabled = jv_bool(&c->in, "enabled", true);
		w->link_existing_accounts = jv_bool(&c->in, "link_existing_accounts", false);
		w->provider_issuer = p.issuer;
		w->authorization_endpoint = p.authorization_endpoint;
		w->token_endpoint = p.token_endpoint;
		w->jwks_uri = p.jwks_uri;
		w->userinfo_endpoint = p.userinfo_endpoint;
		w->end_session_endpoint = p.end_session_endpoint;
		w->jwks = jwks;
		st = dispatch_tx(c, connection_write, &sv);
	}
	if (secret != NULL)
		explicit_bzero((char *)secret, strlen(secret));
	return st == ST_OK ? connection_reply(c, name, named, named && sv.created ? ST_CREATED : ST_OK) : st;
}

enum status
h_sso_connection_put(struct ctx *c)
{
	return h_sso_connection_save(c, SSO_DEFAULT_CONNECTION, false);
}
