/* signals.c -- signal dispositions and masks, set the same way by the master and the workers. */
#include "signals.h"

#include <string.h>

const int signals_stop[] = {SIGTERM, SIGINT, SIGQUIT, SIGUSR1};
const size_t signals_nstop = sizeof(signals_stop) / sizeof(signals_stop[0]);

int
signals_set(const int *sigs, size_t n, void (*handler)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < n; i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return -1;
	return 0;
}

void
signals_block(const int *sigs, size_t n, sigset_t *old)
{
	sigset_t set;

	if (sigs == NULL) {
		sigfillset(&set);
	} else {
		sigemptyset(&set);
		for (size_t i = 0; i < n; i++)
			sigaddset(&set, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &set, old);
}

void
signals_hold_stops(void)
{
	signals_block(signals_stop, signals_nstop, NULL);
}

void
signals_release_stops(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < signals_nstop; i++)
		sigaddset(&set, signals_stop[i]);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}
