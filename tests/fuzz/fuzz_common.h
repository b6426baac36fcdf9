/* fuzz_common.h -- helpers shared by the libFuzzer targets: exact-size copies so ASan sees every overread. */
#ifndef OW_FUZZ_COMMON_H
#define OW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated malloc'd copy of d[0..n), exactly n + 1 bytes; aborts on OOM. */
static inline char *
fz_strndup(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);
	if (s == NULL)
		abort();
	if (n > 0)
		memcpy(s, d, n);
	s[n] = '\0';
	return s;
}

/*
 * Take the next piece of d[*off..size) up to (not including) sep, or to the
 * end; *off moves past the separator. Returns an exact-size NUL-terminated
 * copy, or NULL when nothing is left.
 */
static inline char *
fz_next(const uint8_t *d, size_t size, size_t *off, uint8_t sep, size_t *len)
{
	if (*off > size)
		return NULL;
	const uint8_t *start = d + *off;
	size_t rest = size - *off;
	const uint8_t *end = rest > 0 ? memchr(start, sep, rest) : NULL;
	size_t n = end != NULL ? (size_t)(end - start) : rest;
	*off += n + 1;      /* past the separator, or past the end: next call returns NULL */
	if (len != NULL)
		*len = n;
	return fz_strndup(start, n);
}

#endif
