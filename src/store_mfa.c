/* store_mfa.c -- two-factor sign-in: enrolments, spent steps, recovery codes, challenges, the policy. */
#include "store.h"

#include <string.h>

#include "store_catalog.h"

#define DBP_DIGEST(d) DBP_BYTES((const char *)(d), MFA_DIGEST_LEN)

enum db_result
store_mfa_state(struct db *db, struct arena *a, const char *user_id, const char *org_id,
    struct mfa_state *s)
{
	struct db_rows rows;
	bool found = false;
	enum db_result r = STORE_ONE(db, a, STMT_MFA_STATE, &rows, &found, DBP_STR(user_id),
	    DBP_STR(org_id));

	s->confirmed = found && db_cell_int(&rows, 0, MFA_STATE_COL_CONFIRMED) != 0;
	s->policy = found ? db_cell(&rows, 0, MFA_STATE_COL_POLICY) : "none";
	return r;
}

enum db_result
store_mfa_secret(struct db *db, struct arena *a, const char *user_id, struct mfa_secret *m)
{
	struct db_rows rows;
	enum db_result r = STORE_ONE(db, a, STMT_MFA_SECRET, &rows, &m->found, DBP_STR(user_id));

	if (r != DB_OK || !m->found)
		return r;
	m->sealed = (const unsigned char *)db_cell(&rows, 0, MFA_SECRET_COL_SEALED);
	m->sealed_len = rows.lens[MFA_SECRET_COL_SEALED];
	m->last_step = db_cell_int(&rows, 0, MFA_SECRET_COL_LAST_STEP);
	m->confirmed = db_cell_int(&rows, 0, MFA_SECRET_COL_CONFIRMED) != 0;
	return r;
}

enum db_result
store_mfa_enrol(struct db *db, const char *user_id, const unsigned char *sealed, size_t len)
{
	return STORE_RUN(db, STMT_MFA_ENROL, NULL, NULL, DBP_STR(user_id),
	    DBP_BYTES((const char *)sealed, len));
}

enum db_result
store_mfa_use_step(struct db *db, const char *user_id, long long step, bool confirm, bool *changed)
{
	return STORE_CHANGE(db, confirm ? STMT_MFA_CONFIRM : STMT_MFA_USE_STEP, changed,
	    DBP_INT(step), DBP_STR(user_id), DBP_INT(step));
}

enum db_result
store_mfa_remove(struct db *db, const char *user_id)
{
	enum db_result r;

	if ((r = STORE_RUN(db, STMT_MFA_DELETE, NULL, NULL, DBP_STR(user_id))) != DB_OK ||
	    (r = store_mfa_recovery_clear(db, user_id)) != DB_OK)
		return r;
	return STORE_RUN(db, STMT_MFA_CHALLENGES_CLEAR, NULL, NULL, DBP_STR(user_id));
}

enum db_result
store_mfa_recovery_clear(struct db *db, const char *user_id)
{
	return STORE_RUN(db, STMT_MFA_RECOVERY_CLEAR, NULL, NULL, DBP_STR(user_id));
}

enum db_result
store_mfa_recovery_add(struct db *db, const char *user_id, const unsigned char digest[MFA_DIGEST_LEN])
{
	return STORE_RUN(db, STMT_MFA_RECOVERY_ADD, NULL, NULL, DBP_STR(user_id), DBP_DIGEST(digest));
}

enum db_result
store_mfa_recovery_use(struct db *db, const char *user_id, const unsigned char digest[MFA_DIGEST_LEN],
    bool *changed)
{
	return STORE_CHANGE(db, STMT_MFA_RECOVERY_USE, changed, DBP_STR(user_id), DBP_DIGEST(digest));
}

enum db_result
store_mfa_challenge_create(struct db *db, const unsigned char digest[MFA_DIGEST_LEN],
    const char *user_id, const char *purpose, long ttl)
{
	return STORE_RUN(db, STMT_MFA_CHALLENGE_CREATE, NULL, NULL, DBP_DIGEST(digest), DBP_STR(user_id),
	    DBP_STR(purpose), DBP_INT(ttl));
}

enum db_result
store_mfa_challenge_user(struct db *db, struct arena *a, const unsigned char digest[MFA_DIGEST_LEN],
    const char *purpose, const char **user_id)
{
	return STORE_CELL(db, a, STMT_MFA_CHALLENGE_USER, user_id, DBP_DIGEST(digest), DBP_STR(purpose));
}

enum db_result
store_mfa_challenge_spend(struct db *db, const unsigned char digest[MFA_DIGEST_LEN], bool *changed)
{
	return STORE_CHANGE(db, STMT_MFA_CHALLENGE_SPEND, changed, DBP_DIGEST(digest));
}

enum db_result
store_org_mfa_policy(struct db *db, struct arena *a, const char *org_id, const char **policy)
{
	struct db_rows rows;
	bool found = false;
	enum db_result r = STORE_ONE(db, a, STMT_ORG_MFA_POLICY, &rows, &found, DBP_STR(org_id));

	*policy = found ? db_cell(&rows, 0, 0) : "none";
	return r;
}

enum db_result
store_org_mfa_policy_set(struct db *db, const char *org_id, const char *policy)
{
	return STORE_CHANGE(db, STMT_ORG_MFA_POLICY_SET, NULL, DBP_STR(policy), DBP_STR(org_id));
}
