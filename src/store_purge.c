/* store_purge.c -- delete rows that can no longer matter: expired deny-list entries, sessions, throttle windows. */
#include "store.h"

#define PURGE_BATCH 5000

/* Delete in batches so that a big backlog never holds long locks. */
static enum db_result
purge_loop(struct db *db, struct db_query *q, unsigned long long *total)
{
	struct db_param p = DBP_INT(PURGE_BATCH);
	struct db_rows rows;
	enum db_result r;

	do {
		r = db_exec(db, q, &p, 1, &rows, NULL);
		if (r == DB_OK)
			*total += rows.affected;
	} while (r == DB_OK && rows.affected == PURGE_BATCH);
	return r;
}

enum db_result
store_purge(struct db *db, struct purge_counts *out)
{
	/* A revoked token is refused by its own exp once that has passed. */
	static struct db_query tokens = DB_QUERY(
	    "DELETE FROM revoked_tokens WHERE expires_at < UTC_TIMESTAMP() LIMIT ?");
	/* A day of grace keeps "Token has been revoked" answers meaningful for clock skew. */
	static struct db_query sessions = DB_QUERY(
	    "DELETE FROM sessions WHERE expires_at < UTC_TIMESTAMP() - INTERVAL 1 DAY LIMIT ?");
	static struct db_query attempts = DB_QUERY(
	    "DELETE FROM login_attempts WHERE window_start < UTC_TIMESTAMP() - INTERVAL 1 HOUR LIMIT ?");
	/* The longest window of a generic throttle is an hour. */
	static struct db_query throttle = DB_QUERY(
	    "DELETE FROM ip_throttle WHERE window_start < UTC_TIMESTAMP() - INTERVAL 2 HOUR LIMIT ?");
	/* [lockout] window is at most 30 days; a running lock is kept whatever its age. */
	static struct db_query unknown = DB_QUERY(
	    "DELETE FROM unknown_login_failures WHERE first_failed_at < UTC_TIMESTAMP() - INTERVAL 31 DAY "
	    "AND (locked_until IS NULL OR locked_until < UTC_TIMESTAMP()) LIMIT ?");
	static struct db_query states = DB_QUERY(
	    "DELETE FROM sso_states WHERE expires_at < UTC_TIMESTAMP() LIMIT ?");
	/* A remembered provider failure that has run out says nothing any more. */
	static struct db_query failures = DB_QUERY(
	    "DELETE FROM sso_provider_failures WHERE failed_until < UTC_TIMESTAMP() LIMIT ?");
	enum db_result r;
	unsigned long long provider_failures = 0;

	out->revoked_tokens = out->sessions = out->login_attempts = out->sso_states = 0;
	if ((r = purge_loop(db, &tokens, &out->revoked_tokens)) != DB_OK ||
	    (r = purge_loop(db, &sessions, &out->sessions)) != DB_OK ||
	    (r = purge_loop(db, &attempts, &out->login_attempts)) != DB_OK ||
	    (r = purge_loop(db, &throttle, &out->login_attempts)) != DB_OK ||
	    (r = purge_loop(db, &unknown, &out->login_attempts)) != DB_OK ||
	    (r = purge_loop(db, &states, &out->sso_states)) != DB_OK ||
	    (r = purge_loop(db, &failures, &provider_failures)) != DB_OK)
		return r;
	return DB_OK;
}
