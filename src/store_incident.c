/* store_incident.c -- incidents, procedures and executions, always filtered by organization in SQL. */
#include "store.h"

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
#define INCIDENT_COLUMNS \
	"SELECT id, title, severity, status, description, created_by_type, created_by_id, " \
	ISO("created_at") ", " ISO("updated_at") " FROM incidents "

enum db_result
store_incident_list(struct db *db, struct arena *a, const char *org_id, const char *status,
    long limit, long offset, struct db_rows *rows)
{
	/* Two statements rather than "? IS NULL OR status = ?": each keeps its index. */
	static struct db_query all = DB_QUERY(INCIDENT_COLUMNS
	    "WHERE organization_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?");
	static struct db_query by_status = DB_QUERY(INCIDENT_COLUMNS
	    "WHERE organization_id = ? AND status = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?");
	if (status == NULL) {
		struct db_param p[] = {DBP_STR(org_id), DBP_INT(limit), DBP_INT(offset)};
		return db_exec(db, &all, p, 3, rows, a);
	}
	struct db_param p[] = {DBP_STR(org_id), DBP_STR(status), DBP_INT(limit), DBP_INT(offset)};
	return db_exec(db, &by_status, p, 4, rows, a);
}

enum db_result
store_incident_get(struct db *db, struct arena *a, const char *id, const char *org_id,
    struct db_rows *rows)
{
	static struct db_query q = DB_QUERY(INCIDENT_COLUMNS "WHERE id = ? AND organization_id = ?");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id)};
	return db_exec(db, &q, p, 2, rows, a);
}

enum db_result
store_incident_create(struct db *db, const char *id, const char *org_id, const char *title,
    const char *severity, const char *description, const char *by_type, const char *by_id)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO incidents (id, organization_id, title, severity, description, "
	    "created_by_type, created_by_id) VALUES (?, ?, ?, ?, ?, ?, ?)");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id), DBP_STR(title), DBP_STR(severity),
	    DBP_OPT(description), DBP_STR(by_type), DBP_STR(by_id)};
	return db_exec(db, &q, p, 7, NULL, NULL);
}

enum db_result
store_incident_update(struct db *db, const char *id, const char *org_id, const char *title,
    const char *severity, const char *status, bool set_description, const char *description)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE incidents SET title = COALESCE(?, title), severity = COALESCE(?, severity), "
	    "status = COALESCE(?, status), description = IF(?, ?, description), "
	    "updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND organization_id = ?");
	struct db_param p[] = {DBP_OPT(title), DBP_OPT(severity), DBP_OPT(status),
	    DBP_INT(set_description ? 1 : 0), DBP_OPT(description), DBP_STR(id), DBP_STR(org_id)};
	return db_exec(db, &q, p, 7, NULL, NULL);
}

enum db_result
store_procedure_list(struct db *db, struct arena *a, const char *org_id, long limit, long offset,
    struct db_rows *rows)
{
	static struct db_query q = DB_QUERY(
	    "SELECT id, name, description, created_by_type, created_by_id, " ISO("created_at")
	    " FROM procedures WHERE organization_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?");
	struct db_param p[] = {DBP_STR(org_id), DBP_INT(limit), DBP_INT(offset)};
	return db_exec(db, &q, p, 3, rows, a);
}

enum db_result
store_procedure_create(struct db *db, const char *id, const char *org_id, const char *name,
    const char *description, const char *by_type, const char *by_id)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO procedures (id, organization_id, name, description, created_by_type, "
	    "created_by_id) VALUES (?, ?, ?, ?, ?, ?)");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id), DBP_STR(name), DBP_OPT(description),
	    DBP_STR(by_type), DBP_STR(by_id)};
	return db_exec(db, &q, p, 6, NULL, NULL);
}

enum db_result
store_procedure_exists(struct db *db, struct arena *a, const char *id, const char *org_id,
    bool *found)
{
	static struct db_query q = DB_QUERY(
	    "SELECT 1 FROM procedures WHERE id = ? AND organization_id = ?");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 2, &rows, a);
	*found = r == DB_OK && rows.nrows == 1;
	return r;
}

enum db_result
store_incident_exists(struct db *db, struct arena *a, const char *id, const char *org_id,
    bool *found)
{
	static struct db_query q = DB_QUERY(
	    "SELECT 1 FROM incidents WHERE id = ? AND organization_id = ?");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 2, &rows, a);
	*found = r == DB_OK && rows.nrows == 1;
	return r;
}

enum db_result
store_execution_create(struct db *db, const char *id, const char *org_id, const char *procedure_id,
    const char *incident_id, const char *by_type, const char *by_id)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO procedure_executions (id, organization_id, procedure_id, incident_id, "
	    "requested_by_type, requested_by_id) VALUES (?, ?, ?, ?, ?, ?)");
	struct db_param p[] = {DBP_STR(id), DBP_STR(org_id), DBP_STR(procedure_id),
	    DBP_OPT(incident_id), DBP_STR(by_type), DBP_STR(by_id)};
	return db_exec(db, &q, p, 6, NULL, NULL);
}
