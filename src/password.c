/* password.c -- argon2id password hashing and verification; the only file that includes <argon2.h>. */
#include "password.h"

#include <limits.h>
#include <string.h>

#include <argon2.h>
#include <openssl/rand.h>

#include "encoding.h"

#define SALT_BYTES 16
#define HASH_BYTES 32
/* A code point is at most 4 bytes: anything longer cannot be a valid password. */
#define PASSWORD_MAX_BYTES ((size_t)PASSWORD_MAX_CHARS * 4)

/* argon2 computations of this process (password_argon2_runs). */
static unsigned long argon2_runs;

/* What a PHC argon2id string says about how it was made. */
struct phc {
	uint32_t version;       /* ARGON2_VERSION_10 when the v= field is absent */
	uint32_t m, t, p;
	size_t salt_bytes, hash_bytes;
};

static bool
params_in_bounds(uint32_t m, uint32_t t, uint32_t p)
{
	/* argon2 needs 8 KiB per lane; the upper bounds mirror config.c. */
	return p >= 1 && p <= PASSWORD_PARALLELISM_MAX &&
	    t >= 1 && t <= PASSWORD_ITERATIONS_MAX &&
	    m >= 8 * p && m <= PASSWORD_MEMORY_KIB_MAX;
}

/* Parse a canonical decimal (no sign, no leading zero) not above max. */
static const char *
parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return NULL;
	if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		/* Checked at every digit, so v never nears uint64 overflow. */
		if (v > max)
			return NULL;
	}
	*out = (uint32_t)v;
	return s;
}

static const char *
expect(const char *s, const char *lit)
{
	size_t n = strlen(lit);

	return strncmp(s, lit, n) == 0 ? s + n : NULL;
}

/* Unpadded standard base64 run; its decoded length in *bytes. */
static const char *
parse_b64(const char *s, size_t *bytes)
{
	size_t n = 0;

	while ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
	    (s[n] >= '0' && s[n] <= '9') || s[n] == '+' || s[n] == '/')
		n++;
	if (n == 0 || n % 4 == 1)
		return NULL;
	*bytes = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	return s + n;
}

/*
 * Parse "$argon2id$[v=N$]m=M,t=T,p=P$salt$hash" strictly, with every number
 * bounded, so nothing out of range ever reaches libargon2. 0 or -1.
 */
static int
phc_parse(const char *enc, struct phc *h)
{
	const char *s;

	if (enc == NULL || strnlen(enc, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX)
		return -1;
	if ((s = expect(enc, "$argon2id$")) == NULL)
		return -1;
	h->version = ARGON2_VERSION_10;
	if (s[0] == 'v' && s[1] == '=') {
		if ((s = parse_u32(s + 2, 255, &h->version)) == NULL ||
		    (s = expect(s, "$")) == NULL)
			return -1;
		if (h->version != ARGON2_VERSION_10 && h->version != ARGON2_VERSION_13)
			return -1;
	}
	if ((s = expect(s, "m=")) == NULL ||
	    (s = parse_u32(s, PASSWORD_MEMORY_KIB_MAX, &h->m)) == NULL ||
	    (s = expect(s, ",t=")) == NULL ||
	    (s = parse_u32(s, PASSWORD_ITERATIONS_MAX, &h->t)) == NULL ||
	    (s = expect(s, ",p=")) == NULL ||
	    (s = parse_u32(s, PASSWORD_PARALLELISM_MAX, &h->p)) == NULL ||
	    (s = expect(s, "$")) == NULL ||
	    (s = parse_b64(s, &h->salt_bytes)) == NULL ||
	    (s = expect(s, "$")) == NULL ||
	    (s = parse_b64(s, &h->hash_bytes)) == NULL || *s != '\0')
		return -1;
	/*
	 * Only 32-byte tags, the size password_hash makes: a shorter one is a
	 * weaker check, and a hash cut short in storage would otherwise still
	 * parse (its base64 prefix is valid) and pass for a mere mismatch.
	 */
	if (!params_in_bounds(h->m, h->t, h->p) ||
	    h->salt_bytes < ARGON2_MIN_SALT_LENGTH || h->hash_bytes != HASH_BYTES)
		return -1;
	return 0;
}

/*
 * Fills out (PASSWORD_HASH_MAX bytes, caller-owned) with a NUL-terminated PHC
 * string. Returns 0, or -1 with out set to "" on bad parameters, an over-long
 * password, CSPRNG failure or argon2 failure (e.g. out of memory). The
 * password is neither copied nor logged.
 */
int
password_hash(const struct password_params *p, const char *pw, size_t len,
    char out[PASSWORD_HASH_MAX])
{
	return password_hash_keyed(p, NULL, pw, len, out);
}

/*
 * argon2id of pw with salt and key into tag (HASH_BYTES) through argon2_ctx,
 * the interface that takes a secret; or, when expect is not NULL, whether
 * that tag equals expect (argon2_verify_ctx, constant time). An argon2 code.
 */
static int
keyed_run(const struct phc *h, const unsigned char *salt, const struct password_key *key,
    const char *pw, size_t len, unsigned char tag[HASH_BYTES], const unsigned char *expect)
{
	argon2_context x = {
		.out = tag, .outlen = HASH_BYTES,
		/* Neither is written: no ARGON2_FLAG_CLEAR_* flag is set. */
		.pwd = (uint8_t *)(uintptr_t)(pw != NULL ? pw : ""), .pwdlen = (uint32_t)len,
		.salt = (uint8_t *)(uintptr_t)salt, .saltlen = (uint32_t)h->salt_bytes,
		.secret = (uint8_t *)(uintptr_t)key->bytes, .secretlen = (uint32_t)key->len,
		.t_cost = h->t, .m_cost = h->m, .lanes = h->p, .threads = h->p,
		.version = h->version, .flags = ARGON2_DEFAULT_FLAGS,
	};

	argon2_runs++;
	return expect != NULL ? argon2_verify_ctx(&x, (const char *)expect, Argon2_id) :
	    argon2_ctx(&x, Argon2_id);
}

/* Unpadded standard base64 of in[0..n) at out, which has room for it and a NUL. */
static char *
b64_put(char *out, const unsigned char *in, size_t n)
{
	size_t k = encoding_base64(in, n, out, false);

	while (k > 0 && out[k - 1] == '=')
		out[--k] = '\0';
	return out + k;
}

/* The PHC string of a keyed hash: the same form argon2_hash writes. */
static int
keyed_hash(const struct password_params *p, const struct password_key *key, const char *pw,
    size_t len, const unsigned char salt[SALT_BYTES], char out[PASSWORD_HASH_MAX])
{
	struct phc h = {ARGON2_VERSION_13, p->memory_kib, p->iterations, p->parallelism, SALT_BYTES, HASH_BYTES};
	unsigned char tag[HASH_BYTES];
	int n, rc = -1;

	if (keyed_run(&h, salt, key, pw, len, tag, NULL) == ARGON2_OK &&
	    (n = snprintf(out, PASSWORD_HASH_MAX, "$argon2id$v=%d$m=%u,t=%u,p=%u$", ARGON2_VERSION_13,
	    (unsigned)h.m, (unsigned)h.t, (unsigned)h.p)) > 0 &&
	    (size_t)n + ENCODING_BASE64_SIZE(SALT_BYTES) + ENCODING_BASE64_SIZE(HASH_BYTES) < PASSWORD_HASH_MAX) {
		char *end = b64_put(out + n, salt, SALT_BYTES);
		*end++ = '$';
		b64_put(end, tag, HASH_BYTES);
		rc = 0;
	}
	explicit_bzero(tag, sizeof tag);
	return rc;
}

int
password_hash_keyed(const struct password_params *p, const struct password_key *key, const char *pw,
    size_t len, char out[PASSWORD_HASH_MAX])
{
	unsigned char salt[SALT_BYTES];
	int rc = -1;

	if (out == NULL)
		return -1;
	out[0] = '\0';
	if (p == NULL || (pw == NULL && len != 0) || len > PASSWORD_MAX_BYTES)
		goto done;
	if (!params_in_bounds(p->memory_kib, p->iterations, p->parallelism))
		goto done;
	if (argon2_encodedlen(p->iterations, p->memory_kib, p->parallelism,
	    SALT_BYTES, HASH_BYTES, Argon2_id) > PASSWORD_HASH_MAX)
		goto done;
	if (RAND_bytes(salt, sizeof salt) != 1)
		goto done;
	if (key != NULL) {
		if ((rc = keyed_hash(p, key, pw, len, salt, out)) != 0)
			explicit_bzero(out, PASSWORD_HASH_MAX);
		goto done;
	}
	argon2_runs++;
	if (argon2_hash(p->iterations, p->memory_kib, p->parallelism,
	    pw != NULL ? pw : "", len, salt, sizeof salt, NULL, HASH_BYTES,
	    out, PASSWORD_HASH_MAX, Argon2_id, ARGON2_VERSION_13) != ARGON2_OK) {
		explicit_bzero(out, PASSWORD_HASH_MAX);
		goto done;
	}
	rc = 0;
done:
	explicit_bzero(salt, sizeof salt);
	return rc;
}

/*
 * encoded is a NUL-terminated PHC string (e.g. users.password_hash), pw is
 * len bytes. Nothing is allocated for the caller. PASSWORD_ERROR covers every
 * malformed input; libargon2 compares the hashes in constant time.
 */
enum password_verdict
password_verify(const char *encoded, const char *pw, size_t len)
{
	return password_verify_keyed(encoded, NULL, pw, len);
}

/* Standard base64 s[0..n) (no padding) decoded into out (cap bytes); its length or -1. */
static long
b64_get(const char *s, size_t n, unsigned char *out, size_t cap)
{
	char url[PASSWORD_HASH_MAX];

	if (n >= sizeof url)
		return -1;
	for (size_t i = 0; i < n; i++)
		url[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	return encoding_b64url_decode(url, n, out, cap);
}

/* A keyed hash: salt and tag out of the PHC string (phc_parse checked its form), then argon2. */
static int
keyed_verify(const char *encoded, const struct phc *h, const struct password_key *key,
    const char *pw, size_t len)
{
	const char *tag64 = strrchr(encoded, '$'), *salt64 = tag64 - 1;
	unsigned char salt[PASSWORD_HASH_MAX], want[HASH_BYTES], tag[HASH_BYTES];
	int rc = ARGON2_DECODING_FAIL;

	while (*salt64 != '$')
		salt64--;
	salt64++;
	if (b64_get(salt64, (size_t)(tag64 - salt64), salt, sizeof salt) == (long)h->salt_bytes &&
	    b64_get(tag64 + 1, strlen(tag64 + 1), want, sizeof want) == HASH_BYTES)
		rc = keyed_run(h, salt, key, pw, len, tag, want);
	explicit_bzero(tag, sizeof tag);
	return rc;
}

enum password_verdict
password_verify_keyed(const char *encoded, const struct password_key *key, const char *pw, size_t len)
{
	struct phc h;
	int rc;

	if ((pw == NULL && len != 0) || len > PASSWORD_MAX_BYTES)
		return PASSWORD_ERROR;
	if (phc_parse(encoded, &h) != 0)
		return PASSWORD_ERROR;
	if (key != NULL)
		rc = keyed_verify(encoded, &h, key, pw, len);
	else {
		argon2_runs++;
		rc = argon2id_verify(encoded, pw != NULL ? pw : "", len);
	}
	if (rc == ARGON2_OK)
		return PASSWORD_MATCH;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return PASSWORD_MISMATCH;
	return PASSWORD_ERROR;
}

/*
 * Pure function of its arguments. A NULL p or encoded, or anything that does
 * not parse, answers true: such a hash should not survive the next login.
 */
bool
password_needs_rehash(const struct password_params *p, const char *encoded)
{
	struct phc h;

	if (p == NULL || phc_parse(encoded, &h) != 0)
		return true;
	return h.version != ARGON2_VERSION_13 || h.m != p->memory_kib ||
	    h.t != p->iterations || h.p != p->parallelism ||
	    h.salt_bytes != SALT_BYTES;
}

unsigned long
password_argon2_runs(void)
{
	return argon2_runs;
}

/* The dummy hash of this process and the parameters it was made with. */
static char dummy_hash[PASSWORD_HASH_MAX];
static struct password_params dummy_params;
static bool dummy_ready;

/*
 * Costs one argon2 run with p, whatever pw is, unless pw would be refused by
 * password_verify before argon2 (over the cap), which it mirrors. The
 * dummy hashes random bytes, so it can match no password. Errors are
 * silent: there is nothing useful to report to the caller.
 */
void
password_dummy_verify(const struct password_params *p, const char *pw, size_t len)
{
	unsigned char rnd[32];

	if (p == NULL || (pw == NULL && len != 0) || len > PASSWORD_MAX_BYTES)
		return;
	if (dummy_ready && dummy_params.memory_kib == p->memory_kib &&
	    dummy_params.iterations == p->iterations &&
	    dummy_params.parallelism == p->parallelism) {
		(void)password_verify(dummy_hash, pw, len);
		return;
	}
	/*
	 * Making the dummy is itself one argon2 run with p, the price of a
	 * verification, so this call already cost what it should: no second
	 * run, which would make the first unknown email of a worker slower.
	 */
	dummy_ready = false;
	if (RAND_bytes(rnd, sizeof rnd) == 1 &&
	    password_hash(p, (const char *)rnd, sizeof rnd, dummy_hash) == 0) {
		dummy_params = *p;
		dummy_ready = true;
	}
	explicit_bzero(rnd, sizeof rnd);
}

/*
 * Strict UTF-8 (RFC 3629): s need not be NUL-terminated and may hold U+0000.
 * Returns the number of code points, or -1 when s is NULL with len > 0 or not
 * valid UTF-8.
 */
/*
 * The well-formed lead bytes of UTF-8 (Unicode Table 3-7): how many bytes
 * follow, and lo..hi bound the second byte: that is where overlong forms,
 * surrogates and code points above U+10FFFF show. Anything else (a
 * continuation byte, C0, C1, F5..FF) starts no character.
 */
#define UTF8_LEAD(first, last, need, lo, hi) {first, last, need, lo, hi},
static const struct utf8_lead {
	unsigned char first, last, need, lo, hi;
} utf8_leads[] = {
	UTF8_LEAD(0x00, 0x7F, 0, 0x80, 0xBF)
	UTF8_LEAD(0xC2, 0xDF, 1, 0x80, 0xBF)
	UTF8_LEAD(0xE0, 0xE0, 2, 0xA0, 0xBF)
	UTF8_LEAD(0xE1, 0xEC, 2, 0x80, 0xBF)
	UTF8_LEAD(0xED, 0xED, 2, 0x80, 0x9F)
	UTF8_LEAD(0xEE, 0xEF, 2, 0x80, 0xBF)
	UTF8_LEAD(0xF0, 0xF0, 3, 0x90, 0xBF)
	UTF8_LEAD(0xF1, 0xF3, 3, 0x80, 0xBF)
	UTF8_LEAD(0xF4, 0xF4, 3, 0x80, 0x8F)
};

static const struct utf8_lead *
utf8_lead(unsigned char c)
{
	for (size_t j = 0; j < sizeof(utf8_leads) / sizeof(utf8_leads[0]); j++)
		if (c >= utf8_leads[j].first && c <= utf8_leads[j].last)
			return &utf8_leads[j];
	return NULL;
}

long
password_char_count(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	long n = 0;
	const struct utf8_lead *lead;

	if (s == NULL || len > LONG_MAX)
		return len == 0 ? 0 : -1;
	while (i < len) {
		if ((lead = utf8_lead(u[i])) == NULL || lead->need > len - i - 1)
			return -1;
		for (k = 1; k <= lead->need; k++) {
			unsigned char c = u[i + k];
			if (k == 1 ? (c < lead->lo || c > lead->hi) : (c & 0xC0) != 0x80)
				return -1;
		}
		i += lead->need + 1;
		n++;
	}
	return n;
}
