/* worker.c -- the accept loop of one worker process; signals only interrupt it between requests. */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "db.h"
#include "dispatch.h"
#include "log.h"
#include "notify.h"
#include "revlog.h"
#include "signals.h"
#include "usage.h"

static volatile sig_atomic_t stop_requested;

/*
 * Only sets our flag, never FCGX_ShutdownPending(): libfcgi's accept gives
 * up without calling accept() once that is set, so drain_queued() could not
 * take the connections queued before the stop and exit would reset them.
 * libfcgi needs no warning anyway: the stop signals are blocked outside
 * ppoll and the listening socket is non-blocking, so its accept never waits.
 */
static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static long
fcgi_read(void *ctx, char *buf, size_t n)
{
	size_t chunk = n > 65536 ? 65536 : n;
	int got = FCGX_GetStr(buf, (int)chunk, (FCGX_Stream *)ctx);
	return got;
}

static int
fcgi_write(void *ctx, const char *buf, size_t len)
{
	FCGX_Stream *out = ctx;
	if (len > 0x7fffffff)
		return -1;
	return FCGX_PutStr(buf, (int)len, out) == (int)len ? 0 : -1;
}

/* An idle worker wakes once a second, or each [cache] revocation_poll when shorter (revlog_poll). */
static struct timespec
idle_tick(const struct config *cfg)
{
	long ms = cfg->cache_revocation_poll < 1000 ? cfg->cache_revocation_poll : 1000;
	return (struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
}

/*
 * The stop signals blocked outside ppoll (into *wait_mask: the mask ppoll
 * waits with) and every disposition of a worker. 0, or -1 if a handler
 * cannot be set.
 */
static int
worker_signals(bool under_master, sigset_t *wait_mask)
{
	static const int ignored[] = {SIGPIPE}, hangup[] = {SIGHUP};
	const int *stop_signals = signals_stop;
	const size_t nstop = signals_nstop;

	/*
	 * Stop signals stay blocked except inside ppoll(): a request in flight is
	 * never interrupted, and a stop that arrives while idle wakes ppoll at once
	 * (no window between a flag check and a blocking accept).
	 */
	signals_block(stop_signals, nstop, wait_mask);
	for (size_t i = 0; i < nstop; i++)
		sigdelset(wait_mask, stop_signals[i]);
	if (signals_set(stop_signals, nstop, on_stop, 0) != 0)      /* no SA_RESTART */
		return -1;
	signals_set(ignored, 1, SIG_IGN, 0);
	signals_set(hangup, 1, under_master ? SIG_IGN : SIG_DFL, 0);
	return 0;
}

/*
 * Whether the web server has sent all of the request: the FCGI_STDIN end
 * record, which follows the last byte of the body, has been read. libfcgi
 * usually holds it already (lighttpd writes it with the parameters); when
 * it does not, the socket is made non-blocking first so that looking never
 * waits: the read then fails (EAGAIN) and the answer is false.
 */
static bool
input_complete(FCGX_Request *req)
{
	if (!FCGX_HasSeenEOF(req->in) && fcntl(req->ipcFd, F_SETFL, O_NONBLOCK) != 0)
		return false;
	return FCGX_GetChar(req->in) == EOF && FCGX_GetError(req->in) == 0;
}

/*
 * Send the rest of the reply and FCGI_END_REQUEST, then close. libfcgi's
 * close (FCGX_Finish_r) shuts down our side and waits, polling, until the
 * web server has closed its own before the worker may take the next
 * connection: a lingering close, which keeps a TCP stack from answering
 * input still unread with an RST that could destroy the reply in flight.
 * Once the whole request has been read there is nothing left to answer
 * that way: the web server sends nothing after the end of FCGI_STDIN on a
 * connection it does not keep (FCGI_KEEP_CONN unset), so close() at once
 * sends a plain end of stream over TCP and over a Unix socket alike. Only
 * an FCGI_ABORT_REQUEST could still be queued, from a web server that no
 * longer wants the reply. A kept connection, an unread body or an error
 * keeps libfcgi's close. (libfcgi 2.4: FCGX_Detach makes FCGX_Free close
 * the descriptor without the linger; keepConnection is the flag
 * FCGX_Finish_r reads.)
 */
static void
finish(FCGX_Request *req)
{
	if (!req->keepConnection && FCGX_FClose(req->err) == 0 && FCGX_FClose(req->out) == 0 &&
	    input_complete(req))
		FCGX_Detach(req);
	FCGX_Finish_r(req);
}

/* Accept one connection and answer its request; -1 if there was none to take. */
static int
serve_one(struct service *svc, FCGX_Request *req)
{
	/* Another worker took the connection (EAGAIN), or the peer left. */
	if (FCGX_Accept_r(req) < 0)
		return -1;
	dispatch_request(svc, req->envp, fcgi_read, req->in, fcgi_write, req->out);
	finish(req);
	dispatch_after_reply(svc);
	return 0;
}

/*
 * A process spawned alone (mod_fcgid) owns its socket: a connection its
 * spawner queued there just before the stop signal would be reset by exit.
 * Answer what is already queued, a bounded number, then leave.
 */
static void
drain_queued(struct service *svc, FCGX_Request *req, int listen_fd)
{
	for (int i = 0; i < WORKER_DRAIN_MAX; i++) {
		struct pollfd pfd = {.fd = listen_fd, .events = POLLIN};
		if (poll(&pfd, 1, 0) != 1 || serve_one(svc, req) != 0)
			return;
	}
}

/* One process's libfcgi and service state; 0, or WORKER_EXIT_INIT after the reason is logged. */
static int
worker_init(const struct config *cfg, int listen_fd, FCGX_Request *req, struct service *svc)
{
	char err[CONFIG_ERR_LEN];

	/* Several workers share one listening socket: a loser of the accept race must not block. */
	int fl = fcntl(listen_fd, F_GETFL);
	if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_error("listening socket: %s", strerror(errno));
		return WORKER_EXIT_INIT;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(req, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("cannot initialise libfcgi");
		return WORKER_EXIT_INIT;
	}
	if (dispatch_init(svc, cfg, err) != 0) {
		log_error("configuration: %s", err);
		return WORKER_EXIT_INIT;
	}
	/* Connect early so the first request does not pay for it; a down server is not fatal. */
	db_connect(svc->db);
	return 0;
}

int
worker_run(const struct config *cfg, int listen_fd, bool under_master)
{
	struct service svc;
	FCGX_Request req;
	sigset_t wait_mask;
	long served = 0;
	int code;

	if (worker_signals(under_master, &wait_mask) != 0) {
		log_error("cannot install signal handlers: %s", strerror(errno));
		return WORKER_EXIT_INIT;
	}
	if (under_master) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			return 0;
	}
	if ((code = worker_init(cfg, listen_fd, &req, &svc)) != 0)
		return code;
	/*
	 * Alone, the spawner decides when this process leaves (mod_fcgid:
	 * FcgidMaxRequestsPerProcess, README.md "Apache with mod_fcgid"): it
	 * may already have routed the next connection here, and leaving on our
	 * own would reset it.
	 */
	if (!under_master)
		log_debug("spawned alone: max_requests left to the web server");

	while (!stop_requested) {
		/* A web server that keeps the connection sends the next request on it. */
		struct pollfd pfd = {.fd = req.ipcFd >= 0 ? req.ipcFd : listen_fd, .events = POLLIN};
		struct timespec tick = idle_tick(cfg);
		int n = ppoll(&pfd, 1, &tick, &wait_mask);
		if (n < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			code = 1;
			break;
		}
		if (usage_due(time(NULL)))
			usage_flush(svc.db, time(NULL));
		/* Between requests, never inside one: back to the first server once it serves. */
		db_failback(svc.db);
		revlog_poll(svc.db, cfg);
		/*
		 * Deliveries wait for the network: when idle, or right after a
		 * request whose answer is already out, never before one.
		 */
		if (n == 0)
			notify_drain(svc.db, cfg, time(NULL));
		if (stop_requested || n <= 0 || serve_one(&svc, &req) != 0)
			continue;
		notify_drain(svc.db, cfg, time(NULL));
		if (under_master && ++served >= cfg->max_requests) {
			log_info("worker recycled after %ld requests", served);
			break;
		}
	}
	if (!under_master && stop_requested)
		drain_queued(&svc, &req, listen_fd);
	/* Uses counted since the last flush are not lost with the worker. */
	usage_flush_all(svc.db, time(NULL));
	FCGX_Free(&req, 1);
	dispatch_free(&svc);
	return code;
}
