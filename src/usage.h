/* usage.h -- API key use counted in memory and written in batches, off the request path. */
#ifndef OW_USAGE_H
#define OW_USAGE_H

#include <stdbool.h>
#include <time.h>

#include "db.h"

#define USAGE_SLOTS 256
#define USAGE_FLUSH_SECONDS 1

/* Count one use of key id from ip now. Never touches the database. */
void usage_record(const char *key_id, const char *ip, time_t now);
/* True when a flush is due: a second has passed with uses pending, or the table is full. */
bool usage_due(time_t now);
/* Write pending uses (one UPDATE per key); entries that fail stay for the next try. */
void usage_flush(struct db *db, time_t now);

#endif
