/* h_apikeys.c -- POST/GET /api-keys and DELETE /api-keys/{id}. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apikey.h"
#include "audit.h"
#include "auth.h"

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

static json_object *
csv_to_array(const char *csv)
{
	json_object *arr = json_object_new_array();
	const char *p = csv;
	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, ",");
		json_object_array_add(arr, json_object_new_string_len(p, (int)n));
		p += n;
		if (*p == ',')
			p++;
	}
	return arr;
}

enum status
h_apikeys_create(struct ctx *c)
{
	const struct principal *pr = &c->principal;
	const char *name = jv_str(&c->in, "name");
	json_object *perms_json = jv_field(&c->in, "permissions")->array;
	const struct jv_value *expires_in = jv_field(&c->in, "expires_at");
	char key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1], id[UUID_STR_LEN];
	char created[RFC3339_LEN], expires[RFC3339_LEN];
	char exp_sql[UTIL_SQL_TIME_LEN], bound_sql[UTIL_SQL_TIME_LEN];
	unsigned char digest[APIKEY_DIGEST_LEN];
	perm_set want = 0;
	time_t now = time(NULL), exp = 0;
	bool by_key = pr->type == PRINCIPAL_API_KEY;
	/* A key minting a key: the child lives no longer than the creating key's chain. */
	time_t bound = by_key ? (time_t)pr->key_expires : 0;
	enum db_result r;

	size_t n = jv_field(&c->in, "permissions")->n;
	for (size_t i = 0; i < n; i++) {
		int p = permission_parse(json_object_get_string(json_object_array_get_idx(perms_json, i)));
		if (p < 0)
			return params_field_error(c, "permissions", "contains an unknown permission");
		want |= PERM_BIT(p);
	}
	if (expires_in->present) {
		exp = expires_in->t;    /* parsed by the field table (FIELD_TIME) */
		if (exp <= now)
			return params_field_error(c, "expires_at", "must be in the future");
		if (exp >= APIKEY_EXPIRES_MAX)
			return params_field_error(c, "expires_at", "must be before 9999-12-31T00:00:00Z");
		if (bound > 0 && exp > bound) {
			util_time_rfc3339(bound, expires);
			const char *msg = arena_printf(c->a,
			    "must not be after %s, when the creating API key expires", expires);
			return params_field_error(c, "expires_at",
			    msg != NULL ? msg : "must not be after the creating API key's expiry");
		}
	} else if (bound > 0) {
		/* No expiry asked for: the child inherits its parent's (shown in the 201). */
		exp = bound;
		if (exp <= now)
			return h_fail(c, ST_INVALID_API_KEY, "API key has expired");
	}
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
	if (by_key && ((r = store_key_guard_parent(c->db, pr->id, pr->org_id, &live)) != DB_OK ||
	    !live)) {
		/* Revoked (or an ancestor was) since this request authenticated. */
		if (r != DB_OK)
			goto fail;
		explicit_bzero(key, sizeof(key));
		return h_fail(c, ST_INVALID_API_KEY, "API key has been revoked");
	}
	if ((r = store_key_create(c->db, &k)) != DB_OK ||
	    (r = audit_record(c, pr->org_id, "api_key.created", "success", "api_key", id)) != DB_OK)
		goto fail;
	util_time_rfc3339(now, created);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "api_key", json_object_new_string(key));
	json_object_object_add(o, "prefix", json_object_new_string(prefix));
	json_object_object_add(o, "permissions", view_permissions(want));
	json_object_object_add(o, "created_at", json_object_new_string(created));
	if (exp > 0) {
		util_time_rfc3339(exp, expires);
		json_object_object_add(o, "expires_at", json_object_new_string(expires));
	} else {
		json_object_object_add(o, "expires_at", NULL);
	}
	explicit_bzero(key, sizeof(key));
	reply_json(c->rep, ST_CREATED, o);
	return ST_CREATED;
fail:
	explicit_bzero(key, sizeof(key));
	return reply_db_status(r);
}

enum status
h_apikeys_list(struct ctx *c)
{
	struct key_listed *keys;
	size_t n = 0;
	long limit, offset;
	enum status st = params_paging(c, &limit, &offset);

	if (st != ST_OK)
		return st;
	enum db_result r = store_key_list(c->db, c->a, c->principal.org_id, limit, offset, &keys, &n);
	if (r != DB_OK)
		return reply_db_status(r);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct key_listed *l = &keys[i];
		perm_set effective = 0;
		enum key_state ks = auth_key_state(&l->k, &effective);
		json_object *o = json_object_new_object();
		json_object *by = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(l->k.id));
		json_object_object_add(o, "name", json_object_new_string(l->k.name));
		json_object_object_add(o, "prefix", json_object_new_string(l->k.prefix));
		json_object_object_add(o, "permissions", csv_to_array(l->k.permissions));
		/* What the key can do now: none unless it is active (the same judgement as auth.c). */
		json_object_object_add(o, "effective_permissions", view_permissions(effective));
		json_object_object_add(o, "status", json_object_new_string(auth_key_status(ks)));
		json_object_object_add(o, "created_at", view_opt_string(l->created_at));
		json_object_object_add(o, "expires_at", view_opt_string(l->expires_at));
		json_object_object_add(o, "last_used_at", view_opt_string(l->last_used_at));
		json_object_object_add(o, "last_used_ip", view_opt_string(l->last_used_ip));
		json_object_object_add(o, "use_count", json_object_new_int64(l->use_count));
		json_object_object_add(by, "type", json_object_new_string(l->created_by_type));
		json_object_object_add(by, "id", json_object_new_string(l->created_by_id));
		json_object_object_add(o, "created_by", by);
		json_object_array_add(arr, o);
	}
	reply_json(c->rep, ST_OK, arr);
	return ST_OK;
}

enum status
h_apikeys_delete(struct ctx *c)
{
	char id[UUID_STR_LEN];
	bool found = false;
	enum db_result r;

	if (!params_uuid(c, 0, id))
		return ST_NOT_FOUND;
	/* TX_WRITE: the revocation and its record commit together. */
	if ((r = store_key_revoke(c->db, id, c->principal.org_id, &found)) != DB_OK)
		return reply_db_status(r);
	if (!found)
		return h_fail(c, ST_NOT_FOUND, "API key not found");
	if ((r = audit_record(c, c->principal.org_id, "api_key.deleted", "success", "api_key", id)) != DB_OK)
		return reply_db_status(r);
	reply_json(c->rep, ST_NO_CONTENT, NULL);
	return ST_NO_CONTENT;
}
