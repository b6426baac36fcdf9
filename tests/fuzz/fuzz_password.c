/*
 * fuzz_password.c -- password_verify and password_needs_rehash on hostile PHC
 * strings (a corrupt or planted users.password_hash row) and any password
 * bytes. Input: "encoded\npassword" (the password may hold any byte, NUL too).
 *
 * argon2 cost is kept minimal: verification only runs for strings whose
 * m/t/p (read with the same grammar phc_parse insists on) are tiny; anything
 * phc_parse would refuse costs nothing anyway. password_needs_rehash, which
 * never runs argon2, sees everything.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "password.h"

#define CHEAP_M 256     /* KiB */
#define CHEAP_T 3
#define CHEAP_P 2

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads "N" at *s into *v (saturating), false if no digit. */
static bool
num(const char **s, unsigned long *v)
{
	const char *p = *s;

	*v = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++)
		*v = *v > 100000000UL ? 100000001UL : *v * 10 + (unsigned long)(*p - '0');
	*s = p;
	return true;
}

/*
 * True when argon2 would be cheap for enc, or phc_parse must refuse it (its
 * prefix is not "$argon2id$[v=N$]m=M,t=T,p=P").
 */
static bool
cheap(const char *enc)
{
	const char *s = enc;
	unsigned long v, m, t, p;

	if (strncmp(s, "$argon2id$", 10) != 0)
		return true;
	s += 10;
	if (s[0] == 'v' && s[1] == '=') {
		s += 2;
		if (!num(&s, &v) || *s++ != '$')
			return true;
	}
	if (strncmp(s, "m=", 2) != 0 || (s += 2, !num(&s, &m)) ||
	    strncmp(s, ",t=", 3) != 0 || (s += 3, !num(&s, &t)) ||
	    strncmp(s, ",p=", 3) != 0 || (s += 3, !num(&s, &p)))
		return true;
	return m <= CHEAP_M && t <= CHEAP_T && p <= CHEAP_P;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct password_params params[] = {
		{8, 1, 1}, {19456, 2, 1}, {65536, 3, 4},
	};
	const uint8_t *nl = memchr(data, '\n', size);
	size_t en = nl != NULL ? (size_t)(nl - data) : size;
	char *enc = fz_strndup(data, en);
	size_t pn = nl != NULL ? size - en - 1 : 0;
	/* Exact size and unterminated: password_verify takes (pointer, length). */
	char *pw = malloc(pn > 0 ? pn : 1);

	if (pw == NULL)
		abort();
	if (pn > 0)
		memcpy(pw, nl + 1, pn);
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		(void)password_needs_rehash(&params[i], enc);
	(void)password_needs_rehash(NULL, enc);
	if (password_needs_rehash(&params[0], NULL) != true)
		abort();
	(void)password_char_count(pw, pn);
	if (cheap(enc)) {
		enum password_verdict v = password_verify(enc, pw, pn);
		if (v != PASSWORD_MATCH && v != PASSWORD_MISMATCH && v != PASSWORD_ERROR)
			abort();
	}
	if (password_verify(NULL, pw, pn) != PASSWORD_ERROR)
		abort();
	free(pw);
	free(enc);
	return 0;
}
