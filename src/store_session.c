/* store_session.c -- sessions, the refresh-token chain, and the revoked-token list. */
#include "store.h"

#include <string.h>

enum db_result
store_session_create(struct db *db, const char *id, const char *user_id, const char *org_id,
    const char *refresh_jti, long ttl, const char *ip, const char *ua)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO sessions (id, user_id, organization_id, expires_at, refresh_jti, ip, user_agent) "
	    "VALUES (?, ?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, ?, ?, LEFT(?, 512))");
	struct db_param p[] = {DBP_STR(id), DBP_STR(user_id), DBP_STR(org_id), DBP_INT(ttl),
	    DBP_STR(refresh_jti), DBP_OPT(ip), DBP_OPT(ua)};
	return db_exec(db, &q, p, 7, NULL, NULL);
}

enum db_result
store_session_check(struct db *db, struct arena *a, const char *sid, const char *user_id,
    const char *jti, struct session_check *out)
{
	/* Primary-key lookups only: session by id, its user by id, the jti in the deny list. */
	static struct db_query q = DB_QUERY(
	    "SELECT s.revoked_at IS NULL AND s.expires_at > UTC_TIMESTAMP(), u.active, u.role, "
	    "u.email, u.name, u.organization_id, "
	    "EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = ?) "
	    "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ? AND s.user_id = ?");
	struct db_param p[] = {DBP_STR(jti), DBP_STR(sid), DBP_STR(user_id)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 3, &rows, a);

	memset(out, 0, sizeof(*out));
	if (r != DB_OK || rows.nrows != 1)
		return r;
	out->found = true;
	out->session_live = db_cell_int(&rows, 0, 0) != 0;
	out->user_active = db_cell_int(&rows, 0, 1) != 0;
	out->role = db_cell(&rows, 0, 2);
	out->email = db_cell(&rows, 0, 3);
	out->name = db_cell(&rows, 0, 4);
	out->org_id = db_cell(&rows, 0, 5);
	out->jti_revoked = db_cell_int(&rows, 0, 6) != 0;
	return r;
}

enum db_result
store_session_for_refresh(struct db *db, struct arena *a, const char *sid, long grace,
    struct session_refresh *out)
{
	static struct db_query q = DB_QUERY(
	    "SELECT s.revoked_at IS NULL AND s.expires_at > UTC_TIMESTAMP(), u.active, s.user_id, "
	    "u.organization_id, u.role, s.refresh_jti, s.previous_refresh_jti, "
	    "s.rotated_at IS NOT NULL AND s.rotated_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND, "
	    "COALESCE(UNIX_TIMESTAMP(s.rotated_at), 0), UNIX_TIMESTAMP(s.expires_at) "
	    "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?");
	struct db_param p[] = {DBP_INT(grace), DBP_STR(sid)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 2, &rows, a);

	memset(out, 0, sizeof(*out));
	if (r != DB_OK || rows.nrows != 1)
		return r;
	out->found = true;
	out->live = db_cell_int(&rows, 0, 0) != 0;
	out->user_active = db_cell_int(&rows, 0, 1) != 0;
	out->user_id = db_cell(&rows, 0, 2);
	out->org_id = db_cell(&rows, 0, 3);
	out->role = db_cell(&rows, 0, 4);
	out->refresh_jti = db_cell(&rows, 0, 5);
	out->previous_jti = db_cell(&rows, 0, 6);
	out->in_grace = db_cell_int(&rows, 0, 7) != 0;
	out->rotated_at = db_cell_int(&rows, 0, 8);
	out->expires_at = db_cell_int(&rows, 0, 9);
	return r;
}

enum db_result
store_session_rotate(struct db *db, const char *sid, const char *old_jti, const char *new_jti,
    long long rotated_at, bool *moved)
{
	/* Compare-and-set on the current jti: of two refreshes racing, one rotates. */
	static struct db_query q = DB_QUERY(
	    "UPDATE sessions SET previous_refresh_jti = refresh_jti, refresh_jti = ?, "
	    "rotated_at = FROM_UNIXTIME(?) WHERE id = ? AND refresh_jti = ? AND revoked_at IS NULL");
	struct db_param p[] = {DBP_STR(new_jti), DBP_INT(rotated_at), DBP_STR(sid), DBP_STR(old_jti)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 4, &rows, NULL);

	*moved = r == DB_OK && rows.affected == 1;
	return r;
}

enum db_result
store_session_revoke(struct db *db, const char *sid)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE id = ? AND revoked_at IS NULL");
	struct db_param p[] = {DBP_STR(sid)};
	return db_exec(db, &q, p, 1, NULL, NULL);
}

enum db_result
store_session_revoke_user(struct db *db, const char *user_id, const char *keep_sid)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND revoked_at IS NULL AND id <> ?");
	struct db_param p[] = {DBP_STR(user_id), DBP_STR(keep_sid != NULL ? keep_sid : "")};
	return db_exec(db, &q, p, 2, NULL, NULL);
}

enum db_result
store_token_revoke(struct db *db, const char *jti, long long exp)
{
	static struct db_query q = DB_QUERY(
	    "INSERT IGNORE INTO revoked_tokens (jti, expires_at) VALUES (?, FROM_UNIXTIME(?))");
	struct db_param p[] = {DBP_STR(jti), DBP_INT(exp)};
	return db_exec(db, &q, p, 2, NULL, NULL);
}
