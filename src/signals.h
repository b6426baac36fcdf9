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

#endif
