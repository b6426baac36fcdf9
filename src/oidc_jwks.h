/* oidc_jwks.h -- a provider's JWKS as a set of verification keys, each pinned to one algorithm. */
#ifndef OW_OIDC_JWKS_H
#define OW_OIDC_JWKS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjose/jwk.h>

#include "oidc.h"

#define OIDC_MAX_KEYS 16            /* usable keys kept from one JWKS */
#define OIDC_KID_MAX 256

enum oidc_key_type { OIDC_KT_RSA, OIDC_KT_EC };

/* An accepted signature algorithm: asymmetric only, tied to a key type (and curve for EC). */
struct oidc_alg_rule {
	const char *alg;
	enum oidc_key_type kty;
	const char *crv;
};
/* The rule for alg ("RS256"...), or NULL for none, HS*, or anything unknown. */
const struct oidc_alg_rule *oidc_alg_rule(const char *alg);

struct oidc_key {
	cjose_jwk_t *jwk;
	char kid[OIDC_KID_MAX + 1];
	bool has_kid;
	const struct oidc_alg_rule *rule;   /* the one algorithm this key verifies */
};

struct oidc_keyset {
	struct oidc_key k[OIDC_MAX_KEYS];
	size_t n;
};

/*
 * Parse JWKS text (a JSON object with a "keys" array; the first 64 entries
 * looked at) into ks: public RSA (at least 2048 bits) and EC signing keys,
 * each pinned to the JWK's alg, else RS256 for RSA and ES256/384/512 by
 * curve; other entries are skipped. OIDC_OK with at least one key,
 * OIDC_E_NO_KEYS with none, OIDC_E_MALFORMED when text is not a JWKS.
 * After OIDC_OK or OIDC_E_NO_KEYS the caller releases ks with
 * oidc_keyset_free.
 */
enum oidc_error oidc_keyset_parse(const char *text, size_t n, struct oidc_keyset *ks);
void oidc_keyset_free(struct oidc_keyset *ks);

/*
 * Base64url text libcjose can decode: its decoder asserts (aborts) on a
 * length of 4n + 1, so every part handed to it is checked here first.
 */
bool oidc_b64url_decodable(const char *s, size_t n);

#endif
