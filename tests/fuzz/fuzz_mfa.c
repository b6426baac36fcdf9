/*
 * fuzz_mfa.c -- the parsers of two-factor sign-in that see client text: a
 * TOTP code (totp_code_syntax, totp_match), an mfa_token (mfa_token_digest)
 * and a recovery code (mfa_recovery_digest), and opening a sealed secret
 * from arbitrary bytes (mfa_open, as a corrupted database value would be).
 *
 * Invariants: only exactly 6 ASCII digits pass the code syntax, and
 * totp_match never accepts what fails it; an accepted recovery code
 * digests the same as its upper-case, dash-free form.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "mfa_codes.h"
#include "mfa_crypt.h"
#include "totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[TOTP_SECRET_LEN] = "12345678901234567890";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_strndup(data, size);
	unsigned char d1[MFA_CODE_DIGEST_LEN], d2[MFA_CODE_DIGEST_LEN], secret[TOTP_SECRET_LEN];

	size_t len = strlen(s);     /* the text stops at a NUL, as a JSON string's C form would */
	bool syntax = totp_code_syntax(s);
	if (syntax != (len == TOTP_DIGITS && strspn(s, "0123456789") == TOTP_DIGITS))
		abort();
	if (totp_match(key, sizeof(key), s, 1111111111, 0) >= 0 && !syntax)
		abort();
	(void)mfa_token_digest(s, d1);
	if (mfa_recovery_digest(s, d1) == 0) {
		char *norm = malloc(len + 1);
		size_t n = 0;
		if (norm == NULL)
			abort();
		for (size_t i = 0; i < len; i++)
			if (s[i] != '-' && s[i] != ' ')
				norm[n++] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
		norm[n] = '\0';
		if (mfa_recovery_digest(norm, d2) != 0 || memcmp(d1, d2, sizeof(d1)) != 0)
			abort();
		free(norm);
	}
	static const unsigned char aes[MFA_KEY_LEN] = {1};
	if (mfa_open(aes, "8f0c1f6e-8a55-4d8e-9a49-0b2b2d5d4c11", data, size, secret) == 0)
		abort();    /* nobody sealed it: forging a GCM tag by chance does not happen */
	free(s);
	return 0;
}
