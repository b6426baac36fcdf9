/* h_sso_test.c -- POST /sso-connections/test: an issuer's discovery run as a save runs it, nothing saved (doc/api.md section 6, SSO). */
#include "handlers.h"

#include "oidc.h"
#include "params.h"
#include "sso_provider.h"
#include "view.h"

/*
 * Each test is one or two outbound calls the tenant aims: counted per
 * organization, whatever client or key asks, so that a tenant cannot use
 * the service as a port scanner at any speed (the address guard of
 * src/oidc_addr.c decides where a call may go at all).
 */
#define SSO_TEST_LIMIT 10
#define SSO_TEST_WINDOW 60

/* The signature algorithms a JWKS can hold: every one of src/oidc_jwks.c's rules. */
#define SSO_TEST_ALGS 9

static json_object *
discovery_view(const struct oidc_provider *p, const char *jwks)
{
	const char *algs[SSO_TEST_ALGS];
	size_t n = oidc_jwks_algorithms(jwks, algs, SSO_TEST_ALGS);
	json_object *o = json_object_new_object(), *list = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, json_object_new_string(algs[i]));
	json_object_object_add(o, "issuer", json_object_new_string(p->issuer));
	json_object_object_add(o, "authorization_endpoint", json_object_new_string(p->authorization_endpoint));
	json_object_object_add(o, "token_endpoint", json_object_new_string(p->token_endpoint));
	json_object_object_add(o, "jwks_uri", json_object_new_string(p->jwks_uri));
	json_object_object_add(o, "userinfo_endpoint", view_opt_string(p->userinfo_endpoint[0] != '\0' ?
	    p->userinfo_endpoint : NULL));
	json_object_object_add(o, "signing_algorithms", list);
	return o;
}

/*
 * TX_NONE, and no transaction at all: the discovery document and JWKS are
 * fetched and checked under the same rules, guard and time limits as PUT
 * /sso-connections (h_sso_provider_fetch), and only shown. The connection,
 * if any, is neither read nor changed, so this works the same however
 * connections are stored.
 */
enum status
h_sso_connection_test(struct ctx *c)
{
	const char *issuer = jv_str(&c->in, "issuer"), *problem, *jwks = NULL;
	struct oidc_opts opts = sso_provider_opts(c->cfg);
	struct oidc_provider p;
	enum status st = h_throttle(c, "sso_test", c->principal.org_id, SSO_TEST_LIMIT, SSO_TEST_WINDOW,
	    "Too many connection tests for this organization");

	if (st != ST_OK)
		return st;
	/* The issuer's own rules first, in the words PUT uses. */
	if ((problem = oidc_issuer_problem(issuer, &opts)) != NULL)
		return params_field_error(c, "issuer", problem);
	if ((st = h_sso_provider_fetch(c, issuer, &p, &jwks)) != ST_OK)
		return st;
	return h_reply(c, ST_OK, discovery_view(&p, jwks));
}
