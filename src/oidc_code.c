/* oidc_code.c -- the authorization code flow's two requests: the authorization URL and the token endpoint call. */
#include "oidc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding.h"
#include "jsonin.h"
#include "log.h"
#include "oidc_http.h"

#define TOKEN_RESPONSE_MAX (64 * 1024)

/* application/x-www-form-urlencoded value (RFC 3986 unreserved kept), in the arena. */
static char *
form_escape(const char *s, struct arena *a)
{
	return encoding_percent_encode(a, s, "");
}

const char *
oidc_authorization_url(const struct oidc_provider *p, const struct oidc_auth_request *r,
    struct arena *a)
{
	const char *ep = p->authorization_endpoint;
	const char *cid = form_escape(r->client_id, a), *ru = form_escape(r->redirect_uri, a);
	const char *scope = form_escape(r->scope, a), *state = form_escape(r->state, a);
	const char *nonce = form_escape(r->nonce, a), *ch = form_escape(r->code_challenge, a);

	if (!cid || !ru || !scope || !state || !nonce || !ch)
		return NULL;
	return arena_printf(a, "%s%cresponse_type=code&client_id=%s&redirect_uri=%s&scope=%s"
	    "&state=%s&nonce=%s&code_challenge=%s&code_challenge_method=S256", ep,
	    strchr(ep, '?') != NULL ? '&' : '?', cid, ru, scope, state, nonce, ch);
}

const char *
oidc_end_session_url(const char *ep, const char *client_id, const char *post_logout_redirect_uri,
    struct arena *a)
{
	const char *cid = form_escape(client_id, a), *to = form_escape(post_logout_redirect_uri, a);

	if (cid == NULL || to == NULL)
		return NULL;
	return arena_printf(a, "%s%cclient_id=%s&post_logout_redirect_uri=%s", ep,
	    strchr(ep, '?') != NULL ? '&' : '?', cid, to);
}

/* A provider's error code, for a log line: letters and '_' only, or "?". */
static void
error_code(json_object *doc, char out[48])
{
	const char *e = doc != NULL ? jv_get_string(doc, "error") : NULL;
	size_t n = e != NULL ? strlen(e) : 0;

	if (n == 0 || n >= 48 || strspn(e, "abcdefghijklmnopqrstuvwxyz_") != n) {
		snprintf(out, 48, "?");
		return;
	}
	memcpy(out, e, n + 1);
}

/*
 * What the token endpoint's answer means: its error code mapped to a
 * reason (logged once, the code only), or the ID token copied into the arena.
 */
static enum oidc_error
token_response(json_object *doc, long status, const char *host, struct arena *a,
    const char **id_token, char *at, size_t at_size)
{
	char err[48];

	if (status != 200) {
		error_code(doc, err);
		log_warning("sso: token endpoint of %s answered HTTP %ld (error %s)", host, status, err);
		if (doc != NULL && (strcmp(err, "invalid_client") == 0 || strcmp(err, "unauthorized_client") == 0))
			return OIDC_E_CLIENT_REJECTED;
		if (doc != NULL && status >= 400 && status < 500 && strcmp(err, "?") != 0)
			return OIDC_E_GRANT_REJECTED;
		return OIDC_E_HTTP;
	}
	if (doc == NULL) {
		log_warning("sso: token endpoint of %s did not answer a JSON object", host);
		return OIDC_E_MALFORMED;
	}
	const char *idt = jv_get_string(doc, "id_token");
	if (idt == NULL) {
		log_warning("sso: token response of %s has no id_token", host);
		return OIDC_E_NO_ID_TOKEN;
	}
	if (strlen(idt) > OIDC_ID_TOKEN_MAX)
		return OIDC_E_TOKEN_MALFORMED;
	/* Kept only where the caller wipes it; one too long is not kept (no userinfo then). */
	const char *access = jv_get_string(doc, "access_token");
	if (at_size > 0 && access != NULL && strlen(access) < at_size)
		memcpy(at, access, strlen(access) + 1);
	*id_token = arena_strdup(a, idt);
	return *id_token != NULL ? OIDC_OK : OIDC_E_INTERNAL;
}

/* The provider's access and refresh tokens: wiped from the parsed response, then put. */
static void
wipe_response(json_object *doc)
{
	if (doc == NULL)
		return;
	json_object_object_foreach(doc, k, v) {
		(void)k;
		if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
			explicit_bzero((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
	}
	json_object_put(doc);
}

/* Our secret, in the arena and in the two malloc'ed buffers that carried it. */
static void
wipe_credentials(char *esec, char *creds, char *header)
{
	if (esec != NULL)
		explicit_bzero(esec, strlen(esec));
	if (creds != NULL) {
		explicit_bzero(creds, strlen(creds));
		free(creds);
	}
	if (header != NULL) {
		explicit_bzero(header, strlen(header));
		free(header);
	}
}

enum oidc_error
oidc_exchange_code(const struct oidc_provider *p, const struct oidc_opts *o,
    const char *client_id, const char *client_secret, const char *code,
    const char *redirect_uri, const char *code_verifier, struct arena *a, const char **id_token,
    char *at, size_t at_size)
{
	const char *ecode = form_escape(code, a), *eru = form_escape(redirect_uri, a);
	const char *ever = form_escape(code_verifier, a), *ecid = form_escape(client_id, a);
	char *esec = form_escape(client_secret, a), *creds = NULL, *header = NULL;
	const char *form, *why = NULL;
	json_object *doc = NULL;
	struct oidc_body b = {0};
	long status = 0;
	char host[OIDC_HOST_LEN];
	enum oidc_error r = OIDC_E_INTERNAL;

	*id_token = NULL;
	if (at_size > 0)
		at[0] = '\0';
	if (!ecode || !eru || !ever || !ecid || !esec)
		goto out;
	form = arena_printf(a, "grant_type=authorization_code&code=%s&redirect_uri=%s&code_verifier=%s",
	    ecode, eru, ever);
	/* RFC 6749 2.3.1: client_secret_basic carries the form-encoded id and secret. */
	size_t clen = strlen(ecid) + strlen(esec) + 1;
	creds = malloc(clen + 1);
	header = malloc(32 + (clen + 2) / 3 * 4 + 1);
	if (form == NULL || creds == NULL || header == NULL)
		goto out;
	snprintf(creds, clen + 1, "%s:%s", ecid, esec);
	memcpy(header, "Authorization: Basic ", 21);
	encoding_base64((const unsigned char *)creds, clen, header + 21, false);
	r = oidc_http_call(p->token_endpoint, form, header, o, TOKEN_RESPONSE_MAX, &status, &b);
	if (r != OIDC_OK)
		goto out;
	oidc_url_host(p->token_endpoint, host);
	doc = jv_parse_strict(b.p, b.len, &why);
	if (doc != NULL && !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		doc = NULL;
	}
	r = token_response(doc, status, host, a, id_token, at, at_size);
out:
	/* The provider's access and refresh tokens and our secret: gone from memory. */
	wipe_response(doc);
	oidc_body_free(&b);
	wipe_credentials(esec, creds, header);
	return r;
}
