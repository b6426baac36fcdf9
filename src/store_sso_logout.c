/* store_sso_logout.c -- logout that follows the provider: SSO sessions, logout token replay, revocation. */
#include "store.h"

#include <string.h>

#include "store_catalog.h"

enum db_result
store_sso_session_mark(struct db *db, const char *sid, const char *connection, const char *provider_sid)
{
	return STORE_RUN(db, STMT_SSO_SESSION_MARK, NULL, NULL, DBP_STR(connection),
	    DBP_OPT(provider_sid), DBP_STR(sid));
}

enum db_result
store_sso_logout_jti(struct db *db, const char *org_id, const char *jti_hash, long ttl, bool *replayed)
{
	enum db_result r = STORE_RUN(db, STMT_SSO_LOGOUT_JTI, NULL, NULL, DBP_STR(org_id),
	    DBP_STR(jti_hash), DBP_INT(ttl));

	*replayed = r == DB_DUPLICATE;
	return *replayed ? DB_OK : r;
}

/* STMT_SSO_REVOKE_SID and STMT_SSO_REVOKE_SUBJECT are STMT_REVOKES: every worker's cache hears of them. */
enum db_result
store_sso_logout_sessions(struct db *db, const char *org_id, const char *connection, const char *issuer,
    const char *subject, const char *provider_sid, unsigned long long *ended)
{
	struct db_rows rows = {0};
	enum db_result r = provider_sid != NULL ?
	    STORE_RUN(db, STMT_SSO_REVOKE_SID, &rows, NULL, DBP_STR(org_id), DBP_STR(provider_sid),
	    DBP_STR(connection)) :
	    STORE_RUN(db, STMT_SSO_REVOKE_SUBJECT, &rows, NULL, DBP_STR(org_id), DBP_STR(issuer),
	    DBP_STR(subject), DBP_STR(connection));

	*ended = r == DB_OK ? rows.affected : 0;
	return r;
}

enum db_result
store_sso_end_session(struct db *db, struct arena *a, const char *sid, const char **endpoint,
    const char **client_id, bool *found)
{
	struct db_rows rows;
	enum db_result r = STORE_ONE(db, a, STMT_SSO_END_SESSION, &rows, found, DBP_STR(sid));

	*endpoint = *client_id = NULL;
	if (r == DB_OK && *found) {
		*endpoint = db_cell(&rows, 0, 0);
		*client_id = db_cell(&rows, 0, 1);
		*found = *endpoint != NULL && *client_id != NULL;
	}
	return r;
}
