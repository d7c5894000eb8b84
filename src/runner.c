/*
 * runner.c: work items over pool.c.  The items go into a pool_queue
 * largest first; each worker loops taking the next one, says START,
 * runs the caller's work callback, then says DONE (or FAIL and stops),
 * and ends with BYE and the number it did.  The parent checks that
 * story: an item started once, by a worker holding no other, reported
 * done by the worker that started it, and every worker's BYE count equal
 * to the DONEs it sent.  Anything else is a failure that names the item.
 * Frames of the caller's own types, and a better word on how a worker
 * ended, come from the caller's hooks (the sandbox's, in practice).  It
 * never prints findings itself (the caller's callbacks do) and knows
 * nothing about what an item is.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"
#include "proto.h"
#include "runner.h"
#include "sig.h"
#include "util.h"

struct rrun {
	const struct runner_ops	*ops;
	const struct runner_opts *o;
	void			*arg;
	const uint64_t		*sizes;
	size_t			 n;
	unsigned int		 nworkers;
	struct pool_queue	*queue;
	unsigned char		*started;	/* item -> STARTed already */
	long			*current;	/* worker -> item it holds, -1 */
	long			*bye;		/* worker -> items it says it did, -1 */
	unsigned long		*donecount;	/* worker -> DONEs received */
	size_t			 done;
	size_t			 nready;	/* items ready (feed) */
	int			 failed;	/* an error was already printed */
};

/* The run in progress (runner_ready() in the parent, runner_note() in a
 * worker, which inherits it). */
static struct rrun	*running;

/* The item of a FAIL frame about the worker itself (its init failed). */
#define NO_ITEM	UINT32_MAX

/* ---- in the worker ---------------------------------------------------- */

static int	worker_fd = -1;
static size_t	worker_item;

static void
worker_warn(const char *text)
{
	if (proto_send_text(worker_fd, MSG_WARN, (uint32_t)worker_item, text) != 0)
		_exit(1);
}

int
runner_report(size_t i, const char *text)
{
	return proto_send_text(worker_fd, MSG_REPORT, (uint32_t)i, text);
}

int
runner_worker_fd(void)
{
	return worker_fd;
}

static int
worker_work(void *arg, unsigned int id, int fd)
{
	struct rrun		*r = arg;
	struct runner_stats	 st;
	struct msg_start	 s;
	struct msg_done		 d;
	struct msg_bye		 bye = { 0 };
	unsigned char		 frames[PROTO_MAX_FRAME];
	size_t			 out;
	long			 k;

	(void)id;		/* every worker takes from the same queue */
	worker_fd = fd;
	warn_hook = worker_warn;
	if (r->ops->init != NULL && r->ops->init(r->arg) != 0) {
		proto_send_text(fd, MSG_FAIL, NO_ITEM, err_get());
		return 1;
	}
	out = 0;
	while ((k = pool_queue_next(r->queue)) >= 0) {
		worker_item = (size_t)k;
		s.wheel = (uint32_t)k;
		if (proto_put(frames, &out, MSG_START, &s, sizeof(s)) != 0 ||
		    proto_write(fd, frames, out) != 0)
			return 1;
		out = 0;
		memset(&st, 0, sizeof(st));
		if (r->ops->work(r->arg, (size_t)k, &st) != 0) {
			proto_send_text(fd, MSG_FAIL, (uint32_t)k, err_get());
			return 1;
		}
		memset(&d, 0, sizeof(d));
		d.wheel = (uint32_t)k;
		d.files = st.files;
		d.bytes = st.bytes;
		d.cached = st.cached;
		if (proto_put(frames, &out, MSG_DONE, &d, sizeof(d)) != 0)
			return 1;
		/* Every item is ready (no feed): the next is claimed without
		 * waiting, and DONE goes with its START, one write for two.
		 * A fed queue may wait for a download: DONE goes now. */
		if (r->o->feed != NULL) {
			if (proto_write(fd, frames, out) != 0)
				return 1;
			out = 0;
		}
		bye.count++;
	}
	if (proto_put(frames, &out, MSG_BYE, &bye, sizeof(bye)) != 0 ||
	    proto_write(fd, frames, out) != 0)
		return 1;
	return 0;
}

const char *
runner_note(size_t i)
{
	if (running == NULL || running->o->feed == NULL)
		return NULL;
	return pool_queue_note(running->queue, i);
}

/* ---- in the parent ---------------------------------------------------- */

int
runner_ready(size_t i, const char *note)
{
	if (running == NULL || running->o->feed == NULL)
		BUG("runner_ready() outside a fed run");
	if (pool_queue_ready(running->queue, i, note) != 0)
		return -1;
	running->nready++;
	return 0;
}

static void
quiet(const struct rrun *r)
{
	if (r->ops->quiet != NULL)
		r->ops->quiet(r->arg);
}

static const char *
describe_exit(const struct rrun *r, pid_t pid, int status)
{
	if (r->ops->describe_exit == NULL)
		return NULL;
	return r->ops->describe_exit(r->arg, pid, status);
}

/* "worker 2 (pid 123) HOW", naming the item it held or how many it did. */
static void
say_ended(const struct rrun *r, unsigned int id, pid_t pid, const char *how)
{
	quiet(r);
	if (r->current[id] >= 0)
		error_msg("%s: worker %u (pid %ld) %s while %s it",
		    r->ops->label(r->arg, (size_t)r->current[id]), id + 1, (long)pid,
		    how, r->o->doing);
	else
		error_msg("worker %u (pid %ld) %s after %lu %s%s", id + 1, (long)pid,
		    how, r->donecount[id], r->o->noun,
		    r->bye[id] < 0 ? ", without saying it was done" : "");
}

static int
on_message(void *arg, unsigned int id, pid_t pid, uint32_t type,
    const void *payload, uint32_t len)
{
	struct rrun		*r = arg;
	const struct msg_text	*m = payload;
	struct runner_stats	 st;
	struct msg_start	 s;
	struct msg_done		 d;
	struct msg_bye		 b;
	const char		*how;
	uint32_t		 item;
	size_t			 tlen;

	switch (type) {
	case MSG_START:
		memcpy(&s, payload, sizeof(s));
		if (s.wheel >= r->n || r->started[s.wheel] || r->current[id] >= 0)
			break;
		r->started[s.wheel] = 1;
		r->current[id] = (long)s.wheel;
		if (r->ops->start != NULL)
			r->ops->start(r->arg, s.wheel);
		return 0;
	case MSG_DONE:
		memcpy(&d, payload, sizeof(d));
		if ((long)d.wheel != r->current[id])
			break;
		r->current[id] = -1;
		r->donecount[id]++;
		r->done++;
		st.files = d.files;
		st.bytes = d.bytes;
		st.cached = d.cached;
		if (r->ops->done(r->arg, d.wheel, &st) != 0) {
			r->failed = 1;
			return -1;
		}
		return 0;
	case MSG_FAIL:
	case MSG_WARN:
	case MSG_REPORT:
		memcpy(&item, &m->wheel, sizeof(item));
		tlen = len - sizeof(uint32_t);
		if (type == MSG_WARN) {
			quiet(r);
			warn_msg("%.*s", (int)tlen, m->text);
			return 0;
		}
		if (type == MSG_FAIL && item == NO_ITEM && r->current[id] < 0) {
			quiet(r);
			error_msg("worker %u (pid %ld): %.*s", id + 1, (long)pid,
			    (int)tlen, m->text);
		} else if ((long)item != r->current[id])
			break;
		else if (type == MSG_REPORT) {
			if (r->ops->report == NULL ||
			    r->ops->report(r->arg, item, m->text, tlen) != 0) {
				r->failed = 1;
				return -1;
			}
			return 0;
		} else {
			quiet(r);
			if (r->ops->fail != NULL)
				r->ops->fail(r->arg, item, m->text, tlen);
			else
				error_msg("%s: %.*s", r->ops->label(r->arg, item),
				    (int)tlen, m->text);
		}
		/* What stopped it, if the caller knows (its sandbox). */
		if ((how = describe_exit(r, pid, 0)) != NULL)
			say_ended(r, id, pid, how);
		r->failed = 1;
		return -1;
	case MSG_BYE:
		memcpy(&b, payload, sizeof(b));
		r->bye[id] = (long)b.count;
		return 0;
	default:
		if (r->ops->frame != NULL &&
		    r->ops->frame(r->arg, pid, type, payload, len) == 0)
			return 0;
		break;
	}
	quiet(r);
	error_msg("worker %u sent %s about an item it was not given", id + 1,
	    proto_type_name(type));
	r->failed = 1;
	return -1;
}

static int
on_finished(void *arg, unsigned int id, pid_t pid, int status)
{
	struct rrun	*r = arg;
	const char	*how = describe_exit(r, pid, status);

	if (how == NULL && status == 0 && r->bye[id] >= 0 &&
	    (unsigned long)r->bye[id] == r->donecount[id])
		return 0;
	if (how == NULL && r->failed)
		return -1;
	say_ended(r, id, pid, how ? how : pool_status_str(status));
	r->failed = 1;
	return -1;
}

static void
on_broken(void *arg, unsigned int id, pid_t pid)
{
	struct rrun	*r = arg;

	(void)id;
	(void)pid;
	quiet(r);
	error_msg("%s", err_get());
	r->failed = 1;
}

/* The pool's wait: the caller's feed while items are not ready, then
 * plain poll(2). */
static int
on_wait(void *arg, struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
	struct rrun	*r = arg;
	int		 rc;

	if (r->o->feed != NULL && r->nready < r->n) {
		rc = r->o->feed->wait(r->arg, fds, nfds, timeout_ms);
		if (rc == -1 && !r->failed) {
			quiet(r);
			error_msg("%s", err_get());
			r->failed = 1;
		}
		return rc < 0 ? rc : 0;
	}
	if (poll(fds, nfds, timeout_ms) < 0 && errno != EINTR)
		return err_set("poll: %s", strerror(errno));
	return 0;
}

static int
cmp_size_desc(const void *a, const void *b, void *arg)
{
	const uint64_t	*sizes = arg;
	size_t		 x = *(const size_t *)a, y = *(const size_t *)b;

	if (sizes[x] != sizes[y])
		return sizes[x] < sizes[y] ? 1 : -1;
	return x < y ? -1 : x > y;
}

int
runner_run(const uint64_t *sizes, size_t n, const struct runner_ops *ops,
    void *arg, const struct runner_opts *o)
{
	struct pool_ops	 pops = {
		worker_work, on_message, on_finished, on_broken, on_wait,
	};
	const struct runner_feed *feed = o->feed;
	struct rrun	 r;
	size_t		*order, i;
	int		 rc;

	if (n == 0)
		return 0;
	memset(&r, 0, sizeof(r));
	r.ops = ops;
	r.o = o;
	r.arg = arg;
	r.sizes = sizes;
	r.n = n;
	r.nworkers = o->jobs < n ? (o->jobs ? o->jobs : 1) : (unsigned int)n;
	order = xcalloc(n, sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), cmp_size_desc, (void *)sizes);
	if (feed != NULL) {
		r.queue = pool_queue_new_held(order, n, feed->ready, RUNNER_NOTE_MAX);
		for (i = 0; i < n; i++)
			r.nready += feed->ready != NULL && feed->ready[i];
	} else {
		r.queue = pool_queue_new(order, n);
		r.nready = n;
	}
	free(order);
	r.started = xcalloc(n, 1);
	r.current = xcalloc(r.nworkers, sizeof(*r.current));
	r.bye = xcalloc(r.nworkers, sizeof(*r.bye));
	r.donecount = xcalloc(r.nworkers, sizeof(*r.donecount));
	for (i = 0; i < r.nworkers; i++)
		r.current[i] = r.bye[i] = -1;
	running = &r;
	rc = pool_run(r.nworkers, &pops, &r, &sig_stop, sig_wake_fd());
	running = NULL;
	if (rc == 0 && r.done != n) {
		quiet(&r);
		error_msg("the workers did %zu of %zu %s", r.done, n, o->noun);
		rc = -1;
	} else if (rc == -1 && !r.failed) {
		quiet(&r);
		error_msg("%s", err_get());
	}
	if (sig_stop)
		rc = -2;
	pool_queue_free(r.queue);
	free(r.started);
	free(r.current);
	free(r.bye);
	free(r.donecount);
	return rc;
}
