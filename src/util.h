/* util.h -- small helpers: randomness, UUIDs, times, UTF-8, constant-time compare. */
#ifndef OW_UTIL_H
#define OW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A row of a table of names indexed by an enum, one per line: [id] = name. */
#define NAMED(id, name) [id] = name,

#define UUID_STR_LEN 37     /* 36 characters and the NUL */
#define RFC3339_LEN 21      /* 2026-02-20T14:30:00Z and the NUL */

/* Fill buf with n bytes from the system CSPRNG; 0 or -1. */
int util_random(void *buf, size_t n);
/* A random (version 4) UUID in lower-case text; 0 or -1. */
int util_uuid(char out[UUID_STR_LEN]);
/* A time-ordered (version 7) UUID: ids that append to an index; 0 or -1. */
int util_uuid7(char out[UUID_STR_LEN]);
/* True if s is a UUID in canonical 8-4-4-4-12 hex form. */
bool util_uuid_valid(const char *s);
/* Format t as RFC 3339 UTC with Z. */
void util_time_rfc3339(time_t t, char out[RFC3339_LEN]);
#define UTIL_SQL_TIME_LEN 20   /* 2026-02-20 14:30:00 and the NUL */
/* Format t as a SQL DATETIME literal in UTC (FROM_UNIXTIME stops at 2038). */
void util_time_sql(time_t t, char out[UTIL_SQL_TIME_LEN]);
/* Parse RFC 3339 (Z or +hh:mm offset, optional fraction); 0 or -1. */
int util_time_parse(const char *s, time_t *out);
/*
 * True if s has 1 to max characters, each printable ASCII other than space:
 * safe inside a header value or a URL (an OAuth parameter, a claim name).
 */
bool util_visible_token(const char *s, size_t max);
/* True if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or NUL). */
bool util_utf8_valid(const char *s, size_t n);
/* UTF-8 code points in s[0..n); assumes valid UTF-8. */
size_t util_utf8_len(const char *s, size_t n);
/*
 * Copy src into dst (size >= 1 bytes, always NUL-terminated) as valid UTF-8:
 * each byte that starts no valid sequence becomes '?'; at most max_chars
 * characters, never a split one. Returns the bytes written. For text stored in
 * a utf8mb4 column (a User-Agent is whatever bytes the client sent).
 */
size_t util_utf8_clean(char *dst, size_t size, const char *src, size_t max_chars);
/*
 * Copy src into dst (size >= 1, NUL-terminated) as printable ASCII: bytes
 * outside 0x21..0x7e and '%' are written %XX; when it does not fit, it is cut
 * (never inside an escape) and ends in "...". For ASCII columns such as an
 * audit event's target_id.
 */
size_t util_ascii_clean(char *dst, size_t size, const char *src);
/* Constant-time equality of two n-byte buffers. */
bool util_ct_equal(const void *a, const void *b, size_t n);
/*
 * SHA-256 of a[0..alen) followed by b[0..blen) (b may be NULL when blen is
 * 0) into out (32 bytes): 0, or -1 with out zeroed. One digest fetched per
 * process and one context reused: OpenSSL 3's SHA256() and EVP_sha256()
 * look the digest up by name under a lock and allocate a context on every
 * call, measurable on a request's path (tests/bench/README.md, the
 * Authorizer). util_sha256_free gives them back.
 */
int util_sha256(const void *a, size_t alen, const void *b, size_t blen, unsigned char out[32]);
void util_sha256_free(void);
/* Parse a decimal integer in [min, max]; 0 or -1. */
int util_parse_long(const char *s, long min, long max, long *out);

/*
 * Normalise an email for storage and lookup: trim surrounding whitespace,
 * lower-case ASCII letters. Writes into out (size outlen); -1 when the
 * result is not a plausible address (one '@', non-empty parts, no spaces or
 * controls, at most 254 bytes, valid UTF-8).
 */
int util_email_normalize(const char *in, char *out, size_t outlen);

/* A URL-safe slug of name: lower-case ASCII letters and digits, other runs as '-'; "org" if empty. */
void util_slugify(const char *name, char *out, size_t outlen);

/* The index of name in names[0..n-1], or -1: the parsers of the names tables (levels, permissions, roles). */
int util_name_index(const char *const *names, int n, const char *name);
/* s[0..*n) without its leading and trailing spaces and tabs (moves *s, shortens *n). */
void util_trim_blank(const char **s, size_t *n);
/* s[0..*n) without an enclosing open ... close pair ("quotes", [v6]), if it has one. */
void util_strip_pair(const char **s, size_t *n, char open, char close);
/* Milliseconds of CLOCK_MONOTONIC: deadlines and backoffs that a change of the wall clock cannot move. */
long long util_now_ms(void);

#endif
