/* h_incidents.c -- incidents and procedures: the protected resources that show scoping at work. */
#include "handlers.h"

#include <string.h>

#include "audit.h"
#include "params.h"
#include "store.h"
#include "view.h"

static const char *
by_type(const struct ctx *c)
{
	return c->principal.type == PRINCIPAL_APIKEY ? "api_key" : "user";
}

/* The last members of a new row's body: who asked for it (under key) and created_at, now. */
static json_object *
stamped(const struct ctx *c, json_object *o, const char *key)
{
	char now[RFC3339_LEN];

	util_time_rfc3339(time(NULL), now);
	json_object_object_add(o, key, view_type_id(by_type(c), c->principal.id));
	json_object_object_add(o, "created_at", json_object_new_string(now));
	return o;
}

/* doc/api.md section 6, Protected resources: an incident as every endpoint shows it. */
static const struct view_col incident_cols[] = {
	VIEW_COL("id", INCIDENT_COL_ID)
	VIEW_COL("title", INCIDENT_COL_TITLE)
	VIEW_COL("severity", INCIDENT_COL_SEVERITY)
	VIEW_COL("status", INCIDENT_COL_STATUS)
	VIEW_COL("description", INCIDENT_COL_DESCRIPTION)
	VIEW_COL_TYPED("created_by", INCIDENT_COL_CREATED_BY_ID, INCIDENT_COL_CREATED_BY_TYPE)
	VIEW_COL("created_at", INCIDENT_COL_CREATED_AT)
	VIEW_COL("updated_at", INCIDENT_COL_UPDATED_AT)
	VIEW_END
};

static json_object *
incident_view(const void *incidents, size_t i)
{
	return view_row(incidents, i, incident_cols);
}

static const char *const statuses[] = {"open", "acknowledged", "resolved", NULL};

/* A page of the incidents, of one status when ?status= names one. */
static enum status
incidents_page(struct ctx *c, struct h_page *pg)
{
	const char *status = request_query(c->req, "status");

	if (status != NULL) {
		bool known = false;
		for (int i = 0; statuses[i] != NULL; i++)
			known = known || strcmp(status, statuses[i]) == 0;
		if (!known)
			return params_query_error(c, "status", "must be open, acknowledged or resolved");
	}
	return h_page_rows(pg, store_incident_list(c->db, c->a, c->principal.org_id, status, pg->limit,
	    pg->offset, &pg->rows));
}

enum status
h_incidents_list(struct ctx *c)
{
	return h_list(c, incidents_page, incident_view);
}

static enum status
reply_incident(struct ctx *c, const char *id, enum status ok)
{
	struct db_rows rows;
	enum db_result r = store_incident_get(c->db, c->a, id, c->principal.org_id, &rows);
	enum status st = h_found(c, r, r == DB_OK && rows.nrows == 1, "Incident not found");
	return st != ST_OK ? st : h_reply(c, ok, incident_view(&rows, 0));
}

enum status
h_incidents_create(struct ctx *c)
{
	const char *org = c->principal.org_id;
	char id[UUID_STR_LEN];
	enum db_result r;

	if (util_uuid(id) != 0)
		return ST_INTERNAL_ERROR;
	/*
	 * TX_WRITE. Read the row back before the commit: after it, a failure
	 * would answer 503 for a stored write.
	 */
	struct db_rows rows;
	if ((r = store_incident_create(c->db, id, org, jv_str(&c->in, "title"),
	    jv_str(&c->in, "severity"), jv_str(&c->in, "description"),
	    by_type(c), c->principal.id)) != DB_OK ||
	    (r = audit_record(c, org, "incident.created", "success", "incident", id)) != DB_OK ||
	    (r = store_incident_get(c->db, c->a, id, org, &rows)) != DB_OK || rows.nrows != 1)
		return r != DB_OK ? reply_db_status(r) : ST_INTERNAL_ERROR;
	return h_reply(c, ST_CREATED, incident_view(&rows, 0));
}

enum status
h_incidents_get(struct ctx *c)
{
	char id[UUID_STR_LEN];
	if (!params_uuid(c, 0, id))
		return ST_NOT_FOUND;
	return reply_incident(c, id, ST_OK);
}

enum status
h_incidents_update(struct ctx *c)
{
	const char *org = c->principal.org_id;
	char id[UUID_STR_LEN];
	enum db_result r;
	/* TX_WRITE: the update, its record and the row read back in one transaction. */
	enum status st = h_path_row(c, id, store_incident_exists, "Incident not found");

	if (st != ST_OK)
		return st;
	if ((r = store_incident_update(c->db, id, org, jv_str(&c->in, "title"),
	    jv_str(&c->in, "severity"), jv_str(&c->in, "status"),
	    jv_field(&c->in, "description")->given,
	    jv_str(&c->in, "description"))) != DB_OK ||
	    (r = audit_record(c, org, "incident.updated", "success", "incident", id)) != DB_OK)
		return reply_db_status(r);
	return reply_incident(c, id, ST_OK);
}

static const struct view_col procedure_cols[] = {
	VIEW_COL("id", PROCEDURE_COL_ID)
	VIEW_COL("name", PROCEDURE_COL_NAME)
	VIEW_COL("description", PROCEDURE_COL_DESCRIPTION)
	VIEW_COL_TYPED("created_by", PROCEDURE_COL_CREATED_BY_ID, PROCEDURE_COL_CREATED_BY_TYPE)
	VIEW_COL("created_at", PROCEDURE_COL_CREATED_AT)
	VIEW_END
};

static json_object *
procedure_view(const void *procedures, size_t i)
{
	return view_row(procedures, i, procedure_cols);
}

static enum status
procedures_page(struct ctx *c, struct h_page *pg)
{
	return h_page_rows(pg, store_procedure_list(c->db, c->a, c->principal.org_id, pg->limit, pg->offset,
	    &pg->rows));
}

enum status
h_procedures_list(struct ctx *c)
{
	return h_list(c, procedures_page, procedure_view);
}

enum status
h_procedures_create(struct ctx *c)
{
	const char *org = c->principal.org_id;
	const char *name = jv_str(&c->in, "name");
	const char *description = jv_str(&c->in, "description");
	char id[UUID_STR_LEN];
	enum db_result r;

	if (util_uuid(id) != 0)
		return ST_INTERNAL_ERROR;
	/* TX_WRITE: the procedure and its record commit together. */
	if ((r = store_procedure_create(c->db, id, org, name, description, by_type(c),
	    c->principal.id)) != DB_OK ||
	    (r = audit_record(c, org, "procedure.created", "success", "procedure", id)) != DB_OK)
		return reply_db_status(r);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "description", view_opt_string(description));
	return h_reply(c, ST_CREATED, stamped(c, o, "created_by"));
}

enum status
h_procedures_execute(struct ctx *c)
{
	const char *org = c->principal.org_id;
	const char *incident_in = jv_str(&c->in, "incident_id");
	char id[UUID_STR_LEN], proc[UUID_STR_LEN], incident[UUID_STR_LEN];
	bool found = false;
	enum db_result r;

	if (!params_uuid(c, 0, proc))
		return ST_NOT_FOUND;
	if (incident_in != NULL && !params_uuid_text(incident_in, incident))
		return params_field_error(c, "incident_id", "must be a UUID");
	if (util_uuid(id) != 0)
		return ST_INTERNAL_ERROR;
	/* TX_WRITE: the checks, the execution and its record in one transaction. */
	r = store_procedure_exists(c->db, c->a, proc, org, &found);
	enum status st = h_found(c, r, found, "Procedure not found");
	if (st != ST_OK)
		return st;
	if (incident_in != NULL) {
		r = store_incident_exists(c->db, c->a, incident, org, &found);
		if ((st = h_found(c, r, found, "Incident not found")) != ST_OK)
			return st;
	}
	if ((r = store_execution_create(c->db, id, org, proc, incident_in != NULL ? incident : NULL,
	    by_type(c), c->principal.id)) != DB_OK ||
	    (r = audit_record(c, org, "procedure.executed", "success", "procedure", proc)) != DB_OK)
		return reply_db_status(r);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "procedure_id", json_object_new_string(proc));
	json_object_object_add(o, "incident_id", incident_in != NULL ? json_object_new_string(incident) : NULL);
	json_object_object_add(o, "status", json_object_new_string("queued"));
	return h_reply(c, ST_ACCEPTED, stamped(c, o, "requested_by"));
}
