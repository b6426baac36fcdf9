/* permission.h -- the closed list of permissions and the roles that hold them (doc/api.md section 5). */
#ifndef OW_PERMISSION_H
#define OW_PERMISSION_H

#include <stdbool.h>
#include <stdint.h>

enum permission {
	PERM_INCIDENTS_READ,
	PERM_INCIDENTS_CREATE,
	PERM_INCIDENTS_UPDATE,
	PERM_PROCEDURES_READ,
	PERM_PROCEDURES_CREATE,
	PERM_PROCEDURES_EXECUTE,
	PERM_API_KEYS_READ,
	PERM_API_KEYS_CREATE,
	PERM_API_KEYS_DELETE,
	PERM_USERS_READ,
	PERM_USERS_MANAGE,
	PERM_AUDIT_READ,
	PERM_MAX,
	PERM_NONE = -1          /* route needs a credential but no permission */
};

enum role { ROLE_ADMIN, ROLE_ENGINEER, ROLE_VIEWER, ROLE_MAX };

typedef uint32_t perm_set;

#define PERM_BIT(p) ((perm_set)1u << (p))

/* "incidents:read" etc.; NULL for an out-of-range value. */
const char *permission_name(enum permission p);
/* Permission by name; -1 if unknown. */
int permission_parse(const char *name);
/* Role by name ("admin", ...); -1 if unknown. */
int role_parse(const char *name);
const char *role_name(enum role r);
/* The permissions a role holds. */
perm_set role_permissions(enum role r);
/*
 * True when every permission of role r is in held: nobody grants a role
 * above their own (creating a user, changing a role, an SSO default role or
 * role mapping). held is the caller's effective set.
 */
bool role_within(enum role r, perm_set held);
/* The set named by "a:b,c:d" (a SET column's text); unknown names are ignored. */
perm_set permission_csv(const char *csv);

#endif
