/* totp.h -- one-time codes of RFC 4226 (HOTP) and RFC 6238 (TOTP): HMAC-SHA1, 6 digits, 30 s steps. */
#ifndef OW_TOTP_H
#define OW_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_SECRET_LEN 20      /* 160 bits: the HMAC-SHA1 block the RFC 4226 section 4 advises */
#define TOTP_DIGITS 6
#define TOTP_PERIOD 30
#define TOTP_SKEW 1             /* steps of clock skew accepted each way */
#define TOTP_CODE_MAX 9         /* up to 8 digits and the NUL */

/*
 * The HOTP value of RFC 4226 section 5.3 for counter under key, as a
 * zero-padded string of digits (6 to 8) in out. 0, or -1 when HMAC fails or
 * digits is out of range.
 */
int totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits,
    char out[TOTP_CODE_MAX]);

/* The RFC 6238 time step of t: floor(t / TOTP_PERIOD). */
long long totp_step(time_t t);

/* True when s is exactly TOTP_DIGITS ASCII digits. */
bool totp_code_syntax(const char *s);

/*
 * The step in [step(now) - TOTP_SKEW, step(now) + TOTP_SKEW] whose code is
 * code, considering only steps after last_step (a code is good once: a
 * replay of the same step, or of an older one, is refused); -1 when none.
 * Every candidate is computed and compared in constant time, so the timing
 * does not tell which step (if any) matched.
 */
long long totp_match(const unsigned char *key, size_t keylen, const char *code, time_t now,
    long long last_step);

#endif
