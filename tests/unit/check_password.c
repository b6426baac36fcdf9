/* check_password.c -- unit tests for password.c: argon2id hashing, PHC parsing, UTF-8 counting. */
#include "unit.h"

#include <argon2.h>

#include "password.h"

/* Small parameters keep the suite fast; one test uses the defaults. */
static const struct password_params small = {1024, 1, 1};
static const struct password_params defaults = {19456, 2, 1};

static const char good_pw[] = "correct horse battery staple";

START_TEST(test_hash_then_verify)
{
	char h[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(&small, good_pw, strlen(good_pw), h), 0);
	ck_assert_msg(strncmp(h, "$argon2id$v=19$m=1024,t=1,p=1$", 30) == 0, "got %s", h);
	ck_assert_int_eq(password_verify(h, good_pw, strlen(good_pw)), PASSWORD_MATCH);
	ck_assert_int_eq(password_verify(h, "correct horse battery stapl", 27), PASSWORD_MISMATCH);
	ck_assert_int_eq(password_verify(h, "Correct horse battery staple", 28), PASSWORD_MISMATCH);
	ck_assert_int_eq(password_verify(h, "", 0), PASSWORD_MISMATCH);
	ck_assert_int_eq(password_verify(h, NULL, 0), PASSWORD_MISMATCH);
	ck_assert(!password_needs_rehash(&small, h));
}
END_TEST

START_TEST(test_salt_is_fresh)
{
	char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(&small, good_pw, strlen(good_pw), a), 0);
	ck_assert_int_eq(password_hash(&small, good_pw, strlen(good_pw), b), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(password_verify(b, good_pw, strlen(good_pw)), PASSWORD_MATCH);
}
END_TEST

/* Length, not NUL, ends a password: bytes after an embedded NUL count. */
START_TEST(test_embedded_nul)
{
	char h[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(&small, "abcdef\0ghijkl", 13, h), 0);
	ck_assert_int_eq(password_verify(h, "abcdef\0ghijkl", 13), PASSWORD_MATCH);
	ck_assert_int_eq(password_verify(h, "abcdef\0zzzzzz", 13), PASSWORD_MISMATCH);
	ck_assert_int_eq(password_verify(h, "abcdef", 6), PASSWORD_MISMATCH);
}
END_TEST

START_TEST(test_default_params)
{
	char h[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(&defaults, good_pw, strlen(good_pw), h), 0);
	ck_assert_msg(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "got %s", h);
	ck_assert_uint_eq(strlen(h), 31 + 22 + 1 + 43);
	ck_assert_int_eq(password_verify(h, good_pw, strlen(good_pw)), PASSWORD_MATCH);
	ck_assert_int_eq(password_verify(h, "wrong password!!", 16), PASSWORD_MISMATCH);
	ck_assert(!password_needs_rehash(&defaults, h));
	ck_assert(password_needs_rehash(&small, h));
}
END_TEST

/* The cap is PASSWORD_MAX_CHARS * 4 bytes: exactly at it hashes, one more is refused. */
START_TEST(test_length_cap)
{
	size_t cap = (size_t)PASSWORD_MAX_CHARS * 4;
	char *big = malloc(cap + 1);
	char h[PASSWORD_HASH_MAX];

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', cap + 1);
	ck_assert_int_eq(password_hash(&small, big, cap + 1, h), -1);
	ck_assert_str_eq(h, "");
	ck_assert_int_eq(password_hash(&small, big, cap, h), 0);
	ck_assert_int_eq(password_verify(h, big, cap), PASSWORD_MATCH);
	ck_assert_int_eq(password_verify(h, big, cap + 1), PASSWORD_ERROR);
	ck_assert_int_eq(password_verify(h, NULL, 5), PASSWORD_ERROR);
	free(big);
}
END_TEST

static const struct {
	const char *name;
	struct password_params p;
} bad_params[] = {
	{"zero memory", {0, 1, 1}},
	{"memory below 8 KiB per lane", {15, 1, 2}},
	{"memory over the bound", {PASSWORD_MEMORY_KIB_MAX + 1, 1, 1}},
	{"zero iterations", {1024, 0, 1}},
	{"iterations over the bound", {1024, PASSWORD_ITERATIONS_MAX + 1, 1}},
	{"zero parallelism", {1024, 1, 0}},
	{"parallelism over the bound", {1024, 1, PASSWORD_PARALLELISM_MAX + 1}},
};

START_TEST(test_hash_bad_params)
{
	char h[PASSWORD_HASH_MAX];

	ck_assert_msg(password_hash(&bad_params[_i].p, good_pw, strlen(good_pw), h) == -1,
	    "%s accepted", bad_params[_i].name);
	ck_assert_str_eq(h, "");
}
END_TEST

START_TEST(test_hash_null_args)
{
	char h[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(NULL, good_pw, strlen(good_pw), h), -1);
	ck_assert_int_eq(password_hash(&small, NULL, 3, h), -1);
	ck_assert_int_eq(password_hash(&small, good_pw, strlen(good_pw), NULL), -1);
}
END_TEST

/* A valid hash of good_pw made with small parameters: the base for the malformed cases. */
static char valid[PASSWORD_HASH_MAX];

static void
make_valid(void)
{
	ck_assert_int_eq(password_hash(&small, good_pw, strlen(good_pw), valid), 0);
}

/* Salt "c29tZXNhbHRzb21lc2FsdA" is 16 bytes, the hash part 32 bytes. */
#define SALT "c29tZXNhbHRzb21lc2FsdA"
#define HASH "9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ"

static const char *const malformed[] = {
	"",
	"$",
	"$argon2id",
	"$argon2id$",
	"$argon2id$v=19",
	"$argon2id$v=19$m=1024,t=1,p=1",
	"$argon2id$v=19$m=1024,t=1,p=1$",
	"$argon2id$v=19$m=1024,t=1,p=1$" SALT,
	"$argon2id$v=19$m=1024,t=1,p=1$" SALT "$",
	"$argon2id$v=19$m=1024,t=1,p=1$" SALT "$" HASH "$",
	"$argon2id$v=19$m=1024,t=1,p=1$" SALT "$" HASH "=",
	"$argon2id$v=19$m=1024,t=1,p=1$" SALT "$" HASH " ",
	"$argon2id$v=19$m=1024,t=1,p=1$" SALT "$9sTb!lTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ",
	"$argon2id$v=19$m=1024,t=1,p=1$c29tZ$" HASH,                    /* 5 base64 chars */
	"$argon2id$v=19$m=1024,t=1,p=1$c29tZQ$" HASH,                   /* 4-byte salt */
	"$argon2i$v=19$m=1024,t=1,p=1$" SALT "$" HASH,
	"$argon2d$v=19$m=1024,t=1,p=1$" SALT "$" HASH,
	"$ARGON2ID$v=19$m=1024,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=18$m=1024,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=019$m=1024,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=$m=1024,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=abc,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=-1024,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=+1024,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=01024,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=0,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=7,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=15,t=1,p=2$" SALT "$" HASH,
	"$argon2id$v=19$m=4194305,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=4294967295,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=4294967296,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=99999999999999999999999,t=1,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=1024,t=0,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=1024,t=101,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=1024,t=4294967295,p=1$" SALT "$" HASH,
	"$argon2id$v=19$m=1024,t=1,p=0$" SALT "$" HASH,
	"$argon2id$v=19$m=1024,t=1,p=65$" SALT "$" HASH,
	"$argon2id$v=19$m=1024,p=1,t=1$" SALT "$" HASH,
	"$argon2id$v=19$m=1024,t=1$" SALT "$" HASH,
	"$argon2id$v=19$m=1024,t=1,p=1,k=1$" SALT "$" HASH,
	"$argon2id$v=19$m=1024;t=1;p=1$" SALT "$" HASH,
	"$argon2id$v=19$ m=1024,t=1,p=1$" SALT "$" HASH,
	"$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
	"{SSHA}not-a-hash",
	"plain text password",
};

START_TEST(test_malformed_is_error)
{
	const char *enc = malformed[_i];

	ck_assert_msg(password_verify(enc, good_pw, strlen(good_pw)) == PASSWORD_ERROR,
	    "not an error: \"%s\"", enc);
	ck_assert_msg(password_needs_rehash(&small, enc), "no rehash: \"%s\"", enc);
}
END_TEST

/* Every proper prefix of a real hash is malformed. */
START_TEST(test_truncated_is_error)
{
	char cut[PASSWORD_HASH_MAX];
	size_t n = strlen(valid), i;

	for (i = 0; i < n; i++) {
		memcpy(cut, valid, i);
		cut[i] = '\0';
		ck_assert_msg(password_verify(cut, good_pw, strlen(good_pw)) == PASSWORD_ERROR,
		    "prefix of %zu bytes accepted", i);
	}
	ck_assert_int_eq(password_verify(valid, good_pw, strlen(good_pw)), PASSWORD_MATCH);
}
END_TEST

START_TEST(test_null_and_overlong_encoded)
{
	char big[PASSWORD_HASH_MAX + 16];
	size_t n = strlen(valid);

	ck_assert_int_eq(password_verify(NULL, good_pw, strlen(good_pw)), PASSWORD_ERROR);
	ck_assert(password_needs_rehash(&small, NULL));
	ck_assert(password_needs_rehash(NULL, valid));
	/* A well-formed string, but with a hash segment longer than any we store. */
	memcpy(big, valid, n);
	memset(big + n, 'A', sizeof big - n - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(password_verify(big, good_pw, strlen(good_pw)), PASSWORD_ERROR);
}
END_TEST

/* A real argon2i hash of the right password is still refused: wrong algorithm. */
START_TEST(test_argon2i_refused)
{
	char enc[PASSWORD_HASH_MAX];
	const char salt[] = "0123456789abcdef";

	ck_assert_int_eq(argon2i_hash_encoded(1, 1024, 1, good_pw, strlen(good_pw), salt,
	    16, 32, enc, sizeof enc), ARGON2_OK);
	ck_assert_int_eq(password_verify(enc, good_pw, strlen(good_pw)), PASSWORD_ERROR);
	ck_assert(password_needs_rehash(&small, enc));
}
END_TEST

/* Argon2 1.0 hashes (v=16, or no v= field at all, which means 1.0) verify
 * and ask to be redone with 1.3. */
START_TEST(test_version_10)
{
	char enc[PASSWORD_HASH_MAX], bare[PASSWORD_HASH_MAX];
	const char salt[] = "0123456789abcdef";

	ck_assert_int_eq(argon2_hash(1, 1024, 1, good_pw, strlen(good_pw), salt, 16,
	    NULL, 32, enc, sizeof enc, Argon2_id, ARGON2_VERSION_10), ARGON2_OK);
	ck_assert_msg(strncmp(enc, "$argon2id$v=16$m=1024", 21) == 0, "got %s", enc);
	ck_assert_int_eq(password_verify(enc, good_pw, strlen(good_pw)), PASSWORD_MATCH);
	ck_assert(password_needs_rehash(&small, enc));
	snprintf(bare, sizeof bare, "$argon2id$%s", enc + strlen("$argon2id$v=16$"));
	ck_assert_int_eq(password_verify(bare, good_pw, strlen(good_pw)), PASSWORD_MATCH);
	ck_assert_int_eq(password_verify(bare, "wrong password!!", 16), PASSWORD_MISMATCH);
	ck_assert(password_needs_rehash(&small, bare));
}
END_TEST

static const struct {
	const char *name;
	struct password_params p;
	bool rehash;
} rehash_cases[] = {
	{"same", {1024, 1, 1}, false},
	{"more memory", {2048, 1, 1}, true},
	{"less memory", {512, 1, 1}, true},
	{"more iterations", {1024, 2, 1}, true},
	{"more parallelism", {1024, 1, 2}, true},
	{"defaults", {19456, 2, 1}, true},
};

START_TEST(test_needs_rehash)
{
	ck_assert_msg(password_needs_rehash(&rehash_cases[_i].p, valid) == rehash_cases[_i].rehash,
	    "%s: %s", rehash_cases[_i].name, valid);
}
END_TEST

/* A salt size other than ours (16 bytes) verifies and asks for a re-hash; a
 * tag other than 32 bytes is refused, as a truncated one would be. */
START_TEST(test_rehash_on_sizes)
{
	char enc[PASSWORD_HASH_MAX];
	const char salt[] = "0123456789abcdef";

	ck_assert_int_eq(argon2id_hash_encoded(1, 1024, 1, good_pw, strlen(good_pw), salt, 8,
	    32, enc, sizeof enc), ARGON2_OK);
	ck_assert_int_eq(password_verify(enc, good_pw, strlen(good_pw)), PASSWORD_MATCH);
	ck_assert(password_needs_rehash(&small, enc));
	ck_assert_int_eq(argon2id_hash_encoded(1, 1024, 1, good_pw, strlen(good_pw), salt, 16,
	    16, enc, sizeof enc), ARGON2_OK);
	ck_assert_int_eq(password_verify(enc, good_pw, strlen(good_pw)), PASSWORD_ERROR);
	ck_assert(password_needs_rehash(&small, enc));
}
END_TEST

/* p=2: the parameters are read back exactly. */
START_TEST(test_rehash_parallel)
{
	const struct password_params two = {2048, 3, 2};
	char h[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(&two, good_pw, strlen(good_pw), h), 0);
	ck_assert_msg(strstr(h, "$m=2048,t=3,p=2$") != NULL, "got %s", h);
	ck_assert(!password_needs_rehash(&two, h));
	ck_assert(password_needs_rehash(&small, h));
	ck_assert_int_eq(password_verify(h, good_pw, strlen(good_pw)), PASSWORD_MATCH);
}
END_TEST

START_TEST(test_dummy_verify)
{
	const struct password_params other = {2048, 1, 1};
	size_t cap = (size_t)PASSWORD_MAX_CHARS * 4;
	char *big = malloc(cap + 1);

	ck_assert_ptr_nonnull(big);
	memset(big, 'y', cap + 1);
	/* First call makes the dummy, later ones verify against it; a change of
	 * parameters makes a new one. None may crash. */
	password_dummy_verify(&small, good_pw, strlen(good_pw));
	password_dummy_verify(&small, good_pw, strlen(good_pw));
	password_dummy_verify(&small, "", 0);
	password_dummy_verify(&other, good_pw, strlen(good_pw));
	password_dummy_verify(&other, big, cap);
	password_dummy_verify(&other, big, cap + 1);
	password_dummy_verify(&other, NULL, 4);
	password_dummy_verify(NULL, good_pw, strlen(good_pw));
	free(big);
}
END_TEST

static const struct {
	const char *name;
	const char *s;
	size_t len;
	long want;
} utf8_cases[] = {
	{"empty", "", 0, 0},
	{"ascii", "hello world!", 12, 12},
	{"embedded NUL", "ab\0cd", 5, 5},
	{"2-byte e-acute", "h\xc3\xa9llo", 6, 5},
	{"3-byte CJK", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9, 3},
	{"4-byte emoji", "\xf0\x9f\x98\x80", 4, 1},
	{"mixed", "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 11, 5},
	{"U+0080 lowest 2-byte", "\xc2\x80", 2, 1},
	{"U+0800 lowest 3-byte", "\xe0\xa0\x80", 3, 1},
	{"U+D7FF below surrogates", "\xed\x9f\xbf", 3, 1},
	{"U+E000 above surrogates", "\xee\x80\x80", 3, 1},
	{"U+FFFF", "\xef\xbf\xbf", 3, 1},
	{"U+10000 lowest 4-byte", "\xf0\x90\x80\x80", 4, 1},
	{"U+10FFFF highest", "\xf4\x8f\xbf\xbf", 4, 1},
	{"lone continuation", "\x80", 1, -1},
	{"continuation after ascii", "ab\xbf", 3, -1},
	{"truncated 2-byte", "\xc3", 1, -1},
	{"truncated 3-byte", "\xe2\x82", 2, -1},
	{"truncated 4-byte", "\xf0\x9f\x98", 3, -1},
	{"2-byte then ascii", "\xc3" "a", 2, -1},
	{"overlong slash C0 AF", "\xc0\xaf", 2, -1},
	{"overlong C1 BF", "\xc1\xbf", 2, -1},
	{"overlong NUL C0 80", "\xc0\x80", 2, -1},
	{"overlong 3-byte E0 80 AF", "\xe0\x80\xaf", 3, -1},
	{"overlong 3-byte E0 9F BF", "\xe0\x9f\xbf", 3, -1},
	{"overlong 4-byte F0 80 80 AF", "\xf0\x80\x80\xaf", 4, -1},
	{"overlong 4-byte F0 8F BF BF", "\xf0\x8f\xbf\xbf", 4, -1},
	{"surrogate D800", "\xed\xa0\x80", 3, -1},
	{"surrogate DFFF", "\xed\xbf\xbf", 3, -1},
	{"above U+10FFFF", "\xf4\x90\x80\x80", 4, -1},
	{"F5 lead", "\xf5\x80\x80\x80", 4, -1},
	{"5-byte form", "\xf8\x88\x80\x80\x80", 5, -1},
	{"FE", "\xfe", 1, -1},
	{"FF", "\xff", 1, -1},
	{"bad 3rd byte", "\xe2\x82\x41", 3, -1},
	{"bad 4th byte", "\xf0\x9f\x98\x41", 4, -1},
	{"valid then invalid", "abc\xc3\xa9\xff", 6, -1},
	{"latin-1 e-acute", "caf\xe9", 4, -1},
};

START_TEST(test_char_count)
{
	long got = password_char_count(utf8_cases[_i].s, utf8_cases[_i].len);

	ck_assert_msg(got == utf8_cases[_i].want, "%s: got %ld, want %ld",
	    utf8_cases[_i].name, got, utf8_cases[_i].want);
}
END_TEST

START_TEST(test_char_count_edges)
{
	char buf[PASSWORD_MAX_CHARS * 4];
	size_t i;

	ck_assert_int_eq(password_char_count(NULL, 0), 0);
	ck_assert_int_eq(password_char_count(NULL, 1), -1);
	/* The length is what counts, not a NUL: a shorter len cuts a sequence. */
	ck_assert_int_eq(password_char_count("\xc3\xa9", 1), -1);
	/* 1024 four-byte characters: the most the cap allows. */
	for (i = 0; i < sizeof buf; i += 4)
		memcpy(buf + i, "\xf0\x9f\x98\x80", 4);
	ck_assert_int_eq(password_char_count(buf, sizeof buf), PASSWORD_MAX_CHARS);
}
END_TEST

/*
 * The pepper (doc/SECURITY.md section 23): a keyed hash has the form of any
 * other, verifies only with its key, and a keyless hash made by argon2_hash
 * verifies through the keyed path given no key.
 */
START_TEST(test_keyed)
{
	static const unsigned char k1[] = "first pepper key of thirty-two bytes!";
	static const unsigned char k2[] = "other pepper key of thirty-two bytes!";
	const struct password_key a = {k1, sizeof k1 - 1}, b = {k2, sizeof k2 - 1};
	char h[PASSWORD_HASH_MAX], plain[PASSWORD_HASH_MAX];
	size_t n = strlen(good_pw);

	ck_assert_int_eq(password_hash_keyed(&small, &a, good_pw, n, h), 0);
	ck_assert_msg(strncmp(h, "$argon2id$v=19$m=1024,t=1,p=1$", 30) == 0, "%s", h);
	ck_assert(!password_needs_rehash(&small, h));
	ck_assert_int_eq(password_verify_keyed(h, &a, good_pw, n), PASSWORD_MATCH);
	ck_assert_int_eq(password_verify_keyed(h, &a, "correct horse battery stapl", n - 1), PASSWORD_MISMATCH);
	ck_assert_int_eq(password_verify_keyed(h, &b, good_pw, n), PASSWORD_MISMATCH);
	ck_assert_int_eq(password_verify(h, good_pw, n), PASSWORD_MISMATCH);
	ck_assert_int_eq(password_hash(&small, good_pw, n, plain), 0);
	ck_assert_int_eq(password_verify_keyed(plain, NULL, good_pw, n), PASSWORD_MATCH);
	ck_assert_int_eq(password_verify_keyed(plain, &a, good_pw, n), PASSWORD_MISMATCH);
	/* A keyed verification parses as strictly as any other. */
	h[strlen(h) - 2] = '\0';
	ck_assert_int_eq(password_verify_keyed(h, &a, good_pw, n), PASSWORD_ERROR);
}
END_TEST

static Suite *
password_suite(void)
{
	Suite *s = suite_create("password");
	TCase *tc;

	tc = unit_tcase(s, "hash", 30);
	tcase_add_test(tc, test_hash_then_verify);
	tcase_add_test(tc, test_salt_is_fresh);
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_default_params);
	tcase_add_test(tc, test_length_cap);
	tcase_add_loop_test(tc, test_hash_bad_params, 0, sizeof bad_params / sizeof bad_params[0]);
	tcase_add_test(tc, test_hash_null_args);
	tcase_add_test(tc, test_dummy_verify);
	tcase_add_test(tc, test_keyed);

	tc = unit_tcase(s, "parse", 30);
	tcase_add_unchecked_fixture(tc, make_valid, NULL);
	tcase_add_loop_test(tc, test_malformed_is_error, 0, sizeof malformed / sizeof malformed[0]);
	tcase_add_test(tc, test_truncated_is_error);
	tcase_add_test(tc, test_null_and_overlong_encoded);
	tcase_add_test(tc, test_argon2i_refused);
	tcase_add_test(tc, test_version_10);
	tcase_add_loop_test(tc, test_needs_rehash, 0, sizeof rehash_cases / sizeof rehash_cases[0]);
	tcase_add_test(tc, test_rehash_on_sizes);
	tcase_add_test(tc, test_rehash_parallel);

	tc = unit_tcase(s, "utf8", 5);
	tcase_add_loop_test(tc, test_char_count, 0, sizeof utf8_cases / sizeof utf8_cases[0]);
	tcase_add_test(tc, test_char_count_edges);
	return s;
}

int
main(void)
{
	return unit_run(password_suite(), false);
}
