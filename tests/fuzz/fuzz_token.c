/*
 * fuzz_token.c -- token_verify as auth.c calls it on a Bearer token or the
 * access_token cookie, for both token types, with the two keys of a rotation.
 *
 * The first byte picks the mode:
 *   0, 1  the rest is the token text, verbatim;
 *   2     the rest is "header JSON\npayload JSON": the harness base64url-encodes
 *         both and signs them with the current key, so the fuzzer gets past the
 *         signature into libjwt's and token.c's claim handling;
 *   3     as 2, signed with the verify-only (rotated-out) key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz_common.h"
#include "fuzz_token_keys.h"

#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_keys_load();
	return 0;
}

static size_t
b64url(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i = 0;

	for (; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

/* header.payload.signature with HMAC-SHA256 under key; malloc'd exact size. */
static char *
sign(const struct token_key *key, const uint8_t *h, size_t hn, const uint8_t *p, size_t pn)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	size_t cap = (hn + pn) / 3 * 4 + 8 + 1 + 64 + 1;
	char *tmp = malloc(cap);

	if (tmp == NULL)
		abort();
	size_t n = b64url(h, hn, tmp);
	tmp[n++] = '.';
	n += b64url(p, pn, tmp + n);
	if (HMAC(EVP_sha256(), key->secret, (int)key->len, (unsigned char *)tmp, n, mac, &maclen) == NULL)
		abort();
	tmp[n++] = '.';
	n += b64url(mac, maclen, tmp + n);
	char *tok = fz_strndup((const uint8_t *)tmp, n);
	free(tmp);
	return tok;
}

static void
verify(const char *tok)
{
	static const enum token_type types[] = {TOKEN_ACCESS, TOKEN_REFRESH};

	for (size_t i = 0; i < 2; i++) {
		struct token_claims c;
		memset(&c, 0x5a, sizeof(c));
		enum token_error e = token_verify(&fuzz_keys, tok, types[i], FUZZ_NOW, &c);
		const char *detail = token_error_detail(e);
		if (detail == NULL)
			abort();
		if (e != TOKEN_OK)
			continue;
		/* What auth.c and session.c then trust without looking again. */
		if (c.type != types[i] || !util_uuid_valid(c.sub) || !util_uuid_valid(c.org_id) ||
		    !util_uuid_valid(c.sid) || !util_uuid_valid(c.jti) ||
		    strnlen(c.role, sizeof(c.role)) == sizeof(c.role) || c.role[0] == '\0' ||
		    c.exp <= FUZZ_NOW || c.iat <= 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned mode = data[0] & 3;
	const uint8_t *d = data + 1;
	size_t n = size - 1;
	char *tok;

	if (mode < 2) {
		tok = fz_strndup(d, n);
	} else {
		const uint8_t *nl = memchr(d, '\n', n);
		size_t hn = nl != NULL ? (size_t)(nl - d) : n;
		const uint8_t *p = nl != NULL ? nl + 1 : d + n;
		size_t pn = nl != NULL ? n - hn - 1 : 0;
		tok = sign(&fuzz_keys.keys[mode == 2 ? 0 : 1], d, hn, p, pn);
	}
	verify(tok);
	free(tok);
	return 0;
}
