/* check_pwpolicy.c -- unit tests for pwlist.c and pwpolicy.c: the common-password set, normal form, refusals, verification across normalisation. */
#include "unit.h"

#include "password.h"
#include "pwlist.h"
#include "pwpolicy.h"

static const struct password_params small = {1024, 1, 1};

static void
load(void)
{
	ck_assert_int_eq(pwlist_init(), 0);
}

START_TEST(test_list_loaded)
{
	/* Every line of the shipped file is in the set, and nothing twice. */
	ck_assert_uint_eq(pwlist_size(), 30000);
	ck_assert_int_eq(pwlist_init(), 0);
	ck_assert_uint_eq(pwlist_size(), 30000);
}
END_TEST

static const struct { const char *pw; bool common; } list_cases[] = {
	{"password1234", true},
	{"Password1234", true},         /* letters compared without case */
	{"PASSWORD1234", true},
	{"123456", true},
	{"qwertyuiopasdfghjkl", false},
	{"password12345x", false},
	{"password123", true},
	{"password123 ", false},        /* the whole password, not a prefix */
	{"assword1234", false},
	{"correct horse battery staple", false},
	{"", false},
};

START_TEST(test_list_contains)
{
	const char *pw = list_cases[_i].pw;

	ck_assert_msg(pwlist_contains(pw, strlen(pw)) == list_cases[_i].common, "%s", pw);
}
END_TEST

START_TEST(test_list_edges)
{
	char big[400];

	memset(big, 'a', sizeof(big));
	ck_assert(!pwlist_contains(big, sizeof(big)));
	ck_assert(!pwlist_contains(NULL, 3));
	/* A length that stops inside an entry is not that entry. */
	ck_assert(!pwlist_contains("password1234", 3));
	ck_assert(pwlist_contains("password1234", 8));   /* "password" is on it */
}
END_TEST

static const struct { const char *in, *out; } normal_cases[] = {
	{"a  b", "a b"},
	{"            ", " "},
	{"  lead and trail  ", " lead and trail "},
	{"no runs here", "no runs here"},
	{"tab\t\tstays", "tab\t\tstays"},   /* only U+0020 collapses */
	{"\xc3\xa9  \xc3\xa9", "\xc3\xa9 \xc3\xa9"},
	{"", ""},
	/* NFC: e + U+0301 is U+00E9; Angstrom sign U+212B is U+00C5; Hangul jamo compose. */
	{"cafe\xcc\x81  noir", "caf\xc3\xa9 noir"},
	{"caf\xc3\xa9", "caf\xc3\xa9"},
	{"\xe2\x84\xab", "\xc3\x85"},
	{"\xe1\x84\x80\xe1\x85\xa1", "\xea\xb0\x80"},
	/* NFC keeps compatibility forms apart (that would be NFKC): the ligature stays. */
	{"\xef\xac\x81", "\xef\xac\x81"},
};

START_TEST(test_normalize)
{
	char out[PWPOLICY_NORMAL_MAX];
	const char *in = normal_cases[_i].in;
	long n = pwpolicy_normalize(in, strlen(in), out);

	ck_assert_str_eq(out, normal_cases[_i].out);
	ck_assert_int_eq(n, (long)strlen(normal_cases[_i].out));
}
END_TEST

START_TEST(test_normalize_too_long)
{
	static char big[PWPOLICY_NORMAL_MAX + 1];
	char out[PWPOLICY_NORMAL_MAX];

	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(pwpolicy_normalize(big, PWPOLICY_NORMAL_MAX, out), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(pwpolicy_normalize(big, PWPOLICY_NORMAL_MAX - 1, out), PWPOLICY_NORMAL_MAX - 1);
	/* Not UTF-8: no normal form. */
	ck_assert_int_eq(pwpolicy_normalize("caf\xe9 au lait", 12, out), -1);
	ck_assert_str_eq(out, "");
}
END_TEST

static const struct { const char *pw; bool refused; } refusal_cases[] = {
	{"password1234", true},
	{"Password1234", true},
	{" ", true},                    /* twelve spaces, normalised */
	{"abc defghij", true},          /* 11 characters */
	{"abc defghijk", false},
	{"correct horse battery staple", false},
	{"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", true},
	{"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", false},
};

START_TEST(test_refusal)
{
	const char *pw = refusal_cases[_i].pw;
	const char *why = pwpolicy_refusal(pw, strlen(pw));
	char shown[128];

	ck_assert_msg((why != NULL) == refusal_cases[_i].refused, "%s: %s", unit_visible(pw, shown, sizeof(shown)),
	    why != NULL ? why : "accepted");
}
END_TEST

START_TEST(test_verify_normal_form)
{
	char h[PASSWORD_HASH_MAX];
	bool legacy = true;

	/* A hash of the normal form matches whatever run of spaces is typed. */
	ck_assert_int_eq(password_hash(&small, "correct horse battery", 21, h), 0);
	ck_assert_int_eq(pwpolicy_verify(h, NULL, "correct   horse  battery", &legacy), PASSWORD_MATCH);
	ck_assert(!legacy);
	ck_assert_int_eq(pwpolicy_verify(h, NULL, "correct horse battery", &legacy), PASSWORD_MATCH);
	ck_assert(!legacy);
	ck_assert_int_eq(pwpolicy_verify(h, NULL, "correcthorse battery", &legacy), PASSWORD_MISMATCH);
}
END_TEST

START_TEST(test_verify_decomposed_legacy_hash)
{
	char h[PASSWORD_HASH_MAX];
	bool legacy = false;
	static const char typed[] = "cafe\xcc\x81 au lait noir";

	/* A hash of a decomposed password made before NFC: only the typed form matches it. */
	ck_assert_int_eq(password_hash(&small, typed, strlen(typed), h), 0);
	ck_assert_int_eq(pwpolicy_verify(h, NULL, typed, &legacy), PASSWORD_MATCH);
	ck_assert(legacy);
	ck_assert_int_eq(pwpolicy_verify(h, NULL, "caf\xc3\xa9 au lait noir", &legacy), PASSWORD_MISMATCH);
}
END_TEST

START_TEST(test_verify_legacy_hash)
{
	char h[PASSWORD_HASH_MAX];
	bool legacy = false;

	/* A hash made before normalisation, of the password as typed. */
	ck_assert_int_eq(password_hash(&small, "correct  horse battery", 22, h), 0);
	ck_assert_int_eq(pwpolicy_verify(h, NULL, "correct  horse battery", &legacy), PASSWORD_MATCH);
	ck_assert(legacy);
	ck_assert_int_eq(pwpolicy_verify(h, NULL, "correct horse battery", &legacy), PASSWORD_MISMATCH);
	ck_assert(!legacy);
	ck_assert_int_eq(pwpolicy_verify("not a hash", NULL, "correct  horse battery", &legacy), PASSWORD_ERROR);
	ck_assert(!legacy);
}
END_TEST

/*
 * The dummy of an unknown account costs what a wrong password costs, in
 * argon2 runs (counted, not timed): two when the normal form differs from
 * what was typed, one when it does not.
 */
START_TEST(test_dummy_costs_what_verify_costs)
{
	static const char *const typed[] = {"wrong  password  here", "cafe\xcc\x81 wrong password",
	    "wrong password here"};
	char h[PASSWORD_HASH_MAX];
	unsigned long before, verify, dummy;
	bool legacy;

	ck_assert_int_eq(password_hash(&small, "some other password", 19, h), 0);
	pwpolicy_dummy_verify(&small, "make the dummy hash");
	for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		before = password_argon2_runs();
		ck_assert_int_eq(pwpolicy_verify(h, NULL, typed[i], &legacy), PASSWORD_MISMATCH);
		verify = password_argon2_runs() - before;
		before = password_argon2_runs();
		pwpolicy_dummy_verify(&small, typed[i]);
		dummy = password_argon2_runs() - before;
		ck_assert_msg(verify == dummy, "%s: verify %lu runs, dummy %lu", typed[i], verify, dummy);
		ck_assert_uint_eq(verify, i < 2 ? 2 : 1);
	}
}
END_TEST

static Suite *
pwpolicy_suite(void)
{
	Suite *s = suite_create("pwpolicy");
	TCase *tc;

	tc = unit_tcase(s, "list", 30);
	tcase_add_unchecked_fixture(tc, load, NULL);
	tcase_add_test(tc, test_list_loaded);
	tcase_add_loop_test(tc, test_list_contains, 0, sizeof list_cases / sizeof list_cases[0]);
	tcase_add_test(tc, test_list_edges);

	tc = unit_tcase(s, "normal", 30);
	tcase_add_unchecked_fixture(tc, load, NULL);
	tcase_add_loop_test(tc, test_normalize, 0, sizeof normal_cases / sizeof normal_cases[0]);
	tcase_add_test(tc, test_normalize_too_long);
	tcase_add_loop_test(tc, test_refusal, 0, sizeof refusal_cases / sizeof refusal_cases[0]);
	tcase_add_test(tc, test_verify_normal_form);
	tcase_add_test(tc, test_verify_legacy_hash);
	tcase_add_test(tc, test_verify_decomposed_legacy_hash);
	tcase_add_test(tc, test_dummy_costs_what_verify_costs);
	return s;
}

int
main(void)
{
	return unit_run(pwpolicy_suite(), false);
}
