/*
 * sig.h: the one home of forklift's signal state.  SIGINT, SIGTERM and
 * SIGHUP only record which signal asked forklift to stop and write a byte
 * to a self-pipe; every long loop checks sig_stop, and every loop that
 * sleeps in poll(2) also polls sig_wake_fd() so that it wakes at once.
 */
#ifndef FORKLIFT_SIG_H
#define FORKLIFT_SIG_H

#include <signal.h>

/* The signal that asked forklift to stop (SIGINT, SIGTERM, SIGHUP), or 0. */
extern volatile sig_atomic_t sig_stop;

/*
 * Once, at startup: SIGPIPE ignored (a write to a closed pipe or stderr is
 * then EPIPE, an error like any other), SIGCHLD back to its default (an
 * inherited SIG_IGN would make the kernel reap children itself, and
 * waitpid(2) would never see their status), the stop handlers installed
 * and the self-pipe made.  Safe to call again.
 */
void	 sig_init(void);
/* The read end of the self-pipe (nonblocking; it becomes readable when a
 * stop signal arrives), or -1 before sig_init() or if it could not be
 * made. */
int	 sig_wake_fd(void);
/* Exit status for a stop by signal: 128 + its number (130 for Ctrl-C). */
int	 sig_status(void);
/* For tests: forget a recorded stop and empty the self-pipe. */
void	 sig_reset(void);

#endif
