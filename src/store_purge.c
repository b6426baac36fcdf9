/*
 * store_purge.c -- delete rows that can no longer matter: expired deny-list
 * entries, sessions, throttle windows; and what [retention] lets go.
 */
#include "store.h"

#include "store_catalog.h"

#include "arena.h"

#define PURGE_BATCH 5000

/*
 * Delete in batches so that a big backlog never holds long locks: the
 * statement takes the batch size, after the days kept when days >= 0.
 */
static enum db_result
purge_batches(struct db *db, enum store_stmt id, long days, unsigned long long *total)
{
	struct db_rows rows;
	enum db_result r;

	do {
		r = days < 0 ? STORE_RUN(db, id, &rows, NULL, DBP_INT(PURGE_BATCH)) :
		    STORE_RUN(db, id, &rows, NULL, DBP_INT(days), DBP_INT(PURGE_BATCH));
		if (r == DB_OK)
			*total += rows.affected;
	} while (r == DB_OK && rows.affected == PURGE_BATCH);
	return r;
}

static enum db_result
purge_loop(struct db *db, enum store_stmt id, unsigned long long *total)
{
	return purge_batches(db, id, -1, total);
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
	    /* A logout token past its freshness is refused anyway: its jti need not be kept. */
	    (r = purge_loop(db, STMT_PURGE_SSO_LOGOUT_TOKENS, &uncounted)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_REVOCATIONS, &uncounted)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_AUDIT_BUDGET, &uncounted)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_KEY_ACTIVITY, &out->key_activity)) != DB_OK ||
	    (r = purge_loop(db, STMT_PURGE_KEY_NETWORKS, &out->key_activity)) != DB_OK)
		return r;
	return DB_OK;
}

#define USER_BATCH 500

/* One batch of deactivated accounts: each deleted and audited, as DELETE /users/{id} does. */
static enum db_result
purge_users_batch(struct db *db, struct arena *a, long days, size_t *n,
    unsigned long long *total)
{
	struct db_rows rows;
	enum db_result r = STORE_RUN(db, STMT_PURGE_DEACTIVATED_USERS, &rows, a, DBP_INT(days),
	    DBP_INT(USER_BATCH));

	*n = r == DB_OK ? rows.nrows : 0;
	for (size_t i = 0; r == DB_OK && i < rows.nrows; i++) {
		const char *id = db_cell(&rows, i, 0), *org = db_cell(&rows, i, 1);
		bool found = false;
		if ((r = store_user_delete(db, id, org, &found)) != DB_OK || !found)
			continue;
		struct audit_event ev = {
			.org_id = org, .action = "user.purged", .outcome = "success",
			.actor_type = "system", .target_type = "user", .target_id = id,
			.detail = "overwatch-admin purge: [retention] deactivated_user_days",
		};
		if ((r = store_audit(db, &ev)) == DB_OK)
			(*total)++;
	}
	return r;
}

enum db_result
store_purge_retention(struct db *db, struct arena *a, long audit_days, long deactivated_days,
    struct retention_counts *out)
{
	enum db_result r = DB_OK;
	size_t n = USER_BATCH;

	out->audit_events = out->users = 0;
	/* Accounts first: their user.purged events are new, so the audit pass keeps them. */
	while (deactivated_days > 0 && r == DB_OK && n == USER_BATCH) {
		r = purge_users_batch(db, a, deactivated_days, &n, &out->users);
		arena_reset(a);
	}
	if (r == DB_OK && audit_days > 0)
		r = purge_batches(db, STMT_PURGE_AUDIT, audit_days, &out->audit_events);
	return r;
}
