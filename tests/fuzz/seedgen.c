/*
 * seedgen.c -- writes the generated seed files: real tokens from token_issue
 * (valid at FUZZ_NOW under the fuzz_token keys) and real keys from
 * apikey_generate, plus near misses of each. Run after changing the token or
 * key format:  tests/fuzz/build/seedgen tests/fuzz/corpus
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_token_keys.h"

#include "apikey.h"
#include "password.h"
#include "token.h"
#include "util.h"

static const char *outdir;

static void
put(const char *target, const char *name, const char *prefix, const char *body)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fprintf(f, "%s%s", prefix, body) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static char *
issue(const struct token_keys *k, enum token_type type, time_t iat, time_t exp, const char *role)
{
	struct token_claims c = {.type = type, .iat = iat, .exp = exp};
	strcpy(c.sub, "0190a7e2-1c3d-7b4e-9f00-1234567890ab");
	strcpy(c.org_id, "0190a7e2-1c3d-7b4e-9f00-abcdefabcdef");
	strcpy(c.sid, "0190a7e2-1c3d-7b4e-9f00-000000000001");
	strcpy(c.jti, "6f1b3c2a-9d4e-4f5a-8b7c-0123456789ab");
	snprintf(c.role, sizeof(c.role), "%s", role);
	char *t = token_issue(k, &c);
	if (t == NULL) {
		fprintf(stderr, "token_issue failed\n");
		exit(1);
	}
	return t;
}

int
main(int argc, char **argv)
{
	char buf[16384];

	if (argc != 2) {
		fprintf(stderr, "usage: seedgen CORPUS_DIR\n");
		return 2;
	}
	outdir = argv[1];
	fuzz_keys_load();

	/* fuzz_token: '0' prefix = raw token mode. */
	char *access = issue(&fuzz_keys, TOKEN_ACCESS, FUZZ_NOW - 10, FUZZ_NOW + 3600, "admin");
	char *refresh = issue(&fuzz_keys, TOKEN_REFRESH, FUZZ_NOW - 10, FUZZ_NOW + 604800, "viewer");
	char *expired = issue(&fuzz_keys, TOKEN_ACCESS, FUZZ_NOW - 7200, FUZZ_NOW - 3600, "engineer");
	char *future = issue(&fuzz_keys, TOKEN_ACCESS, FUZZ_NOW + 3600, FUZZ_NOW + 7200, "admin");
	struct token_keys rotated = fuzz_keys;      /* sign with the verify-only key */
	rotated.keys[0] = fuzz_keys.keys[1];
	char *old = issue(&rotated, TOKEN_ACCESS, FUZZ_NOW - 10, FUZZ_NOW + 3600, "admin");
	put("fuzz_token", "gen-access", "0", access);
	put("fuzz_token", "gen-refresh", "0", refresh);
	put("fuzz_token", "gen-expired", "0", expired);
	put("fuzz_token", "gen-not-yet-valid", "0", future);
	put("fuzz_token", "gen-rotated-key", "0", old);
	snprintf(buf, sizeof(buf), "%s", access);
	buf[strlen(buf) - 2] ^= 1;  /* one signature bit */
	put("fuzz_token", "gen-bad-signature", "0", buf);

	/* Mode 2/3: header and payload JSON, signed by the harness. */
	snprintf(buf, sizeof(buf),
	    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}\n"
	    "{\"iss\":\"overwatch\",\"sub\":\"0190a7e2-1c3d-7b4e-9f00-1234567890ab\","
	    "\"org_id\":\"0190a7e2-1c3d-7b4e-9f00-abcdefabcdef\",\"role\":\"admin\",\"type\":\"access\","
	    "\"sid\":\"0190a7e2-1c3d-7b4e-9f00-000000000001\",\"jti\":\"6f1b3c2a-9d4e-4f5a-8b7c-0123456789ab\","
	    "\"iat\":%ld,\"exp\":%ld,\"nbf\":%ld}", fuzz_keys.keys[0].kid,
	    (long)FUZZ_NOW - 10, (long)FUZZ_NOW + 3600, (long)FUZZ_NOW - 10);
	put("fuzz_token", "gen-signed-claims", "2", buf);
	snprintf(buf, sizeof(buf),
	    "{\"alg\":\"HS256\",\"kid\":\"%s\"}\n"
	    "{\"iss\":\"overwatch\",\"sub\":\"0190a7e2-1c3d-7b4e-9f00-1234567890ab\","
	    "\"org_id\":\"0190a7e2-1c3d-7b4e-9f00-abcdefabcdef\",\"role\":\"viewer\",\"type\":\"refresh\","
	    "\"sid\":\"0190a7e2-1c3d-7b4e-9f00-000000000001\",\"jti\":\"6f1b3c2a-9d4e-4f5a-8b7c-0123456789ab\","
	    "\"iat\":%ld,\"exp\":%ld}", fuzz_keys.keys[1].kid, (long)FUZZ_NOW - 10, (long)FUZZ_NOW + 60);
	put("fuzz_token", "gen-signed-rotated", "3", buf);
	snprintf(buf, sizeof(buf),
	    "{\"alg\":\"HS256\",\"kid\":\"%s\"}\n"
	    "{\"iss\":\"overwatch\",\"sub\":[1],\"org_id\":{},\"role\":\"\",\"type\":\"access\","
	    "\"sid\":null,\"jti\":1.5,\"iat\":\"1\",\"exp\":1e300,\"nbf\":-1}", fuzz_keys.keys[0].kid);
	put("fuzz_token", "gen-signed-wrong-kinds", "2", buf);

	/* fuzz_request: a real bearer token and cookie. */
	snprintf(buf, sizeof(buf),
	    "REQUEST_METHOD=GET\nREQUEST_URI=/api/v1/auth/me\nSCRIPT_NAME=\nREMOTE_ADDR=127.0.0.1\n"
	    "HTTP_AUTHORIZATION=Bearer %s\nHTTP_HOST=localhost\n\n", access);
	put("fuzz_request", "gen-bearer", "", buf);
	snprintf(buf, sizeof(buf),
	    "REQUEST_METHOD=POST\nREQUEST_URI=/api/v1/auth/refresh\nREMOTE_ADDR=10.1.2.3\n"
	    "HTTP_COOKIE=access_token=%s; refresh_token=\"%s\"\nHTTP_ORIGIN=https://app.example.com\n"
	    "CONTENT_TYPE=application/json\nCONTENT_LENGTH=2\n\n{}", access, refresh);
	put("fuzz_request", "gen-cookies", "", buf);

	/* fuzz_apikey */
	char key[APIKEY_LEN + 1];
	for (int i = 0; i < 2; i++) {
		char name[32];
		if (apikey_generate(key) != 0)
			return 1;
		snprintf(name, sizeof(name), "gen-key-%d", i);
		put("fuzz_apikey", name, "", key);
	}
	key[APIKEY_LEN - 1] = key[APIKEY_LEN - 1] == 'a' ? 'b' : 'a';
	put("fuzz_apikey", "gen-bad-checksum", "", key);
	if (apikey_generate(key) != 0)
		return 1;
	snprintf(buf, sizeof(buf), "REQUEST_METHOD=GET\nREQUEST_URI=/api/v1/incidents?page=2&per_page=50\n"
	    "QUERY_STRING=page=2&per_page=50\nREMOTE_ADDR=::1\nHTTP_X_API_KEY=%s\n\n", key);
	put("fuzz_request", "gen-api-key", "", buf);

	/* fuzz_password: real argon2id hashes at the cheapest parameters, "encoded\npassword". */
	static const struct password_params cheap = {8, 1, 1}, cheap2 = {16, 2, 2};
	char hash[PASSWORD_HASH_MAX];
	if (password_hash(&cheap, "correct horse battery staple", 28, hash) != 0)
		return 1;
	snprintf(buf, sizeof(buf), "%s\ncorrect horse battery staple", hash);
	put("fuzz_password", "gen-match", "", buf);
	snprintf(buf, sizeof(buf), "%s\nwrong horse battery staple", hash);
	put("fuzz_password", "gen-mismatch", "", buf);
	snprintf(buf, sizeof(buf), "%.*s\ncorrect horse battery staple", (int)strlen(hash) - 3, hash);
	put("fuzz_password", "gen-truncated", "", buf);
	char *v = strstr(hash, "$v=19$");
	if (v != NULL) {
		snprintf(buf, sizeof(buf), "%.*s%s\ncorrect horse battery staple", (int)(v - hash), hash, v + 5);
		put("fuzz_password", "gen-no-version", "", buf);
	}
	if (password_hash(&cheap2, "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80 pass", 16, hash) != 0)
		return 1;
	snprintf(buf, sizeof(buf), "%s\n\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80 pass", hash);
	put("fuzz_password", "gen-utf8-p2", "", buf);

	free(access);
	free(refresh);
	free(expired);
	free(future);
	free(old);
	token_keys_free(&fuzz_keys);
	config_free(&fuzz_cfg);
	return 0;
}
