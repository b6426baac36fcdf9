/* permission.c -- permission names and the role table of doc/api.md section 5. */
#include "permission.h"

#include <stddef.h>
#include <string.h>

#include "util.h"

static const char *const perm_names[PERM_MAX] = {
	NAMED(PERM_INCIDENTS_READ, "incidents:read")
	NAMED(PERM_INCIDENTS_CREATE, "incidents:create")
	NAMED(PERM_INCIDENTS_UPDATE, "incidents:update")
	NAMED(PERM_PROCEDURES_READ, "procedures:read")
	NAMED(PERM_PROCEDURES_CREATE, "procedures:create")
	NAMED(PERM_PROCEDURES_EXECUTE, "procedures:execute")
	NAMED(PERM_API_KEYS_READ, "api_keys:read")
	NAMED(PERM_API_KEYS_CREATE, "api_keys:create")
	NAMED(PERM_API_KEYS_DELETE, "api_keys:delete")
	NAMED(PERM_USERS_READ, "users:read")
	NAMED(PERM_USERS_MANAGE, "users:manage")
	NAMED(PERM_AUDIT_READ, "audit:read")
};

static const char *const role_names[ROLE_MAX] = {
	NAMED(ROLE_ADMIN, "admin")
	NAMED(ROLE_ENGINEER, "engineer")
	NAMED(ROLE_VIEWER, "viewer")
};

#define ALL_PERMS (PERM_BIT(PERM_MAX) - 1)
static const perm_set role_perms[ROLE_MAX] = {
	[ROLE_ADMIN] = ALL_PERMS,
	[ROLE_ENGINEER] = PERM_BIT(PERM_INCIDENTS_READ) | PERM_BIT(PERM_INCIDENTS_CREATE) |
	    PERM_BIT(PERM_INCIDENTS_UPDATE) | PERM_BIT(PERM_PROCEDURES_READ) |
	    PERM_BIT(PERM_PROCEDURES_EXECUTE) | PERM_BIT(PERM_API_KEYS_READ) |
	    PERM_BIT(PERM_API_KEYS_CREATE) | PERM_BIT(PERM_API_KEYS_DELETE) | PERM_BIT(PERM_USERS_READ),
	[ROLE_VIEWER] = PERM_BIT(PERM_INCIDENTS_READ) | PERM_BIT(PERM_PROCEDURES_READ),
};

const char *
permission_name(enum permission p)
{
	return (unsigned)p < PERM_MAX ? perm_names[p] : NULL;
}

int
permission_parse(const char *name)
{
	return util_name_index(perm_names, PERM_MAX, name);
}

int
role_parse(const char *name)
{
	return util_name_index(role_names, ROLE_MAX, name);
}

const char *
role_name(enum role r)
{
	return (unsigned)r < ROLE_MAX ? role_names[r] : NULL;
}

perm_set
role_permissions(enum role r)
{
	return (unsigned)r < ROLE_MAX ? role_perms[r] : 0;
}

bool
role_within(enum role r, perm_set held)
{
	return (unsigned)r < ROLE_MAX && (role_perms[r] & ~held) == 0;
}

perm_set
permission_csv(const char *csv)
{
	perm_set set = 0;
	const char *p = csv;
	while (p != NULL && *p != '\0') {
		char name[32];
		size_t n = strcspn(p, ",");
		if (n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			int perm = permission_parse(name);
			if (perm >= 0)
				set |= PERM_BIT(perm);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return set;
}
