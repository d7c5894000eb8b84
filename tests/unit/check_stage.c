/*
 * check_stage.c: stage_wheel, the whole per-wheel pipeline a worker runs,
 * on wheels from tests/mkwheel.py and a fake target: the staging tree
 * gets the wheel's files, launchers for console and GUI entry points, the
 * target's interpreter in rewritten #!python scripts, INSTALLER, REQUESTED
 * and direct_url.json only when asked, and a RECORD listing exactly the
 * files staged; Requires-Python is enforced unless ignored; with a cache,
 * the second staging is served from it and gives the same tree; a refused
 * wheel fails with the unpacker's error.
 */
#include "config.h"

#include <sys/stat.h>
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "fsutil.h"
#include "stage.h"
#include "target.h"
#include "util.h"
#include "skip.h"
#include "installkit.h"

#define SPEC "{\"name\": \"st-pkg\", \"version\": \"1.0\", " \
	"\"metadata\": {\"Requires-Python\": \">=3.8\"}, " \
	"\"files\": {\"st_pkg/__init__.py\": \"\", \"st_pkg/cli.py\": \"def main():\\n    return 0\\n\"}, " \
	"\"entry_points\": {\"console_scripts\": {\"st-cli\": \"st_pkg.cli:main\"}, " \
	"\"gui_scripts\": {\"st-gui\": \"st_pkg.cli:main\"}}, " \
	"\"data\": {\"scripts\": {\"st-py\": \"#!python\\nprint(1)\\n\"}}}"

static int		 have_mkwheel;

static void
opts_init(struct stage_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->t = &T;
	o->unpack.max_unpacked = (uint64_t)1 << 30;
	o->unpack.verify_record = 1;
	o->link = LINK_COPY;
}

/* Stage whl into a new directory name; 0 or -1. */
static int
stage(const char *whl, const char *name, const struct stage_opts *o,
    struct stage_stats *st)
{
	char	*dir;
	int	 fd, rc;

	dir = kit_path("%s", name);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_ge(fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0);
	free(dir);
	rc = stage_wheel(whl, fd, o, st);
	close(fd);
	return rc;
}

/* The text of DIR/REL under the temporary directory, or NULL. */
static char *
slurp(const char *dir, const char *rel)
{
	char	*p, *text;
	size_t	 len;

	p = kit_path("%s/%s", dir, rel);
	if (read_file(p, 1 << 20, &text, &len) != 0)
		text = NULL;
	free(p);
	return text;
}

static int
exists(const char *dir, const char *rel)
{
	char	*p;
	int	 ok;

	p = kit_path("%s/%s", dir, rel);
	ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

/* Each case: requested, direct_url. */
static const int flags[][2] = { { 0, 0 }, { 1, 0 }, { 0, 1 }, { 1, 1 } };

START_TEST(test_stage)
{
	struct stage_opts	 o;
	struct stage_stats	 st;
	char			*whl, *text, *shebang, *url;
	const char		*s = "s";

	if (!have_mkwheel)
		SKIP_CASE("tests/mkwheel.py does not run (python3 or $SRCDIR missing)");
	ck_assert_ptr_nonnull(whl = kit_wheel(SPEC));
	opts_init(&o);
	o.requested = flags[_i][0];
	o.direct_url = flags[_i][1];
	ck_assert_msg(stage(whl, s, &o, &st) == 0, "%s", err_get());
	ck_assert(!st.cached);
	ck_assert_uint_gt(st.files, 5);
	ck_assert(exists(s, "purelib/st_pkg/cli.py"));
	ck_assert(exists(s, "scripts/st-cli"));
	ck_assert(exists(s, "scripts/st-gui"));
	text = slurp(s, "purelib/st_pkg-1.0.dist-info/INSTALLER");
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "forklift\n");
	free(text);
	ck_assert_int_eq(exists(s, "purelib/st_pkg-1.0.dist-info/REQUESTED"),
	    o.requested);
	ck_assert_int_eq(exists(s, "purelib/st_pkg-1.0.dist-info/direct_url.json"),
	    o.direct_url);
	if (o.direct_url) {
		text = slurp(s, "purelib/st_pkg-1.0.dist-info/direct_url.json");
		url = xasprintf("\"file://%s\"", whl);
		ck_assert_msg(strstr(text, url) != NULL, "%s", text);
		ck_assert_ptr_nonnull(strstr(text, "\"sha256\": \""));
		free(url);
		free(text);
	}
	/* The #!python script and the launchers name the target's python. */
	shebang = xasprintf("#!%s\n", T.python);
	text = slurp(s, "scripts/st-py");
	ck_assert_msg(str_starts(text, shebang), "%s", text);
	free(text);
	text = slurp(s, "scripts/st-cli");
	ck_assert_msg(str_starts(text, shebang), "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "st_pkg.cli"));
	free(text);
	free(shebang);
	/* RECORD names the generated files, itself last with no hash. */
	text = slurp(s, "purelib/st_pkg-1.0.dist-info/RECORD");
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "st_pkg/cli.py,sha256="));
	ck_assert_ptr_nonnull(strstr(text, "/bin/st-cli,sha256="));
	ck_assert_ptr_nonnull(strstr(text, "st_pkg-1.0.dist-info/INSTALLER,sha256="));
	ck_assert_ptr_nonnull(strstr(text, "st_pkg-1.0.dist-info/RECORD,,\n"));
	ck_assert_int_eq(strstr(text, "REQUESTED") != NULL, o.requested);
	ck_assert_int_eq(strstr(text, "direct_url.json") != NULL, o.direct_url);
	free(text);
	free(whl);
}
END_TEST

/* Requires-Python: refused for 3.11.7 unless ignored. */
static const struct rp_case {
	const char	*rp;
	int		 ignore;
	int		 rc;
} rp_cases[] = {
	{ ">=3.8", 0, 0 },
	{ ">=3.12", 0, -1 },
	{ "<3", 0, -1 },
	{ "!=3.11.*", 0, -1 },
	{ "~=3.11.0", 0, 0 },
	{ ">=3.12", 1, 0 },
};

START_TEST(test_requires_python)
{
	const struct rp_case *c = &rp_cases[_i];
	struct stage_opts	 o;
	struct stage_stats	 st;
	char			*spec, *whl;

	if (!have_mkwheel)
		SKIP_CASE("tests/mkwheel.py does not run (python3 or $SRCDIR missing)");
	spec = xasprintf("{\"name\": \"rp\", \"version\": \"1.0\", \"metadata\": "
	    "{\"Requires-Python\": \"%s\"}}", c->rp);
	ck_assert_ptr_nonnull(whl = kit_wheel(spec));
	free(spec);
	opts_init(&o);
	o.ignore_requires_python = c->ignore;
	ck_assert_int_eq(stage(whl, "s", &o, &st), c->rc);
	if (c->rc != 0)
		ck_assert_msg(strstr(err_get(), c->rp) != NULL, "%s", err_get());
	free(whl);
}
END_TEST

/* Through the cache: filled once, then served; both trees are the same. */
START_TEST(test_cached)
{
	struct stage_opts	 o;
	struct stage_stats	 st;
	char			*whl, *cache, *cmd;

	if (!have_mkwheel)
		SKIP_CASE("tests/mkwheel.py does not run (python3 or $SRCDIR missing)");
	ck_assert_ptr_nonnull(whl = kit_wheel(SPEC));
	cache = kit_path("cache");
	opts_init(&o);
	o.cache_dir = cache;
	o.requested = 1;
	ck_assert_msg(stage(whl, "s1", &o, &st) == 0, "%s", err_get());
	ck_assert(!st.cached);
	ck_assert_msg(stage(whl, "s2", &o, &st) == 0, "%s", err_get());
	ck_assert(st.cached);
	cmd = xasprintf("diff -r '%s/s1' '%s/s2' >&2", kit_tmp, kit_tmp);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	/* --no-verify-record bypasses the cache. */
	o.unpack.verify_record = 0;
	ck_assert_msg(stage(whl, "s3", &o, &st) == 0, "%s", err_get());
	ck_assert(!st.cached);
	free(cache);
	free(whl);
}
END_TEST

/* A wheel the parent verified (downloaded after the fork): its sha256,
 * computed once as for the cache key, must be the expected one before
 * anything is staged, with or without the cache; the error names both. */
START_TEST(test_expect_sha256)
{
	struct stage_opts	 o;
	struct stage_stats	 st;
	char			*whl, sha[65], *bad;
	int			 fd;

	if (!have_mkwheel)
		SKIP_CASE("tests/mkwheel.py does not run (python3 or $SRCDIR missing)");
	ck_assert_ptr_nonnull(whl = kit_wheel(SPEC));
	ck_assert_int_eq(cache_key(whl, NULL, sha), 0);
	bad = xstrdup(sha);
	bad[0] = bad[0] == '0' ? '1' : '0';
	opts_init(&o);
	if (_i)
		o.cache_dir = kit_path("cache");
	ck_assert_int_ge(fd = open(whl, O_RDONLY | O_CLOEXEC), 0);
	o.unpack.use_fd = 1;
	o.unpack.wheel_fd = fd;
	o.expect_sha256 = bad;
	ck_assert_int_eq(stage(whl, "s1", &o, &st), -1);
	ck_assert_msg(strstr(err_get(), sha) != NULL, "%s", err_get());
	ck_assert_msg(strstr(err_get(), bad) != NULL, "%s", err_get());
	ck_assert(!exists("s1", "purelib"));
	o.expect_sha256 = sha;
	ck_assert_msg(stage(whl, "s2", &o, &st) == 0, "%s", err_get());
	ck_assert(exists("s2", "purelib/st_pkg/cli.py"));
	close(fd);
	free((char *)o.cache_dir);
	free(bad);
	free(whl);
}
END_TEST

START_TEST(test_refused)
{
	struct stage_opts	 o;
	struct stage_stats	 st;
	char			*whl;

	if (!have_mkwheel)
		SKIP_CASE("tests/mkwheel.py does not run (python3 or $SRCDIR missing)");
	ck_assert_ptr_nonnull(whl = kit_wheel("{\"name\": \"bad\", \"version\": \"1.0\", "
	    "\"members\": [{\"name\": \"../evil.py\", \"text\": \"x\"}]}"));
	opts_init(&o);
	ck_assert_int_eq(stage(whl, "s", &o, &st), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "../evil.py"));
	ck_assert(!exists(".", "evil.py"));
	o.cache_dir = kit_path("cache");
	ck_assert_int_eq(stage(whl, "s2", &o, &st), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "../evil.py"));
	free((char *)o.cache_dir);
	free(whl);
}
END_TEST

static Suite *
stage_suite(void)
{
	Suite	*s = suite_create("stage");
	TCase	*tc = tcase_create("core");

	have_mkwheel = kit_can_mkwheel();
	tcase_add_checked_fixture(tc, kit_setup, kit_teardown);
	tcase_add_loop_test(tc, test_stage, 0, ARRAY_SIZE(flags));
	tcase_add_loop_test(tc, test_requires_python, 0, ARRAY_SIZE(rp_cases));
	tcase_add_test(tc, test_cached);
	tcase_add_loop_test(tc, test_expect_sha256, 0, 2);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(stage_suite)
