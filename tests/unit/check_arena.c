/* check_arena.c -- unit tests for arena.c: cap enforcement, accounting, alignment, reset. */
#include "unit.h"
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define ALIGN (alignof(max_align_t))
#define ROUND(n) ((n) == 0 ? ALIGN : (((n) + ALIGN - 1) / ALIGN) * ALIGN)

static int
all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

START_TEST(test_init)
{
	struct arena a;

	memset(&a, 0xa5, sizeof a);
	arena_init(&a, 4096);
	ck_assert_ptr_null(a.head);
	ck_assert_uint_eq(a.used, 0);
	ck_assert_uint_eq(a.cap, 4096);
	/* Reset and free of an arena that never allocated are harmless. */
	arena_reset(&a);
	ck_assert_uint_eq(a.used, 0);
	arena_free(&a);
	arena_free(&a);
	ck_assert_ptr_null(a.head);
}
END_TEST

/* One allocation of each size: aligned, zeroed, writable, accounted rounded up. */
static const size_t sizes[] = {
	0, 1, 7, 8, 15, 16, 17, 31, 33, 100, 255, 4096, 16383, 16384, 16385, 65536, 1000000,
};

START_TEST(test_alloc_sizes)
{
	struct arena a;
	size_t n = sizes[_i];
	unsigned char *p;

	arena_init(&a, 4 * 1024 * 1024);
	/* A first small allocation so the one under test is not at a block start. */
	ck_assert_ptr_nonnull(arena_alloc(&a, 3));
	ck_assert_uint_eq(a.used, ALIGN);
	p = arena_alloc(&a, n);
	ck_assert_msg(p != NULL, "alloc of %zu failed", n);
	ck_assert_msg((uintptr_t)p % ALIGN == 0, "alloc of %zu misaligned: %p", n, (void *)p);
	ck_assert_msg(all_zero(p, n), "alloc of %zu not zeroed", n);
	ck_assert_msg(a.used == ALIGN + ROUND(n), "alloc of %zu: used %zu, want %zu", n, a.used,
	    (size_t)(ALIGN + ROUND(n)));
	memset(p, 0xee, n);
	/* A following allocation is aligned and does not overlap. */
	unsigned char *q = arena_alloc(&a, 1);
	ck_assert_ptr_nonnull(q);
	ck_assert((uintptr_t)q % ALIGN == 0);
	ck_assert(q >= p + n || q + 1 <= p);
	arena_free(&a);
}
END_TEST

/* Alignment holds for every offset a sequence of odd sizes leaves behind. */
START_TEST(test_alignment_sequence)
{
	struct arena a;

	arena_init(&a, 1024 * 1024);
	for (size_t n = 1; n < 200; n++) {
		void *p = arena_alloc(&a, n);
		ck_assert_ptr_nonnull(p);
		ck_assert_msg((uintptr_t)p % ALIGN == 0, "size %zu misaligned", n);
		/* Strictest fundamental types can be stored there. */
		*(long double *)p = 1.0L;
		if (n >= sizeof(long long))
			*(long long *)p = -1;
	}
	arena_free(&a);
}
END_TEST

/* Cap sequences: each step is a size and whether it must succeed. */
struct cap_step {
	size_t n;
	int ok;
};

static const struct {
	const char *name;
	size_t cap;
	struct cap_step steps[8];
	size_t nsteps;
} cap_cases[] = {
	{"zero cap refuses everything", 0, {{1, 0}, {0, 0}}, 2},
	{"cap below one unit", 8, {{1, ALIGN <= 8}, {8, 0}}, 2},
	{"exactly the cap", 1024, {{1024, 1}, {1, 0}, {0, 0}}, 3},
	{"one over the cap", 1024, {{1025, 0}, {1024, 1}}, 2},
	{"fill by pieces", 1024, {{512, 1}, {256, 1}, {256, 1}, {1, 0}}, 4},
	{"rounding counts", 64, {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 0}}, 5},
	{"failure leaves room for smaller", 1024, {{1000, 1}, {100, 0}, {16, 1}, {1, 0}}, 4},
	{"large refused then small ok", 16384, {{16385, 0}, {16384, 1}, {1, 0}}, 3},
};

START_TEST(test_cap)
{
	struct arena a;
	size_t used = 0;

	arena_init(&a, cap_cases[_i].cap);
	for (size_t s = 0; s < cap_cases[_i].nsteps; s++) {
		const struct cap_step *st = &cap_cases[_i].steps[s];
		void *p = arena_alloc(&a, st->n);
		size_t need = ROUND(st->n);

		/* "rounding counts" depends on ALIGN: recompute its expectation. */
		int ok = st->ok;
		if (strcmp(cap_cases[_i].name, "rounding counts") == 0)
			ok = used + need <= cap_cases[_i].cap;
		ck_assert_msg((p != NULL) == ok, "%s: step %zu (%zu bytes): got %s", cap_cases[_i].name,
		    s, st->n, p != NULL ? "memory" : "NULL");
		if (p != NULL)
			used += need;
		ck_assert_msg(a.used == used, "%s: step %zu: used %zu, want %zu", cap_cases[_i].name, s,
		    a.used, used);
		ck_assert_msg(a.used <= a.cap, "%s: used %zu over cap %zu", cap_cases[_i].name, a.used,
		    a.cap);
	}
	arena_free(&a);
}
END_TEST

/*
 * Sizes whose rounding or +1 overflows must be refused, not wrapped, even
 * with no cap to speak of; with a real cap, huge sizes never reach malloc.
 */
static const struct {
	size_t cap, n;
} huge_sizes[] = {
	{SIZE_MAX, SIZE_MAX},
	{SIZE_MAX, SIZE_MAX - 1},
	{SIZE_MAX, SIZE_MAX - 14},
	{SIZE_MAX, SIZE_MAX - 15},
	{1 << 20, SIZE_MAX / 2 + 1},
	{1 << 20, SIZE_MAX / 2},
	{1 << 20, (1 << 20) + 1},
};

START_TEST(test_huge)
{
	struct arena a;

	arena_init(&a, huge_sizes[_i].cap);
	ck_assert_ptr_nonnull(arena_alloc(&a, 10));
	ck_assert_msg(arena_alloc(&a, huge_sizes[_i].n) == NULL, "%zu bytes granted", huge_sizes[_i].n);
	ck_assert_uint_eq(a.used, ROUND(10));
	ck_assert_ptr_null(arena_strndup(&a, "x", SIZE_MAX));
	ck_assert_ptr_nonnull(arena_alloc(&a, 10));
	arena_free(&a);
}
END_TEST

/* A single allocation far over the block size works and can be used whole. */
START_TEST(test_large_single)
{
	struct arena a;
	const size_t big = 3 * 1024 * 1024 + 5;
	unsigned char *p;

	arena_init(&a, 4 * 1024 * 1024);
	p = arena_alloc(&a, big);
	ck_assert_ptr_nonnull(p);
	ck_assert((uintptr_t)p % ALIGN == 0);
	ck_assert(all_zero(p, big));
	memset(p, 0x5a, big);
	ck_assert_uint_eq(a.used, ROUND(big));
	/* Small ones still work after it, and do not land inside it. */
	for (int i = 0; i < 100; i++) {
		unsigned char *q = arena_alloc(&a, 100);
		ck_assert_ptr_nonnull(q);
		ck_assert(q >= p + big || q + 100 <= p);
		memset(q, i, 100);
	}
	ck_assert_uint_eq(p[0], 0x5a);
	ck_assert_uint_eq(p[big - 1], 0x5a);
	/* A second big one exceeds the cap. */
	ck_assert_ptr_null(arena_alloc(&a, big));
	arena_free(&a);
}
END_TEST

/* Many allocations across blocks keep their contents: nothing overlaps. */
START_TEST(test_no_overlap)
{
	struct arena a;
	enum { N = 2000 };
	unsigned char *ptrs[N];
	size_t lens[N];

	arena_init(&a, 16 * 1024 * 1024);
	for (size_t i = 0; i < N; i++) {
		lens[i] = (i * 37) % 3000 + 1;
		ptrs[i] = arena_alloc(&a, lens[i]);
		ck_assert_ptr_nonnull(ptrs[i]);
		memset(ptrs[i], (int)(i & 0xff), lens[i]);
	}
	/* One assertion per allocation, not per byte: ck_assert is slow on a loaded machine. */
	for (size_t i = 0; i < N; i++) {
		size_t bad = lens[i];
		for (size_t k = 0; k < lens[i] && bad == lens[i]; k++)
			if (ptrs[i][k] != (unsigned char)(i & 0xff))
				bad = k;
		ck_assert_msg(bad == lens[i], "allocation %zu byte %zu overwritten", i, bad);
	}
	arena_free(&a);
}
END_TEST

START_TEST(test_reset)
{
	struct arena a;
	unsigned char *first, *p;

	arena_init(&a, 1024 * 1024);
	first = arena_alloc(&a, 64);
	ck_assert_ptr_nonnull(first);
	memset(first, 0xaa, 64);
	/* Spill into further blocks. */
	for (int i = 0; i < 10; i++)
		ck_assert_ptr_nonnull(arena_alloc(&a, 20000));
	ck_assert_uint_eq(a.used, 64 + 10 * ROUND(20000));
	arena_reset(&a);
	ck_assert_uint_eq(a.used, 0);
	ck_assert_uint_eq(a.cap, 1024 * 1024);
	/* The first block is kept: the next allocation reuses it, zeroed again. */
	p = arena_alloc(&a, 64);
	ck_assert_ptr_eq(p, first);
	ck_assert(all_zero(p, 64));
	/* The whole cap is available again. */
	arena_reset(&a);
	p = arena_alloc(&a, 1024 * 1024);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(a.used, 1024 * 1024);
	ck_assert_ptr_null(arena_alloc(&a, 1));
	arena_reset(&a);
	ck_assert_ptr_nonnull(arena_alloc(&a, 1));
	arena_free(&a);
	ck_assert_ptr_null(a.head);
	ck_assert_uint_eq(a.used, 0);
}
END_TEST

/* Like a worker: many requests, each reaching the cap, each followed by a reset. */
START_TEST(test_reset_cycles)
{
	struct arena a;
	const size_t cap = 100 * 1024;

	arena_init(&a, cap);
	for (int r = 0; r < 500; r++) {
		size_t used = 0;
		for (;;) {
			size_t n = (size_t)(r % 7 + 1) * 1000;
			char *p = arena_alloc(&a, n);
			if (p == NULL)
				break;
			p[0] = 'x';
			p[n - 1] = 'y';
			used += ROUND(n);
		}
		ck_assert_uint_eq(a.used, used);
		ck_assert(used <= cap && used + ROUND((size_t)(r % 7 + 1) * 1000) > cap);
		arena_reset(&a);
		ck_assert_uint_eq(a.used, 0);
	}
	arena_free(&a);
}
END_TEST

static const struct {
	const char *s;
	size_t n;
	const char *want;
} strndup_cases[] = {
	{"", 0, ""},
	{"hello", 5, "hello"},
	{"hello", 3, "hel"},
	{"hello", 0, ""},
	{"a\0b", 3, "a"},       /* copies n bytes; the string ends at the NUL */
};

START_TEST(test_strndup)
{
	struct arena a;
	char *p;

	arena_init(&a, 4096);
	p = arena_strndup(&a, strndup_cases[_i].s, strndup_cases[_i].n);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, strndup_cases[_i].want);
	ck_assert_int_eq(memcmp(p, strndup_cases[_i].s, strndup_cases[_i].n), 0);
	ck_assert_int_eq(p[strndup_cases[_i].n], '\0');
	ck_assert_uint_eq(a.used, ROUND(strndup_cases[_i].n + 1));
	arena_free(&a);
}
END_TEST

START_TEST(test_strdup_printf)
{
	struct arena a;
	char *p, big[5000];

	arena_init(&a, 4096);
	p = arena_strdup(&a, "overwatch");
	ck_assert_str_eq(p, "overwatch");
	p = arena_printf(&a, "%s=%d;%05.1f|%c", "k", -42, 3.14159, 'z');
	ck_assert_str_eq(p, "k=-42;003.1|z");
	p = arena_printf(&a, "%s", "");
	ck_assert_str_eq(p, "");
	/* Output over the cap: NULL, and nothing is charged. */
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	size_t used = a.used;
	ck_assert_ptr_null(arena_printf(&a, "%s", big));
	ck_assert_ptr_null(arena_strdup(&a, big));
	ck_assert_uint_eq(a.used, used);
	/* Exactly filling the cap with a printf works. */
	size_t left = a.cap - a.used;
	big[left - 1] = '\0';
	p = arena_printf(&a, "%s", big);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(strlen(p), left - 1);
	ck_assert_uint_eq(a.used, a.cap);
	ck_assert_ptr_null(arena_strdup(&a, ""));
	arena_free(&a);
}
END_TEST

static Suite *
arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc;

	tc = unit_tcase(s, "alloc", 10);
	tcase_add_test(tc, test_init);
	tcase_add_loop_test(tc, test_alloc_sizes, 0, sizeof sizes / sizeof sizes[0]);
	tcase_add_test(tc, test_alignment_sequence);
	tcase_add_test(tc, test_large_single);
	tcase_add_test(tc, test_no_overlap);

	tc = unit_tcase(s, "cap", 10);
	tcase_add_loop_test(tc, test_cap, 0, sizeof cap_cases / sizeof cap_cases[0]);
	tcase_add_loop_test(tc, test_huge, 0, sizeof huge_sizes / sizeof huge_sizes[0]);

	tc = unit_tcase(s, "reset", 10);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_reset_cycles);

	tc = unit_tcase(s, "strings", 10);
	tcase_add_loop_test(tc, test_strndup, 0, sizeof strndup_cases / sizeof strndup_cases[0]);
	tcase_add_test(tc, test_strdup_printf);
	return s;
}

int
main(void)
{
	return unit_run(arena_suite(), false);
}
