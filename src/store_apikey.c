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
