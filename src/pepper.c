/* pepper.c -- the password pepper's keys: read once per process from [password] pepper_file. */
#include "pepper.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct pepper_entry {
	char id[PEPPER_ID_MAX + 1];
	unsigned char secret[PEPPER_KEY_MAX];
	struct password_key key;
};

/* Workers serve one request at a time and never change the set after start-up. */
static struct pepper_entry keys[PEPPER_KEYS_MAX];
static size_t nkeys;

void
pepper_clear(void)
{
	explicit_bzero(keys, sizeof(keys));
	nkeys = 0;
}

static bool
id_ok(const char *s, size_t n)
{
	if (n == 0 || n > PEPPER_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/* One "id:secret" line (no newline) into the next entry; NULL, or why it is refused. */
static const char *
add_line(const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t idlen = colon != NULL ? (size_t)(colon - line) : 0;
	size_t klen = colon != NULL ? len - idlen - 1 : 0;

	if (colon == NULL || !id_ok(line, idlen))
		return "a line is not ID:SECRET with an ID of 1 to 32 of A-Z a-z 0-9 - _";
	if (klen < PEPPER_KEY_MIN || klen > PEPPER_KEY_MAX)
		return "a key's secret is not 32 to 256 bytes";
	if (nkeys == PEPPER_KEYS_MAX)
		return "more than 16 keys";
	for (size_t i = 0; i < nkeys; i++)
		if (strlen(keys[i].id) == idlen && memcmp(keys[i].id, line, idlen) == 0)
			return "a key id appears twice";
	struct pepper_entry *e = &keys[nkeys++];
	memcpy(e->id, line, idlen);
	e->id[idlen] = '\0';
	memcpy(e->secret, colon + 1, klen);
	e->key = (struct password_key){e->secret, klen};
	return NULL;
}

/* Every line of f; NULL, or why the file is refused. */
static const char *
read_keys(FILE *f)
{
	char line[PEPPER_ID_MAX + PEPPER_KEY_MAX + 8];
	const char *why = NULL;

	while (why == NULL && fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n')
			why = "a line is longer than an id and a key";
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (why == NULL && n > 0 && line[0] != '#')
			why = add_line(line, n);
	}
	if (why == NULL && ferror(f))
		why = "read error";
	if (why == NULL && nkeys == 0)
		why = "holds no key";
	explicit_bzero(line, sizeof(line));
	return why;
}

int
pepper_load(const struct config *cfg, char err[CONFIG_ERR_LEN])
{
	const char *path = cfg->pepper_file;
	const char *why;

	pepper_clear();
	if (path == NULL || path[0] == '\0')
		return 0;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, CONFIG_ERR_LEN, "[password] pepper_file %s: %s", path, strerror(errno));
		return -1;
	}
	why = read_keys(f);
	fclose(f);
	if (why == NULL)
		return 0;
	pepper_clear();
	snprintf(err, CONFIG_ERR_LEN, "[password] pepper_file %s: %s", path, why);
	return -1;
}

const char *
pepper_current_id(void)
{
	return nkeys > 0 ? keys[0].id : NULL;
}

const struct password_key *
pepper_current(void)
{
	return nkeys > 0 ? &keys[0].key : NULL;
}

int
pepper_find(const char *id, const struct password_key **key)
{
	*key = NULL;
	if (id == NULL)
		return 0;
	for (size_t i = 0; i < nkeys; i++)
		if (strcmp(keys[i].id, id) == 0) {
			*key = &keys[i].key;
			return 0;
		}
	return -1;
}
