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

#define AUDIT_COLUMNS \
	"SELECT id, DATE_FORMAT(occurred_at, '%Y-%m-%dT%H:%i:%sZ'), action, outcome, actor_type, " \
	"actor_id, ip, user_agent, target_type, target_id FROM audit_log " \
	"WHERE organization_id = ? AND occurred_at >= FROM_UNIXTIME(?) "
#define AUDIT_ORDER " ORDER BY occurred_at DESC, id DESC LIMIT ? OFFSET ?"

enum db_result
store_audit_list(struct db *db, struct arena *a, const char *org_id, const char *action,
    const char *actor_id, long long since, long limit, long offset, struct db_rows *rows)
{
	/* One statement per filter combination, so each uses its own index. */
	static struct db_query none = DB_QUERY(AUDIT_COLUMNS AUDIT_ORDER);
	static struct db_query by_action = DB_QUERY(AUDIT_COLUMNS "AND action = ?" AUDIT_ORDER);
	static struct db_query by_actor = DB_QUERY(AUDIT_COLUMNS "AND actor_id = ?" AUDIT_ORDER);
	static struct db_query by_both = DB_QUERY(AUDIT_COLUMNS "AND action = ? AND actor_id = ?" AUDIT_ORDER);
	struct db_param p[6];
	size_t n = 0;
	struct db_query *q = &none;

	p[n++] = DBP_STR(org_id);
	p[n++] = DBP_INT(since);
	if (action != NULL)
		p[n++] = DBP_STR(action);
	if (actor_id != NULL)
		p[n++] = DBP_STR(actor_id);
	p[n++] = DBP_INT(limit);
	p[n++] = DBP_INT(offset);
	if (action != NULL && actor_id != NULL)
		q = &by_both;
	else if (action != NULL)
		q = &by_action;
	else if (actor_id != NULL)
		q = &by_actor;
	return db_exec(db, q, p, n, rows, a);
}
