/* store_health.c -- the liveness query of GET /health. */
#include "store.h"

enum db_result
store_ping(struct db *db, struct arena *a)
{
	static struct db_query q = DB_QUERY("SELECT 1");
	struct db_rows rows;
	return db_exec(db, &q, NULL, 0, &rows, a);
}
