/* mfa_crypt.c -- seal and open TOTP secrets with AES-256-GCM through libcrypto's EVP interface. */
#include "mfa_crypt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "util.h"

#define KEY_FILE_MAX 4096
#define SEAL_VERSION 1

bool
mfa_configured(const struct config *cfg)
{
	return cfg->mfa_secret_file != NULL && cfg->mfa_secret_file[0] != '\0';
}

int
mfa_key_read(const struct config *cfg, unsigned char key[MFA_KEY_LEN], char err[CONFIG_ERR_LEN])
{
	unsigned char buf[KEY_FILE_MAX + 1];
	FILE *f = fopen(cfg->mfa_secret_file, "rb");
	int rc = -1;

	if (f == NULL) {
		snprintf(err, CONFIG_ERR_LEN, "[mfa] secret file %s: %s", cfg->mfa_secret_file, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n > KEY_FILE_MAX)
		snprintf(err, CONFIG_ERR_LEN, "[mfa] secret file %s: larger than %d bytes", cfg->mfa_secret_file,
		    KEY_FILE_MAX);
	else if (n < MFA_SECRET_MIN)
		snprintf(err, CONFIG_ERR_LEN, "[mfa] secret file %s: holds %zu bytes, at least %d are required",
		    cfg->mfa_secret_file, n, MFA_SECRET_MIN);
	else if (SHA256(buf, n, key) != NULL)
		rc = 0;
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

int
mfa_key_check(const struct config *cfg, char err[CONFIG_ERR_LEN])
{
	unsigned char key[MFA_KEY_LEN];

	if (!mfa_configured(cfg))
		return 0;
	int rc = mfa_key_read(cfg, key, err);
	explicit_bzero(key, sizeof(key));
	return rc;
}

/* Run AES-256-GCM one way over TOTP_SECRET_LEN bytes; tag is written (seal) or checked (open). */
static int
gcm(bool seal, const unsigned char key[MFA_KEY_LEN], const unsigned char nonce[MFA_NONCE_LEN],
    const char *user_id, const unsigned char *in, unsigned char *out, unsigned char tag[MFA_TAG_LEN])
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int len = 0, ok;

	if (x == NULL)
		return -1;
	ok = EVP_CipherInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL, seal ? 1 : 0) == 1 &&
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, MFA_NONCE_LEN, NULL) == 1 &&
	    EVP_CipherInit_ex(x, NULL, NULL, key, nonce, seal ? 1 : 0) == 1 &&
	    EVP_CipherUpdate(x, NULL, &len, (const unsigned char *)user_id, (int)strlen(user_id)) == 1 &&
	    EVP_CipherUpdate(x, out, &len, in, TOTP_SECRET_LEN) == 1 && len == TOTP_SECRET_LEN &&
	    (seal || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, MFA_TAG_LEN, tag) == 1) &&
	    EVP_CipherFinal_ex(x, out + len, &len) == 1 &&
	    (!seal || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, MFA_TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

int
mfa_seal(const unsigned char key[MFA_KEY_LEN], const char *user_id,
    const unsigned char secret[TOTP_SECRET_LEN], unsigned char out[MFA_SEALED_LEN])
{
	unsigned char *nonce = out + 1, *ct = nonce + MFA_NONCE_LEN, *tag = ct + TOTP_SECRET_LEN;

	out[0] = SEAL_VERSION;
	/* A random 96-bit nonce per seal: a key seals one secret per enrolment, far below 2^32. */
	if (util_random(nonce, MFA_NONCE_LEN) != 0)
		return -1;
	return gcm(true, key, nonce, user_id, secret, ct, tag);
}

int
mfa_open(const unsigned char key[MFA_KEY_LEN], const char *user_id, const unsigned char *in,
    size_t inlen, unsigned char secret[TOTP_SECRET_LEN])
{
	unsigned char tag[MFA_TAG_LEN];

	if (in == NULL || inlen != MFA_SEALED_LEN || in[0] != SEAL_VERSION)
		return -1;
	memcpy(tag, in + 1 + MFA_NONCE_LEN + TOTP_SECRET_LEN, MFA_TAG_LEN);
	if (gcm(false, key, in + 1, user_id, in + 1 + MFA_NONCE_LEN, secret, tag) != 0) {
		explicit_bzero(secret, TOTP_SECRET_LEN);
		return -1;
	}
	return 0;
}
