/* epoch.c -- the host's revocation epoch: a counter in a small shared file every process of the service maps. */
#include "epoch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EPOCH_MAGIC 0x4f57455030303031ull  /* "OWEP0001" */
#define EPOCH_SIZE 4096

/*
 * The file's layout. Every field is a lock-free 64-bit atomic, so that a
 * process killed at any instruction leaves nothing half-written.
 */
struct epoch_segment {
	_Atomic uint64_t magic;
	_Atomic uint64_t epoch;
	_Atomic uint64_t lease_pid;     /* the poller */
	_Atomic uint64_t lease_until;   /* epoch_clock_ms when its lease runs out */
	_Atomic uint64_t polled_at;     /* epoch_clock_ms of the last successful poll */
	_Atomic uint64_t log_count;     /* what that poll saw of the revocation log */
	_Atomic uint64_t log_last;
};

_Static_assert(sizeof(struct epoch_segment) <= EPOCH_SIZE, "segment fits its file");

uint64_t
epoch_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Someone else's file, or one others may write, could forge or freeze the epoch. */
static int
check_file(int fd, uid_t owner, char *why, size_t whylen)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(why, whylen, "cannot stat it: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return -1;
	}
	if (st.st_uid != owner) {
		snprintf(why, whylen, "owned by uid %ld, not by the service's uid %ld", (long)st.st_uid,
		    (long)owner);
		return -1;
	}
	if ((st.st_mode & 07777) != 0600) {
		snprintf(why, whylen, "mode %04o, not 0600", (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_size != 0 && st.st_size != EPOCH_SIZE) {
		snprintf(why, whylen, "%lld bytes, not %d", (long long)st.st_size, EPOCH_SIZE);
		return -1;
	}
	if (st.st_size == 0 && ftruncate(fd, EPOCH_SIZE) != 0) {
		snprintf(why, whylen, "cannot size it: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
epoch_open(struct epoch *e, const char *path, bool create, uid_t owner, char *why,
    size_t whylen)
{
	e->seg = NULL;
	/* umask cannot widen 0600; O_NOFOLLOW refuses a link planted at the name. */
	int fd = open(path, O_RDWR | (create ? O_CREAT : 0) | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open it: %s", strerror(errno));
		return -1;
	}
	if (check_file(fd, owner, why, whylen) != 0) {
		close(fd);
		return -1;
	}
	void *m = mmap(NULL, EPOCH_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		snprintf(why, whylen, "cannot map it: %s", strerror(errno));
		return -1;
	}
	struct epoch_segment *s = m;
	/* A new file is zeroed: every field starts at 0, a valid state; the magic marks the layout. */
	uint64_t zero = 0;
	atomic_compare_exchange_strong(&s->magic, &zero, EPOCH_MAGIC);
	if (atomic_load(&s->magic) != EPOCH_MAGIC) {
		munmap(m, EPOCH_SIZE);
		snprintf(why, whylen, "not an epoch file of this version");
		return -1;
	}
	e->seg = s;
	return 0;
}

void
epoch_close(struct epoch *e)
{
	if (e->seg != NULL)
		munmap(e->seg, EPOCH_SIZE);
	e->seg = NULL;
}

bool
epoch_is_open(const struct epoch *e)
{
	return e->seg != NULL;
}

uint64_t
epoch_read(const struct epoch *e)
{
	return e->seg != NULL ? atomic_load(&e->seg->epoch) : 0;
}

void
epoch_bump(struct epoch *e)
{
	if (e->seg != NULL)
		atomic_fetch_add(&e->seg->epoch, 1);
}

/*
 * This process's id, asked of the kernel once: the lease is checked between
 * any two requests, and a system call per request is measurable on the
 * FastCGI Authorizer's path (tests/bench/README.md). A child forgets its
 * parent's (pthread_atfork), so a forked process never takes the parent's
 * lease for its own.
 */
static pid_t self_pid;

static void
forget_pid(void)
{
	self_pid = 0;
}

static uint64_t
self(void)
{
	static int registered = -1;     /* not yet tried */
	if (registered < 0)
		registered = pthread_atfork(NULL, NULL, forget_pid) == 0;
	if (!registered)
		return (uint64_t)getpid();
	if (self_pid == 0)
		self_pid = getpid();
	return (uint64_t)self_pid;
}

bool
epoch_poll_due(struct epoch *e, uint64_t now_ms, uint64_t poll_ms)
{
	struct epoch_segment *s = e->seg;
	if (s == NULL)
		return false;
	uint64_t me = self();
	uint64_t until = atomic_load(&s->lease_until);
	/* A lease of three periods: a poller that died is replaced within that. */
	if (atomic_load(&s->lease_pid) != me || until < now_ms) {
		if (until >= now_ms)
			return false;
		if (!atomic_compare_exchange_strong(&s->lease_until, &until, now_ms + 3 * poll_ms))
			return false;
		atomic_store(&s->lease_pid, me);
	} else {
		atomic_store(&s->lease_until, now_ms + 3 * poll_ms);
	}
	return now_ms >= atomic_load(&s->polled_at) + poll_ms;
}

void
epoch_polled(struct epoch *e, uint64_t now_ms, uint64_t count, uint64_t last)
{
	struct epoch_segment *s = e->seg;
	if (s == NULL)
		return;
	if (atomic_load(&s->log_count) != count || atomic_load(&s->log_last) != last) {
		atomic_store(&s->log_count, count);
		atomic_store(&s->log_last, last);
		atomic_fetch_add(&s->epoch, 1);
	}
	atomic_store(&s->polled_at, now_ms);
}

bool
epoch_poll_recent(const struct epoch *e, uint64_t now_ms, uint64_t bound_ms)
{
	if (e->seg == NULL)
		return false;
	uint64_t at = atomic_load(&e->seg->polled_at);
	return at != 0 && now_ms <= at + bound_ms;
}
