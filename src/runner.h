/*
 * runner.h: runs a set of work items over the worker pool.  The items
 * are known by index and size; the workers take them largest first, each
 * when it is free, and run the caller's work callback on each.  The parent
 * does the bookkeeping every such run needs (which worker holds which
 * item, that every item was done exactly once, that a worker that dies
 * names the item it held) and calls the caller back per item.  It knows
 * nothing about wheels or distributions.
 */
#ifndef FORKLIFT_RUNNER_H
#define FORKLIFT_RUNNER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What a worker says about an item it finished (the DONE frame). */
struct runner_stats {
	uint64_t	 files;
	uint64_t	 bytes;
	uint32_t	 cached;	/* nonzero: served from a cache */
};

struct runner_ops {
	/* In the worker, once before its first item (may be NULL).  -1
	 * after err_set() ends the worker, the text going to the parent as
	 * the worker's failure. */
	int	(*init)(void *arg);
	/* In the worker: do item i and fill *st (zeroed before the call).
	 * Returns 0, or -1 after err_set(): the text goes to the parent as
	 * the item's failure and the worker stops. */
	int	(*work)(void *arg, size_t i, struct runner_stats *st);

	/* In the parent (each may be NULL unless noted): */
	/* a worker began item i */
	void	(*start)(void *arg, size_t i);
	/* item i is done (required); -1 fails the run */
	int	(*done)(void *arg, size_t i, const struct runner_stats *);
	/* item i failed with text (len bytes, not NUL-terminated); the run
	 * fails.  NULL: printed as "LABEL: text". */
	void	(*fail)(void *arg, size_t i, const char *text, size_t len);
	/* one runner_report() line about item i; -1 fails the run */
	int	(*report)(void *arg, size_t i, const char *text, size_t len);
	/* called before the runner prints anything (to clear a progress
	 * line) */
	void	(*quiet)(void *arg);
	/* the item's name for messages (required) */
	const char *(*label)(void *arg, size_t i);
	/* a frame of a type the runner does not handle itself (proto.h),
	 * from worker pid: 0 taken, -1 unexpected (a protocol error that
	 * fails the run, as any such frame does when this is NULL) */
	int	(*frame)(void *arg, pid_t pid, uint32_t type, const void *payload,
		    uint32_t len);
	/* how worker pid ended, when the caller can say it better than its
	 * wait status ("was stopped by ..."), else NULL.  status is 0 when
	 * asked at the worker's failure, before it ended.  A sentence fails
	 * the run and is printed even after the failure's own message. */
	const char *(*describe_exit)(void *arg, pid_t pid, int status);
};

/*
 * Items that become ready later (their input is still being made, say
 * downloaded).  The workers are forked first; a worker with nothing ready
 * to take sleeps (it does not spin) until the parent calls runner_ready().
 * Among the ready items the largest is still taken first.
 */
struct runner_feed {
	/* item -> ready at the start (nonzero); NULL: none is */
	const unsigned char *ready;
	/* In the parent, after every worker was forked, while some item is
	 * not ready yet: wait like poll(2) on fds (the workers' pipes and the
	 * wake-up pipe) for at most timeout_ms (-1: no limit), filling in
	 * their revents, and call runner_ready() for items as they become
	 * ready, in any order.  Returns >= 0, -1 after err_set() (fails the
	 * run; the remaining workers are stopped), or -2 (stopped by a
	 * signal).  Once every item is ready the runner waits by itself. */
	int	(*wait)(void *arg, struct pollfd *fds, size_t nfds, int timeout_ms);
};

struct runner_opts {
	unsigned int	 jobs;		/* at most this many workers */
	const char	*doing;		/* "unpacking": "worker 2 ... while
					   unpacking it" */
	const char	*noun;		/* "wheels": "... after 3 wheels" */
	const struct runner_feed *feed;	/* NULL: every item is ready */
};

/* The longest note runner_ready() takes, NUL included. */
#define RUNNER_NOTE_MAX	4096

/*
 * Run items 0..n-1 of the given sizes (the largest is started first) on
 * min(jobs, n) workers.  Warnings a worker prints (warn_msg) reach the
 * parent's stderr whole; a worker that fails, dies or breaks the protocol
 * fails the run, and the remaining workers are stopped.  A stop signal
 * (sig.h) stops the run.
 * Returns 0 when every item was done, -1 on failure (the error is
 * printed), -2 when stopped by a signal.
 */
int	 runner_run(const uint64_t *sizes, size_t n, const struct runner_ops *,
	    void *arg, const struct runner_opts *);

/* In the parent, during feed->wait() of a runner_run(): item i is ready,
 * with note (NULL, or a string shorter than RUNNER_NOTE_MAX: a path,
 * say) for the worker that takes it.  0, or -1 after err_set() (no such
 * item, ready already, note too long). */
int	 runner_ready(size_t i, const char *note);

/* In a worker, during work(): the note given with item i, or NULL. */
const char *runner_note(size_t i);

/* In a worker, during work(): one line of findings about item i, handed
 * to ops->report in the parent.  0, or -1 when the parent is gone. */
int	 runner_report(size_t i, const char *text);

/* In a worker: its pipe to the parent, for frames of the caller's own
 * types (ops->frame); -1 outside a worker. */
int	 runner_worker_fd(void);

#endif
