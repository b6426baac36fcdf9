/* usage.c -- per-worker batch of API key uses: last_used_at within seconds, no write per call. */
#include "usage.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "util.h"

struct usage_slot {
	char id[UUID_STR_LEN];
	char ip[46];
	long long count;
	time_t last_at;
};

static struct usage_slot slots[USAGE_SLOTS];
static size_t nslots;
static time_t last_flush;

void
usage_record(const char *key_id, const char *ip, time_t now)
{
	size_t i;
	for (i = 0; i < nslots; i++)
		if (strcmp(slots[i].id, key_id) == 0)
			break;
	if (i == nslots) {
		if (nslots == USAGE_SLOTS)
			return;     /* full until the next flush, which is due now */
		snprintf(slots[i].id, sizeof(slots[i].id), "%s", key_id);
		slots[i].count = 0;
		nslots++;
	}
	slots[i].count++;
	slots[i].last_at = now;
	snprintf(slots[i].ip, sizeof(slots[i].ip), "%s", ip != NULL ? ip : "");
}

bool
usage_due(time_t now)
{
	return nslots > 0 && (nslots == USAGE_SLOTS || now - last_flush >= USAGE_FLUSH_SECONDS);
}

void
usage_flush(struct db *db, time_t now)
{
	size_t kept = 0;

	for (size_t i = 0; i < nslots; i++) {
		struct usage_slot *s = &slots[i];
		enum db_result r = store_key_usage(db, s->id, s->count, (long long)s->last_at,
		    s->ip[0] != '\0' ? s->ip : NULL);
		if (r == DB_UNAVAILABLE || r == DB_DEADLOCK)
			slots[kept++] = *s;     /* try again at the next flush */
		else if (r != DB_OK)
			log_warning("could not record the use of API key %s", s->id);
	}
	nslots = kept;
	last_flush = now;
}
