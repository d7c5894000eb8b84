/*
 * check_runner.c: the generic runner over real forked workers.  Items
 * are taken largest first, every item is done exactly once and its stats
 * reach the parent, reports reach the item they name, and a failing or
 * dying worker fails the run naming its item.  The caller's hooks: frames
 * of its own types reach ops->frame, ops->describe_exit is asked how a
 * worker ended, and a worker whose init fails fails the run.
 */
#include "config.h"

#include <sys/mman.h>
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "runner.h"
#include "sig.h"
#include "util.h"

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
	struct runner_opts	o = { 1, "testing", "items" };
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
	struct runner_opts	o = { (unsigned int)_i + 1, "testing", "items" };
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
	struct runner_opts	o = { 3, "testing", "items" };
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
	struct runner_opts	o = { 2, "testing", "items" };
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
	struct runner_opts	o = { 2, "testing", "items" };
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
	struct runner_opts	o = { 1, "testing", "items" };
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
	struct runner_opts	o = { 2, "testing", "items" };
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
	struct runner_opts	o = { 2, "testing", "items" };
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
	struct runner_opts	o = { 4, "testing", "items" };
	struct tctx		c;

	ctx_init(&c);
	ck_assert_int_eq(runner_run(c.sizes, 0, &ops, &c, &o), 0);
	ck_assert_int_eq(*c.nseq, 0);
	ctx_free(&c);
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
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(runner_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
