/* pwpolicy.h -- what a password is before it is hashed: its normal form, and which new passwords are refused. */
#ifndef OW_PWPOLICY_H
#define OW_PWPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "password.h"

/* Room for the normal form of any password password_verify accepts, and its NUL. */
#define PWPOLICY_NORMAL_MAX (PASSWORD_MAX_CHARS * 4 + 1)

/*
 * The normal form of pw (len bytes) into out (PWPOLICY_NORMAL_MAX bytes,
 * caller-owned, NUL-terminated): every run of spaces (U+0020) becomes one
 * space, so that the length rule counts what a guesser has to guess, then
 * Unicode NFC (doc/SECURITY.md section 21). Returns its length, or -1 when
 * len is over PASSWORD_MAX_CHARS * 4 bytes, pw is not UTF-8 or its NFC
 * does not fit (out is then "").
 */
long pwpolicy_normalize(const char *pw, size_t len, char out[PWPOLICY_NORMAL_MAX]);

/*
 * Why a new password (already normal) is refused, as the message of a
 * VALIDATION_ERROR field error, or NULL when it is acceptable: fewer than
 * PASSWORD_MIN_CHARS characters, or on the list of common passwords.
 */
const char *pwpolicy_refusal(const char *normal, size_t len);

/*
 * Verify what a user typed (pw, NUL-terminated) against encoded, made with
 * the pepper key pepper_id (NULL: none; src/pepper.c): its normal form
 * first, then, when that differs and does not match, pw as typed, the form
 * hashes made before normalisation hold. *legacy is set when only the typed
 * form matched, or when the hash's pepper key is not the current one: the
 * caller re-hashes the normal form (pwpolicy_hash). A key this process does
 * not hold is PASSWORD_ERROR, logged for the operator (the id, never the
 * key). The stack copy of the normal form is wiped before returning.
 */
enum password_verdict pwpolicy_verify(const char *encoded, const char *pepper_id, const char *pw,
    bool *legacy);

/*
 * Hash a normal form (pwpolicy_normalize) with p and the current pepper key,
 * into out as password_hash does; the id to store beside it is
 * pepper_current_id(). 0 or -1.
 */
int pwpolicy_hash(const struct password_params *p, const char *normal, size_t len, char out[PASSWORD_HASH_MAX]);

/*
 * What pwpolicy_verify costs for a wrong pw, against no account: one argon2
 * run with p (password_dummy_verify), two when the normal form differs from
 * pw, so that an unknown email answers as slowly as a known one whatever
 * the password (doc/SECURITY.md section 5).
 */
void pwpolicy_dummy_verify(const struct password_params *p, const char *pw);

#endif
