/* h_apikeys.c -- POST/GET /api-keys and DELETE /api-keys/{id}. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apikey.h"

/* 9999-12-31T00:00:00Z: the DATETIME column's range. */
#define APIKEY_EXPIRES_MAX 253402214400LL
#include "params.h"
#include "session.h"
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
	const char *name = json_get_string(c->body, "name");
	json_object *perms_json = json_object_object_get(c->body, "permissions");
	const char *expires_in = json_get_string(c->body, "expires_at");
	char key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1], id[UUID_STR_LEN];
	char created[RFC3339_LEN], expires[RFC3339_LEN];
	unsigned char digest[APIKEY_DIGEST_LEN];
	perm_set want = 0;
	time_t now = time(NULL), exp = 0;
	enum db_result r;

	size_t n = json_object_array_length(perms_json);
	for (size_t i = 0; i < n; i++) {
		int p = permission_parse(json_object_get_string(json_object_array_get_idx(perms_json, i)));
		if (p < 0)
			return params_field_error(c, "permissions", "contains an unknown permission");
		want |= PERM_BIT(p);
	}
	if (expires_in != NULL) {
		if (util_time_parse(expires_in, &exp) != 0)
			return params_field_error(c, "expires_at", "must be an RFC 3339 date-time");
		if (exp <= now)
			return params_field_error(c, "expires_at", "must be in the future");
		if (exp >= APIKEY_EXPIRES_MAX)
			return params_field_error(c, "expires_at", "must be before 9999-12-31T00:00:00Z");
	}
	/* A key never holds more than whoever creates it: the user's role or the creating key. */
	if ((want & ~pr->perms) != 0) {
		c->rep->detail = "Cannot grant permissions the creator does not hold";
		session_audit(c, pr->org_id, "permission.denied", "denied", "api_key", NULL);
		return ST_INSUFFICIENT_PERMISSIONS;
	}
	if (apikey_generate(key) != 0 || util_uuid(id) != 0)
		return ST_INTERNAL_ERROR;
	apikey_prefix(key, prefix);
	apikey_digest(key, digest);
	const char *csv = perms_csv(c, want);
	char exp_sql[UTIL_SQL_TIME_LEN];
	util_time_sql(exp, exp_sql);
	if (csv == NULL)
		return ST_INTERNAL_ERROR;
	if ((r = db_begin(c->db)) != DB_OK)
		goto fail;
	if ((r = store_key_create(c->db, id, pr->org_id, name, prefix, digest, sizeof(digest), csv,
	    expires_in != NULL ? exp_sql : NULL, pr->type == PRINCIPAL_USER ? "user" : "api_key",
	    pr->id)) != DB_OK ||
	    (r = session_audit(c, pr->org_id, "api_key.created", "success", "api_key", id)) != DB_OK ||
	    (r = db_commit(c->db)) != DB_OK) {
		db_rollback(c->db);
		goto fail;
	}
	util_time_rfc3339(now, created);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "api_key", json_object_new_string(key));
	json_object_object_add(o, "prefix", json_object_new_string(prefix));
	json_object_object_add(o, "permissions", view_permissions(want));
	json_object_object_add(o, "created_at", json_object_new_string(created));
	if (expires_in != NULL) {
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
	return store_status(r);
}

enum status
h_apikeys_list(struct ctx *c)
{
	struct db_rows rows;
	long limit, offset;
	enum status st = params_paging(c, &limit, &offset);

	if (st != ST_OK)
		return st;
	enum db_result r = store_key_list(c->db, c->a, c->principal.org_id, limit, offset, &rows);
	if (r != DB_OK)
		return store_status(r);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < rows.nrows; i++) {
		json_object *o = json_object_new_object();
		json_object *by = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(db_cell(&rows, i, 0)));
		json_object_object_add(o, "name", json_object_new_string(db_cell(&rows, i, 1)));
		json_object_object_add(o, "prefix", json_object_new_string(db_cell(&rows, i, 2)));
		json_object_object_add(o, "permissions", csv_to_array(db_cell(&rows, i, 3)));
		json_object_object_add(o, "created_at", view_opt_string(db_cell(&rows, i, 4)));
		json_object_object_add(o, "expires_at", view_opt_string(db_cell(&rows, i, 5)));
		json_object_object_add(o, "last_used_at", view_opt_string(db_cell(&rows, i, 6)));
		json_object_object_add(o, "last_used_ip", view_opt_string(db_cell(&rows, i, 7)));
		json_object_object_add(o, "use_count", json_object_new_int64(db_cell_int(&rows, i, 8)));
		json_object_object_add(by, "type", json_object_new_string(db_cell(&rows, i, 9)));
		json_object_object_add(by, "id", json_object_new_string(db_cell(&rows, i, 10)));
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
	if ((r = db_begin(c->db)) != DB_OK)
		return store_status(r);
	if ((r = store_key_revoke(c->db, id, c->principal.org_id, &found)) != DB_OK) {
		db_rollback(c->db);
		return store_status(r);
	}
	if (!found) {
		db_rollback(c->db);
		c->rep->detail = "API key not found";
		return ST_NOT_FOUND;
	}
	if ((r = session_audit(c, c->principal.org_id, "api_key.deleted", "success", "api_key", id)) != DB_OK ||
	    (r = db_commit(c->db)) != DB_OK) {
		db_rollback(c->db);
		return store_status(r);
	}
	reply_json(c->rep, ST_NO_CONTENT, NULL);
	return ST_NO_CONTENT;
}
