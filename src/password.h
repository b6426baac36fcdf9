/* password.h -- argon2id password hashing (PHC strings). */
#ifndef OW_PASSWORD_H
#define OW_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PASSWORD_MIN_CHARS 12      /* characters (UTF-8 code points) */
#define PASSWORD_MAX_CHARS 1024
#define PASSWORD_HASH_MAX 256       /* buffer size for an encoded hash */

/*
 * Bounds on argon2 parameters, the same as the [password] section of the
 * configuration accepts. A stored hash whose parameters fall outside them is
 * treated as malformed, so a corrupt row cannot make a worker allocate
 * gigabytes or spin for minutes.
 */
#define PASSWORD_MEMORY_KIB_MAX (4UL * 1024 * 1024)
#define PASSWORD_ITERATIONS_MAX 100
#define PASSWORD_PARALLELISM_MAX 64

struct password_params { uint32_t memory_kib, iterations, parallelism; };
enum password_verdict { PASSWORD_MATCH, PASSWORD_MISMATCH, PASSWORD_ERROR };
/*
 * A pepper key: argon2's secret input K (RFC 9106 section 3.2), kept out of
 * the database (src/pepper.c). NULL where a function takes one: no pepper.
 */
struct password_key { const unsigned char *bytes; size_t len; };

/*
 * Hash pw (len bytes, any bytes, need not be NUL-terminated) with a fresh
 * 16-byte salt from the CSPRNG (OpenSSL RAND_bytes) into out, a caller buffer
 * of PASSWORD_HASH_MAX bytes, as a NUL-terminated PHC string.
 * Returns 0, or -1 (out set to "") when p is out of bounds, len exceeds
 * PASSWORD_MAX_CHARS * 4 bytes, the CSPRNG fails or argon2 fails.
 */
int password_hash(const struct password_params *p, const char *pw, size_t len, char out[PASSWORD_HASH_MAX]);
/* password_hash with key as argon2's secret input; the PHC string does not name the key. */
int password_hash_keyed(const struct password_params *p, const struct password_key *key, const char *pw,
    size_t len, char out[PASSWORD_HASH_MAX]);

/*
 * Verify pw (len bytes) against a PHC argon2id string, in constant time for
 * the comparison. Anything malformed (NULL, not argon2id, parameters out of
 * bounds, bad base64, a tag other than 32 bytes, which is how truncation
 * shows, over-long) and a password over the length cap are PASSWORD_ERROR,
 * never a crash.
 */
enum password_verdict password_verify(const char *encoded, const char *pw, size_t len);
/* password_verify of a hash made with key (NULL: none); the tag is compared in constant time. */
enum password_verdict password_verify_keyed(const char *encoded, const struct password_key *key,
    const char *pw, size_t len);

/*
 * True when encoded was made with parameters other than p (memory, iterations,
 * parallelism, argon2 version 1.3, 16-byte salt) or is not a
 * well-formed argon2id string: re-hash on next successful login.
 */
bool password_needs_rehash(const struct password_params *p, const char *encoded);

/*
 * Burn one verification against a dummy hash made with p (computed once per
 * process, lazily, again if p changes) so an unknown email costs the same
 * time as a wrong password. Applies the same length cap as password_verify.
 * Not thread-safe: workers serve one request at a time.
 */
void password_dummy_verify(const struct password_params *p, const char *pw, size_t len);

/*
 * How many argon2 computations (hashes and verifications) this process has
 * run: what a password check costs, counted rather than timed, so that a
 * test can prove two paths cost the same (doc/SECURITY.md section 5).
 */
unsigned long password_argon2_runs(void);

/*
 * Count UTF-8 code points in s (len bytes); -1 if not valid UTF-8 (stray or
 * missing continuation bytes, overlong forms, surrogates, above U+10FFFF).
 * Used for the PASSWORD_MIN_CHARS..PASSWORD_MAX_CHARS length rule.
 */
long password_char_count(const char *s, size_t len);

#endif
