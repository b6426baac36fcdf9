/* check_oidc.c -- unit tests for oidc*.c (no network) and sso.c: encodings, URLs, ID token checks, domains. */
#include "unit.h"
#include <time.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cjose/cjose.h>
#include <json-c/json.h>

#include "arena.h"
#include "oidc.h"
#include "sso.h"

/* The test signs its own tokens with keys it makes: cjose here, as the service's oidc_idtoken.c verifies. */

#define NOW 1800000000LL
#define ISS "https://idp.example.com/realms/acme"
#define CLIENT "overwatch"
#define NONCE "n-0S6_WzA2Mj"

static cjose_jwk_t *rsa1, *rsa2, *rsa_small, *ec1;
static struct arena arena;

static void
keys_setup(void)
{
	static const uint8_t e[] = {1, 0, 1};
	cjose_err err;

	if (rsa1 != NULL)
		return;
	rsa1 = cjose_jwk_create_RSA_random(2048, e, sizeof(e), &err);
	rsa2 = cjose_jwk_create_RSA_random(2048, e, sizeof(e), &err);
	rsa_small = cjose_jwk_create_RSA_random(1024, e, sizeof(e), &err);
	ec1 = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
	ck_assert_ptr_nonnull(rsa1);
	ck_assert_ptr_nonnull(rsa2);
	ck_assert_ptr_nonnull(rsa_small);
	ck_assert_ptr_nonnull(ec1);
	arena_init(&arena, 1 << 20);
}

/* The public JWK of key as a json-c object, with kid/alg/use when given. */
static json_object *
public_jwk(cjose_jwk_t *key, const char *kid, const char *alg, const char *use)
{
	cjose_err err;
	char *text = cjose_jwk_to_json(key, false, &err);
	json_object *o = json_tokener_parse(text);

	free(text);
	ck_assert_ptr_nonnull(o);
	if (kid != NULL)
		json_object_object_add(o, "kid", json_object_new_string(kid));
	if (alg != NULL)
		json_object_object_add(o, "alg", json_object_new_string(alg));
	if (use != NULL)
		json_object_object_add(o, "use", json_object_new_string(use));
	return o;
}

/* {"keys": [...]} text (static buffer). */
static const char *
jwks_text(json_object *k1, json_object *k2)
{
	static char buf[16384];
	json_object *doc = json_object_new_object(), *arr = json_object_new_array();

	if (k1 != NULL)
		json_object_array_add(arr, k1);
	if (k2 != NULL)
		json_object_array_add(arr, k2);
	json_object_object_add(doc, "keys", arr);
	snprintf(buf, sizeof(buf), "%s", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
	json_object_put(doc);
	return buf;
}

/* The standard set: RSA key "r1" (alg RS256), EC key "e1" (no alg: ES256 from the curve). */
static const char *
std_jwks(void)
{
	return jwks_text(public_jwk(rsa1, "r1", "RS256", "sig"), public_jwk(ec1, "e1", NULL, NULL));
}

/* Claims with the good values; extra (JSON object text) merged over them, "null" members removed. */
static char *
claims_json(const char *extra)
{
	json_object *c = json_object_new_object();
	json_object_object_add(c, "iss", json_object_new_string(ISS));
	json_object_object_add(c, "sub", json_object_new_string("248289761001"));
	json_object_object_add(c, "aud", json_object_new_string(CLIENT));
	json_object_object_add(c, "exp", json_object_new_int64(NOW + 300));
	json_object_object_add(c, "iat", json_object_new_int64(NOW));
	json_object_object_add(c, "nonce", json_object_new_string(NONCE));
	json_object_object_add(c, "email", json_object_new_string("Jane.Doe@Example.com"));
	json_object_object_add(c, "name", json_object_new_string("Jane Doe"));
	if (extra != NULL) {
		json_object *x = json_tokener_parse(extra);
		ck_assert_ptr_nonnull(x);
		json_object_object_foreach(x, k, v) {
			if (json_object_is_type(v, json_type_null))
				json_object_object_del(c, k);
			else
				json_object_object_add(c, k, json_object_get(v));
		}
		json_object_put(x);
	}
	char *s = strdup(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN));
	json_object_put(c);
	return s;
}

/* A compact JWS by cjose over the claims, header alg/kid as given. */
static char *
sign(cjose_jwk_t *key, const char *alg, const char *kid, const char *extra)
{
	cjose_err err;
	cjose_header_t *h = cjose_header_new(&err);
	char *payload = claims_json(extra);
	const char *ser = NULL;

	cjose_header_set(h, CJOSE_HDR_ALG, alg, &err);
	if (kid != NULL)
		cjose_header_set(h, CJOSE_HDR_KID, kid, &err);
	cjose_jws_t *jws = cjose_jws_sign(key, h, (const uint8_t *)payload, strlen(payload), &err);
	ck_assert_msg(jws != NULL, "cjose_jws_sign %s: %s", alg, err.message);
	ck_assert(cjose_jws_export(jws, &ser, &err));
	char *out = strdup(ser);
	cjose_jws_release(jws);
	cjose_header_release(h);
	free(payload);
	return out;
}

static char *
b64url(const char *s)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(s), o = 0;
	char *out = malloc(n * 2 + 4);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16 | (i + 1 < n ? (unsigned char)s[i + 1] << 8 : 0) |
		    (i + 2 < n ? (unsigned char)s[i + 2] : 0);
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = a[v >> 6 & 63];
		if (i + 2 < n)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
	return out;
}

/* A token with any header and signature bytes (for alg none, HS256, garbage). */
static char *
forge(const char *header_json, const char *extra, const char *sig)
{
	char *h = b64url(header_json), *c = claims_json(extra), *p = b64url(c);
	size_t n = strlen(h) + strlen(p) + strlen(sig) + 3;
	char *out = malloc(n);
	snprintf(out, n, "%s.%s.%s", h, p, sig);
	free(h);
	free(c);
	free(p);
	return out;
}

static enum oidc_error
check(const char *jwks, const char *token, struct oidc_claims *cl)
{
	struct oidc_expect e = {.issuer = ISS, .client_id = CLIENT, .nonce = NONCE};
	struct oidc_claims dummy;
	arena_reset(&arena);
	return oidc_verify_with_jwks(jwks, strlen(jwks), token, &e, (time_t)NOW, &arena,
	    cl != NULL ? cl : &dummy);
}

/* ---- tokens that verify ---- */

START_TEST(test_good_rs256)
{
	keys_setup();
	struct oidc_claims cl;
	char *t = sign(rsa1, "RS256", "r1", NULL);
	ck_assert_int_eq(check(std_jwks(), t, &cl), OIDC_OK);
	ck_assert_str_eq(cl.sub, "248289761001");
	ck_assert_str_eq(cl.email, "Jane.Doe@Example.com");
	ck_assert_str_eq(cl.name, "Jane Doe");
	ck_assert_int_eq(cl.email_verified, -1);
	ck_assert_int_eq(cl.exp, NOW + 300);
	free(t);
}
END_TEST

START_TEST(test_good_es256_and_kidless)
{
	keys_setup();
	char *t = sign(ec1, "ES256", "e1", "{\"email_verified\": true}");
	struct oidc_claims cl;
	ck_assert_int_eq(check(std_jwks(), t, &cl), OIDC_OK);
	ck_assert_int_eq(cl.email_verified, 1);
	free(t);
	/* No kid: every key pinned to the token's alg is tried. */
	t = sign(rsa1, "RS256", NULL, "{\"email_verified\": \"false\"}");
	ck_assert_int_eq(check(std_jwks(), t, &cl), OIDC_OK);
	ck_assert_int_eq(cl.email_verified, 0);
	free(t);
	/* An RSA key without alg verifies RS256 (the OIDC default). */
	t = sign(rsa1, "RS256", "r9", NULL);
	ck_assert_int_eq(check(jwks_text(public_jwk(rsa1, "r9", NULL, NULL), NULL), t, NULL), OIDC_OK);
	free(t);
	/* A JWK that says PS256 verifies PS256. */
	t = sign(rsa1, "PS256", "p1", NULL);
	ck_assert_int_eq(check(jwks_text(public_jwk(rsa1, "p1", "PS256", "sig"), NULL), t, NULL), OIDC_OK);
	free(t);
}
END_TEST

/* ---- claims: each wrong value is refused with its own reason ---- */

static const struct claim_case {
	const char *extra;
	enum oidc_error want;
} claim_cases[] = {
	{"{\"iss\": \"https://idp.example.com/realms/other\"}", OIDC_E_ISS},
	{"{\"iss\": \"https://idp.example.com/realms/acme/\"}", OIDC_E_ISS},
	{"{\"iss\": null}", OIDC_E_ISS},
	{"{\"aud\": \"someone-else\"}", OIDC_E_AUD},
	{"{\"aud\": null}", OIDC_E_AUD},
	{"{\"aud\": [\"someone-else\", \"other\"]}", OIDC_E_AUD},
	{"{\"aud\": 42}", OIDC_E_AUD},
	{"{\"aud\": [\"overwatch\"]}", OIDC_OK},
	{"{\"aud\": [\"overwatch\", \"other\"]}", OIDC_E_AZP},
	{"{\"aud\": [\"overwatch\", \"other\"], \"azp\": \"overwatch\"}", OIDC_OK},
	{"{\"aud\": [\"overwatch\", \"other\"], \"azp\": \"other\"}", OIDC_E_AZP},
	{"{\"azp\": \"other\"}", OIDC_E_AZP},
	{"{\"azp\": 7}", OIDC_E_AZP},
	{"{\"exp\": 1799999939}", OIDC_E_EXPIRED},      /* 61 s ago: past the leeway */
	{"{\"exp\": 1799999941}", OIDC_OK},             /* 59 s ago: within it */
	{"{\"exp\": null}", OIDC_E_EXPIRED},
	{"{\"exp\": \"1800000300\"}", OIDC_E_EXPIRED},
	{"{\"exp\": 1800000300.5}", OIDC_OK},
	{"{\"exp\": 99999999999999999999999}", OIDC_E_EXPIRED},     /* saturates: no overflow */
	{"{\"exp\": 9223372036854775807}", OIDC_E_EXPIRED},
	{"{\"iat\": -9223372036854775807, \"nbf\": 9223372036854775807}", OIDC_E_IAT},
	{"{\"iat\": 1800000061}", OIDC_E_IAT},
	{"{\"iat\": 1800000059}", OIDC_OK},
	{"{\"iat\": null}", OIDC_E_IAT},
	{"{\"nbf\": 1800000100}", OIDC_E_NBF},
	{"{\"nbf\": 1799999000}", OIDC_OK},
	{"{\"nbf\": \"soon\"}", OIDC_E_NBF},
	{"{\"nonce\": \"n-0S6_WzA2Mk\"}", OIDC_E_NONCE},
	{"{\"nonce\": \"n-0S6_WzA2Mj-longer\"}", OIDC_E_NONCE},
	{"{\"nonce\": null}", OIDC_E_NONCE},
	{"{\"nonce\": 5}", OIDC_E_NONCE},
	{"{\"sub\": null}", OIDC_E_SUB},
	{"{\"sub\": \"\"}", OIDC_E_SUB},
	{"{\"sub\": \"has space\"}", OIDC_E_SUB},
	{"{\"sub\": 12345}", OIDC_E_SUB},
	{"{\"email\": null, \"name\": null}", OIDC_OK},
};

START_TEST(test_claims)
{
	keys_setup();
	const struct claim_case *k = &claim_cases[_i];
	char *t = sign(rsa1, "RS256", "r1", k->extra);
	enum oidc_error got = check(std_jwks(), t, NULL);
	ck_assert_msg(got == k->want, "%s: got %s, want %s", k->extra, oidc_error_info(got)->reason,
	    oidc_error_info(k->want)->reason);
	free(t);
}
END_TEST

START_TEST(test_subject_length)
{
	keys_setup();
	char extra[600], sub[300];
	memset(sub, 'a', 256);
	sub[256] = '\0';
	snprintf(extra, sizeof(extra), "{\"sub\": \"%s\"}", sub);
	char *t = sign(rsa1, "RS256", "r1", extra);
	ck_assert_int_eq(check(std_jwks(), t, NULL), OIDC_E_SUB);
	free(t);
	sub[255] = '\0';
	snprintf(extra, sizeof(extra), "{\"sub\": \"%s\"}", sub);
	t = sign(rsa1, "RS256", "r1", extra);
	ck_assert_int_eq(check(std_jwks(), t, NULL), OIDC_OK);
	free(t);
}
END_TEST

/* ---- signatures, algorithms, keys ---- */

START_TEST(test_bad_signature)
{
	keys_setup();
	/* Another key, the published kid: the signature cannot verify. */
	char *t = sign(rsa2, "RS256", "r1", NULL);
	ck_assert_int_eq(check(std_jwks(), t, NULL), OIDC_E_SIGNATURE);
	free(t);
	/* A flipped signature character. */
	t = sign(rsa1, "RS256", "r1", NULL);
	size_t n = strlen(t);
	t[n - 5] = t[n - 5] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(check(std_jwks(), t, NULL), OIDC_E_SIGNATURE);
	free(t);
	/* Claims swapped under a valid signature. */
	char *good = sign(rsa1, "RS256", "r1", NULL), *other = sign(rsa1, "RS256", "r1", "{\"sub\": \"admin\"}");
	char *dot1 = strchr(good, '.'), *dot2 = strrchr(good, '.');
	char *odot1 = strchr(other, '.'), *odot2 = strrchr(other, '.');
	char mixed[8192];
	snprintf(mixed, sizeof(mixed), "%.*s%.*s%s", (int)(dot1 - good), good, (int)(odot2 - odot1), odot1, dot2);
	ck_assert_int_eq(check(std_jwks(), mixed, NULL), OIDC_E_SIGNATURE);
	free(good);
	free(other);
}
END_TEST

START_TEST(test_algorithms)
{
	keys_setup();
	/* alg none, with or without a signature part. */
	char *t = forge("{\"alg\":\"none\"}", NULL, "");
	ck_assert_int_eq(check(std_jwks(), t, NULL), OIDC_E_TOKEN_MALFORMED);
	free(t);
	t = forge("{\"alg\":\"none\",\"kid\":\"r1\"}", NULL, "AAAA");
	ck_assert_int_eq(check(std_jwks(), t, NULL), OIDC_E_ALG);
	free(t);
	/* HS256 "signed" with the public key's text: the classic confusion, refused before any key. */
	t = forge("{\"alg\":\"HS256\",\"kid\":\"r1\"}", NULL, "c2lnbmF0dXJl");
	ck_assert_int_eq(check(std_jwks(), t, NULL), OIDC_E_ALG);
	free(t);
	t = forge("{\"alg\":\"RS1\",\"kid\":\"r1\"}", NULL, "c2ln");
	ck_assert_int_eq(check(std_jwks(), t, NULL), OIDC_E_ALG);
	free(t);
	/* The key is pinned to RS256: an RS384 or PS256 signature by the same key is refused. */
	t = sign(rsa1, "RS384", "r1", NULL);
	ck_assert_int_eq(check(std_jwks(), t, NULL), OIDC_E_ALG);
	free(t);
	t = sign(rsa1, "PS256", "r1", NULL);
	ck_assert_int_eq(check(std_jwks(), t, NULL), OIDC_E_ALG);
	free(t);
	/* The EC key derives ES256 from P-256: not ES384. */
	t = sign(ec1, "ES256", "e1", NULL);
	ck_assert_int_eq(check(jwks_text(public_jwk(ec1, "e1", "ES384", NULL), NULL), t, NULL),
	    OIDC_E_NO_KEYS);
	free(t);
	/* A JWK whose alg does not fit its type is not a key at all. */
	t = sign(rsa1, "RS256", "x1", NULL);
	ck_assert_int_eq(check(jwks_text(public_jwk(rsa1, "x1", "ES256", NULL),
	    public_jwk(ec1, "e1", NULL, NULL)), t, NULL), OIDC_E_UNKNOWN_KEY);
	free(t);
}
END_TEST

START_TEST(test_keys)
{
	keys_setup();
	char *t = sign(rsa1, "RS256", "r-unknown", NULL);
	ck_assert_int_eq(check(std_jwks(), t, NULL), OIDC_E_UNKNOWN_KEY);
	free(t);
	/* Two keys, no kid: the one that verifies wins. */
	t = sign(rsa2, "RS256", NULL, NULL);
	ck_assert_int_eq(check(jwks_text(public_jwk(rsa1, "r1", NULL, NULL), public_jwk(rsa2, "r2", NULL, NULL)),
	    t, NULL), OIDC_OK);
	free(t);
	/* Keys for encryption, weak RSA, symmetric: none usable. */
	t = sign(rsa1, "RS256", "r1", NULL);
	ck_assert_int_eq(check(jwks_text(public_jwk(rsa1, "r1", NULL, "enc"), NULL), t, NULL), OIDC_E_NO_KEYS);
	ck_assert_int_eq(check(jwks_text(public_jwk(rsa_small, "r1", NULL, NULL), NULL), t, NULL),
	    OIDC_E_NO_KEYS);
	ck_assert_int_eq(check("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"r1\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"}]}",
	    t, NULL), OIDC_E_NO_KEYS);
	ck_assert_int_eq(check("{\"keys\":[]}", t, NULL), OIDC_E_NO_KEYS);
	/* Key material libcjose's decoder would abort on (4n + 1 characters), or not a string. */
	json_object *bad = public_jwk(rsa1, "r1", NULL, NULL);
	json_object_object_add(bad, "e", json_object_new_string("AQABA"));
	ck_assert_int_eq(check(jwks_text(bad, NULL), t, NULL), OIDC_E_NO_KEYS);
	bad = public_jwk(ec1, "e1", NULL, NULL);
	json_object_object_add(bad, "x", json_object_new_int(5));
	ck_assert_int_eq(check(jwks_text(bad, NULL), t, NULL), OIDC_E_NO_KEYS);
	ck_assert_int_eq(check("{\"keys\":{}}", t, NULL), OIDC_E_MALFORMED);
	ck_assert_int_eq(check("not json", t, NULL), OIDC_E_MALFORMED);
	free(t);
}
END_TEST

static const char *const malformed_tokens[] = {
	"", "abc", "a.b", "a.b.c.d", "a..c", ".b.c", "a.b.",
	"eyJhbGciOiJSUzI1NiJ9.e30.c2ln!", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln=",
	"bm90IGpzb24.e30.c2ln",                   /* header is not JSON */
	"eyJraWQiOiJyMSJ9.e30.c2ln",              /* header without alg */
	"W10.e30.c2ln",                           /* header is an array */
	"e.e30.c2ln",                             /* impossible base64url length */
	"eyJhbGciOiJSUzI1NiJ9.e30xx.c2ln",        /* payload 4n + 1 long: libcjose would abort */
	"eyJhbGciOiJSUzI1NiJ9.e30.c2lnA",         /* signature 4n + 1 long */
};

START_TEST(test_malformed)
{
	keys_setup();
	ck_assert_int_eq(check(std_jwks(), malformed_tokens[_i], NULL), OIDC_E_TOKEN_MALFORMED);
}
END_TEST

START_TEST(test_oversized)
{
	keys_setup();
	char *big = malloc(OIDC_ID_TOKEN_MAX + 10);
	memset(big, 'a', OIDC_ID_TOKEN_MAX + 9);
	big[10] = '.';
	big[20] = '.';
	big[OIDC_ID_TOKEN_MAX + 9] = '\0';
	ck_assert_int_eq(check(std_jwks(), big, NULL), OIDC_E_TOKEN_MALFORMED);
	free(big);
}
END_TEST

START_TEST(test_payload_not_object)
{
	keys_setup();
	cjose_err err;
	cjose_header_t *h = cjose_header_new(&err);
	const char *ser = NULL;
	cjose_header_set(h, CJOSE_HDR_ALG, "RS256", &err);
	cjose_header_set(h, CJOSE_HDR_KID, "r1", &err);
	cjose_jws_t *jws = cjose_jws_sign(rsa1, h, (const uint8_t *)"[1,2]", 5, &err);
	ck_assert(cjose_jws_export(jws, &ser, &err));
	ck_assert_int_eq(check(std_jwks(), ser, NULL), OIDC_E_TOKEN_MALFORMED);
	cjose_jws_release(jws);
	cjose_header_release(h);
}
END_TEST

/* ---- encodings and URLs ---- */

START_TEST(test_s256_and_random)
{
	char out[OIDC_S256_LEN], r1[OIDC_RANDOM_LEN], r2[OIDC_RANDOM_LEN];

	oidc_s256("abc", out);
	ck_assert_str_eq(out, "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
	oidc_s256("", out);
	ck_assert_str_eq(out, "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
	ck_assert_int_eq(oidc_random(r1), 0);
	ck_assert_int_eq(oidc_random(r2), 0);
	ck_assert_uint_eq(strlen(r1), 43);
	ck_assert_uint_eq(strspn(r1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	ck_assert_str_ne(r1, r2);
}
END_TEST

/* Development (loopback and plain http to it allowed) and production (neither). */
static const struct oidc_opts dev_opts = {5, true, true, false};
static const struct oidc_opts prod_opts = {5, false, false, false};
static const struct oidc_opts onprem_opts = {5, false, false, true};

static const struct url_case {
	const char *url;
	bool dev, prod;             /* acceptable as an issuer in development, in production */
} url_cases[] = {
	{"https://idp.example.com", true, true},
	{"https://idp.example.com/realms/acme", true, true},
	{"https://idp.example.com:8443/x", true, true},
	{"HTTPS://IDP.EXAMPLE.COM/", true, true},
	{"https://idp.example.com:65535/", true, true},
	{"https://idp.example.com:1/", true, true},
	{"http://127.0.0.1:4593/api/oidc", true, false},
	{"http://127.9.8.7/x", true, false},
	{"http://localhost:8080", true, false},
	{"http://[::1]:9000/x", true, false},
	{"https://127.0.0.1/x", true, false},        /* loopback: development only */
	{"https://[::1]/x", true, false},
	{"https://[::ffff:127.0.0.1]/x", true, false},
	{"https://10.1.2.3/x", false, false},         /* private ranges: never without the operator */
	{"https://192.168.0.1/", false, false},
	{"https://172.16.5.4/", false, false},
	{"https://100.64.0.1/", false, false},
	{"https://169.254.169.254/latest", false, false},
	{"https://[fd00::1]/", false, false},
	{"https://[fe80::1]/", false, false},
	{"https://[::ffff:10.0.0.1]/", false, false},
	{"https://0.0.0.0/", false, false},
	{"https://224.0.0.1/", false, false},
	{"https://8.8.8.8/x", true, true},
	{"https://[2606:4700::1111]/", true, true},
	{"https://idp.example.com:99999/", false, false},  /* ports 1 to 65535 */
	{"https://idp.example.com:0/", false, false},
	{"https://idp.example.com:/", false, false},
	{"https://idp.example.com:80a/", false, false},
	{"https://idp.example.com/x?y=1", false, false},    /* an issuer has no query */
	{"https://idp.example.com?", false, false},
	{"http://idp.example.com", false, false},           /* plain http off loopback */
	{"http://127.0.0.1.evil.com/x", false, false},
	{"http://localhost.evil.com", false, false},
	{"http://[::2]/x", false, false},
	{"https://user:pw@idp.example.com", false, false},
	{"https://user@idp.example.com", false, false},
	{"https://idp.example.com/#frag", false, false},
	{"https://idp.example.com/a b", false, false},
	{"https://idp.exa%6dple.com/", false, false},
	{"https://", false, false},
	{"https:///path", false, false},
	{"ftp://idp.example.com", false, false},
	{"file:///etc/passwd", false, false},
	{"javascript:alert(1)", false, false},
	{"//idp.example.com", false, false},
	{"", false, false},
	{"https://idp.example.com/\x01", false, false},
	{"https://[::1", false, false},
	{"https://[not-v6]/", false, false},
};

START_TEST(test_url_acceptable)
{
	const struct url_case *k = &url_cases[_i];
	ck_assert_msg((oidc_issuer_problem(k->url, &dev_opts) == NULL) == k->dev, "development: %s", k->url);
	ck_assert_msg((oidc_issuer_problem(k->url, &prod_opts) == NULL) == k->prod, "production: %s", k->url);
}
END_TEST

START_TEST(test_endpoint_urls)
{
	/* Endpoints may carry a query (RFC 6749 3.1); the rest of the rules hold for them too. */
	ck_assert(oidc_url_acceptable("https://idp.example.com:8443/auth?tenant=7", &prod_opts));
	ck_assert(!oidc_url_acceptable("https://idp.example.com/auth#x", &prod_opts));
	ck_assert(!oidc_url_acceptable("https://169.254.169.254/latest/meta-data", &dev_opts));
	ck_assert(!oidc_url_acceptable("https://10.0.0.5/token", &dev_opts));
	ck_assert(oidc_url_acceptable("https://10.0.0.5/token", &onprem_opts));
	ck_assert(!oidc_url_acceptable("https://169.254.169.254/", &onprem_opts));  /* link-local: never */
	ck_assert(oidc_url_acceptable("https://127.0.0.1/token", &onprem_opts));
	ck_assert(!oidc_url_acceptable("http://127.0.0.1/token", &onprem_opts));    /* still https */
	ck_assert(oidc_issuer_problem("https://a.example/?q", &prod_opts) != NULL);
	ck_assert(oidc_same_issuer("https://a.example/x/", "https://a.example/x"));
	ck_assert(!oidc_same_issuer("https://a.example/x", "https://a.example/y"));
}
END_TEST

START_TEST(test_url_length)
{
	char url[OIDC_URL_MAX + 10] = "https://idp.example.com/";
	size_t n = strlen(url);
	memset(url + n, 'a', OIDC_URL_MAX - n);
	url[OIDC_URL_MAX] = '\0';
	ck_assert(oidc_url_acceptable(url, &prod_opts));
	url[OIDC_URL_MAX] = 'a';
	url[OIDC_URL_MAX + 1] = '\0';
	ck_assert(!oidc_url_acceptable(url, &prod_opts));
	ck_assert(!oidc_url_acceptable(NULL, &prod_opts));
	ck_assert(oidc_issuer_problem(NULL, &prod_opts) != NULL);
}
END_TEST

static const struct addr_case {
	int family;
	const char *text;
	enum oidc_addr_class cls;
} addr_cases[] = {
	{AF_INET, "8.8.8.8", OIDC_ADDR_PUBLIC},
	{AF_INET, "1.1.1.1", OIDC_ADDR_PUBLIC},
	{AF_INET, "172.32.0.1", OIDC_ADDR_PUBLIC},          /* just past 172.16/12 */
	{AF_INET, "100.128.0.1", OIDC_ADDR_PUBLIC},         /* just past 100.64/10 */
	{AF_INET, "127.0.0.1", OIDC_ADDR_LOOPBACK},
	{AF_INET, "127.255.255.254", OIDC_ADDR_LOOPBACK},
	{AF_INET, "10.0.0.1", OIDC_ADDR_PRIVATE},
	{AF_INET, "172.16.0.1", OIDC_ADDR_PRIVATE},
	{AF_INET, "172.31.255.255", OIDC_ADDR_PRIVATE},
	{AF_INET, "192.168.1.1", OIDC_ADDR_PRIVATE},
	{AF_INET, "100.64.0.1", OIDC_ADDR_PRIVATE},
	{AF_INET, "100.127.255.255", OIDC_ADDR_PRIVATE},
	{AF_INET, "198.18.0.1", OIDC_ADDR_PRIVATE},
	{AF_INET, "169.254.169.254", OIDC_ADDR_LINK_LOCAL},
	{AF_INET, "0.0.0.0", OIDC_ADDR_FORBIDDEN},
	{AF_INET, "0.1.2.3", OIDC_ADDR_FORBIDDEN},
	{AF_INET, "224.0.0.1", OIDC_ADDR_FORBIDDEN},
	{AF_INET, "239.255.255.250", OIDC_ADDR_FORBIDDEN},
	{AF_INET, "255.255.255.255", OIDC_ADDR_FORBIDDEN},
	{AF_INET, "240.0.0.1", OIDC_ADDR_FORBIDDEN},
	{AF_INET, "192.0.2.1", OIDC_ADDR_FORBIDDEN},
	{AF_INET, "192.0.0.8", OIDC_ADDR_FORBIDDEN},
	{AF_INET6, "2606:4700:4700::1111", OIDC_ADDR_PUBLIC},
	{AF_INET6, "::1", OIDC_ADDR_LOOPBACK},
	{AF_INET6, "::", OIDC_ADDR_FORBIDDEN},
	{AF_INET6, "::ffff:127.0.0.1", OIDC_ADDR_LOOPBACK},
	{AF_INET6, "::ffff:10.1.2.3", OIDC_ADDR_PRIVATE},
	{AF_INET6, "::ffff:169.254.169.254", OIDC_ADDR_LINK_LOCAL},
	{AF_INET6, "::ffff:8.8.8.8", OIDC_ADDR_PUBLIC},
	{AF_INET6, "::127.0.0.1", OIDC_ADDR_LOOPBACK},
	{AF_INET6, "64:ff9b::a00:1", OIDC_ADDR_PRIVATE},    /* NAT64 of 10.0.0.1 */
	{AF_INET6, "2002:c0a8:0101::1", OIDC_ADDR_PRIVATE}, /* 6to4 of 192.168.1.1 */
	{AF_INET6, "2001:0:4136:e378::1", OIDC_ADDR_FORBIDDEN},
	{AF_INET6, "2001:db8::1", OIDC_ADDR_FORBIDDEN},
	{AF_INET6, "fc00::1", OIDC_ADDR_PRIVATE},
	{AF_INET6, "fd12:3456::1", OIDC_ADDR_PRIVATE},
	{AF_INET6, "fe80::1", OIDC_ADDR_LINK_LOCAL},
	{AF_INET6, "febf::1", OIDC_ADDR_LINK_LOCAL},
	{AF_INET6, "fec0::1", OIDC_ADDR_PRIVATE},
	{AF_INET6, "ff02::1", OIDC_ADDR_FORBIDDEN},
	{AF_INET6, "100::1", OIDC_ADDR_FORBIDDEN},
	{AF_INET6, "4000::1", OIDC_ADDR_FORBIDDEN},
};

START_TEST(test_addr_classify)
{
	const struct addr_case *k = &addr_cases[_i];
	unsigned char buf[16];
	ck_assert_int_eq(inet_pton(k->family, k->text, buf), 1);
	ck_assert_msg(oidc_addr_classify(k->family, buf) == k->cls, "%s: class %d, not %d", k->text,
	    (int)oidc_addr_classify(k->family, buf), (int)k->cls);
	/* Only public addresses pass in production; loopback too in development; link-local never. */
	ck_assert(oidc_addr_allowed(k->family, buf, &prod_opts) == (k->cls == OIDC_ADDR_PUBLIC));
	ck_assert(oidc_addr_allowed(k->family, buf, &dev_opts) ==
	    (k->cls == OIDC_ADDR_PUBLIC || k->cls == OIDC_ADDR_LOOPBACK));
	ck_assert(oidc_addr_allowed(k->family, buf, &onprem_opts) ==
	    (k->cls == OIDC_ADDR_PUBLIC || k->cls == OIDC_ADDR_LOOPBACK || k->cls == OIDC_ADDR_PRIVATE));
}
END_TEST

START_TEST(test_addr_other_family)
{
	unsigned char buf[16] = {0};
	ck_assert(oidc_addr_classify(AF_UNIX, buf) == OIDC_ADDR_FORBIDDEN);
	ck_assert(oidc_addr_classify(AF_INET, NULL) == OIDC_ADDR_FORBIDDEN);
	ck_assert(!oidc_addr_allowed(AF_UNIX, buf, &onprem_opts));
}
END_TEST

START_TEST(test_authorization_url)
{
	struct arena a;
	struct oidc_provider p = {.authorization_endpoint = "https://idp.example.com/auth"};
	struct oidc_auth_request r = {
		.client_id = "my client", .redirect_uri = "https://sp.example.com/api/v1/auth/sso/acme/callback",
		.scope = "openid email profile", .state = "st-1", .nonce = "n_1", .code_challenge = "ch~1",
	};
	arena_init(&a, 65536);
	const char *u = oidc_authorization_url(&p, &r, &a);
	ck_assert_str_eq(u, "https://idp.example.com/auth?response_type=code&client_id=my%20client"
	    "&redirect_uri=https%3A%2F%2Fsp.example.com%2Fapi%2Fv1%2Fauth%2Fsso%2Facme%2Fcallback"
	    "&scope=openid%20email%20profile&state=st-1&nonce=n_1&code_challenge=ch~1"
	    "&code_challenge_method=S256");
	p.authorization_endpoint = "https://idp.example.com/auth?tenant=7";
	u = oidc_authorization_url(&p, &r, &a);
	ck_assert(strncmp(u, "https://idp.example.com/auth?tenant=7&response_type=code&", 57) == 0);
	arena_free(&a);
}
END_TEST

START_TEST(test_error_table)
{
	for (int e = 0; e < OIDC_E_MAX; e++) {
		const struct oidc_error_info *i = oidc_error_info((enum oidc_error)e);
		ck_assert_ptr_nonnull(i->reason);
		ck_assert_ptr_nonnull(i->detail);
		ck_assert_msg(strspn(i->reason, "abcdefghijklmnopqrstuvwxyz_") == strlen(i->reason),
		    "reason %s", i->reason);
	}
	ck_assert_str_eq(oidc_error_info(OIDC_E_MAX)->reason, "internal_error");
	ck_assert(oidc_error_info(OIDC_E_UNREACHABLE)->provider_fault);
	ck_assert(!oidc_error_info(OIDC_E_SIGNATURE)->provider_fault);
	ck_assert(!oidc_error_info(OIDC_E_GRANT_REJECTED)->provider_fault);
}
END_TEST

/* ---- sso.c ---- */

static const struct domain_case {
	const char *in, *out;
} domain_cases[] = {
	{"example.com", "example.com"},
	{"Example.COM", "example.com"},
	{"a-b.example.co.uk", "a-b.example.co.uk"},
	{"xn--bcher-kva.example", "xn--bcher-kva.example"},
	{"localhost", NULL},
	{"", NULL},
	{".example.com", NULL},
	{"example.com.", NULL},
	{"exa mple.com", NULL},
	{"-a.example.com", NULL},
	{"a-.example.com", NULL},
	{"a..b", NULL},
	{"ex@mple.com", NULL},
	{"*.example.com", NULL},
	{"b\xc3\xbc" "cher.example", NULL},
};

START_TEST(test_domain_normalize)
{
	const struct domain_case *k = &domain_cases[_i];
	char out[SSO_DOMAIN_MAX + 1];
	int rc = sso_domain_normalize(k->in, out);
	if (k->out == NULL) {
		ck_assert_msg(rc == -1, "%s accepted", k->in);
	} else {
		ck_assert_msg(rc == 0, "%s refused", k->in);
		ck_assert_str_eq(out, k->out);
	}
}
END_TEST

START_TEST(test_domains_json_and_allowed)
{
	struct arena a;
	const char *bad = NULL, *list[] = {"Example.com", "corp.example.org", "example.com"};
	bool restricted;

	arena_init(&a, 65536);
	const char *json = sso_domains_json(list, 3, &a, &bad);
	ck_assert_str_eq(json, "[\"example.com\",\"corp.example.org\"]");
	ck_assert(sso_domain_allowed(json, "jane@example.com", &restricted) && restricted);
	ck_assert(sso_domain_allowed(json, "ops@corp.example.org", &restricted));
	ck_assert(!sso_domain_allowed(json, "jane@evil-example.com", &restricted));
	ck_assert(!sso_domain_allowed(json, "jane@sub.example.com", &restricted));
	ck_assert(!sso_domain_allowed(json, "jane@example.com.evil", &restricted));
	ck_assert(!sso_domain_allowed(json, "", &restricted) && restricted);
	ck_assert(sso_domain_allowed("[]", "anyone@anywhere.test", &restricted) && !restricted);
	ck_assert(!sso_domain_allowed("not json", "jane@example.com", &restricted) && restricted);
	ck_assert_str_eq(sso_domains_json(list, 0, &a, &bad), "[]");
	const char *worse[] = {"example.com", "not a domain"};
	ck_assert_ptr_null(sso_domains_json(worse, 2, &a, &bad));
	ck_assert_str_eq(bad, "not a domain");
	const char *many[SSO_DOMAINS_MAX + 1];
	for (int i = 0; i <= SSO_DOMAINS_MAX; i++)
		many[i] = "example.com";
	ck_assert_ptr_null(sso_domains_json(many, SSO_DOMAINS_MAX + 1, &a, &bad));
	ck_assert_ptr_nonnull(sso_domains_json(many, SSO_DOMAINS_MAX, &a, &bad));
	arena_free(&a);
}
END_TEST

/* Named connections: a domain in one connection's list only; names are path- and query-safe slugs. */
START_TEST(test_domains_shared_and_connection_names)
{
	struct arena a;

	arena_init(&a, 65536);
	ck_assert_str_eq(sso_domains_shared("[\"a.example\",\"b.example\"]", "[\"c.example\",\"b.example\"]", &a),
	    "b.example");
	ck_assert_ptr_null(sso_domains_shared("[\"a.example\"]", "[\"c.example\"]", &a));
	/* An empty list claims no domain, on either side; a sub-domain is another domain. */
	ck_assert_ptr_null(sso_domains_shared("[]", "[\"a.example\"]", &a));
	ck_assert_ptr_null(sso_domains_shared("[\"a.example\"]", "[]", &a));
	ck_assert_ptr_null(sso_domains_shared("[\"sub.a.example\"]", "[\"a.example\"]", &a));
	ck_assert_ptr_null(sso_domains_shared("not json", "[\"a.example\"]", &a));
	arena_free(&a);
	const char *good[] = {"default", "a", "contractors", "staff-2", "0", "abcdefghijklmnopqrstuvwxyz012345"};
	const char *bad[] = {NULL, "", "-", "a-", "-a", "Caps", "dot.name", "a/b", "sp ace", "under_score",
	    "caf\xc3\xa9", "abcdefghijklmnopqrstuvwxyz0123456", "a\n"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(sso_connection_name_ok(good[i]), "%s refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!sso_connection_name_ok(bad[i]), "bad name %zu accepted", i);
}
END_TEST

START_TEST(test_user_name)
{
	char out[SSO_NAME_MAX * 4 + 1];

	sso_user_name("  Jane Doe ", "jane@example.com", out, sizeof(out));
	ck_assert_str_eq(out, "Jane Doe");
	sso_user_name("Jane\tDoe\x01", "jane@example.com", out, sizeof(out));
	ck_assert_str_eq(out, "Jane Doe");
	sso_user_name(NULL, "jane.doe@example.com", out, sizeof(out));
	ck_assert_str_eq(out, "jane.doe");
	sso_user_name("   ", "x@example.com", out, sizeof(out));
	ck_assert_str_eq(out, "x");
	/* 250 two-byte characters: cut at 200 characters, never inside one. */
	char longname[501];
	for (int i = 0; i < 250; i++)
		memcpy(longname + 2 * i, "\xc3\xa9", 2);
	longname[500] = '\0';
	sso_user_name(longname, "x@example.com", out, sizeof(out));
	ck_assert_uint_eq(strlen(out), 400);
	sso_user_name(longname, "x@example.com", out, 11);
	ck_assert_uint_eq(strlen(out), 10);
}
END_TEST

/* The scopes a connection asks for: RFC 6749 scope tokens, openid among them, duplicates dropped. */
static const struct {
	const char *in, *want;      /* want NULL: refused */
} scope_cases[] = {
	{"openid email profile", "openid email profile"},
	{"  openid   groups openid email ", "openid groups email"},
	{"profile openid", "profile openid"},
	{"openid https://api.example.com/read", "openid https://api.example.com/read"},
	{"email profile", NULL},
	{"", NULL},
	{"openidx email", NULL},
	{"openid em\"ail", NULL},
	{"openid back\\slash", NULL},
	{"openid caf\xc3\xa9", NULL},
	{"openid tab\there", NULL},
	{"openid a b c d e f g h i j k l m n o p q r s t", NULL},   /* 21 scopes */
	{"openid a b c d e f g h i j k l m n o p q r s", "openid a b c d e f g h i j k l m n o p q r s"},
};

START_TEST(test_sso_scopes)
{
	struct arena a;
	const char *why = NULL;

	arena_init(&a, 1024);
	const char *got = sso_scopes_normalize(scope_cases[_i].in, &a, &why);
	if (scope_cases[_i].want == NULL) {
		ck_assert_msg(got == NULL && why != NULL, "case %d accepted as %s", _i, got);
	} else {
		ck_assert_msg(got != NULL, "case %d refused: %s", _i, why);
		ck_assert_str_eq(got, scope_cases[_i].want);
	}
	arena_free(&a);
}
END_TEST

START_TEST(test_sso_scopes_length)
{
	struct arena a;
	char in[SSO_SCOPES_MAX + 8];
	const char *why = NULL;

	arena_init(&a, 1024);
	memcpy(in, "openid ", 7);
	memset(in + 7, 'x', sizeof(in) - 8);
	in[sizeof(in) - 1] = '\0';
	ck_assert_ptr_null(sso_scopes_normalize(in, &a, &why));
	in[SSO_SCOPES_MAX] = '\0';
	ck_assert_ptr_nonnull(sso_scopes_normalize(in, &a, &why));
	arena_free(&a);
}
END_TEST

static Suite *
oidc_suite(void)
{
	Suite *s = suite_create("oidc");
	/* RSA key generation takes a moment. */
	TCase *tc = unit_tcase(s, "id_token", 60);

	tcase_add_test(tc, test_good_rs256);
	tcase_add_test(tc, test_good_es256_and_kidless);
	tcase_add_loop_test(tc, test_claims, 0, sizeof claim_cases / sizeof claim_cases[0]);
	tcase_add_test(tc, test_subject_length);
	tcase_add_test(tc, test_bad_signature);
	tcase_add_test(tc, test_algorithms);
	tcase_add_test(tc, test_keys);
	tcase_add_loop_test(tc, test_malformed, 0, sizeof malformed_tokens / sizeof malformed_tokens[0]);
	tcase_add_test(tc, test_oversized);
	tcase_add_loop_test(tc, test_sso_scopes, 0, sizeof scope_cases / sizeof scope_cases[0]);
	tcase_add_test(tc, test_sso_scopes_length);
	tcase_add_test(tc, test_payload_not_object);

	tc = unit_tcase(s, "encodings", 10);
	tcase_add_test(tc, test_s256_and_random);
	tcase_add_loop_test(tc, test_url_acceptable, 0, sizeof url_cases / sizeof url_cases[0]);
	tcase_add_test(tc, test_url_length);
	tcase_add_test(tc, test_endpoint_urls);
	tcase_add_loop_test(tc, test_addr_classify, 0, sizeof addr_cases / sizeof addr_cases[0]);
	tcase_add_test(tc, test_addr_other_family);
	tcase_add_test(tc, test_authorization_url);
	tcase_add_test(tc, test_error_table);

	tc = unit_tcase(s, "sso", 10);
	tcase_add_loop_test(tc, test_domain_normalize, 0, sizeof domain_cases / sizeof domain_cases[0]);
	tcase_add_test(tc, test_domains_json_and_allowed);
	tcase_add_test(tc, test_domains_shared_and_connection_names);
	tcase_add_test(tc, test_user_name);
	return s;
}

int
main(void)
{
	/* One process for all cases: the keys are made once, not per forked test. */
	return unit_run(oidc_suite(), true);
}
