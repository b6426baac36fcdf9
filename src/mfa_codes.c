/* mfa_codes.c -- mfa_tokens and recovery codes: high-entropy random values kept only as SHA-256 digests. */
#include "mfa_codes.h"

#include <string.h>

#include <openssl/sha.h>

#include "encoding.h"
#include "util.h"

#define RECOVERY_CHARS 16

int
mfa_token_new(char out[MFA_TOKEN_LEN + 1], unsigned char digest[MFA_CODE_DIGEST_LEN])
{
	unsigned char raw[MFA_TOKEN_BYTES];

	if (util_random(raw, sizeof(raw)) != 0)
		return -1;
	encoding_base64(raw, sizeof(raw), out, true);
	explicit_bzero(raw, sizeof(raw));
	return mfa_token_digest(out, digest);
}

int
mfa_token_digest(const char *tok, unsigned char digest[MFA_CODE_DIGEST_LEN])
{
	size_t n = strlen(tok);

	if (n != MFA_TOKEN_LEN)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!encoding_b64url_char(tok[i]))
			return -1;
	/* 256 random bits need no salt or slow hash: the digest only hides the token from a dump. */
	SHA256((const unsigned char *)tok, n, digest);
	return 0;
}

int
mfa_recovery_new(char out[MFA_RECOVERY_LEN + 1], unsigned char digest[MFA_CODE_DIGEST_LEN])
{
	unsigned char raw[MFA_RECOVERY_BYTES];
	char b32[ENCODING_BASE32_SIZE(MFA_RECOVERY_BYTES)];
	size_t o = 0;

	if (util_random(raw, sizeof(raw)) != 0)
		return -1;
	encoding_base32(raw, sizeof(raw), b32);
	for (size_t i = 0; i < RECOVERY_CHARS; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = b32[i];
	}
	out[o] = '\0';
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(b32, sizeof(b32));
	return mfa_recovery_digest(out, digest);
}

int
mfa_recovery_digest(const char *code, unsigned char digest[MFA_CODE_DIGEST_LEN])
{
	char norm[RECOVERY_CHARS];
	size_t n = 0;

	for (const char *p = code; *p != '\0'; p++) {
		char ch = *p;
		if (ch == '-' || ch == ' ')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (n == RECOVERY_CHARS || !((ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7')))
			return -1;
		norm[n++] = ch;
	}
	if (n != RECOVERY_CHARS)
		return -1;
	SHA256((const unsigned char *)norm, n, digest);
	explicit_bzero(norm, sizeof(norm));
	return 0;
}
