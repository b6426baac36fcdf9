/* argon2_raw.c -- raw argon2id verification throughput, the ceiling for POST /auth/login. */
/*
 * Usage: argon2_raw [--processes N] [--seconds S] [--memory KiB] [--iterations T]
 *                   [--parallelism P]
 *
 * Hashes one password once with argon2id_hash_encoded at the given parameters
 * (default: the service's, 19456 KiB, t=2, p=1), then runs N processes that
 * each call argon2id_verify on it in a loop for S seconds. Prints one JSON line:
 *   {"processes":N,"seconds":S,"verifications":V,"per_second":R,...}
 * where per_second is the sum over the processes of their own rate, and
 * cpu_ms_per_verification the CPU time (user + system) each verification took.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <argon2.h>

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
arg_long(const char *s, long lo, long hi, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "argon2_raw: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	long procs = 2, m_cost = 19456, t_cost = 2, par = 1;
	double seconds = 5;
	static const char pw[] = "correct horse battery staple 42";
	static const uint8_t salt[16] = "overwatch-bench!";
	char encoded[256];

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc) {
			fprintf(stderr, "argon2_raw: %s needs a value\n", argv[i]);
			return 2;
		}
		if (strcmp(argv[i], "--processes") == 0)
			procs = arg_long(argv[++i], 1, 256, "--processes");
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = (double)arg_long(argv[++i], 1, 3600, "--seconds");
		else if (strcmp(argv[i], "--memory") == 0)
			m_cost = arg_long(argv[++i], 8, 4L * 1024 * 1024, "--memory");
		else if (strcmp(argv[i], "--iterations") == 0)
			t_cost = arg_long(argv[++i], 1, 100, "--iterations");
		else if (strcmp(argv[i], "--parallelism") == 0)
			par = arg_long(argv[++i], 1, 64, "--parallelism");
		else {
			fprintf(stderr, "usage: %s [--processes N] [--seconds S] [--memory KiB] "
					"[--iterations T] [--parallelism P]\n", argv[0]);
			return 2;
		}
	}

	int rc = argon2id_hash_encoded((uint32_t)t_cost, (uint32_t)m_cost, (uint32_t)par, pw,
				       strlen(pw), salt, sizeof(salt), 32, encoded, sizeof(encoded));
	if (rc != ARGON2_OK) {
		fprintf(stderr, "argon2_raw: hash: %s\n", argon2_error_message(rc));
		return 1;
	}

	int fds[2];
	if (pipe(fds) != 0) {
		perror("argon2_raw: pipe");
		return 1;
	}
	for (long p = 0; p < procs; p++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("argon2_raw: fork");
			return 1;
		}
		if (pid == 0) {
			close(fds[0]);
			long n = 0;
			double start = now(), end = start + seconds, t;
			do {
				if (argon2id_verify(encoded, pw, strlen(pw)) != ARGON2_OK)
					_exit(3);
				n++;
			} while ((t = now()) < end);
			char line[128];
			int len = snprintf(line, sizeof(line), "%ld %.6f\n", n, t - start);
			if (write(fds[1], line, (size_t)len) != len)
				_exit(4);
			_exit(0);
		}
	}
	close(fds[1]);

	FILE *in = fdopen(fds[0], "r");
	long total = 0, got = 0;
	double rate = 0, elapsed_max = 0;
	long n;
	double el;
	while (in != NULL && fscanf(in, "%ld %lf", &n, &el) == 2) {
		total += n;
		rate += (double)n / el;
		if (el > elapsed_max)
			elapsed_max = el;
		got++;
	}
	int failed = 0, st;
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	struct rusage ru;
	double cpu = 0;
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (failed || got != procs) {
		fprintf(stderr, "argon2_raw: a verifying process failed\n");
		return 1;
	}
	printf("{\"processes\":%ld,\"seconds\":%.3f,\"verifications\":%ld,\"per_second\":%.2f,"
	       "\"ms_per_verification\":%.3f,\"cpu_ms_per_verification\":%.3f,"
	       "\"memory_kib\":%ld,\"iterations\":%ld,\"parallelism\":%ld}\n",
	       procs, elapsed_max, total, rate, rate > 0 ? 1000.0 * (double)procs / rate : 0.0,
	       total > 0 ? 1000.0 * cpu / (double)total : 0.0, m_cost, t_cost, par);
	return 0;
}
