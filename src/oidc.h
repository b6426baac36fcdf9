/* oidc.h -- OpenID Connect relying party: discovery, JWKS, code exchange, ID token checks. */
/*
 * The public contract of the OIDC client, one job per file behind it:
 *   oidc.c            error reasons, oidc_random, oidc_s256
 *   oidc_addr.c       address classes, issuer and endpoint URL rules, oidc_same_issuer
 *   oidc_http.c/.h    the HTTP client (with src/notify_send.c, the only <curl/curl.h>), oidc_global_init
 *   oidc_discovery.c  oidc_fetch_provider, oidc_fetch_jwks
 *   oidc_jwks.c/.h    JWKS parsing into pinned keys (libcjose), oidc_jwks_algorithms
 *   oidc_idtoken.c    oidc_verify_with_jwks (libcjose)
 *   oidc_code.c       oidc_authorization_url, oidc_exchange_code
 *   oidc_userinfo.c   oidc_userinfo_email
 * oidc_http.h and oidc_jwks.h are internal to these files.
 */
#ifndef OW_OIDC_H
#define OW_OIDC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "arena.h"

#define OIDC_RANDOM_LEN 44          /* 32 random bytes in base64url (43) and the NUL */
#define OIDC_S256_LEN 44            /* SHA-256 in base64url (43) and the NUL */
#define OIDC_URL_MAX 512            /* issuer and endpoint URLs */
#define OIDC_ID_TOKEN_MAX 16384     /* larger ID tokens are refused before decoding */
#define OIDC_SUBJECT_MAX 255        /* OIDC Core: sub is at most 255 ASCII characters */
#define OIDC_LEEWAY 60              /* seconds of clock skew allowed on exp, iat, nbf */
#define OIDC_LOGOUT_MAX_AGE 300     /* a logout token issued longer ago (plus the leeway) is stale */
#define OIDC_SID_MAX 255            /* a provider session id kept or matched: printable ASCII */
/* The member of a logout token's events claim (OpenID Connect Back-Channel Logout 1.0, 2.4). */
#define OIDC_LOGOUT_EVENT "http://schemas.openid.net/event/backchannel-logout"

/*
 * Everything that can go wrong, with a short reason for the audit log and a
 * detail for the client. provider_fault: the provider is down or answered
 * nonsense (502); otherwise the sign-in itself is refused (401).
 */
enum oidc_error {
	OIDC_OK,
	OIDC_E_UNREACHABLE,         /* connect, DNS, TLS or timeout */
	OIDC_E_HTTP,                /* an HTTP status other than the expected one */
	OIDC_E_TOO_LARGE,           /* response body over its limit */
	OIDC_E_MALFORMED,           /* not the JSON document expected */
	OIDC_E_ISSUER_MISMATCH,     /* the discovery document names another issuer */
	OIDC_E_INSECURE_URL,        /* an issuer or endpoint URL the rules refuse */
	OIDC_E_ADDRESS,             /* it resolves to an address this service may not reach */
	OIDC_E_BUSY,                /* another worker is talking to this provider right now */
	OIDC_E_FAILING,             /* the provider did not answer recently (remembered) */
	OIDC_E_NO_KEYS,             /* JWKS without one usable signing key */
	OIDC_E_CLIENT_REJECTED,     /* token endpoint: invalid_client, unauthorized_client */
	OIDC_E_GRANT_REJECTED,      /* token endpoint: the code (invalid_grant, replayed, PKCE) */
	OIDC_E_NO_ID_TOKEN,         /* token response without an id_token */
	OIDC_E_TOKEN_MALFORMED,     /* id_token is not a compact JWS with JSON parts */
	OIDC_E_ALG,                 /* algorithm not allowed, or not the key's pinned one */
	OIDC_E_UNKNOWN_KEY,         /* no published key matches, even after a refetch */
	OIDC_E_SIGNATURE,           /* the signature does not verify */
	OIDC_E_ISS,
	OIDC_E_AUD,
	OIDC_E_AZP,
	OIDC_E_EXPIRED,
	OIDC_E_IAT,                 /* missing, or issued in the future */
	OIDC_E_NBF,
	OIDC_E_NONCE,
	OIDC_E_SUB,
	OIDC_E_USERINFO_SUB,        /* the userinfo answer is about another subject */
	OIDC_E_EVENTS,              /* logout token: no back-channel logout event */
	OIDC_E_JTI,                 /* logout token: missing or invalid jti */
	OIDC_E_STALE,               /* logout token: issued too long ago */
	OIDC_E_SID,                 /* logout token: neither sub nor sid, or an invalid sid */
	OIDC_E_INTERNAL,            /* out of memory, library failure */
	OIDC_E_MAX
};

struct oidc_error_info {
	const char *reason;         /* "id_token_audience": audit detail, no secret */
	const char *detail;         /* for the client's error body */
	bool provider_fault;
};
/* Never NULL; out-of-range values map to OIDC_E_INTERNAL. */
const struct oidc_error_info *oidc_error_info(enum oidc_error e);

/* Process-wide setup of the HTTP client: once, in the master before fork. 0 / -1. */
int oidc_global_init(void);
void oidc_global_cleanup(void);

/* Limits of every provider call, and where it may go. */
struct oidc_opts {
	long timeout;               /* seconds for one whole HTTP exchange */
	bool allow_http_loopback;   /* development: plain http to a loopback host */
	bool allow_loopback;        /* development: loopback addresses */
	bool allow_private;         /* [sso] allow_private_networks: loopback and private ranges */
};

/* What an address is, for the rule of where provider calls may go. */
enum oidc_addr_class {
	OIDC_ADDR_PUBLIC,
	OIDC_ADDR_LOOPBACK,         /* 127/8, ::1 */
	OIDC_ADDR_PRIVATE,          /* RFC 1918, 100.64/10, 198.18/15, fc00::/7, fec0::/10 */
	OIDC_ADDR_LINK_LOCAL,       /* 169.254/16, fe80::/10 */
	OIDC_ADDR_FORBIDDEN,        /* unspecified, multicast, reserved, documentation, Teredo */
};
/*
 * Class of addr (struct in_addr or in6_addr bytes, by family). IPv6 forms
 * that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are the
 * class of that address; anything outside 2000::/3 that is not listed is
 * forbidden.
 */
enum oidc_addr_class oidc_addr_classify(int family, const void *addr);
/*
 * May a provider call connect to addr? Public always; loopback when
 * allow_loopback or allow_private; private ranges when allow_private;
 * link-local and forbidden never.
 */
bool oidc_addr_allowed(int family, const void *addr, const struct oidc_opts *o);

/*
 * NULL when url is acceptable as an issuer (OpenID Connect Discovery 3):
 * https (http only to a loopback host with allow_http_loopback), no user
 * info, no query, no fragment, a port of 1 to 65535, printable ASCII, at
 * most OIDC_URL_MAX bytes, an IP-literal host allowed by oidc_addr_allowed.
 * Otherwise a short reason ("must not have a query") for the client.
 */
const char *oidc_issuer_problem(const char *url, const struct oidc_opts *o);
/* The same rules for an endpoint a discovery document names, a query allowed. */
bool oidc_url_acceptable(const char *url, const struct oidc_opts *o);
/* "x/" and "x" name the same issuer. */
bool oidc_same_issuer(const char *a, const char *b);

/* 32 bytes from the CSPRNG as base64url (state, nonce, PKCE verifier). 0 / -1. */
int oidc_random(char out[OIDC_RANDOM_LEN]);
/* base64url(SHA-256(s)): the PKCE S256 challenge, also used to store a value's digest. */
void oidc_s256(const char *s, char out[OIDC_S256_LEN]);

/* The endpoints a provider's discovery document names (arena copies). */
struct oidc_provider {
	const char *issuer;         /* as the provider states it: the ID token's iss */
	const char *authorization_endpoint;
	const char *token_endpoint;
	const char *jwks_uri;
	const char *userinfo_endpoint;  /* "" when the provider names none */
	/* RP-Initiated Logout 1.0: "" when the provider names none or one the URL rules refuse. */
	const char *end_session_endpoint;
};

/*
 * Fetch and check issuer/.well-known/openid-configuration (the issuer it
 * names equal to the configured one up to a trailing '/', every endpoint
 * acceptable by the same rules as the issuer), then its JWKS (at least one
 * usable signing key). *jwks receives the JWKS text to store. Every
 * connection is checked against oidc_addr_allowed at connect time.
 */
enum oidc_error oidc_fetch_provider(const char *issuer, const struct oidc_opts *o, struct arena *a,
    struct oidc_provider *out, const char **jwks);
/*
 * The distinct signature algorithms the usable keys of JWKS text verify
 * (static names, "RS256"...), at most max into algs; how many.
 */
size_t oidc_jwks_algorithms(const char *jwks, const char **algs, size_t max);
/* Fetch the JWKS at uri (for a key rotation); *jwks as above. */
enum oidc_error oidc_fetch_jwks(const char *uri, const struct oidc_opts *o, struct arena *a,
    const char **jwks);

/* The authorization request (code flow, PKCE S256) as a URL in the arena; NULL on cap. */
struct oidc_auth_request {
	const char *client_id, *redirect_uri, *scope, *state, *nonce, *code_challenge;
};
const char *oidc_authorization_url(const struct oidc_provider *p,
    const struct oidc_auth_request *r, struct arena *a);

/*
 * Exchange code at the token endpoint (client_secret_basic, PKCE verifier);
 * *id_token receives the arena copy of the ID token. The access token goes
 * to the caller's buffer at (at_size bytes, "" when absent or longer), for
 * one userinfo call, and the caller wipes it; the provider's other tokens
 * are wiped, never kept.
 */
enum oidc_error oidc_exchange_code(const struct oidc_provider *p, const struct oidc_opts *o,
    const char *client_id, const char *client_secret, const char *code,
    const char *redirect_uri, const char *code_verifier, struct arena *a, const char **id_token,
    char *at, size_t at_size);

/*
 * Ask the provider's userinfo endpoint (OpenID Connect Core 5.3) with the
 * access token at for the email of subject sub (the ID token's): *email
 * (arena, NULL when absent) and *email_verified (1, 0, -1 when absent).
 * The answer must be a JSON object whose sub is sub (OIDC_E_USERINFO_SUB
 * otherwise: 5.3.2); other errors as oidc_http_call's, OIDC_E_HTTP, OIDC_E_MALFORMED.
 */
enum oidc_error oidc_userinfo_email(const struct oidc_provider *p, const struct oidc_opts *o,
    const char *at, const char *sub, struct arena *a, const char **email, int *email_verified);

/*
 * The URL of RP-Initiated Logout 1.0 (2): end_session_endpoint with
 * client_id and post_logout_redirect_uri (no id_token_hint: none is
 * kept), in the arena; NULL on cap.
 */
const char *oidc_end_session_url(const char *end_session_endpoint, const char *client_id,
    const char *post_logout_redirect_uri, struct arena *a);

/* What a verified ID token says about the user (arena strings). */
struct oidc_claims {
	const char *sub;
	const char *email;          /* NULL when absent */
	const char *name;           /* NULL when absent */
	int email_verified;         /* 1, 0, or -1 when the claim is absent */
	long long exp, iat;
	const char *json;           /* the whole verified payload, for claims the caller names (roles) */
	const char *sid;            /* the provider's session id, NULL when absent or not printable ASCII */
	const char *jti;            /* a logout token's (always set then), else NULL */
};

/* What the ID token must say. */
struct oidc_expect {
	const char *issuer;         /* exact iss */
	const char *client_id;      /* in aud; azp when present or when aud has several */
	const char *nonce;          /* an ID token's; unused for a logout token */
	/*
	 * A logout token (Back-Channel Logout 1.0, 2.6) instead of an ID token:
	 * no nonce allowed, the logout event in events, a jti, sub or sid (or
	 * both), exp checked only when present, iat within OIDC_LOGOUT_MAX_AGE.
	 */
	bool logout;
};

/*
 * Verify id_token against a JWKS document given as text (no network): the
 * algorithm pinned per key (the JWK's alg, else RS256 for RSA and
 * ES256/384/512 by curve), never none or HMAC; then iss, aud, azp, exp,
 * iat, nbf (OIDC_LEEWAY seconds of skew), nonce and sub. OIDC_E_UNKNOWN_KEY
 * when no key of the set matches: the caller may fetch the set again once.
 */
/* The same rules for a logout token when e->logout (signature, alg pinning, iss, aud, azp alike). */
enum oidc_error oidc_verify_with_jwks(const char *jwks, size_t jwks_len, const char *id_token,
    const struct oidc_expect *e, time_t now, struct arena *a, struct oidc_claims *out);

#endif
