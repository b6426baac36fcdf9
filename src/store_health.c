/* store_health.c -- the liveness query of GET /health and the db-to-status mapping. */
#include "store.h"

#include "store_catalog.h"

enum status
store_status(enum db_result r)
{
	switch (r) {
	case DB_OK:
		return ST_OK;
	case DB_DUPLICATE:
		return ST_CONFLICT;
	case DB_UNAVAILABLE:
		return ST_SERVICE_UNAVAILABLE;
	case DB_DEADLOCK:
		return ST_RETRY;
	case DB_BAD_VALUE:
		return ST_VALIDATION_ERROR;
	case DB_ERROR:
		break;
	}
	return ST_INTERNAL_ERROR;
}

enum db_result
store_ping(struct db *db, struct arena *a)
{
	struct db_rows rows;
	return db_exec(db, store_stmt(STMT_PING), NULL, 0, &rows, a);
}
