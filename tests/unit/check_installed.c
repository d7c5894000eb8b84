/*
 * check_installed.c: scanning *.dist-info directories (names, versions,
 * order, what is not a distribution), installed_find by normalized name,
 * installed_describe (METADATA's Name from the header only, the fallbacks,
 * INSTALLER), and installed_files: RECORD paths inside the scheme, the
 * bytecode found next to .py files, and RECORD rows that try to leave the
 * environment.  Works on a fake target under a temporary directory.
 */
#include "config.h"

#include <sys/stat.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "installed.h"
#include "target.h"
#include "util.h"
#include "installkit.h"


/* A dist-info directory in purelib with the given METADATA (NULL: none). */
static char *
mkdist(const char *dirname, const char *metadata)
{
	char	*d, *p;

	d = path_join(T.purelib, dirname);
	ck_assert_int_eq(mkdir_p(d, 0755), 0);
	if (metadata != NULL) {
		p = path_join(d, "METADATA");
		kit_write(p, metadata);
		free(p);
	}
	return d;
}

START_TEST(test_scan)
{
	struct distlist	 l;
	struct dist	*x;

	free(mkdist("Zope.Interface-6.1.dist-info", NULL));
	free(mkdist("annotated_types-0.6.0.dist-info", NULL));
	free(mkdist("six-1.16.0.dist-info", NULL));
	free(mkdist("nodash.dist-info", NULL));		/* not a distribution */
	free(mkdist("-1.0.dist-info", NULL));		/* empty name */
	free(mkdist("x-.dist-info", NULL));		/* empty version */
	free(mkdist(".hidden-1.0.dist-info", NULL));
	free(mkdist("foo-1.0.egg-info", NULL));
	ck_assert_int_eq(installed_scan(&T, &l), 0);
	ck_assert_uint_eq(l.n, 3);
	/* Sorted by normalized name. */
	ck_assert_str_eq(l.v[0].name, "annotated_types");
	ck_assert_str_eq(l.v[0].norm, "annotated-types");
	ck_assert_str_eq(l.v[0].version, "0.6.0");
	ck_assert_str_eq(l.v[1].name, "six");
	ck_assert_str_eq(l.v[2].name, "Zope.Interface");
	ck_assert_str_eq(l.v[2].norm, "zope-interface");
	ck_assert(str_ends(l.v[2].dir, "/site-packages/Zope.Interface-6.1.dist-info"));
	ck_assert_ptr_null(l.v[2].installer);
	x = installed_find(&l, "zope-interface");
	ck_assert_ptr_eq(x, &l.v[2]);
	ck_assert_ptr_null(installed_find(&l, "Zope.Interface"));	/* norm only */
	ck_assert_ptr_null(installed_find(&l, "nodash"));
	distlist_free(&l);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(test_scan_empty_and_missing)
{
	struct distlist	 l;

	ck_assert_int_eq(installed_scan(&T, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	distlist_free(&l);
	ck_assert_int_eq(rm_rf(T.purelib), 0);
	ck_assert_int_eq(installed_scan(&T, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	distlist_free(&l);
}
END_TEST

/* installed_describe: what METADATA and INSTALLER hold -> what is shown. */
static const struct describe_case {
	const char	*dir;
	const char	*metadata;	/* NULL: no METADATA */
	const char	*installer;	/* NULL: no INSTALLER */
	const char	*name;		/* expected meta_name */
	const char	*want_inst;	/* expected installer, NULL */
} describe_cases[] = {
	{ "flask-3.0.0.dist-info", "Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.0\n",
	    "pip\n", "Flask", "pip" },
	{ "annotated_types-0.6.0.dist-info", "Name: annotated-types\n",
	    "forklift\r\nmore\n", "annotated-types", "forklift" },
	/* Case-insensitive field, blanks around the value. */
	{ "jinja2-3.1.2.dist-info", "metadata-version: 2.1\nNAME:   Jinja2 \t\n",
	    "", "Jinja2", NULL },
	/* Only the header counts: a Name in the body is not read. */
	{ "abc-1.0.dist-info", "Metadata-Version: 2.1\nSummary: x\n\nName: Other\n",
	    NULL, "abc", NULL },
	{ "crlf-1.0.dist-info", "Metadata-Version: 2.1\r\nName: CRLF\r\n", NULL,
	    "CRLF", NULL },
	{ "blank_first-1.0.dist-info", "\nName: Blank-First\n", NULL, "blank_first", NULL },
	/* Another project's name, or not a project name: the directory's. */
	{ "mine-1.0.dist-info", "Name: theirs\n", NULL, "mine", NULL },
	{ "sp_ace-1.0.dist-info", "Name: sp ace\n", NULL, "sp_ace", NULL },
	{ "dot-1.0.dist-info", "Name: dot.\n", NULL, "dot", NULL },
	{ "empty-1.0.dist-info", "Name:\n", NULL, "empty", NULL },
	{ "nometa-1.0.dist-info", NULL, "forklift\n", "nometa", "forklift" },
	/* A Name of the same project in another spelling wins. */
	{ "zope.interface-6.1.dist-info", "Name: Zope_Interface\n", NULL,
	    "Zope_Interface", NULL },
};

START_TEST(test_describe)
{
	const struct describe_case *c = &describe_cases[_i];
	struct distlist	 l;
	char		*d, *p;

	d = mkdist(c->dir, c->metadata);
	if (c->installer != NULL) {
		p = path_join(d, "INSTALLER");
		kit_write(p, c->installer);
		free(p);
	}
	free(d);
	ck_assert_int_eq(installed_scan(&T, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	installed_describe(&l.v[0]);
	ck_assert_str_eq(l.v[0].meta_name, c->name);
	if (c->want_inst == NULL)
		ck_assert_ptr_null(l.v[0].installer);
	else
		ck_assert_str_eq(l.v[0].installer, c->want_inst);
	/* Twice: nothing leaks or changes. */
	installed_describe(&l.v[0]);
	ck_assert_str_eq(l.v[0].meta_name, c->name);
	distlist_free(&l);
}
END_TEST

/* A METADATA that is a directory or a FIFO is not read (no hang). */
START_TEST(test_describe_not_a_file)
{
	struct distlist	 l;
	char		*d, *p;

	d = mkdist("fifo-1.0.dist-info", NULL);
	p = path_join(d, "METADATA");
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	free(p);
	free(d);
	d = mkdist("dir-1.0.dist-info", NULL);
	p = path_join(d, "METADATA");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	free(d);
	ck_assert_int_eq(installed_scan(&T, &l), 0);
	ck_assert_uint_eq(l.n, 2);
	installed_describe(&l.v[0]);
	installed_describe(&l.v[1]);
	ck_assert_str_eq(l.v[0].meta_name, "dir");
	ck_assert_str_eq(l.v[1].meta_name, "fifo");
	distlist_free(&l);
}
END_TEST

START_TEST(test_files)
{
	struct distlist	 l;
	struct strv	 files = STRV_INIT;
	char		*d, *p, *want;
	size_t		 i;

	d = mkdist("pkg-1.0.dist-info", "Name: pkg\n");
	p = path_join(T.purelib, "pkg");
	ck_assert_int_eq(mkdir_p(p, 0755), 0);
	free(p);
	p = path_join(T.purelib, "pkg/__pycache__");
	ck_assert_int_eq(mkdir_p(p, 0755), 0);
	free(p);
	p = path_join(T.purelib, "pkg/__pycache__/mod.cpython-311.pyc");
	kit_write(p, "");
	free(p);
	p = path_join(T.purelib, "pkg/__pycache__/module.cpython-311.pyc");
	kit_write(p, "");	/* another module's bytecode: not pkg/mod's */
	free(p);
	p = path_join(d, "RECORD");
	kit_write(p, "pkg/mod.py,,\n"
	    "pkg/__init__.py,,\n"
	    "../../../bin/pkg-cli,,\n"
	    "pkg-1.0.dist-info/RECORD,,\n"
	    "pkg/__pycache__/mod.cpython-311.pyc,,\n");
	free(p);
	free(d);
	ck_assert_int_eq(installed_scan(&T, &l), 0);
	ck_assert_msg(installed_files(&T, &l.v[0], &files) == 0, "%s", err_get());
	ck_assert_uint_eq(files.n, 5);
	for (i = 1; i < files.n; i++)
		ck_assert_int_lt(strcmp(files.v[i - 1], files.v[i]), 0);
	want = path_join(T.root, "bin/pkg-cli");
	ck_assert_str_eq(files.v[0], want);
	free(want);
	want = path_join(T.purelib, "pkg-1.0.dist-info/RECORD");
	ck_assert_str_eq(files.v[1], want);
	free(want);
	want = path_join(T.purelib, "pkg/__pycache__/mod.cpython-311.pyc");
	ck_assert_str_eq(files.v[3], want);	/* listed and found: once */
	free(want);
	strv_free(&files);
	distlist_free(&l);
}
END_TEST

/* RECORD rows that leave the environment are skipped, never returned. */
static const char *const escape_rows[] = {
	"../../../../../etc/passwd,,\n",
	"/etc/passwd,,\n",
	"../../../.forklift/journal,,\n",
	"../../../../venv,,\n",			/* the root itself */
	"link/evil.py,,\n",			/* through a symlink to / */
};

START_TEST(test_files_escape)
{
	struct distlist	 l;
	struct strv	 files = STRV_INIT;
	char		*d, *p, *rec;

	d = mkdist("bad-1.0.dist-info", "Name: bad\n");
	p = path_join(T.purelib, "link");
	ck_assert_int_eq(symlink("/", p), 0);
	free(p);
	p = path_join(d, "RECORD");
	rec = xasprintf("bad/ok.py,,\n%s", escape_rows[_i]);
	kit_write(p, rec);
	free(rec);
	free(p);
	free(d);
	ck_assert_int_eq(installed_scan(&T, &l), 0);
	ck_assert_int_eq(installed_files(&T, &l.v[0], &files), 0);
	ck_assert_uint_eq(files.n, 1);
	ck_assert(str_ends(files.v[0], "/site-packages/bad/ok.py"));
	strv_free(&files);
	distlist_free(&l);
}
END_TEST

START_TEST(test_files_no_record)
{
	struct distlist	 l;
	struct strv	 files = STRV_INIT;

	free(mkdist("gone-2.0.dist-info", "Name: gone\n"));
	ck_assert_int_eq(installed_scan(&T, &l), 0);
	ck_assert_int_eq(installed_files(&T, &l.v[0], &files), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "gone-2.0 has no readable RECORD"));
	strv_free(&files);
	distlist_free(&l);
}
END_TEST

static Suite *
installed_suite(void)
{
	Suite	*s = suite_create("installed");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, kit_setup, kit_teardown);
	tcase_add_test(tc, test_scan);
	tcase_add_test(tc, test_scan_empty_and_missing);
	tcase_add_loop_test(tc, test_describe, 0, ARRAY_SIZE(describe_cases));
	tcase_add_test(tc, test_describe_not_a_file);
	tcase_add_test(tc, test_files);
	tcase_add_loop_test(tc, test_files_escape, 0, ARRAY_SIZE(escape_rows));
	tcase_add_test(tc, test_files_no_record);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(installed_suite)
