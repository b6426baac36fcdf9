/* mfa_crypt.h -- TOTP secrets at rest: AES-256-GCM under a key derived from [mfa] secret_file. */
#ifndef OW_MFA_CRYPT_H
#define OW_MFA_CRYPT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "totp.h"

#define MFA_KEY_LEN 32
#define MFA_SECRET_MIN 32       /* bytes the key file must hold, as the JWT secret (token.h) */
#define MFA_NONCE_LEN 12
#define MFA_TAG_LEN 16
/* A sealed secret: version byte, nonce, ciphertext of TOTP_SECRET_LEN bytes, tag. */
#define MFA_SEALED_LEN (1 + MFA_NONCE_LEN + TOTP_SECRET_LEN + MFA_TAG_LEN)

/* True when [mfa] secret_file is set, that is two-factor sign-in is offered. */
bool mfa_configured(const struct config *cfg);

/*
 * Read [mfa] secret_file (at least MFA_SECRET_MIN bytes, trailing newlines
 * not counted) and derive the AES key from it: SHA-256 of its contents, so
 * that the file overwatch-admin gen-secret writes serves as it is. The
 * caller wipes key after use. 0, or -1 with a message in err.
 */
int mfa_key_read(const struct config *cfg, unsigned char key[MFA_KEY_LEN], char err[CONFIG_ERR_LEN]);

/* Start-up and reload: 0 when [mfa] secret_file is unset or a usable key file, else -1 with err. */
int mfa_key_check(const struct config *cfg, char err[CONFIG_ERR_LEN]);

/*
 * Seal a TOTP secret for user_id (the additional data: a sealed secret
 * copied to another user's row does not open) into out. 0 or -1.
 */
int mfa_seal(const unsigned char key[MFA_KEY_LEN], const char *user_id,
    const unsigned char secret[TOTP_SECRET_LEN], unsigned char out[MFA_SEALED_LEN]);

/* Open what mfa_seal wrote for user_id into secret; -1 when it is not that (wrong key, user, bytes). */
int mfa_open(const unsigned char key[MFA_KEY_LEN], const char *user_id, const unsigned char *in,
    size_t inlen, unsigned char secret[TOTP_SECRET_LEN]);

#endif
