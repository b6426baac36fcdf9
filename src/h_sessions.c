/* h_sessions.c -- the caller's own sessions: list, end one, end all (doc/api.md section 6 "Sessions"). */
#include "handlers.h"

#include <string.h>

#include "audit.h"
#include "params.h"
#include "session.h"
#include "store.h"
#include "view.h"

/* doc/api.md section 6, listSessions: one session; current is a boolean, added below. */
static const struct view_col session_cols[] = {
	VIEW_COL("id", SESSION_COL_ID)
	VIEW_COL("created_at", SESSION_COL_CREATED_AT)
	VIEW_COL("last_seen_at", SESSION_COL_LAST_SEEN_AT)
	VIEW_COL("expires_at", SESSION_COL_EXPIRES_AT)
	VIEW_COL("ip", SESSION_COL_IP)
	VIEW_COL("user_agent", SESSION_COL_USER_AGENT)
	VIEW_END
};

static json_object *
session_view(const void *sessions, size_t i)
{
	const struct db_rows *rows = sessions;
	json_object *o = view_row(rows, i, session_cols);
	const char *current = db_cell(rows, i, SESSION_COL_CURRENT);

	json_object_object_add(o, "current",
	    json_object_new_boolean(current != NULL && strcmp(current, "1") == 0));
	return o;
}

static enum status
sessions_page(struct ctx *c, struct h_page *pg)
{
	const struct principal *p = &c->principal;
	return h_page_rows(pg, store_session_list(c->db, c->a, p->id, p->claims.sid,
	    pg->limit, pg->offset, &pg->rows));
}

/* GET /auth/sessions: a user's live sessions, newest first; a key has none (403). */
enum status
h_sessions_list(struct ctx *c)
{
	enum status st = h_user_only(c);

	if (st != ST_OK)
		return st;
	return h_list(c, sessions_page, session_view);
}

/*
 * DELETE /auth/sessions/{id}: end one of the caller's own sessions (TX_WRITE).
 * Another user's session, an ended one and a malformed id are all 404, so
 * that the answer tells nothing about sessions that are not the caller's.
 * Ending any session but the calling one needs a recent proof (step-up,
 * doc/SECURITY.md): a stolen session must not sign its owner out; ending the
 * calling session is a logout and stays free.
 */
enum status
h_sessions_delete(struct ctx *c)
{
	const struct principal *p = &c->principal;
	char id[UUID_STR_LEN];
	bool changed = false;
	enum status st = h_user_only(c);
	enum db_result r;

	if (st != ST_OK)
		return st;
	if (!params_uuid(c, 0, id))
		return h_fail(c, ST_NOT_FOUND, "Session not found");
	if (strcmp(id, p->claims.sid) != 0 && (st = h_step_up(c)) != ST_OK)
		return st;
	if ((r = store_session_revoke_own(c->db, id, p->id, &changed)) != DB_OK)
		return reply_db_status(r);
	if (!changed)
		return h_fail(c, ST_NOT_FOUND, "Session not found");
	if ((r = audit_record(c, p->org_id, "auth.session_revoked", "success", "session", id)) != DB_OK)
		return reply_db_status(r);
	reply_json(c->rep, ST_NO_CONTENT, NULL);
	if (strcmp(id, p->claims.sid) == 0)
		session_cookies_expire(c);
	return ST_NO_CONTENT;
}

/*
 * DELETE /auth/sessions: sign out everywhere, the calling session included
 * (TX_WRITE); it ends other sessions, so it needs a recent proof as above.
 */
enum status
h_sessions_delete_all(struct ctx *c)
{
	const struct principal *p = &c->principal;
	enum status st = h_user_only(c);
	enum db_result r;

	if (st != ST_OK || (st = h_step_up(c)) != ST_OK)
		return st;
	if ((r = store_session_revoke_user(c->db, p->id, NULL)) != DB_OK ||
	    (r = audit_record(c, p->org_id, "auth.logout_all", "success", "user", p->id)) != DB_OK)
		return reply_db_status(r);
	reply_json(c->rep, ST_NO_CONTENT, NULL);
	session_cookies_expire(c);
	return ST_NO_CONTENT;
}
