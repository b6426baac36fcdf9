/* oidc.c -- the OpenID Connect vocabulary: error reasons, and the sign-in's random values (state, nonce, PKCE). */
#include "oidc.h"

#include <string.h>

#include <openssl/sha.h>

#include "encoding.h"
#include "util.h"

static const struct oidc_error_info error_table[OIDC_E_MAX] = {
	[OIDC_OK] = {"ok", "OK", false},
	[OIDC_E_UNREACHABLE] = {"provider_unreachable", "The identity provider could not be reached", true},
	[OIDC_E_HTTP] = {"provider_http_error", "The identity provider answered with an unexpected HTTP status", true},
	[OIDC_E_TOO_LARGE] = {"provider_response_too_large", "The identity provider's response is too large", true},
	[OIDC_E_MALFORMED] = {"provider_response_malformed", "The identity provider's response is not the expected JSON document", true},
	[OIDC_E_ISSUER_MISMATCH] = {"provider_issuer_mismatch", "The identity provider's discovery document names another issuer", true},
	[OIDC_E_INSECURE_URL] = {"provider_insecure_url", "The identity provider's issuer or an endpoint its discovery document names is not an acceptable https URL", true},
	[OIDC_E_ADDRESS] = {"provider_address_refused", "The identity provider's address is in a network this service may not reach", true},
	[OIDC_E_BUSY] = {"provider_busy", "Another request to this identity provider is in progress", true},
	[OIDC_E_FAILING] = {"provider_recently_failed", "The identity provider did not answer recently; it is not asked again for a while", true},
	[OIDC_E_NO_KEYS] = {"provider_no_keys", "The identity provider publishes no usable signing key", true},
	[OIDC_E_CLIENT_REJECTED] = {"provider_client_rejected", "The identity provider rejected this service's client credentials", true},
	[OIDC_E_GRANT_REJECTED] = {"code_rejected", "The identity provider refused the authorization code (expired, already used, or not issued for this sign-in)", false},
	[OIDC_E_NO_ID_TOKEN] = {"provider_no_id_token", "The identity provider's token response has no id_token", true},
	[OIDC_E_TOKEN_MALFORMED] = {"id_token_malformed", "The identity provider sent an id_token that is not a signed JWT", true},
	[OIDC_E_ALG] = {"id_token_algorithm", "ID token rejected: its signature algorithm is not allowed for the key", false},
	[OIDC_E_UNKNOWN_KEY] = {"id_token_unknown_key", "ID token rejected: it is not signed by a key the provider publishes", false},
	[OIDC_E_SIGNATURE] = {"id_token_signature", "ID token rejected: the signature does not verify", false},
	[OIDC_E_ISS] = {"id_token_issuer", "ID token rejected: wrong issuer", false},
	[OIDC_E_AUD] = {"id_token_audience", "ID token rejected: not issued for this client", false},
	[OIDC_E_AZP] = {"id_token_azp", "ID token rejected: authorized party is not this client", false},
	[OIDC_E_EXPIRED] = {"id_token_expired", "ID token rejected: expired", false},
	[OIDC_E_IAT] = {"id_token_iat", "ID token rejected: missing or future issue time", false},
	[OIDC_E_NBF] = {"id_token_nbf", "ID token rejected: not yet valid", false},
	[OIDC_E_NONCE] = {"id_token_nonce", "ID token rejected: the nonce does not match this sign-in", false},
	[OIDC_E_SUB] = {"id_token_subject", "ID token rejected: missing or invalid subject", false},
	[OIDC_E_USERINFO_SUB] = {"userinfo_subject", "The identity provider's userinfo answer is about another user", true},
	[OIDC_E_EVENTS] = {"logout_token_events", "Logout token rejected: its events claim has no back-channel logout event", false},
	[OIDC_E_JTI] = {"logout_token_jti", "Logout token rejected: missing or invalid jti", false},
	[OIDC_E_STALE] = {"logout_token_stale", "Logout token rejected: issued too long ago", false},
	[OIDC_E_SID] = {"logout_token_sid", "Logout token rejected: it names neither a subject nor a valid session id", false},
	[OIDC_E_INTERNAL] = {"internal_error", "Internal server error", false},
};

const struct oidc_error_info *
oidc_error_info(enum oidc_error e)
{
	if ((unsigned)e >= OIDC_E_MAX)
		e = OIDC_E_INTERNAL;
	return &error_table[e];
}

int
oidc_random(char out[OIDC_RANDOM_LEN])
{
	unsigned char raw[32];

	if (util_random(raw, sizeof(raw)) != 0)
		return -1;
	encoding_base64(raw, sizeof(raw), out, true);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

void
oidc_s256(const char *s, char out[OIDC_S256_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), md);
	encoding_base64(md, sizeof(md), out, true);
}
