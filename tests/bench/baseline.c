/* baseline.c -- the benchmark's reference: a minimal pre-forked libfcgi responder with a fixed JSON body. */
/*
 * Usage: baseline --listen unix:PATH --workers N
 *        baseline --workers N            (fd 0 is already a listening socket)
 *        baseline --workers 0            (fd 0; serve in this process, as
 *                                         overwatch-fcgi does under mod_fcgid)
 *
 * Every request gets the same small JSON body with the headers overwatch-fcgi
 * sends on a 200 (Status, Content-Type, Cache-Control, X-Content-Type-Options,
 * Content-Length). No parsing, no database, no allocation per request: the cost
 * of the FastCGI round trip through the web server and nothing else.
 *
 * The master forks N workers that share the listening socket (blocking accept),
 * and on SIGTERM/SIGINT forwards it to them, waits and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define BODY "{\"status\":\"ok\",\"service\":\"baseline\"}"

static const char response[] =
	"Status: 200 OK\r\n"
	"Content-Type: application/json; charset=utf-8\r\n"
	"Cache-Control: no-store\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"Content-Length: 36\r\n"
	"\r\n" BODY;

_Static_assert(sizeof(BODY) - 1 == 36, "Content-Length must match BODY");

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

static int
worker(int fd)
{
	FCGX_Request req;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: a blocked accept returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return 1;
	while (!stopping && FCGX_Accept_r(&req) >= 0) {
		/* Drain a body, if any, so the web server is never blocked on us. */
		char buf[4096];
		while (FCGX_GetStr(buf, sizeof(buf), req.in) > 0)
			;
		FCGX_PutStr(response, (int)sizeof(response) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *listen_path = NULL;
	int workers = 2, fd = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen_path = argv[++i];
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
			workers = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--listen unix:PATH] [--workers N]\n", argv[0]);
			return 2;
		}
	}
	if (workers < 0 || workers > 256) {
		fprintf(stderr, "baseline: --workers must be 0..256\n");
		return 2;
	}
	/* mod_fcgid spawns one process per concurrent request: no master, no fork. */
	if (workers == 0 && listen_path == NULL)
		return worker(0);
	if (listen_path != NULL) {
		if (strncmp(listen_path, "unix:", 5) == 0)
			listen_path += 5;
		unlink(listen_path);
		if (FCGX_Init() != 0 || (fd = FCGX_OpenSocket(listen_path, 1024)) < 0) {
			fprintf(stderr, "baseline: cannot listen on %s: %s\n", listen_path, strerror(errno));
			return 1;
		}
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	pid_t *pids = calloc((size_t)workers, sizeof(*pids));
	if (pids == NULL)
		return 1;
	for (int i = 0; i < workers; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("baseline: fork");
			stopping = 1;
			break;
		}
		if (pid == 0)
			_exit(worker(fd));
		pids[i] = pid;
	}
	/* Wait for a stop signal (or for every worker to be gone). */
	while (!stopping) {
		int st;
		pid_t pid = wait(&st);
		if (pid < 0 && errno == ECHILD)
			break;
	}
	for (int i = 0; i < workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	if (listen_path != NULL)
		unlink(listen_path);
	free(pids);
	return 0;
}
