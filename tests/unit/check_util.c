/* check_util.c -- unit tests for util.c: UUIDs, RFC 3339, UTF-8, email normalisation, slugs, integers. */
#include "unit.h"
#include <limits.h>

#include "util.h"

/* ---- UUID ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

START_TEST(test_uuid_generate)
{
	enum { N = 2000 };
	static char ids[N][UUID_STR_LEN];

	for (int i = 0; i < N; i++) {
		const char *u = ids[i];
		memset(ids[i], 'Z', UUID_STR_LEN);
		ck_assert_int_eq(util_uuid(ids[i]), 0);
		ck_assert_uint_eq(strlen(u), 36);
		ck_assert_msg(util_uuid_valid(u), "generated %s is not valid", u);
		ck_assert_msg(u[14] == '4', "%s: version %c", u, u[14]);
		ck_assert_msg(strchr("89ab", u[19]) != NULL, "%s: variant %c", u, u[19]);
		for (int k = 0; k < 36; k++)
			ck_assert_msg(!(u[k] >= 'A' && u[k] <= 'F'), "%s: upper case", u);
	}
	qsort(ids, N, UUID_STR_LEN, cmp_str);
	for (int i = 1; i < N; i++)
		ck_assert_msg(strcmp(ids[i - 1], ids[i]) != 0, "duplicate %s", ids[i]);
}
END_TEST

/* Version 7: valid, time-ordered (the first 48 bits are Unix milliseconds), unique. */
START_TEST(test_uuid7)
{
	enum { N = 2000 };
	static char ids[N][UUID_STR_LEN];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long long before = (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
	for (int i = 0; i < N; i++) {
		const char *u = ids[i];
		ck_assert_int_eq(util_uuid7(ids[i]), 0);
		ck_assert_msg(util_uuid_valid(u), "generated %s is not valid", u);
		ck_assert_msg(u[14] == '7', "%s: version %c", u, u[14]);
		ck_assert_msg(strchr("89ab", u[19]) != NULL, "%s: variant %c", u, u[19]);
		/* The millisecond prefix never goes backwards. */
		if (i > 0)
			ck_assert_msg(strncmp(ids[i - 1], u, 13) <= 0, "%s after %s", u, ids[i - 1]);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long long after = (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
	char hex[13];
	memcpy(hex, ids[0], 8);
	memcpy(hex + 8, ids[0] + 9, 4);
	hex[12] = '\0';
	unsigned long long ms = strtoull(hex, NULL, 16);
	ck_assert_msg(ms >= before && ms <= after, "timestamp %llu outside [%llu, %llu]", ms, before, after);
	qsort(ids, N, UUID_STR_LEN, cmp_str);
	for (int i = 1; i < N; i++)
		ck_assert_msg(strcmp(ids[i - 1], ids[i]) != 0, "duplicate %s", ids[i]);
}
END_TEST

static const struct {
	const char *s;
	bool want;
} uuids[] = {
	{"0b5e7a52-3f1c-4d6e-9a8b-1c2d3e4f5a6b", true},
	{"00000000-0000-0000-0000-000000000000", true},
	{"FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", true},
	{"0B5E7A52-3f1c-4D6E-9a8b-1C2D3E4F5A6B", true},
	{"", false},
	{"0b5e7a52-3f1c-4d6e-9a8b-1c2d3e4f5a6", false},     /* 35 */
	{"0b5e7a52-3f1c-4d6e-9a8b-1c2d3e4f5a6b0", false},   /* 37 */
	{"0b5e7a52-3f1c-4d6e-9a8b-1c2d3e4f5a6b ", false},
	{" 0b5e7a52-3f1c-4d6e-9a8b-1c2d3e4f5a6b", false},
	{"0b5e7a523f1c4d6e9a8b1c2d3e4f5a6b", false},
	{"0b5e7a52-3f1c-4d6e-9a8b1c2d3e4f5a6b-", false},
	{"0b5e7a5-23f1c-4d6e-9a8b-1c2d3e4f5a6b", false},
	{"0b5e7a52_3f1c_4d6e_9a8b_1c2d3e4f5a6b", false},
	{"0b5e7a52-3f1c-4d6e-9a8b-1c2d3e4f5a6g", false},
	{"gb5e7a52-3f1c-4d6e-9a8b-1c2d3e4f5a6b", false},
	{"{0b5e7a52-3f1c-4d6e-9a8b-1c2d3e4f5a6b}", false},
	{"urn:uuid:0b5e7a52-3f1c-4d6e-9a8b-1c2d3e4f5a6b", false},
	{"0b5e7a52-3f1c-4d6e-9a8b-1c2d3e4f5a6\xc3\xa9", false},
	{"0b5e7a52-3f1c-4d6e-9a8b-1c2d3e4f\0a6b", false},
	{"------------------------------------", false},
	{"../../../../../../../../../etc/passwd", false},
};

START_TEST(test_uuid_valid)
{
	ck_assert_msg(util_uuid_valid(uuids[_i].s) == uuids[_i].want, "\"%s\": got %d", uuids[_i].s,
	    !uuids[_i].want);
}
END_TEST

/* ---- RFC 3339 ---- */

static const struct {
	time_t t;
	const char *s;
} formats[] = {
	{0, "1970-01-01T00:00:00Z"},
	{1771597800, "2026-02-20T14:30:00Z"},
	{951782400, "2000-02-29T00:00:00Z"},
	{1709251199, "2024-02-29T23:59:59Z"},
	{946684799, "1999-12-31T23:59:59Z"},
	{2147483647, "2038-01-19T03:14:07Z"},
	{4102444800LL, "2100-01-01T00:00:00Z"},
};

START_TEST(test_time_format)
{
	char out[RFC3339_LEN];
	time_t back = -1;

	memset(out, 'x', sizeof out);
	util_time_rfc3339(formats[_i].t, out);
	ck_assert_str_eq(out, formats[_i].s);
	ck_assert_uint_eq(strlen(out), RFC3339_LEN - 1);
	ck_assert_int_eq(util_time_parse(out, &back), 0);
	ck_assert_int_eq(back, formats[_i].t);
}
END_TEST

/* Format then parse gives the same instant, across many times. */
START_TEST(test_time_roundtrip)
{
	char out[RFC3339_LEN];

	for (time_t t = 0; t < (time_t)4102444800LL; t += 86400 * 7 + 3607) {
		time_t back = -1;
		util_time_rfc3339(t, out);
		ck_assert_msg(util_time_parse(out, &back) == 0, "%s not parsed", out);
		ck_assert_msg(back == t, "%s: %lld, want %lld", out, (long long)back, (long long)t);
	}
}
END_TEST

static const struct {
	const char *s;
	time_t want;
} parse_ok[] = {
	{"2026-02-20T14:30:00Z", 1771597800},
	{"2026-02-20t14:30:00z", 1771597800},
	{"2026-02-20T14:30:00.5Z", 1771597800},
	{"2026-02-20T14:30:00.123456789Z", 1771597800},
	{"2026-02-20T14:30:00+00:00", 1771597800},
	{"2026-02-20T14:30:00-00:00", 1771597800},
	{"2026-02-20T16:30:00+02:00", 1771597800},
	{"2026-02-20T09:00:00-05:30", 1771597800},
	{"2026-02-21T00:00:00+09:30", 1771597800},
	{"2026-02-20T14:30:00.25+01:00", 1771597800 - 3600},
	{"2026-02-20T00:30:00-14:00", 1771597800},
	{"2026-02-21T04:29:00+13:59", 1771597800},
	{"1970-01-01T00:00:00Z", 0},
	{"2000-02-29T00:00:00Z", 951782400},
	{"2024-02-29T23:59:59Z", 1709251199},
	{"2026-12-31T23:59:60Z", 1798761599},   /* leap second reads as :59 */
	{"2026-01-31T00:00:00Z", 1769817600},
	{"2026-04-30T00:00:00Z", 1777507200},
};

START_TEST(test_time_parse_ok)
{
	time_t got = -12345;

	ck_assert_msg(util_time_parse(parse_ok[_i].s, &got) == 0, "%s rejected", parse_ok[_i].s);
	ck_assert_msg(got == parse_ok[_i].want, "%s: %lld, want %lld", parse_ok[_i].s, (long long)got,
	    (long long)parse_ok[_i].want);
}
END_TEST

static const char *const parse_bad[] = {
	"",
	"2026",
	"2026-02-20",
	"2026-02-20T",
	"2026-02-20T14:30",
	"2026-02-20T14:30:00",              /* no zone */
	"2026-02-20 14:30:00Z",             /* space for T */
	"2026-02-20X14:30:00Z",
	"2026-02-30T14:30:00Z",             /* Feb 30 */
	"2026-02-31T14:30:00Z",
	"2026-02-29T14:30:00Z",             /* 2026 is not a leap year */
	"2100-02-29T00:00:00Z",             /* neither is 2100 */
	"2026-04-31T00:00:00Z",
	"2026-06-31T00:00:00Z",
	"2026-09-31T00:00:00Z",
	"2026-11-31T00:00:00Z",
	"2026-01-32T00:00:00Z",
	"2026-00-10T00:00:00Z",
	"2026-13-10T00:00:00Z",
	"2026-02-00T00:00:00Z",
	"2026-02-20T24:00:00Z",
	"2026-02-20T14:60:00Z",
	"2026-02-20T14:30:61Z",
	"2026-02-20T14:30:00ZZ",
	"2026-02-20T14:30:00Z ",
	" 2026-02-20T14:30:00Z",
	"2026-02-20T14:30:00.Z",
	"2026-02-20T14:30:00,5Z",
	"2026-02-20T14:30:00+02",
	"2026-02-20T14:30:00+0200",
	"2026-02-20T14:30:00+2:00",
	"2026-02-20T14:30:00+02:0",
	"2026-02-20T14:30:00+24:00",
	"2026-02-20T14:30:00+02:60",
	"2026-02-20T14:30:00+02:00Z",
	"2026-02-20T14:30:00UTC",
	"2026-2-20T14:30:00Z",
	"26-02-20T14:30:00Z",
	"20260220T143000Z",
	"2026/02/20T14:30:00Z",
	"1969-12-31T23:59:59Z",
	"0000-01-01T00:00:00Z",
	"+2026-02-20T14:30:00Z",
	"-2026-02-20T14:30:00Z",
	"2026-02-20T14:30:00\xef\xbc\xba",   /* full-width Z */
	"2026-0a-20T14:30:00Z",
	"2026-02-20T1a:30:00Z",
};

START_TEST(test_time_parse_bad)
{
	time_t got = 777;

	ck_assert_msg(util_time_parse(parse_bad[_i], &got) == -1, "\"%s\" accepted as %lld",
	    parse_bad[_i], (long long)got);
	ck_assert_int_eq(got, 777);         /* untouched on failure */
}
END_TEST

/* ---- UTF-8 ---- */

static const struct {
	const char *name;
	const char *s;
	size_t len;
	bool valid;
	size_t chars;
} utf8[] = {
	{"empty", "", 0, true, 0},
	{"ascii", "hello", 5, true, 5},
	{"2-byte", "h\xc3\xa9llo", 6, true, 5},
	{"3-byte", "\xe2\x82\xac", 3, true, 1},
	{"4-byte", "\xf0\x9f\x98\x80", 4, true, 1},
	{"mixed", "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 11, true, 5},
	{"U+0080", "\xc2\x80", 2, true, 1},
	{"U+07FF", "\xdf\xbf", 2, true, 1},
	{"U+0800", "\xe0\xa0\x80", 3, true, 1},
	{"U+D7FF", "\xed\x9f\xbf", 3, true, 1},
	{"U+E000", "\xee\x80\x80", 3, true, 1},
	{"U+FFFD", "\xef\xbf\xbd", 3, true, 1},
	{"U+FFFF", "\xef\xbf\xbf", 3, true, 1},
	{"U+10000", "\xf0\x90\x80\x80", 4, true, 1},
	{"U+10FFFF", "\xf4\x8f\xbf\xbf", 4, true, 1},
	{"U+007F", "\x7f", 1, true, 1},
	{"NUL", "\0", 1, false, 0},
	{"embedded NUL", "ab\0cd", 5, false, 0},
	{"NUL at end", "abc\0", 4, false, 0},
	{"lone continuation", "\x80", 1, false, 0},
	{"continuation after ascii", "ab\xbf", 3, false, 0},
	{"two continuations", "\x80\x80", 2, false, 0},
	{"truncated 2-byte", "\xc3", 1, false, 0},
	{"truncated 3-byte", "\xe2\x82", 2, false, 0},
	{"truncated 4-byte", "\xf0\x9f\x98", 3, false, 0},
	{"truncated then ascii", "\xe2\x82" "a", 3, false, 0},
	{"lead then lead", "\xc3\xc3\xa9", 3, false, 0},
	{"overlong C0 AF", "\xc0\xaf", 2, false, 0},
	{"overlong C0 80 (NUL)", "\xc0\x80", 2, false, 0},
	{"overlong C1 BF", "\xc1\xbf", 2, false, 0},
	{"overlong E0 80 AF", "\xe0\x80\xaf", 3, false, 0},
	{"overlong E0 9F BF", "\xe0\x9f\xbf", 3, false, 0},
	{"overlong F0 80 80 AF", "\xf0\x80\x80\xaf", 4, false, 0},
	{"overlong F0 8F BF BF", "\xf0\x8f\xbf\xbf", 4, false, 0},
	{"surrogate D800", "\xed\xa0\x80", 3, false, 0},
	{"surrogate DBFF", "\xed\xaf\xbf", 3, false, 0},
	{"surrogate DC00", "\xed\xb0\x80", 3, false, 0},
	{"surrogate DFFF", "\xed\xbf\xbf", 3, false, 0},
	{"surrogate pair as CESU-8", "\xed\xa0\xbd\xed\xb8\x80", 6, false, 0},
	{"above U+10FFFF", "\xf4\x90\x80\x80", 4, false, 0},
	{"F5 lead", "\xf5\x80\x80\x80", 4, false, 0},
	{"F7 lead", "\xf7\xbf\xbf\xbf", 4, false, 0},
	{"5-byte form", "\xf8\x88\x80\x80\x80", 5, false, 0},
	{"6-byte form", "\xfc\x84\x80\x80\x80\x80", 6, false, 0},
	{"FE", "\xfe", 1, false, 0},
	{"FF", "\xff", 1, false, 0},
	{"bad 2nd byte", "\xc3\x28", 2, false, 0},
	{"bad 3rd byte", "\xe2\x82\x28", 3, false, 0},
	{"bad 4th byte", "\xf0\x9f\x98\x28", 4, false, 0},
	{"latin-1", "caf\xe9", 4, false, 0},
};

START_TEST(test_utf8)
{
	bool got = util_utf8_valid(utf8[_i].s, utf8[_i].len);

	ck_assert_msg(got == utf8[_i].valid, "%s: got %d", utf8[_i].name, got);
	if (utf8[_i].valid)
		ck_assert_msg(util_utf8_len(utf8[_i].s, utf8[_i].len) == utf8[_i].chars, "%s: %zu chars",
		    utf8[_i].name, util_utf8_len(utf8[_i].s, utf8[_i].len));
}
END_TEST

/* The length decides, not a NUL: a cut sequence is invalid, bytes past n are not read. */
START_TEST(test_utf8_length_bound)
{
	ck_assert(!util_utf8_valid("\xc3\xa9", 1));
	ck_assert(util_utf8_valid("\xc3\xa9", 2));
	ck_assert(util_utf8_valid("ab\xff", 2));
	ck_assert(!util_utf8_valid("ab\xff", 3));
	ck_assert(util_utf8_valid(NULL, 0));
	ck_assert_uint_eq(util_utf8_len("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 8), 2);
}
END_TEST

/* util_utf8_clean: what a utf8mb4 column can store, cut by characters. */
static const struct {
	const char *name, *in;
	size_t size, max_chars;
	const char *out;
} utf8_clean[] = {
	{"ascii", "Mozilla/5.0", 64, 512, "Mozilla/5.0"},
	{"valid multibyte kept", "caf\xc3\xa9 \xf0\x9f\x98\x80", 64, 512, "caf\xc3\xa9 \xf0\x9f\x98\x80"},
	{"stray byte", "a\xff" "b", 64, 512, "a?b"},
	{"truncated sequence", "ab\xc3", 64, 512, "ab?"},
	{"surrogate", "x\xed\xa0\x80y", 64, 512, "x???y"},
	{"overlong", "\xc0\xafz", 64, 512, "??z"},
	{"cut by characters", "\xc3\xa9\xc3\xa9\xc3\xa9", 64, 2, "\xc3\xa9\xc3\xa9"},
	{"cut by bytes, never inside a character", "a\xf0\x9f\x98\x80", 4, 512, "a"},
	{"empty", "", 8, 512, ""},
};
START_TEST(test_utf8_clean)
{
	char out[64];
	size_t n = util_utf8_clean(out, utf8_clean[_i].size, utf8_clean[_i].in, utf8_clean[_i].max_chars);

	ck_assert_msg(strcmp(out, utf8_clean[_i].out) == 0, "%s: got '%s'", utf8_clean[_i].name, out);
	ck_assert_uint_eq(n, strlen(out));
	ck_assert(util_utf8_valid(out, n));
}
END_TEST

/* util_ascii_clean: an ASCII column of 64 bytes (an audit target). */
START_TEST(test_ascii_clean)
{
	char out[65], in[300];

	util_ascii_clean(out, sizeof(out), "/downloads/report.pdf");
	ck_assert_str_eq(out, "/downloads/report.pdf");
	util_ascii_clean(out, sizeof(out), "/caf\xc3\xa9 x%y");
	ck_assert_str_eq(out, "/caf%C3%A9%20x%25y");
	/* Exactly 64 bytes fit; 65 are cut to 61 and "...". */
	memset(in, 'a', 64);
	in[64] = '\0';
	ck_assert_uint_eq(util_ascii_clean(out, sizeof(out), in), 64);
	ck_assert_str_eq(out, in);
	in[64] = 'b';
	in[65] = '\0';
	ck_assert_uint_eq(util_ascii_clean(out, sizeof(out), in), 64);
	ck_assert_str_eq(out + 61, "...");
	ck_assert(strncmp(out, in, 61) == 0);
	/* A long non-ASCII path is never cut inside an escape. */
	memset(in, 0, sizeof(in));
	for (int i = 0; i < 100; i++)
		in[i] = (char)0xe9;
	size_t n = util_ascii_clean(out, sizeof(out), in);
	ck_assert_uint_le(n, 64);
	ck_assert_str_eq(out + n - 3, "...");
	ck_assert_uint_eq((n - 3) % 3, 0);
	for (size_t i = 0; i < n - 3; i += 3)
		ck_assert(strncmp(out + i, "%E9", 3) == 0);
	for (size_t i = 0; i < n; i++)
		ck_assert(out[i] > 0x20 && out[i] < 0x7f);
}
END_TEST

START_TEST(test_ct_equal)
{
	unsigned char a[64], b[64];

	memset(a, 0x41, sizeof a);
	memcpy(b, a, sizeof b);
	ck_assert(util_ct_equal(a, b, sizeof a));
	ck_assert(util_ct_equal(a, b, 0));
	b[0] ^= 1;
	ck_assert(!util_ct_equal(a, b, sizeof a));
	ck_assert(util_ct_equal(a + 1, b + 1, sizeof a - 1));
	b[0] ^= 1;
	b[63] ^= 0x80;
	ck_assert(!util_ct_equal(a, b, sizeof a));
	ck_assert(util_ct_equal(a, b, 63));
}
END_TEST

START_TEST(test_random)
{
	unsigned char a[32], b[32], z[32] = {0};

	ck_assert_int_eq(util_random(a, sizeof a), 0);
	ck_assert_int_eq(util_random(b, sizeof b), 0);
	ck_assert(memcmp(a, b, sizeof a) != 0);
	ck_assert(memcmp(a, z, sizeof a) != 0);
	ck_assert_int_eq(util_random(a, 0), 0);
	ck_assert_int_eq(util_random(a, (size_t)INT_MAX + 1), -1);
}
END_TEST

/* ---- email ---- */

static const struct {
	const char *in;
	const char *want;       /* NULL: -1 */
} emails[] = {
	{"user@example.com", "user@example.com"},
	{"User@Example.COM", "user@example.com"},
	{"  user@example.com  ", "user@example.com"},
	{"\t\r\nuser@example.com\r\n", "user@example.com"},
	{"a@b", "a@b"},
	{"first.last+tag@sub.example.org", "first.last+tag@sub.example.org"},
	{"\xc3\x89lodie@exemple.fr", "\xc3\x89lodie@exemple.fr"},  /* non-ASCII kept as is */
	{"ZZ@\xe4\xbe\x8b\xe5\xad\x90.jp", "zz@\xe4\xbe\x8b\xe5\xad\x90.jp"},
	{"", NULL},
	{"   ", NULL},
	{"a", NULL},
	{"ab", NULL},
	{"@b", NULL},
	{"@example.com", NULL},
	{"user@", NULL},
	{"user", NULL},
	{"user@@example.com", NULL},
	{"a@b@c", NULL},
	{"us er@example.com", NULL},
	{"user@exam ple.com", NULL},
	{"us\ter@example.com", NULL},
	{"user\x01@example.com", NULL},
	{"user\x7f@example.com", NULL},
	{"user@example.com\x0b", NULL},
	{"\xff@example.com", NULL},
	{"caf\xe9@example.com", NULL},
	{"\xc0\xaf@example.com", NULL},
	{"\xed\xa0\x80@example.com", NULL},
};

START_TEST(test_email)
{
	char out[300];
	int rc = util_email_normalize(emails[_i].in, out, sizeof out);

	if (emails[_i].want == NULL) {
		ck_assert_msg(rc == -1, "\"%s\" accepted as \"%s\"", emails[_i].in, out);
	} else {
		ck_assert_msg(rc == 0, "\"%s\" rejected", emails[_i].in);
		ck_assert_str_eq(out, emails[_i].want);
	}
}
END_TEST

START_TEST(test_email_lengths)
{
	char in[400], out[400];

	/* 254 bytes: the most an address may have. */
	memset(in, 'a', 254);
	in[64] = '@';
	in[254] = '\0';
	ck_assert_int_eq(util_email_normalize(in, out, sizeof out), 0);
	ck_assert_uint_eq(strlen(out), 254);
	/* Surrounding whitespace does not count. */
	char padded[512];
	snprintf(padded, sizeof padded, "   %s \t", in);
	ck_assert_int_eq(util_email_normalize(padded, out, sizeof out), 0);
	ck_assert_str_eq(out, in);
	/* 255 bytes: too long. */
	in[254] = 'a';
	in[255] = '\0';
	ck_assert_int_eq(util_email_normalize(in, out, sizeof out), -1);
	/* An output buffer too small for the result is an error, never an overflow. */
	ck_assert_int_eq(util_email_normalize("abc@example.com", out, 16), 0);
	ck_assert_str_eq(out, "abc@example.com");
	memset(out, 'X', sizeof out);
	ck_assert_int_eq(util_email_normalize("abc@example.com", out, 15), -1);
	ck_assert_int_eq(out[15], 'X');
	ck_assert_int_eq(util_email_normalize("abc@example.com", out, 0), -1);
}
END_TEST

/* ---- slugs ---- */

static const struct {
	const char *name;
	const char *want;
} slugs[] = {
	{"Acme Corp", "acme-corp"},
	{"acme", "acme"},
	{"  Acme   Corp  ", "acme-corp"},
	{"ACME--Corp!!", "acme-corp"},
	{"R&D / Ops 2", "r-d-ops-2"},
	{"caf\xc3\xa9 Paris", "caf-paris"},
	{"\xe6\x97\xa5\xe6\x9c\xac", "org"},
	{"", "org"},
	{"---", "org"},
	{"a", "a"},
	{"0-9", "0-9"},
};

START_TEST(test_slugify)
{
	char out[64];

	memset(out, 'X', sizeof out);
	util_slugify(slugs[_i].name, out, sizeof out);
	ck_assert_msg(strcmp(out, slugs[_i].want) == 0, "\"%s\": got \"%s\", want \"%s\"", slugs[_i].name,
	    out, slugs[_i].want);
}
END_TEST

/* The slug always fits outlen, NUL included, and ends on a letter or digit. */
START_TEST(test_slugify_bounds)
{
	char buf[32];

	for (size_t outlen = 1; outlen < 12; outlen++) {
		static const char *const names[] = {"", "!!", "Acme Corp International", "ab cd ef gh", "x"};
		for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
			memset(buf, 'X', sizeof buf);
			util_slugify(names[k], buf, outlen);
			for (size_t b = outlen; b < sizeof buf; b++)
				ck_assert_msg(buf[b] == 'X', "\"%s\" with outlen %zu: wrote byte %zu", names[k],
				    outlen, b);
			ck_assert_msg(memchr(buf, '\0', outlen) != NULL, "\"%s\" with outlen %zu: no NUL", names[k],
			    outlen);
			size_t n = strlen(buf);
			ck_assert_msg(n == 0 || buf[n - 1] != '-', "\"%s\" with outlen %zu: \"%s\"", names[k],
			    outlen, buf);
		}
	}
}
END_TEST

/* ---- integers ---- */

static const struct {
	const char *s;
	long min, max;
	int rc;
	long want;
} longs[] = {
	{"0", 0, 10, 0, 0},
	{"10", 0, 10, 0, 10},
	{"7", 0, 10, 0, 7},
	{"007", 0, 10, 0, 7},
	{"-5", -10, 10, 0, -5},
	{"-10", -10, 10, 0, -10},
	{"9223372036854775807", 0, LONG_MAX, 0, LONG_MAX},
	{"-9223372036854775808", LONG_MIN, 0, 0, LONG_MIN},
	{"11", 0, 10, -1, 0},
	{"-1", 0, 10, -1, 0},
	{"-11", -10, 10, -1, 0},
	{"9223372036854775808", 0, LONG_MAX, -1, 0},
	{"-9223372036854775809", LONG_MIN, 0, -1, 0},
	{"99999999999999999999999", 0, LONG_MAX, -1, 0},
	{"", 0, 10, -1, 0},
	{" ", 0, 10, -1, 0},
	{"-", -10, 10, -1, 0},
	{"+", 0, 10, -1, 0},
	{"+5", 0, 10, -1, 0},
	{" 5", 0, 10, -1, 0},
	{"\t5", 0, 10, -1, 0},
	{"\n5", 0, 10, -1, 0},
	{"\v5", 0, 10, -1, 0},
	{"5 ", 0, 10, -1, 0},
	{"5\n", 0, 10, -1, 0},
	{"5a", 0, 10, -1, 0},
	{"a5", 0, 10, -1, 0},
	{"0x5", 0, 10, -1, 0},
	{"5.0", 0, 10, -1, 0},
	{"1e1", 0, 100, -1, 0},
	{"--5", -10, 10, -1, 0},
	{"- 5", -10, 10, -1, 0},
	{"\xd9\xa5", 0, 10, -1, 0},        /* Arabic-Indic five */
};

START_TEST(test_parse_long)
{
	long out = 4242;
	char vis[128];
	int rc = util_parse_long(longs[_i].s, longs[_i].min, longs[_i].max, &out);

	ck_assert_msg(rc == longs[_i].rc, "\"%s\" in [%ld, %ld]: rc %d (out %ld), want %d",
	    unit_visible(longs[_i].s, vis, sizeof vis),
	    longs[_i].min, longs[_i].max, rc, out, longs[_i].rc);
	if (rc == 0)
		ck_assert_int_eq(out, longs[_i].want);
	else
		ck_assert_int_eq(out, 4242);
}
END_TEST

START_TEST(test_parse_long_null)
{
	long out = 1;

	ck_assert_int_eq(util_parse_long(NULL, 0, 10, &out), -1);
	ck_assert_int_eq(out, 1);
}
END_TEST

/* FIPS 180-2's "abc" vector, whole and in two parts, and after the context was given back. */
START_TEST(test_sha256)
{
	static const unsigned char want[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad,
	};
	unsigned char out[32];

	for (int round = 0; round < 2; round++) {
		memset(out, 0xaa, sizeof(out));
		ck_assert_int_eq(util_sha256("abc", 3, NULL, 0, out), 0);
		ck_assert_mem_eq(out, want, 32);
		memset(out, 0xaa, sizeof(out));
		ck_assert_int_eq(util_sha256("a", 1, "bc", 2, out), 0);
		ck_assert_mem_eq(out, want, 32);
		util_sha256_free();
	}
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = unit_tcase(s, "uuid", 10);
	tcase_add_test(tc, test_uuid_generate);
	tcase_add_test(tc, test_uuid7);
	tcase_add_loop_test(tc, test_uuid_valid, 0, sizeof uuids / sizeof uuids[0]);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_ct_equal);
	tcase_add_test(tc, test_sha256);

	tc = unit_tcase(s, "time", 10);
	tcase_add_loop_test(tc, test_time_format, 0, sizeof formats / sizeof formats[0]);
	tcase_add_test(tc, test_time_roundtrip);
	tcase_add_loop_test(tc, test_time_parse_ok, 0, sizeof parse_ok / sizeof parse_ok[0]);
	tcase_add_loop_test(tc, test_time_parse_bad, 0, sizeof parse_bad / sizeof parse_bad[0]);

	tc = unit_tcase(s, "utf8", 10);
	tcase_add_loop_test(tc, test_utf8, 0, sizeof utf8 / sizeof utf8[0]);
	tcase_add_test(tc, test_utf8_length_bound);
	tcase_add_loop_test(tc, test_utf8_clean, 0, sizeof utf8_clean / sizeof utf8_clean[0]);
	tcase_add_test(tc, test_ascii_clean);

	tc = unit_tcase(s, "email", 10);
	tcase_add_loop_test(tc, test_email, 0, sizeof emails / sizeof emails[0]);
	tcase_add_test(tc, test_email_lengths);

	tc = unit_tcase(s, "slug", 10);
	tcase_add_loop_test(tc, test_slugify, 0, sizeof slugs / sizeof slugs[0]);
	tcase_add_test(tc, test_slugify_bounds);

	tc = unit_tcase(s, "integers", 10);
	tcase_add_loop_test(tc, test_parse_long, 0, sizeof longs / sizeof longs[0]);
	tcase_add_test(tc, test_parse_long_null);
	return s;
}

int
main(void)
{
	return unit_run(util_suite(), false);
}
