/* main.c -- overwatch-fcgi: arguments, the listening socket, and the choice of mode. */
#include "autoconf.h"
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <mysql.h>

#include "log.h"
#include "master.h"
#include "oidc.h"
#include "router.h"
#include "dispatch.h"
#include "util.h"
#include "worker.h"

#define LISTEN_BACKLOG 1024

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

/* True when fd 0 is a listening socket, as web servers hand it to FastCGI apps. */
static bool
fd0_is_listener(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int listening = 0;
	socklen_t optlen = sizeof(listening);

	if (getpeername(0, (struct sockaddr *)&ss, &len) == 0 || errno != ENOTCONN)
		return false;
	return getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) == 0 && listening;
}

/* Bind the --listen address and move it onto fd 0; *created gets a unix path to unlink. */
static int
open_listener(const char *spec, char **created)
{
	int fd = -1;

	*created = NULL;
	if (strncmp(spec, "unix:", 5) == 0) {
		const char *path = spec + 5;
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		struct stat st;
		if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
			fprintf(stderr, "overwatch-fcgi: --listen %s: bad socket path\n", spec);
			return -1;
		}
		strcpy(sun.sun_path, path);
		/* A socket file left by a previous run is replaced; any other file is not. */
		if (lstat(path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				fprintf(stderr, "overwatch-fcgi: %s exists and is not a socket\n", path);
				return -1;
			}
			unlink(path);
		}
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			fprintf(stderr, "overwatch-fcgi: bind %s: %s\n", path, strerror(errno));
			goto fail;
		}
		*created = strdup(path);
	} else {
		char host[256];
		const char *colon = strrchr(spec, ':');
		struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		    .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *res = NULL;
		int one = 1;
		if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
			fprintf(stderr, "overwatch-fcgi: --listen %s: expected unix:PATH or HOST:PORT\n", spec);
			return -1;
		}
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		/* [::1]:9000 */
		char *h = host;
		if (h[0] == '[' && h[strlen(h) - 1] == ']') {
			h[strlen(h) - 1] = '\0';
			h++;
		}
		int gai = getaddrinfo(*h != '\0' ? h : NULL, colon + 1, &hints, &res);
		if (gai != 0) {
			fprintf(stderr, "overwatch-fcgi: --listen %s: %s\n", spec, gai_strerror(gai));
			return -1;
		}
		fd = socket(res->ai_family, SOCK_STREAM, 0);
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
			fprintf(stderr, "overwatch-fcgi: bind %s: %s\n", spec, strerror(errno));
			freeaddrinfo(res);
			goto fail;
		}
		freeaddrinfo(res);
	}
	if (listen(fd, LISTEN_BACKLOG) != 0) {
		fprintf(stderr, "overwatch-fcgi: listen %s: %s\n", spec, strerror(errno));
		goto fail;
	}
	/* libfcgi and every FastCGI convention expect the listener on fd 0. */
	if (fd != 0) {
		if (dup2(fd, 0) < 0) {
			fprintf(stderr, "overwatch-fcgi: dup2: %s\n", strerror(errno));
			goto fail;
		}
		close(fd);
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (*created != NULL) {
		unlink(*created);
		free(*created);
		*created = NULL;
	}
	return -1;
}

/* Who may connect to a unix socket we created: the web server's group, typically. */
static int
set_socket_access(const char *path, long mode, const char *group)
{
	if (path == NULL) {
		fprintf(stderr, "overwatch-fcgi: --socket-mode and --socket-group need --listen unix:PATH\n");
		return -1;
	}
	if (group != NULL) {
		struct group *gr = getgrnam(group);
		if (gr == NULL) {
			fprintf(stderr, "overwatch-fcgi: --socket-group %s: no such group\n", group);
			return -1;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid) != 0) {
			fprintf(stderr, "overwatch-fcgi: chown %s: %s\n", path, strerror(errno));
			return -1;
		}
	}
	if (mode >= 0 && chmod(path, (mode_t)mode) != 0) {
		fprintf(stderr, "overwatch-fcgi: chmod %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
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
	const char *config_path = NULL, *listen_spec = NULL, *socket_group = NULL;
	long socket_mode = -1;
	long workers = 0;
	bool check_only = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:l:w:Vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'l':
			listen_spec = optarg;
			break;
		case 'w':
			if (util_parse_long(optarg, 1, 256, &workers) != 0) {
				fprintf(stderr, "overwatch-fcgi: --workers: a number from 1 to 256\n");
				return 2;
			}
			break;
		case 'C':
			check_only = true;
			break;
		case 'm': {
			char *end;
			socket_mode = strtol(optarg, &end, 8);
			if (*optarg == '\0' || *end != '\0' || socket_mode < 0 || socket_mode > 0777) {
				fprintf(stderr, "overwatch-fcgi: --socket-mode: an octal mode such as 0660\n");
				return 2;
			}
			break;
		}
		case 'g':
			socket_group = optarg;
			break;
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
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	struct config *cfg = calloc(1, sizeof(*cfg));
	char err[CONFIG_ERR_LEN];
	if (cfg == NULL || config_load(cfg, config_path, err) != 0) {
		fprintf(stderr, "overwatch-fcgi: configuration: %s\n", cfg != NULL ? err : "out of memory");
		free(cfg);
		return WORKER_EXIT_INIT;
	}
	/* Refuse to start on what a worker would refuse (secrets, proxies, rules), not in each worker later. */
	if (dispatch_check(cfg, err) != 0) {
		fprintf(stderr, "overwatch-fcgi: configuration: %s\n", err);
		config_free(cfg);
		free(cfg);
		return WORKER_EXIT_INIT;
	}
	if (check_only) {
		printf("configuration OK\n");
		config_free(cfg);
		free(cfg);
		return 0;
	}
	log_setup("overwatch-fcgi", cfg->log_sink == LOG_SINK_SYSLOG, (enum log_level)cfg->log_level);

	char *created = NULL;
	bool spawned = listen_spec == NULL;
	if (spawned && !fd0_is_listener()) {
		fprintf(stderr, "overwatch-fcgi: no --listen given and file descriptor 0 is not a "
		    "listening socket\n");
		usage(stderr);
		return 2;
	}
	if (!spawned && open_listener(listen_spec, &created) != 0)
		return 1;
	if ((socket_mode >= 0 || socket_group != NULL) &&
	    set_socket_access(created, socket_mode, socket_group) != 0)
		return 1;
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
	int code;
	if (spawned && workers == 0) {
		/* mod_fcgid and spawn-fcgi manage the process count themselves. */
		code = worker_run(cfg, 0, false);
	} else {
		code = master_run(cfg, config_path, 0, workers, created);
	}
	config_free(cfg);
	free(cfg);
	free(created);
	oidc_global_cleanup();
	mysql_library_end();
	return code;
}
