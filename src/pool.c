/*
 * pool.c: forks the workers, reads their frames, reaps them.
 *
 * The parent's loop reads as "start N, wait for output, collect finished":
 * it poll(2)s every open pipe (and the caller's wake-up pipe), buffers
 * partial frames per worker, hands whole frames to the caller, and
 * declares a worker finished only when both its pipe hit EOF and
 * waitpid(2) returned its status, in either order (worker_done() is that
 * one rule).  A caller may wait in its own poll (pool_ops.wait) to serve
 * other descriptors from the same loop.  Workers are forked by spawn.c
 * (so a child dies with its parent) and stop on EPIPE, so no worker
 * outlives its parent.  The shared queue hands items out in a fixed
 * order; items may become ready later, and a worker with nothing to take
 * sleeps on a process-shared semaphore.  This file knows nothing about
 * wheels.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "pool.h"
#include "proto.h"
#include "spawn.h"
#include "util.h"

struct worker {
	pid_t		 pid;
	int		 fd;		/* read end, -1 after EOF */
	int		 reaped;
	int		 status;
	int		 finished;	/* reported to the caller */
	unsigned char	 in[PROTO_MAX_FRAME * 2];
	size_t		 inlen;
};

const char *
proto_type_name(uint32_t type)
{
	switch (type) {
	case MSG_START:
		return "START";
	case MSG_DONE:
		return "DONE";
	case MSG_FAIL:
		return "FAIL";
	case MSG_WARN:
		return "WARN";
	case MSG_BYE:
		return "BYE";
	case MSG_REPORT:
		return "REPORT";
	case MSG_SANDBOX:
		return "SANDBOX";
	default:
		return "unknown";
	}
}

int
proto_put(unsigned char *buf, size_t *used, uint32_t type, const void *payload,
    uint32_t len)
{
	struct proto_hdr	h = { type, len };

	if (len > PROTO_MAX_PAYLOAD || PROTO_MAX_FRAME - *used < sizeof(h) + len) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(buf + *used, &h, sizeof(h));
	if (len)
		memcpy(buf + *used + sizeof(h), payload, len);
	*used += sizeof(h) + len;
	return 0;
}

int
proto_write(int fd, const unsigned char *buf, size_t len)
{
	ssize_t	w;

	/* One write(2) of at most PIPE_BUF bytes is atomic on a pipe. */
	do
		w = write(fd, buf, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -1;
	if ((size_t)w != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int
proto_send(int fd, uint32_t type, const void *payload, uint32_t len)
{
	unsigned char	frame[PROTO_MAX_FRAME];
	size_t		used = 0;

	if (proto_put(frame, &used, type, payload, len) != 0)
		return -1;
	return proto_write(fd, frame, used);
}

int
proto_send_text(int fd, uint32_t type, uint32_t wheel, const char *text)
{
	unsigned char	 p[PROTO_MAX_PAYLOAD];
	size_t		 n = strlen(text);

	if (n > sizeof(p) - sizeof(uint32_t))
		n = sizeof(p) - sizeof(uint32_t);
	memcpy(p, &wheel, sizeof(wheel));
	memcpy(p + sizeof(wheel), text, n);
	return proto_send(fd, type, p, (uint32_t)(sizeof(wheel) + n));
}

/*
 * The queue's shared page: a state byte per item (not ready, ready,
 * taken), then a note of notemax bytes per item.  The semaphore counts
 * ready items not yet claimed, so a worker with nothing to take sleeps in
 * sem_wait(3) instead of spinning; one more post, passed on from worker
 * to worker, wakes them all when the last item was taken.
 */
enum { Q_WAITING, Q_READY, Q_TAKEN };

struct pool_qshared {
	sem_t		 sem;
	size_t		 taken;		/* items handed out */
	size_t		 first;		/* order[] before this: all taken */
};

struct pool_queue {
	size_t			*order;
	size_t			 n;
	size_t			 notemax;
	struct pool_qshared	*sh;		/* shared between the processes */
	unsigned char		*state;		/* item -> Q_* (shared) */
	char			*notes;		/* item -> note (shared) */
	size_t			 maplen;
};

struct pool_queue *
pool_queue_new(const size_t *order, size_t n)
{
	return pool_queue_new_held(order, n, NULL, 0);
}

struct pool_queue *
pool_queue_new_held(const size_t *order, size_t n, const unsigned char *ready,
    size_t notemax)
{
	struct pool_queue	*q = xcalloc(1, sizeof(*q));
	size_t			 i, nready = 0;
	void			*m;

	q->order = xcalloc(n ? n : 1, sizeof(*q->order));
	if (n)
		memcpy(q->order, order, n * sizeof(*order));
	q->n = n;
	q->notemax = notemax;
	q->maplen = sizeof(*q->sh) + n + n * notemax;
	m = mmap(NULL, q->maplen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die(1, "cannot map a shared page: %s", strerror(errno));
	q->sh = m;
	q->state = (unsigned char *)m + sizeof(*q->sh);
	q->notes = (char *)q->state + n;
	for (i = 0; i < n; i++) {
		q->state[i] = ready == NULL || ready[i] ? Q_READY : Q_WAITING;
		nready += q->state[i] == Q_READY;
	}
	if (sem_init(&q->sh->sem, 1, (unsigned int)nready + (n == 0)) != 0)
		die(1, "cannot make a shared semaphore: %s", strerror(errno));
	return q;
}

int
pool_queue_ready(struct pool_queue *q, size_t item, const char *note)
{
	size_t	len = note != NULL ? strlen(note) : 0;

	if (item >= q->n)
		return err_set("item %zu is out of range", item);
	if (q->state[item] != Q_WAITING)
		return err_set("item %zu was already ready", item);
	if (len > 0 && len >= q->notemax)
		return err_set("item %zu: a note of %zu bytes does not fit", item,
		    len);
	if (len > 0)
		memcpy(q->notes + item * q->notemax, note, len + 1);
	__atomic_store_n(&q->state[item], Q_READY, __ATOMIC_RELEASE);
	if (sem_post(&q->sh->sem) != 0)
		return err_set("cannot post a semaphore: %s", strerror(errno));
	return 0;
}

const char *
pool_queue_note(const struct pool_queue *q, size_t item)
{
	if (item >= q->n || q->notemax == 0 || q->notes[item * q->notemax] == '\0')
		return NULL;
	return q->notes + item * q->notemax;
}

/* Claim the first ready item in order; -1 when none is ready just now. */
static long
queue_claim(struct pool_queue *q)
{
	size_t		k, item, first;
	unsigned char	want;

	first = __atomic_load_n(&q->sh->first, __ATOMIC_RELAXED);
	for (k = first; k < q->n; k++) {
		item = q->order[k];
		want = Q_READY;
		if (__atomic_load_n(&q->state[item], __ATOMIC_ACQUIRE) == Q_TAKEN) {
			if (k == first) {
				/* Everything before k + 1 is taken. */
				__atomic_compare_exchange_n(&q->sh->first, &first,
				    k + 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
				first = k + 1;
			}
			continue;
		}
		if (__atomic_compare_exchange_n(&q->state[item], &want, Q_TAKEN, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return (long)item;
	}
	return -1;
}

long
pool_queue_next(struct pool_queue *q)
{
	long	item;

	for (;;) {
		if (__atomic_load_n(&q->sh->taken, __ATOMIC_ACQUIRE) >= q->n)
			break;
		if (sem_wait(&q->sh->sem) != 0) {
			if (errno == EINTR)
				continue;
			BUG("sem_wait: %s", strerror(errno));	/* EINVAL only */
		}
		/* A post is a ready item for us, or the wake-up after the last
		 * one was taken.  Another worker may be claiming the item we
		 * were posted for while we scan: scan again until one is ours. */
		while ((item = queue_claim(q)) < 0)
			if (__atomic_load_n(&q->sh->taken, __ATOMIC_ACQUIRE) >= q->n)
				goto end;
		if (__atomic_add_fetch(&q->sh->taken, 1, __ATOMIC_ACQ_REL) == q->n)
			sem_post(&q->sh->sem);
		return item;
	}
	return -1;
end:
	/* Pass the wake-up on to the next sleeper. */
	sem_post(&q->sh->sem);
	return -1;
}

void
pool_queue_free(struct pool_queue *q)
{
	if (q == NULL)
		return;
	sem_destroy(&q->sh->sem);
	munmap(q->sh, q->maplen);
	free(q->order);
	free(q);
}

const char *
pool_status_str(int status)
{
	static char	s[96];

	if (status == POOL_STATUS_LOST)
		snprintf(s, sizeof(s), "ended with its exit status lost");
	else if (WIFEXITED(status))
		snprintf(s, sizeof(s), "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(s, sizeof(s), "was killed by signal %d (SIG%s)",
		    WTERMSIG(status), sigabbrev_np(WTERMSIG(status)) ?
		    sigabbrev_np(WTERMSIG(status)) : "?");
	else
		snprintf(s, sizeof(s), "ended with wait status %#x", status);
	return s;
}

static void __attribute__((noreturn))
child_main(const struct pool_ops *ops, void *arg, unsigned int id, int fd)
{
	/* A closed pipe (the parent is gone) must be EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	_exit(ops->work(arg, id, fd));
}

/* The one rule: finished when the pipe is closed and the child reaped. */
static int
worker_done(const struct worker *w)
{
	return w->fd < 0 && w->reaped;
}

static int
drain_frames(struct worker *w, unsigned int id, const struct pool_ops *ops,
    void *arg)
{
	struct proto_hdr	h;
	size_t			off = 0;

	while (w->inlen - off >= sizeof(h)) {
		memcpy(&h, w->in + off, sizeof(h));
		if (!proto_valid(h.type, h.len)) {
			err_set("worker %u (pid %ld) sent a bad frame (type %u, %u bytes)",
			    id + 1, (long)w->pid, h.type, h.len);
			ops->broken(arg, id, w->pid);
			return -1;
		}
		if (w->inlen - off - sizeof(h) < h.len)
			break;
		if (ops->message(arg, id, w->pid, h.type, w->in + off + sizeof(h),
		    h.len) != 0)
			return -1;
		off += sizeof(h) + h.len;
	}
	memmove(w->in, w->in + off, w->inlen - off);
	w->inlen -= off;
	return 0;
}

/* Collect the exit status of every worker that has ended (only our own
 * children: other children of the process are left alone).  With block,
 * wait until at least one has. */
static void
reap_some(struct worker *ws, unsigned int n, int block)
{
	struct timespec	nap = { 0, 5 * 1000 * 1000 };
	unsigned int	i, live, got;
	int		status;
	pid_t		pid;

	for (;;) {
		for (got = live = 0, i = 0; i < n; i++) {
			if (ws[i].pid <= 0 || ws[i].reaped)
				continue;
			pid = waitpid(ws[i].pid, &status, WNOHANG);
			/* ECHILD: reaped by someone else, its status is
			 * lost; never taken for a success. */
			if (pid == ws[i].pid || (pid < 0 && errno == ECHILD)) {
				ws[i].reaped = 1;
				ws[i].status = pid < 0 ? POOL_STATUS_LOST : status;
				got++;
			} else
				live++;
		}
		if (!block || got > 0 || live == 0)
			return;
		nanosleep(&nap, NULL);
	}
}

/* Stop every live worker: SIGTERM, a grace period, then SIGKILL; reap all. */
static void
stop_all(struct worker *ws, unsigned int n)
{
	struct timespec	nap = { 0, 10 * 1000 * 1000 };
	unsigned int	i, left, tries;

	for (i = 0; i < n; i++)
		if (ws[i].pid > 0 && !ws[i].reaped)
			kill(ws[i].pid, SIGTERM);
	for (tries = 0; tries < 200; tries++) {
		reap_some(ws, n, 0);
		for (left = 0, i = 0; i < n; i++)
			if (ws[i].pid > 0 && !ws[i].reaped)
				left++;
		if (left == 0)
			break;
		nanosleep(&nap, NULL);
	}
	for (i = 0; i < n; i++)
		if (ws[i].pid > 0 && !ws[i].reaped)
			kill(ws[i].pid, SIGKILL);
	for (i = 0; i < n; i++) {
		while (ws[i].pid > 0 && !ws[i].reaped)
			reap_some(ws, n, 1);
		if (ws[i].fd >= 0) {
			close(ws[i].fd);
			ws[i].fd = -1;
		}
	}
}

static int
start_workers(struct worker *ws, unsigned int n, const struct pool_ops *ops,
    void *arg)
{
	unsigned int	 i;
	int		 fds[2], *drop;

	/* A worker holds only its own write end: not its read end, nor the
	 * read ends of the workers forked before it. */
	drop = xcalloc(n + 1, sizeof(*drop));
	for (i = 0; i < n; i++) {
		if (pipe2(fds, O_CLOEXEC) != 0) {
			free(drop);
			return err_set("cannot create a pipe: %s", strerror(errno));
		}
		drop[i] = fds[0];
		ws[i].pid = spawn_fork(drop, i + 1);
		if (ws[i].pid < 0) {
			close(fds[0]);
			close(fds[1]);
			free(drop);
			return err_prefix("worker %u", i + 1);
		}
		if (ws[i].pid == 0)
			child_main(ops, arg, i, fds[1]);
		close(fds[1]);
		ws[i].fd = fds[0];
	}
	free(drop);
	return 0;
}

int
pool_run(unsigned int n, const struct pool_ops *ops, void *arg,
    volatile sig_atomic_t *stop, int wake_fd)
{
	struct worker	*ws;
	struct pollfd	*pfd;
	unsigned int	*who, i, nfd, left;
	ssize_t		 r;
	int		 rc = 0, timeout;

	if (n == 0)
		BUG("pool of no workers");
	ws = xcalloc(n, sizeof(*ws));
	pfd = xcalloc(n + 1, sizeof(*pfd));
	who = xcalloc(n + 1, sizeof(*who));
	for (i = 0; i < n; i++)
		ws[i].fd = -1;
	if (start_workers(ws, n, ops, arg) != 0) {
		rc = -1;
		goto out;
	}
	for (;;) {
		if (stop != NULL && *stop) {
			rc = -2;
			goto out;
		}
		for (left = 0, i = 0; i < n; i++) {
			if (worker_done(&ws[i]) && !ws[i].finished) {
				ws[i].finished = 1;
				if (ops->finished(arg, i, ws[i].pid, ws[i].status) != 0) {
					rc = -1;
					goto out;
				}
			}
			if (!ws[i].finished)
				left++;
		}
		if (left == 0)
			break;
		nfd = 0;
		for (i = 0; i < n; i++) {
			if (ws[i].fd >= 0) {
				pfd[nfd].fd = ws[i].fd;
				pfd[nfd].events = POLLIN;
				who[nfd++] = i;
			}
		}
		if (wake_fd >= 0) {
			pfd[nfd].fd = wake_fd;
			pfd[nfd].events = POLLIN;
			who[nfd++] = n;
		}
		timeout = nfd == (wake_fd >= 0 ? 1u : 0u) ? 10 : -1;
		if (ops->wait != NULL) {
			if ((r = ops->wait(arg, pfd, nfd, timeout)) < 0) {
				rc = r == -2 ? -2 : -1;
				goto out;
			}
		} else if (poll(pfd, nfd, timeout) < 0) {
			if (errno == EINTR)
				continue;
			rc = err_set("poll: %s", strerror(errno));
			goto out;
		}
		for (i = 0; i < nfd; i++) {
			struct worker	*w;

			if (pfd[i].revents == 0 || who[i] == n)
				continue;
			w = &ws[who[i]];
			r = read(w->fd, w->in + w->inlen, sizeof(w->in) - w->inlen);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				if (w->inlen != 0) {
					err_set("worker %u (pid %ld) closed its pipe in the "
					    "middle of a frame", who[i] + 1, (long)w->pid);
					ops->broken(arg, who[i], w->pid);
					rc = -1;
					goto out;
				}
				close(w->fd);
				w->fd = -1;
				reap_some(ws, n, 0);
				continue;
			}
			w->inlen += (size_t)r;
			if (drain_frames(w, who[i], ops, arg) != 0) {
				rc = -1;
				goto out;
			}
		}
		reap_some(ws, n, 0);
	}
out:
	stop_all(ws, n);
	free(ws);
	free(pfd);
	free(who);
	return rc;
}
