/*
 * check_asvs_docs.c -- doc/ASVS.md cannot rot: every test it cites as proof
 * exists under that name, every document section it cites exists, every row
 * has one of the four statuses, no requirement is listed twice, and the
 * "Counts" table (and README.md's summary of it) is the count of the rows. A test renamed or removed fails
 * here until the document follows.
 *
 * A citation is a code span `tests/PATH::NAME`; NAME must be defined in PATH:
 * a Python `def NAME(`, a Check `START_TEST(NAME)`, a browser
 * `test('NAME'` or a package script's `step "NAME"`. A code span `tests/PATH`
 * without a name is accepted only for the modules below.
 */
#include "unit.h"

#ifndef OW_SRCDIR
#define OW_SRCDIR "."
#endif

/* Modules of work merged in parallel with doc/ASVS.md, cited without test
 * names because those were not known when the rows were written. Once each
 * exists, its rows should name its tests and it should leave this list; a
 * module still missing after the merge is reported on stderr, so whoever
 * merges sees it. */
static const char *const pending_modules[] = {
	NULL,
};

static const char *const statuses[] = {"met", "partly", "not met", "n/a", NULL};

/* The whole of a file of the source tree as a string, or NULL if it cannot
 * be read; the caller frees it. */
static char *
read_tree_file(const char *rel)
{
	char path[1024];
	char *text = NULL;
	long size;
	FILE *f;

	ck_assert((size_t)snprintf(path, sizeof path, "%s/%s", OW_SRCDIR, rel) < sizeof path);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = malloc((size_t)size + 1)) != NULL) {
		size_t got = fread(text, 1, (size_t)size, f);
		text[got] = '\0';
	}
	fclose(f);
	return text;
}

static char *
asvs_doc(void)
{
	char *doc = read_tree_file("doc/ASVS.md");

	ck_assert_msg(doc != NULL, "cannot read %s/doc/ASVS.md", OW_SRCDIR);
	return doc;
}

static bool
is_pending(const char *module)
{
	for (size_t i = 0; pending_modules[i] != NULL; i++)
		if (strcmp(pending_modules[i], module) == 0)
			return true;
	return false;
}

/* How NAME is defined in a file of PATH's kind, in def (len bytes). */
static void
definition_of(const char *path, const char *name, char *def, size_t len)
{
	const char *ext = strrchr(path, '.');
	const char *open = "def ", *close = "(";

	if (ext != NULL && strcmp(ext, ".c") == 0)
		open = "START_TEST(", close = ")";
	else if (ext != NULL && strcmp(ext, ".mjs") == 0)
		open = "test('", close = "'";
	else if (ext != NULL && strcmp(ext, ".sh") == 0)
		open = "step \"", close = "\"";
	ck_assert_msg((size_t)snprintf(def, len, "%s%s%s", open, name, close) < len,
	    "cited name too long: %s", name);
}

/* One citation, the text of a code span starting "tests/". */
static void
check_citation(char *cite)
{
	char *sep = strstr(cite, "::");
	char def[1024];
	char *text;

	if (sep == NULL) {
		ck_assert_msg(is_pending(cite), "doc/ASVS.md cites %s without a test name; only the "
		    "pending modules of check_asvs_docs.c may be cited so", cite);
		text = read_tree_file(cite);
		if (text == NULL)
			fprintf(stderr, "check_asvs_docs: pending module %s does not exist yet\n", cite);
		free(text);
		return;
	}
	*sep = '\0';
	text = read_tree_file(cite);
	ck_assert_msg(text != NULL, "doc/ASVS.md cites %s, which does not exist", cite);
	definition_of(cite, sep + 2, def, sizeof def);
	ck_assert_msg(strstr(text, def) != NULL, "doc/ASVS.md cites %s::%s; %s has no %s", cite,
	    sep + 2, cite, def);
	free(text);
}

START_TEST(test_every_cited_test_exists)
{
	char *doc = asvs_doc();
	size_t cited = 0;

	for (char *p = strchr(doc, '`'); p != NULL; p = strchr(p, '`')) {
		char *end = strchr(p + 1, '`');
		ck_assert_msg(end != NULL, "doc/ASVS.md: an unclosed code span at %.40s", p);
		*end = '\0';
		if (strncmp(p + 1, "tests/", 6) == 0) {
			check_citation(p + 1);
			cited++;
		}
		p = end + 1;
	}
	ck_assert_msg(cited > 100, "doc/ASVS.md cites only %zu tests", cited);
	free(doc);
}
END_TEST

/* "doc/NAME.md section N": NAME.md has a heading "## N." */
START_TEST(test_every_cited_section_exists)
{
	char *doc = asvs_doc();
	size_t cited = 0;

	for (char *p = strstr(doc, "doc/"); p != NULL; p = strstr(p + 1, "doc/")) {
		char name[64], file[80], heading[32], *text;
		unsigned section;

		if (sscanf(p + 4, "%59[A-Za-z_-].md section %u", name, &section) != 2)
			continue;
		snprintf(file, sizeof file, "doc/%s.md", name);
		text = read_tree_file(file);
		ck_assert_msg(text != NULL, "doc/ASVS.md cites %s, which does not exist", file);
		snprintf(heading, sizeof heading, "\n## %u. ", section);
		ck_assert_msg(strstr(text, heading) != NULL, "doc/ASVS.md cites %s section %u, which "
		    "has no such heading", file, section);
		free(text);
		cited++;
	}
	ck_assert_msg(cited > 5, "doc/ASVS.md cites only %zu document sections", cited);
	free(doc);
}
END_TEST

/* Requirement rows and the Counts table, chapter by chapter. */
struct tally {
	char chapter[8];
	unsigned n[4];
};

/* The status cell of a requirement row ("| 2.1.1 | text | L | status |"),
 * as an index of statuses[], or -1. */
static int
row_status(const char *row)
{
	const char *cell = row;

	for (int bar = 0; bar < 3 && cell != NULL; bar++)
		cell = strchr(cell + 1, '|');
	if (cell == NULL)
		return -1;
	for (int i = 0; statuses[i] != NULL; i++) {
		size_t n = strlen(statuses[i]);
		if (cell[1] == ' ' && strncmp(cell + 2, statuses[i], n) == 0 &&
		    strncmp(cell + 2 + n, " |", 2) == 0)
			return i;
	}
	return -1;
}

/* Counts every requirement row into t (one per "## Vn" chapter, up to max);
 * returns the number of chapters. */
static size_t
tally_rows(char *doc, struct tally *t, size_t max)
{
	size_t chapters = 0;
	char seen[4096] = "";

	for (char *line = strtok(doc, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char id[16], key[20];
		if (strncmp(line, "## V", 4) == 0) {
			ck_assert(chapters < max);
			sscanf(line + 3, "%7s", t[chapters].chapter);
			chapters++;
			continue;
		}
		if (sscanf(line, "| %15[0-9.] |", id) != 1 || strchr(id, '.') == NULL)
			continue;
		int st = row_status(line);
		ck_assert_msg(chapters > 0, "requirement %s before any chapter", id);
		ck_assert_msg(st >= 0, "requirement %s has no status of: met, partly, not met, n/a", id);
		snprintf(key, sizeof key, " %s ", id);
		ck_assert_msg(strstr(seen, key) == NULL, "requirement %s is listed twice", id);
		ck_assert(strlen(seen) + strlen(key) < sizeof seen);
		strcat(seen, key);
		t[chapters - 1].n[st]++;
	}
	return chapters;
}

/* README.md's "OWASP ASVS" states the totals of doc/ASVS.md. */
static void
readme_states(const unsigned all[4])
{
	char *readme = read_tree_file("README.md");
	char want[160];

	ck_assert_msg(readme != NULL, "cannot read %s/README.md", OW_SRCDIR);
	snprintf(want, sizeof want, "of the %u level 1 and 2 requirements,\n%u are met, %u do not apply, "
	    "%u are met in part and %u are not met.", all[0] + all[1] + all[2] + all[3], all[0], all[3],
	    all[1], all[2]);
	ck_assert_msg(strstr(readme, want) != NULL, "README.md does not say: %s", want);
	free(readme);
}

START_TEST(test_counts_are_the_rows)
{
	char *doc = asvs_doc();
	char *copy = strdup(doc);
	struct tally t[16] = {0};
	unsigned all[4] = {0};
	size_t chapters;

	ck_assert(copy != NULL);
	chapters = tally_rows(copy, t, 16);
	ck_assert_msg(chapters == 8, "doc/ASVS.md has %zu chapters, not 8", chapters);
	for (size_t c = 0; c <= chapters; c++) {
		const char *name = c < chapters ? t[c].chapter : "all";
		const unsigned *n = c < chapters ? t[c].n : all;
		char want[512];
		snprintf(want, sizeof want, "\n| %s | %u | %u | %u | %u | %u |\n", name, n[0], n[1], n[2],
		    n[3], n[0] + n[1] + n[2] + n[3]);
		ck_assert_msg(strstr(doc, want) != NULL, "doc/ASVS.md Counts: want the row %.*s", (int)strlen(want) - 2, want + 1);
		for (int i = 0; c < chapters && i < 4; i++)
			all[i] += n[i];
	}
	free(copy);
	free(doc);
	readme_states(all);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("asvs_docs");
	TCase *tc = unit_tcase(s, "asvs", 30);

	tcase_add_test(tc, test_every_cited_test_exists);
	tcase_add_test(tc, test_every_cited_section_exists);
	tcase_add_test(tc, test_counts_are_the_rows);
	return unit_run(s, false);
}
