/* mfa_codes.h -- the random values of two-factor sign-in: mfa_tokens and recovery codes, and their digests. */
#ifndef OW_MFA_CODES_H
#define OW_MFA_CODES_H

#include <stddef.h>

#define MFA_TOKEN_BYTES 32
#define MFA_TOKEN_LEN 43            /* base64url of 32 bytes, no padding */
#define MFA_RECOVERY_COUNT 10
#define MFA_RECOVERY_BYTES 10       /* 80 bits: 16 base32 characters */
#define MFA_RECOVERY_LEN 19         /* four groups of four base32 characters, dash-separated */
#define MFA_CODE_DIGEST_LEN 32

/* A new mfa_token (NUL-terminated) and the SHA-256 the database keeps of it. 0 or -1. */
int mfa_token_new(char out[MFA_TOKEN_LEN + 1], unsigned char digest[MFA_CODE_DIGEST_LEN]);
/* The digest of a presented mfa_token; -1 when it cannot be one (length, alphabet). */
int mfa_token_digest(const char *tok, unsigned char digest[MFA_CODE_DIGEST_LEN]);

/* A new recovery code as shown to the user, and its digest. 0 or -1. */
int mfa_recovery_new(char out[MFA_RECOVERY_LEN + 1], unsigned char digest[MFA_CODE_DIGEST_LEN]);
/*
 * The digest of a presented recovery code: dashes and spaces are dropped and
 * letters upper-cased first (people retype them); -1 when what is left is
 * not 16 base32 characters.
 */
int mfa_recovery_digest(const char *code, unsigned char digest[MFA_CODE_DIGEST_LEN]);

#endif
