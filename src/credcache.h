/* credcache.h -- the worker's cache of verified credentials, trusted while the host's revocation epoch stands still. */
#ifndef OW_CREDCACHE_H
#define OW_CREDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "ctx.h"
#include "epoch.h"

#define CREDCACHE_KEY_LEN 32

/*
 * Set up this process's cache from [cache] (size, max_age,
 * revocation_poll) around the host's epoch; e NULL (or credentials off)
 * leaves it off: every call below then does nothing.
 */
void credcache_init(const struct config *cfg, struct epoch *e);
/* Wipe every entry and free the table. */
void credcache_free(void);
bool credcache_on(void);

/*
 * The cache key of a presented credential: SHA-256 of a kind byte ('J' an
 * access token, 'K' an API key's digest) and its bytes. The only form in
 * which a credential is kept.
 */
void credcache_key(char kind, const void *data, size_t len, unsigned char out[CREDCACHE_KEY_LEN]);

/* The epoch an entry filled now is valid under: read it before asking the database. */
uint64_t credcache_epoch(void);

/*
 * The principal cached under key, copied into out (strings into a): only
 * while the epoch is the one it was filled under, the host's poll of the
 * revocation log is recent, its own expiry (now, epoch seconds) has not
 * passed and it is younger than max_age. False otherwise.
 */
bool credcache_get(const unsigned char key[CREDCACHE_KEY_LEN], time_t now, struct principal *out,
    struct arena *a);

/*
 * Keep p under key, filled under epoch, valid until expires (epoch
 * seconds; 0: no expiry of its own). The least recently used entry makes
 * room (CLOCK).
 */
void credcache_put(const unsigned char key[CREDCACHE_KEY_LEN], uint64_t epoch, time_t expires,
    const struct principal *p);

#endif
