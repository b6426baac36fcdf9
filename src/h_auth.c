/* h_auth.c -- /auth/register, login, refresh, logout, me, password (doc/api.md section 6 "Auth"). */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "auth.h"
#include "log.h"
#include "notify.h"
#include "params.h"
#include "password.h"
#include "pepper.h"
#include "pwpolicy.h"
#include "session.h"
#include "sso.h"
#include "store.h"
#include "view.h"

enum status
h_throttle(struct ctx *c, const char *bucket, const char *key, long limit, long window,
    const char *detail)
{
	long hits = 0, left = 0;
	enum db_result r = store_throttle_hit(c->db, c->a, bucket, key, window, &hits, &left);

	if (r != DB_OK)
		return reply_db_status(r);
	if (hits > limit) {
		c->rep->retry_after = left;
		return h_fail(c, ST_RATE_LIMITED, detail);
	}
	return ST_OK;
}

enum status
h_auth_throttle(struct ctx *c, const char *bucket, long limit, long window)
{
	return h_throttle(c, bucket, c->throttle_ip, limit, window, "Too many requests from this client");
}

/*
 * Hash the new password of the body's field (register, POST /users,
 * password change): its normal form, refused with a VALIDATION_ERROR on
 * field by pwpolicy_refusal (doc/api.md section 6), else hashed into hash
 * with the configured parameters. The normal form is wiped here.
 */
enum status
h_auth_new_password(struct ctx *c, const char *field, char hash[PASSWORD_HASH_MAX])
{
	const char *pw = jv_str(&c->in, field);
	char normal[PWPOLICY_NORMAL_MAX];
	struct password_params pp = config_password_params(c->cfg);
	long n = pwpolicy_normalize(pw, strlen(pw), normal);
	const char *why = n < 0 ? "is too long" : pwpolicy_refusal(normal, (size_t)n);
	enum status st = ST_OK;

	if (why != NULL)
		st = params_field_error(c, field, why);
	else if (pwpolicy_hash(&pp, normal, (size_t)n, hash) != 0)
		st = ST_INTERNAL_ERROR;
	explicit_bzero(normal, sizeof(normal));
	return st;
}

enum status
h_auth_ip_budget(struct ctx *c)
{
	long failures = 0, left = 0;
	enum db_result r = store_ip_failures(c->db, c->a, c->throttle_ip, &failures, &left);

	if (r != DB_OK)
		return reply_db_status(r);
	if (failures >= c->cfg->lockout_ip_failures_per_minute) {
		c->rep->retry_after = left;
		return h_fail(c, ST_RATE_LIMITED, "Too many failed login attempts");
	}
	return ST_OK;
}

enum status
h_auth_email_throttled(struct ctx *c, const char *bucket, long per_hour, char email[256])
{
	enum status st = h_auth_ip_budget(c);

	if (st == ST_OK)
		st = h_auth_throttle(c, bucket, per_hour, 3600);
	if (st != ST_OK)
		return st;
	if (util_email_normalize(jv_str(&c->in, "email"), email, 256) != 0)
		return params_field_error(c, "email", "is not a valid email address");
	return ST_OK;
}

/* What registration writes in its transaction (after the argon2 work). */
struct register_tx {
	const char *org_id, *org_name, *slug, *user_id, *email, *name, *hash;
	bool duplicate;     /* the address is taken: a 409, and a spent failure */
};

static enum status
register_write(struct ctx *c, void *arg)
{
	struct register_tx *t = arg;
	enum db_result r;

	if ((r = store_org_create(c->db, t->org_id, t->org_name, t->slug)) != DB_OK ||
	    (r = store_user_create(c->db, t->user_id, t->org_id, t->email, t->name, "admin", t->hash,
	    pepper_current_id())) != DB_OK) {
		t->duplicate = r == DB_DUPLICATE;
		return reply_db_status(r);
	}
	c->principal.type = PRINCIPAL_USER;
	c->principal.id = t->user_id;
	if ((r = audit_record(c, t->org_id, "auth.register", "success", "user", t->user_id)) != DB_OK)
		return reply_db_status(r);
	return ST_OK;
}

enum status
h_auth_register(struct ctx *c)
{
	const char *name = jv_str(&c->in, "name");
	const char *org_name = jv_str(&c->in, "organization_name");
	char email[256], user_id[UUID_STR_LEN], org_id[UUID_STR_LEN], slug[101];
	char hash[PASSWORD_HASH_MAX];
	enum db_result r;

	/* Switched off, the dispatcher answers 404 before this runs. */
	/*
	 * Each registration costs an argon2 hash and an organization, and its
	 * 409 tells that an address is registered: limited per client, and a
	 * conflict spends the failed-login budget like a wrong guess does.
	 */
	enum status st = h_auth_email_throttled(c, "register", c->cfg->registrations_per_hour, email);
	if (st != ST_OK)
		return st;
	if ((st = h_auth_new_password(c, "password", hash)) != ST_OK)
		return st;
	if (util_uuid(user_id) != 0 || util_uuid(org_id) != 0)
		return ST_INTERNAL_ERROR;
	/* The slug only has to be unique; the organization's id makes it so. */
	util_slugify(org_name, slug, 80);
	size_t n = strlen(slug);
	snprintf(slug + n, sizeof(slug) - n, "-%.8s", org_id);

	/*
	 * TX_NONE: the throttles above and the failure below outlive a refused
	 * registration, and the argon2 work stays outside the transaction.
	 */
	struct register_tx t = {.org_id = org_id, .org_name = org_name, .slug = slug,
	    .user_id = user_id, .email = email, .name = name, .hash = hash};
	if ((st = dispatch_tx(c, register_write, &t)) != ST_OK) {
		if (!t.duplicate)
			return st;
		if ((r = store_ip_failure_add(c->db, c->throttle_ip)) != DB_OK)
			return reply_db_status(r);
		return h_fail(c, ST_CONFLICT, "Email already registered");
	}
	struct user_row u;
	bool found = false;
	if ((r = store_user_by_id(c->db, c->a, user_id, &u, &found)) != DB_OK || !found)
		return r != DB_OK ? reply_db_status(r) : ST_INTERNAL_ERROR;
	json_object *o = json_object_new_object();
	json_object *org = json_object_new_object();
	json_object_object_add(org, "id", json_object_new_string(org_id));
	json_object_object_add(org, "name", json_object_new_string(org_name));
	json_object_object_add(o, "user", view_user(&u));
	json_object_object_add(o, "organization", org);
	reply_json(c->rep, ST_CREATED, o);
	return ST_CREATED;
}

/*
 * Record a failed login everywhere it counts: per IP, per account (or, for
 * an address no account has, per digest of the address), in the audit log
 * as action (auth.login_failed, or auth.mfa_failed for a wrong second
 * factor: both spend the same lockout budget), and answer 401 with detail.
 */
enum status
h_auth_failed(struct ctx *c, const struct user_row *u, const unsigned char *unknown_digest,
    const char *action, const char *detail)
{
	enum db_result r = store_ip_failure_add(c->db, c->throttle_ip);
	long locked = 0, unknown_locked = 0;

	if (r == DB_OK && u != NULL)
		r = store_user_login_failed(c->db, c->a, u->id, c->cfg->lockout_window,
		    c->cfg->lockout_threshold, c->cfg->lockout_duration, &locked);
	else if (r == DB_OK && unknown_digest != NULL)
		r = store_unknown_login_failed(c->db, c->a, unknown_digest, c->cfg->lockout_window,
		    c->cfg->lockout_threshold, c->cfg->lockout_duration, &unknown_locked);
	if (r == DB_OK)
		r = audit_record(c, u != NULL ? u->org_id : NULL, action, "failure",
		    u != NULL ? "user" : NULL, u != NULL ? u->id : NULL);
	if (r == DB_OK && locked > 0)
		r = audit_record(c, u->org_id, "auth.locked", "locked", "user", u->id);
	if (r != DB_OK)
		return reply_db_status(r);
	return h_fail(c, ST_INVALID_CREDENTIALS, detail);
}

static enum status
login_failed(struct ctx *c, const struct user_row *u, const unsigned char *unknown_digest)
{
	return h_auth_failed(c, u, unknown_digest, "auth.login_failed", "Invalid email or password");
}

/*
 * A hash made with other parameters, or of the password as typed before
 * normalisation (pwpolicy_verify), is replaced by one of the normal form.
 * Best effort: the sign-in goes on if it fails.
 */
static void
rehash(struct ctx *c, const struct password_params *pp, const struct user_row *u, const char *pw)
{
	char normal[PWPOLICY_NORMAL_MAX], hash[PASSWORD_HASH_MAX];
	long n = pwpolicy_normalize(pw, strlen(pw), normal);

	if (n >= 0 && pwpolicy_hash(pp, normal, (size_t)n, hash) == 0 &&
	    store_user_set_password(c->db, u->id, hash, pepper_current_id()) == DB_OK)
		log_info("password hash of user %s upgraded to current parameters", u->id);
	explicit_bzero(normal, sizeof(normal));
}

/*
 * TX_NONE: a refused login's counters and audit events must outlive the
 * refusal, and the argon2 work stays outside any transaction;
 * session_start runs the session's writes through dispatch_tx.
 */
enum status
h_auth_login(struct ctx *c)
{
	const char *email_in = jv_str(&c->in, "email");
	const char *password = jv_str(&c->in, "password");
	struct password_params pp = config_password_params(c->cfg);
	struct user_row u;
	char email[256];
	unsigned char digest[32];
	bool found = false, have_digest = false, legacy;
	long unknown_locked = 0;
	enum db_result r;
	enum status st = h_auth_ip_budget(c);

	if (st != ST_OK)
		return st;
	if (util_email_normalize(email_in, email, sizeof(email)) == 0) {
		r = store_user_by_email(c->db, c->a, email, &u, &found);
		if (r != DB_OK)
			return reply_db_status(r);
		/*
		 * An address no account has keeps a counter of its own, so that it
		 * locks after as many failures as a real account: otherwise the
		 * 423 alone would tell which addresses are registered.
		 */
		if (!found) {
			if (token_keys_digest(c->keys, "unknown-login", email, digest) != 0)
				return ST_INTERNAL_ERROR;
			have_digest = true;
			if ((r = store_unknown_login_locked(c->db, c->a, digest, &unknown_locked)) != DB_OK)
				return reply_db_status(r);
		}
	}
	if ((found && u.locked_seconds > 0) || unknown_locked > 0) {
		/* Locked: refused before any password work, whatever the password. */
		c->principal.type = PRINCIPAL_NONE;
		r = found ? audit_record(c, u.org_id, "auth.login_failed", "locked", "user", u.id) :
		    audit_record(c, NULL, "auth.login_failed", "locked", NULL, NULL);
		if (r != DB_OK)
			return reply_db_status(r);
		c->rep->retry_after = found ? u.locked_seconds : unknown_locked;
		return h_fail(c, ST_ACCOUNT_LOCKED, "Account is temporarily locked due to too many failed login attempts");
	}
	if (!found || !u.active || u.password_hash == NULL) {
		/* Same work as a wrong password, so timing does not tell which emails exist. */
		pwpolicy_dummy_verify(&pp, password);
		return login_failed(c, found ? &u : NULL, have_digest ? digest : NULL);
	}
	if (pwpolicy_verify(u.password_hash, u.pepper_id, password, &legacy) != PASSWORD_MATCH)
		return login_failed(c, &u, NULL);
	if (legacy || password_needs_rehash(&pp, u.password_hash))
		rehash(c, &pp, &u, password);
	if ((st = h_sso_password_check(c, &u, "auth.login_failed")) != ST_OK)
		return st;
	/* An enrolled user, or one the organization requires a second factor of, is not done yet. */
	return h_mfa_after_password(c, &u);
}

/*
 * The refresh token: from the body when one was sent, else from the cookie
 * (CSRF-checked). *rotate: whether this refresh rotates, by where the token
 * came from (doc/api.md section 6, refresh: the body's token stays valid
 * unless [jwt] refresh_rotation; the browser stores a new cookie by itself).
 */
static enum status
refresh_token_of(struct ctx *c, const char **tok, bool *rotate)
{
	*tok = jv_str(&c->in, "refresh_token");
	*rotate = c->cfg->jwt_refresh_rotation;
	if (*tok == NULL) {
		*tok = request_cookie(c->req, session_refresh_cookie(c->cfg));
		*rotate = c->cfg->jwt_cookie_refresh_rotation;
		if (*tok != NULL && **tok != '\0' && !auth_same_origin(c))
			return h_fail(c, ST_CSRF_REJECTED, "Cross-site request rejected");
	}
	if (*tok == NULL || **tok == '\0')
		return h_fail(c, ST_INVALID_TOKEN, "Token is missing");
	return ST_OK;
}

static enum status
revoked(struct ctx *c, const char *detail)
{
	c->rep->token_sent = true;
	return h_fail(c, ST_INVALID_TOKEN, detail);
}

/*
 * TX_NONE: rotation is one conditional UPDATE, and a reuse must stay
 * revoked even though the request is refused.
 */
/*
 * The session behind refresh token rc, settled: its current refresh jti
 * rotated (when rotation is on) or rc recognised as a retry within the grace
 * window. Two passes at most: a refresh that loses the rotation race to a
 * concurrent one with the same token reads the session again and is then a
 * retry within the grace window, answered like the winner. Not the
 * dispatcher's retry: nothing failed, the race was lost cleanly.
 */
static enum status
refresh_settle(struct ctx *c, const struct token_claims *rc, time_t now, struct session_refresh *s,
    bool *rotate)
{
	enum db_result r;

	for (int pass = 0;; pass++) {
		if ((r = store_session_for_refresh(c->db, c->a, rc->sid, c->cfg->jwt_refresh_grace,
		    s)) != DB_OK)
			return reply_db_status(r);
		/* A well-signed refresh token of a session that ended: its organization sees the try. */
		if (s->found && (!s->live || !s->user_active || strcmp(s->user_id, rc->sub) != 0))
			audit_attack(c, s->org_id, "auth.refresh_failed", "session", rc->sid);
		if (!s->found || !s->live || strcmp(s->user_id, rc->sub) != 0)
			return revoked(c, "Token has been revoked");
		if (s->idle)
			return revoked(c, AUTH_SESSION_EXPIRED);
		if (!s->user_active)
			return revoked(c, "User account is deactivated");
		bool current = strcmp(rc->jti, s->refresh_jti) == 0;
		/* A rotated session (previous_jti set) answers a retry whichever way it came. */
		bool grace_retry = !current && s->previous_jti != NULL &&
		    strcmp(rc->jti, s->previous_jti) == 0 && s->in_grace;
		if (grace_retry)
			*rotate = true;
		if (!current && !grace_retry) {
			/* A refresh token that was already exchanged: assume theft, end the session. */
			if ((r = store_session_revoke(c->db, rc->sid)) != DB_OK)
				return reply_db_status(r);
			c->principal.type = PRINCIPAL_USER;
			c->principal.id = s->user_id;
			audit_record(c, s->org_id, "auth.refresh", "reuse_detected", "session", rc->sid);
			return revoked(c, "Token has been revoked");
		}
		if (!*rotate || !current)
			return ST_OK;
		char jti[UUID_STR_LEN];
		bool moved = false;
		if (util_uuid(jti) != 0)
			return ST_INTERNAL_ERROR;
		r = store_session_rotate(c->db, rc->sid, rc->jti, jti, (long long)now, &moved);
		if (r != DB_OK)
			return reply_db_status(r);
		if (moved) {
			s->refresh_jti = arena_strdup(c->a, jti);
			s->rotated_at = now;
			return ST_OK;
		}
		if (pass == 1)
			return revoked(c, "Token has been revoked");
	}
}

/* The 200 of a refresh: the new access token (and refresh token) in the body and the cookies. */
static void
refresh_reply(struct ctx *c, const struct session_refresh *s, const char *at, const char *new_refresh,
    time_t now)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "access_token", json_object_new_string(at));
	json_object_object_add(o, "token_type", json_object_new_string("bearer"));
	json_object_object_add(o, "expires_in", json_object_new_int64(c->cfg->jwt_access_ttl));
	if (new_refresh != NULL)
		json_object_object_add(o, "refresh_token", json_object_new_string(new_refresh));
	reply_json(c->rep, ST_OK, o);
	reply_header(c->rep, "Set-Cookie", session_cookie(c, session_access_cookie(c->cfg), at, "/", c->cfg->jwt_access_ttl));
	if (new_refresh != NULL) {
		long left = (long)(s->expires_at - now);
		reply_header(c->rep, "Set-Cookie",
		    session_cookie(c, session_refresh_cookie(c->cfg), new_refresh, COOKIE_REFRESH_PATH, left > 0 ? left : 0));
	}
}

enum status
h_auth_refresh(struct ctx *c)
{
	struct token_claims rc, access, next;
	struct session_refresh s;
	const char *tok = NULL, *new_refresh = NULL;
	time_t now = time(NULL);
	bool rotate = false;
	enum db_result r;
	enum status st = refresh_token_of(c, &tok, &rotate);

	if (st != ST_OK)
		return st;
	enum token_error te = token_verify(c->keys, tok, TOKEN_REFRESH, now, &rc);
	if (te != TOKEN_OK)
		return revoked(c, token_error_detail(te));
	if ((st = refresh_settle(c, &rc, now, &s, &rotate)) != ST_OK)
		return st;
	/* A refresh is the session's activity (doc/api.md section 3, Sessions). */
	if ((r = store_session_touch(c->db, rc.sid)) != DB_OK)
		return reply_db_status(r);
	if (rotate) {
		/* The same refresh token a retry within the grace window already got: same claims, same bytes. */
		if (session_claims(&next, TOKEN_REFRESH, s.user_id, s.org_id, s.role, rc.sid,
		    (time_t)s.rotated_at, (time_t)s.expires_at) != 0)
			return ST_INTERNAL_ERROR;
		snprintf(next.jti, sizeof(next.jti), "%s", s.refresh_jti);
		new_refresh = session_token_take(c, token_issue(c->keys, &next));
		if (new_refresh == NULL)
			return ST_INTERNAL_ERROR;
	}
	if (session_claims(&access, TOKEN_ACCESS, s.user_id, s.org_id, s.role, rc.sid, now,
	    now + c->cfg->jwt_access_ttl) != 0)
		return ST_INTERNAL_ERROR;
	const char *at = session_token_take(c, token_issue(c->keys, &access));
	if (at == NULL)
		return ST_INTERNAL_ERROR;
	c->principal.type = PRINCIPAL_USER;
	c->principal.id = s.user_id;
	if ((r = audit_record(c, s.org_id, "auth.refresh", "success", "session", rc.sid)) != DB_OK)
		return reply_db_status(r);
	refresh_reply(c, &s, at, new_refresh, now);
	return ST_OK;
}

enum status
h_user_only(struct ctx *c)
{
	if (c->principal.type == PRINCIPAL_USER)
		return ST_OK;
	return h_fail(c, ST_INSUFFICIENT_PERMISSIONS, "This endpoint requires a user session");
}

enum status
h_auth_logout(struct ctx *c)
{
	const struct principal *p = &c->principal;
	enum status st = h_user_only(c);
	const char *end_session = NULL;
	enum db_result r;

	if (st != ST_OK)
		return st;
	/* TX_WRITE: the revocations and their record commit together (src/router.c). */
	if ((r = store_session_revoke(c->db, p->claims.sid)) != DB_OK ||
	    (r = store_token_revoke(c->db, p->claims.jti, (long long)p->claims.exp)) != DB_OK ||
	    (r = audit_record(c, p->org_id, "auth.logout", "success", "session", p->claims.sid)) != DB_OK)
		return reply_db_status(r);
	/*
	 * An SSO session: the provider's session is ended too when it says
	 * where. The answer stays the contract's 204; the way on is a Link
	 * header (doc/api.md section 6, "POST /auth/logout"). The URL passed the
	 * endpoint rules and its parameters are escaped; the check is for the header.
	 */
	if ((st = h_sso_end_session_url(c, p->claims.sid, &end_session)) != ST_OK)
		return st;
	if (end_session != NULL && strpbrk(end_session, "<>\"\r\n ") == NULL)
		reply_header(c->rep, "Link", arena_printf(c->a, "<%s>; rel=\"%s\"", end_session,
		    SSO_END_SESSION_REL));
	reply_json(c->rep, ST_NO_CONTENT, NULL);
	session_cookies_expire(c);
	return ST_NO_CONTENT;
}

enum status
h_auth_me(struct ctx *c)
{
	const struct principal *p = &c->principal;
	json_object *o = json_object_new_object(), *org = json_object_new_object();

	/* The caller's organization, as the lookup that authenticated it read it (or the cache). */
	json_object_object_add(org, "id", json_object_new_string(p->org_id));
	json_object_object_add(org, "name", view_opt_string(p->org_name));
	json_object_object_add(org, "slug", view_opt_string(p->org_slug));
	json_object_object_add(o, "organization", org);

	if (p->type == PRINCIPAL_USER) {
		json_object_object_add(o, "type", json_object_new_string("user"));
		json_object_object_add(o, "user", view_user_brief(p->id, p->email, p->name,
		    role_name(p->role), p->org_id));
		json_object_object_add(o, "permissions", view_permissions(p->perms));
		/* From the session check (or the cache): no query of its own. */
		json_object_object_add(o, "mfa_enabled", json_object_new_boolean(p->mfa_on));
	} else {
		json_object *key = json_object_new_object();
		json_object_object_add(key, "id", json_object_new_string(p->id));
		json_object_object_add(key, "name", json_object_new_string(p->key_name));
		json_object_object_add(key, "prefix", json_object_new_string(p->key_prefix));
		json_object_object_add(o, "type", json_object_new_string("api_key"));
		json_object_object_add(o, "api_key", key);
		json_object_object_add(o, "permissions", view_permissions(p->perms));
		json_object_object_add(o, "organization_id", json_object_new_string(p->org_id));
	}
	reply_json(c->rep, ST_OK, o);
	return ST_OK;
}

/* The new hash, the other sessions' end and the record, in one transaction. */
struct password_tx {
	const struct user_row *user;
	const char *hash;
};

static enum status
password_write(struct ctx *c, void *arg)
{
	const struct password_tx *t = arg;
	const struct user_row *u = t->user;
	enum db_result r;

	if ((r = store_user_set_password(c->db, u->id, t->hash, pepper_current_id())) != DB_OK ||
	    (r = store_session_revoke_user(c->db, u->id, c->principal.claims.sid)) != DB_OK ||
	    (r = audit_record(c, u->org_id, "auth.password_changed", "success", "user", u->id)) != DB_OK ||
	    (r = notify_queue(c->db, c->cfg, NOTIFY_PASSWORD_CHANGED, u->id, false, c->client_ip, 0)) != DB_OK)
		return reply_db_status(r);
	return ST_OK;
}

enum status
h_auth_wrong_proof(struct ctx *c, const struct user_row *u, const char *action, const char *field)
{
	long locked = 0;
	/* Guessing through a stolen session counts toward the lockout like a login. */
	enum db_result r = store_user_login_failed(c->db, c->a, u->id, c->cfg->lockout_window,
	    c->cfg->lockout_threshold, c->cfg->lockout_duration, &locked);

	if (r == DB_OK)
		r = audit_record(c, u->org_id, action, "failure", "user", u->id);
	if (r != DB_OK)
		return reply_db_status(r);
	return params_field_error(c, field, "is incorrect");
}

enum status
h_auth_caller(struct ctx *c, struct user_row *u)
{
	bool found = false;
	enum db_result r = store_user_by_id(c->db, c->a, c->principal.id, u, &found);

	if (r != DB_OK)
		return reply_db_status(r);
	if (!found)
		return revoked(c, "Token has been revoked");
	if (u->locked_seconds > 0) {
		c->rep->retry_after = u->locked_seconds;
		return h_fail(c, ST_ACCOUNT_LOCKED, "Account is temporarily locked due to too many failed login attempts");
	}
	return ST_OK;
}

/*
 * TX_NONE: a wrong current password counts toward the lockout whatever
 * follows, and the argon2 work stays outside the transaction.
 */
enum status
h_auth_password(struct ctx *c)
{
	const char *current = jv_str(&c->in, "current_password");
	char hash[PASSWORD_HASH_MAX];
	struct user_row u;
	bool legacy;
	enum status st = h_user_only(c);

	if (st != ST_OK)
		return st;
	if ((st = h_auth_caller(c, &u)) != ST_OK)
		return st;
	/* A signed-in user: no secret to keep, so before any password work. */
	if ((st = h_sso_password_check(c, &u, "auth.password_changed")) != ST_OK)
		return st;
	if (u.password_hash == NULL ||
	    pwpolicy_verify(u.password_hash, u.pepper_id, current, &legacy) != PASSWORD_MATCH) {
		return h_auth_wrong_proof(c, &u, "auth.password_changed", "current_password");
	}
	if ((st = h_auth_new_password(c, "new_password", hash)) != ST_OK)
		return st;
	struct password_tx t = {.user = &u, .hash = hash};
	if ((st = dispatch_tx(c, password_write, &t)) != ST_OK)
		return st;
	reply_json(c->rep, ST_NO_CONTENT, NULL);
	return ST_NO_CONTENT;
}
