/* h_step_up.c -- step-up: a recent proof for sensitive changes, and POST /auth/reauthenticate (doc/api.md section 3 "Step-up"). */
#include "handlers.h"

#include "audit.h"
#include "store.h"

enum status
h_step_up(struct ctx *c)
{
	bool recent = false;

	/*
	 * An API key is not a session and has nothing to prove again: what it
	 * may create is already bounded by its own permissions and chain
	 * (doc/SECURITY.md), and a CI key must not be asked for a password.
	 */
	if (c->principal.type != PRINCIPAL_USER)
		return ST_OK;
	enum db_result r = store_session_proved(c->db, c->a, c->principal.claims.sid,
	    c->cfg->jwt_reauthentication_window, &recent);
	if (r != DB_OK)
		return reply_db_status(r);
	if (!recent)
		return h_fail(c, ST_REAUTHENTICATION_REQUIRED,
		    "Recent authentication required: POST /auth/reauthenticate");
	return ST_OK;
}

static enum status
reauthenticated(struct ctx *c, void *arg)
{
	const struct user_row *u = arg;
	enum db_result r;

	if ((r = store_session_prove(c->db, c->principal.claims.sid)) != DB_OK ||
	    (r = audit_record(c, u->org_id, "auth.reauthenticated", "success", "session",
	    c->principal.claims.sid)) != DB_OK)
		return reply_db_status(r);
	return ST_OK;
}

/*
 * POST /auth/reauthenticate {password | code}. TX_NONE: a wrong proof
 * counts toward the lockout like a failed login whatever follows (a stolen
 * session must not guess freely), and argon2 stays outside the transaction.
 */
enum status
h_auth_reauthenticate(struct ctx *c)
{
	struct user_row u;
	enum status st = h_user_only(c);

	if (st != ST_OK || (st = h_auth_caller(c, &u)) != ST_OK)
		return st;
	return h_mfa_proven(c, &u, "auth.reauthenticated", reauthenticated);
}
