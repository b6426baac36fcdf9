/* encoding.c -- base64, base64url, hex and percent-encoding: every encoder and decoder in one room. */
#include "encoding.h"

#include <stdint.h>
#include <string.h>

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

size_t
encoding_base64(const unsigned char *in, size_t n, char *out, bool url)
{
	const char *alpha = url ? b64_url : b64_std;
	size_t o = 0, i = 0;

	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = alpha[v >> 6 & 63];
		else if (!url)
			out[o++] = '=';
		if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* The value of a base64url character, or -1 (a NUL is not among the 64 searched). */
static int
b64url_value(char c)
{
	const char *p = memchr(b64_url, c, 64);
	return p != NULL ? (int)(p - b64_url) : -1;
}

bool
encoding_b64url_char(char c)
{
	return b64url_value(c) >= 0;
}

long
encoding_b64url_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	/* 4n+1 characters cannot come from any byte string. */
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)o;
}

int
encoding_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
encoding_hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_lower[in[i] >> 4];
		out[2 * i + 1] = hex_lower[in[i] & 15];
	}
	out[2 * n] = '\0';
}

size_t
encoding_base32(const unsigned char *in, size_t n, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t o = 0;
	unsigned int acc = 0, bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return o;
}

void
encoding_percent_byte(unsigned char c, char out[3])
{
	out[0] = '%';
	out[1] = hex_upper[c >> 4];
	out[2] = hex_upper[c & 15];
}

static bool
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

char *
encoding_percent_encode(struct arena *a, const char *s, const char *keep)
{
	size_t n = strlen(s);
	char *out = arena_alloc(a, n * 3 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (unreserved(*p) || strchr(keep, *p) != NULL) {
			*o++ = (char)*p;
		} else {
			encoding_percent_byte(*p, o);
			o += 3;
		}
	}
	*o = '\0';
	return out;
}

char *
encoding_percent_decode(struct arena *a, const char *s, size_t n, bool plus_space, size_t *outlen)
{
	char *out = arena_alloc(a, n + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= n || (hi = encoding_hex_value(s[i + 1])) < 0 ||
			    (lo = encoding_hex_value(s[i + 2])) < 0)
				return NULL;
			char c = (char)(hi * 16 + lo);
			if (c == '\0')
				return NULL;
			*o++ = c;
			i += 2;
		} else if (s[i] == '+' && plus_space) {
			*o++ = ' ';
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}
