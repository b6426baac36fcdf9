/* epoch.h -- the host's revocation epoch: a counter in a small shared file every process of the service maps. */
#ifndef OW_EPOCH_H
#define OW_EPOCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * One per service instance and host ([cache] segment): the pre-fork
 * workers and processes a web server spawns one by one open it by name, so
 * it needs no common parent. It also elects the one process that polls the
 * revocation log (src/revlog.c) and records when a poll last succeeded.
 */
struct epoch_segment;

struct epoch {
	struct epoch_segment *seg;  /* NULL: not open, the cache stays off */
};

/*
 * Open path, creating it when create is set: mode 0600, owned by owner,
 * no symbolic link, a regular file. Any other file is refused (-1, why says
 * what was wrong in words fit for a log line) and e stays closed.
 */
int epoch_open(struct epoch *e, const char *path, bool create, uid_t owner, char *why,
    size_t whylen);
void epoch_close(struct epoch *e);
bool epoch_is_open(const struct epoch *e);

/* The current epoch (0 when closed). */
uint64_t epoch_read(const struct epoch *e);
/* Make every entry cached under an earlier epoch stale, in every process. */
void epoch_bump(struct epoch *e);

/* Milliseconds of CLOCK_MONOTONIC: one clock for every process of the host. */
uint64_t epoch_clock_ms(void);

/*
 * The poller's lease: true when this process holds it (taking it when free
 * or run out; it lasts lease_ms) and a poll is due poll_ms after the last
 * success.
 */
bool epoch_poll_due(struct epoch *e, uint64_t now_ms, uint64_t poll_ms);
/*
 * A poll succeeded and saw the log at fingerprint (count, last): bumps the
 * epoch when it differs from what the previous poll saw.
 */
void epoch_polled(struct epoch *e, uint64_t now_ms, uint64_t count, uint64_t last);
/* True when a poll succeeded within the last bound_ms. */
bool epoch_poll_recent(const struct epoch *e, uint64_t now_ms, uint64_t bound_ms);

#endif
