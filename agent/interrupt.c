/* See interrupt.h. */
#include <signal.h>
#include <string.h>

#include "interrupt.h"

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	if (caught != 0) {
		/* the second one: stop now (both calls are async-signal-safe) */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	caught = sig;
}

void agent_interrupt_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int agent_interrupted(void)
{
	return caught;
}
