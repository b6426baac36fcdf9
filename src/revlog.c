/* revlog.c -- revoking writes: noted as the catalog runs them, logged for other hosts, announced to this host. */
#include "revlog.h"

#include <pwd.h>
#include <unistd.h>

#include "log.h"
#include "store_catalog.h"

/* One request at a time per process: plain statics, as usage.c keeps its counts. */
static struct epoch host_epoch;
static unsigned noted;

int
revlog_open(const struct config *cfg, bool create)
{
	char why[200];

	if (epoch_is_open(&host_epoch))
		return 0;
	if (!cfg->cache_credentials)
		return -1;
	uid_t owner = geteuid();
	if (cfg->cache_segment_owner[0] != '\0') {
		struct passwd *pw = getpwnam(cfg->cache_segment_owner);
		if (pw == NULL) {
			log_warning("[cache] segment_owner %s: no such user; the credential cache is off",
			    cfg->cache_segment_owner);
			return -1;
		}
		owner = pw->pw_uid;
	}
	/* A file made by another user than owner would be refused by every process. */
	create = create && owner == geteuid();
	if (epoch_open(&host_epoch, cfg->cache_segment, create, owner, why, sizeof(why)) != 0) {
		/* overwatch-admin without the service's file: its log row still reaches the poller. */
		if (!create)
			return -1;
		log_warning("[cache] segment %s: %s; the credential cache is off", cfg->cache_segment,
		    why);
		return -1;
	}
	return 0;
}

void
revlog_close(void)
{
	epoch_close(&host_epoch);
}

struct epoch *
revlog_epoch(void)
{
	return epoch_is_open(&host_epoch) ? &host_epoch : NULL;
}

void
revlog_note(void)
{
	noted++;
}

unsigned
revlog_mark(void)
{
	return noted;
}

enum db_result
revlog_log(struct db *db)
{
	if (noted == 0)
		return DB_OK;
	return STORE_RUN(db, STMT_REVOCATION_LOG, NULL, NULL);
}

void
revlog_announce(void)
{
	if (noted == 0)
		return;
	noted = 0;
	epoch_bump(&host_epoch);
}

void
revlog_rollback(unsigned mark)
{
	noted = mark;
}

void
revlog_settle(struct db *db)
{
	if (noted == 0)
		return;
	/* The writes are durable already: announce them here even if the log row fails. */
	if (revlog_log(db) != DB_OK)
		log_warning("revocation log not written: other hosts learn of it within [cache] max_age");
	revlog_announce();
}

void
revlog_poll(struct db *db, const struct config *cfg)
{
	struct db_rows rows;
	struct arena a;

	/*
	 * Never a reconnect from here: with the server gone, the next request
	 * pays for that as it would anyway, and the cache, no longer polled,
	 * stops being trusted within the bound.
	 */
	if (!epoch_is_open(&host_epoch) || !db_connected(db))
		return;
	uint64_t now = epoch_clock_ms();
	if (!epoch_poll_due(&host_epoch, now, (uint64_t)cfg->cache_revocation_poll))
		return;
	/* Outside any request: an arena of its own for the one row. */
	arena_init(&a, 4096);
	/* A failed poll leaves polled_at behind: caches stop trusting within the bound. */
	if (STORE_RUN(db, STMT_REVOCATION_STATE, &rows, &a) == DB_OK && rows.nrows == 1)
		epoch_polled(&host_epoch, epoch_clock_ms(), (uint64_t)db_cell_int(&rows, 0, 0),
		    (uint64_t)db_cell_int(&rows, 0, 1));
	arena_free(&a);
}
