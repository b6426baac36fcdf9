/* h_account.c -- account links (doc/api.md section 6, "Account links"): activation and self-service password reset. */
#include "handlers.h"

#include <string.h>

#include "audit.h"
#include "mfa_codes.h"
#include "notify.h"
#include "params.h"
#include "password.h"
#include "pepper.h"
#include "store.h"

/*
 * The one token mechanism of two-factor sign-in serves here too: 256
 * random bits, base64url, of which only the SHA-256 is stored.
 */
_Static_assert(ACCOUNT_DIGEST_LEN == MFA_CODE_DIGEST_LEN, "an account link's digest is an mfa_token's");
_Static_assert(ACCOUNT_TOKEN_LEN == MFA_TOKEN_LEN, "an account link's token is an mfa_token's");

json_object *
h_account_link_view(struct ctx *c, const char *tok, long ttl)
{
	json_object *o = json_object_new_object();
	const char *base = c->cfg->account_link_base;
	const char *link = base[0] != '\0' ? arena_printf(c->a, "%s%s", base, tok) : NULL;

	json_object_object_add(o, "token", json_object_new_string(tok));
	json_object_object_add(o, "link", link != NULL ? json_object_new_string(link) : NULL);
	json_object_object_add(o, "expires_in", json_object_new_int64(ttl));
	return o;
}

/*
 * Hand the link to the notification hook for the active user with this
 * address (none: the same statement, nothing queued). Its text is wiped
 * from the arena once queued.
 */
static enum db_result
link_queue(struct ctx *c, const char *event, const char *email, const char *tok, long ttl)
{
	char *link;
	enum db_result r;

	if (!notify_configured(c->cfg))
		return DB_OK;
	if ((link = arena_printf(c->a, "%s%s", c->cfg->account_link_base, tok)) == NULL)
		return DB_ERROR;
	r = notify_queue(c->db, c->cfg, event, email, true, link, ttl);
	explicit_bzero(link, strlen(link));
	return r;
}

enum status
h_account_activation_issue(struct ctx *c, const char *email, char tok[ACCOUNT_TOKEN_LEN + 1])
{
	unsigned char digest[ACCOUNT_DIGEST_LEN];
	bool issued = false;
	enum db_result r;

	if (mfa_token_new(tok, digest) != 0)
		return ST_INTERNAL_ERROR;
	r = store_account_token_issue(c->db, digest, email, ACCOUNT_PURPOSE_ACTIVATION,
	    c->cfg->account_activation_ttl, &issued);
	if (r == DB_OK && issued)
		r = link_queue(c, NOTIFY_ACTIVATION_LINK, email, tok, c->cfg->account_activation_ttl);
	if (r != DB_OK)
		return reply_db_status(r);
	return issued ? ST_OK : ST_INTERNAL_ERROR;
}

/* What requesting a reset writes: the same statements for any address. */
struct reset_request_tx {
	const unsigned char *digest;
	const char *email, *tok;
	const struct user_row *user;    /* NULL: no account has the address */
};

static enum status
reset_request_write(struct ctx *c, void *arg)
{
	const struct reset_request_tx *t = arg;
	bool issued = false;
	enum db_result r = store_account_token_issue(c->db, t->digest, t->email, ACCOUNT_PURPOSE_RESET,
	    c->cfg->account_reset_ttl, &issued);

	if (r == DB_OK)
		r = link_queue(c, NOTIFY_RESET_LINK, t->email, t->tok, c->cfg->account_reset_ttl);
	/* An account made since the lookup got its link, recorded without a target. */
	bool known = issued && t->user != NULL;
	if (r == DB_OK)
		r = audit_record(c, known ? t->user->org_id : NULL, "auth.password_reset_requested",
		    issued ? "success" : "unknown", known ? "user" : NULL, known ? t->user->id : NULL);
	return r == DB_OK ? ST_OK : reply_db_status(r);
}

/*
 * POST /auth/password-reset. Known, unknown and inactive addresses get the
 * same 202 after the same statements: the answer must not tell who has an
 * account (doc/SECURITY.md, "Account links"). TX_NONE: the throttles
 * outlive the request.
 */
enum status
h_account_reset_request(struct ctx *c)
{
	char email[256], tok[ACCOUNT_TOKEN_LEN + 1];
	unsigned char digest[ACCOUNT_DIGEST_LEN];
	struct user_row u;
	bool found = false;
	enum db_result r;
	enum status st = h_auth_email_throttled(c, "password_reset", c->cfg->account_resets_per_hour, email);

	if (st != ST_OK)
		return st;
	if ((r = store_user_by_email(c->db, c->a, email, &u, &found)) != DB_OK)
		return reply_db_status(r);
	if (mfa_token_new(tok, digest) != 0)
		return ST_INTERNAL_ERROR;
	struct reset_request_tx t = {.digest = digest, .email = email, .tok = tok, .user = found ? &u : NULL};
	st = dispatch_tx(c, reset_request_write, &t);
	explicit_bzero(tok, sizeof(tok));
	if (st != ST_OK)
		return st;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "detail", json_object_new_string(
	    "If the address belongs to an active account, a reset link is on its way"));
	return h_reply(c, ST_ACCEPTED, o);
}

/* A token that is malformed, unknown, spent, expired or of another purpose: one answer, one spent failure. */
static enum status
link_refused(struct ctx *c)
{
	enum db_result r = store_ip_failure_add(c->db, c->throttle_ip);

	if (r != DB_OK)
		return reply_db_status(r);
	c->rep->token_sent = true;
	return h_fail(c, ST_INVALID_TOKEN, "Invalid or expired link");
}

/* Spending a link: the token, the password, every session's end and the record, in one transaction. */
struct link_tx {
	const unsigned char *digest;
	const char *purpose, *action, *hash;
	const struct user_row *user;
	bool spent;
};

static enum status
link_spend_write(struct ctx *c, void *arg)
{
	struct link_tx *t = arg;
	bool changed = false;
	enum db_result r = store_account_token_spend(c->db, t->digest, t->purpose, &changed);

	t->spent = false;
	if (r == DB_OK && changed)
		r = store_account_password_set(c->db, t->user->id, t->hash, pepper_current_id(), &changed);
	if (r != DB_OK || !changed)
		return r != DB_OK ? reply_db_status(r) : ST_OK;
	/* A reset is for a password someone else may know: every session ends, this one included. */
	if ((r = store_session_revoke_user(c->db, t->user->id, NULL)) != DB_OK ||
	    (r = notify_queue(c->db, c->cfg, NOTIFY_PASSWORD_CHANGED, t->user->id, false, c->client_ip,
	    0)) != DB_OK)
		return reply_db_status(r);
	c->principal.type = PRINCIPAL_USER;
	c->principal.id = t->user->id;
	if ((r = audit_record(c, t->user->org_id, t->action, "success", "user", t->user->id)) != DB_OK)
		return reply_db_status(r);
	t->spent = true;
	return ST_OK;
}

/*
 * {token, password}: spend a link of purpose and set the password. TX_NONE:
 * a refused token spends the client's failed-login budget whatever
 * follows, and the argon2 work stays outside the transaction.
 */
static enum status
link_spend(struct ctx *c, const char *purpose, const char *action)
{
	const char *tok = jv_str(&c->in, "token");
	unsigned char digest[ACCOUNT_DIGEST_LEN];
	char hash[PASSWORD_HASH_MAX];
	const char *user_id = NULL;
	struct user_row u;
	bool found = false;
	enum db_result r;
	enum status st = h_auth_ip_budget(c);

	if (st != ST_OK)
		return st;
	if (mfa_token_digest(tok, digest) != 0)
		return link_refused(c);
	if ((r = store_account_token_user(c->db, c->a, digest, purpose, &user_id)) != DB_OK)
		return reply_db_status(r);
	if (user_id == NULL)
		return link_refused(c);
	if ((r = store_user_by_id(c->db, c->a, user_id, &u, &found)) != DB_OK)
		return reply_db_status(r);
	if (!found || !u.active)
		return link_refused(c);
	/* The rules of every new password: normal form, length, common list (doc/api.md section 6). */
	if ((st = h_auth_new_password(c, "password", hash)) != ST_OK)
		return st;
	struct link_tx t = {.digest = digest, .purpose = purpose, .action = action, .hash = hash, .user = &u};
	if ((st = dispatch_tx(c, link_spend_write, &t)) != ST_OK)
		return st;
	/* Spent meanwhile by a concurrent request, or the user deactivated: as any spent link. */
	if (!t.spent)
		return link_refused(c);
	return h_reply(c, ST_NO_CONTENT, NULL);
}

enum status
h_account_reset_confirm(struct ctx *c)
{
	return link_spend(c, ACCOUNT_PURPOSE_RESET, "auth.password_reset");
}

enum status
h_account_activate(struct ctx *c)
{
	return link_spend(c, ACCOUNT_PURPOSE_ACTIVATION, "user.activated");
}
