/* store_audit.c -- append one event to the audit log (time-ordered ids). */
#include "store.h"

#include "util.h"

enum db_result
store_audit(struct db *db, const struct audit_event *ev)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO audit_log (id, organization_id, action, outcome, actor_type, actor_id, ip, "
	    "user_agent, target_type, target_id, detail) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, LEFT(?, 512), ?, ?, ?)");
	char id[UUID_STR_LEN];

	if (util_uuid7(id) != 0)
		return DB_ERROR;
	struct db_param p[] = {DBP_STR(id), DBP_OPT(ev->org_id), DBP_STR(ev->action),
	    DBP_STR(ev->outcome), DBP_STR(ev->actor_type != NULL ? ev->actor_type : "anonymous"),
	    DBP_OPT(ev->actor_id), DBP_OPT(ev->ip), DBP_OPT(ev->user_agent), DBP_OPT(ev->target_type),
	    DBP_OPT(ev->target_id), DBP_OPT(ev->detail)};
	return db_exec(db, &q, p, 11, NULL, NULL);
}
