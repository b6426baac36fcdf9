/* revlog.h -- revoking writes: noted as the catalog runs them, logged for other hosts, announced to this host. */
#ifndef OW_REVLOG_H
#define OW_REVLOG_H

#include "config.h"
#include "db.h"
#include "epoch.h"

/*
 * The process's revocation epoch ([cache] segment), opened when the cache
 * is on. A file that is not the service's own leaves it closed, with a log
 * line: the cache then stays off. 0 when open, -1 otherwise. Only the
 * service creates it (create): overwatch-admin, often run as another user,
 * uses the file the service made, or none.
 */
int revlog_open(const struct config *cfg, bool create);
void revlog_close(void);
/* NULL when closed. */
struct epoch *revlog_epoch(void);

/* A STMT_REVOKES statement is being run (store_catalog.c calls it; nothing else should). */
void revlog_note(void);

/*
 * The dispatcher's side (src/dispatch.c dispatch_tx): revlog_mark before
 * BEGIN; revlog_log inside the transaction, before COMMIT, adds the log row
 * when anything was noted; then revlog_announce after COMMIT bumps the
 * epoch, or revlog_rollback(mark) forgets what the rolled-back transaction
 * noted.
 */
unsigned revlog_mark(void);
enum db_result revlog_log(struct db *db);
void revlog_announce(void);
void revlog_rollback(unsigned mark);

/*
 * Revoking writes that ran outside a transaction (autocommitted: refresh
 * reuse detection, overwatch-admin): log them (autocommitted too) and bump.
 * Called before the response is written.
 */
void revlog_settle(struct db *db);

/*
 * Between requests: when this process holds the host's poller lease and a
 * poll is due, read the log's fingerprint and bump the epoch when it moved.
 */
void revlog_poll(struct db *db, const struct config *cfg);

#endif
