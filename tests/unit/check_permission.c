/* check_permission.c -- unit tests for permission.c (the role rule, the SET text) and auth.c's judgement of an API key row. */
#include "unit.h"

#include "auth.h"
#include "permission.h"
#include "store.h"

#define B(p) PERM_BIT(PERM_##p)
#define ALL (PERM_BIT(PERM_MAX) - 1)
#define ENGINEER (B(INCIDENTS_READ) | B(INCIDENTS_CREATE) | B(INCIDENTS_UPDATE) | \
	B(PROCEDURES_READ) | B(PROCEDURES_EXECUTE) | B(API_KEYS_READ) | B(API_KEYS_CREATE) | \
	B(API_KEYS_DELETE) | B(USERS_READ))
#define VIEWER (B(INCIDENTS_READ) | B(PROCEDURES_READ))

/* ---- nobody grants a role above their own ---- */

static const struct {
	enum role role;
	perm_set held;
	bool want;
} within[] = {
	{ROLE_ADMIN, ALL, true},
	{ROLE_ADMIN, ALL & ~B(AUDIT_READ), false},
	{ROLE_ADMIN, ENGINEER | B(USERS_MANAGE), false},
	{ROLE_ENGINEER, ALL, true},
	{ROLE_ENGINEER, ENGINEER, true},
	{ROLE_ENGINEER, ENGINEER | B(USERS_MANAGE), true},
	{ROLE_ENGINEER, (ENGINEER & ~B(INCIDENTS_UPDATE)) | B(USERS_MANAGE), false},
	{ROLE_ENGINEER, VIEWER | B(USERS_MANAGE), false},
	{ROLE_VIEWER, VIEWER, true},
	{ROLE_VIEWER, VIEWER | B(USERS_MANAGE), true},
	{ROLE_VIEWER, B(USERS_MANAGE), false},
	{ROLE_VIEWER, B(INCIDENTS_READ) | B(USERS_MANAGE), false},
	{ROLE_VIEWER, 0, false},
	{ROLE_MAX, ALL, false},
};

START_TEST(test_role_within)
{
	ck_assert_msg(role_within(within[_i].role, within[_i].held) == within[_i].want,
	    "case %d: role %d within %#x should be %d", _i, within[_i].role,
	    (unsigned)within[_i].held, within[_i].want);
}
END_TEST

START_TEST(test_every_role_within_itself)
{
	for (int r = 0; r < ROLE_MAX; r++) {
		ck_assert(role_within((enum role)r, role_permissions((enum role)r)));
		ck_assert(role_within((enum role)r, ALL));
	}
	ck_assert(!role_within(ROLE_ADMIN, role_permissions(ROLE_ENGINEER)));
	ck_assert(!role_within(ROLE_ENGINEER, role_permissions(ROLE_VIEWER)));
}
END_TEST

/* ---- "a:b,c:d" as MariaDB gives a SET column ---- */

static const struct {
	const char *csv;
	perm_set want;
} csvs[] = {
	{NULL, 0},
	{"", 0},
	{"incidents:read", B(INCIDENTS_READ)},
	{"incidents:read,audit:read", B(INCIDENTS_READ) | B(AUDIT_READ)},
	{"nope,users:manage", B(USERS_MANAGE)},
	{"incidents:read,", B(INCIDENTS_READ)},
	{"incidents:read,incidents:read:and-a-name-longer-than-the-buffer-ever-holds", B(INCIDENTS_READ)},
	{"INCIDENTS:READ", 0},
};

START_TEST(test_permission_csv)
{
	ck_assert_uint_eq(permission_csv(csvs[_i].csv), csvs[_i].want);
}
END_TEST

/* ---- auth_apikey_state: what a key is, from its one row ---- */

#define LIVE .root_user_id = "u", .creator_found = true, .creator_active = true
static const struct {
	const char *what;
	struct apikey_row k;
	enum apikey_state want;
	perm_set effective;
} keys[] = {
	{"a user's key", {LIVE, .chain_permissions = "incidents:read,incidents:create",
	    .creator_role = "engineer"}, APIKEY_ACTIVE, B(INCIDENTS_READ) | B(INCIDENTS_CREATE)},
	{"the role shrank", {LIVE, .chain_permissions = "incidents:read,incidents:create",
	    .creator_role = "viewer"}, APIKEY_ACTIVE, B(INCIDENTS_READ)},
	{"the role grew: the list bounds", {LIVE, .chain_permissions = "incidents:read",
	    .creator_role = "admin"}, APIKEY_ACTIVE, B(INCIDENTS_READ)},
	{"nothing in common", {LIVE, .chain_permissions = "audit:read", .creator_role = "engineer"},
	    APIKEY_ACTIVE, 0},
	{"an unknown role", {LIVE, .chain_permissions = "incidents:read", .creator_role = "root"},
	    APIKEY_ACTIVE, 0},
	{"revoked", {LIVE, .chain_permissions = "incidents:read", .creator_role = "admin",
	    .revoked = true, .parent_revoked = true, .expired = true}, APIKEY_REVOKED, 0},
	{"parent revoked", {LIVE, .chain_permissions = "incidents:read", .creator_role = "admin",
	    .parent_revoked = true, .parent_expired = true}, APIKEY_PARENT_REVOKED, 0},
	{"parent expired", {LIVE, .chain_permissions = "incidents:read", .creator_role = "admin",
	    .parent_expired = true, .expired = true}, APIKEY_PARENT_EXPIRED, 0},
	{"expired (and its creator deactivated)", {.root_user_id = "u", .creator_found = true,
	    .chain_permissions = "incidents:read", .creator_role = "admin", .expired = true},
	    APIKEY_EXPIRED, 0},
	{"creator deactivated", {.root_user_id = "u", .creator_found = true,
	    .chain_permissions = "incidents:read", .creator_role = "admin"}, APIKEY_CREATOR_INACTIVE, 0},
	{"creator deleted", {.root_user_id = "u", .chain_permissions = "incidents:read"},
	    APIKEY_CREATOR_DELETED, 0},
	{"a chain that ends nowhere", {.creator_found = true, .creator_active = true,
	    .chain_permissions = "incidents:read", .creator_role = "admin"}, APIKEY_CREATOR_DELETED, 0},
};

START_TEST(test_key_state)
{
	perm_set eff = 0xdead;
	enum apikey_state s = auth_apikey_state(&keys[_i].k, &eff);

	ck_assert_msg(s == keys[_i].want, "%s: state %d, want %d", keys[_i].what, s, keys[_i].want);
	ck_assert_msg(eff == keys[_i].effective, "%s: effective %#x, want %#x", keys[_i].what,
	    (unsigned)eff, (unsigned)keys[_i].effective);
}
END_TEST

START_TEST(test_key_status_names)
{
	ck_assert_str_eq(auth_apikey_status(APIKEY_ACTIVE), "active");
	ck_assert_str_eq(auth_apikey_status(APIKEY_EXPIRED), "expired");
	ck_assert_str_eq(auth_apikey_status(APIKEY_PARENT_EXPIRED), "expired");
	ck_assert_str_eq(auth_apikey_status(APIKEY_PARENT_REVOKED), "parent_revoked");
	ck_assert_str_eq(auth_apikey_status(APIKEY_CREATOR_INACTIVE), "creator_inactive");
	ck_assert_str_eq(auth_apikey_status(APIKEY_CREATOR_DELETED), "creator_inactive");
	for (int s = 0; s < APIKEY_STATE_MAX; s++)
		ck_assert_ptr_nonnull(auth_apikey_status((enum apikey_state)s));
}
END_TEST

static Suite *
permission_suite(void)
{
	Suite *s = suite_create("permission");
	TCase *tc;

	tc = unit_tcase(s, "roles", 10);
	tcase_add_loop_test(tc, test_role_within, 0, sizeof within / sizeof within[0]);
	tcase_add_test(tc, test_every_role_within_itself);
	tcase_add_loop_test(tc, test_permission_csv, 0, sizeof csvs / sizeof csvs[0]);

	tc = unit_tcase(s, "api keys", 10);
	tcase_add_loop_test(tc, test_key_state, 0, sizeof keys / sizeof keys[0]);
	tcase_add_test(tc, test_key_status_names);
	return s;
}

int
main(void)
{
	return unit_run(permission_suite(), false);
}
