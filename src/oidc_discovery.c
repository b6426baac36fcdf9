/* oidc_discovery.c -- a provider's metadata: the discovery document and its JWKS, fetched and checked at save. */
#include "oidc.h"

#include <string.h>

#include "jsonin.h"
#include "log.h"
#include "oidc_http.h"
#include "oidc_jwks.h"

#define DISCOVERY_MAX (256 * 1024)  /* a discovery document or JWKS larger than this is nonsense */

enum oidc_error
oidc_fetch_jwks(const char *uri, const struct oidc_opts *o, struct arena *a, const char **jwks)
{
	json_object *doc = NULL;
	struct oidc_keyset ks;
	char host[OIDC_HOST_LEN];
	enum oidc_error r;

	*jwks = NULL;
	if (!oidc_url_acceptable(uri, o))
		return OIDC_E_INSECURE_URL;
	if ((r = oidc_fetch_json(uri, o, DISCOVERY_MAX, &doc)) != OIDC_OK)
		return r;
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	r = text != NULL ? oidc_keyset_parse(text, strlen(text), &ks) : OIDC_E_INTERNAL;
	if (r == OIDC_OK || r == OIDC_E_NO_KEYS)
		oidc_keyset_free(&ks);
	if (r != OIDC_OK) {
		oidc_url_host(uri, host);
		log_warning("sso: JWKS of %s has no usable signing key", host);
	} else if ((*jwks = arena_strdup(a, text)) == NULL) {
		r = OIDC_E_INTERNAL;
	}
	json_object_put(doc);
	return r;
}

enum oidc_error
oidc_fetch_provider(const char *issuer, const struct oidc_opts *o, struct arena *a,
    struct oidc_provider *out, const char **jwks)
{
	json_object *doc = NULL;
	const char *url, *problem;
	char host[OIDC_HOST_LEN];
	enum oidc_error r;

	memset(out, 0, sizeof(*out));
	*jwks = NULL;
	if ((problem = oidc_issuer_problem(issuer, o)) != NULL)
		return OIDC_E_INSECURE_URL;
	size_t n = strlen(issuer);
	while (n > 0 && issuer[n - 1] == '/')
		n--;
	if ((url = arena_printf(a, "%.*s/.well-known/openid-configuration", (int)n, issuer)) == NULL)
		return OIDC_E_INTERNAL;
	oidc_url_host(issuer, host);
	if ((r = oidc_fetch_json(url, o, DISCOVERY_MAX, &doc)) != OIDC_OK)
		return r;
	const char *iss = jv_get_string(doc, "issuer");
	const char *authz = jv_get_string(doc, "authorization_endpoint");
	const char *token = jv_get_string(doc, "token_endpoint");
	const char *jwks_uri = jv_get_string(doc, "jwks_uri");
	/* Optional (Discovery 3): asked only for an email the ID token lacks. */
	const char *userinfo = jv_get_string(doc, "userinfo_endpoint");
	/* Optional; only ever a link for the browser, never fetched: one the rules refuse is dropped. */
	const char *end_session = jv_get_string(doc, "end_session_endpoint");
	if (end_session != NULL && !oidc_url_acceptable(end_session, o))
		end_session = NULL;
	if (iss == NULL || authz == NULL || token == NULL || jwks_uri == NULL) {
		log_warning("sso: discovery document of %s lacks issuer or an endpoint", host);
		r = OIDC_E_MALFORMED;
	} else if (!oidc_same_issuer(iss, issuer)) {
		/* OpenID Connect Discovery 4.3: a document for another issuer is an attack. */
		log_warning("sso: discovery document of %s names another issuer", host);
		r = OIDC_E_ISSUER_MISMATCH;
	} else if (!oidc_url_acceptable(authz, o) || !oidc_url_acceptable(token, o) ||
	    !oidc_url_acceptable(jwks_uri, o) || (userinfo != NULL && !oidc_url_acceptable(userinfo, o))) {
		/* Each endpoint is held to the issuer's rules: no internal URL through the back door. */
		log_warning("sso: discovery document of %s names an unacceptable endpoint URL", host);
		r = OIDC_E_INSECURE_URL;
	} else {
		out->issuer = arena_strdup(a, iss);
		out->authorization_endpoint = arena_strdup(a, authz);
		out->token_endpoint = arena_strdup(a, token);
		out->jwks_uri = arena_strdup(a, jwks_uri);
		out->userinfo_endpoint = arena_strdup(a, userinfo != NULL ? userinfo : "");
		out->end_session_endpoint = arena_strdup(a, end_session != NULL ? end_session : "");
		if (!out->issuer || !out->authorization_endpoint || !out->token_endpoint || !out->jwks_uri ||
		    !out->userinfo_endpoint || !out->end_session_endpoint)
			r = OIDC_E_INTERNAL;
	}
	json_object_put(doc);
	if (r == OIDC_OK)
		r = oidc_fetch_jwks(out->jwks_uri, o, a, jwks);
	return r;
}
