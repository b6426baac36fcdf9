/* sso_roles.c -- role mapping of single sign-on (doc/api.md section 6, "Single sign-on"). */
#include "sso_roles.h"

#include <string.h>

#include "jsonin.h"
#include "util.h"

static const char *const source_names[SSO_ROLE_SOURCE_MAX] = {
	NAMED(SSO_ROLE_UNMAPPED, "unmapped")
	NAMED(SSO_ROLE_RULE, "rule")
	NAMED(SSO_ROLE_NO_MATCH, "no_rule_matched")
	NAMED(SSO_ROLE_CLAIM_MISSING, "role_claim_missing")
};

static const char *const values_fields[ROLE_MAX] = {
	NAMED(ROLE_ADMIN, "role_admin_values")
	NAMED(ROLE_ENGINEER, "role_engineer_values")
	NAMED(ROLE_VIEWER, "role_viewer_values")
};

const char *
sso_role_source_name(enum sso_role_source s)
{
	return s < SSO_ROLE_SOURCE_MAX ? source_names[s] : NULL;
}

const char *
sso_role_values_field(enum role r)
{
	return r < ROLE_MAX ? values_fields[r] : NULL;
}

bool
sso_role_claim_ok(const char *name)
{
	return util_visible_token(name, SSO_ROLE_CLAIM_MAX);
}

/* A rule value: 1 to SSO_ROLE_VALUE_MAX characters of valid UTF-8, no control characters. */
static bool
value_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || !util_utf8_valid(v, n) || util_utf8_len(v, n) > SSO_ROLE_VALUE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return false;
	return true;
}

const char *
sso_role_rules_json(json_object *const lists[ROLE_MAX], struct arena *a, const char **bad_role)
{
	json_object *o = json_object_new_object();
	const char *text = NULL;

	*bad_role = NULL;
	if (o == NULL)
		return NULL;
	for (int r = 0; r < ROLE_MAX; r++) {
		json_object *arr = json_object_new_array();
		size_t n = lists[r] != NULL ? json_object_array_length(lists[r]) : 0;
		json_object_object_add(o, role_name((enum role)r), arr);
		for (size_t i = 0; i < n; i++) {
			const char *v = json_object_get_string(json_object_array_get_idx(lists[r], i));
			if (n > SSO_ROLE_VALUES_MAX || v == NULL || !value_ok(v)) {
				*bad_role = role_name((enum role)r);
				goto out;
			}
			json_object_array_add(arr, json_object_new_string(v));
		}
	}
	text = arena_strdup(a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(o);
	return text;
}

void
sso_role_rules_view(const char *rules_json, json_object *o)
{
	const char *why = NULL;
	json_object *stored = rules_json != NULL ? jv_parse_strict(rules_json, strlen(rules_json), &why) : NULL;

	for (int r = 0; r < ROLE_MAX; r++) {
		json_object *list = NULL;
		if (stored == NULL || !json_object_object_get_ex(stored, role_name((enum role)r), &list) ||
		    !json_object_is_type(list, json_type_array))
			list = NULL;
		json_object_object_add(o, values_fields[r],
		    list != NULL ? json_object_get(list) : json_object_new_array());
	}
	json_object_put(stored);
}

/*
 * The claim's value: the member of that exact name (namespaced claims hold
 * dots and slashes), else the dotted path through nested objects.
 */
static json_object *
claim_value(json_object *claims, const char *claim)
{
	json_object *v = NULL;
	char seg[SSO_ROLE_CLAIM_MAX + 1];

	if (json_object_object_get_ex(claims, claim, &v))
		return v;
	for (const char *p = claim; claims != NULL && *p != '\0';) {
		size_t n = strcspn(p, ".");
		if (n == 0 || n > SSO_ROLE_CLAIM_MAX || !json_object_is_type(claims, json_type_object))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (!json_object_object_get_ex(claims, seg, &v))
			return NULL;
		claims = v;
		p += n + (p[n] == '.');
	}
	return claims;
}

/* Does the claim's value (a string, or an array of them) hold one of the rule's values? */
static bool
matches(json_object *value, json_object *rule)
{
	size_t nv = json_object_is_type(value, json_type_array) ? json_object_array_length(value) : 1;
	size_t nr = json_object_is_type(rule, json_type_array) ? json_object_array_length(rule) : 0;

	for (size_t i = 0; i < nv; i++) {
		json_object *one = json_object_is_type(value, json_type_array) ?
		    json_object_array_get_idx(value, i) : value;
		if (!json_object_is_type(one, json_type_string))
			continue;
		for (size_t k = 0; k < nr; k++)
			if (strcmp(json_object_get_string(one),
			    json_object_get_string(json_object_array_get_idx(rule, k))) == 0)
				return true;
	}
	return false;
}

/* Does the value hold any string at all (a claim of numbers only reads as missing)? */
static bool
has_string(json_object *value)
{
	if (json_object_is_type(value, json_type_string))
		return true;
	if (!json_object_is_type(value, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(value); i++)
		if (json_object_is_type(json_object_array_get_idx(value, i), json_type_string))
			return true;
	return false;
}

/* The highest role whose rule matches, or -1; *src says why. */
static int
rule_role(const char *claim, const char *rules_json, const char *claims_json,
    enum sso_role_source *src)
{
	const char *why = NULL;
	json_object *claims = jv_parse_strict(claims_json, strlen(claims_json), &why);
	json_object *rules = jv_parse_strict(rules_json, strlen(rules_json), &why);
	json_object *value = claims != NULL ? claim_value(claims, claim) : NULL;
	int found = -1;

	*src = SSO_ROLE_CLAIM_MISSING;
	if (value != NULL && has_string(value)) {
		*src = SSO_ROLE_NO_MATCH;
		/* enum role runs from the highest role down: the first match is the highest. */
		for (int r = 0; r < ROLE_MAX && found < 0 && rules != NULL; r++) {
			json_object *rule = NULL;
			if (json_object_object_get_ex(rules, role_name((enum role)r), &rule) && matches(value, rule))
				found = r;
		}
		if (found >= 0)
			*src = SSO_ROLE_RULE;
	}
	json_object_put(claims);
	json_object_put(rules);
	return found;
}

const char *
sso_role_map(const char *claim, const char *rules_json, const char *claims_json,
    const char *default_role, const char *author_role, enum sso_role_source *src, bool *clipped)
{
	int role = role_parse(default_role), cap = author_role != NULL ? role_parse(author_role) : -1;

	*clipped = false;
	*src = SSO_ROLE_UNMAPPED;
	if (role < 0)
		role = ROLE_VIEWER;
	if (claim == NULL || claim[0] == '\0' || rules_json == NULL || claims_json == NULL)
		return role_name((enum role)role);
	int mapped = rule_role(claim, rules_json, claims_json, src);
	if (mapped >= 0)
		role = mapped;
	/* Rules without a recorded author grant nothing above the lowest role. */
	if (cap < 0)
		cap = ROLE_VIEWER;
	if (!role_within((enum role)role, role_permissions((enum role)cap))) {
		role = cap;
		*clipped = true;
	}
	return role_name((enum role)role);
}
