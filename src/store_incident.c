/* store_incident.c -- incidents, procedures and executions, always filtered by organization in SQL. */
#include "store.h"

#include "store_catalog.h"

enum db_result
store_incident_list(struct db *db, struct arena *a, const char *org_id, const char *status,
    long limit, long offset, struct db_rows *rows)
{
	if (status == NULL)
		return STORE_RUN(db, STMT_INCIDENT_LIST, rows, a, DBP_STR(org_id), DBP_INT(limit),
		    DBP_INT(offset));
	return STORE_RUN(db, STMT_INCIDENT_LIST_BY_STATUS, rows, a, DBP_STR(org_id), DBP_STR(status),
	    DBP_INT(limit), DBP_INT(offset));
}

enum db_result
store_incident_get(struct db *db, struct arena *a, const char *id, const char *org_id,
    struct db_rows *rows)
{
	return STORE_RUN(db, STMT_INCIDENT_GET, rows, a, DBP_STR(id), DBP_STR(org_id));
}

enum db_result
store_incident_create(struct db *db, const char *id, const char *org_id, const char *title,
    const char *severity, const char *description, const char *by_type, const char *by_id)
{
	return STORE_RUN(db, STMT_INCIDENT_CREATE, NULL, NULL, DBP_STR(id), DBP_STR(org_id),
	    DBP_STR(title), DBP_STR(severity), DBP_OPT(description), DBP_STR(by_type), DBP_STR(by_id));
}

enum db_result
store_incident_update(struct db *db, const char *id, const char *org_id, const char *title,
    const char *severity, const char *status, bool set_description, const char *description)
{
	return STORE_RUN(db, STMT_INCIDENT_UPDATE, NULL, NULL, DBP_OPT(title), DBP_OPT(severity),
	    DBP_OPT(status), DBP_INT(set_description ? 1 : 0), DBP_OPT(description), DBP_STR(id),
	    DBP_STR(org_id));
}

enum db_result
store_procedure_list(struct db *db, struct arena *a, const char *org_id, long limit, long offset,
    struct db_rows *rows)
{
	return STORE_RUN(db, STMT_PROCEDURE_LIST, rows, a, DBP_STR(org_id), DBP_INT(limit),
	    DBP_INT(offset));
}

enum db_result
store_procedure_create(struct db *db, const char *id, const char *org_id, const char *name,
    const char *description, const char *by_type, const char *by_id)
{
	return STORE_RUN(db, STMT_PROCEDURE_CREATE, NULL, NULL, DBP_STR(id), DBP_STR(org_id),
	    DBP_STR(name), DBP_OPT(description), DBP_STR(by_type), DBP_STR(by_id));
}

enum db_result
store_procedure_exists(struct db *db, struct arena *a, const char *id, const char *org_id,
    bool *found)
{
	struct db_rows rows;
	return STORE_ONE(db, a, STMT_PROCEDURE_EXISTS, &rows, found, DBP_STR(id), DBP_STR(org_id));
}

enum db_result
store_incident_exists(struct db *db, struct arena *a, const char *id, const char *org_id,
    bool *found)
{
	struct db_rows rows;
	return STORE_ONE(db, a, STMT_INCIDENT_EXISTS, &rows, found, DBP_STR(id), DBP_STR(org_id));
}

enum db_result
store_execution_create(struct db *db, const char *id, const char *org_id, const char *procedure_id,
    const char *incident_id, const char *by_type, const char *by_id)
{
	return STORE_RUN(db, STMT_EXECUTION_CREATE, NULL, NULL, DBP_STR(id), DBP_STR(org_id),
	    DBP_STR(procedure_id), DBP_OPT(incident_id), DBP_STR(by_type), DBP_STR(by_id));
}
