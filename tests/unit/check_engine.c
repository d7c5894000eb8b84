/*
 * check_engine.c: engine_run end to end on a fake target (a venv-shaped
 * scheme under a temporary directory, no interpreter): install, upgrade
 * (the old version's files go, the new ones come), reinstall, remove,
 * dry run (nothing changes), and all or nothing: a plan with one refused
 * wheel fails and leaves the environment byte for byte as it was, with no
 * staging left in .forklift.  Wheels from tests/mkwheel.py.
 */
#include "config.h"

#include <sys/stat.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "fsutil.h"
#include "plan.h"
#include "sig.h"
#include "target.h"
#include "util.h"
#include "skip.h"
#include "installkit.h"

#define MKSKIP	"tests/mkwheel.py does not run (python3 or $SRCDIR missing)"

static int		 have_mkwheel;

static void
setup(void)
{
	kit_setup();
	/* As the command layer does: the lock also makes .forklift/. */
	T.lock_stop = &sig_stop;
	ck_assert_int_eq(target_lock(&T, 5), 0);
	verbosity = -1;
	sig_init();
}

static void
opts_init(struct engine_opts *o, unsigned int jobs)
{
	memset(o, 0, sizeof(*o));
	o->jobs = jobs;
	o->max_unpacked = (uint64_t)1 << 30;
	o->verify_record = 1;
}

/* Plan and run installing the wheels; the engine's exit status, or -1
 * when the plan itself was refused. */
static int
install(char **whl, size_t n, int reinstall, const struct engine_opts *o)
{
	struct plan	 p;
	int		 rc;

	if (plan_install(&p, &T, whl, n, reinstall) != 0)
		rc = -1;
	else
		rc = engine_run(&T, &p, o);
	plan_free(&p);
	return rc;
}

static int
sp_has(const char *rel)
{
	char	*p;
	int	 ok;

	p = path_join(T.purelib, rel);
	ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

/* A listing of the environment: paths, modes and contents' checksums. */
static char *
snapshot(void)
{
	char	*cmd, *text, *out;
	size_t	 len;

	out = kit_path("snap.txt");
	cmd = xasprintf("cd '%s' && { find . -path ./.forklift/lock -prune -o -printf "
	    "'%%p %%y %%m\\n' | LC_ALL=C sort; find . -type f ! -path ./.forklift/lock "
	    "-print0 | LC_ALL=C sort -z | xargs -0 -r cksum; } > '%s'", T.root, out);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	ck_assert_int_eq(read_file(out, 1 << 24, &text, &len), 0);
	unlink(out);
	free(out);
	return text;
}

static const unsigned int jobs_cases[] = { 1, 2, 4 };

START_TEST(test_install_upgrade_remove)
{
	struct engine_opts	 o;
	struct plan		 p;
	char			*w[3];
	char			*rm[] = { "Eng-A" };

	if (!have_mkwheel)
		SKIP_CASE(MKSKIP);
	opts_init(&o, jobs_cases[_i]);
	w[0] = kit_wheel("{\"name\": \"eng-a\", \"version\": \"1.0\", \"files\": "
	    "{\"eng_a/__init__.py\": \"\", \"eng_a/old.py\": \"OLD = 1\\n\"}, "
	    "\"entry_points\": {\"console_scripts\": {\"eng-a\": \"eng_a:main\"}}}");
	w[1] = kit_wheel("{\"name\": \"eng-b\", \"version\": \"2.0\", \"purelib\": false, "
	    "\"data\": {\"data\": {\"share/eng-b.txt\": \"b\\n\"}}}");
	w[2] = kit_wheel("{\"name\": \"eng-c\", \"version\": \"0.1\"}");
	ck_assert(w[0] && w[1] && w[2]);
	ck_assert_int_eq(install(w, 3, 0, &o), 0);
	ck_assert(sp_has("eng_a/old.py"));
	ck_assert(sp_has("eng_a-1.0.dist-info/RECORD"));
	ck_assert(sp_has("eng_b-2.0.dist-info/INSTALLER"));
	ck_assert(sp_has("eng_c/__init__.py"));
	ck_assert(sp_has("../../../bin/eng-a"));
	ck_assert(sp_has("../../../share/eng-b.txt"));
	free(w[0]);

	/* Upgrade: old.py and the old dist-info go, new.py comes. */
	w[0] = kit_wheel("{\"name\": \"eng-a\", \"version\": \"1.1\", \"files\": "
	    "{\"eng_a/__init__.py\": \"\", \"eng_a/new.py\": \"NEW = 1\\n\"}}");
	ck_assert_int_eq(install(w, 1, 0, &o), 0);
	ck_assert(!sp_has("eng_a/old.py"));
	ck_assert(!sp_has("eng_a-1.0.dist-info"));
	ck_assert(!sp_has("../../../bin/eng-a"));
	ck_assert(sp_has("eng_a/new.py"));
	ck_assert(sp_has("eng_a-1.1.dist-info/METADATA"));

	/* The same version again: nothing to do, then --reinstall. */
	ck_assert_int_eq(install(w, 1, 0, &o), 0);
	ck_assert_int_eq(install(w, 1, 1, &o), 0);
	ck_assert(sp_has("eng_a/new.py"));

	/* Remove, by any spelling of the name. */
	ck_assert_int_eq(plan_uninstall(&p, &T, rm, 1, 0), 0);
	ck_assert_int_eq(engine_run(&T, &p, &o), 0);
	plan_free(&p);
	ck_assert(!sp_has("eng_a"));
	ck_assert(!sp_has("eng_a-1.1.dist-info"));
	ck_assert(sp_has("eng_c/__init__.py"));
	free(w[0]);
	free(w[1]);
	free(w[2]);
}
END_TEST

/* One refused wheel: nothing changes, for every position it takes. */
static const char *const refused_specs[] = {
	"{\"name\": \"bad\", \"version\": \"1.0\", \"members\": [{\"name\": \"../evil.py\", \"text\": \"x\"}]}",
	"{\"name\": \"bad\", \"version\": \"1.0\", \"record\": {\"corrupt\": [\"bad/__init__.py\"]}}",
	"{\"name\": \"bad\", \"version\": \"1.0\", \"metadata\": {\"Requires-Python\": \">=3.99\"}}",
	"{\"name\": \"bad\", \"version\": \"1.0\", \"members\": [{\"name\": \"bad/x.py\", \"text\": \"X\", \"crc\": 1}]}",
};

START_TEST(test_all_or_nothing)
{
	struct engine_opts	 o;
	char			*w[3], *before, *after, *tmp;
	size_t			 k;

	if (!have_mkwheel)
		SKIP_CASE(MKSKIP);
	opts_init(&o, 2);
	w[0] = kit_wheel("{\"name\": \"keep\", \"version\": \"1.0\"}");
	ck_assert_int_eq(install(w, 1, 0, &o), 0);
	free(w[0]);
	before = snapshot();
	w[0] = kit_wheel("{\"name\": \"keep\", \"version\": \"2.0\"}");
	w[1] = kit_wheel("{\"name\": \"fresh\", \"version\": \"1.0\"}");
	w[2] = kit_wheel(refused_specs[_i]);
	ck_assert(w[0] && w[1] && w[2]);
	for (k = 0; k < 3; k++) {
		ck_assert_int_eq(install(w, 3, 0, &o), 1);
		after = snapshot();
		ck_assert_str_eq(after, before);
		free(after);
		/* rotate: the refused wheel first, in the middle, last */
		tmp = w[0];
		w[0] = w[1];
		w[1] = w[2];
		w[2] = tmp;
	}
	free(before);
	free(w[0]);
	free(w[1]);
	free(w[2]);
}
END_TEST

START_TEST(test_dry_run)
{
	struct engine_opts	 o;
	char			*w[1], *before, *after;

	if (!have_mkwheel)
		SKIP_CASE(MKSKIP);
	opts_init(&o, 1);
	before = snapshot();
	w[0] = kit_wheel("{\"name\": \"dry\", \"version\": \"1.0\"}");
	o.dry_run = 1;
	ck_assert_int_eq(install(w, 1, 0, &o), 0);
	after = snapshot();
	ck_assert_str_eq(after, before);
	ck_assert(!sp_has("dry"));
	free(before);
	free(after);
	free(w[0]);
}
END_TEST

static Suite *
engine_suite(void)
{
	Suite	*s = suite_create("engine");
	TCase	*tc = tcase_create("core");

	have_mkwheel = kit_can_mkwheel();
	tcase_add_checked_fixture(tc, setup, kit_teardown);
	tcase_add_loop_test(tc, test_install_upgrade_remove, 0, ARRAY_SIZE(jobs_cases));
	tcase_add_loop_test(tc, test_all_or_nothing, 0, ARRAY_SIZE(refused_specs));
	tcase_add_test(tc, test_dry_run);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(engine_suite)
