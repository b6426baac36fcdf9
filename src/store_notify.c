/* store_notify.c -- the notification hook's outbox: queue, claim, done; and whether a sign-in's address is new. */
#include "store.h"

#include <string.h>

#include "store_catalog.h"

enum db_result
store_notify_queue(struct db *db, const char *event, const char *who, bool by_email, const char *detail,
    long ttl)
{
	return STORE_RUN(db, by_email ? STMT_NOTIFY_QUEUE_EMAIL : STMT_NOTIFY_QUEUE_USER, NULL, NULL,
	    DBP_STR(event), DBP_OPT(detail), DBP_INT(ttl), DBP_STR(who));
}

enum db_result
store_notify_claim(struct db *db, struct arena *a, const char *claim, long retry_delay, long max_attempts,
    long batch, struct db_rows *rows)
{
	struct db_rows changed;
	enum db_result r = STORE_RUN(db, STMT_NOTIFY_CLAIM, &changed, NULL, DBP_STR(claim),
	    DBP_INT(retry_delay), DBP_INT(max_attempts), DBP_INT(batch));

	rows->nrows = 0;
	if (r != DB_OK || changed.affected == 0)
		return r;
	return STORE_RUN(db, STMT_NOTIFY_CLAIMED, rows, a, DBP_STR(claim));
}

enum db_result
store_notify_lease(struct db *db, const char *holder, long seconds, bool *got)
{
	return STORE_CHANGE(db, STMT_NOTIFY_LEASE, got, DBP_STR(holder), DBP_INT(seconds));
}

enum db_result
store_notify_release(struct db *db, const char *holder)
{
	return STORE_RUN(db, STMT_NOTIFY_RELEASE, NULL, NULL, DBP_STR(holder));
}

enum db_result
store_notify_done(struct db *db, long long id)
{
	return STORE_RUN(db, STMT_NOTIFY_DONE, NULL, NULL, DBP_INT(id));
}

enum db_result
store_session_seen_ip(struct db *db, struct arena *a, const char *user_id, const char *ip, bool *seen)
{
	struct db_rows rows;

	return STORE_ONE(db, a, STMT_SESSION_SEEN_IP, &rows, seen, DBP_STR(user_id), DBP_STR(ip));
}
