/* listen.c -- the FastCGI listening socket: inherited on fd 0, or bound from --listen and moved there. */
#include "listen.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_BACKLOG 1024

bool
listen_fd0_is_listener(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int listening = 0;
	socklen_t optlen = sizeof(listening);

	if (getpeername(0, (struct sockaddr *)&ss, &len) == 0 || errno != ENOTCONN)
		return false;
	return getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) == 0 && listening;
}

/* A socket bound to the unix path spec + 5; *created receives the path. The fd, or -1. */
static int
bind_unix(const char *spec, char **created)
{
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
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "overwatch-fcgi: bind %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*created = strdup(path);
	return fd;
}

/* A socket bound to HOST:PORT or [v6]:PORT (an empty host: every address). The fd, or -1. */
static int
bind_inet(const char *spec)
{
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
	int fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
		fprintf(stderr, "overwatch-fcgi: bind %s: %s\n", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
listen_open(const char *spec, char **created)
{
	int fd;

	*created = NULL;
	fd = strncmp(spec, "unix:", 5) == 0 ? bind_unix(spec, created) : bind_inet(spec);
	if (fd < 0)
		return -1;
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
	close(fd);
	if (*created != NULL) {
		unlink(*created);
		free(*created);
		*created = NULL;
	}
	return -1;
}

/* Who may connect to a unix socket we created: the web server's group, typically. */
int
listen_set_access(const char *path, long mode, const char *group)
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
