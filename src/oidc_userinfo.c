/* oidc_userinfo.c -- the userinfo endpoint (OpenID Connect Core 5.3): the email an ID token lacks. */
#include "oidc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonin.h"
#include "log.h"
#include "oidc_http.h"

#define USERINFO_MAX (64 * 1024)

/* email_verified as the ID token reads it: a boolean, or the string some providers send. */
static int
verified_of(json_object *doc)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(doc, "email_verified", &v))
		return -1;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? 1 : 0;
	return json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), "true") == 0;
}

/* The claims of a 200 answer that is a JSON object about sub. */
static enum oidc_error
userinfo_answer(const struct oidc_body *b, long status, const char *sub, const char *host,
    struct arena *a, const char **email, int *email_verified)
{
	const char *why = NULL;
	json_object *doc;
	enum oidc_error r = OIDC_OK;

	if (status != 200) {
		log_warning("sso: userinfo endpoint of %s answered HTTP %ld", host, status);
		return OIDC_E_HTTP;
	}
	if ((doc = jv_parse_strict(b->p, b->len, &why)) == NULL || !json_object_is_type(doc, json_type_object)) {
		log_warning("sso: userinfo endpoint of %s did not answer a JSON object", host);
		r = OIDC_E_MALFORMED;
	} else if (jv_get_string(doc, "sub") == NULL || strcmp(jv_get_string(doc, "sub"), sub) != 0) {
		/* Core 5.3.2: an answer about anyone else must not be used (token substitution). */
		log_warning("sso: userinfo endpoint of %s answered for another subject", host);
		r = OIDC_E_USERINFO_SUB;
	} else {
		const char *e = jv_get_string(doc, "email");
		*email = e != NULL ? arena_strdup(a, e) : NULL;
		*email_verified = verified_of(doc);
		if (e != NULL && *email == NULL)
			r = OIDC_E_INTERNAL;
	}
	json_object_put(doc);
	return r;
}

enum oidc_error
oidc_userinfo_email(const struct oidc_provider *p, const struct oidc_opts *o, const char *at,
    const char *sub, struct arena *a, const char **email, int *email_verified)
{
	struct oidc_body b = {0};
	char host[OIDC_HOST_LEN];
	long status = 0;
	size_t hlen = strlen(at) + 32;
	char *header = malloc(hlen);
	enum oidc_error r = OIDC_E_INTERNAL;

	*email = NULL;
	*email_verified = -1;
	if (header == NULL)
		return r;
	/* The endpoint was held to the issuer's rules at save; the address is checked again at connect. */
	snprintf(header, hlen, "Authorization: Bearer %s", at);
	oidc_url_host(p->userinfo_endpoint, host);
	if (oidc_url_acceptable(p->userinfo_endpoint, o))
		r = oidc_http_call(p->userinfo_endpoint, NULL, header, o, USERINFO_MAX, &status, &b);
	else
		r = OIDC_E_INSECURE_URL;
	if (r == OIDC_OK)
		r = userinfo_answer(&b, status, sub, host, a, email, email_verified);
	explicit_bzero(header, hlen);
	free(header);
	oidc_body_free(&b);
	return r;
}
