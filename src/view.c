/* view.c -- the JSON objects of doc/api.md section 6, so every endpoint shows a user the same way. */
#include "view.h"

#include <string.h>

json_object *
view_opt_string(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

json_object *
view_type_id(const char *type, const char *id)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "type", view_opt_string(type));
	json_object_object_add(o, "id", view_opt_string(id));
	return o;
}

json_object *
view_row(const struct db_rows *rows, size_t i, const struct view_col *cols)
{
	json_object *o = json_object_new_object();
	for (const struct view_col *v = cols; v->name != NULL; v++) {
		const char *cell = db_cell(rows, i, (size_t)v->col);
		json_object *value;
		if (v->type_col == VIEW_INTEGER)
			value = json_object_new_int64(db_cell_int(rows, i, (size_t)v->col));
		else if (v->type_col < 0)
			value = view_opt_string(cell);
		else
			value = view_type_id(db_cell(rows, i, (size_t)v->type_col), cell);
		json_object_object_add(o, v->name, value);
	}
	return o;
}

json_object *
view_user_brief(const char *id, const char *email, const char *name, const char *role,
    const char *org_id)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "email", json_object_new_string(email));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "role", json_object_new_string(role));
	json_object_object_add(o, "organization_id", json_object_new_string(org_id));
	return o;
}

json_object *
view_user(const struct user_row *u)
{
	json_object *o = view_user_brief(u->id, u->email, u->name, u->role, u->org_id);
	json_object_object_add(o, "active", json_object_new_boolean(u->active));
	json_object_object_add(o, "locked_until", view_opt_string(u->locked_until));
	json_object_object_add(o, "created_at", view_opt_string(u->created_at));
	return o;
}

json_object *
view_permissions(perm_set perms)
{
	json_object *arr = json_object_new_array();
	for (int i = 0; i < PERM_MAX; i++)
		if (perms & PERM_BIT(i))
			json_object_array_add(arr, json_object_new_string(permission_name((enum permission)i)));
	return arr;
}

json_object *
view_apikey_created(const char *id, const char *name, const char *key, const char *prefix,
    perm_set perms, time_t created, time_t expires)
{
	char created_text[RFC3339_LEN], expires_text[RFC3339_LEN];
	json_object *o = json_object_new_object();

	util_time_rfc3339(created, created_text);
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "api_key", json_object_new_string(key));
	json_object_object_add(o, "prefix", json_object_new_string(prefix));
	json_object_object_add(o, "permissions", view_permissions(perms));
	json_object_object_add(o, "created_at", json_object_new_string(created_text));
	if (expires > 0) {
		util_time_rfc3339(expires, expires_text);
		json_object_object_add(o, "expires_at", json_object_new_string(expires_text));
	} else {
		json_object_object_add(o, "expires_at", NULL);
	}
	return o;
}

void
view_add_strings(json_object *o, const void *base, const struct view_str *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *const *member = (const char *const *)((const char *)base + fields[i].offset);
		json_object_object_add(o, fields[i].name, view_opt_string(*member));
	}
}

json_object *
view_csv_array(const char *csv)
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

/* doc/api.md section 6, Audit: an event of the trail. */
static const struct view_col event_cols[] = {
	VIEW_COL("id", AUDIT_COL_ID)
	VIEW_COL("occurred_at", AUDIT_COL_OCCURRED_AT)
	VIEW_COL("action", AUDIT_COL_ACTION)
	VIEW_COL("outcome", AUDIT_COL_OUTCOME)
	VIEW_COL_TYPED("actor", AUDIT_COL_ACTOR_ID, AUDIT_COL_ACTOR_TYPE)
	VIEW_COL("ip", AUDIT_COL_IP)
	VIEW_COL("user_agent", AUDIT_COL_USER_AGENT)
	VIEW_COL_TYPED("target", AUDIT_COL_TARGET_ID, AUDIT_COL_TARGET_TYPE)
	/* Why: a refusal's reason (an SSO sign-in's, say), which the log alone held before. */
	VIEW_COL("detail", AUDIT_COL_DETAIL)
	VIEW_END
};

json_object *
view_audit_event(const struct db_rows *rows, size_t i)
{
	return view_row(rows, i, event_cols);
}
