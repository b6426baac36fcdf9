/* usage.h -- API key use counted in memory and written in batches, off the request path. */
#ifndef OW_USAGE_H
#define OW_USAGE_H

#include <stdbool.h>
#include <time.h>

#include "db.h"

#define USAGE_SLOTS 256
#define USAGE_FLUSH_SECONDS 1
#define REJECT_SUMMARY_SECONDS 10

/* Count one use of key id (of org_id) from ip now. Never touches the database. */
void usage_record(const char *key_id, const char *org_id, const char *ip, time_t now);
/* Count one refused use (revoked, expired, rotated, ...) of a known key, for its activity. */
void usage_refused(const char *key_id, const char *org_id, const char *ip, time_t now);
/*
 * Count a rejected key that names no organization (malformed, mistyped or
 * unknown): no database write in the request path; the flush writes one
 * summary audit event per period instead of one row per attempt.
 */
void usage_reject(bool malformed, const char *ip, time_t now);

/* True when a flush is due: a second has passed with uses pending, or the table is full. */
bool usage_due(time_t now);
/*
 * Write pending uses (per key and address: the key's counts, its day's
 * activity, and the network, announced as api_key.new_ip when new to the
 * key); entries whose counts fail for a transient reason stay for the next try.
 */
void usage_flush(struct db *db, time_t now);
/* At worker exit: write everything pending, the rejection summary included. */
void usage_flush_all(struct db *db, time_t now);

#endif
