/* store_session.c -- sessions, the refresh-token chain, and the revoked-token list. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "store_catalog.h"

enum db_result
store_session_create(struct db *db, const char *id, const char *user_id, const char *org_id,
    const char *refresh_jti, const struct session_policy *policy, const char *ip, const char *ua)
{
	return STORE_RUN(db, STMT_SESSION_CREATE, NULL, NULL, DBP_STR(id), DBP_STR(user_id),
	    DBP_STR(org_id), DBP_INT(policy->ttl), DBP_INT(policy->idle_timeout), DBP_STR(refresh_jti), DBP_OPT(ip), DBP_OPT(ua));
}

#define CHECK_FIELD(col, kind, member) STORE_FIELD(col, kind, struct session_check, member)
static const struct store_field check_fields[] = {CHECK_COLUMNS_LIST(CHECK_FIELD)};

enum db_result
store_session_check(struct db *db, struct arena *a, const char *sid, const char *user_id,
    const char *jti, struct session_check *out)
{
	struct db_rows rows;
	enum db_result r;

	memset(out, 0, sizeof(*out));
	r = STORE_ONE(db, a, STMT_SESSION_CHECK, &rows, &out->found, DBP_STR(jti), DBP_STR(sid),
	    DBP_STR(user_id));
	if (out->found)
		STORE_DECODE(&rows, 0, check_fields, out);
	return r;
}

#define REFRESH_FIELD(col, kind, member) STORE_FIELD(col, kind, struct session_refresh, member)
static const struct store_field refresh_fields[] = {REFRESH_COLUMNS_LIST(REFRESH_FIELD)};

enum db_result
store_session_for_refresh(struct db *db, struct arena *a, const char *sid, long grace,
    struct session_refresh *out)
{
	struct db_rows rows;
	enum db_result r;

	memset(out, 0, sizeof(*out));
	r = STORE_ONE(db, a, STMT_SESSION_FOR_REFRESH, &rows, &out->found, DBP_INT(grace),
	    DBP_STR(sid));
	if (out->found)
		STORE_DECODE(&rows, 0, refresh_fields, out);
	return r;
}

enum db_result
store_session_rotate(struct db *db, const char *sid, const char *old_jti, const char *new_jti,
    long long rotated_at, bool *moved)
{
	return STORE_CHANGE(db, STMT_SESSION_ROTATE, moved, DBP_STR(new_jti), DBP_INT(rotated_at),
	    DBP_STR(sid), DBP_STR(old_jti));
}

enum db_result
store_session_touch(struct db *db, const char *sid)
{
	return STORE_RUN(db, STMT_SESSION_TOUCH, NULL, NULL, DBP_STR(sid));
}

enum db_result
store_session_list(struct db *db, struct arena *a, const char *user_id, const char *current_sid,
    long limit, long offset, struct db_rows *rows)
{
	return STORE_RUN(db, STMT_SESSION_LIST, rows, a, DBP_STR(current_sid), DBP_STR(user_id),
	    DBP_INT(limit), DBP_INT(offset));
}

enum db_result
store_session_proved(struct db *db, struct arena *a, const char *sid, long window, bool *recent)
{
	const char *proved = NULL;
	enum db_result r = STORE_CELL(db, a, STMT_SESSION_PROVED, &proved, DBP_INT(window), DBP_STR(sid));

	/* NULL: no such session, or never proved. */
	*recent = r == DB_OK && proved != NULL && strtoll(proved, NULL, 10) == 1;
	return r;
}

enum db_result
store_session_prove(struct db *db, const char *sid)
{
	return STORE_RUN(db, STMT_SESSION_PROVE, NULL, NULL, DBP_STR(sid));
}

enum db_result
store_session_revoke_own(struct db *db, const char *sid, const char *user_id, bool *changed)
{
	return STORE_CHANGE(db, STMT_SESSION_REVOKE_OWN, changed, DBP_STR(sid), DBP_STR(user_id));
}

enum db_result
store_session_revoke(struct db *db, const char *sid)
{
	return STORE_RUN(db, STMT_SESSION_REVOKE, NULL, NULL, DBP_STR(sid));
}

enum db_result
store_session_revoke_user(struct db *db, const char *user_id, const char *keep_sid)
{
	return STORE_RUN(db, STMT_SESSION_REVOKE_USER, NULL, NULL, DBP_STR(user_id),
	    DBP_STR(keep_sid != NULL ? keep_sid : ""));
}

enum db_result
store_token_revoke(struct db *db, const char *jti, long long exp)
{
	return STORE_RUN(db, STMT_TOKEN_REVOKE, NULL, NULL, DBP_STR(jti), DBP_INT(exp));
}
