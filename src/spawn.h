/*
 * spawn.h: the one way forklift starts a child process.  Workers of the
 * pool, the interpreter query and the bytecode compile servers all fork
 * here, so every child starts the same: no handler of the parent can run
 * in it, its signals are at their defaults and unblocked, it dies with
 * its parent, and it holds no descriptor it was not meant to.
 */
#ifndef FORKLIFT_SPAWN_H
#define FORKLIFT_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/*
 * fork(2) with every signal blocked across it (so a signal that arrives
 * meanwhile is delivered to the parent after, and never to a child still
 * running the parent's handlers).  In the child, before this returns 0:
 * every signal's disposition back to SIG_DFL, the signal mask emptied,
 * PR_SET_PDEATHSIG(SIGKILL) set, an _exit(127) if the parent has already
 * died, and the nclose descriptors of close_fds closed (negative entries
 * are skipped).  stdio is flushed first.
 * Returns the child's pid in the parent, 0 in the child, or -1 after
 * err_set() (the signal mask is restored either way).
 */
pid_t	 spawn_fork(const int *close_fds, size_t nclose);

/*
 * waitpid(2) for one child, retrying on EINTR.  Returns 0 and its wait
 * status, or -1 after err_set() when it cannot be waited for (ECHILD: it
 * was reaped elsewhere; the status is then unknown, never a success).
 */
int	 spawn_wait(pid_t pid, int *status);

#endif
