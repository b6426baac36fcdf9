/* check_epoch.c -- the revocation epoch file: who may own it, sharing across processes, the poller's lease. */
#include "unit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "epoch.h"

static char dir[] = "/tmp/check_epoch.XXXXXX";

static const char *
path_of(const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

START_TEST(test_create_mode_and_share)
{
	struct epoch a, b;
	char why[160] = "";
	const char *p = path_of("fresh");
	struct stat st;

	ck_assert_msg(epoch_open(&a, p, true, geteuid(), why, sizeof(why)) == 0, "open: %s", why);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(epoch_open(&b, p, true, geteuid(), why, sizeof(why)), 0);
	uint64_t e0 = epoch_read(&a);
	epoch_bump(&a);
	ck_assert_uint_eq(epoch_read(&b), e0 + 1);
	epoch_close(&a);
	epoch_close(&b);
	ck_assert(!epoch_is_open(&a));
	ck_assert_uint_eq(epoch_read(&a), 0);
}
END_TEST

/* A process that opens the file by name, with no common parent mapping, sees the bump. */
START_TEST(test_bump_from_another_process)
{
	struct epoch e;
	char why[160] = "";
	const char *p = path_of("shared");

	ck_assert_int_eq(epoch_open(&e, p, true, geteuid(), why, sizeof(why)), 0);
	uint64_t before = epoch_read(&e);
	epoch_close(&e);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct epoch c;
		char w[160];
		if (epoch_open(&c, p, true, geteuid(), w, sizeof(w)) != 0)
			_exit(1);
		for (int i = 0; i < 1000; i++)
			epoch_bump(&c);
		_exit(0);
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(epoch_open(&e, p, true, geteuid(), why, sizeof(why)), 0);
	ck_assert_uint_eq(epoch_read(&e), before + 1000);
	epoch_close(&e);
}
END_TEST

static const struct {
	const char *name;
	mode_t mode;
	bool symlink;
	const char *why;        /* a word the refusal must name */
} refused[] = {
	{"wide", 0644, false, "mode"},
	{"group", 0660, false, "mode"},
	{"link", 0600, true, "open"},
};

START_TEST(test_refused)
{
	struct epoch e;
	char why[160] = "";
	const char *p = path_of(refused[_i].name);
	char target[300];

	snprintf(target, sizeof(target), "%s.target", p);
	if (refused[_i].symlink) {
		int fd = open(target, O_CREAT | O_WRONLY, 0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
		ck_assert_int_eq(symlink(target, p), 0);
	} else {
		int fd = open(p, O_CREAT | O_WRONLY, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fchmod(fd, refused[_i].mode), 0);
		close(fd);
	}
	ck_assert_int_eq(epoch_open(&e, p, true, geteuid(), why, sizeof(why)), -1);
	ck_assert(!epoch_is_open(&e));
	ck_assert_msg(strstr(why, refused[_i].why) != NULL, "%s: why = %s", refused[_i].name, why);
}
END_TEST

START_TEST(test_wrong_size_refused)
{
	struct epoch e;
	char why[160] = "";
	const char *p = path_of("short");
	int fd = open(p, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	ck_assert_int_eq(epoch_open(&e, p, true, geteuid(), why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "bytes") != NULL, "why = %s", why);
}
END_TEST

/* One poller at a time; a change of the log's fingerprint bumps the epoch, the same one does not. */
START_TEST(test_lease_and_poll)
{
	struct epoch e;
	char why[160] = "";
	const char *p = path_of("lease");

	ck_assert_int_eq(epoch_open(&e, p, true, geteuid(), why, sizeof(why)), 0);
	uint64_t now = epoch_clock_ms();
	ck_assert(!epoch_poll_recent(&e, now, 2000));
	ck_assert(epoch_poll_due(&e, now, 1000));
	uint64_t e0 = epoch_read(&e);
	epoch_polled(&e, now, 3, 7);
	ck_assert_uint_eq(epoch_read(&e), e0 + 1);
	ck_assert(epoch_poll_recent(&e, now + 1500, 2000));
	ck_assert(!epoch_poll_recent(&e, now + 2500, 2000));
	epoch_polled(&e, now + 10, 3, 7);
	ck_assert_uint_eq(epoch_read(&e), e0 + 1);
	ck_assert(!epoch_poll_due(&e, now + 500, 1000));   /* polled just now */

	/*
	 * Another process finds the lease held until it runs out (3 periods);
	 * a child forked after the parent asked knows its own pid, not the one
	 * epoch.c cached for its parent.
	 */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct epoch c;
		char w[160];
		if (epoch_open(&c, p, true, geteuid(), w, sizeof(w)) != 0)
			_exit(1);
		if (epoch_poll_due(&c, now + 1500, 1000))
			_exit(2);
		if (!epoch_poll_due(&c, now + 10000, 1000))
			_exit(3);
		_exit(0);
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child exit %d",
	    WEXITSTATUS(status));
	/* The child holds it now. */
	ck_assert(!epoch_poll_due(&e, now + 10001, 1000));
	epoch_close(&e);
}
END_TEST

static Suite *
epoch_suite(void)
{
	Suite *s = suite_create("epoch");
	TCase *tc = unit_tcase(s, "segment", 20);
	tcase_add_test(tc, test_create_mode_and_share);
	tcase_add_test(tc, test_bump_from_another_process);
	tcase_add_loop_test(tc, test_refused, 0, sizeof refused / sizeof refused[0]);
	tcase_add_test(tc, test_wrong_size_refused);
	tcase_add_test(tc, test_lease_and_poll);
	return s;
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	int rc = unit_run(epoch_suite(), false);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return rc;
}
