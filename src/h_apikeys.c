/* h_apikeys.c -- POST/GET /api-keys and DELETE /api-keys/{id}. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apikey.h"
#include "audit.h"
#include "auth.h"
#include "notify.h"

/* 9999-12-31T00:00:00Z: the DATETIME column's range. */
#define APIKEY_EXPIRES_MAX 253402214400LL
#include "params.h"
#include "store.h"
#include "view.h"

/* "a:b,c:d" for the SET column, in the contract's order. */
static const char *
perms_csv(struct ctx *c, perm_set perms)
{
	size_t cap = 512, n = 0;
	char *out = arena_alloc(c->a, cap);
	if (out == NULL)
		return NULL;
	for (int i = 0; i < PERM_MAX; i++) {
		if (!(perms & PERM_BIT(i)))
			continue;
		n += (size_t)snprintf(out + n, cap - n, "%s%s", n > 0 ? "," : "",
		    permission_name((enum permission)i));
	}
	return out;
}

/* The permissions the body asks for (the field table checked it is an array of strings). */
static enum status
wanted_permissions(struct ctx *c, perm_set *want)
{
	const struct jv_value *v = jv_field(&c->in, "permissions");

	*want = 0;
	for (size_t i = 0; i < v->n; i++) {
		int p = permission_parse(json_object_get_string(json_object_array_get_idx(v->array, i)));
		if (p < 0)
			return params_field_error(c, "permissions", "contains an unknown permission");
		*want |= PERM_BIT(p);
	}
	return ST_OK;
}

/*
 * The new key's expiry in *exp (0: none): the body's expires_at, within
 * bound (the creating key's chain, 0 when a user creates it) and within the
 * organization's longest key life (max_life seconds, 0: any), else the
 * earlier of the two.
 */
static enum status
key_expiry(struct ctx *c, time_t bound, time_t max_life, time_t now, time_t *exp)
{
	const struct jv_value *expires_in = jv_field(&c->in, "expires_at");
	time_t latest = max_life > 0 ? now + max_life : 0;
	char expires[RFC3339_LEN];

	*exp = 0;
	if (expires_in->present) {
		*exp = expires_in->t;   /* parsed by the field table (FIELD_TIME) */
		if (*exp <= now)
			return params_field_error(c, "expires_at", "must be in the future");
		if (*exp >= APIKEY_EXPIRES_MAX)
			return params_field_error(c, "expires_at", "must be before 9999-12-31T00:00:00Z");
		if (latest > 0 && *exp > latest) {
			const char *msg = arena_printf(c->a,
			    "must be at most %ld days from now, the organization's longest key life",
			    (long)(max_life / 86400));
			return params_field_error(c, "expires_at",
			    msg != NULL ? msg : "is after the organization's longest key life");
		}
		if (bound > 0 && *exp > bound) {
			util_time_rfc3339(bound, expires);
			const char *msg = arena_printf(c->a,
			    "must not be after %s, when the creating API key expires", expires);
			return params_field_error(c, "expires_at",
			    msg != NULL ? msg : "must not be after the creating API key's expiry");
		}
		return ST_OK;
	}
	/* No expiry asked for: the parent's (a child inherits it) or the policy's, shown in the 201. */
	*exp = bound > 0 && (latest == 0 || bound < latest) ? bound : latest;
	if (bound > 0 && *exp <= now)
		return h_fail(c, ST_INVALID_API_KEY, "API key has expired");
	return ST_OK;
}

enum status
h_apikeys_create(struct ctx *c)
{
	const struct principal *pr = &c->principal;
	const char *name = jv_str(&c->in, "name");
	char key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1], id[UUID_STR_LEN];
	char exp_sql[UTIL_SQL_TIME_LEN], bound_sql[UTIL_SQL_TIME_LEN];
	unsigned char digest[APIKEY_DIGEST_LEN];
	perm_set want = 0;
	time_t now = time(NULL), exp = 0;
	bool by_key = pr->type == PRINCIPAL_APIKEY;
	/* A key minting a key: the child lives no longer than the creating key's chain. */
	time_t bound = by_key ? (time_t)pr->key_expires : 0;
	enum db_result r;
	enum status st;

	struct apikey_policy pol;

	if ((st = h_step_up(c)) != ST_OK || (st = wanted_permissions(c, &want)) != ST_OK)
		return st;
	if ((r = store_apikey_policy_get(c->db, c->a, pr->org_id, &pol)) != DB_OK)
		return reply_db_status(r);
	if ((st = key_expiry(c, bound, (time_t)pol.max_lifetime_days * 86400, now, &exp)) != ST_OK)
		return st;
	/* A key never holds more than whoever creates it: the user's role or the creating key. */
	if ((want & ~pr->perms) != 0) {
		audit_refusal(c, pr->org_id, "permission.denied", "denied", "api_key", NULL);
		return h_fail(c, ST_INSUFFICIENT_PERMISSIONS, "Cannot grant permissions the creator does not hold");
	}
	if (apikey_generate(key) != 0 || util_uuid(id) != 0)
		return ST_INTERNAL_ERROR;
	apikey_prefix(key, prefix);
	apikey_digest(key, digest);
	const char *csv = perms_csv(c, want);
	/* want is within the creator's effective set, so within its chain too. */
	const char *chain = perms_csv(c, by_key ? want & pr->key_chain : want);
	util_time_sql(exp, exp_sql);
	util_time_sql(bound, bound_sql);
	if (csv == NULL || chain == NULL || (by_key && pr->key_root_user == NULL))
		return ST_INTERNAL_ERROR;
	struct key_new k = {
		.id = id, .org_id = pr->org_id, .name = name, .prefix = prefix,
		.permissions = csv, .chain_permissions = chain,
		.digest = digest, .digest_len = sizeof(digest),
		.expires_at = exp > 0 ? exp_sql : NULL,
		.parent_expires_at = bound > 0 ? bound_sql : NULL,
		.created_by_type = by_key ? "api_key" : "user", .created_by_id = pr->id,
		.root_user_id = by_key ? pr->key_root_user : pr->id,
		.parent_key_id = by_key ? pr->id : NULL,
	};
	bool live = true;
	/* TX_WRITE: the parent's guard, the key and its record in one transaction. */
	if (by_key && ((r = store_apikey_guard_parent(c->db, pr->id, pr->org_id, &live)) != DB_OK ||
	    !live)) {
		/* Revoked (or an ancestor was) since this request authenticated. */
		if (r != DB_OK)
			goto fail;
		explicit_bzero(key, sizeof(key));
		return h_fail(c, ST_INVALID_API_KEY, "API key has been revoked");
	}
	/* The user the key acts for hears of it, whoever made it. */
	if ((r = store_apikey_create(c->db, &k)) != DB_OK ||
	    (r = audit_record(c, pr->org_id, "api_key.created", "success", "api_key", id)) != DB_OK ||
	    (r = notify_queue(c->db, c->cfg, NOTIFY_API_KEY_CREATED, k.root_user_id, false,
	    arena_printf(c->a, "%s (%s)", k.name, k.prefix), 0)) != DB_OK)
		goto fail;
	st = h_reply(c, ST_CREATED, view_apikey_created(k.id, k.name, key, k.prefix, want, now, exp));
	explicit_bzero(key, sizeof(key));
	return st;
fail:
	explicit_bzero(key, sizeof(key));
	return reply_db_status(r);
}

static const struct view_str key_times[] = {
	VIEW_STR(struct apikey_listed, created_at), VIEW_STR(struct apikey_listed, expires_at),
	VIEW_STR(struct apikey_listed, last_used_at), VIEW_STR(struct apikey_listed, last_used_ip),
};
static const struct view_str key_rotation[] = {
	VIEW_STR(struct apikey_listed, rotated_from), VIEW_STR(struct apikey_listed, rotated_to),
	VIEW_STR(struct apikey_listed, rotation_ends_at), VIEW_STR(struct apikey_listed, rotation_due_at),
};

/* A listed key as GET /api-keys shows it (doc/api.md section 6, API keys). */
static json_object *
key_view(const void *keys, size_t i)
{
	const struct apikey_listed *l = &((const struct apikey_listed *)keys)[i];
	perm_set effective = 0;
	enum apikey_state ks = auth_apikey_state(&l->k, &effective);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(l->k.id));
	json_object_object_add(o, "name", json_object_new_string(l->k.name));
	json_object_object_add(o, "prefix", json_object_new_string(l->k.prefix));
	json_object_object_add(o, "permissions", view_csv_array(l->k.permissions));
	/* What the key can do now: none unless it is active (the same judgement as auth.c). */
	json_object_object_add(o, "effective_permissions", view_permissions(effective));
	json_object_object_add(o, "status", json_object_new_string(auth_apikey_status(ks)));
	view_add_strings(o, l, key_times, sizeof(key_times) / sizeof(key_times[0]));
	json_object_object_add(o, "use_count", json_object_new_int64(l->use_count));
	json_object_object_add(o, "created_by", view_type_id(l->created_by_type, l->created_by_id));
	view_add_strings(o, l, key_rotation, sizeof(key_rotation) / sizeof(key_rotation[0]));
	json_object_object_add(o, "rotation_due", json_object_new_boolean(l->rotation_due));
	return o;
}

enum status
h_apikeys_list(struct ctx *c)
{
	return h_org_list(c, &store_apikeys_listed, key_view);
}

/* store_apikey_revoke as h_path_change calls a change (a revocation needs no arena). */
static enum db_result
key_revoke(struct db *db, struct arena *a, const char *id, const char *org_id, bool *found)
{
	(void)a;
	return store_apikey_revoke(db, id, org_id, found);
}

enum status
h_apikeys_delete(struct ctx *c)
{
	return h_path_change(c, key_revoke, "API key not found", "api_key.deleted", "api_key");
}
