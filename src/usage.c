/* usage.c -- per-worker batch of API key uses: last_used_at and activity within seconds, no write per call. */
#include "usage.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "log.h"
#include "net.h"
#include "store.h"
#include "util.h"

/* One key's uses from one address since the last flush. */
struct usage_slot {
	char id[UUID_STR_LEN];
	char org_id[UUID_STR_LEN];
	char ip[46];
	long long count;            /* served */
	long long refused;          /* refused: revoked, expired, rotated, ... */
	time_t first_at, last_at;
};

static struct usage_slot slots[USAGE_SLOTS];
static size_t nslots;
static time_t last_flush;

static long rejected_malformed, rejected_unknown;
static time_t rejected_since;
static char rejected_ip[46];

/* The slot of key_id's uses from ip, a new one if there is room; NULL when full. */
static struct usage_slot *
slot_of(const char *key_id, const char *org_id, const char *ip, time_t now)
{
	ip = ip != NULL ? ip : "";
	for (size_t i = 0; i < nslots; i++)
		if (strcmp(slots[i].id, key_id) == 0 && strcmp(slots[i].ip, ip) == 0)
			return &slots[i];
	if (nslots == USAGE_SLOTS)
		return NULL;    /* full until the next flush, which is due now */
	struct usage_slot *s = &slots[nslots++];
	*s = (struct usage_slot){.first_at = now, .last_at = now};
	snprintf(s->id, sizeof(s->id), "%s", key_id);
	snprintf(s->org_id, sizeof(s->org_id), "%s", org_id != NULL ? org_id : "");
	snprintf(s->ip, sizeof(s->ip), "%s", ip);
	return s;
}

void
usage_record(const char *key_id, const char *org_id, const char *ip, time_t now)
{
	struct usage_slot *s = slot_of(key_id, org_id, ip, now);
	if (s != NULL) {
		s->count++;
		s->last_at = now;
	}
}

void
usage_refused(const char *key_id, const char *org_id, const char *ip, time_t now)
{
	struct usage_slot *s = slot_of(key_id, org_id, ip, now);
	if (s != NULL) {
		s->refused++;
		s->last_at = now;
	}
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

/*
 * The networks this worker noted for each key in the last hour: noting one
 * again sooner changes nothing that matters (the 30-day rule), so the flush
 * skips its two statements. A small ring; an entry pushed out only costs a
 * statement pair.
 */
#define NETWORKS_REMEMBERED 256
#define NETWORK_RECHECK_SECONDS 3600
static struct noted_network {
	char id[UUID_STR_LEN];
	char network[64];
	time_t at;
} noted[NETWORKS_REMEMBERED];
static size_t noted_next;

static bool
noted_recently(const char *id, const char *network, time_t now)
{
	for (size_t i = 0; i < NETWORKS_REMEMBERED; i++)
		if (noted[i].at != 0 && now - noted[i].at < NETWORK_RECHECK_SECONDS &&
		    strcmp(noted[i].id, id) == 0 && strcmp(noted[i].network, network) == 0)
			return true;
	return false;
}

static void
note(const char *id, const char *network, time_t now)
{
	struct noted_network *n = &noted[noted_next];
	noted_next = (noted_next + 1) % NETWORKS_REMEMBERED;
	snprintf(n->id, sizeof(n->id), "%s", id);
	snprintf(n->network, sizeof(n->network), "%s", network);
	n->at = now;
}

/* The audit record of a key's first use from a network (new, or unused for 30 days). */
static void
announce_network(struct db *db, const struct usage_slot *s, const char *network)
{
	char detail[160];

	snprintf(detail, sizeof(detail), "first use from %s (%s) in 30 days", network, s->ip);
	/* The service noticed it, the key did nothing new: the actor is the system. */
	struct audit_event ev = {
		.org_id = s->org_id, .action = "api_key.new_ip", .outcome = "success",
		.actor_type = "system", .ip = s->ip,
		.target_type = "api_key", .target_id = s->id, .detail = detail,
	};
	if (store_audit(db, &ev) != DB_OK)
		log_warning("could not record the new network of API key %s", s->id);
}

/*
 * A slot's activity: the day's counts, and for served uses the network seen.
 * Best effort: a failure here is logged, not retried, so that a retry of
 * the usage counts never counts the activity twice.
 */
static void
flush_activity(struct db *db, const struct usage_slot *s)
{
	struct arena a;
	bool is_new = false;

	if (s->ip[0] == '\0')
		return;
	if (store_apikey_activity_add(db, s->id, (long long)s->last_at, s->ip, s->count,
	    s->refused) != DB_OK)
		log_warning("could not record the activity of API key %s", s->id);
	if (s->count == 0)
		return;
	arena_init(&a, 4096);
	const char *network = net_network(s->ip, &a);
	if (network != NULL && !noted_recently(s->id, network, s->last_at) &&
	    store_apikey_network_seen(db, &a, s->id, network, (long long)s->first_at,
	    (long long)s->last_at, &is_new) == DB_OK) {
		note(s->id, network, s->last_at);
		if (is_new)
			announce_network(db, s, network);
	}
	arena_free(&a);
}

void
usage_flush(struct db *db, time_t now)
{
	size_t kept = 0;

	flush_rejections(db, now, false);
	for (size_t i = 0; i < nslots; i++) {
		struct usage_slot *s = &slots[i];
		enum db_result r = DB_OK;
		if (s->count > 0)
			r = store_apikey_usage(db, s->id, s->count, (long long)s->last_at,
			    s->ip[0] != '\0' ? s->ip : NULL);
		if (r == DB_UNAVAILABLE || r == DB_DEADLOCK) {
			slots[kept++] = *s;     /* try again at the next flush */
			continue;
		}
		if (r != DB_OK)
			log_warning("could not record the use of API key %s", s->id);
		flush_activity(db, s);
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
