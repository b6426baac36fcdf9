/* view.h -- JSON shapes of the contract's objects, built in one place. */
#ifndef OW_VIEW_H
#define OW_VIEW_H

#include <json-c/json.h>
#include <stddef.h>
#include <time.h>

#include "permission.h"
#include "store.h"

/* {id, email, name, role, organization_id} as in the login response. */
json_object *view_user_brief(const char *id, const char *email, const char *name,
    const char *role, const char *org_id);
/* The full user (doc/api.md section 6, "Users"): brief + active, locked_until, created_at. */
json_object *view_user(const struct user_row *u);
/* ["incidents:read", ...] in the contract's order. */
json_object *view_permissions(perm_set perms);
/* A comma-separated list (a key's stored permissions) as a JSON array of strings. */
json_object *view_csv_array(const char *csv);
/* Row i of an audit-log statement (enum audit_col) as GET /audit-log shows it. */
json_object *view_audit_event(const struct db_rows *rows, size_t i);
/* {type, id} of an actor or a target, each a string or JSON null. */
json_object *view_type_id(const char *type, const char *id);
/*
 * One member of a row's JSON object: the string of column col (JSON null
 * for SQL NULL), its integer when type_col is VIEW_INTEGER, or, when
 * type_col >= 0, the {type, id} object of columns type_col and col. A view
 * is an array of them ending with name NULL.
 */
struct view_col {
	const char *name;
	int col;
	int type_col;
};
#define VIEW_INTEGER (-2)
/* One row per member, one per line; VIEW_END closes the array. */
#define VIEW_COL(name, col) {name, col, -1},
#define VIEW_COL_TYPED(name, col, type_col) {name, col, type_col},
#define VIEW_END {NULL, 0, 0},
json_object *view_row(const struct db_rows *rows, size_t i, const struct view_col *cols);
/* A string or JSON null. */
json_object *view_opt_string(const char *s);
/* Members of a struct that are text or NULL, shown by name (view_add_strings). */
struct view_str {
	const char *name;
	size_t offset;      /* of a const char * member */
};
#define VIEW_STR(type, member) {#member, offsetof(type, member)}
/* Add each of fields (n) of the struct at base to o, as a string or null. */
void view_add_strings(json_object *o, const void *base, const struct view_str *fields, size_t n);
/* A new API key as POST /api-keys and its rotation show it: the only time the key itself is shown. */
json_object *view_apikey_created(const char *id, const char *name, const char *key,
    const char *prefix, perm_set perms, time_t created, time_t expires);

#endif
