/* worker.h -- one FastCGI worker: accept loop, one request at a time, recycling. */
#ifndef OW_WORKER_H
#define OW_WORKER_H

#include <stdbool.h>

#include "config.h"

#define WORKER_EXIT_INIT 78     /* EX_CONFIG: initialisation failed, do not respawn in a storm */
#define WORKER_DRAIN_MAX 16     /* queued connections a stopping process spawned alone still answers */

/*
 * Serve requests arriving on listen_fd until SIGTERM, SIGINT, SIGQUIT or
 * SIGUSR1 (each: finish the request in flight, then exit). under_master: a
 * pre-fork worker, which also exits after cfg->max_requests requests and
 * when the master dies. Otherwise the process was spawned alone (mod_fcgid,
 * spawn-fcgi): its spawner decides when it leaves, so max_requests does not
 * apply, and on a stop signal it also answers the connections already
 * queued on listen_fd (at most WORKER_DRAIN_MAX). Returns the exit code.
 */
int worker_run(const struct config *cfg, int listen_fd, bool under_master);

#endif
