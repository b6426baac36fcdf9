/* h_reply.c -- what resource handlers share: a lookup's 404, a path's row, a list page, a body. */
#include "handlers.h"

#include "audit.h"
#include "params.h"
#include "store.h"

enum status
h_reply(struct ctx *c, enum status st, json_object *body)
{
	reply_json(c->rep, st, body);
	return st;
}

enum status
h_found(struct ctx *c, enum db_result r, bool found, const char *detail)
{
	if (r != DB_OK)
		return reply_db_status(r);
	if (!found) {
		c->probed = true;
		return h_fail(c, ST_NOT_FOUND, detail);
	}
	return ST_OK;
}

static enum status
list_reply(struct ctx *c, struct h_page *pg, h_page_fetch fetch, h_item_view view)
{
	enum status st = params_paging(c, &pg->limit, &pg->offset);

	if (st != ST_OK || (st = fetch(c, pg)) != ST_OK)
		return st;
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < pg->n; i++)
		json_object_array_add(arr, view(pg->items, i));
	return h_reply(c, ST_OK, arr);
}

enum status
h_list(struct ctx *c, h_page_fetch fetch, h_item_view view)
{
	struct h_page pg = {.items = NULL, .n = 0};
	return list_reply(c, &pg, fetch, view);
}

static enum status
org_page(struct ctx *c, struct h_page *pg)
{
	const void *items = NULL;
	enum db_result r = store_org_page(c->db, c->a, pg->what, c->principal.org_id, pg->limit,
	    pg->offset, &items, &pg->n);
	return h_page_items(pg, r, items);
}

enum status
h_org_list(struct ctx *c, const struct store_org_list *what, h_item_view view)
{
	struct h_page pg = {.items = NULL, .n = 0, .what = what};
	return list_reply(c, &pg, org_page, view);
}

enum status
h_page_items(struct h_page *pg, enum db_result r, const void *items)
{
	pg->items = items;
	if (r != DB_OK)
		pg->n = 0;
	return r != DB_OK ? reply_db_status(r) : ST_OK;
}

enum status
h_page_rows(struct h_page *pg, enum db_result r)
{
	pg->n = r == DB_OK ? pg->rows.nrows : 0;
	return h_page_items(pg, r, &pg->rows);
}

enum status
h_path_row(struct ctx *c, char id[UUID_STR_LEN], h_org_lookup lookup, const char *detail)
{
	bool found = false;

	if (!params_uuid(c, 0, id))
		return ST_NOT_FOUND;
	/* Two statements: found is read only after lookup has set it. */
	enum db_result r = lookup(c->db, c->a, id, c->principal.org_id, &found);
	return h_found(c, r, found, detail);
}

enum status
h_path_change(struct ctx *c, h_org_lookup change, const char *detail, const char *action,
    const char *target_type)
{
	char id[UUID_STR_LEN];
	enum status st = h_path_row(c, id, change, detail);
	enum db_result r;

	if (st != ST_OK)
		return st;
	if ((r = audit_record(c, c->principal.org_id, action, "success", target_type, id)) != DB_OK)
		return reply_db_status(r);
	return h_reply(c, ST_NO_CONTENT, NULL);
}
