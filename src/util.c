/* util.c -- small helpers shared by the service and the admin tool. */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "encoding.h"

int
util_random(void *buf, size_t n)
{
	if (n > INT_MAX)
		return -1;
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

static void
uuid_format(const unsigned char b[16], char out[UUID_STR_LEN])
{
	snprintf(out, UUID_STR_LEN,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}

int
util_uuid(char out[UUID_STR_LEN])
{
	unsigned char b[16];

	if (util_random(b, sizeof(b)) != 0)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	uuid_format(b, out);
	return 0;
}

int
util_uuid7(char out[UUID_STR_LEN])
{
	unsigned char b[16];
	struct timespec ts;

	if (util_random(b, sizeof(b)) != 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (b[6] & 0x0f) | 0x70;
	b[8] = (b[8] & 0x3f) | 0x80;
	uuid_format(b, out);
	return 0;
}

bool
util_uuid_valid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return s[36] == '\0';
}

void
util_time_rfc3339(time_t t, char out[RFC3339_LEN])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, RFC3339_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
util_time_sql(time_t t, char out[UTIL_SQL_TIME_LEN])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, UTIL_SQL_TIME_LEN, "%Y-%m-%d %H:%M:%S", &tm);
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int
util_time_parse(const char *s, time_t *out)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p = s;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
	    digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
			return -1;
		if (oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec > 59 ? 59 : sec;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

/* Length (1 to 4) of the valid UTF-8 sequence at s[0..n); 0 when there is none (NUL too). */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool
util_visible_token(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

bool
util_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq(s + i, n - i);
		if (len == 0)
			return false;
		i += len;
	}
	return true;
}

size_t
util_utf8_clean(char *dst, size_t size, const char *src, size_t max_chars)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strlen(src), i = 0, o = 0, chars = 0;

	while (i < n && chars < max_chars) {
		size_t len = utf8_seq(s + i, n - i);
		size_t out = len == 0 ? 1 : len;
		if (o + out >= size)
			break;
		if (len == 0)
			dst[o] = '?';
		else
			memcpy(dst + o, s + i, len);
		o += out;
		i += len == 0 ? 1 : len;
		chars++;
	}
	dst[o] = '\0';
	return o;
}

size_t
util_ascii_clean(char *dst, size_t size, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t full = 0, room, o = 0;

	for (const unsigned char *p = s; *p != '\0'; p++)
		full += *p > 0x20 && *p < 0x7f && *p != '%' ? 1 : 3;
	/* Everything fits, or only what leaves room for the "..." that marks a cut. */
	room = full < size ? full : size > 4 ? size - 4 : 0;
	for (; *s != '\0'; s++) {
		bool plain = *s > 0x20 && *s < 0x7f && *s != '%';
		if (o + (plain ? 1 : 3) > room)
			break;
		if (plain) {
			dst[o++] = (char)*s;
		} else {
			encoding_percent_byte(*s, dst + o);
			o += 3;
		}
	}
	if (full >= size && size > 4) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return o;
}

size_t
util_utf8_len(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			count++;
	return count;
}

bool
util_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

static EVP_MD *sha256_md;
static EVP_MD_CTX *sha256_ctx;

int
util_sha256(const void *a, size_t alen, const void *b, size_t blen, unsigned char out[32])
{
	unsigned int n = 0;

	if (sha256_ctx == NULL) {
		sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
		sha256_ctx = EVP_MD_CTX_new();
	}
	if (sha256_md == NULL || sha256_ctx == NULL ||
	    EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(sha256_ctx, a, alen) != 1 ||
	    (blen > 0 && EVP_DigestUpdate(sha256_ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(sha256_ctx, out, &n) != 1 || n != 32) {
		memset(out, 0, 32);
		return -1;
	}
	return 0;
}

void
util_sha256_free(void)
{
	EVP_MD_CTX_free(sha256_ctx);
	EVP_MD_free(sha256_md);
	sha256_ctx = NULL;
	sha256_md = NULL;
}

int
util_parse_long(const char *s, long min, long max, long *out)
{
	char *end;

	/* Digits only, with an optional '-': strtol would also take spaces and '+'. */
	if (s == NULL || *s == '\0' || !(*s == '-' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
util_email_normalize(const char *in, char *out, size_t outlen)
{
	const char *start = in, *end;
	size_t n, at = 0, ats = 0;

	while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	n = (size_t)(end - start);
	if (n < 3 || n > 254 || n >= outlen || !util_utf8_valid(start, n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)start[i];
		if (c <= ' ' || c == 0x7f)
			return -1;
		if (c == '@') {
			ats++;
			at = i;
		}
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
	}
	out[n] = '\0';
	if (ats != 1 || at == 0 || at == n - 1)
		return -1;
	return 0;
}

void
util_slugify(const char *name, char *out, size_t outlen)
{
	size_t n = 0;
	bool dash = false;

	for (const char *p = name; *p != '\0' && n + 1 < outlen; p++) {
		unsigned char c = (unsigned char)*p;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (alnum) {
			if (dash && n > 0) {
				if (n + 2 >= outlen)
					break;
				out[n++] = '-';
			}
			out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			dash = false;
		} else {
			dash = true;
		}
	}
	if (n == 0) {
		snprintf(out, outlen, "org");
		return;
	}
	out[n] = '\0';
}

long long
util_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
util_name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

void
util_trim_blank(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

void
util_strip_pair(const char **s, size_t *n, char open, char close)
{
	if (*n >= 2 && (*s)[0] == open && (*s)[*n - 1] == close) {
		(*s)++;
		*n -= 2;
	}
}
