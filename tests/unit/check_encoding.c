/* check_encoding.c -- unit tests for encoding.c: base64, base64url, hex and percent-encoding, table-driven. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "encoding.h"

/* ---- base64 and base64url (RFC 4648 section 10 vectors, and bytes that differ between the alphabets) ---- */

static const struct {
	const char *in;
	size_t n;
	const char *std, *url;
} b64[] = {
	{"", 0, "", ""},
	{"f", 1, "Zg==", "Zg"},
	{"fo", 2, "Zm8=", "Zm8"},
	{"foo", 3, "Zm9v", "Zm9v"},
	{"foob", 4, "Zm9vYg==", "Zm9vYg"},
	{"fooba", 5, "Zm9vYmE=", "Zm9vYmE"},
	{"foobar", 6, "Zm9vYmFy", "Zm9vYmFy"},
	{"\xfb\xff\xbf", 3, "+/+/", "-_-_"},
	{"\x00\x00", 2, "AAA=", "AAA"},
	{"id:se cr+t", 10, "aWQ6c2UgY3IrdA==", "aWQ6c2UgY3IrdA"},
};

START_TEST(test_base64)
{
	char out[64];
	size_t n = encoding_base64((const unsigned char *)b64[_i].in, b64[_i].n, out, false);
	ck_assert_str_eq(out, b64[_i].std);
	ck_assert_uint_eq(n, strlen(b64[_i].std));
	ck_assert_uint_le(n + 1, ENCODING_BASE64_SIZE(b64[_i].n));
	n = encoding_base64((const unsigned char *)b64[_i].in, b64[_i].n, out, true);
	ck_assert_str_eq(out, b64[_i].url);
	ck_assert_uint_eq(n, strlen(b64[_i].url));
}
END_TEST

START_TEST(test_b64url_roundtrip)
{
	unsigned char back[64];
	long n = encoding_b64url_decode(b64[_i].url, strlen(b64[_i].url), back, sizeof(back));
	ck_assert_int_eq(n, (long)b64[_i].n);
	ck_assert(memcmp(back, b64[_i].in, b64[_i].n) == 0);
}
END_TEST

static const struct {
	const char *in;
	size_t cap;
	long want;      /* decoded length, or -1 */
} b64_bad[] = {
	{"Zg==", 16, -1},       /* padding is not base64url */
	{"Zm9vY", 16, -1},      /* 4k + 1 characters */
	{"Zm+v", 16, -1},       /* the standard alphabet's '+' */
	{"Zm/v", 16, -1},
	{"Zm 9v", 16, -1},
	{"Zm9vYmFy", 5, -1},    /* six bytes do not fit in five */
	{"Zm9vYmFy", 6, 6},
	{"", 0, 0},
};

START_TEST(test_b64url_decode_limits)
{
	unsigned char out[16];
	ck_assert_int_eq(encoding_b64url_decode(b64_bad[_i].in, strlen(b64_bad[_i].in), out, b64_bad[_i].cap),
	    b64_bad[_i].want);
}
END_TEST

START_TEST(test_b64url_char)
{
	const char *yes = "ABCXYZabcxyz0189-_", *no = "+/=. \t%\x80";
	for (const char *p = yes; *p != '\0'; p++)
		ck_assert(encoding_b64url_char(*p));
	for (const char *p = no; *p != '\0'; p++)
		ck_assert(!encoding_b64url_char(*p));
	ck_assert(!encoding_b64url_char('\0'));
}
END_TEST

/* ---- hex ---- */

START_TEST(test_hex)
{
	static const unsigned char in[] = {0x00, 0x0f, 0xa5, 0xff, 0x10};
	char out[2 * sizeof(in) + 1];
	encoding_hex(in, sizeof(in), out);
	ck_assert_str_eq(out, "000fa5ff10");
	encoding_hex(in, 0, out);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(encoding_hex_value('0'), 0);
	ck_assert_int_eq(encoding_hex_value('9'), 9);
	ck_assert_int_eq(encoding_hex_value('a'), 10);
	ck_assert_int_eq(encoding_hex_value('F'), 15);
	ck_assert_int_eq(encoding_hex_value('g'), -1);
	ck_assert_int_eq(encoding_hex_value('G'), -1);
	ck_assert_int_eq(encoding_hex_value('%'), -1);
}
END_TEST

/* ---- percent ---- */

static const struct {
	const char *in, *keep, *want;
} pct_enc[] = {
	{"", "", ""},
	{"AZaz09-._~", "", "AZaz09-._~"},
	{"a b+c&d=e/f?g#h", "", "a%20b%2Bc%26d%3De%2Ff%3Fg%23h"},
	{"/a b/c", "/", "/a%20b/c"},
	{"\xc3\xa9\x7f\x01", "", "%C3%A9%7F%01"},
	{"https://rp.example/cb?x=1", "", "https%3A%2F%2Frp.example%2Fcb%3Fx%3D1"},
};

START_TEST(test_percent_encode)
{
	struct arena a;
	arena_init(&a, 4096);
	const char *out = encoding_percent_encode(&a, pct_enc[_i].in, pct_enc[_i].keep);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, pct_enc[_i].want);
	arena_free(&a);
}
END_TEST

static const struct {
	const char *in;
	bool plus_space;
	const char *want;       /* NULL: refused */
	size_t len;
} pct_dec[] = {
	{"", false, "", 0},
	{"a%20b", false, "a b", 3},
	{"a+b", false, "a+b", 3},
	{"a+b", true, "a b", 3},
	{"%2f%2F", false, "//", 2},
	{"%C3%A9", false, "\xc3\xa9", 2},
	{"%ff", false, "\xff", 1},      /* bytes, not UTF-8: the caller checks that */
	{"%00", false, NULL, 0},
	{"%", false, NULL, 0},
	{"a%2", false, NULL, 0},
	{"%g0", false, NULL, 0},
	{"%0g", false, NULL, 0},
};

START_TEST(test_percent_decode)
{
	struct arena a;
	size_t len = 99;
	arena_init(&a, 4096);
	const char *out = encoding_percent_decode(&a, pct_dec[_i].in, strlen(pct_dec[_i].in),
	    pct_dec[_i].plus_space, &len);
	if (pct_dec[_i].want == NULL) {
		ck_assert_ptr_null(out);
	} else {
		ck_assert_ptr_nonnull(out);
		ck_assert_str_eq(out, pct_dec[_i].want);
		ck_assert_uint_eq(len, pct_dec[_i].len);
	}
	arena_free(&a);
}
END_TEST

START_TEST(test_percent_byte)
{
	char out[4] = "xxx";
	encoding_percent_byte(0x0a, out);
	ck_assert_str_eq(out, "%0A");
	encoding_percent_byte(0xff, out);
	ck_assert_str_eq(out, "%FF");
}
END_TEST

static Suite *
encoding_suite(void)
{
	Suite *s = suite_create("encoding");
	TCase *tc = tcase_create("base64");

	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_base64, 0, sizeof b64 / sizeof b64[0]);
	tcase_add_loop_test(tc, test_b64url_roundtrip, 0, sizeof b64 / sizeof b64[0]);
	tcase_add_loop_test(tc, test_b64url_decode_limits, 0, sizeof b64_bad / sizeof b64_bad[0]);
	tcase_add_test(tc, test_b64url_char);
	suite_add_tcase(s, tc);

	tc = tcase_create("hex");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_hex);
	suite_add_tcase(s, tc);

	tc = tcase_create("percent");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_percent_encode, 0, sizeof pct_enc / sizeof pct_enc[0]);
	tcase_add_loop_test(tc, test_percent_decode, 0, sizeof pct_dec / sizeof pct_dec[0]);
	tcase_add_test(tc, test_percent_byte);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(encoding_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
