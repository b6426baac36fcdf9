/* worker.h -- one FastCGI worker: accept loop, one request at a time, recycling. */
#ifndef OW_WORKER_H
#define OW_WORKER_H

#include <stdbool.h>

#include "config.h"

#define WORKER_EXIT_INIT 78     /* EX_CONFIG: initialisation failed, do not respawn in a storm */

/*
 * Serve requests arriving on listen_fd until SIGTERM, SIGINT, SIGQUIT or
 * SIGUSR1 (each: finish the request in flight, then exit) or until
 * cfg->max_requests have been served. under_master: exit when the master
 * dies. Returns the process exit code.
 */
int worker_run(const struct config *cfg, int listen_fd, bool under_master);

#endif
