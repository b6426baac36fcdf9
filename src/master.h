/* master.h -- the pre-fork process manager: spawn, reap, respawn, graceful stop, reload. */
#ifndef OW_MASTER_H
#define OW_MASTER_H

#include "config.h"

/*
 * Run the pool on listen_fd until SIGTERM/SIGINT/SIGQUIT/SIGUSR1 (graceful
 * stop) with cfg (owned by the master from now on; replaced on SIGHUP by
 * re-reading cfg_path, which may be NULL for the default). workers_override
 * > 0 fixes the pool size whatever the configuration says. unlink_path, if
 * not NULL, is the socket file to remove at exit. Returns the exit code.
 */
int master_run(struct config *cfg, const char *cfg_path, int listen_fd, long workers_override,
    const char *unlink_path);

#endif
