/* store_apikey.c -- API keys: lookup by digest, creation, listing, revocation, usage. */
#include "store.h"

#include <string.h>

#include "util.h"

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

/*
 * What judging a key needs, from the key's row and its root user's
 * (sql/004_api_key_chain.sql): a row written by a binary older than 004 has
 * no root_user_id, and its creating user, if any, is the root.
 */
#define KEY_ROOT "COALESCE(k.root_user_id, IF(k.created_by_type = 'user', k.created_by_id, NULL))"
#define KEY_BOUND "CASE WHEN k.parent_expires_at IS NULL THEN k.expires_at " \
	"WHEN k.expires_at IS NULL THEN k.parent_expires_at " \
	"ELSE LEAST(k.expires_at, k.parent_expires_at) END"
#define KEY_COLUMNS \
	"k.id, k.organization_id, k.name, k.prefix, k.permissions, " \
	"COALESCE(k.chain_permissions, k.permissions), " KEY_ROOT ", u.role, " \
	"k.revoked_at IS NOT NULL, k.expires_at <= UTC_TIMESTAMP(), " \
	"k.parent_revoked_at IS NOT NULL, k.parent_expires_at <= UTC_TIMESTAMP(), " \
	"u.id IS NOT NULL, COALESCE(u.active, 0), UNIX_TIMESTAMP(" KEY_BOUND ") "
#define KEY_NCOLUMNS 15
#define KEY_FROM \
	"FROM api_keys k LEFT JOIN users u ON u.id = " KEY_ROOT " AND u.organization_id = k.organization_id "

/* The KEY_COLUMNS of row i. */
static void
key_from_row(const struct db_rows *rows, size_t i, struct key_row *k)
{
	memset(k, 0, sizeof(*k));
	k->id = db_cell(rows, i, 0);
	k->org_id = db_cell(rows, i, 1);
	k->name = db_cell(rows, i, 2);
	k->prefix = db_cell(rows, i, 3);
	k->permissions = db_cell(rows, i, 4);
	k->chain_permissions = db_cell(rows, i, 5);
	k->root_user_id = db_cell(rows, i, 6);
	k->creator_role = db_cell(rows, i, 7);
	k->revoked = db_cell_int(rows, i, 8) != 0;
	k->expired = db_cell_int(rows, i, 9) != 0;
	k->parent_revoked = db_cell_int(rows, i, 10) != 0;
	k->parent_expired = db_cell_int(rows, i, 11) != 0;
	k->creator_found = db_cell_int(rows, i, 12) != 0;
	k->creator_active = db_cell_int(rows, i, 13) != 0;
	k->expires_bound = db_cell_int(rows, i, 14);
}

enum db_result
store_key_by_digest(struct db *db, struct arena *a, const unsigned char *digest, size_t len,
    struct key_row *k, bool *found)
{
	/* The one statement of a key-authenticated request: two primary-key lookups. */
	static struct db_query q = DB_QUERY(
	    "SELECT " KEY_COLUMNS ", k.key_digest " KEY_FROM "WHERE k.key_digest = ?");
	struct db_param p[] = {DBP_BYTES(digest, len)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 1, &rows, a);

	*found = r == DB_OK && rows.nrows == 1;
	if (!*found)
		return r;
	key_from_row(&rows, 0, k);
	k->digest = (const unsigned char *)db_cell(&rows, 0, KEY_NCOLUMNS);
	k->digest_len = rows.lens[KEY_NCOLUMNS];
	return r;
}

enum db_result
store_key_create(struct db *db, const struct key_new *k)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO api_keys (id, organization_id, name, prefix, key_digest, permissions, "
	    "expires_at, created_by_type, created_by_id, root_user_id, parent_key_id, "
	    "chain_permissions, parent_expires_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	struct db_param p[] = {DBP_STR(k->id), DBP_STR(k->org_id), DBP_STR(k->name),
	    DBP_STR(k->prefix), DBP_BYTES(k->digest, k->digest_len), DBP_STR(k->permissions),
	    DBP_OPT(k->expires_at), DBP_STR(k->created_by_type), DBP_STR(k->created_by_id),
	    DBP_STR(k->root_user_id), DBP_OPT(k->parent_key_id), DBP_STR(k->chain_permissions),
	    DBP_OPT(k->parent_expires_at)};
	return db_exec(db, &q, p, sizeof(p) / sizeof(p[0]), NULL, NULL);
}

enum db_result
store_key_guard_parent(struct db *db, const char *id, const char *org_id, bool *live)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE api_keys SET child_guard = child_guard + 1 "
	    "WHERE id = ? AND organization_id = ? AND revoked_at IS NULL AND parent_revoked_at IS NULL");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 2, &rows, NULL);

	*live = r == DB_OK && rows.affected == 1;
	return r;
}

enum db_result
store_key_list(struct db *db, struct arena *a, const char *org_id, long limit, long offset,
    struct key_listed **out, size_t *n)
{
	static struct db_query q = DB_QUERY(
	    "SELECT " KEY_COLUMNS ", " ISO("k.created_at") ", " ISO("k.expires_at") ", "
	    ISO("k.last_used_at") ", k.last_used_ip, k.use_count, k.created_by_type, k.created_by_id "
	    KEY_FROM "WHERE k.organization_id = ? AND k.revoked_at IS NULL "
	    "ORDER BY k.created_at DESC, k.id DESC LIMIT ? OFFSET ?");
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
		struct key_listed *l = &(*out)[i];
		key_from_row(&rows, i, &l->k);
		l->created_at = db_cell(&rows, i, KEY_NCOLUMNS);
		l->expires_at = db_cell(&rows, i, KEY_NCOLUMNS + 1);
		l->last_used_at = db_cell(&rows, i, KEY_NCOLUMNS + 2);
		l->last_used_ip = db_cell(&rows, i, KEY_NCOLUMNS + 3);
		l->use_count = db_cell_int(&rows, i, KEY_NCOLUMNS + 4);
		l->created_by_type = db_cell(&rows, i, KEY_NCOLUMNS + 5);
		l->created_by_id = db_cell(&rows, i, KEY_NCOLUMNS + 6);
	}
	*n = rows.nrows;
	return r;
}

enum db_result
store_key_revoke(struct db *db, const char *id, const char *org_id, bool *found)
{
	static struct db_query revoke = DB_QUERY(
	    "UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND organization_id = ? AND revoked_at IS NULL");
	/*
	 * Every descendant, found from the parent index; the derived table is
	 * materialised first, so the UPDATE locks only those rows by primary key
	 * (an IN (subquery) form would scan and lock the whole table).
	 */
	static struct db_query descendants = DB_QUERY(
	    "UPDATE api_keys k JOIN ("
	    "WITH RECURSIVE d (id) AS ("
	    "SELECT id FROM api_keys WHERE parent_key_id = ? AND organization_id = ? "
	    "UNION SELECT c.id FROM api_keys c JOIN d ON c.parent_key_id = d.id"
	    ") SELECT id FROM d) d ON k.id = d.id "
	    "SET k.parent_revoked_at = UTC_TIMESTAMP(6) WHERE k.parent_revoked_at IS NULL");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &revoke, p, 2, &rows, NULL);

	*found = r == DB_OK && rows.affected == 1;
	if (!*found)
		return r;
	return db_exec(db, &descendants, p, 2, NULL, NULL);
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
