/* h_apikey_rotation.c -- POST /api-keys/{id}/rotate and the organization's key policy (GET/PUT /api-key-policy). */
#include "handlers.h"

#include <string.h>
#include <time.h>

#include "apikey.h"
#include "audit.h"
#include "auth.h"
#include "params.h"
#include "store.h"
#include "view.h"

/* The overlap when the body names none: a day, time to roll the new key out. */
#define ROTATION_OVERLAP_DEFAULT 86400

/*
 * The old key as a rotation may take it: of the caller's organization, live
 * and not rotated before (409), active, a caller who may delete keys (the
 * old one ends), and holding nothing the caller may not hold (the successor
 * gets the same permissions).
 */
static enum status
rotation_source(struct ctx *c, char id[UUID_STR_LEN], struct apikey_row *k,
    const char **expires_at)
{
	bool found = false, taken = false;
	perm_set effective = 0;
	enum db_result r;

	if (!params_uuid(c, 0, id))
		return ST_NOT_FOUND;
	if ((r = store_apikey_for_rotation(c->db, c->a, id, c->principal.org_id, k, &found,
	    &taken, expires_at)) != DB_OK)
		return reply_db_status(r);
	if (!found)
		return h_fail(c, ST_NOT_FOUND, "API key not found");
	if (taken)
		return h_fail(c, ST_CONFLICT, "API key has already been rotated");
	enum apikey_state ks = auth_apikey_state(k, &effective);
	if (ks != APIKEY_ACTIVE) {
		const char *msg = arena_printf(c->a, "API key cannot be rotated: its status is %s",
		    auth_apikey_status(ks));
		return h_fail(c, ST_CONFLICT, msg != NULL ? msg : "API key is not active");
	}
	/* A rotation ends the old key: who may not delete keys may not rotate them. */
	if (!(c->principal.perms & PERM_BIT(PERM_API_KEYS_DELETE))) {
		audit_refusal(c, c->principal.org_id, "permission.denied", "denied", "api_key", id);
		return h_fail(c, ST_INSUFFICIENT_PERMISSIONS,
		    "Rotating an API key ends it: api_keys:delete is required as well");
	}
	if ((permission_csv(k->permissions) & ~c->principal.perms) != 0) {
		audit_refusal(c, c->principal.org_id, "permission.denied", "denied", "api_key", id);
		return h_fail(c, ST_INSUFFICIENT_PERMISSIONS,
		    "Cannot grant permissions the creator does not hold");
	}
	return ST_OK;
}

/* TX_WRITE: the old key locked, its successor, the old key's end and the audit record commit together. */
enum status
h_apikeys_rotate(struct ctx *c)
{
	const struct principal *pr = &c->principal;
	const struct jv_value *overlap_in = jv_field(&c->in, "overlap_seconds");
	long overlap = overlap_in->present ? (long)overlap_in->i : ROTATION_OVERLAP_DEFAULT;
	char old_id[UUID_STR_LEN], id[UUID_STR_LEN];
	char key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1];
	unsigned char digest[APIKEY_DIGEST_LEN];
	const char *ends_at = NULL, *expires_at = NULL;
	struct apikey_row old;
	enum db_result r;
	enum status st;

	if ((st = rotation_source(c, old_id, &old, &expires_at)) != ST_OK)
		return st;
	if (apikey_generate(key) != 0 || util_uuid(id) != 0)
		return ST_INTERNAL_ERROR;
	apikey_prefix(key, prefix);
	apikey_digest(key, digest);
	struct apikey_successor n = {
		.id = id, .prefix = prefix, .digest = digest, .digest_len = sizeof(digest),
		.created_by_type = pr->type == PRINCIPAL_APIKEY ? "api_key" : "user",
		.created_by_id = pr->id,
	};
	if ((r = store_apikey_rotate(c->db, c->a, &n, old_id, pr->org_id, overlap, &ends_at)) != DB_OK ||
	    (r = audit_record(c, pr->org_id, "api_key.rotated", "success", "api_key", old_id)) != DB_OK) {
		explicit_bzero(key, sizeof(key));
		return reply_db_status(r);
	}
	/* The successor keeps the old key's own expiry; its bound shows in the list. */
	json_object *o = view_apikey_created(id, old.name, key, prefix,
	    permission_csv(old.permissions), time(NULL), 0);
	explicit_bzero(key, sizeof(key));
	json_object_object_del(o, "expires_at");
	json_object_object_add(o, "expires_at", view_opt_string(expires_at));
	json_object_object_add(o, "rotated_from", json_object_new_string(old_id));
	json_object_object_add(o, "previous_key_valid_until", view_opt_string(ends_at));
	return h_reply(c, ST_CREATED, o);
}

static json_object *
policy_view(const struct apikey_policy *pol)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "rotation_period_days", json_object_new_int64(pol->rotation_days));
	json_object_object_add(o, "max_key_lifetime_days", pol->max_lifetime_days > 0 ?
	    json_object_new_int64(pol->max_lifetime_days) : NULL);
	return o;
}

enum status
h_apikeys_policy_get(struct ctx *c)
{
	struct apikey_policy pol;
	enum db_result r = store_apikey_policy_get(c->db, c->a, c->principal.org_id, &pol);

	if (r != DB_OK)
		return reply_db_status(r);
	return h_reply(c, ST_OK, policy_view(&pol));
}

/* TX_WRITE: the policy and its audit record together; the field table bounds both numbers. */
enum status
h_apikeys_policy_put(struct ctx *c)
{
	const struct jv_value *life = jv_field(&c->in, "max_key_lifetime_days");
	struct apikey_policy pol = {
		.rotation_days = (long)jv_field(&c->in, "rotation_period_days")->i,
		.max_lifetime_days = life->present ? (long)life->i : 0,
	};
	enum db_result r;

	if ((r = store_apikey_policy_set(c->db, c->principal.org_id, &pol)) != DB_OK ||
	    (r = audit_record(c, c->principal.org_id, "api_key.policy_changed", "success",
	    "organization", c->principal.org_id)) != DB_OK)
		return reply_db_status(r);
	return h_reply(c, ST_OK, policy_view(&pol));
}
