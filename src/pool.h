/*
 * pool.h: a fixed set of forked worker processes, one pipe each, framed
 * messages (proto.h), and reaping.  It knows nothing about wheels: the
 * caller gives the work to run in each child and callbacks for what the
 * children say.
 */
#ifndef FORKLIFT_POOL_H
#define FORKLIFT_POOL_H

#include <signal.h>
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
 * counter lives in a shared anonymous page; make the queue before
 * pool_run(), take from it in the workers, free it after.
 */
struct pool_queue;
struct pool_queue *pool_queue_new(const size_t *order, size_t n);
/* In a worker: the next item, or -1 when none is left. */
long	 pool_queue_next(struct pool_queue *);
void	 pool_queue_free(struct pool_queue *);

/* The status finished() gets for a worker whose exit status could not be
 * collected (waitpid(2) said ECHILD): a failure, never 0. */
#define POOL_STATUS_LOST	(-1)

/* One human sentence for a wait status: "exited with status 3",
 * "was killed by signal 9 (SIGKILL)".  Static buffer. */
const char *pool_status_str(int status);

#endif
