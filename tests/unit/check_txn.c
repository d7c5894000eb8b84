/*
 * check_txn.c: the journal as a table of states.  Each row lays out an
 * environment as a dead forklift could have left it (a journal, whole,
 * truncated, empty, forged or absent, and the files in the staging tree,
 * its trash and the live tree), runs txn_recover(), and checks its result
 * and which files are where afterwards.  Then a whole transaction
 * (begin, plan, commit) and its rollback, and the refusals made while
 * planning.  Every row works in its own temporary directory.
 */
#include "config.h"

#include <sys/stat.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "target.h"
#include "txn.h"
#include "util.h"
#include "testkit.h"

static char	*root = kit_tmp;
static struct target tg;

static char *
at(const char *rel)
{
	return xasprintf("%s/%s", root, rel);
}

static int
exists(const char *rel)
{
	struct stat	 st;
	char		*p = at(rel);
	int		 rc = lstat(p, &st) == 0;

	free(p);
	return rc;
}

/* A journal template: @R@ is the root, records end in "\n". */
static void
put_journal(const char *tmpl)
{
	struct buf	 b = BUF_INIT;
	const char	*s;

	for (s = tmpl; *s; s++) {
		if (strncmp(s, "@R@", 3) == 0) {
			buf_adds(&b, root);
			s += 2;
		} else
			buf_add(&b, s, 1);
	}
	buf_add(&b, "", 1);
	kit_put(".forklift/journal", b.p, 0644);
	buf_free(&b);
}

static void
setup(void)
{
	kit_tmp_setup();
	memset(&tg, 0, sizeof(tg));
	tg.root = root;
	tg.purelib = at("lib");
	tg.platlib = at("lib");
	tg.scripts = at("bin");
	tg.data = root;
	tg.include = at("include");
	tg.lock_fd = -1;
	ck_assert_int_eq(mkdir_p(tg.purelib, 0755), 0);
	ck_assert_int_eq(mkdir_p(tg.scripts, 0755), 0);
	kit_put(".forklift/lock", "", 0644);
}

static void
teardown(void)
{
	kit_tmp_teardown();
	free(tg.purelib);
	free(tg.platlib);
	free(tg.scripts);
	free(tg.include);
}

#define TX	"@R@/.forklift/tx-1-00000001"

struct state {
	const char	*name;
	const char	*journal;	/* NULL: none */
	const char	*files[4];	/* created before recovery */
	int		 rc;		/* txn_recover() */
	const char	*present[4];	/* afterwards */
	const char	*absent[4];
};

static const struct state states[] = {
	{ "no journal, empty trash: stale staging removed", NULL,
	  { ".forklift/tx-1-00000001/0/purelib/x.py" }, 0,
	  { "lib" }, { ".forklift/tx-1-00000001" } },
	{ "no journal, non-empty trash: kept", NULL,
	  { ".forklift/tx-1-00000001/trash/0" }, -1,
	  { ".forklift/tx-1-00000001/trash/0" }, { "lib/x.py" } },
	{ "empty journal, non-empty trash: kept", "",
	  { ".forklift/tx-1-00000001/trash/0" }, -1,
	  { ".forklift/tx-1-00000001/trash/0" }, { "lib/x.py" } },
	{ "torn first record, non-empty trash: kept", "B\t" TX,
	  { ".forklift/tx-1-00000001/trash/0" }, -1,
	  { ".forklift/tx-1-00000001/trash/0" }, { "lib/x.py" } },
	{ "truncated journal naming the move: restored",
	  "B\t" TX "\nR\t@R@/lib/x.py\t" TX "/trash/0\nR\t" TX "/0/purelib/x",
	  { ".forklift/tx-1-00000001/trash/0" }, 0,
	  { "lib/x.py" }, { ".forklift/tx-1-00000001", ".forklift/journal" } },
	{ "torn record after the move: trash kept",
	  "B\t" TX "\nR\t@R@/lib/x.py\t" TX "/trash/0",
	  { ".forklift/tx-1-00000001/trash/0" }, -1,
	  { ".forklift/tx-1-00000001/trash/0" }, { "lib/x.py" } },
	{ "whole journal, every step done, no C: undone",
	  "B\t" TX "\nR\t@R@/lib/x.py\t" TX "/trash/0\n"
	  "R\t" TX "/0/purelib/x.py\t@R@/lib/x.py\n",
	  { ".forklift/tx-1-00000001/trash/0", "lib/x.py",
	    ".forklift/tx-1-00000001/0/purelib/keep" }, 0,
	  { "lib/x.py" }, { ".forklift/tx-1-00000001", ".forklift/journal" } },
	{ "whole journal, no step done: nothing moved",
	  "B\t" TX "\nR\t@R@/lib/x.py\t" TX "/trash/0\n"
	  "R\t" TX "/0/purelib/x.py\t@R@/lib/x.py\n",
	  { "lib/x.py", ".forklift/tx-1-00000001/0/purelib/x.py" }, 0,
	  { "lib/x.py" }, { ".forklift/tx-1-00000001", ".forklift/journal" } },
	{ "committed: the trash goes",
	  "B\t" TX "\nR\t@R@/lib/old.py\t" TX "/trash/0\nC\n",
	  { ".forklift/tx-1-00000001/trash/0" }, 0,
	  { "lib" }, { ".forklift/tx-1-00000001", "lib/old.py", ".forklift/journal" } },
	{ "record outside the root: not replayed",
	  "B\t" TX "\nR\t/etc/passwd\t" TX "/trash/0\n",
	  { ".forklift/tx-1-00000001/trash/0" }, -1,
	  { ".forklift/journal", ".forklift/tx-1-00000001/trash/0" } , { NULL } },
	{ "record into .forklift: not replayed",
	  "B\t" TX "\nR\t" TX "/trash/0\t@R@/.forklift/lock2\n",
	  { ".forklift/tx-1-00000001/trash/0" }, -1,
	  { ".forklift/journal", ".forklift/tx-1-00000001/trash/0" },
	  { ".forklift/lock2" } },
	{ "record with ..: not replayed",
	  "B\t" TX "\nR\t@R@/lib/../../x\t" TX "/trash/0\n",
	  { ".forklift/tx-1-00000001/trash/0" }, -1,
	  { ".forklift/journal", ".forklift/tx-1-00000001/trash/0" } , { NULL } },
	{ "B outside .forklift: not replayed",
	  "B\t@R@/lib\nR\t@R@/lib/x.py\t@R@/lib/y.py\n",
	  { "lib/y.py" }, -1, { ".forklift/journal", "lib/y.py" }, { "lib/x.py" } },
	{ "M outside the root: not replayed",
	  "B\t" TX "\nM\t/tmp\n", { "lib/k" }, -1, { ".forklift/journal" } , { NULL } },
	{ "unknown record: not replayed", "B\t" TX "\nX\tboom\n",
	  { "lib/k" }, -1, { ".forklift/journal" } , { NULL } },
};

START_TEST(test_recover_state)
{
	const struct state	*s = &states[_i];
	size_t			 k;
	int			 rc;

	for (k = 0; k < ARRAY_SIZE(s->files) && s->files[k]; k++)
		kit_put(s->files[k], "x\n", 0644);
	if (s->journal != NULL)
		put_journal(s->journal);
	rc = txn_recover(&tg);
	ck_assert_msg(rc == s->rc, "%s: txn_recover() = %d, want %d", s->name,
	    rc, s->rc);
	for (k = 0; k < ARRAY_SIZE(s->present) && s->present[k]; k++)
		ck_assert_msg(exists(s->present[k]), "%s: %s missing", s->name,
		    s->present[k]);
	for (k = 0; k < ARRAY_SIZE(s->absent) && s->absent[k]; k++)
		ck_assert_msg(!exists(s->absent[k]), "%s: %s still there",
		    s->name, s->absent[k]);
}
END_TEST

/* A whole transaction: planned first, nothing moves until commit_end;
 * with and without the flushes. */
START_TEST(test_commit)
{
	struct txn	 x;
	char		*stage, *dst;

	kit_put("lib/pkg/old.py", "old\n", 0644);
	ck_assert_int_eq(txn_begin(&x, &tg), 0);
	x.nosync = _i;
	stage = txn_stage_path(&x, 0);
	ck_assert_int_eq(mkdir(stage, 0777), 0);
	{
		char	*p = xasprintf("%s/purelib/pkg/new.py", stage);
		char	*d = xasprintf("%s/purelib/pkg", stage);

		ck_assert_int_eq(mkdir_p(d, 0755), 0);
		ck_assert_int_eq(write_file_atomic(p, "new\n", 4, 0644), 0);
		free(p);
		free(d);
	}
	ck_assert_int_eq(txn_commit_begin(&x), 0);
	dst = at("lib/pkg/old.py");
	ck_assert_int_eq(txn_remove(&x, dst), 0);
	free(dst);
	ck_assert_int_eq(txn_install(&x, 0, "purelib", tg.purelib, 2), 0);
	/* Planned only: nothing moved yet. */
	ck_assert(exists("lib/pkg/old.py"));
	ck_assert(!exists("lib/pkg/new.py"));
	ck_assert_int_eq(txn_commit_end(&x), 0);
	ck_assert(!exists("lib/pkg/old.py"));
	ck_assert(exists("lib/pkg/new.py"));
	ck_assert(!exists(".forklift/journal"));
	txn_free(&x);
	free(stage);
}
END_TEST

static void
stage_put(const struct txn *x, const char *rel)
{
	char	*p = xasprintf("%s/%s", x->dir, rel), *d = xstrdup(p);

	*strrchr(d, '/') = '\0';
	ck_assert_int_eq(mkdir_p(d, 0755), 0);
	if (str_ends(p, "/"))
		ck_assert_int_eq(mkdir_p(p, 0755), 0);
	else
		ck_assert_int_eq(write_file_atomic(p, "x\n", 2, 0644), 0);
	free(p);
	free(d);
}

/* The index of the step renaming a staged entry ending in "tail", or -1. */
static long
step_of(const struct txn *x, const char *tail)
{
	size_t	i;

	for (i = 0; i < x->nplan; i++)
		if (x->plan[i].kind == 'R' && str_ends(x->plan[i].a, tail))
			return (long)i;
	return -1;
}

/* Several wheels planned the way the engine asks (each key, then the
 * dist-info last): a key a wheel did not stage is not staged (1), a wheel
 * with no staging directory stages nothing, the dist-info moves after
 * every other file of its wheel, and after the commit the staging area
 * is gone whole: the emptied trees, a tree merged into an existing
 * directory, an empty key and a stray file alike. */
START_TEST(test_commit_sweeps)
{
	static const char	*keys[] = { "purelib", "platlib", "scripts",
				    "data", "headers" };
	struct txn		 x;
	struct strv		 left = STRV_INIT;
	const char		*dest[5];
	char			*fl, *old;
	unsigned int		 w;
	size_t			 k;
	int			 rc;

	dest[0] = dest[1] = tg.purelib;
	dest[2] = tg.scripts;
	dest[3] = tg.data;
	dest[4] = tg.include;
	kit_put("lib/ns/other.py", "o\n", 0644);
	kit_put("lib/pkg/old.py", "old\n", 0644);
	ck_assert_int_eq(txn_begin(&x, &tg), 0);
	x.nosync = 1;
	stage_put(&x, "0/purelib/ns/a.py");
	stage_put(&x, "0/purelib/w0-1.0.dist-info/RECORD");
	stage_put(&x, "0/scripts/tool");
	stage_put(&x, "0/data/");
	stage_put(&x, "0/stray");
	stage_put(&x, "1/purelib/w1.py");
	stage_put(&x, "1/purelib/w1-1.0.dist-info/RECORD");
	ck_assert_int_eq(txn_commit_begin(&x), 0);
	old = at("lib/pkg/old.py");
	ck_assert_int_eq(txn_remove(&x, old), 0);
	free(old);
	for (w = 0; w < 3; w++) {
		int	staged[5];

		for (k = 0; k < 5; k++) {
			rc = txn_install(&x, w, keys[k], dest[k], k < 2 ? 0 : 2);
			ck_assert_int_ge(rc, 0);
			staged[k] = rc == 0;
		}
		ck_assert_int_eq(staged[0], w < 2);
		ck_assert_int_eq(staged[1] + staged[4], 0);
		ck_assert_int_eq(staged[2], w == 0);
		ck_assert_int_eq(staged[3], w == 0);
		for (k = 0; k < 2; k++)
			if (staged[k])
				ck_assert_int_eq(txn_install(&x, w, keys[k],
				    dest[k], 1), 0);
	}
	ck_assert_int_gt(step_of(&x, "/0/purelib/w0-1.0.dist-info"),
	    step_of(&x, "/0/scripts/tool"));
	ck_assert_int_gt(step_of(&x, "/0/purelib/w0-1.0.dist-info"),
	    step_of(&x, "/0/purelib/ns/a.py"));
	ck_assert_int_gt(step_of(&x, "/1/purelib/w1-1.0.dist-info"),
	    step_of(&x, "/1/purelib/w1.py"));
	ck_assert_int_eq(txn_commit_end(&x), 0);
	ck_assert(exists("lib/ns/a.py") && exists("lib/ns/other.py"));
	ck_assert(exists("lib/w0-1.0.dist-info/RECORD") && exists("bin/tool"));
	ck_assert(exists("lib/w1.py") && exists("lib/w1-1.0.dist-info/RECORD"));
	ck_assert(!exists("lib/pkg/old.py") && !exists("lib/pkg"));
	fl = at(".forklift");
	ck_assert_int_eq(dir_names(fl, "lock", &left), 0);
	ck_assert_msg(left.n == 0, "left in .forklift: %s", left.v[0]);
	free(fl);
	strv_free(&left);
	txn_free(&x);
}
END_TEST

/* Many wheels into one directory, enough that planning reads it whole:
 * a file already there is still found (overwritten with a warning, or
 * refused with --strict), a directory already there still merged. */
START_TEST(test_plan_many_wheels)
{
	struct kit_capture cap;
	struct txn	 x;
	char		*rel, *said;
	unsigned int	 w, nw = 80;
	int		 rc = 0;

	kit_put("lib/late.py", "old\n", 0644);
	kit_put("lib/ns/other.py", "o\n", 0644);
	ck_assert_int_eq(txn_begin(&x, &tg), 0);
	x.nosync = 1;
	x.strict = _i;
	for (w = 0; w < nw; w++) {
		rel = xasprintf("%u/purelib/m%u.py", w, w);
		stage_put(&x, rel);
		free(rel);
		rel = xasprintf("%u/purelib/m%u-1.0.dist-info/RECORD", w, w);
		stage_put(&x, rel);
		free(rel);
	}
	stage_put(&x, "79/purelib/late.py");
	stage_put(&x, "79/purelib/ns/x.py");
	ck_assert_int_eq(txn_commit_begin(&x), 0);
	kit_cap_begin(&cap);
	for (w = 0; w < nw && rc == 0; w++) {
		x.label = "w";
		rc = txn_install(&x, w, "purelib", tg.purelib, 0);
		if (rc == 0)
			rc = txn_install(&x, w, "purelib", tg.purelib, 1);
	}
	said = kit_cap_end(&cap);
	ck_assert_msg(_i || strstr(said, "late.py") != NULL, "%s", said);
	free(said);
	if (_i) {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strstr(err_get(), "late.py") != NULL &&
		    strstr(err_get(), "--strict") != NULL, "%s", err_get());
		ck_assert_int_eq(txn_rollback(&x), 0);
		ck_assert(!exists("lib/m0.py") && exists("lib/late.py"));
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(x.overwritten, 1);
		ck_assert_int_eq(txn_commit_end(&x), 0);
		ck_assert(exists("lib/m0.py") && exists("lib/m79-1.0.dist-info"));
		ck_assert(exists("lib/ns/x.py") && exists("lib/ns/other.py"));
		rel = at("lib/late.py");
		{
			char	*text;

			ck_assert_int_eq(read_file(rel, 100, &text, NULL), 0);
			ck_assert_str_eq(text, "x\n");
			free(text);
		}
		free(rel);
	}
	txn_free(&x);
}
END_TEST

/* Planning refuses the state directory and the environment's own files. */
static const struct {
	const char	*key, *rel, *existing, *why;
} refusals[] = {
	{ "data", ".forklift/lock", NULL, "state directory" },
	{ "data", ".forklift/journal", NULL, "state directory" },
	{ "scripts", "python3", "bin/python3", "interpreter" },
	{ "scripts", "activate.fish", "bin/activate.fish", "activation" },
	{ "data", "pyvenv.cfg", "pyvenv.cfg", "pyvenv.cfg" },
};

START_TEST(test_plan_refuses)
{
	struct txn	 x;
	char		*stage, *p, *d;
	const char	*dest;

	if (refusals[_i].existing)
		kit_put(refusals[_i].existing, "mine\n", 0644);
	ck_assert_int_eq(txn_begin(&x, &tg), 0);
	stage = txn_stage_path(&x, 0);
	ck_assert_int_eq(mkdir(stage, 0777), 0);
	p = xasprintf("%s/%s/%s", stage, refusals[_i].key, refusals[_i].rel);
	d = xstrdup(p);
	*strrchr(d, '/') = '\0';
	ck_assert_int_eq(mkdir_p(d, 0755), 0);
	ck_assert_int_eq(write_file_atomic(p, "evil\n", 5, 0644), 0);
	ck_assert_int_eq(txn_commit_begin(&x), 0);
	dest = strcmp(refusals[_i].key, "scripts") == 0 ? tg.scripts : tg.data;
	ck_assert_int_eq(txn_install(&x, 0, refusals[_i].key, dest, 2), -1);
	ck_assert_msg(strstr(err_get(), refusals[_i].why) != NULL &&
	    strstr(err_get(), refusals[_i].rel) != NULL, "%s", err_get());
	ck_assert_int_eq(txn_rollback(&x), 0);
	ck_assert(!exists(".forklift/journal"));
	txn_free(&x);
	free(p);
	free(d);
	free(stage);
}
END_TEST

static Suite *
txn_suite(void)
{
	Suite	*s = suite_create("txn");
	TCase	*tc = tcase_create("recover");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_recover_state, 0, (int)ARRAY_SIZE(states));
	suite_add_tcase(s, tc);
	tc = tcase_create("commit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_commit, 0, 2);
	tcase_add_test(tc, test_commit_sweeps);
	tcase_add_loop_test(tc, test_plan_many_wheels, 0, 2);
	tcase_add_loop_test(tc, test_plan_refuses, 0, (int)ARRAY_SIZE(refusals));
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(txn_suite)
