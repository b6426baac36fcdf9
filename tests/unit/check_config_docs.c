/*
 * check_config_docs.c -- the configuration documentation is the key table of
 * src/config.c: README.md's configuration table (every key, in table order,
 * with its default and range) and overwatch.conf(5) (every key under its
 * section, in the same order, each number with its default and range). A key
 * added, removed, reordered or given another default in config.c fails here
 * until both documents say the same.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#ifndef OW_SRCDIR
#define OW_SRCDIR "."
#endif
#define DOC_MAX (512 * 1024)

static char *
slurp(const char *rel)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", OW_SRCDIR, rel);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *buf = malloc(DOC_MAX + 1);
	ck_assert(buf != NULL);
	size_t n = fread(buf, 1, DOC_MAX, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* What the README shows as the default: `value`, (empty), paths under /etc. */
static void
readme_default(const struct config_key_doc *k, char *out, size_t len)
{
	const char *def = k->def;
	size_t sys = strlen(SYSCONFDIR);
	if (def[0] == '\0') {
		snprintf(out, len, "(empty)");
		return;
	}
	/* The package's paths: the table documents /etc, whatever this build's prefix. */
	if (strncmp(def, SYSCONFDIR, sys) == 0 && def[sys] == '/')
		snprintf(out, len, "`/etc%s`", def + sys);
	else
		snprintf(out, len, "`%s`", def);
}

static void
readme_range(const struct config_key_doc *k, char *out, size_t len)
{
	if (strcmp(k->kind, "n") == 0) {
		snprintf(out, len, "%ld..%ld", k->min, k->max);
	} else if (strcmp(k->kind, "bool") == 0) {
		snprintf(out, len, "true \\| false");
	} else if (strcmp(k->kind, "enum") == 0) {
		size_t o = 0;
		out[0] = '\0';
		for (size_t i = 0; k->names[i] != NULL && o < len; i++)
			o += (size_t)snprintf(out + o, len - o, "%s%s", i > 0 ? " \\| " : "", k->names[i]);
	} else {
		snprintf(out, len, "text");
	}
}

/* Split a table row into at most n cells on '|' not escaped as '\|'; trims spaces. */
static size_t
row_cells(char *row, char **cells, size_t n)
{
	size_t c = 0;
	char *p = row;
	if (*p == '|')
		p++;
	while (*p != '\0' && c < n) {
		char *start = p;
		while (*p != '\0' && !(*p == '|' && p[-1] != '\\'))
			p++;
		char *end = p;
		while (start < end && *start == ' ')
			start++;
		while (end > start && end[-1] == ' ')
			end--;
		if (*p == '|')
			p++;
		*end = '\0';
		cells[c++] = start;
	}
	return c;
}

START_TEST(test_readme_table_is_the_key_table)
{
	char *doc = slurp("README.md");
	char *line = doc, *next;
	size_t i = 0;
	struct config_key_doc k;

	for (; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "| `[", 4) != 0)
			continue;
		char *cells[6], want[512];
		size_t n = row_cells(line, cells, 6);
		ck_assert_msg(n >= 5, "README row %zu has %zu cells", i, n);
		ck_assert_msg(config_key_doc(i, &k), "README lists more keys than config.c (%s %s)",
		    cells[0], cells[1]);
		snprintf(want, sizeof(want), "`[%s]`", k.section);
		ck_assert_msg(strcmp(cells[0], want) == 0 && strncmp(cells[1], "`", 1) == 0 &&
		    strncmp(cells[1] + 1, k.key, strlen(k.key)) == 0 && cells[1][strlen(k.key) + 1] == '`',
		    "README row %zu is %s %s, config.c has [%s] %s here", i, cells[0], cells[1], k.section,
		    k.key);
		readme_default(&k, want, sizeof(want));
		ck_assert_msg(strcmp(cells[2], want) == 0, "README: [%s] %s default is %s, config.c says %s",
		    k.section, k.key, cells[2], want);
		readme_range(&k, want, sizeof(want));
		ck_assert_msg(strcmp(cells[3], want) == 0, "README: [%s] %s range is '%s', config.c says '%s'",
		    k.section, k.key, cells[3], want);
		ck_assert_msg(cells[4][0] != '\0', "README: [%s] %s has no description", k.section, k.key);
		i++;
	}
	ck_assert_msg(!config_key_doc(i, &k), "README's table ends before [%s] %s", k.section, k.key);
	free(doc);
}
END_TEST

/* An entry of key i says its default (and, for a number, its range). */
static void
check_entry(const char *entry, size_t i)
{
	struct config_key_doc k;
	char want[128], alt[128];

	ck_assert(config_key_doc(i, &k));
	if (strcmp(k.kind, "text") == 0)
		return;
	snprintf(want, sizeof(want), "Default %s", k.def);
	snprintf(alt, sizeof(alt), "Default\n.Cm %s", k.def);
	ck_assert_msg(strstr(entry, want) != NULL || strstr(entry, alt) != NULL,
	    "overwatch.conf.5: [%s] %s does not say '%s'", k.section, k.key, want);
	if (strcmp(k.kind, "n") == 0) {
		snprintf(want, sizeof(want), "%ld to %ld", k.min, k.max);
		ck_assert_msg(strstr(entry, want) != NULL,
		    "overwatch.conf.5: [%s] %s does not say its range '%s'", k.section, k.key, want);
	}
}

/* Every `.It Cm key` entry of overwatch.conf(5), in order, under its section. */
START_TEST(test_man_page_documents_every_key)
{
	char *doc = slurp("doc/overwatch.conf.5");
	char *keys_start = strstr(doc, "\n.Sh SECTIONS AND KEYS");
	ck_assert_msg(keys_start != NULL, "overwatch.conf.5 has no SECTIONS AND KEYS");
	char *keys_end = strstr(keys_start + 1, "\n.Sh ");
	if (keys_end != NULL)
		*keys_end = '\0';
	char section[64] = "", *p = keys_start + 1, *entry = NULL;
	size_t i = 0;
	struct config_key_doc k;

	/* Each entry runs from its `.It Cm` line to the next entry or section. */
	for (;;) {
		char *line = p;
		bool last = *line == '\0';
		bool boundary = last || strncmp(line, ".It Cm ", 7) == 0 || strncmp(line, ".Ss ", 4) == 0;
		if (boundary && entry != NULL) {
			if (!last)
				line[-1] = '\0';
			check_entry(entry, i - 1);
			entry = NULL;
		}
		if (last)
			break;
		char *nl = strchr(line, '\n');
		p = nl != NULL ? nl + 1 : line + strlen(line);
		if (strncmp(line, ".Ss \\(lB", 8) == 0) {
			size_t n = strcspn(line + 8, "\\\n");
			snprintf(section, sizeof(section), "%.*s", (int)n, line + 8);
		} else if (strncmp(line, ".It Cm ", 7) == 0) {
			size_t n = strcspn(line + 7, " \n");
			ck_assert_msg(config_key_doc(i, &k), "overwatch.conf.5 documents more keys than "
			    "config.c ([%s] %.*s)", section, (int)n, line + 7);
			ck_assert_msg(strcmp(section, k.section) == 0 && n == strlen(k.key) &&
			    strncmp(line + 7, k.key, n) == 0, "overwatch.conf.5 key %zu is [%s] %.*s, config.c "
			    "has [%s] %s here", i, section, (int)n, line + 7, k.section, k.key);
			entry = line;
			i++;
		}
	}
	ck_assert_msg(!config_key_doc(i, &k), "overwatch.conf.5 does not document [%s] %s",
	    k.section, k.key);
	free(doc);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_docs");
	TCase *tc = tcase_create("docs");

	tcase_add_test(tc, test_readme_table_is_the_key_table);
	tcase_add_test(tc, test_man_page_documents_every_key);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
