/* main.c -- overwatch-fcgi: arguments, the listening socket, and the choice of mode. */
#include "autoconf.h"
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <mysql.h>

#include "listen.h"
#include "log.h"
#include "master.h"
#include "oidc.h"
#include "router.h"
#include "signals.h"
#include "dispatch.h"
#include "util.h"
#include "worker.h"

#define ARGS_CONTINUE (-1)     /* parse_args: run, not exit */

/* The command line, once parsed. */
struct args {
	const char *config_path, *listen_spec, *socket_group;
	long socket_mode;           /* -1: leave as created */
	long workers;               /* 0: not given */
	bool check_only;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: overwatch-fcgi [--config PATH] [--listen unix:PATH | HOST:PORT] [--workers N]\n"
	    "                      [--socket-mode MODE] [--socket-group GROUP]\n"
	    "       overwatch-fcgi --check-config [--config PATH]\n"
	    "       overwatch-fcgi --routes | --version\n"
	    "Without --listen, file descriptor 0 must be a listening FastCGI socket\n"
	    "(spawned by Apache mod_fcgid or lighttpd bin-path): one worker is run in\n"
	    "process, or a master with N workers when --workers N is given.\n");
}

/* The route table, one "METHOD PATH PERMISSION" line each (docs and the OpenAPI test). */
static void
print_routes(void)
{
	size_t n;
	const struct route *r = router_routes(&n);
	for (size_t i = 0; i < n; i++) {
		const char *perm = r[i].auth == ROUTE_PUBLIC ? "public" :
		    r[i].permission == PERM_NONE ? "authenticated" :
		    permission_name((enum permission)r[i].permission);
		printf("%s %s%s %s\n", router_method_name(r[i].method), API_PREFIX, r[i].pattern, perm);
	}
}

static const struct option long_options[] = {
	{"config", required_argument, NULL, 'c'},
	{"listen", required_argument, NULL, 'l'},
	{"workers", required_argument, NULL, 'w'},
	{"socket-mode", required_argument, NULL, 'm'},
	{"socket-group", required_argument, NULL, 'g'},
	{"check-config", no_argument, NULL, 'C'},
	{"routes", no_argument, NULL, 'R'},
	{"version", no_argument, NULL, 'V'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* --socket-mode: an octal mode; ARGS_CONTINUE or the exit code. */
static int
parse_socket_mode(const char *v, long *out)
{
	char *end;

	*out = strtol(v, &end, 8);
	if (*v == '\0' || *end != '\0' || *out < 0 || *out > 0777) {
		fprintf(stderr, "overwatch-fcgi: --socket-mode: an octal mode such as 0660\n");
		return 2;
	}
	return ARGS_CONTINUE;
}

/* One option into a; ARGS_CONTINUE, or the exit code of an option that ends the run. */
static int
apply_option(struct args *a, int ch, const char *v)
{
	switch (ch) {
	case 'c':
		a->config_path = v;
		return ARGS_CONTINUE;
	case 'l':
		a->listen_spec = v;
		return ARGS_CONTINUE;
	case 'w':
		if (util_parse_long(v, 1, 256, &a->workers) != 0) {
			fprintf(stderr, "overwatch-fcgi: --workers: a number from 1 to 256\n");
			return 2;
		}
		return ARGS_CONTINUE;
	case 'C':
		a->check_only = true;
		return ARGS_CONTINUE;
	case 'm':
		return parse_socket_mode(v, &a->socket_mode);
	case 'g':
		a->socket_group = v;
		return ARGS_CONTINUE;
	case 'V':
		printf("overwatch-fcgi %s\n", PACKAGE_VERSION);
		return 0;
	case 'R':
		print_routes();
		return 0;
	case 'h':
		usage(stdout);
		return 0;
	default:
		usage(stderr);
		return 2;
	}
}

/* ARGS_CONTINUE with a filled in, or the exit code (--version, --help, a usage error). */
static int
parse_args(int argc, char **argv, struct args *a)
{
	int ch, rc;

	*a = (struct args){.socket_mode = -1};
	while ((ch = getopt_long(argc, argv, "c:l:w:Vh", long_options, NULL)) != -1)
		if ((rc = apply_option(a, ch, optarg)) != ARGS_CONTINUE)
			return rc;
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return ARGS_CONTINUE;
}

/* The configuration, checked as a worker would check it; NULL after the reason on stderr. */
static struct config *
load_config(const char *path)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	char err[CONFIG_ERR_LEN];

	if (cfg == NULL || config_load(cfg, path, err) != 0) {
		fprintf(stderr, "overwatch-fcgi: configuration: %s\n", cfg != NULL ? err : "out of memory");
		free(cfg);
		return NULL;
	}
	/* Refuse to start on what a worker would refuse (secrets, proxies, rules), not in each worker later. */
	if (dispatch_check(cfg, err) != 0) {
		fprintf(stderr, "overwatch-fcgi: configuration: %s\n", err);
		config_free(cfg);
		free(cfg);
		return NULL;
	}
	return cfg;
}

/* The listening socket on fd 0 (inherited or bound); *created as listen_open. 0, or the exit code. */
static int
acquire_socket(const struct args *a, char **created)
{
	*created = NULL;
	if (a->listen_spec == NULL && !listen_fd0_is_listener()) {
		fprintf(stderr, "overwatch-fcgi: no --listen given and file descriptor 0 is not a "
		    "listening socket\n");
		usage(stderr);
		return 2;
	}
	if (a->listen_spec != NULL && listen_open(a->listen_spec, created) != 0)
		return 1;
	if ((a->socket_mode >= 0 || a->socket_group != NULL) &&
	    listen_set_access(*created, a->socket_mode, a->socket_group) != 0)
		return 1;
	return 0;
}

/* The client libraries' process-wide state, then one worker in process or the master. */
static int
serve(struct config *cfg, const struct args *a, const char *created)
{
	int code;

	/* Once, before any fork: every worker then starts its own connection. */
	if (mysql_library_init(0, NULL, NULL) != 0) {
		log_error("cannot initialise the MariaDB client library");
		return 1;
	}
	/* libcurl's global state too (SSO): not thread- or fork-safe to set up later. */
	if (oidc_global_init() != 0) {
		log_error("cannot initialise the HTTP client library");
		mysql_library_end();
		return 1;
	}
	if (a->listen_spec == NULL && a->workers == 0) {
		/* mod_fcgid and spawn-fcgi manage the process count themselves. */
		code = worker_run(cfg, 0, false);
	} else {
		code = master_run(cfg, a->config_path, 0, a->workers, created);
	}
	oidc_global_cleanup();
	mysql_library_end();
	return code;
}

int
main(int argc, char **argv)
{
	struct args a;
	struct config *cfg;
	char *created = NULL;

	/* Before anything else: a stop during start-up must wait for the handlers. */
	signals_hold_stops();
	int code = parse_args(argc, argv, &a);

	if (code != ARGS_CONTINUE)
		return code;
	if ((cfg = load_config(a.config_path)) == NULL)
		return WORKER_EXIT_INIT;
	if (a.check_only) {
		printf("configuration OK\n");
		config_free(cfg);
		free(cfg);
		return 0;
	}
	log_setup("overwatch-fcgi", cfg->log_sink == LOG_SINK_SYSLOG, (enum log_level)cfg->log_level);
	if ((code = acquire_socket(&a, &created)) == 0)
		code = serve(cfg, &a, created);
	config_free(cfg);
	free(cfg);
	free(created);
	return code;
}
