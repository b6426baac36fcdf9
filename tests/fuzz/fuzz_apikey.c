/*
 * fuzz_apikey.c -- apikey_well_formed on whatever an X-API-Key header carries,
 * as auth.c calls it (length cap first), then the digest and display prefix of
 * accepted keys. Checks that an accepted key really has the documented shape.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "apikey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *key = fz_strndup(data, size);
	unsigned char digest[APIKEY_DIGEST_LEN];
	char prefix[APIKEY_PREFIX_LEN + 1];

	/* Without the cap too: apikey_well_formed must stand on its own. */
	bool ok = apikey_well_formed(key);
	if (strlen(key) <= APIKEY_MAX_BYTES && ok != apikey_well_formed(key))
		abort();
	if (ok) {
		if (strlen(key) != APIKEY_LEN || memcmp(key, APIKEY_TAG, APIKEY_TAG_LEN) != 0)
			abort();
		for (size_t i = APIKEY_TAG_LEN; i < APIKEY_LEN; i++)
			if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'A' && key[i] <= 'Z') ||
			    (key[i] >= 'a' && key[i] <= 'z')))
				abort();
		apikey_digest(key, digest);
	}
	apikey_prefix(key, prefix);
	if (strlen(prefix) > APIKEY_PREFIX_LEN || strncmp(prefix, key, strlen(prefix)) != 0)
		abort();
	free(key);
	return 0;
}
