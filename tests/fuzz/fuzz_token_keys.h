/* fuzz_token_keys.h -- the fixed JWT secrets of fuzz_token and seedgen, loaded the way the service loads them. */
#ifndef OW_FUZZ_TOKEN_KEYS_H
#define OW_FUZZ_TOKEN_KEYS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "token.h"

/* keys[0] signs; keys[1] only verifies (a rotated-out secret). */
#define FUZZ_SECRET_A "fuzz-secret-A-0123456789abcdef0123456789ABCDEF\n"
#define FUZZ_SECRET_B "fuzz-secret-B-rotated-out-9876543210fedcba9876"
#define FUZZ_ISSUER "overwatch"
#define FUZZ_NOW ((time_t)1767225600)   /* 2026-01-01T00:00:00Z: tokens in the corpus are valid at this time */

static struct config fuzz_cfg;
static struct token_keys fuzz_keys;

static void
fuzz_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* config_load on a temp INI naming two temp secret files, then token_keys_load; aborts on failure. */
static void
fuzz_keys_load(void)
{
	char dir[] = "/tmp/ow-fuzz-token.XXXXXX", a[64], b[64], ini[64], text[512];
	char err[CONFIG_ERR_LEN];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(a, sizeof(a), "%s/a.secret", dir);
	snprintf(b, sizeof(b), "%s/b.secret", dir);
	snprintf(ini, sizeof(ini), "%s/overwatch.conf", dir);
	fuzz_write(a, FUZZ_SECRET_A);
	fuzz_write(b, FUZZ_SECRET_B);
	snprintf(text, sizeof(text), "[jwt]\nsecret_file = %s\nverify_secret_files = %s\nissuer = %s\n",
	    a, b, FUZZ_ISSUER);
	fuzz_write(ini, text);
	if (config_load(&fuzz_cfg, ini, err) != 0 || token_keys_load(&fuzz_keys, &fuzz_cfg, err) != 0) {
		fprintf(stderr, "fuzz_keys_load: %s\n", err);
		abort();
	}
	if (fuzz_keys.n != 2)
		abort();
	unlink(a);
	unlink(b);
	unlink(ini);
	rmdir(dir);
}

#endif
