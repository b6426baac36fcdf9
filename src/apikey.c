/* apikey.c -- generate and check API keys; a mistyped key is refused here, before any query. */
#include "apikey.h"

#include <stdint.h>
#include <string.h>


#include "util.h"

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static uint32_t
crc32_of(const char *s, size_t n)
{
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		crc ^= (unsigned char)s[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static void
checksum(const char *s, size_t n, char out[APIKEY_CHECK_LEN])
{
	uint32_t v = crc32_of(s, n);
	for (int i = APIKEY_CHECK_LEN - 1; i >= 0; i--) {
		out[i] = base62[v % 62];
		v /= 62;
	}
}

static bool
is_base62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int
apikey_generate(char out[APIKEY_LEN + 1])
{
	unsigned char pool[64];
	size_t n = 0, used = sizeof(pool);

	memcpy(out, APIKEY_TAG, APIKEY_TAG_LEN);
	/* Rejection sampling keeps every character uniform over the 62. */
	while (n < APIKEY_RANDOM_LEN) {
		if (used == sizeof(pool)) {
			if (util_random(pool, sizeof(pool)) != 0)
				return -1;
			used = 0;
		}
		unsigned char b = pool[used++];
		if (b < 248)
			out[APIKEY_TAG_LEN + n++] = base62[b % 62];
	}
	explicit_bzero(pool, sizeof(pool));
	checksum(out, APIKEY_TAG_LEN + APIKEY_RANDOM_LEN, out + APIKEY_TAG_LEN + APIKEY_RANDOM_LEN);
	out[APIKEY_LEN] = '\0';
	return 0;
}

bool
apikey_well_formed(const char *key)
{
	char want[APIKEY_CHECK_LEN];
	size_t n = strnlen(key, APIKEY_LEN + 1);

	if (n != APIKEY_LEN || memcmp(key, APIKEY_TAG, APIKEY_TAG_LEN) != 0)
		return false;
	for (size_t i = APIKEY_TAG_LEN; i < APIKEY_LEN; i++)
		if (!is_base62(key[i]))
			return false;
	checksum(key, APIKEY_TAG_LEN + APIKEY_RANDOM_LEN, want);
	return memcmp(want, key + APIKEY_TAG_LEN + APIKEY_RANDOM_LEN, APIKEY_CHECK_LEN) == 0;
}

void
apikey_digest(const char *key, unsigned char out[APIKEY_DIGEST_LEN])
{
	_Static_assert(APIKEY_DIGEST_LEN == 32, "the digest is a SHA-256");
	util_sha256(key, strlen(key), NULL, 0, out);
}

void
apikey_prefix(const char *key, char out[APIKEY_PREFIX_LEN + 1])
{
	size_t n = strnlen(key, APIKEY_PREFIX_LEN);
	memcpy(out, key, n);
	out[n] = '\0';
}
