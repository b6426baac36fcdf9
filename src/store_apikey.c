/* store_apikey.c -- API keys: lookup by digest, creation, listing, revocation, usage. */
#include "store.h"

#include <string.h>

#include "store_catalog.h"
#include "util.h"

#define APIKEY_FIELD(col, kind, member) STORE_FIELD(col, kind, struct apikey_row, member)
static const struct store_field key_fields[] = {APIKEY_COLUMNS_LIST(APIKEY_FIELD)};

#define LISTED_APIKEY_FIELD(col, kind, member) STORE_FIELD(col, kind, struct apikey_listed, k.member)
#define LISTED_FIELD(col, kind, member) STORE_FIELD(col, kind, struct apikey_listed, member)
static const struct store_field listed_fields[] = {
	APIKEY_COLUMNS_LIST(LISTED_APIKEY_FIELD) APIKEY_LISTED_LIST(LISTED_FIELD)
};
const struct store_org_list store_apikeys_listed =
    STORE_ORG_LIST(STMT_APIKEY_LIST, listed_fields, struct apikey_listed);

enum db_result
store_apikey_by_digest(struct db *db, struct arena *a, const unsigned char *digest, size_t len,
    struct apikey_row *k, bool *found)
{
	struct db_rows rows;
	enum db_result r = STORE_ONE(db, a, STMT_APIKEY_BY_DIGEST, &rows, found, DBP_BYTES(digest, len));

	if (!*found)
		return r;
	memset(k, 0, sizeof(*k));
	STORE_DECODE(&rows, 0, key_fields, k);
	k->digest = (const unsigned char *)db_cell(&rows, 0, APIKEY_COL_DIGEST);
	k->digest_len = rows.lens[APIKEY_COL_DIGEST];
	k->org_name = db_cell(&rows, 0, APIKEY_COL_ORG_NAME);
	k->org_slug = db_cell(&rows, 0, APIKEY_COL_ORG_SLUG);
	return r;
}

enum db_result
store_apikey_create(struct db *db, const struct key_new *k)
{
	return STORE_RUN(db, STMT_APIKEY_CREATE, NULL, NULL, DBP_STR(k->id), DBP_STR(k->org_id),
	    DBP_STR(k->name), DBP_STR(k->prefix), DBP_BYTES(k->digest, k->digest_len),
	    DBP_STR(k->permissions), DBP_OPT(k->expires_at), DBP_STR(k->created_by_type),
	    DBP_STR(k->created_by_id), DBP_STR(k->root_user_id), DBP_OPT(k->parent_key_id),
	    DBP_STR(k->chain_permissions), DBP_OPT(k->parent_expires_at));
}

enum db_result
store_apikey_guard_parent(struct db *db, const char *id, const char *org_id, bool *live)
{
	return STORE_CHANGE(db, STMT_APIKEY_GUARD_PARENT, live, DBP_STR(id), DBP_STR(org_id));
}

enum db_result
store_apikey_revoke(struct db *db, const char *id, const char *org_id, bool *found)
{
	enum db_result r = STORE_CHANGE(db, STMT_APIKEY_REVOKE, found, DBP_STR(id), DBP_STR(org_id));

	if (!*found)
		return r;
	return STORE_RUN(db, STMT_APIKEY_REVOKE_DESCENDANTS, NULL, NULL, DBP_STR(id), DBP_STR(org_id));
}

enum db_result
store_apikey_usage(struct db *db, const char *id, long long count, long long last_at, const char *ip)
{
	return STORE_RUN(db, STMT_APIKEY_USAGE, NULL, NULL, DBP_INT(count), DBP_INT(last_at),
	    DBP_OPT(ip), DBP_INT(last_at), DBP_INT(last_at), DBP_STR(id));
}

enum db_result
store_apikey_for_rotation(struct db *db, struct arena *a, const char *id, const char *org_id,
    struct apikey_row *k, bool *found, bool *taken, const char **expires_at)
{
	struct db_rows rows;
	enum db_result r = STORE_ONE(db, a, STMT_APIKEY_FOR_ROTATION, &rows, found, DBP_STR(id),
	    DBP_STR(org_id));

	*taken = false;
	*expires_at = NULL;
	if (*found) {
		STORE_DECODE(&rows, 0, key_fields, k);
		*taken = db_cell_int(&rows, 0, APIKEY_COL_ROTATION_TAKEN) != 0;
		*expires_at = db_cell(&rows, 0, APIKEY_COL_ROTATION_EXPIRES_AT);
	}
	return r;
}

enum db_result
store_apikey_rotate(struct db *db, struct arena *a, const struct apikey_successor *n,
    const char *old_id, const char *org_id, long overlap, const char **ends_at)
{
	struct db_rows rows;
	bool marked = false, found = false;
	enum db_result r = STORE_RUN(db, STMT_APIKEY_ROTATE_COPY, NULL, NULL, DBP_STR(n->id),
	    DBP_STR(n->prefix), DBP_BYTES(n->digest, n->digest_len), DBP_STR(n->created_by_type),
	    DBP_STR(n->created_by_id), DBP_STR(old_id), DBP_STR(org_id));

	if (r == DB_OK)
		r = STORE_CHANGE(db, STMT_APIKEY_ROTATE_MARK, &marked, DBP_STR(n->id), DBP_INT(overlap),
		    DBP_STR(old_id), DBP_STR(org_id));
	/* The row was locked by store_apikey_for_rotation: nobody else can have marked it. */
	if (r == DB_OK && !marked)
		return DB_ERROR;
	if (r == DB_OK)
		r = STORE_ONE(db, a, STMT_APIKEY_ROTATION_ENDS, &rows, &found, DBP_STR(old_id));
	*ends_at = found ? db_cell(&rows, 0, 0) : NULL;
	return r;
}

enum db_result
store_apikey_policy_get(struct db *db, struct arena *a, const char *org_id,
    struct apikey_policy *pol)
{
	struct db_rows rows;
	bool found = false;
	enum db_result r = STORE_ONE(db, a, STMT_APIKEY_POLICY_GET, &rows, &found, DBP_STR(org_id));

	pol->rotation_days = 90;
	pol->max_lifetime_days = 0;
	if (found) {
		pol->rotation_days = db_cell_int(&rows, 0, POLICY_COL_ROTATION_DAYS);
		pol->max_lifetime_days = db_cell_int(&rows, 0, POLICY_COL_MAX_LIFETIME_DAYS);
	}
	return r;
}

enum db_result
store_apikey_policy_set(struct db *db, const char *org_id, const struct apikey_policy *pol)
{
	return STORE_RUN(db, STMT_APIKEY_POLICY_SET, NULL, NULL, DBP_INT(pol->rotation_days),
	    pol->max_lifetime_days > 0 ? DBP_INT(pol->max_lifetime_days) : DBP_NULL,
	    DBP_STR(org_id));
}

enum db_result
store_apikey_due(struct db *db, struct arena *a, struct db_rows *rows)
{
	return db_exec(db, store_stmt(STMT_APIKEY_DUE), NULL, 0, rows, a);
}

enum db_result
store_apikey_activity_add(struct db *db, const char *id, long long at, const char *ip,
    long long served, long long refused)
{
	return STORE_RUN(db, STMT_APIKEY_ACTIVITY_ADD, NULL, NULL, DBP_STR(id), DBP_INT(at),
	    DBP_STR(ip), DBP_INT(served), DBP_INT(refused));
}

enum db_result
store_apikey_network_seen(struct db *db, struct arena *a, const char *id, const char *network,
    long long first, long long last, bool *is_new)
{
	struct db_rows rows;
	bool found = false;
	long long token = 0;

	*is_new = false;
	/* Positive and random: nobody else's flush can have written the same one. */
	if (util_random(&token, sizeof(token)) != 0)
		return DB_ERROR;
	token &= 0x7fffffffffffffffLL;
	enum db_result r = STORE_RUN(db, STMT_APIKEY_NETWORK_SEEN, NULL, NULL, DBP_STR(id),
	    DBP_STR(network), DBP_INT(first), DBP_INT(last), DBP_INT(token));
	if (r == DB_OK)
		r = STORE_ONE(db, a, STMT_APIKEY_NETWORK_TOKEN, &rows, &found, DBP_STR(id),
		    DBP_STR(network));
	*is_new = r == DB_OK && found && db_cell_int(&rows, 0, 0) == token;
	return r;
}

enum db_result
store_apikey_activity(struct db *db, struct arena *a, const char *id, const char *org_id,
    bool *found, struct db_rows *days, struct db_rows *ips)
{
	struct db_rows rows;
	enum db_result r = STORE_ONE(db, a, STMT_APIKEY_IN_ORG, &rows, found, DBP_STR(id),
	    DBP_STR(org_id));

	if (r != DB_OK || !*found)
		return r;
	if ((r = STORE_RUN(db, STMT_APIKEY_ACTIVITY_DAYS, days, a, DBP_STR(id))) != DB_OK)
		return r;
	return STORE_RUN(db, STMT_APIKEY_ACTIVITY_IPS, ips, a, DBP_STR(id));
}
