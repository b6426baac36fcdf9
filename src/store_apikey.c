/* store_apikey.c -- API keys: lookup by digest, creation, listing, revocation, usage. */
#include "store.h"

#include "util.h"

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

enum db_result
store_key_by_digest(struct db *db, struct arena *a, const unsigned char *digest, size_t len,
    struct key_row *k, bool *found)
{
	static struct db_query q = DB_QUERY(
	    "SELECT id, organization_id, name, prefix, permissions, key_digest, revoked_at IS NOT NULL, "
	    "expires_at IS NOT NULL AND expires_at <= UTC_TIMESTAMP() "
	    "FROM api_keys WHERE key_digest = ?");
	struct db_param p[] = {DBP_BYTES(digest, len)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 1, &rows, a);

	*found = r == DB_OK && rows.nrows == 1;
	if (!*found)
		return r;
	k->id = db_cell(&rows, 0, 0);
	k->org_id = db_cell(&rows, 0, 1);
	k->name = db_cell(&rows, 0, 2);
	k->prefix = db_cell(&rows, 0, 3);
	k->permissions = db_cell(&rows, 0, 4);
	k->digest = (const unsigned char *)db_cell(&rows, 0, 5);
	k->digest_len = rows.lens[5];
	k->revoked = db_cell_int(&rows, 0, 6) != 0;
	k->expired = db_cell_int(&rows, 0, 7) != 0;
	return r;
}

enum db_result
store_key_create(struct db *db, const char *id, const char *org_id, const char *name,
    const char *prefix, const unsigned char *digest, size_t digest_len, const char *permissions,
    const char *expires_at, const char *created_by_type, const char *created_by_id)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO api_keys (id, organization_id, name, prefix, key_digest, permissions, "
	    "expires_at, created_by_type, created_by_id) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id), DBP_STR(name), DBP_STR(prefix),
	    DBP_BYTES(digest, digest_len), DBP_STR(permissions),
	    DBP_OPT(expires_at), DBP_STR(created_by_type),
	    DBP_STR(created_by_id)};
	return db_exec(db, &q, p, 9, NULL, NULL);
}

enum db_result
store_key_list(struct db *db, struct arena *a, const char *org_id, long limit, long offset,
    struct db_rows *rows)
{
	static struct db_query q = DB_QUERY(
	    "SELECT id, name, prefix, permissions, " ISO("created_at") ", " ISO("expires_at") ", "
	    ISO("last_used_at") ", last_used_ip, use_count, created_by_type, created_by_id "
	    "FROM api_keys WHERE organization_id = ? AND revoked_at IS NULL "
	    "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?");
	struct db_param p[] = {DBP_STR(org_id), DBP_INT(limit), DBP_INT(offset)};
	return db_exec(db, &q, p, 3, rows, a);
}

enum db_result
store_key_revoke(struct db *db, const char *id, const char *org_id, bool *found)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND organization_id = ? AND revoked_at IS NULL");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 2, &rows, NULL);

	*found = r == DB_OK && rows.affected == 1;
	return r;
}

enum db_result
store_key_usage(struct db *db, const char *id, long long count, long long last_at, const char *ip)
{
	/* Batches from several workers may arrive out of order: keep the latest use. */
	static struct db_query q = DB_QUERY(
	    "UPDATE api_keys SET use_count = use_count + ?, "
	    "last_used_ip = IF(last_used_at IS NULL OR last_used_at <= FROM_UNIXTIME(?), ?, last_used_ip), "
	    "last_used_at = GREATEST(COALESCE(last_used_at, FROM_UNIXTIME(?)), FROM_UNIXTIME(?)) "
	    "WHERE id = ?");
	struct db_param p[] = {DBP_INT(count), DBP_INT(last_at), DBP_OPT(ip), DBP_INT(last_at),
	    DBP_INT(last_at), DBP_STR(id)};
	return db_exec(db, &q, p, 6, NULL, NULL);
}
