/*
 * pool.c: forks the workers, reads their frames, reaps them.
 *
 * The parent's loop reads as "start N, wait for output, collect finished":
 * it poll(2)s every open pipe (and the caller's wake-up pipe), buffers
 * partial frames per worker, hands whole frames to the caller, and
 * declares a worker finished only when both its pipe hit EOF and
 * waitpid(2) returned its status, in either order (worker_done() is that
 * one rule).  Workers are forked by spawn.c (so a child dies with its
 * parent) and stop on EPIPE, so no worker outlives its parent.
 * This file knows nothing about wheels.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
proto_send(int fd, uint32_t type, const void *payload, uint32_t len)
{
	unsigned char		frame[PROTO_MAX_FRAME];
	struct proto_hdr	h = { type, len };
	ssize_t			w;

	if (len > PROTO_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(frame, &h, sizeof(h));
	if (len)
		memcpy(frame + sizeof(h), payload, len);
	/* One write(2) of at most PIPE_BUF bytes is atomic on a pipe. */
	do
		w = write(fd, frame, sizeof(h) + len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -1;
	if ((size_t)w != sizeof(h) + len) {
		errno = EIO;
		return -1;
	}
	return 0;
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

struct pool_queue {
	size_t		*order;
	size_t		 n;
	size_t		*next;		/* shared between the processes */
};

struct pool_queue *
pool_queue_new(const size_t *order, size_t n)
{
	struct pool_queue	*q = xcalloc(1, sizeof(*q));

	q->order = xcalloc(n ? n : 1, sizeof(*q->order));
	if (n)
		memcpy(q->order, order, n * sizeof(*order));
	q->n = n;
	q->next = mmap(NULL, sizeof(*q->next), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (q->next == MAP_FAILED)
		die(1, "cannot map a shared page: %s", strerror(errno));
	*q->next = 0;
	return q;
}

long
pool_queue_next(struct pool_queue *q)
{
	size_t	k = __atomic_fetch_add(q->next, 1, __ATOMIC_RELAXED);

	return k < q->n ? (long)q->order[k] : -1;
}

void
pool_queue_free(struct pool_queue *q)
{
	if (q == NULL)
		return;
	munmap(q->next, sizeof(*q->next));
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
	int		 rc = 0;

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
		if (poll(pfd, nfd, nfd == (wake_fd >= 0 ? 1u : 0u) ? 10 : -1) < 0) {
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
