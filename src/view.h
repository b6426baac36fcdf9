/* view.h -- JSON shapes of the contract's objects, built in one place. */
#ifndef OW_VIEW_H
#define OW_VIEW_H

#include <json-c/json.h>

#include "permission.h"
#include "store.h"

/* {id, email, name, role, organization_id} as in the login response. */
json_object *view_user_brief(const char *id, const char *email, const char *name,
    const char *role, const char *org_id);
/* The full user (doc/api.md section 6, "Users"): brief + active, locked_until, created_at. */
json_object *view_user(const struct user_row *u);
/* ["incidents:read", ...] in the contract's order. */
json_object *view_permissions(perm_set perms);
/* A string or JSON null. */
json_object *view_opt_string(const char *s);

#endif
