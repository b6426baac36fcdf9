/* unit.h -- what the Check unit tests (tests/unit/check_*.c) share: the
 * includes every one of them needs, a printable form of a string for failure
 * messages, and the runner their main() calls. Header only: each test is one
 * program linked with libow.a (doc/HACKING.md section 4, "Add a test"). */
#ifndef OW_TESTS_UNIT_H
#define OW_TESTS_UNIT_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s with control and non-ASCII bytes as \xNN, for failure messages; the
 * result lives in buf (len bytes) and is cut short rather than overflowing. */
static inline const char *
unit_visible(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0' && n + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return s == NULL ? "(null)" : buf;
}

/* A test case of s, added to it, whose every test must end within timeout
 * seconds, so that a hung test fails instead of stalling make check; Check
 * frees it with s. */
static inline TCase *
unit_tcase(Suite *s, const char *name, double timeout)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

/* Runs every case of s (and frees it) and gives main() its exit status.
 * one_process runs the cases without forking (Check's CK_NOFORK), for a
 * suite whose fixtures are expensive to make per case; otherwise Check's
 * default (a fork per case, unless CK_FORK=no) applies. */
static inline int
unit_run(Suite *s, bool one_process)
{
	SRunner *sr = srunner_create(s);
	int failed;

	if (one_process)
		srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
