/*
 * pool.h: a fixed set of forked worker processes, one pipe each, framed
 * messages (proto.h), and reaping.  It knows nothing about wheels: the
 * caller gives the work to run in each child and callbacks for what the
 * children say.
 */
#ifndef FORKLIFT_POOL_H
#define FORKLIFT_POOL_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pool_ops {
	/* In the child: do worker id's share, writing frames to fd.  The
	 * return value is the child's exit status. */
	int	(*work)(void *arg, unsigned int id, int fd);
	/* In the parent: one frame of a valid size.  -1 fails the run. */
	int	(*message)(void *arg, unsigned int id, pid_t pid, uint32_t type,
		    const void *payload, uint32_t len);
	/* In the parent: worker id is done (its pipe reached EOF and it was
	 * reaped, in either order).  -1 fails the run. */
	int	(*finished)(void *arg, unsigned int id, pid_t pid, int status);
	/* In the parent: the pool failed because of a protocol error; the
	 * message is in err_get(). */
	void	(*broken)(void *arg, unsigned int id, pid_t pid);
	/* In the parent (may be NULL: poll(2)): wait like poll(2) on the
	 * workers' pipes and the wake-up pipe, for at most timeout_ms (-1: no
	 * limit), filling in revents.  It runs only after every worker was
	 * forked.  >= 0, or -1 after err_set() (fails the run), or -2 (the
	 * run was stopped). */
	int	(*wait)(void *arg, struct pollfd *fds, nfds_t nfds, int timeout_ms);
};

/*
 * Fork n workers and run until all are finished, a callback fails, or
 * *stop becomes nonzero (a signal handler sets it; wake_fd, when >= 0, is
 * the read end of a self-pipe that the handler writes to).  On failure or
 * stop the remaining workers get SIGTERM, then SIGKILL after a grace
 * period, and are reaped before this returns.
 * Returns 0 on success, -1 on failure, -2 when stopped.
 */
int	 pool_run(unsigned int n, const struct pool_ops *, void *arg,
	    volatile sig_atomic_t *stop, int wake_fd);

/*
 * Work shared out as the workers become free: the items in a given order
 * (largest first, say), each handed to the first worker that asks.  The
 * state lives in a shared anonymous page; make the queue before
 * pool_run(), take from it in the workers, free it after.
 */
struct pool_queue;
/* Every item ready at once. */
struct pool_queue *pool_queue_new(const size_t *order, size_t n);
/* Only the items with ready[item] nonzero (every item when ready is
 * NULL) are ready at once; the parent makes
 * the others ready later, in any order, each with an optional note of
 * less than notemax bytes that the worker taking it can read. */
struct pool_queue *pool_queue_new_held(const size_t *order, size_t n,
	    const unsigned char *ready, size_t notemax);
/* In the parent: item is ready now.  0, or -1 after err_set() (out of
 * range, ready already, note too long). */
int	 pool_queue_ready(struct pool_queue *, size_t item, const char *note);
/* In a worker: the next ready item (the first in the given order among
 * those ready), waiting without spinning while items are not ready yet;
 * -1 when every item was handed out. */
long	 pool_queue_next(struct pool_queue *);
/* The note given with item, or NULL. */
const char *pool_queue_note(const struct pool_queue *, size_t item);
void	 pool_queue_free(struct pool_queue *);

/* The status finished() gets for a worker whose exit status could not be
 * collected (waitpid(2) said ECHILD): a failure, never 0. */
#define POOL_STATUS_LOST	(-1)

/* One human sentence for a wait status: "exited with status 3",
 * "was killed by signal 9 (SIGKILL)".  Static buffer. */
const char *pool_status_str(int status);

#endif
