/* store_purge.c -- delete rows that can no longer matter: expired deny-list entries, sessions, throttle windows. */
#include "store.h"

#include "store_catalog.h"

#define PURGE_BATCH 5000

/* Delete in batches so that a big backlog never holds long locks. */
static enum db_result
purge_loop(struct db *db, enum store_stmt id, unsigned long long *total)
{
	struct db_rows rows;
	enum db_result r;

	do {
		r = STORE_RUN(db, id, &rows, NULL, DBP_INT(PURGE_BATCH));
		if (r == DB_OK)
			*total += rows.affected;
	} while (r == DB_OK && rows.affected == PURGE_BATCH);
	return r;
}

enum db_result
store_purge(struct db *db, struct purge_counts *out)
{
	/* Each statement's table and what it keeps are in store_catalog.c. */
	enum db_result r;
	unsigned long long uncounted = 0;     /* provider failures and revocation log rows */

	out->revoked_tokens = out->sessions = out->login_attempts = out->sso_states = 0;
	if ((r = purge_loop(db, STMT_PURGE_TOKENS, &out->revoked_tokens)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_SESSIONS, &out->sessions)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_ATTEMPTS, &out->login_attempts)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_THROTTLE, &out->login_attempts)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_UNKNOWN, &out->login_attempts)) != DB_OK ||
	    /* An unspent mfa_token is a sign-in attempt left half-way: counted with those. */
	    (r = purge_loop(db, STMT_PURGE_MFA_CHALLENGES, &out->login_attempts)) != DB_OK ||
	    /* An expired account link can no longer be spent: nothing to count. */
	    (r = purge_loop(db, STMT_PURGE_ACCOUNT_TOKENS, &uncounted)) != DB_OK ||
	    /* Undelivered past their end (a link's, or a day): a link in one must not linger. */
	    (r = purge_loop(db, STMT_PURGE_NOTIFICATIONS, &uncounted)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_SSO_STATES, &out->sso_states)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_PROVIDER_FAILURES, &uncounted)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_REVOCATIONS, &uncounted)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_KEY_ACTIVITY, &out->key_activity)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_KEY_NETWORKS, &out->key_activity)) != DB_OK)
		return r;
	return DB_OK;
}
