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

static long rejected_malformed, rejected_unknown;
static time_t rejected_since;
static char rejected_ip[46];

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

void
usage_reject(bool malformed, const char *ip, time_t now)
{
	if (rejected_malformed + rejected_unknown == 0)
		rejected_since = now;
	if (malformed)
		rejected_malformed++;
	else
		rejected_unknown++;
	snprintf(rejected_ip, sizeof(rejected_ip), "%s", ip != NULL ? ip : "");
}

static bool
rejections_due(time_t now)
{
	return rejected_malformed + rejected_unknown > 0 && now - rejected_since >= REJECT_SUMMARY_SECONDS;
}

bool
usage_due(time_t now)
{
	return (nslots > 0 && (nslots == USAGE_SLOTS || now - last_flush >= USAGE_FLUSH_SECONDS)) ||
	    rejections_due(now);
}

/* One audit event for all keys refused without an organization since the last summary. */
static void
flush_rejections(struct db *db, time_t now, bool force)
{
	char detail[160];

	if (rejected_malformed + rejected_unknown == 0 || (!force && !rejections_due(now)))
		return;
	snprintf(detail, sizeof(detail), "%ld malformed and %ld unknown API keys in %ld s (last from %s)",
	    rejected_malformed, rejected_unknown, (long)(now - rejected_since), rejected_ip);
	struct audit_event ev = {
		.action = "api_key.rejected", .outcome = "failure", .actor_type = "anonymous",
		.ip = rejected_ip[0] != '\0' ? rejected_ip : NULL, .detail = detail,
	};
	enum db_result r = store_audit(db, &ev);
	if (r == DB_OK || r == DB_ERROR) {
		rejected_malformed = rejected_unknown = 0;
		if (r == DB_ERROR)
			log_warning("could not record rejected API keys");
	}
}

void
usage_flush(struct db *db, time_t now)
{
	size_t kept = 0;

	flush_rejections(db, now, false);
	for (size_t i = 0; i < nslots; i++) {
		struct usage_slot *s = &slots[i];
		enum db_result r = store_apikey_usage(db, s->id, s->count, (long long)s->last_at,
		    s->ip[0] != '\0' ? s->ip : NULL);
		if (r == DB_UNAVAILABLE || r == DB_DEADLOCK)
			slots[kept++] = *s;     /* try again at the next flush */
		else if (r != DB_OK)
			log_warning("could not record the use of API key %s", s->id);
	}
	nslots = kept;
	last_flush = now;
}

void
usage_flush_all(struct db *db, time_t now)
{
	flush_rejections(db, now, true);
	usage_flush(db, now);
}
