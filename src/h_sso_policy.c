/* h_sso_policy.c -- SSO-only organizations (doc/api.md section 6, "Single sign-on"): the setting, its break-glass admins, the password check. */
#include "handlers.h"

#include <string.h>

#include "audit.h"
#include "params.h"
#include "store.h"

#define BREAK_GLASS_MAX 10          /* route field spec: break_glass_admins items */

static enum status
policy_reply(struct ctx *c)
{
	const char *org = c->principal.org_id;
	bool required = false, have_connection = false;
	struct db_rows rows;
	enum db_result r = store_sso_policy(c->db, c->a, org, &required, &have_connection);

	if (r == DB_OK)
		r = store_sso_break_glass_list(c->db, c->a, org, &rows);
	if (r != DB_OK)
		return reply_db_status(r);
	json_object *o = json_object_new_object(), *ids = json_object_new_array();
	for (size_t i = 0; i < rows.nrows; i++)
		json_object_array_add(ids, json_object_new_string(db_cell(&rows, i, 0)));
	json_object_object_add(o, "require_sso", json_object_new_boolean(required));
	json_object_object_add(o, "break_glass_admins", ids);
	return h_reply(c, ST_OK, o);
}

enum status
h_sso_policy_get(struct ctx *c)
{
	return policy_reply(c);
}

/*
 * TX_WRITE: the setting, the break-glass list (cleared, then each named
 * admin set) and the record commit together; a name that is not an active
 * admin of the organization is 400 and the rollback keeps the old list.
 */
enum status
h_sso_policy_put(struct ctx *c)
{
	const char *org = c->principal.org_id;
	bool required = jv_bool(&c->in, "require_sso", false), current = false, have = false;
	json_object *names = jv_field(&c->in, "break_glass_admins")->array;
	size_t n = names != NULL ? json_object_array_length(names) : 0;
	char id[UUID_STR_LEN];
	enum db_result r = store_sso_policy(c->db, c->a, org, &current, &have);

	if (r != DB_OK)
		return reply_db_status(r);
	/* Nobody could sign in but the break-glass admins: refused until a connection is enabled. */
	if (required && !have)
		return params_field_error(c, "require_sso", "needs an enabled single sign-on connection");
	if ((r = store_sso_policy_set(c->db, org, required)) != DB_OK ||
	    (r = store_sso_break_glass_clear(c->db, org)) != DB_OK)
		return reply_db_status(r);
	for (size_t i = 0; i < n && i < BREAK_GLASS_MAX; i++) {
		bool changed = false, repeated = false;
		if (!params_uuid_text(json_object_get_string(json_object_array_get_idx(names, i)), id))
			return params_field_error(c, "break_glass_admins", "must hold user ids");
		for (size_t k = 0; k < i && !repeated; k++)
			repeated = strcasecmp(json_object_get_string(json_object_array_get_idx(names, k)), id) == 0;
		if (repeated)
			continue;
		if ((r = store_sso_break_glass_set(c->db, id, org, &changed)) != DB_OK)
			return reply_db_status(r);
		if (!changed)
			return params_field_error(c, "break_glass_admins", "must name active admins of the organization");
	}
	if ((r = audit_record(c, org, "organization.sso_policy_changed", "success", "organization", org)) != DB_OK)
		return reply_db_status(r);
	return policy_reply(c);
}

enum status
h_sso_password_check(struct ctx *c, const struct user_row *u, const char *action)
{
	bool refused = false;
	enum db_result r = store_sso_password_refused(c->db, c->a, u->id, &refused);

	if (r == DB_OK && refused)
		r = audit_record(c, u->org_id, action, "sso_required", "user", u->id);
	if (r != DB_OK)
		return reply_db_status(r);
	return refused ? ST_SSO_REQUIRED : ST_OK;
}
