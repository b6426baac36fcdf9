/* token.c -- issue and verify HS256 JWTs with libjwt, checking what libjwt 1.10 does not. */
#include "token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <jwt.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "encoding.h"

#define CLOCK_LEEWAY 60             /* seconds of clock skew tolerated for iat and nbf */
#define SECRET_FILE_MAX 4096

static int
load_one(struct token_key *key, const char *path, char *err)
{
	unsigned char buf[SECRET_FILE_MAX + 1];
	unsigned char digest[SHA256_DIGEST_LENGTH];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		snprintf(err, CONFIG_ERR_LEN, "[jwt] secret file %s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n > SECRET_FILE_MAX) {
		snprintf(err, CONFIG_ERR_LEN, "[jwt] secret file %s: larger than %d bytes", path, SECRET_FILE_MAX);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	if (n < TOKEN_SECRET_MIN) {
		snprintf(err, CONFIG_ERR_LEN, "[jwt] secret file %s: holds %zu bytes, at least %d are required",
		    path, n, TOKEN_SECRET_MIN);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	key->secret = malloc(n);
	if (key->secret == NULL) {
		explicit_bzero(buf, sizeof(buf));
		snprintf(err, CONFIG_ERR_LEN, "out of memory");
		return -1;
	}
	memcpy(key->secret, buf, n);
	key->len = n;
	explicit_bzero(buf, sizeof(buf));
	/* The kid names a secret without revealing it: the start of its digest. */
	SHA256(key->secret, n, digest);
	encoding_hex(digest, (TOKEN_KID_LEN - 1) / 2, key->kid);
	return 0;
}

int
token_keys_load(struct token_keys *k, const struct config *cfg, char err[CONFIG_ERR_LEN])
{
	memset(k, 0, sizeof(*k));
	k->issuer = cfg->jwt_issuer;
	if (cfg->jwt_secret_file[0] == '\0') {
		snprintf(err, CONFIG_ERR_LEN, "[jwt] secret_file: must be set");
		return -1;
	}
	if (load_one(&k->keys[0], cfg->jwt_secret_file, err) != 0)
		return -1;
	k->n = 1;
	char *list = strdup(cfg->jwt_verify_secret_files), *save = NULL;
	if (list == NULL)
		goto fail;
	for (char *p = strtok_r(list, " \t,", &save); p != NULL; p = strtok_r(NULL, " \t,", &save)) {
		if (k->n == TOKEN_MAX_KEYS) {
			snprintf(err, CONFIG_ERR_LEN, "[jwt] verify_secret_files: at most %d files", TOKEN_MAX_KEYS - 1);
			free(list);
			goto fail;
		}
		if (load_one(&k->keys[k->n], p, err) != 0) {
			free(list);
			goto fail;
		}
		k->n++;
	}
	free(list);
	return 0;
fail:
	token_keys_free(k);
	return -1;
}

void
token_keys_free(struct token_keys *k)
{
	for (size_t i = 0; i < TOKEN_MAX_KEYS; i++) {
		if (k->keys[i].secret != NULL) {
			explicit_bzero(k->keys[i].secret, k->keys[i].len);
			free(k->keys[i].secret);
		}
	}
	memset(k, 0, sizeof(*k));
}

char *
token_issue(const struct token_keys *k, const struct token_claims *c)
{
	jwt_t *jwt = NULL;
	char *out = NULL;

	if (k->n == 0 || jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_header(jwt, "kid", k->keys[0].kid) != 0 ||
	    jwt_add_grant(jwt, "iss", k->issuer) != 0 ||
	    jwt_add_grant(jwt, "sub", c->sub) != 0 ||
	    jwt_add_grant(jwt, "org_id", c->org_id) != 0 ||
	    jwt_add_grant(jwt, "role", c->role) != 0 ||
	    jwt_add_grant(jwt, "type", c->type == TOKEN_ACCESS ? "access" : "refresh") != 0 ||
	    jwt_add_grant(jwt, "sid", c->sid) != 0 ||
	    jwt_add_grant(jwt, "jti", c->jti) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)c->iat) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)c->exp) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_HS256, k->keys[0].secret, (int)k->keys[0].len) != 0)
		goto out;
	out = jwt_encode_str(jwt);
out:
	jwt_free(jwt);
	return out;
}

/*
 * Read the header before libjwt does: the algorithm must be exactly HS256
 * (libjwt 1.10 would otherwise accept whatever the token names, "none"
 * included), and the kid picks the secret.
 */
static enum token_error
check_header(const struct token_keys *k, const char *tok, const struct token_key **key)
{
	unsigned char raw[1024];
	const char *dot = strchr(tok, '.');
	enum token_error e = TOKEN_MALFORMED;

	if (dot == NULL || dot == tok || (size_t)(dot - tok) > 1300)
		return TOKEN_MALFORMED;
	long n = encoding_b64url_decode(tok, (size_t)(dot - tok), raw, sizeof(raw) - 1);
	if (n <= 0)
		return TOKEN_MALFORMED;
	raw[n] = '\0';
	json_tokener *jt = json_tokener_new_ex(4);
	if (jt == NULL)
		return TOKEN_MALFORMED;
	json_tokener_set_flags(jt, JSON_TOKENER_STRICT);
	json_object *h = json_tokener_parse_ex(jt, (const char *)raw, (int)n);
	bool complete = h != NULL && json_tokener_get_error(jt) == json_tokener_success &&
	    json_tokener_get_parse_end(jt) == (size_t)n;
	json_tokener_free(jt);
	if (!complete || json_object_get_type(h) != json_type_object)
		goto out;
	json_object *alg = NULL, *kid = NULL;
	if (!json_object_object_get_ex(h, "alg", &alg) || json_object_get_type(alg) != json_type_string)
		goto out;
	if (strcmp(json_object_get_string(alg), "HS256") != 0) {
		e = TOKEN_BAD_ALGORITHM;
		goto out;
	}
	e = TOKEN_UNKNOWN_KEY;
	if (!json_object_object_get_ex(h, "kid", &kid) || json_object_get_type(kid) != json_type_string)
		goto out;
	for (size_t i = 0; i < k->n; i++) {
		if (strcmp(json_object_get_string(kid), k->keys[i].kid) == 0) {
			*key = &k->keys[i];
			e = TOKEN_OK;
			break;
		}
	}
out:
	json_object_put(h);
	return e;
}

static bool
copy_claim(jwt_t *jwt, const char *name, char *out, size_t size, bool uuid)
{
	const char *v = jwt_get_grant(jwt, name);
	if (v == NULL || strlen(v) >= size || v[0] == '\0')
		return false;
	if (uuid && !util_uuid_valid(v))
		return false;
	memcpy(out, v, strlen(v) + 1);
	return true;
}

/* An integer claim: missing or not a positive integer is a malformed token. */
static bool
int_claim(jwt_t *jwt, const char *name, time_t *out)
{
	errno = 0;
	long v = jwt_get_grant_int(jwt, name);
	if (errno != 0 || v <= 0)
		return false;
	*out = (time_t)v;
	return true;
}

enum token_error
token_verify(const struct token_keys *k, const char *tok, enum token_type want, time_t now,
    struct token_claims *out)
{
	const struct token_key *key = NULL;
	jwt_t *jwt = NULL;
	enum token_error e;
	time_t nbf;

	if (strlen(tok) > TOKEN_MAX_BYTES)
		return TOKEN_TOO_LARGE;
	if ((e = check_header(k, tok, &key)) != TOKEN_OK)
		return e;
	/* key->len >= 32: libjwt never runs keyless here. */
	if (jwt_decode(&jwt, tok, key->secret, (int)key->len) != 0 || jwt == NULL)
		return TOKEN_BAD_SIGNATURE;
	if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
		e = TOKEN_BAD_ALGORITHM;
		goto out;
	}
	const char *iss = jwt_get_grant(jwt, "iss");
	if (iss == NULL || strcmp(iss, k->issuer) != 0) {
		e = TOKEN_BAD_ISSUER;
		goto out;
	}
	const char *type = jwt_get_grant(jwt, "type");
	if (type == NULL || (strcmp(type, "access") != 0 && strcmp(type, "refresh") != 0)) {
		e = TOKEN_MALFORMED;
		goto out;
	}
	out->type = strcmp(type, "access") == 0 ? TOKEN_ACCESS : TOKEN_REFRESH;
	if (!int_claim(jwt, "exp", &out->exp) || !int_claim(jwt, "iat", &out->iat) ||
	    !copy_claim(jwt, "sub", out->sub, sizeof(out->sub), true) ||
	    !copy_claim(jwt, "org_id", out->org_id, sizeof(out->org_id), true) ||
	    !copy_claim(jwt, "sid", out->sid, sizeof(out->sid), true) ||
	    !copy_claim(jwt, "jti", out->jti, sizeof(out->jti), true) ||
	    !copy_claim(jwt, "role", out->role, sizeof(out->role), false)) {
		e = TOKEN_MALFORMED;
		goto out;
	}
	if (out->type != want) {
		e = TOKEN_WRONG_TYPE;
		goto out;
	}
	if (now >= out->exp) {
		e = TOKEN_EXPIRED;
		goto out;
	}
	errno = 0;
	long nbf_v = jwt_get_grant_int(jwt, "nbf");
	bool has_nbf = errno == 0;
	nbf = (time_t)nbf_v;
	if (out->iat > now + CLOCK_LEEWAY || (has_nbf && nbf > now + CLOCK_LEEWAY)) {
		e = TOKEN_NOT_YET_VALID;
		goto out;
	}
	e = TOKEN_OK;
out:
	jwt_free(jwt);
	return e;
}

const char *
token_error_detail(enum token_error e)
{
	switch (e) {
	case TOKEN_OK:
		return "OK";
	case TOKEN_EXPIRED:
		return "JWT token has expired";
	case TOKEN_NOT_YET_VALID:
		return "JWT token is not yet valid";
	case TOKEN_WRONG_TYPE:
		return "Invalid token type";
	case TOKEN_BAD_ALGORITHM:
		return "Invalid token algorithm";
	case TOKEN_TOO_LARGE:
		return "Token is too large";
	case TOKEN_BAD_SIGNATURE:
	case TOKEN_UNKNOWN_KEY:
		return "Invalid token signature";
	case TOKEN_BAD_ISSUER:
		return "Invalid token issuer";
	case TOKEN_MALFORMED:
		break;
	}
	return "Malformed token";
}

int
token_keys_digest(const struct token_keys *k, const char *label, const char *data,
    unsigned char out[32])
{
	unsigned int len = 0;
	size_t ln = strlen(label), dn = strlen(data);
	unsigned char *msg;

	if (k->n == 0 || (msg = malloc(ln + 1 + dn)) == NULL)
		return -1;
	/* label NUL data: no two (label, data) pairs share a message. */
	memcpy(msg, label, ln);
	msg[ln] = '\0';
	memcpy(msg + ln + 1, data, dn);
	unsigned char *md = HMAC(EVP_sha256(), k->keys[0].secret, (int)k->keys[0].len, msg,
	    ln + 1 + dn, out, &len);
	explicit_bzero(msg, ln + 1 + dn);
	free(msg);
	return md != NULL && len == 32 ? 0 : -1;
}
