/* h_mfa.c -- a user's second factor (doc/api.md section 6 "Two-factor sign-in"): enrolment, confirmation, disabling, an admin's reset, the policy. */
#include "handlers.h"

#include <string.h>

#include "audit.h"
#include "encoding.h"
#include "mfa_codes.h"
#include "mfa_crypt.h"
#include "notify.h"
#include "params.h"
#include "password.h"
#include "pwpolicy.h"
#include "session.h"
#include "store.h"
#include "totp.h"

/* The otpauth:// URI authenticator apps read (the Key URI Format of Google Authenticator). */
static const char *
otpauth_uri(struct ctx *c, const char *email, const char *b32)
{
	const char *issuer = encoding_percent_encode(c->a, c->cfg->jwt_issuer, "");
	const char *account = encoding_percent_encode(c->a, email, "@");

	if (issuer == NULL || account == NULL)
		return NULL;
	return arena_printf(c->a, "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d",
	    issuer, account, b32, issuer, TOTP_DIGITS, TOTP_PERIOD);
}

/* A new secret sealed into sealed and shown as base32 in b32; 0 or -1 (the raw secret is wiped). */
static int
new_secret(struct ctx *c, const char *user_id, unsigned char sealed[MFA_SEALED_LEN],
    char b32[ENCODING_BASE32_SIZE(TOTP_SECRET_LEN)])
{
	unsigned char secret[TOTP_SECRET_LEN], key[MFA_KEY_LEN];
	char err[CONFIG_ERR_LEN];
	int rc = -1;

	if (util_random(secret, sizeof(secret)) == 0 && mfa_key_read(c->cfg, key, err) == 0) {
		rc = mfa_seal(key, user_id, secret, sealed);
		explicit_bzero(key, sizeof(key));
		encoding_base32(secret, sizeof(secret), b32);
	}
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

/*
 * TX_NONE: one upsert. Public in the route table because it takes either a
 * session or the mfa_token of a sign-in whose organization requires a
 * second factor the user has not set up (h_mfa_subject).
 */
enum status
h_mfa_totp_enrol(struct ctx *c)
{
	unsigned char digest[MFA_CODE_DIGEST_LEN], sealed[MFA_SEALED_LEN];
	char b32[ENCODING_BASE32_SIZE(TOTP_SECRET_LEN)];
	struct user_row u;
	struct mfa_state s;
	bool via = false;
	enum db_result r;
	enum status st;

	if (!mfa_configured(c->cfg))
		return h_fail(c, ST_NOT_FOUND, "Two-factor sign-in is not configured");
	if ((st = h_mfa_subject(c, "enrol", &u, digest, &via)) != ST_OK)
		return st;
	if ((r = store_mfa_state(c->db, c->a, u.id, u.org_id, &s)) != DB_OK)
		return reply_db_status(r);
	if (s.confirmed)
		return h_fail(c, ST_CONFLICT, "Two-factor sign-in is already enabled");
	if (new_secret(c, u.id, sealed, b32) != 0)
		return ST_INTERNAL_ERROR;
	r = store_mfa_enrol(c->db, u.id, sealed, sizeof(sealed));
	const char *uri = r == DB_OK ? otpauth_uri(c, u.email, b32) : NULL;
	json_object *o = NULL;
	if (uri != NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "secret", json_object_new_string(b32));
		json_object_object_add(o, "otpauth_uri", json_object_new_string(uri));
		json_object_object_add(o, "digits", json_object_new_int(TOTP_DIGITS));
		json_object_object_add(o, "period", json_object_new_int(TOTP_PERIOD));
		json_object_object_add(o, "algorithm", json_object_new_string("SHA1"));
	}
	explicit_bzero(b32, sizeof(b32));
	if (r != DB_OK)
		return reply_db_status(r);
	return o != NULL ? h_reply(c, ST_OK, o) : ST_INTERNAL_ERROR;
}

/* What confirmation writes in one transaction. */
struct confirm_tx {
	const struct user_row *u;
	const char *code;
	const unsigned char *digest;    /* the mfa_token's, when via_token */
	bool via_token;
	char codes[MFA_RECOVERY_COUNT][MFA_RECOVERY_LEN + 1];
};

static enum status
confirm_write(struct ctx *c, void *arg)
{
	struct confirm_tx *t = arg;
	unsigned char d[MFA_CODE_DIGEST_LEN];
	bool ok = false;
	enum db_result r;
	enum status st = h_mfa_code_check(c, t->u->id, t->code, true, &ok);

	if (st != ST_OK)
		return st;
	if (!ok)
		return params_field_error(c, "code", "is not the current code of the new secret");
	if ((r = store_mfa_recovery_clear(c->db, t->u->id)) != DB_OK)
		return reply_db_status(r);
	for (size_t i = 0; i < MFA_RECOVERY_COUNT; i++) {
		if (mfa_recovery_new(t->codes[i], d) != 0)
			return ST_INTERNAL_ERROR;
		if ((r = store_mfa_recovery_add(c->db, t->u->id, d)) != DB_OK)
			return reply_db_status(r);
	}
	if ((r = audit_record(c, t->u->org_id, "auth.mfa_enrolled", "success", "user", t->u->id)) != DB_OK ||
	    (r = notify_queue(c->db, c->cfg, NOTIFY_MFA_CHANGED, t->u->id, false, "enabled", 0)) != DB_OK)
		return reply_db_status(r);
	if (!t->via_token)
		return ST_OK;
	/* Enrolment the policy required: it ends the sign-in it interrupted. */
	bool spent = false;
	if ((r = store_mfa_challenge_spend(c->db, t->digest, &spent)) != DB_OK)
		return reply_db_status(r);
	if (!spent) {
		c->rep->token_sent = true;
		return h_fail(c, ST_INVALID_TOKEN, "Invalid or expired MFA token");
	}
	return session_start(c, t->u);
}

/* TX_NONE: confirm_write runs through dispatch_tx (a session_start inside joins it). */
enum status
h_mfa_totp_confirm(struct ctx *c)
{
	struct confirm_tx t = {.code = jv_str(&c->in, "code")};
	unsigned char digest[MFA_CODE_DIGEST_LEN];
	struct user_row u;
	enum status st;

	if (!mfa_configured(c->cfg))
		return h_fail(c, ST_NOT_FOUND, "Two-factor sign-in is not configured");
	if (!totp_code_syntax(t.code))
		return params_field_error(c, "code", "must be 6 digits");
	if ((st = h_mfa_subject(c, "enrol", &u, digest, &t.via_token)) != ST_OK)
		return st;
	t.u = &u;
	t.digest = digest;
	struct principal saved = c->principal;
	c->principal.type = PRINCIPAL_USER;
	c->principal.id = u.id;
	st = dispatch_tx(c, confirm_write, &t);
	c->principal = saved;
	if (st == ST_OK) {
		/* Shown once: only their digests are kept. */
		json_object *o = t.via_token ? c->rep->body : json_object_new_object();
		json_object *list = json_object_new_array();
		for (size_t i = 0; i < MFA_RECOVERY_COUNT; i++)
			json_object_array_add(list, json_object_new_string(t.codes[i]));
		json_object_object_add(o, "recovery_codes", list);
		if (!t.via_token)
			reply_json(c->rep, ST_OK, o);
	}
	explicit_bzero(t.codes, sizeof(t.codes));
	return st;
}

enum status
h_mfa_proof(struct ctx *c, const struct user_row *u, bool *ok)
{
	const char *code = jv_str(&c->in, "code"), *password = jv_str(&c->in, "password");

	if ((code == NULL) == (password == NULL))
		return params_field_error(c, code == NULL ? "code" : "password",
		    "give exactly one of code and password");
	if (password != NULL) {
		bool legacy;
		*ok = u->password_hash != NULL &&
		    pwpolicy_verify(u->password_hash, u->pepper_id, password, &legacy) == PASSWORD_MATCH;
		return ST_OK;
	}
	if (!totp_code_syntax(code))
		return params_field_error(c, "code", "must be 6 digits");
	return h_mfa_code_check(c, u->id, code, false, ok);
}

enum status
h_mfa_proven(struct ctx *c, struct user_row *u, const char *failed_action, tx_step write)
{
	bool ok = false;
	enum status st = h_mfa_proof(c, u, &ok);

	if (st != ST_OK)
		return st;
	if (!ok) {
		return h_auth_wrong_proof(c, u, failed_action,
		    jv_str(&c->in, "code") != NULL ? "code" : "password");
	}
	if ((st = dispatch_tx(c, write, u)) != ST_OK)
		return st;
	return h_reply(c, ST_NO_CONTENT, NULL);
}

static enum status
disable_write(struct ctx *c, void *arg)
{
	const struct user_row *u = arg;
	enum db_result r;

	if ((r = store_mfa_remove(c->db, u->id)) != DB_OK ||
	    (r = audit_record(c, u->org_id, "auth.mfa_disabled", "success", "user", u->id)) != DB_OK ||
	    (r = notify_queue(c->db, c->cfg, NOTIFY_MFA_CHANGED, u->id, false, "turned off", 0)) != DB_OK)
		return reply_db_status(r);
	return ST_OK;
}

/*
 * TX_NONE: a wrong proof counts toward the lockout whatever follows (a
 * stolen session must not guess freely), and argon2 stays outside the
 * transaction.
 */
enum status
h_mfa_disable(struct ctx *c)
{
	struct user_row u;
	struct mfa_state s;
	bool found = false;
	enum db_result r;

	if (c->principal.type != PRINCIPAL_USER)
		return h_fail(c, ST_INSUFFICIENT_PERMISSIONS, "This endpoint requires a user session");
	if ((r = store_user_by_id(c->db, c->a, c->principal.id, &u, &found)) != DB_OK ||
	    (found && (r = store_mfa_state(c->db, c->a, u.id, u.org_id, &s)) != DB_OK))
		return reply_db_status(r);
	if (!found)
		return h_fail(c, ST_INVALID_TOKEN, "Token has been revoked");
	if (!s.confirmed)
		return h_fail(c, ST_CONFLICT, "Two-factor sign-in is not enabled");
	if (u.locked_seconds > 0) {
		c->rep->retry_after = u.locked_seconds;
		return h_fail(c, ST_ACCOUNT_LOCKED, "Account is temporarily locked due to too many failed login attempts");
	}
	return h_mfa_proven(c, &u, "auth.mfa_failed", disable_write);
}

/* h_org_lookup for the reset: the user of org, whose second factor is then forgotten. */
static enum db_result
reset_user(struct db *db, struct arena *a, const char *id, const char *org_id, bool *found)
{
	struct user_row u;
	enum db_result r = store_user_in_org(db, a, id, org_id, &u, found);

	if (r != DB_OK || !*found)
		return r;
	return store_mfa_remove(db, id);
}

/* TX_WRITE: the reset and its record commit together. */
enum status
h_mfa_reset(struct ctx *c)
{
	char id[UUID_STR_LEN];
	enum status st = h_path_change(c, reset_user, "User not found", "auth.mfa_reset", "user");
	enum db_result r;

	if (st != ST_NO_CONTENT || !params_uuid(c, 0, id))
		return st;
	if ((r = notify_queue(c->db, c->cfg, NOTIFY_MFA_CHANGED, id, false, "reset by an administrator",
	    0)) != DB_OK)
		return reply_db_status(r);
	return st;
}

static enum status
policy_reply(struct ctx *c, const char *policy)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "require", json_object_new_string(policy));
	return h_reply(c, ST_OK, o);
}

enum status
h_mfa_policy_get(struct ctx *c)
{
	const char *policy = NULL;
	enum db_result r = store_org_mfa_policy(c->db, c->a, c->principal.org_id, &policy);

	if (r != DB_OK)
		return reply_db_status(r);
	return policy_reply(c, policy);
}

/* TX_WRITE: the policy and its record commit together. */
enum status
h_mfa_policy_put(struct ctx *c)
{
	const char *policy = jv_str(&c->in, "require");
	enum db_result r;

	/* A policy nobody could satisfy would lock the organization out. */
	if (!mfa_configured(c->cfg) && strcmp(policy, "none") != 0)
		return h_fail(c, ST_CONFLICT, "Two-factor sign-in is not configured on this service");
	if ((r = store_org_mfa_policy_set(c->db, c->principal.org_id, policy)) != DB_OK ||
	    (r = audit_record(c, c->principal.org_id, "organization.mfa_policy_changed", "success",
	    "organization", c->principal.org_id)) != DB_OK)
		return reply_db_status(r);
	return policy_reply(c, policy);
}
