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
