/* check_regressions.c -- what the fuzzers (tests/fuzz) found or hold as invariants, as unit tests that need no clang. */
#include "unit.h"

#include "jsonin.h"
#include "password.h"
#include "util.h"

/*
 * Each bug a fuzz target finds gets its minimised input in
 * tests/fuzz/regressions/<target>/ and a test here. None so far: the 60 s to
 * 10 min campaigns of the first run found no crash, leak or UB. The tests
 * below pin the cross-checks the targets assert, on the inputs that probe
 * them hardest, so a change that breaks one fails `make check` too.
 */

/* fuzz_util: util_utf8_valid and password_char_count apply one rule (RFC 3629). */
static const struct {
	const char *label;
	const char *s;
	size_t n;
	long chars;             /* expected code points, -1 when invalid */
} utf8[] = {
	{"ascii", "abc", 3, 3},
	{"two three four", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, 3},
	{"max code point", "\xf4\x8f\xbf\xbf", 4, 1},
	{"above U+10FFFF", "\xf4\x90\x80\x80", 4, -1},
	{"overlong 2", "\xc0\xaf", 2, -1},
	{"overlong 2 C1", "\xc1\xbf", 2, -1},
	{"overlong 3", "\xe0\x80\xaf", 3, -1},
	{"overlong 4", "\xf0\x80\x80\xaf", 4, -1},
	{"surrogate low end", "\xed\x9f\xbf", 3, 1},
	{"surrogate", "\xed\xa0\x80", 3, -1},
	{"surrogate high", "\xed\xbf\xbf", 3, -1},
	{"truncated", "\xe2\x82", 2, -1},
	{"stray continuation", "a\x80", 2, -1},
	{"F5", "\xf5\x80\x80\x80", 4, -1},
	{"FF", "\xff", 1, -1},
	{"empty", "", 0, 0},
};

START_TEST(test_utf8_validators_agree)
{
	bool valid = util_utf8_valid(utf8[_i].s, utf8[_i].n);
	long count = password_char_count(utf8[_i].s, utf8[_i].n);

	ck_assert_msg(count == utf8[_i].chars, "%s: password_char_count %ld, want %ld",
	    utf8[_i].label, count, utf8[_i].chars);
	ck_assert_msg(valid == (utf8[_i].chars >= 0), "%s: util_utf8_valid %d", utf8[_i].label, valid);
	if (valid)
		ck_assert_uint_eq(util_utf8_len(utf8[_i].s, utf8[_i].n), (size_t)count);
}
END_TEST

/* U+0000 is the one difference: a password may hold it, a C string field may not. */
START_TEST(test_utf8_nul)
{
	ck_assert(!util_utf8_valid("a\0b", 3));
	ck_assert_int_eq(password_char_count("a\0b", 3), 3);
}
END_TEST

/* fuzz_util: a canonical RFC 3339 time reads back unchanged; impossible dates are refused. */
static const struct {
	const char *in;
	bool ok;
} times[] = {
	{"1970-01-01T00:00:00Z", true},
	{"2024-02-29T12:00:00Z", true},
	{"2026-02-20T14:30:00Z", true},
	{"2000-02-29T23:59:59Z", true},
	{"9999-12-31T23:59:59Z", true},
	{"2026-02-29T00:00:00Z", false},
	{"1900-02-29T00:00:00Z", false},
	{"2026-04-31T00:00:00Z", false},
	{"2026-13-01T00:00:00Z", false},
	{"2026-00-10T00:00:00Z", false},
	{"2026-01-00T00:00:00Z", false},
	{"1969-12-31T23:59:59Z", false},
	{"2026-01-01T24:00:00Z", false},
	{"2026-01-01T00:60:00Z", false},
	{"2026-01-01T00:00:61Z", false},
	{"2026-01-01T00:00:00", false},
	{"2026-01-01T00:00:00Zx", false},
	{"2026-01-01", false},
	{"", false},
};

START_TEST(test_time_round_trip)
{
	time_t t = 0;
	char back[RFC3339_LEN];
	int rc = util_time_parse(times[_i].in, &t);

	ck_assert_msg((rc == 0) == times[_i].ok, "util_time_parse(\"%s\") = %d", times[_i].in, rc);
	if (rc == 0) {
		util_time_rfc3339(t, back);
		ck_assert_str_eq(back, times[_i].in);
	}
}
END_TEST

/* fuzz_util: normalising an email twice changes nothing (what is stored is what a lookup computes). */
static const char *const emails[] = {
	"  Alice.Smith+tag@Example.COM \r\n",
	"\xc3\x89l\xc3\xa8ve@\xc3\x89" "cole.FR",
	"a@b",
	"\tX@Y.Z\t",
};

START_TEST(test_email_idempotent)
{
	char once[256], twice[256];

	ck_assert_int_eq(util_email_normalize(emails[_i], once, sizeof(once)), 0);
	ck_assert_int_eq(util_email_normalize(once, twice, sizeof(twice)), 0);
	ck_assert_str_eq(once, twice);
}
END_TEST

/* A buffer one byte short is refused, never overrun; the exact size works. */
START_TEST(test_email_small_buffer)
{
	char *out = malloc(10);    /* heap: ASan sees a write past outlen */

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(util_email_normalize("abcd@efgh", out, 9), -1);    /* 9 bytes need 10 */
	ck_assert_int_eq(util_email_normalize("abcd@efgh", out, 10), 0);
	ck_assert_str_eq(out, "abcd@efgh");
	free(out);
}
END_TEST

/*
 * fuzz_json: what the RFC 8259 scanner accepts (valid UTF-8), json-c builds.
 * Two exceptions: a bare `null` (json-c has no object for it, so the body
 * is refused, 400 as for any non-object body, with "Malformed JSON" rather
 * than "must be a JSON object") and a repeated key in an object, which
 * jv_parse_strict refuses after json-c (check_json.c). Pinned so a change
 * is deliberate.
 */
static const char *const accepted[] = {
	"[9223372036854775807,9223372036854775808,-9223372036854775809,18446744073709551616]",
	"[1e400,-1e400,1E-400,123456789012345678901234567890]",
	"[0,-0,0.0,-0.0e-0]",
	"\"\\ud83d\\ude00\\u00e9\\u2028\"",
	"{\"a\":1,\"b\":2}",
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",   /* depth 32 */
	" \t\r\n42 \t\r\n",
};

START_TEST(test_json_scanner_and_jsonc_agree)
{
	const char *why = NULL, *s = accepted[_i];
	ck_assert_msg(jv_check_syntax(s, strlen(s), &why), "scanner refused %s: %s", s, why);
	json_object *o = jv_parse_strict(s, strlen(s), &why);
	ck_assert_msg(o != NULL, "json-c refused %s: %s", s, why);
	json_object_put(o);
}
END_TEST

START_TEST(test_json_bare_null)
{
	const char *why = NULL;

	ck_assert(jv_check_syntax(" null ", 6, &why));
	ck_assert_ptr_null(jv_parse_strict(" null ", 6, &why));
	ck_assert_ptr_nonnull(why);
}
END_TEST

static Suite *
regressions_suite(void)
{
	Suite *s = suite_create("regressions");
	TCase *tc;

	tc = unit_tcase(s, "util", 10);
	tcase_add_loop_test(tc, test_utf8_validators_agree, 0, sizeof utf8 / sizeof utf8[0]);
	tcase_add_test(tc, test_utf8_nul);
	tcase_add_loop_test(tc, test_time_round_trip, 0, sizeof times / sizeof times[0]);
	tcase_add_loop_test(tc, test_email_idempotent, 0, sizeof emails / sizeof emails[0]);
	tcase_add_test(tc, test_email_small_buffer);

	tc = unit_tcase(s, "json", 10);
	tcase_add_loop_test(tc, test_json_scanner_and_jsonc_agree, 0, sizeof accepted / sizeof accepted[0]);
	tcase_add_test(tc, test_json_bare_null);
	return s;
}

int
main(void)
{
	return unit_run(regressions_suite(), false);
}
