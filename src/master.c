/* master.c -- pre-fork master: a self-pipe poll loop that keeps N workers alive and replaces them. */
#include "master.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "dispatch.h"
#include "signals.h"
#include "worker.h"

#define MAX_SLOTS 600
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define EARLY_DEATH_MS 1000      /* a worker that dies sooner than this is crashing at start */
#define CRASH_LIMIT 30           /* this many abnormal exits ... */
#define CRASH_WINDOW_MS 60000    /* ... within this long: something is badly wrong, stop */

struct slot {
	pid_t pid;
	unsigned gen;
	long long started_ms;
	bool stopping;
};

static struct slot slots[MAX_SLOTS];
static int sig_pipe[2] = {-1, -1};

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;
	/* A full pipe already holds a wake-up; losing this byte loses nothing. */
	if (write(sig_pipe[1], &c, 1) < 0) {
		/* nothing to do */
	}
	errno = saved;
}

static const int master_signals[] = {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGHUP};
#define NSIGNALS (sizeof(master_signals) / sizeof(master_signals[0]))

static int
install_handlers(void)
{
	static const int ignored[] = {SIGPIPE};

	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	if (signals_set(master_signals, NSIGNALS, on_signal, SA_RESTART | SA_NOCLDSTOP) != 0)
		return -1;
	signals_set(ignored, 1, SIG_IGN, 0);
	/* Held since main() began (signals_hold_stops): a stop that came meanwhile is delivered now. */
	signals_release_stops();
	return 0;
}

/* Defined by the ASan/LSan runtime; NULL in other builds. */
extern void __lsan_do_leak_check(void) __attribute__((weak));

static pid_t
spawn(const struct config *cfg, int listen_fd, unsigned gen)
{
	sigset_t old;
	size_t i;

	for (i = 0; i < MAX_SLOTS && slots[i].pid != 0; i++)
		;
	if (i == MAX_SLOTS)
		return -1;
	/* No handler of the master may run in the child between fork and reset. */
	signals_block(NULL, 0, &old);
	pid_t pid = fork();
	if (pid == 0) {
		signals_set(master_signals, NSIGNALS, SIG_DFL, 0);
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		int wrc = worker_run(cfg, listen_fd, true);
		/* _exit() skips LeakSanitizer's exit-time check: run it here (sanitizer builds only). */
		if (__lsan_do_leak_check != NULL)
			__lsan_do_leak_check();
		_exit(wrc);
	}
	int saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_error("fork: %s", strerror(saved));
		return -1;
	}
	slots[i].pid = pid;
	slots[i].gen = gen;
	slots[i].started_ms = util_now_ms();
	slots[i].stopping = false;
	return pid;
}

static void
signal_all(int sig)
{
	for (size_t i = 0; i < MAX_SLOTS; i++)
		if (slots[i].pid > 0)
			kill(slots[i].pid, sig);
}

static size_t
count(unsigned gen, bool current)
{
	size_t n = 0;
	for (size_t i = 0; i < MAX_SLOTS; i++)
		if (slots[i].pid > 0 && (slots[i].gen == gen) == current)
			n++;
	return n;
}

struct pool {
	struct config *cfg;
	const char *cfg_path;
	int listen_fd;
	long workers_override;
	unsigned gen;
	bool stopping;
	long long stop_deadline_ms;
	long long next_spawn_ms;
	long backoff_ms;
	long long crash_window_start_ms;
	int crashes;
	int exit_code;
};

static long
target(const struct pool *p)
{
	return p->workers_override > 0 ? p->workers_override : config_workers(p->cfg);
}

static void
reap(struct pool *p)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		size_t i;
		for (i = 0; i < MAX_SLOTS && slots[i].pid != pid; i++)
			;
		if (i == MAX_SLOTS)
			continue;
		struct slot s = slots[i];
		slots[i].pid = 0;
		bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (WIFSIGNALED(st))
			log_warning("worker %ld killed by signal %d", (long)pid, WTERMSIG(st));
		else if (!clean)
			log_warning("worker %ld exited with code %d", (long)pid, WEXITSTATUS(st));
		else
			log_debug("worker %ld exited", (long)pid);
		if (p->stopping || s.stopping || s.gen != p->gen)
			continue;
		if (WIFEXITED(st) && WEXITSTATUS(st) == WORKER_EXIT_INIT) {
			log_error("worker %ld could not initialise: stopping", (long)pid);
			p->exit_code = 1;
			p->stopping = true;
			p->stop_deadline_ms = util_now_ms() + p->cfg->shutdown_timeout * 1000;
			signal_all(SIGTERM);
			continue;
		}
		if (!clean) {
			long long t = util_now_ms();
			if (t - p->crash_window_start_ms > CRASH_WINDOW_MS) {
				p->crash_window_start_ms = t;
				p->crashes = 0;
			}
			if (++p->crashes >= CRASH_LIMIT) {
				log_error("%d workers crashed within %d s: stopping", p->crashes, CRASH_WINDOW_MS / 1000);
				p->exit_code = 1;
				p->stopping = true;
				p->stop_deadline_ms = t + p->cfg->shutdown_timeout * 1000;
				signal_all(SIGTERM);
				continue;
			}
		}
		/* Crashing at start again and again: wait longer before each respawn. */
		if (!clean && util_now_ms() - s.started_ms < EARLY_DEATH_MS) {
			p->backoff_ms = p->backoff_ms == 0 ? BACKOFF_MIN_MS : p->backoff_ms * 2;
			if (p->backoff_ms > BACKOFF_MAX_MS)
				p->backoff_ms = BACKOFF_MAX_MS;
			p->next_spawn_ms = util_now_ms() + p->backoff_ms;
			log_warning("worker died at start; next spawn in %ld ms", p->backoff_ms);
		} else {
			p->backoff_ms = 0;
		}
	}
}

static void
reload(struct pool *p)
{
	struct config fresh;
	char err[CONFIG_ERR_LEN];

	if (config_load(&fresh, p->cfg_path, err) != 0) {
		log_error("reload refused, keeping the running configuration: %s", err);
		return;
	}
	if (dispatch_check(&fresh, err) != 0) {
		log_error("reload refused, keeping the running configuration: %s", err);
		config_free(&fresh);
		return;
	}
	config_free(p->cfg);
	*p->cfg = fresh;
	log_setup("overwatch-fcgi", p->cfg->log_sink == LOG_SINK_SYSLOG, (enum log_level)p->cfg->log_level);
	p->gen++;
	p->backoff_ms = 0;
	p->next_spawn_ms = 0;
	log_info("configuration reloaded; replacing workers one by one");
}

/* Keep the pool at its size; during a reload, trade one old worker for one new at a time. */
static void
maintain(struct pool *p)
{
	if (p->stopping)
		return;
	long want = target(p);
	size_t fresh = count(p->gen, true), old = count(p->gen, false);
	bool old_stopping = false;
	for (size_t i = 0; i < MAX_SLOTS; i++)
		if (slots[i].pid > 0 && slots[i].gen != p->gen && slots[i].stopping)
			old_stopping = true;
	long desired = old > 0 ? want - (long)old + 1 : want;
	if (desired > want)
		desired = want;
	if (desired < 1)
		desired = 1;
	while ((long)fresh < desired && util_now_ms() >= p->next_spawn_ms) {
		if (spawn(p->cfg, p->listen_fd, p->gen) < 0)
			break;
		fresh++;
		if (p->backoff_ms > 0)
			break;  /* one at a time while backing off */
	}
	if (old > 0 && !old_stopping && (long)fresh >= desired) {
		for (size_t i = 0; i < MAX_SLOTS; i++) {
			if (slots[i].pid > 0 && slots[i].gen != p->gen) {
				slots[i].stopping = true;
				kill(slots[i].pid, SIGTERM);
				break;
			}
		}
	}
	/* Workers beyond the new size (a smaller pool after reload). */
	while ((long)fresh > want) {
		for (size_t i = 0; i < MAX_SLOTS; i++) {
			if (slots[i].pid > 0 && slots[i].gen == p->gen && !slots[i].stopping) {
				slots[i].stopping = true;
				kill(slots[i].pid, SIGTERM);
				break;
			}
		}
		fresh--;
	}
}

int
master_run(struct config *cfg, const char *cfg_path, int listen_fd, long workers_override,
    const char *unlink_path)
{
	struct pool p = {
		.cfg = cfg,
		.cfg_path = cfg_path,
		.listen_fd = listen_fd,
		.workers_override = workers_override,
		.gen = 1,
	};

	if (install_handlers() != 0) {
		log_error("cannot install signal handlers: %s", strerror(errno));
		return 1;
	}
	log_info("master %ld starting %ld workers (%s)", (long)getpid(), target(&p),
	    config_environment_name(cfg->environment));
	for (;;) {
		maintain(&p);
		struct pollfd pfd = {.fd = sig_pipe[0], .events = POLLIN};
		int timeout = 1000;
		if (p.next_spawn_ms > 0) {
			long long wait = p.next_spawn_ms - util_now_ms();
			if (wait < timeout)
				timeout = wait > 0 ? (int)wait : 0;
		}
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		unsigned char buf[64];
		ssize_t n;
		bool hup = false;
		while ((n = read(sig_pipe[0], buf, sizeof(buf))) > 0) {
			for (ssize_t i = 0; i < n; i++) {
				int sig = buf[i];
				if (sig == SIGHUP) {
					hup = true;
				} else if (sig != SIGCHLD && !p.stopping) {
					log_info("signal %d: stopping gracefully", sig);
					/*
					 * The path goes first: a client that connects after
					 * the workers' last drain of the queue would wait in
					 * a backlog nobody accepts from and be cut off at
					 * exit. Now it is refused; what is queued before the
					 * unlink is drained by the workers the SIGTERM reaches.
					 */
					if (unlink_path != NULL) {
						unlink(unlink_path);
						unlink_path = NULL;
					}
					p.stopping = true;
					p.stop_deadline_ms = util_now_ms() + p.cfg->shutdown_timeout * 1000;
					signal_all(SIGTERM);
				}
			}
		}
		reap(&p);
		if (hup && !p.stopping)
			reload(&p);
		if (p.stopping) {
			if (count(0, false) + count(0, true) == 0)
				break;
			if (util_now_ms() >= p.stop_deadline_ms) {
				log_warning("workers still busy after %ld s: killing them", p.cfg->shutdown_timeout);
				signal_all(SIGKILL);
				p.stop_deadline_ms = util_now_ms() + 1000 * 3600;
			}
		}
	}
	if (unlink_path != NULL)
		unlink(unlink_path);
	log_info("master stopped");
	return p.exit_code;
}
