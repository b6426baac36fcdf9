/* oidc_jwks.c -- JWKS parsing (libcjose): which published keys may verify an ID token, and with which algorithm. */
#include "oidc_jwks.h"

#include <stdio.h>
#include <string.h>

#include <cjose/cjose.h>

#include "encoding.h"
#include "jsonin.h"

#define MAX_JWKS_ENTRIES 64         /* entries of a JWKS looked at */
#define RSA_MIN_BITS 2048

/* The signature algorithms accepted: asymmetric only, each tied to a key type (and curve). */
static const struct oidc_alg_rule alg_rules[] = {
	{"RS256", OIDC_KT_RSA, NULL}, {"RS384", OIDC_KT_RSA, NULL}, {"RS512", OIDC_KT_RSA, NULL},
	{"PS256", OIDC_KT_RSA, NULL}, {"PS384", OIDC_KT_RSA, NULL}, {"PS512", OIDC_KT_RSA, NULL},
	{"ES256", OIDC_KT_EC, "P-256"}, {"ES384", OIDC_KT_EC, "P-384"}, {"ES512", OIDC_KT_EC, "P-521"},
};
#define NRULES (sizeof(alg_rules) / sizeof(alg_rules[0]))

const struct oidc_alg_rule *
oidc_alg_rule(const char *alg)
{
	for (size_t i = 0; alg != NULL && i < NRULES; i++)
		if (strcmp(alg_rules[i].alg, alg) == 0)
			return &alg_rules[i];
	return NULL;
}

void
oidc_keyset_free(struct oidc_keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		cjose_jwk_release(ks->k[i].jwk);
	ks->n = 0;
}

bool
oidc_b64url_decodable(const char *s, size_t n)
{
	if (n % 4 == 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!encoding_b64url_char(s[i]))
			return false;
	return true;
}

/* Every key-material member cjose would decode is a decodable string (or absent). */
static bool
jwk_members_sane(json_object *jk)
{
	static const char *const members[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi", "x", "y", "k"};
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		json_object *v = NULL;
		if (!json_object_object_get_ex(jk, members[i], &v))
			continue;
		if (!json_object_is_type(v, json_type_string) ||
		    !oidc_b64url_decodable(json_object_get_string(v), (size_t)json_object_get_string_len(v)))
			return false;
	}
	return true;
}

/* One JWK into ks when it is a usable public signing key; silently skipped otherwise. */
static void
keyset_add(struct oidc_keyset *ks, json_object *jk)
{
	const char *kty = jv_get_string(jk, "kty"), *use = jv_get_string(jk, "use");
	const char *alg = jv_get_string(jk, "alg"), *kid = jv_get_string(jk, "kid");
	const char *crv = jv_get_string(jk, "crv");
	const struct oidc_alg_rule *rule = NULL;
	cjose_err err;

	if (ks->n >= OIDC_MAX_KEYS || kty == NULL || (use != NULL && strcmp(use, "sig") != 0) ||
	    (kid != NULL && strlen(kid) > OIDC_KID_MAX))
		return;
	if (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0)
		return;                 /* symmetric (oct) keys never verify a provider's token */
	if (!jwk_members_sane(jk))
		return;
	enum oidc_key_type kt = strcmp(kty, "RSA") == 0 ? OIDC_KT_RSA : OIDC_KT_EC;
	if (alg != NULL) {
		/* The key states its algorithm: that one only, and it must fit the key. */
		rule = oidc_alg_rule(alg);
		if (rule == NULL || rule->kty != kt || (rule->crv != NULL && (crv == NULL ||
		    strcmp(rule->crv, crv) != 0)))
			return;
	} else if (kt == OIDC_KT_RSA) {
		rule = oidc_alg_rule("RS256");       /* OIDC's default for ID tokens */
	} else {
		for (size_t i = 0; crv != NULL && i < NRULES; i++)
			if (alg_rules[i].crv != NULL && strcmp(alg_rules[i].crv, crv) == 0)
				rule = &alg_rules[i];
		if (rule == NULL)
			return;
	}
	const char *text = json_object_to_json_string_ext(jk, JSON_C_TO_STRING_PLAIN);
	cjose_jwk_t *jwk = cjose_jwk_import(text, strlen(text), &err);
	if (jwk == NULL)
		return;
	cjose_jwk_kty_t ck = cjose_jwk_get_kty(jwk, &err);
	bool ok = kt == OIDC_KT_RSA ? ck == CJOSE_JWK_KTY_RSA && cjose_jwk_get_keysize(jwk, &err) >= RSA_MIN_BITS :
	    ck == CJOSE_JWK_KTY_EC;
	if (!ok) {
		cjose_jwk_release(jwk);
		return;
	}
	struct oidc_key *k = &ks->k[ks->n++];
	memset(k, 0, sizeof(*k));
	k->jwk = jwk;
	k->rule = rule;
	if (kid != NULL) {
		snprintf(k->kid, sizeof(k->kid), "%s", kid);
		k->has_kid = true;
	}
}

enum oidc_error
oidc_keyset_parse(const char *text, size_t n, struct oidc_keyset *ks)
{
	const char *why = NULL;
	json_object *doc = jv_parse_strict(text, n, &why), *keys = NULL;

	ks->n = 0;
	if (doc == NULL || !json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "keys", &keys) || !json_object_is_type(keys, json_type_array)) {
		json_object_put(doc);
		return OIDC_E_MALFORMED;
	}
	size_t len = json_object_array_length(keys);
	for (size_t i = 0; i < len && i < MAX_JWKS_ENTRIES; i++) {
		json_object *jk = json_object_array_get_idx(keys, i);
		if (json_object_is_type(jk, json_type_object))
			keyset_add(ks, jk);
	}
	json_object_put(doc);
	return ks->n > 0 ? OIDC_OK : OIDC_E_NO_KEYS;
}

size_t
oidc_jwks_algorithms(const char *jwks, const char **algs, size_t max)
{
	struct oidc_keyset ks;
	size_t n = 0;

	if (jwks == NULL || oidc_keyset_parse(jwks, strlen(jwks), &ks) != OIDC_OK)
		return 0;
	for (size_t i = 0; i < ks.n; i++) {
		size_t j = 0;
		while (j < n && algs[j] != ks.k[i].rule->alg)
			j++;
		if (j == n && n < max)
			algs[n++] = ks.k[i].rule->alg;
	}
	oidc_keyset_free(&ks);
	return n;
}
