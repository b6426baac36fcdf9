/* audit.c -- one audit event of the current request, its actor taken from the principal. */
#include "audit.h"

#include "store.h"

#include <stdio.h>
#include <time.h>

static enum db_result
record(struct ctx *c, const char *org_id, const char *action, const char *outcome,
    const char *target_type, const char *target_id, const char *detail)
{
	const struct principal *p = &c->principal;
	struct audit_event ev = {
		.org_id = org_id,
		.action = action,
		.outcome = outcome,
		.actor_type = p->type == PRINCIPAL_USER ? "user" :
		    p->type == PRINCIPAL_APIKEY ? "api_key" : "anonymous",
		.actor_id = p->type != PRINCIPAL_NONE ? p->id : NULL,
		.ip = c->client_ip,
		.user_agent = c->user_agent,
		.target_type = target_type,
		.target_id = target_id,
		.detail = detail,
	};
	return store_audit(c->db, &ev);
}

enum db_result
audit_record(struct ctx *c, const char *org_id, const char *action, const char *outcome,
    const char *target_type, const char *target_id)
{
	return record(c, org_id, action, outcome, target_type, target_id, NULL);
}

enum db_result
audit_record_detail(struct ctx *c, const char *org_id, const char *action, const char *outcome,
    const char *target_type, const char *target_id, const char *detail)
{
	return record(c, org_id, action, outcome, target_type, target_id, detail);
}

/* An arena copy: a refusal is written after its handler's stack is gone. */
static const char *
keep(struct ctx *c, const char *s)
{
	return s != NULL ? arena_strdup(c->a, s) : NULL;
}

void
audit_refusal(struct ctx *c, const char *org_id, const char *action, const char *outcome,
    const char *target_type, const char *target_id)
{
	if (!c->in_tx) {
		audit_record(c, org_id, action, outcome, target_type, target_id);
		return;
	}
	if (c->nrefusals < CTX_MAX_REFUSALS)
		c->refusals[c->nrefusals++] = (struct ctx_refusal){keep(c, org_id), keep(c, action),
		    keep(c, outcome), keep(c, target_type), keep(c, target_id)};
}

void
audit_flush_refusals(struct ctx *c)
{
	for (size_t i = 0; i < c->nrefusals; i++) {
		const struct ctx_refusal *e = &c->refusals[i];
		audit_record(c, e->org_id, e->action, e->outcome, e->target_type, e->target_id);
	}
	c->nrefusals = 0;
}

void
audit_attack(struct ctx *c, const char *org_id, const char *action, const char *target_type,
    const char *target_id)
{
	audit_attack_detail(c, org_id, action, target_type, target_id, NULL);
}

void
audit_attack_detail(struct ctx *c, const char *org_id, const char *action, const char *target_type,
    const char *target_id, const char *detail)
{
	time_t now = time(NULL);
	long hits = 0, prev = 0;

	if (org_id == NULL ||
	    store_audit_budget(c->db, c->a, org_id, (long long)(now - now % 60), &hits, &prev) != DB_OK)
		return;
	if (hits == 1 && prev > AUDIT_ATTACKS_PER_MINUTE) {
		char n[24];
		snprintf(n, sizeof n, "%ld", prev - AUDIT_ATTACKS_PER_MINUTE);
		audit_record(c, org_id, "audit.suppressed", "suppressed", "events", n);
	}
	if (hits <= AUDIT_ATTACKS_PER_MINUTE)
		record(c, org_id, action, "denied", target_type, target_id, detail);
}
