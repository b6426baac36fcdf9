/* store_user.c -- users: creation, lookups, lockout and the per-client throttles. */
#include "store.h"

#include <string.h>

#include "store_catalog.h"

enum db_result
store_user_create(struct db *db, const char *id, const char *org_id, const char *email,
    const char *name, const char *role, const char *password_hash, const char *pepper_id)
{
	const char *pepper = password_hash != NULL ? pepper_id : NULL;

	return STORE_RUN(db, STMT_USER_CREATE, NULL, NULL, DBP_STR(id), DBP_STR(org_id),
	    DBP_STR(email), DBP_STR(name), DBP_STR(role), DBP_OPT(password_hash), DBP_OPT(pepper));
}

enum db_result
store_user_unlock_by_email(struct db *db, struct arena *a, const char *email, bool *changed)
{
	struct db_rows rows;
	enum db_result r = STORE_RUN(db, STMT_USER_ID_BY_EMAIL, &rows, a, DBP_STR(email));

	*changed = false;
	if (r != DB_OK || rows.nrows == 0)
		return r;
	r = STORE_RUN(db, STMT_USER_UNLOCK_BY_EMAIL, NULL, NULL, DBP_STR(email));
	*changed = r == DB_OK;
	return r;
}

#define USER_FIELD(col, kind, member) STORE_FIELD(col, kind, struct user_row, member)
static const struct store_field user_fields[] = {USER_COLUMNS_LIST(USER_FIELD)};
const struct store_org_list store_users_listed =
    STORE_ORG_LIST(STMT_USER_LIST, user_fields, struct user_row);

/* Run a USER_COLUMNS lookup of at most one user. */
static enum db_result
user_lookup(struct db *db, struct arena *a, enum store_stmt id, const struct db_param *p,
    size_t n, struct user_row *u, bool *found)
{
	struct db_rows rows;
	enum db_result r = store_run_one(db, a, id, p, n, &rows, found);

	if (*found)
		STORE_DECODE(&rows, 0, user_fields, u);
	return r;
}

enum db_result
store_user_by_email(struct db *db, struct arena *a, const char *email, struct user_row *u,
    bool *found)
{
	return user_lookup(db, a, STMT_USER_BY_EMAIL, DB_PARAMS(DBP_STR(email)), u, found);
}

enum db_result
store_user_by_id(struct db *db, struct arena *a, const char *id, struct user_row *u, bool *found)
{
	return user_lookup(db, a, STMT_USER_BY_ID, DB_PARAMS(DBP_STR(id)), u, found);
}

enum db_result
store_user_in_org(struct db *db, struct arena *a, const char *id, const char *org_id,
    struct user_row *u, bool *found)
{
	return user_lookup(db, a, STMT_USER_IN_ORG, DB_PARAMS(DBP_STR(id), DBP_STR(org_id)), u,
	    found);
}

/* The lock left (seconds) of a lockout row, read by statement id after a failure was counted. */
static enum db_result
lock_left(struct db *db, struct arena *a, enum store_stmt id, const struct db_param *key,
    long *locked_seconds)
{
	struct db_rows rows;
	bool found;
	enum db_result r = store_run_one(db, a, id, key, 1, &rows, &found);

	*locked_seconds = found ? (long)db_cell_int(&rows, 0, 0) : 0;
	return r;
}

enum db_result
store_user_login_failed(struct db *db, struct arena *a, const char *id, long window,
    long threshold, long duration, long *locked_seconds)
{
	struct db_param key = DBP_STR(id);
	enum db_result r = STORE_RUN(db, STMT_USER_LOGIN_FAILED, NULL, NULL, DBP_INT(window),
	    DBP_INT(threshold), DBP_INT(duration), key);

	*locked_seconds = 0;
	if (r != DB_OK)
		return r;
	return lock_left(db, a, STMT_USER_LOCKED_SECONDS, &key, locked_seconds);
}

enum db_result
store_user_login_ok(struct db *db, const char *id)
{
	return STORE_RUN(db, STMT_USER_LOGIN_OK, NULL, NULL, DBP_STR(id));
}

enum db_result
store_user_set_password(struct db *db, const char *id, const char *hash, const char *pepper_id)
{
	return STORE_RUN(db, STMT_USER_SET_PASSWORD, NULL, NULL, DBP_STR(hash), DBP_OPT(pepper_id),
	    DBP_STR(id));
}

/* A throttle window's count and seconds left (at least 1) from a enum window_col row. */
static enum db_result
window_read(struct db *db, struct arena *a, enum store_stmt id, const struct db_param *p, size_t n,
    long *count, long *seconds_left)
{
	struct db_rows rows;
	bool found;
	enum db_result r = store_run_one(db, a, id, p, n, &rows, &found);

	if (found) {
		*count = (long)db_cell_int(&rows, 0, WINDOW_COL_COUNT);
		*seconds_left = (long)db_cell_int(&rows, 0, WINDOW_COL_SECONDS_LEFT);
		if (*seconds_left < 1)
			*seconds_left = 1;
	}
	return r;
}

enum db_result
store_ip_failures(struct db *db, struct arena *a, const char *ip, long *failures, long *seconds_left)
{
	*failures = 0;
	*seconds_left = 0;
	return window_read(db, a, STMT_IP_FAILURES, DB_PARAMS(DBP_STR(ip)), failures, seconds_left);
}

enum db_result
store_ip_failure_add(struct db *db, const char *ip)
{
	return STORE_RUN(db, STMT_IP_FAILURE_ADD, NULL, NULL, DBP_STR(ip));
}

/*
 * The organization's row first (STMT_ORG_ADMIN_GUARD says why), then only
 * locking reads. The transaction's snapshot may be older than the guard's
 * lock: a handler may have read before it (h_step_up does, for a role
 * change), and InnoDB takes the snapshot at the first read. A plain SELECT
 * of the user would then answer from before a change committed meanwhile,
 * on this server or replicated from another Galera node: a user promoted
 * or reactivated since would look like no admin, and be demoted or
 * deactivated without the last-admin count being asked, while the count,
 * a locking read, already saw the others demoted. Every fact the rule
 * rests on is read here, under the guard, as it is now.
 */
enum db_result
store_user_lock_target(struct db *db, struct arena *a, const char *org_id, const char *id,
    long *count, struct user_row *u, bool *found)
{
	struct db_rows rows;
	enum db_result r = STORE_RUN(db, STMT_ORG_ADMIN_GUARD, NULL, NULL, DBP_STR(org_id));

	*count = 0;
	*found = false;
	if (r != DB_OK)
		return r;
	if ((r = STORE_RUN(db, STMT_USER_ADMINS_FOR_UPDATE, &rows, a, DBP_STR(org_id))) != DB_OK)
		return r;
	*count = (long)rows.nrows;
	return user_lookup(db, a, STMT_USER_IN_ORG_FOR_UPDATE, DB_PARAMS(DBP_STR(id), DBP_STR(org_id)),
	    u, found);
}

enum db_result
store_user_update(struct db *db, const char *id, const char *org_id, const char *name,
    const char *role, int active)
{
	return STORE_RUN(db, STMT_USER_UPDATE, NULL, NULL, DBP_OPT(name), DBP_OPT(role),
	    active < 0 ? DBP_NULL : DBP_INT(active), DBP_STR(id), DBP_STR(org_id));
}

enum db_result
store_user_unlock(struct db *db, struct arena *a, const char *id, const char *org_id, bool *found)
{
	struct user_row u;
	enum db_result r = store_user_in_org(db, a, id, org_id, &u, found);

	if (r != DB_OK || !*found)
		return r;
	return STORE_RUN(db, STMT_USER_UNLOCK, NULL, NULL, DBP_STR(id), DBP_STR(org_id));
}

enum db_result
store_throttle_hit(struct db *db, struct arena *a, const char *bucket, const char *ip, long window,
    long *hits, long *seconds_left)
{
	enum db_result r = STORE_RUN(db, STMT_THROTTLE_HIT, NULL, NULL, DBP_STR(bucket), DBP_STR(ip),
	    DBP_INT(window));

	*hits = 0;
	*seconds_left = 1;
	if (r != DB_OK)
		return r;
	return window_read(db, a, STMT_THROTTLE_READ,
	    DB_PARAMS(DBP_INT(window), DBP_STR(bucket), DBP_STR(ip)), hits, seconds_left);
}

enum db_result
store_unknown_login_locked(struct db *db, struct arena *a, const unsigned char digest[32],
    long *locked_seconds)
{
	struct db_param key = DBP_BYTES((const char *)digest, 32);
	return lock_left(db, a, STMT_UNKNOWN_LOCKED, &key, locked_seconds);
}

enum db_result
store_unknown_login_failed(struct db *db, struct arena *a, const unsigned char digest[32],
    long window, long threshold, long duration, long *locked_seconds)
{
	enum db_result r = STORE_RUN(db, STMT_UNKNOWN_FAILED, NULL, NULL,
	    DBP_BYTES((const char *)digest, 32), DBP_INT(threshold), DBP_INT(duration),
	    DBP_INT(window), DBP_INT(threshold), DBP_INT(duration));

	*locked_seconds = 0;
	if (r != DB_OK)
		return r;
	return store_unknown_login_locked(db, a, digest, locked_seconds);
}

/*
 * The user and what hangs on it (sessions by cascade), and first every key
 * the user is the root of: both revoke, so every worker's cache lets go.
 */
enum db_result
store_user_delete(struct db *db, const char *id, const char *org_id, bool *found)
{
	enum db_result r = STORE_RUN(db, STMT_APIKEY_REVOKE_ROOT_USER, NULL, NULL, DBP_STR(org_id),
	    DBP_STR(id));

	if (r != DB_OK)
		return r;
	return STORE_CHANGE(db, STMT_USER_DELETE, found, DBP_STR(id), DBP_STR(org_id));
}
