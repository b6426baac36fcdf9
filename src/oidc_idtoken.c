/* oidc_idtoken.c -- ID token verification (libcjose): compact JWS shape, pinned algorithm, signature, claims. */
#include "oidc.h"

#include <stdint.h>
#include <string.h>

#include <cjose/cjose.h>

#include "encoding.h"
#include "jsonin.h"
#include "oidc_jwks.h"
#include "util.h"

/* Decode unpadded base64url s[0..n) into the arena (NUL-terminated); NULL if malformed. */
static char *
b64url_decode(const char *s, size_t n, struct arena *a, size_t *outlen)
{
	char *out = arena_alloc(a, n / 4 * 3 + 3);
	long got;

	if (out == NULL || (got = encoding_b64url_decode(s, n, (unsigned char *)out, n / 4 * 3 + 2)) < 0)
		return NULL;
	out[got] = '\0';
	*outlen = (size_t)got;
	return out;
}

static bool
number_claim(json_object *claims, const char *name, long long *out)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(claims, name, &v))
		return false;
	/* Times far outside any calendar are no times: bounded, the leeway arithmetic cannot overflow. */
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);
		if (i < -1000000000000000LL || i > 1000000000000000LL)
			return false;
		*out = (long long)i;
		return true;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (d < -1e15 || d > 1e15)
			return false;
		*out = (long long)d;
		return true;
	}
	return false;
}

static const char *
arena_claim(json_object *claims, const char *name, struct arena *a)
{
	const char *s = jv_get_string(claims, name);
	return s != NULL ? arena_strdup(a, s) : NULL;
}

/* Printable ASCII without spaces, 1 to max bytes: sub, sid, jti. */
static bool
visible_ascii(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* aud holds client_id; OIDC Core 3.1.3.7: with several audiences azp must be there; when there, it must be us. */
static enum oidc_error
audience_check(json_object *claims, const char *client_id)
{
	json_object *aud = NULL, *v = NULL;
	const char *azp = jv_get_string(claims, "azp");
	size_t naud = 0;
	bool aud_ok = false;

	if (!json_object_object_get_ex(claims, "aud", &aud))
		return OIDC_E_AUD;
	if (json_object_is_type(aud, json_type_string)) {
		naud = 1;
		aud_ok = strcmp(json_object_get_string(aud), client_id) == 0;
	} else if (json_object_is_type(aud, json_type_array)) {
		naud = json_object_array_length(aud);
		for (size_t i = 0; i < naud; i++) {
			json_object *x = json_object_array_get_idx(aud, i);
			if (json_object_is_type(x, json_type_string) &&
			    strcmp(json_object_get_string(x), client_id) == 0)
				aud_ok = true;
		}
	}
	if (!aud_ok)
		return OIDC_E_AUD;
	if (json_object_object_get_ex(claims, "azp", &v) && (azp == NULL || strcmp(azp, client_id) != 0))
		return OIDC_E_AZP;
	return naud > 1 && azp == NULL ? OIDC_E_AZP : OIDC_OK;
}

/*
 * exp (an ID token's is required; a logout token's is checked when
 * present: providers built on the specification's drafts send none, e.g.
 * glewlwyd 2.7.5, doc/sso.md section 9, and the iat bound below limits
 * such a token's life all the same), iat (not in the future; a logout
 * token's recent), nbf.
 */
static enum oidc_error
time_check(json_object *claims, const struct oidc_expect *e, time_t now, long long *exp, long long *iat)
{
	json_object *v = NULL;
	long long nbf;

	*exp = 0;
	if ((json_object_object_get_ex(claims, "exp", &v) || !e->logout) &&
	    (!number_claim(claims, "exp", exp) || (long long)now > *exp + OIDC_LEEWAY))
		return OIDC_E_EXPIRED;
	if (!number_claim(claims, "iat", iat) || *iat > (long long)now + OIDC_LEEWAY)
		return OIDC_E_IAT;
	if (e->logout && *iat < (long long)now - OIDC_LOGOUT_MAX_AGE - OIDC_LEEWAY)
		return OIDC_E_STALE;
	if (json_object_object_get_ex(claims, "nbf", &v) &&
	    (!number_claim(claims, "nbf", &nbf) || nbf > (long long)now + OIDC_LEEWAY))
		return OIDC_E_NBF;
	return OIDC_OK;
}

/*
 * A logout token's own claims (Back-Channel Logout 1.0, 2.4 and 2.6): no
 * nonce (an ID token must not pass for one), the logout event, a jti, and
 * sub or sid, each well formed when present.
 */
static enum oidc_error
logout_check(json_object *claims)
{
	json_object *events = NULL, *ev = NULL, *v = NULL;
	const char *sub = jv_get_string(claims, "sub"), *sid = jv_get_string(claims, "sid");

	if (json_object_object_get_ex(claims, "nonce", &v))
		return OIDC_E_NONCE;
	if (!json_object_object_get_ex(claims, "events", &events) ||
	    !json_object_is_type(events, json_type_object) ||
	    !json_object_object_get_ex(events, OIDC_LOGOUT_EVENT, &ev) ||
	    !json_object_is_type(ev, json_type_object))
		return OIDC_E_EVENTS;
	if (!visible_ascii(jv_get_string(claims, "jti"), OIDC_SUBJECT_MAX))
		return OIDC_E_JTI;
	if (json_object_object_get_ex(claims, "sub", &v) && !visible_ascii(sub, OIDC_SUBJECT_MAX))
		return OIDC_E_SUB;
	if (json_object_object_get_ex(claims, "sid", &v) && !visible_ascii(sid, OIDC_SID_MAX))
		return OIDC_E_SID;
	return sub == NULL && sid == NULL ? OIDC_E_SID : OIDC_OK;
}

/* An ID token's own claims: this sign-in's nonce (compared in constant time) and a subject. */
static enum oidc_error
id_token_check(json_object *claims, const struct oidc_expect *e)
{
	const char *nonce = jv_get_string(claims, "nonce");
	size_t want = strlen(e->nonce);

	if (nonce == NULL || strlen(nonce) != want || !util_ct_equal(nonce, e->nonce, want))
		return OIDC_E_NONCE;
	return visible_ascii(jv_get_string(claims, "sub"), OIDC_SUBJECT_MAX) ? OIDC_OK : OIDC_E_SUB;
}

static enum oidc_error
check_claims(json_object *claims, const struct oidc_expect *e, time_t now, struct arena *a,
    struct oidc_claims *out)
{
	json_object *v = NULL;
	const char *iss = jv_get_string(claims, "iss"), *sid = jv_get_string(claims, "sid");
	long long exp, iat;
	enum oidc_error r;

	if (iss == NULL || strcmp(iss, e->issuer) != 0)
		return OIDC_E_ISS;
	if ((r = audience_check(claims, e->client_id)) != OIDC_OK ||
	    (r = time_check(claims, e, now, &exp, &iat)) != OIDC_OK ||
	    (r = e->logout ? logout_check(claims) : id_token_check(claims, e)) != OIDC_OK)
		return r;

	memset(out, 0, sizeof(*out));
	out->sub = arena_claim(claims, "sub", a);
	out->email = arena_claim(claims, "email", a);
	out->name = arena_claim(claims, "name", a);
	out->sid = visible_ascii(sid, OIDC_SID_MAX) ? arena_strdup(a, sid) : NULL;
	out->jti = e->logout ? arena_claim(claims, "jti", a) : NULL;
	out->json = arena_strdup(a, json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN));
	out->exp = exp;
	out->iat = iat;
	out->email_verified = -1;
	/* Some providers send the boolean as a string. */
	if (json_object_object_get_ex(claims, "email_verified", &v)) {
		if (json_object_is_type(v, json_type_boolean))
			out->email_verified = json_object_get_boolean(v) ? 1 : 0;
		else if (json_object_is_type(v, json_type_string))
			out->email_verified = strcmp(json_object_get_string(v), "true") == 0 ? 1 : 0;
		else
			out->email_verified = 0;
	}
	return out->json != NULL && (out->sub != NULL || e->logout) ? OIDC_OK : OIDC_E_INTERNAL;
}

/* The protected header's alg and kid, read before any key is chosen. */
static enum oidc_error
read_header(const char *token, struct arena *a, const char **alg, const char **kid)
{
	size_t hlen = strcspn(token, "."), n = 0;
	const char *why = NULL;
	char *text = b64url_decode(token, hlen, a, &n);
	json_object *h;

	*alg = *kid = NULL;
	if (text == NULL || (h = jv_parse_strict(text, n, &why)) == NULL)
		return OIDC_E_TOKEN_MALFORMED;
	if (!json_object_is_type(h, json_type_object) || jv_get_string(h, "alg") == NULL) {
		json_object_put(h);
		return OIDC_E_TOKEN_MALFORMED;
	}
	*alg = arena_strdup(a, jv_get_string(h, "alg"));
	*kid = jv_get_string(h, "kid") != NULL ? arena_strdup(a, jv_get_string(h, "kid")) : NULL;
	json_object_put(h);
	return *alg != NULL ? OIDC_OK : OIDC_E_INTERNAL;
}

static bool
compact_jws_shape(const char *t)
{
	size_t n = strlen(t), dots = 0, part = 0;

	if (n == 0 || n > OIDC_ID_TOKEN_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (t[i] == '.' || t[i] == '\0') {
			/* Never empty (an unsigned token has nothing after the second dot), never 4n + 1 long. */
			if (part == 0 || !oidc_b64url_decodable(t + i - part, part))
				return false;
			dots += t[i] == '.';
			part = 0;
		} else {
			part++;
		}
	}
	return dots == 2;
}

/* Signature and claims against ks; *unknown_kid set when no key of ks matches the token. */
static enum oidc_error
verify_with(const struct oidc_keyset *ks, const char *token, const struct oidc_expect *e, time_t now,
    struct arena *a, struct oidc_claims *out, bool *unknown_kid)
{
	const char *alg, *kid, *why = NULL;
	enum oidc_error r;
	cjose_err err;

	*unknown_kid = false;
	if (!compact_jws_shape(token))
		return OIDC_E_TOKEN_MALFORMED;
	if ((r = read_header(token, a, &alg, &kid)) != OIDC_OK)
		return r;
	if (oidc_alg_rule(alg) == NULL)
		return OIDC_E_ALG;      /* none, HS*, anything unknown */
	cjose_jws_t *jws = cjose_jws_import(token, strlen(token), &err);
	if (jws == NULL)
		return OIDC_E_TOKEN_MALFORMED;
	/* A kid names exactly one key; without one, every key pinned to this alg is tried. */
	r = OIDC_E_UNKNOWN_KEY;
	bool verified = false;
	for (size_t i = 0; i < ks->n && !verified; i++) {
		const struct oidc_key *k = &ks->k[i];
		if (kid != NULL ? !k->has_kid || strcmp(k->kid, kid) != 0 : strcmp(k->rule->alg, alg) != 0)
			continue;
		if (strcmp(k->rule->alg, alg) != 0) {
			r = OIDC_E_ALG;
			break;
		}
		if (cjose_jws_verify(jws, k->jwk, &err))
			verified = true;
		else
			r = OIDC_E_SIGNATURE;
	}
	if (!verified) {
		*unknown_kid = r == OIDC_E_UNKNOWN_KEY;
		cjose_jws_release(jws);
		return r;
	}
	uint8_t *plain = NULL;
	size_t plen = 0;
	json_object *claims = NULL;
	if (!cjose_jws_get_plaintext(jws, &plain, &plen, &err) ||
	    (claims = jv_parse_strict((const char *)plain, plen, &why)) == NULL ||
	    !json_object_is_type(claims, json_type_object))
		r = OIDC_E_TOKEN_MALFORMED;
	else
		r = check_claims(claims, e, now, a, out);
	json_object_put(claims);
	cjose_jws_release(jws);
	return r;
}

enum oidc_error
oidc_verify_with_jwks(const char *jwks, size_t jwks_len, const char *id_token,
    const struct oidc_expect *e, time_t now, struct arena *a, struct oidc_claims *out)
{
	struct oidc_keyset ks;
	bool unknown = false;
	enum oidc_error r = oidc_keyset_parse(jwks, jwks_len, &ks);

	if (r == OIDC_OK)
		r = verify_with(&ks, id_token, e, now, a, out, &unknown);
	oidc_keyset_free(&ks);
	return r;
}
