/* store_account.c -- account links: single-use activation and reset tokens, and the password they set. */
#include "store.h"

#include "store_catalog.h"

#define DBP_DIGEST(d) DBP_BYTES((const char *)(d), ACCOUNT_DIGEST_LEN)

enum db_result
store_account_token_issue(struct db *db, const unsigned char digest[ACCOUNT_DIGEST_LEN],
    const char *email, const char *purpose, long ttl, bool *issued)
{
	enum db_result r = STORE_RUN(db, STMT_ACCOUNT_TOKEN_CLEAR, NULL, NULL, DBP_STR(purpose),
	    DBP_STR(email));

	*issued = false;
	if (r != DB_OK)
		return r;
	return STORE_CHANGE(db, STMT_ACCOUNT_TOKEN_CREATE, issued, DBP_DIGEST(digest), DBP_STR(purpose),
	    DBP_INT(ttl), DBP_STR(email));
}

enum db_result
store_account_token_user(struct db *db, struct arena *a, const unsigned char digest[ACCOUNT_DIGEST_LEN],
    const char *purpose, const char **user_id)
{
	return STORE_CELL(db, a, STMT_ACCOUNT_TOKEN_USER, user_id, DBP_DIGEST(digest), DBP_STR(purpose));
}

enum db_result
store_account_token_spend(struct db *db, const unsigned char digest[ACCOUNT_DIGEST_LEN],
    const char *purpose, bool *changed)
{
	return STORE_CHANGE(db, STMT_ACCOUNT_TOKEN_SPEND, changed, DBP_DIGEST(digest), DBP_STR(purpose));
}

enum db_result
store_account_password_set(struct db *db, const char *user_id, const char *hash, const char *pepper_id,
    bool *changed)
{
	return STORE_CHANGE(db, STMT_ACCOUNT_PASSWORD_SET, changed, DBP_STR(hash), DBP_OPT(pepper_id),
	    DBP_STR(user_id));
}
