/* listen.h -- the FastCGI listening socket: inherited on fd 0, or bound from --listen and moved there. */
#ifndef OW_LISTEN_H
#define OW_LISTEN_H

#include <stdbool.h>

/*
 * True when fd 0 is a listening socket, as web servers hand it to FastCGI
 * applications (mod_fcgid, lighttpd bin-path, spawn-fcgi): getpeername
 * fails with ENOTCONN and SO_ACCEPTCONN is set.
 */
bool listen_fd0_is_listener(void);

/*
 * Bind spec ("unix:PATH" or "HOST:PORT", "[v6]:PORT"), listen, and move
 * the socket onto fd 0. A socket file left at PATH by an earlier run is
 * replaced; any other file is not. *created receives a malloc'ed copy of
 * a unix path this call created (the caller unlinks it at exit and frees
 * it), else NULL. 0, or -1 with the reason on stderr.
 */
int listen_open(const char *spec, char **created);

/*
 * Set the mode (mode >= 0) and group (group not NULL) of the unix socket
 * at path, the one listen_open created; path NULL (no unix socket of ours)
 * is an error. 0, or -1 with the reason on stderr.
 */
int listen_set_access(const char *path, long mode, const char *group);

#endif
