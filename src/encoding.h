/* encoding.h -- the byte encodings the service reads and writes: base64, base64url, hex, percent. */
#ifndef OW_ENCODING_H
#define OW_ENCODING_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* Room encoding_base64 needs for n bytes: 4 * ceil(n / 3) characters and the NUL. */
#define ENCODING_BASE64_SIZE(n) (((n) + 2) / 3 * 4 + 1)

/*
 * Encode in[0..n) into out (at least ENCODING_BASE64_SIZE(n) bytes, always
 * NUL-terminated): standard base64 with '=' padding, or when url the
 * base64url alphabet without padding (RFC 4648 sections 4 and 5). Returns
 * the length written, the NUL not counted.
 */
size_t encoding_base64(const unsigned char *in, size_t n, char *out, bool url);

/* True for a character of the base64url alphabet. */
bool encoding_b64url_char(char c);
/*
 * Decode unpadded base64url s[0..n) into out (cap bytes; no NUL added).
 * Returns the decoded length, or -1 when s holds a character outside the
 * alphabet, has a length of 4k + 1 (no byte string encodes to that), or
 * does not fit in cap.
 */
long encoding_b64url_decode(const char *s, size_t n, unsigned char *out, size_t cap);

/* The value of a hexadecimal digit (either case), or -1. */
int encoding_hex_value(char c);
/* in[0..n) as lower-case hex into out (2n + 1 bytes, NUL-terminated). */
void encoding_hex(const unsigned char *in, size_t n, char *out);

/* Room encoding_base32 needs for n bytes: 8 * ceil(n / 5) characters and the NUL. */
#define ENCODING_BASE32_SIZE(n) (((n) + 4) / 5 * 8 + 1)
/*
 * Encode in[0..n) into out (at least ENCODING_BASE32_SIZE(n) bytes, always
 * NUL-terminated): RFC 4648 section 6 base32 without '=' padding, the form
 * authenticator apps take a TOTP secret in. Returns the length written.
 */
size_t encoding_base32(const unsigned char *in, size_t n, char *out);

/* One byte as "%XX" (upper-case hex, RFC 3986 section 2.1) into out[0..3), no NUL. */
void encoding_percent_byte(unsigned char c, char out[3]);
/*
 * Percent-encode s into the arena: RFC 3986 unreserved characters
 * (ALPHA, DIGIT, "-._~") and those in keep stay, every other byte becomes
 * %XX. keep "" gives an application/x-www-form-urlencoded value; "/" a
 * path. NULL when the arena is at its cap.
 */
char *encoding_percent_encode(struct arena *a, const char *s, const char *keep);
/*
 * Percent-decode s[0..n) into the arena (NUL-terminated); '+' becomes a
 * space when plus_space (a form or query value). *outlen receives the
 * decoded length. NULL for a truncated or non-hex escape, an encoded NUL
 * (%00), or the arena cap. The result is not checked for UTF-8.
 */
char *encoding_percent_decode(struct arena *a, const char *s, size_t n, bool plus_space,
    size_t *outlen);

#endif
