/* audit.h -- writing the audit log of the current request (doc/api.md section 6 "Audit"). */
#ifndef OW_AUDIT_H
#define OW_AUDIT_H

#include "ctx.h"

/*
 * Record one event of the current request: the actor is c->principal (a
 * user, an API key, or anonymous when none), with the client's IP and
 * User-Agent. org_id, target_type and target_id may be NULL. Inside the
 * request's transaction when there is one, so that the event commits with
 * the change it records. Returns the store's result.
 */
enum db_result audit_record(struct ctx *c, const char *org_id, const char *action,
    const char *outcome, const char *target_type, const char *target_id);
/* audit_record with the event's detail (NULL: none), e.g. the name of an SSO connection. */
enum db_result audit_record_detail(struct ctx *c, const char *org_id, const char *action,
    const char *outcome, const char *target_type, const char *target_id, const char *detail);

/*
 * Record a refusal (a "permission.denied", say) that must outlive the
 * transaction it happens in: inside one it is kept and written right after
 * that transaction ends (rolled back, as a refusal's is); outside, at once.
 * Its result is not the request's: a refusal is answered whatever happens
 * to its record, as the route's own 403s are.
 */
void audit_refusal(struct ctx *c, const char *org_id, const char *action, const char *outcome,
    const char *target_type, const char *target_id);
/*
 * Record an attack on organization org_id (a rejected token, a failed
 * refresh, a CSRF rejection, a cross-tenant 404: doc/api.md section 6,
 * Audit), outcome "denied": at most AUDIT_ATTACKS_PER_MINUTE of them per
 * organization per minute, the rest only counted. The first event of a
 * minute after a minute that went over the bound is preceded by an
 * "audit.suppressed" event whose target id is how many were not recorded.
 * Outside any transaction (the refusals it records happen before one), and
 * a refusal is answered whatever happens to its record. NULL org_id: no-op.
 */
#define AUDIT_ATTACKS_PER_MINUTE 30
void audit_attack(struct ctx *c, const char *org_id, const char *action, const char *target_type,
    const char *target_id);
/* audit_attack with the event's detail (NULL: none), e.g. the prober's organization (src/audit_probe.c). */
void audit_attack_detail(struct ctx *c, const char *org_id, const char *action, const char *target_type,
    const char *target_id, const char *detail);
/* Write the refusals kept during a transaction (dispatch_tx, after it ends). */
void audit_flush_refusals(struct ctx *c);

#endif
