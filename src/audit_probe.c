/* audit_probe.c -- a cross-tenant 404 recorded for the organization probed, once the answer is sent. */
#include "audit_probe.h"

#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "params.h"
#include "store.h"

/* src into dst (size bytes) when it fits whole; "" otherwise (NULL too). */
static void
copy(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strlen(src) : size;

	dst[0] = '\0';
	if (n < size)
		memcpy(dst, src, n + 1);
}

void
audit_probe_note(const struct ctx *c, struct audit_probe *p)
{
	const struct principal *who = &c->principal;

	p->pending = false;
	p->nids = 0;
	if (!c->probed || who->type == PRINCIPAL_NONE || who->org_id == NULL)
		return;
	for (size_t i = 0; i < c->npath_params && i < CTX_MAX_PATH_PARAMS; i++)
		if (params_uuid_text(c->path_params[i], p->ids[p->nids]))
			p->nids++;
	p->actor_type = who->type;
	copy(p->actor_id, sizeof p->actor_id, who->id);
	copy(p->org_id, sizeof p->org_id, who->org_id);
	copy(p->ip, sizeof p->ip, c->client_ip);
	copy(p->user_agent, sizeof p->user_agent, c->user_agent);
	p->pending = p->nids > 0;
}

void
audit_probe_run(struct audit_probe *p, const struct config *cfg, struct db *db, struct arena *a)
{
	struct ctx c = {.cfg = cfg, .db = db, .a = a};
	const char *owner = NULL, *type = NULL;
	char detail[64 + UUID_STR_LEN];

	if (!p->pending)
		return;
	p->pending = false;
	c.principal = (struct principal){.type = p->actor_type, .id = p->actor_id, .org_id = p->org_id};
	c.client_ip = p->ip[0] != '\0' ? p->ip : NULL;
	c.user_agent = p->user_agent[0] != '\0' ? p->user_agent : NULL;
	for (size_t i = 0; i < p->nids; i++) {
		bool found = false;
		if (store_audit_id_owner(db, a, p->ids[i], &owner, &type, &found) != DB_OK)
			return;
		if (!found || strcmp(owner, p->org_id) == 0)
			continue;
		snprintf(detail, sizeof detail, "actor_organization_id=%s", p->org_id);
		audit_attack_detail(&c, owner, "auth.cross_tenant_denied", type, p->ids[i], detail);
		return;
	}
}
