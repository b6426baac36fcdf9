/* arena.h -- per-request bump allocator with a hard cap. */
#ifndef OW_ARENA_H
#define OW_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;   /* newest block first */
	size_t used;                /* bytes handed out, all blocks */
	size_t cap;                 /* hard limit for one request */
};

/* Prepare an empty arena that refuses to grow past cap bytes. */
void arena_init(struct arena *a, size_t cap);
/* Allocate n zeroed bytes aligned for any type; NULL when the cap is hit. */
void *arena_alloc(struct arena *a, size_t n);
/* Copy n bytes plus a NUL terminator; NULL on cap. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* printf into the arena; NULL on cap or format error. */
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Forget every allocation but keep the first block for the next request. */
void arena_reset(struct arena *a);
/* Release all memory. */
void arena_free(struct arena *a);

#endif
