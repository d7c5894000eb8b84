/*
 * check_plan.c: plan_install's decisions, as a table: a new distribution
 * is added; the version already installed is left unchanged (any PEP 440
 * spelling of it) unless reinstalling; another version replaces the
 * installed one; two wheels of one distribution, an incompatible tag, a
 * bad file name and a missing file are refused, every problem reported.
 * plan_uninstall: any spelling of a name, unknown names, --missing-ok, a
 * distribution without RECORD.  A fake target; plan opens no wheel, so
 * the wheel files are empty.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "plan.h"
#include "target.h"
#include "util.h"
#include "installkit.h"

/* Installed: six 1.16.0 and Flask 2.0 with RECORDs, norecord without. */
static void
setup(void)
{
	static const char *const dists[] = {
		"six-1.16.0.dist-info", "Flask-2.0.dist-info", "norecord-1.0.dist-info",
	};
	char	*d, *p;
	size_t	 i;

	kit_setup();
	for (i = 0; i < ARRAY_SIZE(dists); i++) {
		d = path_join(T.purelib, dists[i]);
		ck_assert_int_eq(mkdir_p(d, 0755), 0);
		if (i < 2) {
			p = path_join(d, "RECORD");
			kit_write(p, "");
			free(p);
		}
		free(d);
	}
	d = kit_path("w");
	ck_assert_int_eq(mkdir_p(d, 0755), 0);
	free(d);
}

#define MAXW	4

static const struct install_case {
	const char	*desc;
	const char	*wheels[MAXW];	/* file names; "!" prefix: not created */
	int		 reinstall;
	int		 rc;
	size_t		 nadd;
	const char	*old[MAXW];	/* per added wheel: version it replaces */
	const char	*unchanged;	/* unchanged entries joined by ';' */
} install_cases[] = {
	{ "a new distribution", { "attrs-23.1.0-py3-none-any.whl" }, 0, 0, 1,
	    { NULL }, "" },
	{ "same version: unchanged", { "six-1.16.0-py2.py3-none-any.whl" }, 0, 0, 0,
	    { NULL }, "six 1.16.0" },
	{ "same version, other spelling", { "six-1.16-py3-none-any.whl", "flask-2.0.0-py3-none-any.whl" },
	    0, 0, 0, { NULL }, "six 1.16.0;Flask 2.0" },
	{ "same version, reinstall", { "six-1.16.0-py3-none-any.whl" }, 1, 0, 1,
	    { "1.16.0" }, "" },
	{ "other version replaces", { "Flask-3.0.0-py3-none-any.whl", "six-1.15.0-py3-none-any.whl" },
	    0, 0, 2, { "2.0", "1.16.0" }, "" },
	{ "compatible platform tag", { "fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl" }, 0, 0, 1,
	    { NULL }, "" },
	{ "two wheels of one distribution", { "attrs-23.1.0-py3-none-any.whl",
	    "Attrs-22.0-py3-none-any.whl" }, 0, -1, 2, { NULL }, "" },
	{ "incompatible tag", { "fast-1.0-cp27-cp27mu-linux_x86_64.whl" }, 0, -1, 0,
	    { NULL }, "" },
	{ "incompatible libc", { "fast-1.0-cp311-cp311-musllinux_1_1_x86_64.whl" }, 0, -1, 0,
	    { NULL }, "" },
	{ "bad file name", { "notawheel.whl" }, 0, -1, 0, { NULL }, "" },
	{ "missing file", { "!ghost-1.0-py3-none-any.whl" }, 0, -1, 0, { NULL }, "" },
	{ "one bad among good ones", { "attrs-23.1.0-py3-none-any.whl",
	    "fast-1.0-cp27-cp27mu-linux_x86_64.whl", "six-2.0-py3-none-any.whl" },
	    0, -1, 2, { NULL, "1.16.0" }, "" },
};

START_TEST(test_install)
{
	const struct install_case *c = &install_cases[_i];
	struct plan	 p;
	char		*paths[MAXW];
	struct buf	 un = BUF_INIT;
	size_t		 i, n;

	for (n = 0; n < MAXW && c->wheels[n] != NULL; n++) {
		const char *name = c->wheels[n] + (c->wheels[n][0] == '!');

		paths[n] = kit_path("w/%s", name);
		if (c->wheels[n][0] != '!')
			kit_write(paths[n], "");
	}
	ck_assert_int_eq(plan_install(&p, &T, paths, n, c->reinstall), c->rc);
	ck_assert_uint_eq(p.nadd, c->nadd);
	for (i = 0; i < p.nadd; i++) {
		ck_assert(p.add[i].requested && p.add[i].direct_url);
		ck_assert_ptr_eq(p.add[i].base, path_base(p.add[i].path));
		ck_assert_uint_eq(p.add[i].size, 0);
		/* Opened once at plan time; the workers read this descriptor. */
		if (c->rc == 0) {
			struct stat	sa, sb;

			ck_assert_int_ge(p.add[i].fd, 0);
			ck_assert_int_eq(fstat(p.add[i].fd, &sa), 0);
			ck_assert_int_eq(stat(p.add[i].path, &sb), 0);
			ck_assert(sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev);
		}
		if (c->rc == 0 && c->old[i] == NULL)
			ck_assert_ptr_null(p.add[i].old);
		else if (c->old[i] != NULL) {
			ck_assert_ptr_nonnull(p.add[i].old);
			ck_assert_str_eq(p.add[i].old->version, c->old[i]);
		}
	}
	for (i = 0; i < p.unchanged.n; i++)
		buf_addf(&un, "%s%s", i ? ";" : "", p.unchanged.v[i]);
	buf_add(&un, "", 1);
	ck_assert_str_eq(un.p, c->unchanged);
	buf_free(&un);
	ck_assert_uint_eq(p.nremove, 0);
	plan_free(&p);
	for (i = 0; i < n; i++)
		free(paths[i]);
}
END_TEST

static const struct uninstall_case {
	const char	*names[3];
	int		 missing_ok;
	int		 rc;
	const char	*removed;	/* directory names joined by ';' */
} uninstall_cases[] = {
	{ { "six" }, 0, 0, "six-1.16.0.dist-info" },
	{ { "FLASK", "Six" }, 0, 0, "Flask-2.0.dist-info;six-1.16.0.dist-info" },
	{ { "six", "SIX" }, 0, 0, "six-1.16.0.dist-info" },	/* named twice */
	{ { "ghost" }, 0, -1, "" },
	{ { "ghost", "six" }, 1, 0, "six-1.16.0.dist-info" },
	{ { "norecord" }, 0, -1, "" },
	{ { "norecord" }, 1, -1, "" },
};

START_TEST(test_uninstall)
{
	const struct uninstall_case *c = &uninstall_cases[_i];
	struct plan	 p;
	struct buf	 b = BUF_INIT;
	size_t		 i, n;

	for (n = 0; n < 3 && c->names[n] != NULL; n++)
		;
	ck_assert_int_eq(plan_uninstall(&p, &T, (char *const *)c->names, n,
	    c->missing_ok), c->rc);
	for (i = 0; i < p.nremove; i++)
		buf_addf(&b, "%s%s", i ? ";" : "", path_base(p.remove[i]->dir));
	buf_add(&b, "", 1);
	ck_assert_str_eq(b.p, c->removed);
	ck_assert_uint_eq(p.nadd, 0);
	buf_free(&b);
	plan_free(&p);
}
END_TEST

static Suite *
plan_suite(void)
{
	Suite	*s = suite_create("plan");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, kit_teardown);
	tcase_add_loop_test(tc, test_install, 0, ARRAY_SIZE(install_cases));
	tcase_add_loop_test(tc, test_uninstall, 0, ARRAY_SIZE(uninstall_cases));
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(plan_suite)
