/*
 * fuzz_util.c -- the helpers that see client text: util_time_parse
 * (expires_at), util_email_normalize (register, login, users), util_utf8_valid
 * and util_utf8_len (every string field), util_uuid_valid (path ids),
 * util_parse_long (query parameters), util_slugify (organization names) and
 * password_char_count, util_utf8_clean and util_ascii_clean (audit fields).
 * The first byte picks the output buffer size for the
 * writers; the rest is the text, exact-size and NUL-terminated.
 *
 * Differential: util_utf8_valid and password_char_count implement the same
 * rule (RFC 3629) except that the former refuses U+0000.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "password.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t outlen = data[0];            /* 0..255: small buffers too */
	const uint8_t *d = data + 1;
	size_t n = size - 1;
	char *s = fz_strndup(d, n);
	/* Exact-size, unterminated copy for the (pointer, length) functions. */
	char *raw = malloc(n > 0 ? n : 1);
	char *out = malloc(outlen > 0 ? outlen : 1);
	time_t t;
	long v;

	if (raw == NULL || out == NULL)
		abort();
	if (n > 0)
		memcpy(raw, d, n);

	bool valid = util_utf8_valid(raw, n);
	long count = password_char_count(raw, n);
	if (memchr(raw, 0, n) == NULL && valid != (count >= 0)) {
		fprintf(stderr, "util_utf8_valid=%d but password_char_count=%ld\n", valid, count);
		abort();
	}
	if (valid && (long)util_utf8_len(raw, n) != count)
		abort();

	if (util_time_parse(s, &t) == 0) {
		char back[RFC3339_LEN];
		util_time_rfc3339(t, back);
		/* The canonical form (no fraction, Z, no leap second) reads back unchanged. */
		if (n == RFC3339_LEN - 1 && s[10] == 'T' && s[19] == 'Z' && s[17] != '6' &&
		    strcmp(back, s) != 0) {
			fprintf(stderr, "util_time_parse(\"%s\") formats back as \"%s\"\n", s, back);
			abort();
		}
	}
	if (outlen > 0 && util_email_normalize(s, out, outlen) == 0) {
		size_t m = strnlen(out, outlen);
		if (m >= outlen || m > 254 || !util_utf8_valid(out, m))
			abort();
		/* Normalising is idempotent: what is stored is what a lookup computes. */
		char *again = malloc(outlen);
		if (again == NULL || util_email_normalize(out, again, outlen) != 0 || strcmp(again, out) != 0)
			abort();
		free(again);
	}
	if (outlen > 0) {
		util_slugify(s, out, outlen);
		if (strnlen(out, outlen) >= outlen)
			abort();
	}
	if (outlen > 0) {
		/* What the audit trail stores: valid UTF-8 / printable ASCII, in bounds. */
		size_t m = util_utf8_clean(out, outlen, s, 64);
		if (m >= outlen || out[m] != '\0' || !util_utf8_valid(out, m) ||
		    util_utf8_len(out, m) > 64)
			abort();
		m = util_ascii_clean(out, outlen, s);
		if (m >= outlen || out[m] != '\0')
			abort();
		for (size_t i = 0; i < m; i++)
			if ((unsigned char)out[i] <= 0x20 || (unsigned char)out[i] >= 0x7f)
				abort();
	}
	(void)util_uuid_valid(s);
	(void)util_parse_long(s, -1000, 1000, &v);
	(void)util_parse_long(s, 0, 0x7fffffffL, &v);
	free(out);
	free(raw);
	free(s);
	return 0;
}
