/* pwlist.c -- the common passwords refused for a new password (doc/SECURITY.md), an open-addressing hash set. */
#include "pwlist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A longer password cannot be on the list: it is refused before hashing. */
#define PWLIST_ENTRY_MAX 255

/* Entry i of the set: an offset into pwlist_text and a length; len 0 is empty. */
struct slot { uint32_t off; uint8_t len; };

static struct slot *slots;
static size_t nslots, nentries;

static unsigned char
lower(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : ch;
}

/* FNV-1a over the lower-cased bytes: the list is fixed, so no attacker picks the keys it is probed with against. */
static uint64_t
hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= lower((unsigned char)s[i]);
		h *= 1099511628211ULL;
	}
	return h;
}

static bool
same(const struct slot *e, const char *s, size_t len)
{
	if (e->len != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (lower((unsigned char)pwlist_text[e->off + i]) != lower((unsigned char)s[i]))
			return false;
	return true;
}

/* The slot that holds s, or the empty slot where it would go. */
static struct slot *
probe(const char *s, size_t len)
{
	size_t i = (size_t)hash(s, len) & (nslots - 1);

	while (slots[i].len != 0 && !same(&slots[i], s, len))
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

static size_t
count_lines(void)
{
	size_t n = 0;

	for (const char *p = pwlist_text; *p != '\0'; p++)
		n += *p == '\n';
	return n;
}

int
pwlist_init(void)
{
	const char *p = pwlist_text;

	if (slots != NULL)
		return 0;
	/* A power of two at least twice the entries keeps probes short. */
	nslots = 1024;
	while (nslots < 2 * count_lines())
		nslots *= 2;
	if ((slots = calloc(nslots, sizeof(*slots))) == NULL)
		return -1;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && len <= PWLIST_ENTRY_MAX) {
			struct slot *e = probe(p, len);
			if (e->len == 0) {
				e->off = (uint32_t)(p - pwlist_text);
				e->len = (uint8_t)len;
				nentries++;
			}
		}
		p += len + (nl != NULL);
	}
	return 0;
}

bool
pwlist_contains(const char *s, size_t len)
{
	if (slots == NULL || s == NULL || len == 0 || len > PWLIST_ENTRY_MAX)
		return false;
	return probe(s, len)->len != 0;
}

size_t
pwlist_size(void)
{
	return nentries;
}
