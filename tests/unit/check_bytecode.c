/*
 * check_bytecode.c: --optimize parsing, and bytecode_compile() on staged
 * trees built here: every .py compiled into __pycache__ (or next to it for
 * Python 2), a syntax error only a warning, the .pyc rows added to the
 * right RECORD (sorted, relative to the dist-info's directory, empty hash
 * and size), several jobs, a compiler that dies once (restarted) or every
 * time (the run fails, RECORD untouched), a stop request, and nothing
 * started when there is nothing to compile.  Interpreters that are absent
 * skip their cases.  Every test works in its own temporary directory.
 */
#include "config.h"

#include <sys/stat.h>
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytecode.h"
#include "fsutil.h"
#include "sandbox.h"
#include "target.h"
#include "util.h"
#include "skip.h"
#include "testkit.h"

/* ---- --optimize ------------------------------------------------------------ */

static const struct {
	const char	*in;
	int		 rc;
	unsigned int	 levels;
} level_cases[] = {
	{ "0", 0, 1 }, { "1", 0, 2 }, { "2", 0, 4 }, { "0,1,2", 0, 7 },
	{ "2,0", 0, 5 }, { "1,1", 0, 2 },
	{ "", -1, 0 }, { "3", -1, 0 }, { "0,", -1, 0 }, { ",0", -1, 0 },
	{ "0,,1", -1, 0 }, { "01", -1, 0 }, { "a", -1, 0 }, { "-1", -1, 0 },
	{ "0 1", -1, 0 },
};

START_TEST(test_parse_levels)
{
	unsigned int	levels = 99;
	int		rc = bytecode_parse_levels(level_cases[_i].in, &levels);

	ck_assert_int_eq(rc, level_cases[_i].rc);
	if (rc == 0)
		ck_assert_uint_eq(levels, level_cases[_i].levels);
	else
		ck_assert_ptr_nonnull(strstr(err_get(), "optimization levels"));
}
END_TEST

/* ---- helpers ------------------------------------------------------------ */

static char *
slurp(const char *rel)
{
	char	*p = kit_tpath(rel), *text;

	ck_assert_msg(read_file(p, 1 << 20, &text, NULL) == 0, "%s", err_get());
	free(p);
	return text;
}

/* How many entries of directory rel start with prefix and end with suffix. */
static int
count_entries(const char *rel, const char *prefix, const char *suffix)
{
	char		*p = kit_tpath(rel);
	DIR		*d = opendir(p);
	struct dirent	*e;
	int		 n = 0;

	free(p);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += str_starts(e->d_name, prefix) && str_ends(e->d_name, suffix);
	closedir(d);
	return n;
}

static const char *
find_python(const char *const *cands, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (access(cands[i], X_OK) == 0)
			return cands[i];
	return NULL;
}

static const char *
python3(void)
{
	static const char *const c[] = {
		"/usr/bin/python3", "/usr/local/bin/python3",
		"/root/.pyenv/versions/3.11.7/bin/python",
	};

	return find_python(c, ARRAY_SIZE(c));
}

static const char *
python2(void)
{
	static const char *const c[] = { "/root/.pyenv/versions/2.7.18/bin/python" };

	return find_python(c, ARRAY_SIZE(c));
}

/* A target whose purelib and platlib differ, so RECORD paths cross. */
static struct target	tg;

static void
target_for(const char *python, int major)
{
	memset(&tg, 0, sizeof(tg));
	tg.python = xstrdup(python);
	tg.purelib = kit_tpath("venv/lib/site-packages");
	tg.platlib = kit_tpath("venv/lib64/site-packages");
	tg.info.major = major;
}

static void
target_done(void)
{
	free(tg.python);
	free(tg.purelib);
	free(tg.platlib);
}

#define RECORD0 "tx/0/purelib/demo-1.0.dist-info/RECORD"
#define RECORD1 "tx/1/platlib/ext-2.0.dist-info/RECORD"
#define RECORD0_TEXT \
	"demo-1.0.dist-info/RECORD,,\n" \
	"pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,1\n"

/* Wheel 0 (purelib root): a package with a syntax error in it.  Wheel 1
 * (platlib root): a module, and a purelib file from .data. */
static void
make_stage(void)
{
	kit_put("tx/0/purelib/pkg/__init__.py", "\n", 0644);
	kit_put("tx/0/purelib/pkg/mod.py", "def f():\n    return 42\n", 0644);
	kit_put("tx/0/purelib/pkg/bad.py", "def (:\n", 0644);
	kit_put("tx/0/purelib/pkg/sub/deep.py", "import os\nX = os.sep * 3\n", 0755);
	kit_put("tx/0/purelib/pkg/data.txt", "not python\n", 0644);
	kit_put("tx/0/purelib/demo-1.0.dist-info/METADATA", "Name: demo\n", 0644);
	kit_put(RECORD0, RECORD0_TEXT, 0644);
	kit_put("tx/0/scripts/tool.py", "print('not compiled')\n", 0755);
	kit_put("tx/1/platlib/ext.py", "Y = 1\n", 0644);
	kit_put("tx/1/platlib/ext-2.0.dist-info/RECORD", "ext-2.0.dist-info/RECORD,,\n", 0644);
	kit_put("tx/1/purelib/extra.py", "Z = 2\n", 0644);
}

static int
run(unsigned int jobs, unsigned int levels, volatile sig_atomic_t *stop,
    struct bytecode_stats *st)
{
	char			*s0 = kit_tpath("tx/0"), *s1 = kit_tpath("tx/1");
	struct bytecode_tree	 trees[2] = { { "demo-1.0-py3-none-any.whl", s0 },
					      { "ext-2.0-cp3-cp3-linux.whl", s1 } };
	struct bytecode_opts	 o = { jobs, levels, stop, -1, SANDBOX_OFF, NULL };
	int			 rc;

	rc = bytecode_compile(&tg, trees, 2, &o, st);
	free(s0);
	free(s1);
	return rc;
}

/* ---- compiling ------------------------------------------------------------ */

START_TEST(test_compile_py3)
{
	struct bytecode_stats	 st;
	const char		*py = python3();
	char			*rec;

	if (py == NULL)
		SKIP_CASE("no python3");
	make_stage();
	target_for(py, 3);
	ck_assert_msg(run(2, BYTECODE_LEVEL(0), NULL, &st) == 0, "%s", err_get());
	ck_assert_uint_eq(st.compiled, 5);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_int_eq(count_entries("tx/0/purelib/pkg/__pycache__", "mod.", ".pyc"), 1);
	ck_assert_int_eq(count_entries("tx/0/purelib/pkg/__pycache__", "bad.", ""), 0);
	ck_assert_int_eq(count_entries("tx/0/purelib/pkg/sub/__pycache__", "deep.", ".pyc"), 1);
	ck_assert_int_eq(count_entries("tx/0/scripts", "", ".pyc"), 0);
	ck_assert_int_eq(count_entries("tx/0/scripts/__pycache__", "", ""), 0);
	ck_assert_int_eq(count_entries("tx/1/purelib/__pycache__", "extra.", ".pyc"), 1);
	/* Kept rows stay as they were, the new ones sorted in, bare. */
	rec = slurp(RECORD0);
	ck_assert_ptr_nonnull(strstr(rec, "demo-1.0.dist-info/RECORD,,\npkg/__init__.py,sha256="
	    "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,1\npkg/__pycache__/__init__."));
	ck_assert_ptr_nonnull(strstr(rec, ".pyc,,\npkg/__pycache__/mod."));
	ck_assert_ptr_nonnull(strstr(rec, ".pyc,,\npkg/sub/__pycache__/deep."));
	ck_assert_ptr_null(strstr(rec, "bad"));
	ck_assert_ptr_null(strstr(rec, "\r"));
	ck_assert(str_ends(rec, ".pyc,,\n"));
	free(rec);
	/* Wheel 1 lives in platlib: its purelib file is recorded across. */
	rec = slurp(RECORD1);
	ck_assert_ptr_nonnull(strstr(rec, "../../lib/site-packages/__pycache__/extra."));
	ck_assert_ptr_nonnull(strstr(rec, "ext-2.0.dist-info/RECORD,,\n"));
	ck_assert(str_starts(strstr(rec, "\n__pycache__/ext.") + 1, "__pycache__/ext."));
	free(rec);
	ck_assert_int_eq(count_entries("tx/0/purelib/demo-1.0.dist-info", "RECORD.", ""), 0);
	target_done();
}
END_TEST

START_TEST(test_compile_levels)
{
	struct bytecode_stats	 st;
	const char		*py = python3();

	if (py == NULL)
		SKIP_CASE("no python3");
	make_stage();
	target_for(py, 3);
	ck_assert_msg(run(3, BYTECODE_LEVELS_ALL, NULL, &st) == 0, "%s", err_get());
	ck_assert_uint_eq(st.compiled, 15);
	ck_assert_uint_eq(st.failed, 1);	/* one warning per file, not per level */
	ck_assert_int_eq(count_entries("tx/0/purelib/pkg/__pycache__", "mod.", ".pyc"), 3);
	ck_assert_int_eq(count_entries("tx/0/purelib/pkg/__pycache__", "mod.", ".opt-1.pyc"), 1);
	ck_assert_int_eq(count_entries("tx/0/purelib/pkg/__pycache__", "mod.", ".opt-2.pyc"), 1);
	target_done();
}
END_TEST

START_TEST(test_compile_py2)
{
	struct bytecode_stats	 st;
	const char		*py = python2();
	char			*rec;

	if (py == NULL)
		SKIP_CASE("no CPython 2.7.18 under /root/.pyenv/versions");
	make_stage();
	target_for(py, 2);
	ck_assert_msg(run(2, BYTECODE_LEVEL(0), NULL, &st) == 0, "%s", err_get());
	ck_assert_uint_eq(st.compiled, 5);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_int_eq(count_entries("tx/0/purelib/pkg", "mod.pyc", ""), 1);
	rec = slurp(RECORD0);
	ck_assert_ptr_nonnull(strstr(rec, "\npkg/mod.py"));
	ck_assert_ptr_nonnull(strstr(rec, "\npkg/mod.pyc,,\npkg/sub/deep.pyc,,\n"));
	free(rec);
	target_done();
}
END_TEST

/* Many files over several servers, each answered exactly once. */
START_TEST(test_compile_many)
{
	struct bytecode_stats	 st;
	const char		*py = python3();
	char			 rel[64], text[256];
	int			 i;

	if (py == NULL)
		SKIP_CASE("no python3");
	make_stage();
	for (i = 0; i < 120; i++) {
		snprintf(rel, sizeof(rel), "tx/0/purelib/many/m%03d.py", i);
		snprintf(text, sizeof(text), "V = %d\n%s", i, i % 7 ? "" :
		    "def g(x):\n    return [y * 2 for y in range(x) if y % 3]\n");
		kit_put(rel, text, 0644);
	}
	target_for(py, 3);
	ck_assert_msg(run(4, BYTECODE_LEVEL(0) | BYTECODE_LEVEL(1), NULL, &st) == 0,
	    "%s", err_get());
	ck_assert_uint_eq(st.compiled, 2 * (5 + 120));
	ck_assert_int_eq(count_entries("tx/0/purelib/many/__pycache__", "m", ".pyc"), 240);
	target_done();
}
END_TEST

/* ---- compilers that die ------------------------------------------------------ */

static char *
fake_python(const char *body)
{
	char	*p = kit_tpath("fakepy");
	FILE	*f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(p, 0755);
	return p;
}

START_TEST(test_dies_always)
{
	struct bytecode_stats	 st;
	char			*py = fake_python("echo 'fatal: out of luck' >&2\nexit 3\n");
	char			*rec;

	make_stage();
	target_for(py, 3);
	ck_assert_int_eq(run(2, BYTECODE_LEVEL(0), NULL, &st), -1);
	ck_assert_msg(strstr(err_get(), "bytecode compiler") != NULL &&
	    strstr(err_get(), "exited with status 3") != NULL &&
	    strstr(err_get(), "while compiling '") != NULL &&
	    strstr(err_get(), ": fatal: out of luck") != NULL, "%s", err_get());
	rec = slurp(RECORD0);
	ck_assert_str_eq(rec, RECORD0_TEXT);
	free(rec);
	target_done();
	free(py);
}
END_TEST

START_TEST(test_dies_once)
{
	struct bytecode_stats	 st;
	const char		*real = python3();
	char			*py, *body, *mark;

	if (real == NULL)
		SKIP_CASE("no python3");
	mark = kit_tpath("died");
	body = xasprintf("if [ ! -e '%s' ]; then : >'%s'; kill -9 $$; fi\n"
	    "exec '%s' \"$@\"\n", mark, mark, real);
	py = fake_python(body);
	make_stage();
	target_for(py, 3);
	ck_assert_msg(run(1, BYTECODE_LEVEL(0), NULL, &st) == 0, "%s", err_get());
	ck_assert_uint_eq(st.compiled, 5);
	ck_assert_int_eq(access(mark, F_OK), 0);
	target_done();
	free(py);
	free(body);
	free(mark);
}
END_TEST

/* A server that answers one line, then dies, and its replacement too. */
START_TEST(test_dies_twice)
{
	struct bytecode_stats	 st;
	char			*py = fake_python("read line\necho 'ok x.pyc'\nread line\n"
	    "kill -9 $$\n");

	make_stage();
	target_for(py, 3);
	ck_assert_int_eq(run(1, BYTECODE_LEVEL(0), NULL, &st), -1);
	ck_assert_msg(strstr(err_get(), "killed by signal 9") != NULL, "%s", err_get());
	target_done();
	free(py);
}
END_TEST

START_TEST(test_stop)
{
	struct bytecode_stats	 st;
	volatile sig_atomic_t	 stop = SIGINT;
	char			*py = fake_python("sleep 30\n");

	make_stage();
	target_for(py, 3);
	ck_assert_int_eq(run(2, BYTECODE_LEVEL(0), &stop, &st), -2);
	target_done();
	free(py);
}
END_TEST

/* Nothing to compile: no process is started (this one would fail). */
START_TEST(test_nothing_to_compile)
{
	struct bytecode_stats	 st;
	char			*py = fake_python("exit 3\n");
	char			*s0 = kit_tpath("tx/0");
	struct bytecode_tree	 tree = { "data-1.0-py3-none-any.whl", s0 };
	struct bytecode_opts	 o = { 4, BYTECODE_LEVEL(0), NULL, -1, SANDBOX_OFF,
					    NULL };

	kit_put("tx/0/purelib/data-1.0.dist-info/RECORD", "data-1.0.dist-info/RECORD,,\n", 0644);
	kit_put("tx/0/purelib/data/x.txt", "x\n", 0644);
	target_for(py, 3);
	ck_assert_msg(bytecode_compile(&tg, &tree, 1, &o, &st) == 0, "%s", err_get());
	ck_assert_uint_eq(st.compiled, 0);
	o.levels = 0;
	kit_put("tx/0/purelib/y.py", "\n", 0644);
	ck_assert_msg(bytecode_compile(&tg, &tree, 1, &o, &st) == 0, "%s", err_get());
	ck_assert_int_eq(count_entries("tx/0/purelib/__pycache__", "", ""), 0);
	target_done();
	free(py);
	free(s0);
}
END_TEST

START_TEST(test_no_distinfo)
{
	struct bytecode_stats	 st;
	char			*py = fake_python("exit 3\n");
	char			*s0 = kit_tpath("tx/0");
	struct bytecode_tree	 tree = { "odd-1.0-py3-none-any.whl", s0 };
	struct bytecode_opts	 o = { 1, BYTECODE_LEVEL(0), NULL, -1, SANDBOX_OFF,
					    NULL };

	kit_put("tx/0/purelib/odd.py", "\n", 0644);
	target_for(py, 3);
	ck_assert_int_eq(bytecode_compile(&tg, &tree, 1, &o, &st), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "odd-1.0-py3-none-any.whl: no dist-info"));
	target_done();
	free(py);
	free(s0);
}
END_TEST

static Suite *
bytecode_suite(void)
{
	Suite	*s = suite_create("bytecode");
	TCase	*tc;

	tc = tcase_create("levels");
	tcase_add_loop_test(tc, test_parse_levels, 0, ARRAY_SIZE(level_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("compile");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, kit_tmp_setup, kit_tmp_teardown);
	tcase_add_test(tc, test_compile_py3);
	tcase_add_test(tc, test_compile_levels);
	tcase_add_test(tc, test_compile_py2);
	tcase_add_test(tc, test_compile_many);
	tcase_add_test(tc, test_dies_always);
	tcase_add_test(tc, test_dies_once);
	tcase_add_test(tc, test_dies_twice);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_nothing_to_compile);
	tcase_add_test(tc, test_no_distinfo);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(bytecode_suite)
