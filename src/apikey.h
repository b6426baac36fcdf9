/* apikey.h -- the API key format: prefix, CSPRNG body, checksum, digest. */
#ifndef OW_APIKEY_H
#define OW_APIKEY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * overwatch_ak_ + 30 base62 characters from the CSPRNG (178 bits) + 6 base62
 * characters of the CRC32 of everything before them. Regular expression for
 * secret scanners: overwatch_ak_[0-9A-Za-z]{36}\b
 */
#define APIKEY_TAG "overwatch_ak_"
#define APIKEY_TAG_LEN 13
#define APIKEY_RANDOM_LEN 30
#define APIKEY_CHECK_LEN 6
#define APIKEY_LEN (APIKEY_TAG_LEN + APIKEY_RANDOM_LEN + APIKEY_CHECK_LEN)
#define APIKEY_PREFIX_LEN (APIKEY_TAG_LEN + 8)     /* shown in lists: tag + 8 characters */
#define APIKEY_MAX_BYTES 256                        /* longer input: refused unread */
#define APIKEY_DIGEST_LEN 32

/* A new key into out (APIKEY_LEN + 1 bytes); 0 or -1. */
int apikey_generate(char out[APIKEY_LEN + 1]);
/* True when key has the format and its checksum matches (no database needed). */
bool apikey_well_formed(const char *key);
/* SHA-256 of the key text. */
void apikey_digest(const char *key, unsigned char out[APIKEY_DIGEST_LEN]);
/* The display prefix of a key into out (APIKEY_PREFIX_LEN + 1 bytes). */
void apikey_prefix(const char *key, char out[APIKEY_PREFIX_LEN + 1]);

#endif
