/* h_apikey_activity.c -- GET /api-keys/{id}/activity: a key's use per day and per address, 90 days back. */
#include "handlers.h"

#include <stdlib.h>

#include "params.h"
#include "store.h"
#include "view.h"

static json_object *
count_of(const struct db_rows *rows, size_t i, size_t col)
{
	return json_object_new_int64(db_cell_int(rows, i, col));
}

static json_object *
days_view(const struct db_rows *rows)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "date", view_opt_string(db_cell(rows, i, DAY_COL_DATE)));
		json_object_object_add(o, "requests", count_of(rows, i, DAY_COL_REQUESTS));
		json_object_object_add(o, "rejected", count_of(rows, i, DAY_COL_REJECTED));
		json_object_object_add(o, "distinct_ips", count_of(rows, i, DAY_COL_IPS));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *
ips_view(const struct db_rows *rows)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "ip", view_opt_string(db_cell(rows, i, IP_COL_IP)));
		json_object_object_add(o, "first_seen", view_opt_string(db_cell(rows, i, IP_COL_FIRST)));
		json_object_object_add(o, "last_seen", view_opt_string(db_cell(rows, i, IP_COL_LAST)));
		json_object_object_add(o, "requests", count_of(rows, i, IP_COL_REQUESTS));
		json_object_object_add(o, "rejected", count_of(rows, i, IP_COL_REJECTED));
		json_object_array_add(arr, o);
	}
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
	json_object_object_add(o, "days", days_view(&days));
	json_object_object_add(o, "ips", ips_view(&ips));
	return h_reply(c, ST_OK, o);
}
