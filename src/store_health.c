/* store_health.c -- the liveness query of GET /health. */
#include "store.h"

#include "store_catalog.h"

enum db_result
store_ping(struct db *db, struct arena *a)
{
	struct db_rows rows;
	return db_exec(db, store_stmt(STMT_PING), NULL, 0, &rows, a);
}
