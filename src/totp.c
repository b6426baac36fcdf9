/* totp.c -- RFC 4226 HOTP and RFC 6238 TOTP with OpenSSL's HMAC-SHA1; codes compared in constant time. */
#include "totp.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util.h"

int
totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits,
    char out[TOTP_CODE_MAX])
{
	unsigned char msg[8], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const uint32_t mod[] = {1000000, 10000000, 100000000};

	if (digits < 6 || digits > 8)
		return -1;
	/* The counter is an 8-byte big-endian value (RFC 4226 section 5.2). */
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), md, &mdlen) == NULL || mdlen != 20)
		return -1;
	/* Dynamic truncation (RFC 4226 section 5.3). */
	unsigned int off = md[19] & 0x0f;
	uint32_t bin = ((uint32_t)(md[off] & 0x7f) << 24) | ((uint32_t)md[off + 1] << 16) |
	    ((uint32_t)md[off + 2] << 8) | md[off + 3];
	uint32_t v = bin % mod[digits - 6];
	for (int i = digits - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[digits] = '\0';
	explicit_bzero(md, sizeof(md));
	return 0;
}

long long
totp_step(time_t t)
{
	return t < 0 ? 0 : (long long)t / TOTP_PERIOD;
}

bool
totp_code_syntax(const char *s)
{
	size_t i = 0;

	for (; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9' || i >= TOTP_DIGITS)
			return false;
	return i == TOTP_DIGITS;
}

long long
totp_match(const unsigned char *key, size_t keylen, const char *code, time_t now,
    long long last_step)
{
	long long base = totp_step(now), found = -1;
	char want[TOTP_CODE_MAX];

	if (!totp_code_syntax(code))
		return -1;
	for (long long s = base - TOTP_SKEW; s <= base + TOTP_SKEW; s++) {
		if (s < 0 || totp_hotp(key, keylen, (uint64_t)s, TOTP_DIGITS, want) != 0)
			continue;
		bool same = util_ct_equal(want, code, TOTP_DIGITS);
		if (same && s > last_step && found < 0)
			found = s;
	}
	explicit_bzero(want, sizeof(want));
	return found;
}
