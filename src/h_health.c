/* h_health.c -- GET /health: is this worker able to reach the database? */
#include "handlers.h"
#include "store.h"

enum status
h_health(struct ctx *c)
{
	enum db_result r = store_ping(c->db, c->a);
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(r == DB_OK ? "ok" : "degraded"));
	json_object_object_add(o, "database", json_object_new_string(r == DB_OK ? "ok" : "unreachable"));
	if (r == DB_OK) {
		reply_json(c->rep, ST_OK, o);
		return ST_OK;
	}
	/* The contract's 503 body for health is the status document, not the error body. */
	reply_json(c->rep, ST_SERVICE_UNAVAILABLE, o);
	c->rep->retry_after = 5;
	return ST_SERVICE_UNAVAILABLE;
}
