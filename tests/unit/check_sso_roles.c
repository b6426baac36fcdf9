/* check_sso_roles.c -- unit tests for sso_roles.c: the role an SSO sign-in gets from a claim and rules. */
#include "unit.h"

#include "sso_roles.h"

#define RULES "{\"admin\":[\"ow-admins\"],\"engineer\":[\"ow-eng\",\"ops\"],\"viewer\":[\"staff\"]}"

static const struct {
	const char *claim, *rules, *claims, *dflt, *author;
	const char *want;
	enum sso_role_source src;
	bool clipped;
} maps[] = {
	/* No claim configured: the default role, whatever the token says. */
	{NULL, RULES, "{\"groups\":[\"ow-admins\"]}", "viewer", "admin", "viewer", SSO_ROLE_UNMAPPED, false},
	{"", RULES, "{\"groups\":[\"ow-admins\"]}", "engineer", "admin", "engineer", SSO_ROLE_UNMAPPED, false},
	/* The highest matching role wins, whatever the order of the values. */
	{"groups", RULES, "{\"groups\":[\"staff\",\"ops\",\"ow-admins\"]}", "viewer", "admin", "admin", SSO_ROLE_RULE, false},
	{"groups", RULES, "{\"groups\":[\"staff\",\"ops\"]}", "viewer", "admin", "engineer", SSO_ROLE_RULE, false},
	{"groups", RULES, "{\"groups\":\"ow-eng\"}", "viewer", "admin", "engineer", SSO_ROLE_RULE, false},
	/* A rule may give less than the default role: down as well as up. */
	{"groups", RULES, "{\"groups\":[\"staff\"]}", "engineer", "admin", "viewer", SSO_ROLE_RULE, false},
	/* No match, or no claim: the default role. */
	{"groups", RULES, "{\"groups\":[\"nobody\"]}", "engineer", "admin", "engineer", SSO_ROLE_NO_MATCH, false},
	{"groups", RULES, "{\"groups\":[]}", "viewer", "admin", "viewer", SSO_ROLE_CLAIM_MISSING, false},
	{"groups", RULES, "{\"email\":\"a@b.example\"}", "viewer", "admin", "viewer", SSO_ROLE_CLAIM_MISSING, false},
	{"groups", RULES, "{\"groups\":[1,true,{\"x\":\"ow-admins\"}]}", "viewer", "admin", "viewer", SSO_ROLE_CLAIM_MISSING, false},
	/* Case matters: values are compared exactly. */
	{"groups", RULES, "{\"groups\":[\"OW-ADMINS\"]}", "viewer", "admin", "viewer", SSO_ROLE_NO_MATCH, false},
	/* A dotted path into nested objects, and a namespaced claim named as a whole. */
	{"realm_access.roles", RULES, "{\"realm_access\":{\"roles\":[\"ow-admins\"]}}", "viewer", "admin", "admin", SSO_ROLE_RULE, false},
	{"realm_access.roles", RULES, "{\"realm_access\":[\"ow-admins\"]}", "viewer", "admin", "viewer", SSO_ROLE_CLAIM_MISSING, false},
	{"https://example.com/roles", RULES, "{\"https://example.com/roles\":[\"ops\"]}", "viewer", "admin", "engineer", SSO_ROLE_RULE, false},
	/* Never above the author's role; no recorded author grants only the lowest. */
	{"groups", RULES, "{\"groups\":[\"ow-admins\"]}", "viewer", "engineer", "engineer", SSO_ROLE_RULE, true},
	{"groups", RULES, "{\"groups\":[\"ow-admins\"]}", "viewer", NULL, "viewer", SSO_ROLE_RULE, true},
	{"groups", RULES, "{\"groups\":[\"nobody\"]}", "admin", "engineer", "engineer", SSO_ROLE_NO_MATCH, true},
	/* Stored text that does not parse maps nothing. */
	{"groups", "not json", "{\"groups\":[\"ow-admins\"]}", "viewer", "admin", "viewer", SSO_ROLE_NO_MATCH, false},
	{"groups", RULES, "not json", "viewer", "admin", "viewer", SSO_ROLE_CLAIM_MISSING, false},
};

START_TEST(test_role_map)
{
	enum sso_role_source src = SSO_ROLE_SOURCE_MAX;
	bool clipped = true;
	const char *got = sso_role_map(maps[_i].claim, maps[_i].rules, maps[_i].claims, maps[_i].dflt,
	    maps[_i].author, &src, &clipped);

	ck_assert_msg(strcmp(got, maps[_i].want) == 0, "case %d: %s, not %s", _i, got, maps[_i].want);
	ck_assert_msg(src == maps[_i].src, "case %d: source %s", _i, sso_role_source_name(src));
	ck_assert_msg(clipped == maps[_i].clipped, "case %d: clipped %d", _i, clipped);
}
END_TEST

static const struct {
	const char *name;
	bool ok;
} claims[] = {
	{"groups", true}, {"realm_access.roles", true}, {"https://example.com/roles", true},
	{"", false}, {"two words", false}, {"tab\there", false}, {"caf\xc3\xa9", false},
};

START_TEST(test_claim_name)
{
	char vis[256];

	ck_assert_msg(sso_role_claim_ok(claims[_i].name) == claims[_i].ok, "claim %s",
	    unit_visible(claims[_i].name, vis, sizeof vis));
}
END_TEST

START_TEST(test_claim_name_length)
{
	char name[SSO_ROLE_CLAIM_MAX + 2];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert(!sso_role_claim_ok(name));
	name[SSO_ROLE_CLAIM_MAX] = '\0';
	ck_assert(sso_role_claim_ok(name));
}
END_TEST

/* Built from the request's lists, shown back the same; a bad value names its role. */
START_TEST(test_rules_round_trip)
{
	struct arena a;
	const char *bad = "x";
	json_object *lists[ROLE_MAX] = {NULL};

	arena_init(&a, 4096);
	lists[ROLE_ENGINEER] = json_tokener_parse("[\"ops\",\"caf\xc3\xa9\"]");
	const char *text = sso_role_rules_json(lists, &a, &bad);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_null(bad);
	ck_assert_str_eq(text, "{\"admin\":[],\"engineer\":[\"ops\",\"caf\xc3\xa9\"],\"viewer\":[]}");
	json_object *o = json_object_new_object();
	sso_role_rules_view(text, o);
	ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    "{\"role_admin_values\":[],\"role_engineer_values\":[\"ops\",\"caf\xc3\xa9\"],\"role_viewer_values\":[]}");
	json_object_put(o);
	json_object_put(lists[ROLE_ENGINEER]);

	lists[ROLE_ENGINEER] = NULL;
	lists[ROLE_VIEWER] = json_tokener_parse("[\"ok\",\"\"]");
	ck_assert_ptr_null(sso_role_rules_json(lists, &a, &bad));
	ck_assert_str_eq(bad, "viewer");
	json_object_put(lists[ROLE_VIEWER]);
	lists[ROLE_VIEWER] = json_tokener_parse("[\"line\\nbreak\"]");
	ck_assert_ptr_null(sso_role_rules_json(lists, &a, &bad));
	ck_assert_str_eq(bad, "viewer");
	json_object_put(lists[ROLE_VIEWER]);
	arena_free(&a);
}
END_TEST

START_TEST(test_source_names)
{
	for (int s = 0; s < SSO_ROLE_SOURCE_MAX; s++)
		ck_assert_ptr_nonnull(sso_role_source_name((enum sso_role_source)s));
	ck_assert_ptr_null(sso_role_source_name(SSO_ROLE_SOURCE_MAX));
	for (int r = 0; r < ROLE_MAX; r++)
		ck_assert_ptr_nonnull(sso_role_values_field((enum role)r));
}
END_TEST

static Suite *
sso_roles_suite(void)
{
	Suite *s = suite_create("sso_roles");
	TCase *tc = unit_tcase(s, "mapping", 10);

	tcase_add_loop_test(tc, test_role_map, 0, sizeof maps / sizeof maps[0]);
	tcase_add_loop_test(tc, test_claim_name, 0, sizeof claims / sizeof claims[0]);
	tcase_add_test(tc, test_claim_name_length);
	tcase_add_test(tc, test_rules_round_trip);
	tcase_add_test(tc, test_source_names);
	return s;
}

int
main(void)
{
	return unit_run(sso_roles_suite(), false);
}
