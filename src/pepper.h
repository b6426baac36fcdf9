/* pepper.h -- the password pepper: argon2's secret input, keys read from [password] pepper_file. */
#ifndef OW_PEPPER_H
#define OW_PEPPER_H

#include <stddef.h>

#include "config.h"
#include "password.h"

#define PEPPER_ID_MAX 32        /* characters of a key id: [A-Za-z0-9_-] */
#define PEPPER_KEY_MIN 32       /* bytes of a key's secret text */
#define PEPPER_KEY_MAX 256
#define PEPPER_KEYS_MAX 16

/*
 * Read cfg's pepper_file into this process's key set, replacing what was
 * there: one "id:secret" a line (blank lines and lines starting with '#'
 * skipped), the first line the current key, the others older keys still
 * accepted (doc/SECURITY.md section 23). An empty pepper_file setting
 * means no pepper. Returns 0, or -1 with err set (the path and why, never
 * a key), the set then empty.
 */
int pepper_load(const struct config *cfg, char err[CONFIG_ERR_LEN]);

/* The id of the key new hashes are made with, or NULL when there is no pepper. */
const char *pepper_current_id(void);

/* The current key as password.c takes it, or NULL when there is no pepper. */
const struct password_key *pepper_current(void);

/*
 * The key a stored hash was made with: id NULL (a hash made without pepper)
 * gives *key NULL and 0; a known id gives its key and 0; an id this
 * process has no key for gives -1.
 */
int pepper_find(const char *id, const struct password_key **key);

/* Wipe and forget every key. */
void pepper_clear(void);

#endif
