/* audit_probe.h -- a cross-tenant 404 recorded for the organization probed, once the answer is sent. */
#ifndef OW_AUDIT_PROBE_H
#define OW_AUDIT_PROBE_H

#include <stdbool.h>

#include "ctx.h"
#include "util.h"

/* Room for a User-Agent as dispatch.c cleans it (512 characters of UTF-8). */
#define AUDIT_PROBE_UA_SIZE (512 * 4 + 1)

/*
 * What a 404 of a path's id leaves to look at after the answer: copies,
 * since the request's arena is reset by then.
 */
struct audit_probe {
	bool pending;
	char ids[CTX_MAX_PATH_PARAMS][UUID_STR_LEN];
	size_t nids;
	enum principal_type actor_type;
	char actor_id[UUID_STR_LEN], org_id[UUID_STR_LEN];
	char ip[64], user_agent[AUDIT_PROBE_UA_SIZE];
};

/*
 * Keep what c's 404 needs for audit_probe_run when a lookup of the path's
 * id found nothing in the caller's organization (h_found set c->probed)
 * and the caller is a user or an API key of an organization.
 */
void audit_probe_note(const struct ctx *c, struct audit_probe *p);

/*
 * After the answer has gone (dispatch_after_reply): the organization that
 * holds one of the ids, if any and not the caller's, gets an
 * "auth.cross_tenant_denied" event through audit_attack's budget, with
 * the caller as actor and the caller's organization in detail
 * (doc/api.md section 6, Audit). The caller's organization gets nothing: its
 * admins reading it would learn that the id exists elsewhere. One
 * statement when no other organization holds an id, none for a request
 * that found what it asked for. Clears p.
 */
void audit_probe_run(struct audit_probe *p, const struct config *cfg, struct db *db, struct arena *a);

#endif
