/* pwpolicy.c -- a password's normal form (the only file that includes <uninorm.h>), the rules a new one must pass, and verification across normalisation. */
#include "pwpolicy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uninorm.h>

#include "log.h"
#include "pepper.h"
#include "pwlist.h"

#define STR_(x) #x
#define STR(x) STR_(x)

long
pwpolicy_normalize(const char *pw, size_t len, char out[PWPOLICY_NORMAL_MAX])
{
	char collapsed[PWPOLICY_NORMAL_MAX];
	size_t n = 0, nfc_len = PWPOLICY_NORMAL_MAX - 1;
	uint8_t *nfc = NULL;
	long rc = -1;

	out[0] = '\0';
	if (len > PWPOLICY_NORMAL_MAX - 1 || (pw == NULL && len != 0))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (pw[i] == ' ' && n > 0 && collapsed[n - 1] == ' ')
			continue;
		collapsed[n++] = pw[i];
	}
	if (n == 0)
		return 0;
	/*
	 * NFC: an accented letter typed precomposed on one device and as a
	 * letter and a combining mark on another is one password. libunistring
	 * writes into out when it fits (NFC can lengthen a few characters); it
	 * would replace bytes that are not UTF-8, so those are refused first.
	 */
	if (password_char_count(collapsed, n) >= 0)
		nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)collapsed, n, (uint8_t *)out, &nfc_len);
	if (nfc != NULL && nfc_len <= PWPOLICY_NORMAL_MAX - 1) {
		if (nfc != (uint8_t *)out)
			memcpy(out, nfc, nfc_len);
		out[nfc_len] = '\0';
		rc = (long)nfc_len;
	}
	if (nfc != NULL && nfc != (uint8_t *)out) {
		explicit_bzero(nfc, nfc_len);
		free(nfc);
	}
	if (rc < 0)
		explicit_bzero(out, PWPOLICY_NORMAL_MAX);
	explicit_bzero(collapsed, sizeof(collapsed));
	return rc;
}

const char *
pwpolicy_refusal(const char *normal, size_t len)
{
	long chars = password_char_count(normal, len);

	if (chars < PASSWORD_MIN_CHARS)
		return "must be at least " STR(PASSWORD_MIN_CHARS) " characters once runs of spaces count as one";
	if (pwlist_contains(normal, len))
		return "is too common: it is on the list of passwords attackers try first";
	return NULL;
}

enum password_verdict
pwpolicy_verify(const char *encoded, const char *pepper_id, const char *pw, bool *legacy)
{
	char normal[PWPOLICY_NORMAL_MAX];
	size_t len = strlen(pw);
	long n;
	enum password_verdict v;
	const struct password_key *key;

	*legacy = false;
	if (pepper_find(pepper_id, &key) != 0) {
		/* Fails closed: no key, no answer, whatever the password (doc/SECURITY.md section 23). */
		log_error("a password hash names pepper key '%s', which [password] pepper_file does not hold: "
		    "its user cannot sign in until the key is restored", pepper_id);
		return PASSWORD_ERROR;
	}
	if ((n = pwpolicy_normalize(pw, len, normal)) < 0)
		return password_verify_keyed(encoded, key, pw, len);
	v = password_verify_keyed(encoded, key, normal, (size_t)n);
	if (v == PASSWORD_MISMATCH && ((size_t)n != len || memcmp(normal, pw, len) != 0)) {
		/* Only a password whose normal form differs (a run of spaces, a decomposed accent) pays a second run. */
		v = password_verify_keyed(encoded, key, pw, len);
		*legacy = v == PASSWORD_MATCH;
	}
	/* A hash made with an older pepper key, or none, is re-made with the current one. */
	if (v == PASSWORD_MATCH && key != pepper_current())
		*legacy = true;
	explicit_bzero(normal, sizeof(normal));
	return v;
}

int
pwpolicy_hash(const struct password_params *p, const char *normal, size_t len, char out[PASSWORD_HASH_MAX])
{
	return password_hash_keyed(p, pepper_current(), normal, len, out);
}

void
pwpolicy_dummy_verify(const struct password_params *p, const char *pw)
{
	char normal[PWPOLICY_NORMAL_MAX];
	size_t len = strlen(pw);
	long n = pwpolicy_normalize(pw, len, normal);

	if (n < 0) {
		password_dummy_verify(p, pw, len);
		return;
	}
	password_dummy_verify(p, normal, (size_t)n);
	if ((size_t)n != len || memcmp(normal, pw, len) != 0)
		password_dummy_verify(p, pw, len);
	explicit_bzero(normal, sizeof(normal));
}
