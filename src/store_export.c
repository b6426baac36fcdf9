/* store_export.c -- what GET /auth/me/export reads: one user's sessions, API keys and audit events. */
#include "store.h"

#include "store_catalog.h"

enum db_result
store_user_export(struct db *db, struct arena *a, const char *user_id, const char *org_id,
    struct user_export *out)
{
	enum db_result r;

	if ((r = STORE_RUN(db, STMT_EXPORT_SESSIONS, &out->sessions, a, DBP_STR(user_id),
	    DBP_STR(org_id))) != DB_OK ||
	    (r = STORE_RUN(db, STMT_EXPORT_APIKEYS, &out->apikeys, a, DBP_STR(org_id),
	    DBP_STR(user_id))) != DB_OK)
		return r;
	/* AUDIT_COLUMNS's organization and since (all of it), then the two ranges. */
	return STORE_RUN(db, STMT_EXPORT_AUDIT, &out->events, a, DBP_STR(org_id), DBP_INT(0),
	    DBP_STR(org_id), DBP_STR(user_id), DBP_STR(org_id), DBP_STR(user_id));
}
