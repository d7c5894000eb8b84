/*
 * check_runner.c: the generic runner over real forked workers.  Items
 * are taken largest first, every item is done exactly once and its stats
 * reach the parent, reports reach the item they name, and a failing or
 * dying worker fails the run naming its item.  Items fed in later (made
 * ready by the parent while the workers already run) are each done once,
 * with the note given, by workers that sleep while they wait and stop at
 * once when the run fails or is stopped.  The caller's hooks: frames of
 * its own types reach ops->frame, ops->describe_exit is asked how a
 * worker ended, and a worker whose init fails fails the run.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "runner.h"
#include "sig.h"
#include "util.h"
#include "testkit.h"

#define NITEMS	9

struct tctx {
	uint64_t	 sizes[NITEMS];
	long		*seq;		/* shared: the order items were taken */
	long		*nseq;
	long		 fail_item;	/* work() fails on it, or -1 */
	long		 kill_item;	/* the worker dies on it, or -1 */
	unsigned int	 done[NITEMS];
	uint64_t	 files;
	struct strv	 reports;
	long		 failed_item;
	char		 failtext[128];
	int		 inits;
	int		 fail_init;	/* init() fails */
	long		 frame_item;	/* work() sends a SANDBOX frame first */
	int		 frames;	/* SANDBOX frames the parent took */
	pid_t		 frame_pid;
	int		 described;	/* describe_exit() sentences given */
};

static int
t_init(void *arg)
{
	struct tctx	*c = arg;

	c->inits++;
	if (c->fail_init)
		return err_set("init cannot start");
	return 0;
}

static int
t_work(void *arg, size_t i, struct runner_stats *st)
{
	struct tctx	*c = arg;
	char		 line[64];

	c->seq[__atomic_fetch_add(c->nseq, 1, __ATOMIC_RELAXED)] = (long)i;
	if ((long)i == c->frame_item) {
		struct msg_sandbox	m = { 42 };

		if (proto_send(runner_worker_fd(), MSG_SANDBOX, &m, sizeof(m)) != 0)
			return err_set("cannot send the frame");
	}
	if ((long)i == c->kill_item)
		raise(SIGKILL);
	if ((long)i == c->fail_item)
		return err_set("item %zu is broken", i);
	if (c->inits != 1)
		return err_set("init ran %d times", c->inits);
	snprintf(line, sizeof(line), "item %zu looked at", i);
	if (runner_report(i, line) != 0)
		return err_set("report failed");
	st->files = i + 1;
	return 0;
}

static int
t_done(void *arg, size_t i, const struct runner_stats *st)
{
	struct tctx	*c = arg;

	c->done[i]++;
	c->files += st->files;
	return 0;
}

static void
t_fail(void *arg, size_t i, const char *text, size_t len)
{
	struct tctx	*c = arg;

	c->failed_item = (long)i;
	snprintf(c->failtext, sizeof(c->failtext), "%.*s", (int)len, text);
}

static int
t_report(void *arg, size_t i, const char *text, size_t len)
{
	struct tctx	*c = arg;
	char		*want = xasprintf("item %zu looked at", i);
	int		 ok = strlen(want) == len && memcmp(want, text, len) == 0;

	free(want);
	strv_push_owned(&c->reports, xstrndup(text, len));
	return ok ? 0 : -1;
}

static const char *
t_label(void *arg, size_t i)
{
	static char	s[32];

	(void)arg;
	snprintf(s, sizeof(s), "item-%zu", i);
	return s;
}

static int
t_frame(void *arg, pid_t pid, uint32_t type, const void *payload, uint32_t len)
{
	struct tctx		*c = arg;
	struct msg_sandbox	 m;

	if (type != MSG_SANDBOX || len != sizeof(m))
		return -1;
	memcpy(&m, payload, sizeof(m));
	if (m.nr != 42)
		return -1;
	c->frames++;
	c->frame_pid = pid;
	return 0;
}

static const char *
t_describe(void *arg, pid_t pid, int status)
{
	struct tctx	*c = arg;

	(void)status;
	if (c->frames == 0 || pid != c->frame_pid)
		return NULL;
	c->described++;
	return "was stopped by the test";
}

static const struct runner_ops ops = {
	.init = t_init, .work = t_work, .done = t_done, .fail = t_fail,
	.report = t_report, .label = t_label,
};

static const struct runner_ops frame_ops = {
	.init = t_init, .work = t_work, .done = t_done, .fail = t_fail,
	.report = t_report, .label = t_label, .frame = t_frame,
};

static const struct runner_ops hook_ops = {
	.init = t_init, .work = t_work, .done = t_done, .fail = t_fail,
	.report = t_report, .label = t_label, .frame = t_frame,
	.describe_exit = t_describe,
};

static void
ctx_init(struct tctx *c)
{
	static const uint64_t sizes[NITEMS] = { 5, 90, 1, 40, 40, 7, 0, 300, 2 };

	memset(c, 0, sizeof(*c));
	memcpy(c->sizes, sizes, sizeof(sizes));
	c->seq = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	ck_assert(c->seq != MAP_FAILED);
	c->nseq = c->seq + 256;
	c->fail_item = c->kill_item = c->failed_item = c->frame_item = -1;
}

static void
ctx_free(struct tctx *c)
{
	munmap(c->seq, 4096);
	strv_free(&c->reports);
}

/* One worker takes them in exactly the size order, ties by index. */
START_TEST(test_runner_order)
{
	static const long want[NITEMS] = { 7, 1, 3, 4, 5, 0, 8, 2, 6 };
	struct runner_opts	o = { 1, "testing", "items", NULL };
	struct tctx		c;
	size_t			i;

	sig_init();
	ctx_init(&c);
	ck_assert_int_eq(runner_run(c.sizes, NITEMS, &ops, &c, &o), 0);
	ck_assert_int_eq(*c.nseq, NITEMS);
	for (i = 0; i < NITEMS; i++)
		ck_assert_int_eq(c.seq[i], want[i]);
	ctx_free(&c);
}
END_TEST

START_TEST(test_runner_all_once)
{
	struct runner_opts	o = { (unsigned int)_i + 1, "testing", "items", NULL };
	struct tctx		c;
	size_t			i;

	sig_init();
	ctx_init(&c);
	ck_assert_int_eq(runner_run(c.sizes, NITEMS, &ops, &c, &o), 0);
	for (i = 0; i < NITEMS; i++)
		ck_assert_uint_eq(c.done[i], 1);
	ck_assert_uint_eq(c.files, NITEMS * (NITEMS + 1) / 2);
	ck_assert_uint_eq(c.reports.n, NITEMS);
	ck_assert_int_eq(c.failed_item, -1);
	ctx_free(&c);
}
END_TEST

START_TEST(test_runner_fail)
{
	struct runner_opts	o = { 3, "testing", "items", NULL };
	struct tctx		c;

	sig_init();
	ctx_init(&c);
	c.fail_item = 3;
	ck_assert_int_eq(runner_run(c.sizes, NITEMS, &ops, &c, &o), -1);
	ck_assert_int_eq(c.failed_item, 3);
	ck_assert_str_eq(c.failtext, "item 3 is broken");
	ck_assert_uint_eq(c.done[3], 0);
	ctx_free(&c);
}
END_TEST

START_TEST(test_runner_worker_dies)
{
	struct runner_opts	o = { 2, "testing", "items", NULL };
	struct tctx		c;

	sig_init();
	ctx_init(&c);
	c.kill_item = 4;
	ck_assert_int_eq(runner_run(c.sizes, NITEMS, &ops, &c, &o), -1);
	ck_assert_uint_eq(c.done[4], 0);
	ck_assert_int_eq(c.failed_item, -1);	/* it died: no FAIL text */
	ctx_free(&c);
}
END_TEST

/* A frame of the caller's type reaches ops->frame; the worker that sent
 * it and then died is described by ops->describe_exit. */
START_TEST(test_runner_frame_hook)
{
	struct runner_opts	o = { 2, "testing", "items", NULL };
	struct tctx		c;

	sig_init();
	ctx_init(&c);
	c.frame_item = c.kill_item = 5;
	ck_assert_int_eq(runner_run(c.sizes, NITEMS, &hook_ops, &c, &o), -1);
	ck_assert_int_eq(c.frames, 1);
	ck_assert_int_ge(c.described, 1);
	ck_assert_uint_eq(c.done[5], 0);
	ctx_free(&c);
}
END_TEST

/* At a FAIL after such a frame, describe_exit is asked too. */
START_TEST(test_runner_frame_then_fail)
{
	struct runner_opts	o = { 1, "testing", "items", NULL };
	struct tctx		c;

	sig_init();
	ctx_init(&c);
	c.frame_item = c.fail_item = 0;
	ck_assert_int_eq(runner_run(c.sizes, NITEMS, &hook_ops, &c, &o), -1);
	ck_assert_int_eq(c.failed_item, 0);
	ck_assert_int_eq(c.frames, 1);
	ck_assert_int_eq(c.described, 1);
	ctx_free(&c);
}
END_TEST

/* Without a frame hook, the same frame is a protocol error; with only a
 * frame hook, it is taken and the run succeeds. */
START_TEST(test_runner_frame_unexpected)
{
	struct runner_opts	o = { 2, "testing", "items", NULL };
	struct tctx		c;

	sig_init();
	ctx_init(&c);
	c.frame_item = 2;
	ck_assert_int_eq(runner_run(c.sizes, NITEMS, &ops, &c, &o), -1);
	ck_assert_int_eq(c.frames, 0);
	ctx_free(&c);
	ctx_init(&c);
	c.frame_item = 2;
	ck_assert_int_eq(runner_run(c.sizes, NITEMS, &frame_ops, &c, &o), 0);
	ck_assert_int_eq(c.frames, 1);
	ck_assert_uint_eq(c.done[2], 1);
	ctx_free(&c);
}
END_TEST

/* A worker whose init fails fails the run before any item. */
START_TEST(test_runner_init_fails)
{
	struct runner_opts	o = { 2, "testing", "items", NULL };
	struct tctx		c;
	size_t			i;

	sig_init();
	ctx_init(&c);
	c.fail_init = 1;
	ck_assert_int_eq(runner_run(c.sizes, NITEMS, &ops, &c, &o), -1);
	ck_assert_int_eq(*c.nseq, 0);
	for (i = 0; i < NITEMS; i++)
		ck_assert_uint_eq(c.done[i], 0);
	ck_assert_int_eq(c.failed_item, -1);	/* about the worker, no item */
	ctx_free(&c);
}
END_TEST

START_TEST(test_runner_empty)
{
	struct runner_opts	o = { 4, "testing", "items", NULL };
	struct tctx		c;

	ctx_init(&c);
	ck_assert_int_eq(runner_run(c.sizes, 0, &ops, &c, &o), 0);
	ck_assert_int_eq(*c.nseq, 0);
	ctx_free(&c);
}
END_TEST

/* ---- items made ready later ------------------------------------------ */

struct fctx {
	struct tctx	 t;
	unsigned char	 ready[NITEMS];
	size_t		 feed_order[NITEMS];
	size_t		 nfed;
	long		 hold_ms;	/* feed nothing before this */
	long		 fail_ms;	/* the feed fails after this, or -1 */
	long		 stop_ms;	/* Ctrl-C after this, or -1 */
	long		 hold_last;	/* feed the last only when the others
					   were taken */
	struct timespec	 t0;
	long		 cpu_max_us;	/* most CPU time a worker used */
};

static long
ms_since(const struct timespec *t0)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static long
cpu_us(int who)
{
	struct rusage	ru;

	getrusage(who, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static int
f_work(void *arg, size_t i, struct runner_stats *st)
{
	struct fctx	*c = arg;
	const char	*note = runner_note(i);
	char		 want[32];

	c->t.seq[__atomic_fetch_add(c->t.nseq, 1, __ATOMIC_RELAXED)] = (long)i;
	if ((long)i == c->t.fail_item)
		return err_set("item %zu is broken", i);
	snprintf(want, sizeof(want), "note-%zu", i);
	if (c->ready[i] ? note != NULL : note == NULL || strcmp(note, want) != 0)
		return err_set("item %zu has the note '%s'", i, note ? note : "(none)");
	st->files = i + 1;
	st->bytes = (uint64_t)cpu_us(RUSAGE_SELF);
	return 0;
}

static int
f_done(void *arg, size_t i, const struct runner_stats *st)
{
	struct fctx	*c = arg;

	c->t.done[i]++;
	c->t.files += st->files;
	if ((long)st->bytes > c->cpu_max_us)
		c->cpu_max_us = (long)st->bytes;
	return 0;
}

static void
f_fail(void *arg, size_t i, const char *text, size_t len)
{
	struct fctx	*c = arg;

	t_fail(&c->t, i, text, len);
}

static int
f_wait(void *arg, struct pollfd *fds, size_t nfds, int timeout_ms)
{
	struct fctx	*c = arg;
	long		 ms = ms_since(&c->t0);
	char		 note[32];
	size_t		 i;

	if (c->fail_ms >= 0 && ms >= c->fail_ms)
		return err_set("the feed broke");
	if (c->stop_ms >= 0 && ms >= c->stop_ms)
		raise(SIGINT);
	if (ms >= c->hold_ms && c->nfed < NITEMS) {
		i = c->feed_order[c->nfed];
		if (c->hold_last && c->nfed == NITEMS - 1 &&
		    *c->t.nseq < NITEMS - 1)
			goto sleep;
		c->nfed++;
		if (!c->ready[i]) {
			snprintf(note, sizeof(note), "note-%zu", i);
			return runner_ready(i, note);
		}
		return 0;
	}
sleep:
	if (timeout_ms < 0 || timeout_ms > 5)
		timeout_ms = 5;
	return poll(fds, nfds, timeout_ms) < 0 && errno != EINTR ? -1 : 0;
}

static const char *
f_label(void *arg, size_t i)
{
	return t_label(arg, i);
}

static const struct runner_ops fops = {
	.work = f_work, .done = f_done, .fail = f_fail, .label = f_label,
};

static void
fctx_init(struct fctx *c)
{
	static const size_t order[NITEMS] = { 6, 2, 8, 0, 5, 3, 4, 1, 7 };

	ctx_init(&c->t);
	memset(c->ready, 0, sizeof(c->ready));
	memcpy(c->feed_order, order, sizeof(order));
	c->nfed = 0;
	c->hold_ms = 0;
	c->fail_ms = c->stop_ms = -1;
	c->hold_last = 0;
	c->cpu_max_us = 0;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
}

/* Fed late and smallest first, some ready at the start: each done once
 * with its note. */
START_TEST(test_runner_fed_all_once)
{
	struct runner_feed	 feed = { NULL, f_wait };
	struct runner_opts	 o = { (unsigned int)_i + 1, "testing", "items", &feed };
	struct fctx		 c;
	size_t			 i;

	sig_init();
	fctx_init(&c);
	c.ready[7] = c.ready[2] = 1;
	feed.ready = c.ready;
	ck_assert_int_eq(runner_run(c.t.sizes, NITEMS, &fops, &c, &o), 0);
	for (i = 0; i < NITEMS; i++)
		ck_assert_uint_eq(c.t.done[i], 1);
	ck_assert_int_eq(*c.t.nseq, NITEMS);
	ck_assert_uint_eq(c.t.files, NITEMS * (NITEMS + 1) / 2);
	ck_assert_int_eq(c.t.failed_item, -1);
	kit_assert_no_children();
	ctx_free(&c.t);
}
END_TEST

/* Among the items ready, the largest is still taken first; the held one
 * comes last. */
START_TEST(test_runner_fed_order)
{
	static const long want[NITEMS] = { 7, 1, 3, 4, 5, 0, 8, 2, 6 };
	struct runner_feed	 feed = { NULL, f_wait };
	struct runner_opts	 o = { 1, "testing", "items", &feed };
	struct fctx		 c;
	size_t			 i;

	sig_init();
	fctx_init(&c);
	memset(c.ready, 1, sizeof(c.ready));
	c.ready[6] = 0;
	c.feed_order[NITEMS - 1] = 6;
	c.feed_order[0] = 7;
	c.hold_last = 1;
	feed.ready = c.ready;
	ck_assert_int_eq(runner_run(c.t.sizes, NITEMS, &fops, &c, &o), 0);
	for (i = 0; i < NITEMS; i++)
		ck_assert_int_eq(c.t.seq[i], want[i]);
	ctx_free(&c.t);
}
END_TEST

/* Workers wait a second for their first item, asleep: next to no CPU
 * time in them or in the parent. */
START_TEST(test_runner_fed_no_spin)
{
	struct runner_feed	 feed = { NULL, f_wait };
	struct runner_opts	 o = { 2, "testing", "items", &feed };
	struct fctx		 c;
	long			 parent0;

	sig_init();
	fctx_init(&c);
	c.hold_ms = 1000;
	feed.ready = c.ready;
	parent0 = cpu_us(RUSAGE_SELF);
	ck_assert_int_eq(runner_run(c.t.sizes, NITEMS, &fops, &c, &o), 0);
	ck_assert_int_ge(ms_since(&c.t0), 1000);
	ck_assert_msg(c.cpu_max_us < 100000, "a waiting worker used %ld us of CPU",
	    c.cpu_max_us);
	ck_assert_msg(cpu_us(RUSAGE_SELF) - parent0 < 150000,
	    "the waiting parent used %ld us of CPU", cpu_us(RUSAGE_SELF) - parent0);
	ctx_free(&c.t);
}
END_TEST

/* The feed fails, or an item fails, while workers wait for items that
 * never come: the run fails at once and no worker is left. */
START_TEST(test_runner_fed_fail)
{
	struct runner_feed	 feed = { NULL, f_wait };
	struct runner_opts	 o = { 3, "testing", "items", &feed };
	struct fctx		 c;

	sig_init();
	fctx_init(&c);
	feed.ready = c.ready;
	if (_i == 0) {
		c.hold_ms = 100000;
		c.fail_ms = 200;
	} else {
		c.ready[3] = 1;
		c.t.fail_item = 3;
		c.hold_ms = 100000;
	}
	ck_assert_int_eq(runner_run(c.t.sizes, NITEMS, &fops, &c, &o), -1);
	ck_assert_int_lt(ms_since(&c.t0), 1500);
	if (_i == 1) {
		ck_assert_int_eq(c.t.failed_item, 3);
		ck_assert_str_eq(c.t.failtext, "item 3 is broken");
	}
	kit_assert_no_children();
	ctx_free(&c.t);
}
END_TEST

/* Ctrl-C while the workers wait: stopped (-2) within a second. */
START_TEST(test_runner_fed_stop)
{
	struct runner_feed	 feed = { NULL, f_wait };
	struct runner_opts	 o = { 2, "testing", "items", &feed };
	struct fctx		 c;

	sig_init();
	fctx_init(&c);
	feed.ready = c.ready;
	c.hold_ms = 100000;
	c.stop_ms = 200;
	ck_assert_int_eq(runner_run(c.t.sizes, NITEMS, &fops, &c, &o), -2);
	ck_assert_int_lt(ms_since(&c.t0), 1200);
	kit_assert_no_children();
	sig_reset();
	ctx_free(&c.t);
}
END_TEST

static Suite *
runner_suite(void)
{
	Suite	*s = suite_create("runner");
	TCase	*tc;

	tc = tcase_create("run");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_runner_order);
	tcase_add_loop_test(tc, test_runner_all_once, 0, 4);
	tcase_add_test(tc, test_runner_fail);
	tcase_add_test(tc, test_runner_worker_dies);
	tcase_add_test(tc, test_runner_frame_hook);
	tcase_add_test(tc, test_runner_frame_then_fail);
	tcase_add_test(tc, test_runner_frame_unexpected);
	tcase_add_test(tc, test_runner_init_fails);
	tcase_add_test(tc, test_runner_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("fed");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_runner_fed_all_once, 0, 3);
	tcase_add_test(tc, test_runner_fed_order);
	tcase_add_test(tc, test_runner_fed_no_spin);
	tcase_add_loop_test(tc, test_runner_fed_fail, 0, 2);
	tcase_add_test(tc, test_runner_fed_stop);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(runner_suite)
