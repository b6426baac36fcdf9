/* store_user.c -- users: creation, lockout reset. */
#include "store.h"

#include <string.h>

enum db_result
store_user_create(struct db *db, const char *id, const char *org_id, const char *email,
    const char *name, const char *role, const char *password_hash)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO users (id, organization_id, email, name, role, password_hash) "
	    "VALUES (?, ?, ?, ?, ?, ?)");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id), DBP_STR(email), DBP_STR(name),
	    DBP_STR(role), DBP_OPT(password_hash)};
	return db_exec(db, &q, p, 6, NULL, NULL);
}

enum db_result
store_user_unlock_by_email(struct db *db, struct arena *a, const char *email, bool *changed)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL, "
	    "updated_at = UTC_TIMESTAMP(6) WHERE email = ?");
	static struct db_query find = DB_QUERY("SELECT id FROM users WHERE email = ?");
	struct db_param p[] = {DBP_STR(email)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &find, p, 1, &rows, a);

	*changed = false;
	if (r != DB_OK || rows.nrows == 0)
		return r;
	r = db_exec(db, &q, p, 1, NULL, NULL);
	*changed = r == DB_OK;
	return r;
}

#define USER_COLUMNS \
	"SELECT id, organization_id, email, name, role, password_hash, active, " \
	"GREATEST(0, COALESCE(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), locked_until), 0)), " \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"IF(locked_until > UTC_TIMESTAMP(), DATE_FORMAT(locked_until, '%Y-%m-%dT%H:%i:%sZ'), NULL), " \
	"failed_logins <> 0 OR locked_until IS NOT NULL " \
	"FROM users "

static void
user_from_row(const struct db_rows *rows, struct user_row *u)
{
	u->id = db_cell(rows, 0, 0);
	u->org_id = db_cell(rows, 0, 1);
	u->email = db_cell(rows, 0, 2);
	u->name = db_cell(rows, 0, 3);
	u->role = db_cell(rows, 0, 4);
	u->password_hash = db_cell(rows, 0, 5);
	u->active = db_cell_int(rows, 0, 6) != 0;
	u->locked_seconds = (long)db_cell_int(rows, 0, 7);
	u->created_at = db_cell(rows, 0, 8);
	u->locked_until = db_cell(rows, 0, 9);
	u->has_failures = db_cell_int(rows, 0, 10) != 0;
}

enum db_result
store_user_by_email(struct db *db, struct arena *a, const char *email, struct user_row *u,
    bool *found)
{
	static struct db_query q = DB_QUERY(USER_COLUMNS "WHERE email = ?");
	struct db_param p[] = {DBP_STR(email)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 1, &rows, a);

	*found = r == DB_OK && rows.nrows == 1;
	if (*found)
		user_from_row(&rows, u);
	return r;
}

enum db_result
store_user_by_id(struct db *db, struct arena *a, const char *id, struct user_row *u, bool *found)
{
	static struct db_query q = DB_QUERY(USER_COLUMNS "WHERE id = ?");
	struct db_param p[] = {DBP_STR(id)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 1, &rows, a);

	*found = r == DB_OK && rows.nrows == 1;
	if (*found)
		user_from_row(&rows, u);
	return r;
}

enum db_result
store_user_login_failed(struct db *db, struct arena *a, const char *id, long window,
    long threshold, long duration, long *locked_seconds)
{
	/*
	 * One statement, so parallel failures on any worker or host count
	 * exactly. MariaDB assigns left to right: later expressions see the new
	 * failed_logins. A window that has passed, or a lock that has run out,
	 * starts the count again.
	 */
	static struct db_query q = DB_QUERY(
	    "UPDATE users SET "
	    "failed_logins = IF(first_failed_at IS NULL "
	    "OR first_failed_at <= UTC_TIMESTAMP() - INTERVAL ? SECOND "
	    "OR (locked_until IS NOT NULL AND locked_until <= UTC_TIMESTAMP()), 1, failed_logins + 1), "
	    "first_failed_at = IF(failed_logins = 1, UTC_TIMESTAMP(), first_failed_at), "
	    "locked_until = IF(failed_logins >= ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, "
	    "IF(failed_logins = 1, NULL, locked_until)) "
	    "WHERE id = ?");
	static struct db_query read = DB_QUERY(
	    "SELECT GREATEST(0, COALESCE(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), locked_until), 0)) "
	    "FROM users WHERE id = ?");
	struct db_param p[] = {DBP_INT(window), DBP_INT(threshold), DBP_INT(duration), DBP_STR(id)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 4, NULL, NULL);

	*locked_seconds = 0;
	if (r != DB_OK)
		return r;
	r = db_exec(db, &read, &p[3], 1, &rows, a);
	if (r == DB_OK && rows.nrows == 1)
		*locked_seconds = (long)db_cell_int(&rows, 0, 0);
	return r;
}

enum db_result
store_user_login_ok(struct db *db, const char *id)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL "
	    "WHERE id = ? AND (failed_logins <> 0 OR locked_until IS NOT NULL)");
	struct db_param p[] = {DBP_STR(id)};
	return db_exec(db, &q, p, 1, NULL, NULL);
}

enum db_result
store_user_set_password(struct db *db, const char *id, const char *hash)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE users SET password_hash = ?, updated_at = UTC_TIMESTAMP(6) WHERE id = ?");
	struct db_param p[] = {DBP_STR(hash), DBP_STR(id)};
	return db_exec(db, &q, p, 2, NULL, NULL);
}

enum db_result
store_ip_failures(struct db *db, struct arena *a, const char *ip, long *failures, long *seconds_left)
{
	static struct db_query q = DB_QUERY(
	    "SELECT failures, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), window_start + INTERVAL 60 SECOND) "
	    "FROM login_attempts WHERE ip = ? AND window_start > UTC_TIMESTAMP() - INTERVAL 60 SECOND");
	struct db_param p[] = {DBP_STR(ip)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 1, &rows, a);

	*failures = 0;
	*seconds_left = 0;
	if (r == DB_OK && rows.nrows == 1) {
		*failures = (long)db_cell_int(&rows, 0, 0);
		*seconds_left = (long)db_cell_int(&rows, 0, 1);
		if (*seconds_left < 1)
			*seconds_left = 1;
	}
	return r;
}

enum db_result
store_ip_failure_add(struct db *db, const char *ip)
{
	/* A fixed one-minute window per address, counted in one atomic upsert. */
	static struct db_query q = DB_QUERY(
	    "INSERT INTO login_attempts (ip, window_start, failures) VALUES (?, UTC_TIMESTAMP(), 1) "
	    "ON DUPLICATE KEY UPDATE "
	    "failures = IF(window_start <= UTC_TIMESTAMP() - INTERVAL 60 SECOND, 1, failures + 1), "
	    "window_start = IF(failures = 1, UTC_TIMESTAMP(), window_start)");
	struct db_param p[] = {DBP_STR(ip)};
	return db_exec(db, &q, p, 1, NULL, NULL);
}

enum db_result
store_user_list(struct db *db, struct arena *a, const char *org_id, long limit, long offset,
    struct user_row **out, size_t *n)
{
	static struct db_query q = DB_QUERY(USER_COLUMNS
	    "WHERE organization_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?");
	struct db_param p[] = {DBP_STR(org_id), DBP_INT(limit), DBP_INT(offset)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 3, &rows, a);

	*n = 0;
	*out = NULL;
	if (r != DB_OK)
		return r;
	*out = arena_alloc(a, sizeof(**out) * (rows.nrows + 1));
	if (*out == NULL)
		return DB_ERROR;
	for (size_t i = 0; i < rows.nrows; i++) {
		/* user_from_row reads row 0: give it a one-row view of row i. */
		struct db_rows one = rows;
		one.nrows = 1;
		one.cells = rows.cells + i * rows.ncols;
		one.lens = rows.lens + i * rows.ncols;
		user_from_row(&one, &(*out)[i]);
	}
	*n = rows.nrows;
	return r;
}

enum db_result
store_user_in_org(struct db *db, struct arena *a, const char *id, const char *org_id,
    struct user_row *u, bool *found)
{
	static struct db_query q = DB_QUERY(USER_COLUMNS "WHERE id = ? AND organization_id = ?");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 2, &rows, a);

	*found = r == DB_OK && rows.nrows == 1;
	if (*found)
		user_from_row(&rows, u);
	return r;
}

enum db_result
store_user_lock_admins(struct db *db, struct arena *a, const char *org_id, long *count)
{
	/*
	 * Write the organization's row first: on one server its row lock
	 * serializes admin changes; on Galera, where FOR UPDATE locks stay on
	 * their node, two such transactions on different nodes write the same
	 * row, so certification fails one of them (retried, it sees the other).
	 */
	static struct db_query guard = DB_QUERY(
	    "UPDATE organizations SET admin_guard = admin_guard + 1 WHERE id = ?");
	struct db_param g[] = {DBP_STR(org_id)};
	enum db_result gr = db_exec(db, &guard, g, 1, NULL, NULL);
	if (gr != DB_OK)
		return gr;
	static struct db_query q = DB_QUERY(
	    "SELECT id FROM users WHERE organization_id = ? AND role = 'admin' AND active = 1 FOR UPDATE");
	struct db_param p[] = {DBP_STR(org_id)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 1, &rows, a);

	*count = r == DB_OK ? (long)rows.nrows : 0;
	return r;
}

enum db_result
store_user_update(struct db *db, const char *id, const char *org_id, const char *name,
    const char *role, int active)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE users SET name = COALESCE(?, name), role = COALESCE(?, role), "
	    "active = COALESCE(?, active), updated_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND organization_id = ?");
	struct db_param p[] = {DBP_OPT(name), DBP_OPT(role), active < 0 ? DBP_NULL : DBP_INT(active),
	    DBP_STR(id), DBP_STR(org_id)};
	return db_exec(db, &q, p, 5, NULL, NULL);
}

enum db_result
store_user_unlock(struct db *db, struct arena *a, const char *id, const char *org_id, bool *found)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL, "
	    "updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND organization_id = ?");
	struct user_row u;
	enum db_result r = store_user_in_org(db, a, id, org_id, &u, found);

	if (r != DB_OK || !*found)
		return r;
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id)};
	return db_exec(db, &q, p, 2, NULL, NULL);
}

enum db_result
store_throttle_hit(struct db *db, struct arena *a, const char *bucket, const char *ip, long window,
    long *hits, long *seconds_left)
{
	/*
	 * A fixed window per (bucket, client), counted in one atomic upsert so
	 * that concurrent requests on any worker or host count exactly. MariaDB
	 * assigns left to right: window_start sees the new hits.
	 */
	static struct db_query up = DB_QUERY(
	    "INSERT INTO ip_throttle (bucket, ip, window_start, hits) VALUES (?, ?, UTC_TIMESTAMP(), 1) "
	    "ON DUPLICATE KEY UPDATE "
	    "hits = IF(window_start <= UTC_TIMESTAMP() - INTERVAL ? SECOND, 1, hits + 1), "
	    "window_start = IF(hits = 1, UTC_TIMESTAMP(), window_start)");
	static struct db_query read = DB_QUERY(
	    "SELECT hits, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), window_start + INTERVAL ? SECOND) "
	    "FROM ip_throttle WHERE bucket = ? AND ip = ?");
	struct db_param p[] = {DBP_STR(bucket), DBP_STR(ip), DBP_INT(window)};
	struct db_param rp[] = {DBP_INT(window), DBP_STR(bucket), DBP_STR(ip)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &up, p, 3, NULL, NULL);

	*hits = 0;
	*seconds_left = 1;
	if (r != DB_OK)
		return r;
	r = db_exec(db, &read, rp, 3, &rows, a);
	if (r == DB_OK && rows.nrows == 1) {
		*hits = (long)db_cell_int(&rows, 0, 0);
		*seconds_left = (long)db_cell_int(&rows, 0, 1);
		if (*seconds_left < 1)
			*seconds_left = 1;
	}
	return r;
}

enum db_result
store_unknown_login_locked(struct db *db, struct arena *a, const unsigned char digest[32],
    long *locked_seconds)
{
	static struct db_query q = DB_QUERY(
	    "SELECT GREATEST(0, COALESCE(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), locked_until), 0)) "
	    "FROM unknown_login_failures WHERE email_digest = ?");
	struct db_param p[] = {DBP_BYTES((const char *)digest, 32)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 1, &rows, a);

	*locked_seconds = 0;
	if (r == DB_OK && rows.nrows == 1)
		*locked_seconds = (long)db_cell_int(&rows, 0, 0);
	return r;
}

enum db_result
store_unknown_login_failed(struct db *db, struct arena *a, const unsigned char digest[32],
    long window, long threshold, long duration, long *locked_seconds)
{
	/* store_user_login_failed's arithmetic, as an upsert: the first failure creates the row. */
	static struct db_query q = DB_QUERY(
	    "INSERT INTO unknown_login_failures (email_digest, failed_logins, first_failed_at, locked_until) "
	    "VALUES (?, 1, UTC_TIMESTAMP(), IF(1 >= ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, NULL)) "
	    "ON DUPLICATE KEY UPDATE "
	    "failed_logins = IF(first_failed_at IS NULL "
	    "OR first_failed_at <= UTC_TIMESTAMP() - INTERVAL ? SECOND "
	    "OR (locked_until IS NOT NULL AND locked_until <= UTC_TIMESTAMP()), 1, failed_logins + 1), "
	    "first_failed_at = IF(failed_logins = 1, UTC_TIMESTAMP(), first_failed_at), "
	    "locked_until = IF(failed_logins >= ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, "
	    "IF(failed_logins = 1, NULL, locked_until))");
	struct db_param p[] = {DBP_BYTES((const char *)digest, 32), DBP_INT(threshold), DBP_INT(duration),
	    DBP_INT(window), DBP_INT(threshold), DBP_INT(duration)};
	enum db_result r = db_exec(db, &q, p, 6, NULL, NULL);

	*locked_seconds = 0;
	if (r != DB_OK)
		return r;
	return store_unknown_login_locked(db, a, digest, locked_seconds);
}
