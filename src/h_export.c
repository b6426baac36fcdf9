/* h_export.c -- GET /auth/me/export: a signed-in user's own data, as JSON. */
#include "handlers.h"

#include "store.h"
#include "view.h"

/* doc/api.md section 6, Auth, "GET /auth/me/export": a session without its secrets. */
static const struct view_col session_cols[] = {
	VIEW_COL("id", EXPORT_SESSION_ID)
	VIEW_COL("created_at", EXPORT_SESSION_CREATED_AT)
	VIEW_COL("expires_at", EXPORT_SESSION_EXPIRES_AT)
	VIEW_COL("revoked_at", EXPORT_SESSION_REVOKED_AT)
	VIEW_COL("ip", EXPORT_SESSION_IP)
	VIEW_COL("user_agent", EXPORT_SESSION_USER_AGENT)
	VIEW_END
};

/* A key's metadata: never the key nor its digest. */
static const struct view_col apikey_cols[] = {
	VIEW_COL("id", EXPORT_APIKEY_ID)
	VIEW_COL("name", EXPORT_APIKEY_NAME)
	VIEW_COL("prefix", EXPORT_APIKEY_PREFIX)
	VIEW_COL("created_at", EXPORT_APIKEY_CREATED_AT)
	VIEW_COL("expires_at", EXPORT_APIKEY_EXPIRES_AT)
	VIEW_COL("revoked_at", EXPORT_APIKEY_REVOKED_AT)
	VIEW_COL("last_used_at", EXPORT_APIKEY_LAST_USED_AT)
	VIEW_END
};

static json_object *
rows_array(const struct db_rows *rows, const struct view_col *cols)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++)
		json_object_array_add(arr, cols != NULL ? view_row(rows, i, cols) : view_audit_event(rows, i));
	return arr;
}

enum status
h_auth_me_export(struct ctx *c)
{
	const struct principal *p = &c->principal;
	struct user_export ex;
	struct user_row u;
	bool found = false;
	enum db_result r;

	/* An API key has no personal data of its own: its creator exports theirs. */
	if (p->type != PRINCIPAL_USER)
		return h_fail(c, ST_INSUFFICIENT_PERMISSIONS, "This endpoint requires a user session");
	if ((r = store_user_in_org(c->db, c->a, p->id, p->org_id, &u, &found)) != DB_OK ||
	    (found && (r = store_user_export(c->db, c->a, p->id, p->org_id, &ex)) != DB_OK))
		return reply_db_status(r);
	if (!found)
		return h_fail(c, ST_INVALID_TOKEN, "Token has been revoked");
	json_object *o = json_object_new_object();
	json_object_object_add(o, "user", view_user(&u));
	json_object_object_add(o, "sessions", rows_array(&ex.sessions, session_cols));
	json_object *keys = rows_array(&ex.apikeys, apikey_cols);
	for (size_t i = 0; i < ex.apikeys.nrows; i++)
		json_object_object_add(json_object_array_get_idx(keys, i), "permissions",
		    view_csv_array(db_cell(&ex.apikeys, i, EXPORT_APIKEY_PERMISSIONS)));
	json_object_object_add(o, "api_keys", keys);
	json_object_object_add(o, "audit_events", rows_array(&ex.events, NULL));
	return h_reply(c, ST_OK, o);
}
