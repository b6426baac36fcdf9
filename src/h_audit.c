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
event_view(const void *events, size_t i)
{
	return view_audit_event(events, i);
}

/* A page of the trail, filtered by ?action=, ?actor_id= and ?since= (doc/api.md section 6, Audit). */
static enum status
events_page(struct ctx *c, struct h_page *pg)
{
	const char *action = request_query(c->req, "action");
	const char *actor_id = request_query(c->req, "actor_id");
	const char *since_in = request_query(c->req, "since");
	char actor_lc[UUID_STR_LEN];
	time_t since = 0;

	if (action != NULL && (action[0] == '\0' || strlen(action) > 64))
		return params_query_error(c, "action", "must be 1 to 64 characters");
	/*
	 * Actions are ASCII names: any other action matches no event, the answer
	 * of an unknown one (and the ascii column cannot be compared with it).
	 */
	if (action != NULL && !ascii(action))
		return ST_OK;
	if (actor_id != NULL && !params_uuid_text(actor_id, actor_lc))
		return params_query_error(c, "actor_id", "must be a UUID");
	if (since_in != NULL && util_time_parse(since_in, &since) != 0)
		return params_query_error(c, "since", "must be an RFC 3339 date-time");
	return h_page_rows(pg, store_audit_list(c->db, c->a, c->principal.org_id, action,
	    actor_id != NULL ? actor_lc : NULL, (long long)since, pg->limit, pg->offset, &pg->rows));
}

enum status
h_audit_list(struct ctx *c)
{
	return h_list(c, events_page, event_view);
}
