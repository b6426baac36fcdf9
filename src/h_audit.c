/* h_audit.c -- GET /audit-log: the organization's security trail with filters and paging. */
#include "handlers.h"

#include <string.h>

#include "params.h"
#include "store.h"
#include "view.h"

static bool
ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static json_object *
pair(const char *type, const char *id)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "type", view_opt_string(type));
	json_object_object_add(o, "id", view_opt_string(id));
	return o;
}

enum status
h_audit_list(struct ctx *c)
{
	const char *action = request_query(c->req, "action");
	const char *actor_id = request_query(c->req, "actor_id");
	const char *since_in = request_query(c->req, "since");
	struct db_rows rows;
	time_t since = 0;
	long limit, offset;
	enum status st = params_paging(c, &limit, &offset);

	if (st != ST_OK)
		return st;
	if (action != NULL && (action[0] == '\0' || strlen(action) > 64))
		return params_query_error(c, "action", "must be 1 to 64 characters");
	/*
	 * Actions are ASCII names: any other action matches no event, the answer
	 * of an unknown one (and the ascii column cannot be compared with it).
	 */
	if (action != NULL && !ascii(action)) {
		reply_json(c->rep, ST_OK, json_object_new_array());
		return ST_OK;
	}
	char actor_lc[UUID_STR_LEN];
	if (actor_id != NULL && !params_uuid_text(actor_id, actor_lc))
		return params_query_error(c, "actor_id", "must be a UUID");
	if (since_in != NULL && util_time_parse(since_in, &since) != 0)
		return params_query_error(c, "since", "must be an RFC 3339 date-time");
	enum db_result r = store_audit_list(c->db, c->a, c->principal.org_id, action,
	    actor_id != NULL ? actor_lc : NULL, (long long)since, limit, offset, &rows);
	if (r != DB_OK)
		return reply_db_status(r);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < rows.nrows; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(db_cell(&rows, i, AUDIT_COL_ID)));
		json_object_object_add(o, "occurred_at", json_object_new_string(db_cell(&rows, i, AUDIT_COL_OCCURRED_AT)));
		json_object_object_add(o, "action", json_object_new_string(db_cell(&rows, i, AUDIT_COL_ACTION)));
		json_object_object_add(o, "outcome", json_object_new_string(db_cell(&rows, i, AUDIT_COL_OUTCOME)));
		json_object_object_add(o, "actor", pair(db_cell(&rows, i, AUDIT_COL_ACTOR_TYPE), db_cell(&rows, i, AUDIT_COL_ACTOR_ID)));
		json_object_object_add(o, "ip", view_opt_string(db_cell(&rows, i, AUDIT_COL_IP)));
		json_object_object_add(o, "user_agent", view_opt_string(db_cell(&rows, i, AUDIT_COL_USER_AGENT)));
		json_object_object_add(o, "target", pair(db_cell(&rows, i, AUDIT_COL_TARGET_TYPE), db_cell(&rows, i, AUDIT_COL_TARGET_ID)));
		json_object_array_add(arr, o);
	}
	reply_json(c->rep, ST_OK, arr);
	return ST_OK;
}
