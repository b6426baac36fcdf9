/* credcache.c -- the worker's cache of verified credentials, trusted while the host's revocation epoch stands still. */
#include "credcache.h"

#include <stdlib.h>
#include <string.h>


#include "util.h"

struct entry {
	unsigned char key[CREDCACHE_KEY_LEN];
	bool used, ref;             /* ref: CLOCK's second chance */
	long next;                  /* the bucket's next entry, or -1 */
	uint64_t epoch, filled_ms;
	time_t expires;
	struct principal p;         /* strings point into blob */
	char *blob;
	size_t blob_len;
};

/* One per worker, which serves one request at a time. */
static struct {
	struct entry *e;
	long *buckets;
	size_t n, nbuckets, used, hand;
	struct epoch *epoch;
	uint64_t max_age_ms, trust_ms;
} cache;

void
credcache_init(const struct config *cfg, struct epoch *e)
{
	credcache_free();
	if (e == NULL || !cfg->cache_credentials)
		return;
	size_t n = (size_t)cfg->cache_size, nb = 1;
	while (nb < 2 * n)
		nb <<= 1;
	cache.e = calloc(n, sizeof(*cache.e));
	cache.buckets = malloc(nb * sizeof(*cache.buckets));
	if (cache.e == NULL || cache.buckets == NULL) {
		credcache_free();
		return;
	}
	for (size_t i = 0; i < nb; i++)
		cache.buckets[i] = -1;
	cache.n = n;
	cache.nbuckets = nb;
	cache.epoch = e;
	cache.max_age_ms = (uint64_t)cfg->cache_max_age * 1000u;
	/* Two poll periods: one late poll is not a failure. */
	cache.trust_ms = 2u * (uint64_t)cfg->cache_revocation_poll;
}

static void
entry_wipe(struct entry *x)
{
	if (x->blob != NULL) {
		explicit_bzero(x->blob, x->blob_len);
		free(x->blob);
	}
	explicit_bzero(x, sizeof(*x));
	x->next = -1;
}

void
credcache_free(void)
{
	for (size_t i = 0; i < cache.n; i++)
		entry_wipe(&cache.e[i]);
	free(cache.e);
	free(cache.buckets);
	memset(&cache, 0, sizeof(cache));
	util_sha256_free();
}

bool
credcache_on(void)
{
	return cache.e != NULL;
}

void
credcache_key(char kind, const void *data, size_t len, unsigned char out[CREDCACHE_KEY_LEN])
{
	/* util_sha256 zeroes out when it fails: an all-zero key is never stored. */
	_Static_assert(CREDCACHE_KEY_LEN == 32, "the cache key is a SHA-256");
	util_sha256(&kind, 1, data, len, out);
}

uint64_t
credcache_epoch(void)
{
	return cache.epoch != NULL ? epoch_read(cache.epoch) : 0;
}

static size_t
bucket_of(const unsigned char key[CREDCACHE_KEY_LEN])
{
	size_t h;
	memcpy(&h, key, sizeof(h));     /* a SHA-256: any of its bytes are uniform */
	return h & (cache.nbuckets - 1);
}

static long
find(const unsigned char key[CREDCACHE_KEY_LEN])
{
	for (long i = cache.buckets[bucket_of(key)]; i >= 0; i = cache.e[i].next)
		if (util_ct_equal(cache.e[i].key, key, CREDCACHE_KEY_LEN))
			return i;
	return -1;
}

/* Take entry i out of its bucket's chain and wipe it. */
static void
evict(size_t i)
{
	long *link = &cache.buckets[bucket_of(cache.e[i].key)];
	while (*link >= 0 && (size_t)*link != i)
		link = &cache.e[*link].next;
	if (*link >= 0)
		*link = cache.e[i].next;
	entry_wipe(&cache.e[i]);
	cache.used--;
}

static bool
entry_valid(const struct entry *x, time_t now)
{
	uint64_t now_ms = epoch_clock_ms();
	return x->epoch == epoch_read(cache.epoch) &&
	    epoch_poll_recent(cache.epoch, now_ms, cache.trust_ms) &&
	    (x->expires == 0 || now < x->expires) && now_ms - x->filled_ms < cache.max_age_ms;
}

static const char *
copy_str(struct arena *a, const char *s, bool *ok)
{
	if (s == NULL)
		return NULL;
	const char *d = arena_strdup(a, s);
	if (d == NULL)
		*ok = false;
	return d;
}

bool
credcache_get(const unsigned char key[CREDCACHE_KEY_LEN], time_t now, struct principal *out,
    struct arena *a)
{
	if (cache.e == NULL)
		return false;
	long i = find(key);
	if (i < 0)
		return false;
	struct entry *x = &cache.e[i];
	if (!entry_valid(x, now)) {
		evict((size_t)i);
		return false;
	}
	/* Copies in the arena: nothing of the request points into the cache. */
	bool ok = true;
	struct principal p = x->p;
	p.id = copy_str(a, x->p.id, &ok);
	p.org_id = copy_str(a, x->p.org_id, &ok);
	p.org_name = copy_str(a, x->p.org_name, &ok);
	p.org_slug = copy_str(a, x->p.org_slug, &ok);
	p.email = copy_str(a, x->p.email, &ok);
	p.name = copy_str(a, x->p.name, &ok);
	p.key_name = copy_str(a, x->p.key_name, &ok);
	p.key_prefix = copy_str(a, x->p.key_prefix, &ok);
	p.key_root_user = copy_str(a, x->p.key_root_user, &ok);
	p.via_cookie = false;
	if (!ok)
		return false;
	x->ref = true;
	*out = p;
	return true;
}

/* The principal's strings, packed into one allocation the entry owns. */
static bool
pack(struct entry *x, const struct principal *p)
{
	const char *src[] = {p->id, p->org_id, p->org_name, p->org_slug, p->email, p->name,
	    p->key_name, p->key_prefix, p->key_root_user};
	const char **dst[] = {&x->p.id, &x->p.org_id, &x->p.org_name, &x->p.org_slug, &x->p.email,
	    &x->p.name, &x->p.key_name, &x->p.key_prefix, &x->p.key_root_user};
	size_t total = 0, n = sizeof(src) / sizeof(src[0]);

	for (size_t i = 0; i < n; i++)
		total += src[i] != NULL ? strlen(src[i]) + 1 : 0;
	if ((x->blob = malloc(total + 1)) == NULL)
		return false;
	x->blob_len = total + 1;
	char *w = x->blob;
	for (size_t i = 0; i < n; i++) {
		*dst[i] = NULL;
		if (src[i] == NULL)
			continue;
		size_t len = strlen(src[i]) + 1;
		memcpy(w, src[i], len);
		*dst[i] = w;
		w += len;
	}
	return true;
}

/* A free slot, or the first one CLOCK's hand finds not used since it last passed. */
static size_t
slot(void)
{
	if (cache.used < cache.n) {
		while (cache.e[cache.hand].used)
			cache.hand = (cache.hand + 1) % cache.n;
		return cache.hand;
	}
	while (cache.e[cache.hand].ref) {
		cache.e[cache.hand].ref = false;
		cache.hand = (cache.hand + 1) % cache.n;
	}
	size_t i = cache.hand;
	evict(i);
	return i;
}

void
credcache_put(const unsigned char key[CREDCACHE_KEY_LEN], uint64_t epoch, time_t expires,
    const struct principal *p)
{
	static const unsigned char zero[CREDCACHE_KEY_LEN];

	if (cache.e == NULL || memcmp(key, zero, sizeof(zero)) == 0)
		return;
	long old = find(key);
	if (old >= 0)
		evict((size_t)old);
	size_t i = slot();
	struct entry *x = &cache.e[i];
	x->p = *p;
	if (!pack(x, p)) {
		entry_wipe(x);
		return;
	}
	memcpy(x->key, key, CREDCACHE_KEY_LEN);
	x->used = true;
	x->ref = false;
	x->epoch = epoch;
	x->filled_ms = epoch_clock_ms();
	x->expires = expires;
	size_t b = bucket_of(key);
	x->next = cache.buckets[b];
	cache.buckets[b] = (long)i;
	cache.used++;
	cache.hand = (i + 1) % cache.n;
}
