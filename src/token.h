/* token.h -- HS256 JWTs through libjwt: the only module that includes <jwt.h>. */
#ifndef OW_TOKEN_H
#define OW_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "util.h"

#define TOKEN_MAX_BYTES 8192        /* doc/api.md section 7 */
#define TOKEN_SECRET_MIN 32
#define TOKEN_MAX_KEYS 8
#define TOKEN_KID_LEN 17            /* 16 hex digits and the NUL */

enum token_type { TOKEN_ACCESS, TOKEN_REFRESH };

enum token_error {
	TOKEN_OK,
	TOKEN_MALFORMED,        /* not a JWT, or a claim missing or of the wrong kind */
	TOKEN_TOO_LARGE,
	TOKEN_BAD_ALGORITHM,    /* alg other than HS256 (none, HS512, RS256, ...) */
	TOKEN_UNKNOWN_KEY,      /* kid absent or not one of ours */
	TOKEN_BAD_SIGNATURE,
	TOKEN_BAD_ISSUER,
	TOKEN_WRONG_TYPE,
	TOKEN_EXPIRED,
	TOKEN_NOT_YET_VALID,
};

struct token_claims {
	enum token_type type;
	char sub[UUID_STR_LEN];     /* user id */
	char org_id[UUID_STR_LEN];
	char role[16];
	char sid[UUID_STR_LEN];     /* session id */
	char jti[UUID_STR_LEN];
	time_t iat, exp;
};

struct token_key {
	unsigned char *secret;
	size_t len;
	char kid[TOKEN_KID_LEN];
};

/* The secrets of a process: keys[0] signs, all verify. */
struct token_keys {
	struct token_key keys[TOKEN_MAX_KEYS];
	size_t n;
	const char *issuer;         /* borrowed from the config */
};

/*
 * Read [jwt] secret_file and verify_secret_files. Each must hold at least
 * TOKEN_SECRET_MIN bytes (trailing newlines are not counted). -1 with a
 * message in err otherwise.
 */
int token_keys_load(struct token_keys *k, const struct config *cfg, char err[CONFIG_ERR_LEN]);
/* Wipe and free the secrets. */
void token_keys_free(struct token_keys *k);

/* Sign c with the current key; a malloc'd string the caller frees, or NULL. */
char *token_issue(const struct token_keys *k, const struct token_claims *c);

/*
 * Verify tok: size, header (alg HS256 exactly, a known kid), signature,
 * issuer, type == want, exp and iat/nbf against now. Fills out on TOKEN_OK.
 */
enum token_error token_verify(const struct token_keys *k, const char *tok, enum token_type want,
    time_t now, struct token_claims *out);

/*
 * HMAC-SHA256 of label, a NUL and data under the signing secret: a stable
 * pseudonym for data (an e-mail address) that a database dump cannot be
 * searched for. Changes when the signing secret rotates. 0, or -1.
 */
int token_keys_digest(const struct token_keys *k, const char *label, const char *data,
    unsigned char out[32]);

/* The detail string a client sees for e (doc/api.md section 2). */
const char *token_error_detail(enum token_error e);

#endif
