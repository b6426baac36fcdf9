/* check_totp.c -- unit tests for totp.c (RFC 4226 and RFC 6238 vectors), base32 and mfa_crypt.c. */
#include "unit.h"

#include <unistd.h>

#include "config.h"
#include "encoding.h"
#include "mfa_codes.h"
#include "mfa_crypt.h"
#include "totp.h"

/* The ASCII seed of RFC 4226 appendix D and RFC 6238 appendix B (SHA-1). */
static const unsigned char seed[] = "12345678901234567890";
#define SEED_LEN 20

/* RFC 4226 appendix D: HOTP values of counters 0 to 9. */
static const char *const hotp_values[] = {"755224", "287082", "359152", "969429", "338314",
    "254676", "287922", "162583", "399871", "520489"};

START_TEST(test_hotp_rfc4226)
{
	char out[TOTP_CODE_MAX];
	ck_assert_int_eq(totp_hotp(seed, SEED_LEN, (uint64_t)_i, 6, out), 0);
	ck_assert_str_eq(out, hotp_values[_i]);
}
END_TEST

/* RFC 6238 appendix B, the SHA-1 rows: 8 digits, T0 = 0, X = 30. */
static const struct {
	long long t;
	const char *code;
} totp_vectors[] = {
	{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
	{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000LL, "65353130"},
};

START_TEST(test_totp_rfc6238)
{
	char out[TOTP_CODE_MAX];
	long long step = totp_step((time_t)totp_vectors[_i].t);
	ck_assert_int_eq(totp_hotp(seed, SEED_LEN, (uint64_t)step, 8, out), 0);
	ck_assert_str_eq(out, totp_vectors[_i].code);
	/* The 6-digit code the service checks is the last six digits of the same value. */
	ck_assert_int_eq(totp_hotp(seed, SEED_LEN, (uint64_t)step, 6, out), 0);
	ck_assert_str_eq(out, totp_vectors[_i].code + 2);
}
END_TEST

START_TEST(test_totp_window_and_replay)
{
	time_t now = 1111111111;
	long long step = totp_step(now);
	char code[TOTP_CODE_MAX];

	for (long long d = -1; d <= 1; d++) {
		ck_assert_int_eq(totp_hotp(seed, SEED_LEN, (uint64_t)(step + d), 6, code), 0);
		ck_assert_int_eq(totp_match(seed, SEED_LEN, code, now, 0), step + d);
		/* Once its step (or a later one) is used, the code is refused. */
		ck_assert_int_eq(totp_match(seed, SEED_LEN, code, now, step + d), -1);
	}
	/* Two steps away is beyond the skew allowed. */
	for (long long d = -2; d <= 2; d += 4) {
		ck_assert_int_eq(totp_hotp(seed, SEED_LEN, (uint64_t)(step + d), 6, code), 0);
		ck_assert_int_eq(totp_match(seed, SEED_LEN, code, now, 0), -1);
	}
}
END_TEST

static const char *const bad_codes[] = {"", "12345", "1234567", "12345a", " 12345", "123 45",
    "１２３４５６", "-12345", "+12345"};

START_TEST(test_code_syntax)
{
	ck_assert(!totp_code_syntax(bad_codes[_i]));
	ck_assert_int_eq(totp_match(seed, SEED_LEN, bad_codes[_i], 1111111111, 0), -1);
}
END_TEST

START_TEST(test_code_syntax_good)
{
	ck_assert(totp_code_syntax("000000"));
	ck_assert(totp_code_syntax("987654"));
}
END_TEST

/* RFC 4648 section 10, without the padding authenticator URIs leave out. */
static const struct {
	const char *in, *out;
} b32[] = {
	{"", ""}, {"f", "MY"}, {"fo", "MZXQ"}, {"foo", "MZXW6"}, {"foob", "MZXW6YQ"},
	{"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"},
	{"12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
};

START_TEST(test_base32)
{
	char out[64];
	size_t n = encoding_base32((const unsigned char *)b32[_i].in, strlen(b32[_i].in), out);
	ck_assert_str_eq(out, b32[_i].out);
	ck_assert_uint_eq(n, strlen(b32[_i].out));
	ck_assert_uint_le(n + 1, ENCODING_BASE32_SIZE(strlen(b32[_i].in)));
}
END_TEST

/* A configuration whose [mfa] secret_file holds body. */
static void
key_config(struct config *cfg, const char *body)
{
	static char path[] = "/tmp/check_totp_keyXXXXXX";
	char tmpl[sizeof(path)];
	memcpy(tmpl, path, sizeof(path));
	int fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	close(fd);
	memset(cfg, 0, sizeof(*cfg));
	cfg->mfa_secret_file = strdup(tmpl);
}

START_TEST(test_seal_open)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN];
	unsigned char key[MFA_KEY_LEN], other[MFA_KEY_LEN], sealed[MFA_SEALED_LEN], back[TOTP_SECRET_LEN];
	const char *user = "8f0c1f6e-8a55-4d8e-9a49-0b2b2d5d4c11";

	key_config(&cfg, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
	ck_assert(mfa_configured(&cfg));
	ck_assert_msg(mfa_key_read(&cfg, key, err) == 0, "%s", err);
	unlink(cfg.mfa_secret_file);
	free(cfg.mfa_secret_file);
	ck_assert_int_eq(mfa_seal(key, user, seed, sealed), 0);
	ck_assert(memcmp(sealed + 1 + MFA_NONCE_LEN, seed, TOTP_SECRET_LEN) != 0);
	ck_assert_int_eq(mfa_open(key, user, sealed, sizeof(sealed), back), 0);
	ck_assert(memcmp(back, seed, TOTP_SECRET_LEN) == 0);
	/* Another user's row, another key, a flipped bit, a short value: none opens. */
	ck_assert_int_eq(mfa_open(key, "0b0c1f6e-8a55-4d8e-9a49-0b2b2d5d4c11", sealed, sizeof(sealed), back), -1);
	memcpy(other, key, sizeof(key));
	other[0] ^= 1;
	ck_assert_int_eq(mfa_open(other, user, sealed, sizeof(sealed), back), -1);
	sealed[5] ^= 0x40;
	ck_assert_int_eq(mfa_open(key, user, sealed, sizeof(sealed), back), -1);
	sealed[5] ^= 0x40;
	ck_assert_int_eq(mfa_open(key, user, sealed, sizeof(sealed) - 1, back), -1);
	ck_assert_int_eq(mfa_open(key, user, NULL, 0, back), -1);
}
END_TEST

START_TEST(test_key_file_rules)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "";
	unsigned char key[MFA_KEY_LEN];

	key_config(&cfg, "too short\n");
	ck_assert_int_eq(mfa_key_read(&cfg, key, err), -1);
	ck_assert_msg(strstr(err, "at least 32") != NULL, "%s", err);
	unlink(cfg.mfa_secret_file);
	ck_assert_int_eq(mfa_key_read(&cfg, key, err), -1);
	ck_assert_msg(strstr(err, "[mfa] secret file") != NULL, "%s", err);
	free(cfg.mfa_secret_file);
	cfg.mfa_secret_file = (char *)"";
	ck_assert(!mfa_configured(&cfg));
}
END_TEST

START_TEST(test_token_and_recovery_codes)
{
	char tok[MFA_TOKEN_LEN + 1], code[MFA_RECOVERY_LEN + 1], typed[64];
	unsigned char d1[MFA_CODE_DIGEST_LEN], d2[MFA_CODE_DIGEST_LEN];

	ck_assert_int_eq(mfa_token_new(tok, d1), 0);
	ck_assert_uint_eq(strlen(tok), MFA_TOKEN_LEN);
	ck_assert_int_eq(mfa_token_digest(tok, d2), 0);
	ck_assert(memcmp(d1, d2, sizeof(d1)) == 0);
	ck_assert_int_eq(mfa_recovery_new(code, d1), 0);
	ck_assert_uint_eq(strlen(code), MFA_RECOVERY_LEN);
	/* Retyped in lower case, without dashes or with spaces: the same digest. */
	size_t n = 0;
	for (const char *p = code; *p != '\0'; p++)
		if (*p != '-')
			typed[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	typed[n] = '\0';
	ck_assert_int_eq(mfa_recovery_digest(typed, d2), 0);
	ck_assert(memcmp(d1, d2, sizeof(d1)) == 0);
}
END_TEST

/* Not tokens or not recovery codes: refused before any lookup. */
static const char *const bad_tokens[] = {"", "short", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"};
static const char *const bad_recovery[] = {"", "AAAA-AAAA-AAAA-AAA", "AAAA-AAAA-AAAA-AAAAA",
    "AAAA-AAAA-AAAA-AAA1", "AAAA-AAAA-AAAA-AAA8", "AAAA_AAAA_AAAA_AAAA", "ÄAAA-AAAA-AAAA-AAA"};

START_TEST(test_bad_token)
{
	unsigned char d[MFA_CODE_DIGEST_LEN];
	ck_assert_int_eq(mfa_token_digest(bad_tokens[_i], d), -1);
}
END_TEST

START_TEST(test_bad_recovery)
{
	unsigned char d[MFA_CODE_DIGEST_LEN];
	ck_assert_int_eq(mfa_recovery_digest(bad_recovery[_i], d), -1);
}
END_TEST

static Suite *
totp_suite(void)
{
	Suite *s = suite_create("totp");
	TCase *tc = unit_tcase(s, "codes", 10);

	tcase_add_loop_test(tc, test_hotp_rfc4226, 0, sizeof hotp_values / sizeof hotp_values[0]);
	tcase_add_loop_test(tc, test_totp_rfc6238, 0, sizeof totp_vectors / sizeof totp_vectors[0]);
	tcase_add_test(tc, test_totp_window_and_replay);
	tcase_add_loop_test(tc, test_code_syntax, 0, sizeof bad_codes / sizeof bad_codes[0]);
	tcase_add_test(tc, test_code_syntax_good);
	tcase_add_loop_test(tc, test_base32, 0, sizeof b32 / sizeof b32[0]);
	tc = unit_tcase(s, "tokens and recovery codes", 10);
	tcase_add_test(tc, test_token_and_recovery_codes);
	tcase_add_loop_test(tc, test_bad_token, 0, sizeof bad_tokens / sizeof bad_tokens[0]);
	tcase_add_loop_test(tc, test_bad_recovery, 0, sizeof bad_recovery / sizeof bad_recovery[0]);
	tc = unit_tcase(s, "secrets at rest", 10);
	tcase_add_test(tc, test_seal_open);
	tcase_add_test(tc, test_key_file_rules);
	return s;
}

int
main(void)
{
	return unit_run(totp_suite(), false);
}
