/*
 * fuzz_oidc.c -- oidc_verify_with_jwks, the check of an SSO callback's
 * id_token (the bytes come from an identity provider, which may be hostile).
 *
 * The first byte picks the mode:
 *   0  the rest is the id_token text, verified against a fixed JWKS
 *      (an RSA key "r1" pinned to RS256 and an EC P-256 key "e1");
 *   1  the rest is "JWKS document\nid_token": both from the provider;
 *   2  the rest is the claims (any bytes): the harness signs them ES256 with
 *      "e1", so the fuzzer gets past the signature into the claim checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>

#include "fuzz_common.h"

#include "arena.h"
#include "oidc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cjose_jwk_t *ec_key;
static char *jwks;
static struct arena arena;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t e[] = {1, 0, 1};
	cjose_err err;
	(void)argc;
	(void)argv;

	cjose_jwk_t *rsa = cjose_jwk_create_RSA_random(2048, e, sizeof(e), &err);
	ec_key = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
	if (rsa == NULL || ec_key == NULL)
		abort();
	cjose_jwk_set_kid(rsa, "r1", 2, &err);
	cjose_jwk_set_kid(ec_key, "e1", 2, &err);
	char *r = cjose_jwk_to_json(rsa, false, &err), *ec = cjose_jwk_to_json(ec_key, false, &err);
	size_t n = strlen(r) + strlen(ec) + 64;
	jwks = malloc(n);
	/* The RSA key states RS256; the EC key leaves it to its curve. */
	snprintf(jwks, n, "{\"keys\":[%.*s,\"alg\":\"RS256\",\"use\":\"sig\"},%s]}", (int)strlen(r) - 1, r, ec);
	free(r);
	free(ec);
	cjose_jwk_release(rsa);
	arena_init(&arena, 1 << 20);
	return 0;
}

static char *
sign(const uint8_t *claims, size_t n)
{
	cjose_err err;
	cjose_header_t *h = cjose_header_new(&err);
	const char *ser = NULL;
	char *out = NULL;

	cjose_header_set(h, CJOSE_HDR_ALG, "ES256", &err);
	cjose_header_set(h, CJOSE_HDR_KID, "e1", &err);
	cjose_jws_t *jws = cjose_jws_sign(ec_key, h, claims, n, &err);
	if (jws != NULL && cjose_jws_export(jws, &ser, &err))
		out = strdup(ser);
	cjose_jws_release(jws);
	cjose_header_release(h);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oidc_expect e = {.issuer = "https://idp.example.com", .client_id = "overwatch",
	    .nonce = "n-0S6_WzA2Mj"};
	struct oidc_claims cl;
	size_t off = 1, n = 0;

	if (size < 1)
		return 0;
	arena_reset(&arena);
	switch (data[0] % 3) {
	case 0: {
		char *tok = fz_strndup(data + 1, size - 1);
		(void)oidc_verify_with_jwks(jwks, strlen(jwks), tok, &e, 1800000000, &arena, &cl);
		free(tok);
		break;
	}
	case 1: {
		char *doc = fz_next(data, size, &off, '\n', &n);
		char *tok = fz_next(data, size, &off, '\n', NULL);
		if (doc != NULL && tok != NULL)
			(void)oidc_verify_with_jwks(doc, n, tok, &e, 1800000000, &arena, &cl);
		free(doc);
		free(tok);
		break;
	}
	default: {
		char *tok = sign(data + 1, size - 1);
		if (tok != NULL)
			(void)oidc_verify_with_jwks(jwks, strlen(jwks), tok, &e, 1800000000, &arena, &cl);
		free(tok);
		break;
	}
	}
	return 0;
}
