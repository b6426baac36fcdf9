/* h_apikey_activity.c -- GET /api-keys/{id}/activity: a key's use per day and per address, 90 days back. */
#include "handlers.h"

#include "params.h"
#include "store.h"
#include "view.h"

/* doc/api.md section 6, GET /api-keys/{id}/activity: one day, one address. */
static const struct view_col day_cols[] = {
	VIEW_COL("date", DAY_COL_DATE)
	VIEW_COL_TYPED("requests", DAY_COL_REQUESTS, VIEW_INTEGER)
	VIEW_COL_TYPED("rejected", DAY_COL_REJECTED, VIEW_INTEGER)
	VIEW_COL_TYPED("distinct_ips", DAY_COL_IPS, VIEW_INTEGER)
	VIEW_END
};
static const struct view_col ip_cols[] = {
	VIEW_COL("ip", IP_COL_IP)
	VIEW_COL("first_seen", IP_COL_FIRST)
	VIEW_COL("last_seen", IP_COL_LAST)
	VIEW_COL_TYPED("requests", IP_COL_REQUESTS, VIEW_INTEGER)
	VIEW_COL_TYPED("rejected", IP_COL_REJECTED, VIEW_INTEGER)
	VIEW_END
};

static json_object *
rows_view(const struct db_rows *rows, const struct view_col *cols)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++)
		json_object_array_add(arr, view_row(rows, i, cols));
	return arr;
}

/*
 * Any key of the caller's organization, revoked ones included (their
 * refused uses are what a review looks for); the counts come from the
 * workers' batched flushes, so the last second or so may be missing.
 */
enum status
h_apikeys_activity(struct ctx *c)
{
	char id[UUID_STR_LEN];
	struct db_rows days, ips;
	bool found = false;

	if (!params_uuid(c, 0, id))
		return ST_NOT_FOUND;
	enum db_result r = store_apikey_activity(c->db, c->a, id, c->principal.org_id, &found, &days,
	    &ips);
	enum status st = h_found(c, r, found, "API key not found");
	if (st != ST_OK)
		return st;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "key_id", json_object_new_string(id));
	json_object_object_add(o, "days", rows_view(&days, day_cols));
	json_object_object_add(o, "ips", rows_view(&ips, ip_cols));
	return h_reply(c, ST_OK, o);
}
