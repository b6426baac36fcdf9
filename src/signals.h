/* signals.h -- the one place processes set signal dispositions and masks (master, worker, the child between them). */
#ifndef OW_SIGNALS_H
#define OW_SIGNALS_H

#include <signal.h>
#include <stddef.h>

/*
 * Give each of sigs[0..n) the disposition handler (a function, SIG_DFL or
 * SIG_IGN) with sa_flags flags and an empty sa_mask. Without SA_RESTART a
 * blocking call such as accept returns EINTR, which the worker's stop
 * relies on. 0, or -1 at the first failure.
 */
int signals_set(const int *sigs, size_t n, void (*handler)(int), int flags);

/*
 * Block sigs[0..n), or every signal when sigs is NULL; *old (if not NULL)
 * receives the mask before, to restore with sigprocmask(SIG_SETMASK) or to
 * wait with in ppoll/sigsuspend.
 */
void signals_block(const int *sigs, size_t n, sigset_t *old);

/* The signals that stop a process gracefully: SIGTERM, SIGINT, SIGQUIT, SIGUSR1. */
extern const int signals_stop[];
extern const size_t signals_nstop;

/*
 * Block the stop signals from the first instruction of main() until the
 * process has its handlers: a stop that arrives while it starts waits
 * instead of killing it. A process spawned alone (mod_fcgid) may be
 * stopped a few milliseconds after its spawn, by a graceful restart, while
 * its spawner is already writing a request to its socket: killed by the
 * default action it would reset that request (a 500); blocked, the stop
 * is delivered in the worker's first ppoll, and the queued request is
 * answered before the process leaves. The master releases them
 * (signals_release_stops) once its handlers are set.
 */
void signals_hold_stops(void);
void signals_release_stops(void);

#endif
