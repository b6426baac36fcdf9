/* store_apikey.c -- API keys: lookup by digest, creation, listing, revocation, usage. */
#include "store.h"

#include <string.h>

#include "store_catalog.h"
#include "util.h"

#define KEY_FIELD(col, kind, member) STORE_FIELD(col, kind, struct key_row, member)
/* The KEY_COLUMNS every key statement selects first (store_catalog.c). */
static const struct store_field key_fields[] = {
	KEY_FIELD(KEY_COL_ID, SK_STR, id),
	KEY_FIELD(KEY_COL_ORG_ID, SK_STR, org_id),
	KEY_FIELD(KEY_COL_NAME, SK_STR, name),
	KEY_FIELD(KEY_COL_PREFIX, SK_STR, prefix),
	KEY_FIELD(KEY_COL_PERMISSIONS, SK_STR, permissions),
	KEY_FIELD(KEY_COL_CHAIN_PERMISSIONS, SK_STR, chain_permissions),
	KEY_FIELD(KEY_COL_ROOT_USER_ID, SK_STR, root_user_id),
	KEY_FIELD(KEY_COL_CREATOR_ROLE, SK_STR, creator_role),
	KEY_FIELD(KEY_COL_REVOKED, SK_BOOL, revoked),
	KEY_FIELD(KEY_COL_EXPIRED, SK_BOOL, expired),
	KEY_FIELD(KEY_COL_PARENT_REVOKED, SK_BOOL, parent_revoked),
	KEY_FIELD(KEY_COL_PARENT_EXPIRED, SK_BOOL, parent_expired),
	KEY_FIELD(KEY_COL_CREATOR_FOUND, SK_BOOL, creator_found),
	KEY_FIELD(KEY_COL_CREATOR_ACTIVE, SK_BOOL, creator_active),
	KEY_FIELD(KEY_COL_EXPIRES_BOUND, SK_LLONG, expires_bound),
};

#define LISTED_FIELD(col, kind, member) STORE_FIELD(col, kind, struct key_listed, member)
/* What STMT_KEY_LIST selects after the KEY_COLUMNS. */
static const struct store_field listed_fields[] = {
	LISTED_FIELD(KEY_COL_CREATED_AT, SK_STR, created_at),
	LISTED_FIELD(KEY_COL_EXPIRES_AT, SK_STR, expires_at),
	LISTED_FIELD(KEY_COL_LAST_USED_AT, SK_STR, last_used_at),
	LISTED_FIELD(KEY_COL_LAST_USED_IP, SK_STR, last_used_ip),
	LISTED_FIELD(KEY_COL_USE_COUNT, SK_LLONG, use_count),
	LISTED_FIELD(KEY_COL_CREATED_BY_TYPE, SK_STR, created_by_type),
	LISTED_FIELD(KEY_COL_CREATED_BY_ID, SK_STR, created_by_id),
};

enum db_result
store_key_by_digest(struct db *db, struct arena *a, const unsigned char *digest, size_t len,
    struct key_row *k, bool *found)
{
	struct db_rows rows;
	enum db_result r = STORE_ONE(db, a, STMT_KEY_BY_DIGEST, &rows, found, DBP_BYTES(digest, len));

	if (!*found)
		return r;
	memset(k, 0, sizeof(*k));
	STORE_DECODE(&rows, 0, key_fields, k);
	k->digest = (const unsigned char *)db_cell(&rows, 0, KEY_COL_DIGEST);
	k->digest_len = rows.lens[KEY_COL_DIGEST];
	return r;
}

enum db_result
store_key_create(struct db *db, const struct key_new *k)
{
	return STORE_RUN(db, STMT_KEY_CREATE, NULL, NULL, DBP_STR(k->id), DBP_STR(k->org_id),
	    DBP_STR(k->name), DBP_STR(k->prefix), DBP_BYTES(k->digest, k->digest_len),
	    DBP_STR(k->permissions), DBP_OPT(k->expires_at), DBP_STR(k->created_by_type),
	    DBP_STR(k->created_by_id), DBP_STR(k->root_user_id), DBP_OPT(k->parent_key_id),
	    DBP_STR(k->chain_permissions), DBP_OPT(k->parent_expires_at));
}

enum db_result
store_key_guard_parent(struct db *db, const char *id, const char *org_id, bool *live)
{
	return STORE_CHANGE(db, STMT_KEY_GUARD_PARENT, live, DBP_STR(id), DBP_STR(org_id));
}

enum db_result
store_key_list(struct db *db, struct arena *a, const char *org_id, long limit, long offset,
    struct key_listed **out, size_t *n)
{
	struct db_rows rows;
	enum db_result r = STORE_RUN(db, STMT_KEY_LIST, &rows, a, DBP_STR(org_id), DBP_INT(limit),
	    DBP_INT(offset));

	*n = 0;
	*out = NULL;
	if (r != DB_OK)
		return r;
	*out = arena_alloc(a, sizeof(**out) * (rows.nrows + 1));
	if (*out == NULL)
		return DB_ERROR;
	for (size_t i = 0; i < rows.nrows; i++) {
		struct key_listed *l = &(*out)[i];
		memset(l, 0, sizeof(*l));
		STORE_DECODE(&rows, i, key_fields, &l->k);
		STORE_DECODE(&rows, i, listed_fields, l);
	}
	*n = rows.nrows;
	return r;
}

enum db_result
store_key_revoke(struct db *db, const char *id, const char *org_id, bool *found)
{
	enum db_result r = STORE_CHANGE(db, STMT_KEY_REVOKE, found, DBP_STR(id), DBP_STR(org_id));

	if (!*found)
		return r;
	return STORE_RUN(db, STMT_KEY_REVOKE_DESCENDANTS, NULL, NULL, DBP_STR(id), DBP_STR(org_id));
}

enum db_result
store_key_usage(struct db *db, const char *id, long long count, long long last_at, const char *ip)
{
	return STORE_RUN(db, STMT_KEY_USAGE, NULL, NULL, DBP_INT(count), DBP_INT(last_at),
	    DBP_OPT(ip), DBP_INT(last_at), DBP_INT(last_at), DBP_STR(id));
}
