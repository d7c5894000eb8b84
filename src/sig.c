/*
 * sig.c: signal dispositions and the stop flag.  The handlers do two
 * async-signal-safe things, set sig_stop and write one byte to the
 * self-pipe; what a stop means is decided by the loops that check it.
 * This file never exits and never prints.  Children get default
 * dispositions from spawn.c, not from here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sig.h"

volatile sig_atomic_t sig_stop;
static int wake[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int	saved = errno;

	if (sig_stop == 0)
		sig_stop = sig;
	if (wake[1] >= 0)
		(void)!write(wake[1], "", 1);
	errno = saved;
}

void
sig_init(void)
{
	struct sigaction	sa;

	if (wake[0] < 0 && pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
		wake[0] = wake[1] = -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int
sig_wake_fd(void)
{
	return wake[0];
}

int
sig_status(void)
{
	return 128 + sig_stop;
}

void
sig_reset(void)
{
	char	b[64];

	sig_stop = 0;
	if (wake[0] >= 0)
		while (read(wake[0], b, sizeof(b)) > 0)
			;
}
