/* sso_roles.h -- role mapping of single sign-on: a claim of the ID token and rules that turn its values into roles. */
#ifndef OW_SSO_ROLES_H
#define OW_SSO_ROLES_H

#include <stdbool.h>

#include <json-c/json.h>

#include "arena.h"
#include "permission.h"

#define SSO_ROLE_CLAIM_MAX 128      /* sso_connections.role_claim */
#define SSO_ROLE_VALUES_MAX 50      /* values one role's rule may list */
#define SSO_ROLE_VALUE_MAX 255      /* characters of one value */

/*
 * A claim name the mapping can read: 1 to SSO_ROLE_CLAIM_MAX printable
 * ASCII characters without spaces (a namespaced claim such as
 * "https://example.com/roles" is one name; a dotted path such as
 * "realm_access.roles" also reads into nested objects).
 */
bool sso_role_claim_ok(const char *name);

/*
 * The stored text of the rules (sso_connections.role_rules): lists[r] is
 * the JSON array of strings of role r, or NULL for none. In the arena;
 * NULL with *bad_role set to the role whose list holds an empty, too long
 * or control-character value, or NULL when the text could not be built.
 */
const char *sso_role_rules_json(json_object *const lists[ROLE_MAX], struct arena *a,
    const char **bad_role);

/*
 * The API's names of the rules' lists ("role_admin_values", ...), for
 * role r; NULL out of range. The request and the view use the same names.
 */
const char *sso_role_values_field(enum role r);

/* Add the stored rules to o as the API shows them: one array per role (empty when none). */
void sso_role_rules_view(const char *rules_json, json_object *o);

/* What a sign-in's role comes from, recorded in the sso.login event's detail. */
enum sso_role_source {
	SSO_ROLE_UNMAPPED,          /* the connection maps no claim: default_role, or a user's own role */
	SSO_ROLE_RULE,              /* a rule matched a value of the claim */
	SSO_ROLE_NO_MATCH,          /* the claim is there, no rule matches: default_role */
	SSO_ROLE_CLAIM_MISSING,     /* the token lacks the claim (or it holds no string): default_role */
	SSO_ROLE_SOURCE_MAX
};
const char *sso_role_source_name(enum sso_role_source s);

/*
 * The role an SSO sign-in gives, from the verified ID token's payload
 * (claims_json) and the connection's claim, rules and default role: the
 * highest role whose rule lists a value of the claim, else default_role;
 * never above author_role (the role of whoever saved the rules: *clipped
 * says a rule asked for more). claim NULL or "": *src is
 * SSO_ROLE_UNMAPPED and the default role is returned. Never NULL.
 */
const char *sso_role_map(const char *claim, const char *rules_json, const char *claims_json,
    const char *default_role, const char *author_role, enum sso_role_source *src, bool *clipped);

#endif
