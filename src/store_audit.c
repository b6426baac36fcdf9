/* store_audit.c -- append one event to the audit log (time-ordered ids). */
#include "store.h"

#include "audit_syslog.h"
#include "store_catalog.h"
#include "util.h"

/* Column limits of audit_log (sql/001_schema.sql). */
#define AUDIT_TARGET_MAX 64         /* target_id: ASCII bytes */
#define AUDIT_UA_CHARS 512          /* user_agent: characters */
#define AUDIT_DETAIL_CHARS 1024     /* detail: characters kept of a note */

/*
 * Every event is stored, whatever bytes the client chose: a target taken from
 * a request path (the authorizer's permission.denied) or a User-Agent may be
 * long, non-ASCII or not UTF-8 at all, and a value the column refuses would
 * lose the event (or fail the transaction that records it). So each field is
 * cut to its column and made valid for it here, where every event passes.
 */
enum db_result
store_audit(struct db *db, const struct audit_event *ev)
{
	char target[AUDIT_TARGET_MAX + 1], ua[AUDIT_UA_CHARS * 4 + 1];
	char detail[AUDIT_DETAIL_CHARS * 4 + 1];
	char id[UUID_STR_LEN];

	if (util_uuid7(id) != 0)
		return DB_ERROR;
	const char *t = NULL, *u = NULL, *d = NULL;
	if (ev->target_id != NULL) {
		util_ascii_clean(target, sizeof(target), ev->target_id);
		t = target;
	}
	if (ev->user_agent != NULL) {
		util_utf8_clean(ua, sizeof(ua), ev->user_agent, AUDIT_UA_CHARS);
		u = ua;
	}
	if (ev->detail != NULL) {
		util_utf8_clean(detail, sizeof(detail), ev->detail, AUDIT_DETAIL_CHARS);
		d = detail;
	}
	enum db_result r = STORE_RUN(db, STMT_AUDIT_INSERT, NULL, NULL, DBP_STR(id), DBP_OPT(ev->org_id),
	    DBP_STR(ev->action), DBP_STR(ev->outcome),
	    DBP_STR(ev->actor_type != NULL ? ev->actor_type : "anonymous"), DBP_OPT(ev->actor_id),
	    DBP_OPT(ev->ip), DBP_OPT(u), DBP_OPT(ev->target_type), DBP_OPT(t), DBP_OPT(d));
	/* Here, where every event passes: the off-host copy misses none ([audit] syslog). */
	if (r == DB_OK)
		audit_syslog_send(id, ev, t, u);
	return r;
}

enum db_result
store_audit_list(struct db *db, struct arena *a, const char *org_id, const char *action,
    const char *actor_id, long long since, long limit, long offset, struct db_rows *rows)
{
	/* One statement per filter combination (store_catalog.c), so each uses its own index. */
	struct db_param p[6];
	size_t n = 0;
	enum store_stmt q = STMT_AUDIT_LIST;

	p[n++] = DBP_STR(org_id);
	p[n++] = DBP_INT(since);
	if (action != NULL)
		p[n++] = DBP_STR(action);
	if (actor_id != NULL)
		p[n++] = DBP_STR(actor_id);
	p[n++] = DBP_INT(limit);
	p[n++] = DBP_INT(offset);
	if (action != NULL && actor_id != NULL)
		q = STMT_AUDIT_LIST_BY_BOTH;
	else if (action != NULL)
		q = STMT_AUDIT_LIST_BY_ACTION;
	else if (actor_id != NULL)
		q = STMT_AUDIT_LIST_BY_ACTOR;
	return db_exec(db, store_stmt(q), p, n, rows, a);
}

enum db_result
store_audit_budget(struct db *db, struct arena *a, const char *org_id, long long window,
    long *hits, long *prev)
{
	struct db_rows rows;
	bool found = false;
	enum db_result r = STORE_RUN(db, STMT_AUDIT_BUDGET_HIT, NULL, NULL, DBP_STR(org_id),
	    DBP_INT(window));

	*hits = *prev = 0;
	if (r == DB_OK)
		r = STORE_ONE(db, a, STMT_AUDIT_BUDGET_READ, &rows, &found, DBP_STR(org_id), DBP_INT(window));
	if (r == DB_OK && found) {
		*hits = (long)db_cell_int(&rows, 0, 0);
		*prev = (long)db_cell_int(&rows, 0, 1);
	}
	return r;
}

enum db_result
store_audit_id_owner(struct db *db, struct arena *a, const char *id, const char **org_id,
    const char **kind, bool *found)
{
	struct db_rows rows;
	enum db_result r = STORE_ONE(db, a, STMT_AUDIT_ID_OWNER, &rows, found, DBP_STR(id), DBP_STR(id),
	    DBP_STR(id), DBP_STR(id));

	if (r == DB_OK && *found) {
		*org_id = db_cell(&rows, 0, 0);
		*kind = db_cell(&rows, 0, 1);
	}
	return r;
}

enum db_result
store_audit_unattributed(struct db *db, struct arena *a, long long since, bool by_ip, long limit,
    struct db_rows *rows)
{
	return STORE_RUN(db, by_ip ? STMT_AUDIT_UNATTRIBUTED_BY_IP : STMT_AUDIT_UNATTRIBUTED, rows, a,
	    DBP_INT(since), DBP_INT(limit));
}
