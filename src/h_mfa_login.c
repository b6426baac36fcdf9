/* h_mfa_login.c -- the second step of a sign-in (doc/api.md section 6 "Two-factor sign-in"): the mfa_token, POST /auth/mfa/verify. */
#include "handlers.h"

#include <string.h>
#include <time.h>

#include "audit.h"
#include "auth.h"
#include "log.h"
#include "mfa_codes.h"
#include "mfa_crypt.h"
#include "params.h"
#include "session.h"
#include "store.h"
#include "totp.h"

/* Whether the organization's policy asks role for a second factor. */
static bool
policy_requires(const char *policy, const char *role)
{
	return strcmp(policy, "all") == 0 || (strcmp(policy, "admins") == 0 && strcmp(role, "admin") == 0);
}

enum status
h_mfa_after_password(struct ctx *c, const struct user_row *u)
{
	struct mfa_state s;
	char tok[MFA_TOKEN_LEN + 1];
	unsigned char digest[MFA_CODE_DIGEST_LEN];
	enum db_result r = store_mfa_state(c->db, c->a, u->id, u->org_id, &s);

	if (r != DB_OK)
		return reply_db_status(r);
	bool enrol = !s.confirmed && policy_requires(s.policy, u->role);
	if (!s.confirmed && !enrol)
		return session_start(c, u);
	/* Enrolled users exist only while a key is configured; one removed since cannot be checked. */
	if (!mfa_configured(c->cfg))
		return h_fail(c, ST_SERVICE_UNAVAILABLE, "Two-factor sign-in is not configured");
	/*
	 * The password step's result is a challenge row, not a token of any
	 * kind the credential lookup knows: it opens nothing but the code (or
	 * enrolment) step, once, for this user, for [mfa] token_ttl seconds.
	 */
	if (mfa_token_new(tok, digest) != 0)
		return ST_INTERNAL_ERROR;
	r = store_mfa_challenge_create(c->db, digest, u->id, enrol ? "enrol" : "verify", c->cfg->mfa_token_ttl);
	if (r != DB_OK)
		return reply_db_status(r);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "mfa_required", json_object_new_boolean(true));
	json_object_object_add(o, "mfa_enrolment_required", json_object_new_boolean(enrol));
	json_object_object_add(o, "mfa_token", json_object_new_string(tok));
	json_object_object_add(o, "expires_in", json_object_new_int64(c->cfg->mfa_token_ttl));
	explicit_bzero(tok, sizeof(tok));
	return h_reply(c, ST_OK, o);
}

static enum status
token_refused(struct ctx *c, const char *detail)
{
	c->rep->token_sent = true;
	return h_fail(c, ST_INVALID_TOKEN, detail);
}

enum status
h_mfa_subject(struct ctx *c, const char *purpose, struct user_row *u, unsigned char digest[32],
    bool *via_token)
{
	const char *tok = jv_str(&c->in, "mfa_token"), *user_id = NULL;
	bool found = false;
	enum db_result r;
	enum status st;

	*via_token = tok != NULL;
	if (tok == NULL) {
		if ((st = auth_authenticate(c)) != ST_OK)
			return st;
		if (c->principal.type != PRINCIPAL_USER)
			return h_fail(c, ST_INSUFFICIENT_PERMISSIONS, "This endpoint requires a user session");
		user_id = c->principal.id;
	} else {
		if (mfa_token_digest(tok, digest) != 0)
			return token_refused(c, "Invalid or expired MFA token");
		if ((r = store_mfa_challenge_user(c->db, c->a, digest, purpose, &user_id)) != DB_OK)
			return reply_db_status(r);
		if (user_id == NULL)
			return token_refused(c, "Invalid or expired MFA token");
	}
	if ((r = store_user_by_id(c->db, c->a, user_id, u, &found)) != DB_OK)
		return reply_db_status(r);
	if (!found || !u->active)
		return token_refused(c, "User account is deactivated");
	return ST_OK;
}

/* The sealed secret of m opened into secret; ST_OK or the failure (never the key or the secret in a log). */
static enum status
open_secret(struct ctx *c, const char *user_id, const struct mfa_secret *m,
    unsigned char secret[TOTP_SECRET_LEN])
{
	unsigned char key[MFA_KEY_LEN];
	char err[CONFIG_ERR_LEN];

	if (!mfa_configured(c->cfg))
		return h_fail(c, ST_SERVICE_UNAVAILABLE, "Two-factor sign-in is not configured");
	if (mfa_key_read(c->cfg, key, err) != 0) {
		log_error("%s", err);
		return ST_INTERNAL_ERROR;
	}
	int rc = mfa_open(key, user_id, m->sealed, m->sealed_len, secret);
	explicit_bzero(key, sizeof(key));
	if (rc != 0) {
		log_error("the TOTP secret of user %s does not open: was [mfa] secret_file replaced?", user_id);
		return ST_INTERNAL_ERROR;
	}
	return ST_OK;
}

enum status
h_mfa_code_check(struct ctx *c, const char *user_id, const char *code, bool confirm, bool *ok)
{
	struct mfa_secret m;
	unsigned char secret[TOTP_SECRET_LEN];
	enum db_result r = store_mfa_secret(c->db, c->a, user_id, &m);
	enum status st;

	*ok = false;
	if (r != DB_OK)
		return reply_db_status(r);
	if (!m.found)
		return h_fail(c, ST_CONFLICT, confirm ? "No enrolment to confirm" : "Two-factor sign-in is not enabled");
	if (m.confirmed == confirm)
		return h_fail(c, ST_CONFLICT, confirm ? "Two-factor sign-in is already enabled" :
		    "Two-factor sign-in is not enabled");
	if ((st = open_secret(c, user_id, &m, secret)) != ST_OK)
		return st;
	long long step = totp_match(secret, sizeof(secret), code, time(NULL), m.last_step);
	explicit_bzero(secret, sizeof(secret));
	if (step < 0)
		return ST_OK;
	/* The conditional write decides: of two requests with one code, one spends it. */
	if ((r = store_mfa_use_step(c->db, user_id, step, confirm, ok)) != DB_OK)
		return reply_db_status(r);
	return ST_OK;
}

static enum db_result
recovery_used(struct ctx *c, void *arg)
{
	const struct user_row *u = arg;
	return audit_record(c, u->org_id, "auth.mfa_recovery_used", "success", "user", u->id);
}

/* The second factor of verify: *ok when code or recovery_code is right (and now spent). */
static enum status
second_factor(struct ctx *c, const struct user_row *u, const char *code, const char *recovery, bool *ok)
{
	unsigned char d[MFA_CODE_DIGEST_LEN];
	enum db_result r;

	if (code != NULL) {
		if (!totp_code_syntax(code))
			return params_field_error(c, "code", "must be 6 digits");
		return h_mfa_code_check(c, u->id, code, false, ok);
	}
	if (mfa_recovery_digest(recovery, d) != 0)
		return params_field_error(c, "recovery_code", "is not a recovery code");
	if ((r = store_mfa_recovery_use(c->db, u->id, d, ok)) != DB_OK)
		return reply_db_status(r);
	return ST_OK;
}

/*
 * TX_NONE: a wrong code's counters and audit event outlive the refusal, as
 * a wrong password's do; session_start runs the session's writes through
 * dispatch_tx.
 */
enum status
h_mfa_verify(struct ctx *c)
{
	const char *code = jv_str(&c->in, "code"), *recovery = jv_str(&c->in, "recovery_code");
	unsigned char digest[MFA_CODE_DIGEST_LEN];
	struct user_row u;
	bool via = false, ok = false, spent = false;
	enum db_result r;
	enum status st = h_auth_ip_budget(c);

	if (st != ST_OK)
		return st;
	if ((code == NULL) == (recovery == NULL))
		return params_field_error(c, code == NULL ? "code" : "recovery_code",
		    "give exactly one of code and recovery_code");
	if ((st = h_mfa_subject(c, "verify", &u, digest, &via)) != ST_OK)
		return st;
	if (u.locked_seconds > 0) {
		if ((r = audit_record(c, u.org_id, "auth.mfa_failed", "locked", "user", u.id)) != DB_OK)
			return reply_db_status(r);
		c->rep->retry_after = u.locked_seconds;
		return h_fail(c, ST_ACCOUNT_LOCKED, "Account is temporarily locked due to too many failed login attempts");
	}
	if ((st = second_factor(c, &u, code, recovery, &ok)) != ST_OK)
		return st;
	if (!ok)
		return h_auth_failed(c, &u, NULL, "auth.mfa_failed", "Invalid authentication code");
	/* One sign-in per mfa_token, even for two right codes sent at once. */
	if ((r = store_mfa_challenge_spend(c->db, digest, &spent)) != DB_OK)
		return reply_db_status(r);
	if (!spent)
		return token_refused(c, "Invalid or expired MFA token");
	return session_start_with(c, &u, recovery != NULL ? recovery_used : NULL, &u);
}
