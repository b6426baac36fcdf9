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
	return c->principal.type == PRINCIPAL_API_KEY ? "api_key" : "user";
}

static json_object *
actor(const char *type, const char *id)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "id", json_object_new_string(id));
	return o;
}

static json_object *
incident_view(const struct db_rows *rows, size_t i)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(db_cell(rows, i, INCIDENT_COL_ID)));
	json_object_object_add(o, "title", json_object_new_string(db_cell(rows, i, INCIDENT_COL_TITLE)));
	json_object_object_add(o, "severity", json_object_new_string(db_cell(rows, i, INCIDENT_COL_SEVERITY)));
	json_object_object_add(o, "status", json_object_new_string(db_cell(rows, i, INCIDENT_COL_STATUS)));
	json_object_object_add(o, "description", view_opt_string(db_cell(rows, i, INCIDENT_COL_DESCRIPTION)));
	json_object_object_add(o, "created_by", actor(db_cell(rows, i, INCIDENT_COL_CREATED_BY_TYPE), db_cell(rows, i, INCIDENT_COL_CREATED_BY_ID)));
	json_object_object_add(o, "created_at", json_object_new_string(db_cell(rows, i, INCIDENT_COL_CREATED_AT)));
	json_object_object_add(o, "updated_at", json_object_new_string(db_cell(rows, i, INCIDENT_COL_UPDATED_AT)));
	return o;
}

static const char *const statuses[] = {"open", "acknowledged", "resolved", NULL};

enum status
h_incidents_list(struct ctx *c)
{
	const char *status = request_query(c->req, "status");
	struct db_rows rows;
	long limit, offset;
	enum status st = params_paging(c, &limit, &offset);

	if (st != ST_OK)
		return st;
	if (status != NULL) {
		bool known = false;
		for (int i = 0; statuses[i] != NULL; i++)
			known = known || strcmp(status, statuses[i]) == 0;
		if (!known)
			return params_query_error(c, "status", "must be open, acknowledged or resolved");
	}
	enum db_result r = store_incident_list(c->db, c->a, c->principal.org_id, status, limit, offset, &rows);
	if (r != DB_OK)
		return reply_db_status(r);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < rows.nrows; i++)
		json_object_array_add(arr, incident_view(&rows, i));
	reply_json(c->rep, ST_OK, arr);
	return ST_OK;
}

static enum status
reply_incident(struct ctx *c, const char *id, enum status ok)
{
	struct db_rows rows;
	enum db_result r = store_incident_get(c->db, c->a, id, c->principal.org_id, &rows);
	if (r != DB_OK)
		return reply_db_status(r);
	if (rows.nrows != 1)
		return h_fail(c, ST_NOT_FOUND, "Incident not found");
	reply_json(c->rep, ok, incident_view(&rows, 0));
	return ok;
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
	reply_json(c->rep, ST_CREATED, incident_view(&rows, 0));
	return ST_CREATED;
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
	bool found = false;
	enum db_result r;

	if (!params_uuid(c, 0, id))
		return ST_NOT_FOUND;
	/* TX_WRITE: the update, its record and the row read back in one transaction. */
	if ((r = store_incident_exists(c->db, c->a, id, org, &found)) != DB_OK)
		return reply_db_status(r);
	if (!found)
		return h_fail(c, ST_NOT_FOUND, "Incident not found");
	if ((r = store_incident_update(c->db, id, org, jv_str(&c->in, "title"),
	    jv_str(&c->in, "severity"), jv_str(&c->in, "status"),
	    jv_field(&c->in, "description")->given,
	    jv_str(&c->in, "description"))) != DB_OK ||
	    (r = audit_record(c, org, "incident.updated", "success", "incident", id)) != DB_OK)
		return reply_db_status(r);
	return reply_incident(c, id, ST_OK);
}

static json_object *
procedure_view(const struct db_rows *rows, size_t i)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(db_cell(rows, i, PROCEDURE_COL_ID)));
	json_object_object_add(o, "name", json_object_new_string(db_cell(rows, i, PROCEDURE_COL_NAME)));
	json_object_object_add(o, "description", view_opt_string(db_cell(rows, i, PROCEDURE_COL_DESCRIPTION)));
	json_object_object_add(o, "created_by", actor(db_cell(rows, i, PROCEDURE_COL_CREATED_BY_TYPE), db_cell(rows, i, PROCEDURE_COL_CREATED_BY_ID)));
	json_object_object_add(o, "created_at", json_object_new_string(db_cell(rows, i, PROCEDURE_COL_CREATED_AT)));
	return o;
}

enum status
h_procedures_list(struct ctx *c)
{
	struct db_rows rows;
	long limit, offset;
	enum status st = params_paging(c, &limit, &offset);

	if (st != ST_OK)
		return st;
	enum db_result r = store_procedure_list(c->db, c->a, c->principal.org_id, limit, offset, &rows);
	if (r != DB_OK)
		return reply_db_status(r);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < rows.nrows; i++)
		json_object_array_add(arr, procedure_view(&rows, i));
	reply_json(c->rep, ST_OK, arr);
	return ST_OK;
}

enum status
h_procedures_create(struct ctx *c)
{
	const char *org = c->principal.org_id;
	const char *name = jv_str(&c->in, "name");
	const char *description = jv_str(&c->in, "description");
	char id[UUID_STR_LEN], now[RFC3339_LEN];
	enum db_result r;

	if (util_uuid(id) != 0)
		return ST_INTERNAL_ERROR;
	/* TX_WRITE: the procedure and its record commit together. */
	if ((r = store_procedure_create(c->db, id, org, name, description, by_type(c),
	    c->principal.id)) != DB_OK ||
	    (r = audit_record(c, org, "procedure.created", "success", "procedure", id)) != DB_OK)
		return reply_db_status(r);
	util_time_rfc3339(time(NULL), now);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "description", view_opt_string(description));
	json_object_object_add(o, "created_by", actor(by_type(c), c->principal.id));
	json_object_object_add(o, "created_at", json_object_new_string(now));
	reply_json(c->rep, ST_CREATED, o);
	return ST_CREATED;
}

enum status
h_procedures_execute(struct ctx *c)
{
	const char *org = c->principal.org_id;
	const char *incident_in = jv_str(&c->in, "incident_id");
	char id[UUID_STR_LEN], proc[UUID_STR_LEN], incident[UUID_STR_LEN], now[RFC3339_LEN];
	bool found = false;
	enum db_result r;

	if (!params_uuid(c, 0, proc))
		return ST_NOT_FOUND;
	if (incident_in != NULL && !params_uuid_text(incident_in, incident))
		return params_field_error(c, "incident_id", "must be a UUID");
	if (util_uuid(id) != 0)
		return ST_INTERNAL_ERROR;
	/* TX_WRITE: the checks, the execution and its record in one transaction. */
	if ((r = store_procedure_exists(c->db, c->a, proc, org, &found)) != DB_OK)
		return reply_db_status(r);
	if (!found)
		return h_fail(c, ST_NOT_FOUND, "Procedure not found");
	if (incident_in != NULL) {
		if ((r = store_incident_exists(c->db, c->a, incident, org, &found)) != DB_OK)
			return reply_db_status(r);
		if (!found)
			return h_fail(c, ST_NOT_FOUND, "Incident not found");
	}
	if ((r = store_execution_create(c->db, id, org, proc, incident_in != NULL ? incident : NULL,
	    by_type(c), c->principal.id)) != DB_OK ||
	    (r = audit_record(c, org, "procedure.executed", "success", "procedure", proc)) != DB_OK)
		return reply_db_status(r);
	util_time_rfc3339(time(NULL), now);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "procedure_id", json_object_new_string(proc));
	json_object_object_add(o, "incident_id", incident_in != NULL ? json_object_new_string(incident) : NULL);
	json_object_object_add(o, "status", json_object_new_string("queued"));
	json_object_object_add(o, "requested_by", actor(by_type(c), c->principal.id));
	json_object_object_add(o, "created_at", json_object_new_string(now));
	reply_json(c->rep, ST_ACCEPTED, o);
	return ST_ACCEPTED;
}
