/*
 * check_reqs.c: requirements files (the line parser, comments and
 * continuations, options, markers, hashes, duplicates, includes,
 * constraints) and the choice of a wheel from --find-links directories.
 *
 * The expectations follow pip's reading of requirements files: a comment
 * starts at a '#' that opens the line or follows white space, a line
 * ending in a backslash continues on the next one unless it is a comment
 * (the joined line keeps the number of its first line), and a line is
 * either a requirement with --hash options or a line of options.
 */
#include "config.h"

#include <sys/stat.h>
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "plan.h"
#include "reqs.h"
#include "tags.h"
#include "target.h"
#include "util.h"
#include "testkit.h"


static struct pyinfo	env;

static void
setup(void)
{
	ck_assert_int_eq(pyinfo_parse(KIT_ENV_TEXT, strlen(KIT_ENV_TEXT), &env), 0);
}

static void
teardown(void)
{
	pyinfo_free(&env);
}

/* The requirements as "norm==version[@path][#hashes]", comma-separated. */
static char *
describe(const struct reqs *r)
{
	struct buf	b = BUF_INIT;
	size_t		i;

	buf_adds(&b, "");
	for (i = 0; i < r->n; i++) {
		buf_addf(&b, "%s%s==%s", i ? "," : "", r->v[i].norm, r->v[i].version);
		if (r->v[i].path)
			buf_addf(&b, "@%s", r->v[i].path);
		if (r->v[i].url)
			buf_addf(&b, "%%%s", r->v[i].url);
		if (r->v[i].sha256)
			buf_addf(&b, "%%sha256=%s", r->v[i].sha256);
		if (r->v[i].hashes.n)
			buf_addf(&b, "#%zu", r->v[i].hashes.n);
	}
	if (r->index_url)
		buf_addf(&b, ";i=%s", r->index_url);
	for (i = 0; i < r->extra_index.n; i++)
		buf_addf(&b, ";x=%s", r->extra_index.v[i]);
	if (r->no_index)
		buf_adds(&b, ";no-index");
	for (i = 0; i < r->find_pages.n; i++)
		buf_addf(&b, ";fp=%s", r->find_pages.v[i]);
	return buf_detach(&b);
}

struct req_case {
	const char	*text;
	const char	*want;		/* describe(), or NULL for an error */
	const char	*err;		/* the start of the first error */
};

static const struct req_case req_cases[] = {

	{ "six==1.16.0\n", "six==1.16.0", NULL },
	{ "Foo_Bar[x, y]==1.0   # a comment\n", "foo-bar==1.0", NULL },
	{ "# only a comment\n\n   \n\t# indented comment\n", "", NULL },
	{ "six == 1.16.0 ; python_version >= '3'\nold==1.0; python_version < '3'\n",
	    "six==1.16.0", NULL },
	{ "six==1.16.0 \\\n    --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \\\n    --hash=sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
	    "attrs==23.1.0 --hash sha256:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\n",
	    "six==1.16.0#2,attrs==23.1.0#1", NULL },
	{ "six==1.16.0 ; python_version >= '3' --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "six==1.16.0#1", NULL },
	{ "six==1.16.0 --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nattrs==23.1.0\n", NULL,
	    "req.txt:2: 'attrs' has no --hash, and hash-checking mode is on "
	    "(req.txt:1 has a --hash)" },
	{ "--require-hashes\nsix==1.16.0\n", NULL,
	    "req.txt:2: 'six' has no --hash" },
	{ "six\n", NULL, "req.txt:1: 'six' is not pinned" },
	{ "\n\nsix>=1.0\n", NULL, "req.txt:3: 'six>=1.0' is not pinned" },
	{ "six==1.*\n", NULL, "req.txt:1: 'six==1.*' is not pinned" },
	{ "six===1.0\n", NULL, "is not pinned" },
	{ "six==1.0 extra\n", NULL, "is not pinned" },
	{ "six==1.0#frag\n", NULL, "the version is not a valid PEP 440 version" },
	{ "six==1.0-dev-x\n", NULL, "req.txt:1: 'six==1.0-dev-x': the version is not" },
	{ "six (==1.0)\n", "six==1.0", NULL },
	{ "_six==1.0\n", NULL, "req.txt:1: '_six==1.0' is not a requirement" },
	{ "-e .\n", NULL, "req.txt:1: '-e': editable installs are not supported" },
	{ "--editable=./x\n", NULL, "editable installs are not supported" },
	{ "--index-url https://u:p@h/simple\n-ihttps://x/\n"
	    "--extra-index-url=https://e/\n--extra-index-url https://e/\nsix==1.0\n",
	    "six==1.0;i=https://x/;x=https://e/", NULL },
	{ "--index-url ftp://x/\n", NULL,
	    "req.txt:1: --index-url 'ftp://x/': an index is an http or https URL" },
	{ "--extra-index-url=http://u:secret@/\n--index-url=x\n", NULL,
	    "req.txt:2: --index-url 'x': an index is" },
	{ "-f https://h/links/\n--find-links=http://h/l\n-f https://h/links/\nsix==1.0\n",
	    "six==1.0;fp=https://h/links/;fp=http://h/l", NULL },
	{ "--no-binary :all:\n", NULL, "wheels only" },
	{ "--frobnicate\n", NULL, "req.txt:1: unknown option '--frobnicate'" },
	{ "six==1.0 --global-option=x\n", NULL, "unknown option" },
	{ "six==1.0 --no-index\n", NULL, "not allowed on a requirement line" },
	{ "--hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", NULL, "--hash belongs on the line" },
	{ "six==1.0 --hash=md5:abc\n", NULL, "--hash 'md5:abc' is not" },
	{ "six==1.0 --hash=sha256:abc\n", NULL, "--hash 'sha256:abc' is not" },
	{ "six==1.0 --hash\n", NULL, "option '--hash' needs a value" },
	{ "-r\n", NULL, "req.txt:1: option '-r' needs a value" },
	{ "--no-index=yes\n", NULL, "takes no value" },
	{ "--no-index\n--pre\n--prefer-binary\n--only-binary :all:\n"
	    "--trusted-host h\nsix==1.0\n", "six==1.0;no-index", NULL },
	{ "six==1.0\n\n\nsix==2.0\n", NULL,
	    "req.txt:4: 'six' 2.0 conflicts with six 1.0 at req.txt:1" },
	{ "six==1.0 --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nSix==1.0.0 --hash=sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n",
	    "six==1.0#2", NULL },
	{ "x @ file:///tmp/x-1.0-py3-none-any.whl\n",
	    "x==1.0@/tmp/x-1.0-py3-none-any.whl", NULL },
	{ "x[extra] @ file://localhost/tmp/a%20b/x-2.0-py3-none-any.whl ; "
	    "os_name == 'posix'\n", "x==2.0@/tmp/a b/x-2.0-py3-none-any.whl", NULL },
	{ "x @ file:/w/X-3.0-1-py3-none-any.whl\n",
	    "x==3.0@/w/X-3.0-1-py3-none-any.whl", NULL },
	{ "x @ file:///tmp/y-1.0-py3-none-any.whl\n", NULL,
	    "the wheel is of 'y', not 'x'" },
	{ "x @ file:///tmp/x.tar.gz\n", NULL, "invalid wheel filename" },
	{ "x @ https://u:p@h/x-1.0-py3-none-any.whl\n",
	    "x==1.0%https://u:p@h/x-1.0-py3-none-any.whl", NULL },
	{ "X @ http://h/a/X-2.0-py3-none-any.whl#sha256=ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD\n",
	    "x==2.0%http://h/a/X-2.0-py3-none-any.whl%sha256=abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd", NULL },
	{ "x @ ftp://h/x-1.0-py3-none-any.whl\n", NULL,
	    "req.txt:1: 'x @ ftp://h/x-1.0-py3-none-any.whl': not a file, http or https URL" },
	{ "x @ https://h/y-1.0-py3-none-any.whl\n", NULL, "the wheel is of 'y', not 'x'" },
	{ "x @ https://u:secret@h/x.tar.gz\n", NULL,
	    "req.txt:1: 'x @ https://u:****@h/x.tar.gz': " },
	{ "x @ ./x-1.0-py3-none-any.whl\n", NULL, "not a URL" },
	{ "six==1.0 ; bogus == 'x'\n", NULL,
	    "req.txt:1: marker 'bogus == 'x'': expected a marker variable" },
	{ "six==1.0 ; os_name ~= 'x'\n", NULL, "undefined comparison" },
	{ "six==1.0 ;\n", NULL, "req.txt:1: marker '': expected" },
	{ "a==1\nb==2 \\\n  ; python_version < '3'\nc\n", NULL,
	    "req.txt:4: 'c' is not pinned" },
	{ "a==1 \\\n# comment ending in a backslash \\\nb\n", NULL,
	    "req.txt:3: 'b' is not pinned" },
	{ "six==1.0\r\nattrs==2.0\r\n", "six==1.0,attrs==2.0", NULL },
	{ "\xef\xbb\xbfsix==1.0", "six==1.0", NULL },
	{ "six==1.0 \\", "six==1.0", NULL },
	{ "zope.interface==6.0 ; platform_machine == 'x86_64' and "
	    "(sys_platform == 'linux' or sys_platform == 'darwin')\n",
	    "zope-interface==6.0", NULL },
};

START_TEST(test_lines)
{
	const struct req_case	*c = &req_cases[_i];
	struct reqs		 r;
	char			*got;
	int			 rc;

	reqs_init(&r, &env);
	rc = reqs_read_text(&r, "req.txt", c->text, strlen(c->text), 0);
	if (rc == 0)
		rc = reqs_finish(&r);
	if (c->want != NULL) {
		ck_assert_msg(rc == 0, "case %d: unexpected error: %s", _i,
		    r.errors.n ? r.errors.v[0] : "?");
		got = describe(&r);
		ck_assert_str_eq(got, c->want);
		free(got);
	} else {
		ck_assert_msg(rc == -1 && r.errors.n > 0, "case %d: no error", _i);
		ck_assert_msg(strstr(r.errors.v[0], c->err) != NULL,
		    "case %d: error '%s' lacks '%s'", _i, r.errors.v[0], c->err);
	}
	reqs_free(&r);
}
END_TEST

/* Every problem of a file is reported, each with its line. */
START_TEST(test_all_errors)
{
	static const char text[] =
	    "ok==1.0\nbad\nalso>=1\n-e .\nfine==2.0\n";
	struct reqs	r;

	reqs_init(&r, &env);
	ck_assert_int_eq(reqs_read_text(&r, "r.txt", text, strlen(text), 0), -1);
	ck_assert_uint_eq(r.errors.n, 3);
	ck_assert(str_starts(r.errors.v[0], "r.txt:2: "));
	ck_assert(str_starts(r.errors.v[1], "r.txt:3: "));
	ck_assert(str_starts(r.errors.v[2], "r.txt:4: "));
	reqs_free(&r);
}
END_TEST

static void
write_text(const char *dir, const char *name, const char *text)
{
	char	*p = path_join(dir, name);

	ck_assert_int_eq(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(p);
}

static char *
mkdir_in(const char *dir, const char *name)
{
	char	*p = path_join(dir, name);

	ck_assert_int_eq(mkdir_p(p, 0755), 0);
	return p;
}

/* -r, -c and -f are relative to the file that names them; constraints
 * restrict without adding; hash-checking mode spans the included files. */
START_TEST(test_includes)
{
	char		*d = mkdir_in(kit_top, "inc"), *sub, *top, *want;
	struct reqs	 r;

	sub = mkdir_in(d, "sub");
	write_text(d, "req.txt",
	    "-r sub/more.txt\n--constraint cons.txt\nsix==1.16.0\n"
	    "-f wheels\n");
	write_text(sub, "more.txt",
	    "attrs==23.1.0  # from the include\n--find-links=../wh\n"
	    "-f file:///abs/wh\n");
	write_text(d, "cons.txt",
	    "six<2\nnotlisted==1.0\nattrs>=23 ; python_version >= '3'\n"
	    "attrs==1.0 ; python_version < '3'\n");
	top = path_join(d, "req.txt");
	reqs_init(&r, &env);
	ck_assert_int_eq(reqs_read(&r, top, 0), 0);
	ck_assert_int_eq(reqs_finish(&r), 0);
	want = describe(&r);
	ck_assert_str_eq(want, "attrs==23.1.0,six==1.16.0");
	free(want);
	ck_assert_uint_eq(r.ncons, 3);
	ck_assert_uint_eq(r.find_links.n, 3);
	want = path_join(d, "wh");
	ck_assert_str_eq(r.find_links.v[0], want);
	free(want);
	ck_assert_str_eq(r.find_links.v[1], "/abs/wh");
	want = path_join(d, "wheels");
	ck_assert_str_eq(r.find_links.v[2], want);
	free(want);
	ck_assert_ptr_null(reqs_find(&r, "notlisted"));
	ck_assert_ptr_nonnull(reqs_find(&r, "attrs"));
	ck_assert_uint_eq(reqs_find(&r, "attrs")->line, 1);
	reqs_free(&r);

	/* A constraint the pin does not satisfy. */
	write_text(d, "cons.txt", "\nsix==1.15.0\n");
	reqs_init(&r, &env);
	ck_assert_int_eq(reqs_read(&r, top, 0), 0);
	ck_assert_int_eq(reqs_finish(&r), -1);
	ck_assert_uint_eq(r.errors.n, 1);
	ck_assert_msg(strstr(r.errors.v[0], "req.txt:3: 'six' 1.16.0 does not "
	    "satisfy the constraint 'six==1.15.0' at ") != NULL, "%s",
	    r.errors.v[0]);
	ck_assert(str_ends(r.errors.v[0], "cons.txt:2"));
	reqs_free(&r);

	/* Hashes from a constraint; a hash in an include turns the mode on. */
	write_text(d, "cons.txt", "six --hash=sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF\n");
	write_text(sub, "more.txt", "attrs==23.1.0\n");
	reqs_init(&r, &env);
	ck_assert_int_eq(reqs_read(&r, top, 0), 0);
	ck_assert_int_eq(reqs_finish(&r), -1);
	ck_assert_uint_eq(r.errors.n, 1);
	ck_assert_msg(strstr(r.errors.v[0], "more.txt:1: 'attrs' has no --hash") !=
	    NULL, "%s", r.errors.v[0]);
	ck_assert_uint_eq(reqs_find(&r, "six")->hashes.n, 1);
	ck_assert_str_eq(reqs_find(&r, "six")->hashes.v[0], "sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	reqs_free(&r);

	/* An include that is missing, and one that includes itself. */
	write_text(sub, "more.txt", "-r ../req.txt\n");
	write_text(d, "cons.txt", "-r nothere.txt\n");
	reqs_init(&r, &env);
	ck_assert_int_eq(reqs_read(&r, top, 0), -1);
	ck_assert_uint_eq(r.errors.n, 2);
	ck_assert_msg(strstr(r.errors.v[0], "more.txt:1: '") != NULL &&
	    strstr(r.errors.v[0], "req.txt' includes itself") != NULL, "%s",
	    r.errors.v[0]);
	ck_assert_msg(strstr(r.errors.v[1], "cons.txt:1: cannot open '") != NULL,
	    "%s", r.errors.v[1]);
	reqs_free(&r);

	/* The top file itself missing. */
	reqs_init(&r, &env);
	ck_assert_int_eq(reqs_read(&r, "/nonexistent/req.txt", 0), -1);
	ck_assert(strstr(r.errors.v[0], "/nonexistent/req.txt") != NULL);
	reqs_free(&r);

	/* A wheel named on the command line (install -r ... WHEEL). */
	reqs_init(&r, &env);
	ck_assert_int_eq(reqs_add_wheel(&r, "w/Six-1.16.0-py2.py3-none-any.whl"), 0);
	ck_assert_int_eq(reqs_add_wheel(&r, "w/six.whl"), -1);
	want = describe(&r);
	ck_assert_str_eq(want, "six==1.16.0@w/Six-1.16.0-py2.py3-none-any.whl");
	free(want);
	reqs_free(&r);
	free(top);
	free(sub);
	free(d);
}
END_TEST

/* ---- wheel choice ---------------------------------------------------- */

/* Empty files: the choice reads file names only. */
static const char *const house_a[] = {
	"six-1.16.0-py2.py3-none-any.whl",
	"six-1.16.0-1-py2.py3-none-any.whl",
	"six-1.16.0-1x-py2.py3-none-any.whl",
	"six-1.15.0-py3-none-any.whl",
	"numpy-2.0.0-py3-none-any.whl",
	"numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
	"numpy-2.0.0-cp311-cp311-musllinux_1_1_x86_64.whl",
	"numpy-2.0.0-cp312-cp312-manylinux_2_17_x86_64.whl",
	"only_bad-1.0-cp27-cp27mu-linux_x86_64.whl",
	"only_bad-1.0-cp311-cp311-manylinux_2_38_x86_64.whl",
	"notawheel.whl",
	"README.txt",
};

static const char *const house_b[] = {
	"Foo_Bar-1.0.0-py3-none-any.whl",
	"torch-2.3.0+cpu-cp311-cp311-linux_x86_64.whl",
	"cryptography-43.0.0-cp39-abi3-manylinux_2_28_x86_64.whl",
	"cryptography-43.0.0-cp311-cp311-manylinux_2_17_x86_64.whl",
};

struct choice_case {
	const char	*norm;
	const char	*version;
	const char	*want;		/* base name, or NULL */
	const char	*err;
};

static const struct choice_case choice_cases[] = {
	{ "six", "1.16.0", "six-1.16.0-1x-py2.py3-none-any.whl", NULL },
	{ "six", "1.15", "six-1.15.0-py3-none-any.whl", NULL },
	{ "numpy", "2.0", "numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64."
	    "manylinux2014_x86_64.whl", NULL },
	{ "foo-bar", "1.0", "Foo_Bar-1.0.0-py3-none-any.whl", NULL },
	{ "torch", "2.3.0", "torch-2.3.0+cpu-cp311-cp311-linux_x86_64.whl", NULL },
	{ "cryptography", "43.0.0",
	    "cryptography-43.0.0-cp311-cp311-manylinux_2_17_x86_64.whl", NULL },
	{ "only-bad", "1.0", NULL, "no compatible wheel; "
	    "only_bad-1.0-cp27-cp27mu-linux_x86_64.whl is not compatible with "
	    "cp311-cp311-manylinux_2_36_x86_64; "
	    "only_bad-1.0-cp311-cp311-manylinux_2_38_x86_64.whl is not compatible" },
	{ "six", "9.9", NULL, "six-1.15.0-py3-none-any.whl is version 1.15.0" },
	{ "missing", "1.0", NULL, "no wheel of 'missing' in " },
};

static void
touch(const char *dir, const char *name)
{
	char	*p = path_join(dir, name);
	int	 fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	close(fd);
	free(p);
}

START_TEST(test_choice)
{
	const struct choice_case	*c = &choice_cases[_i];
	const struct wheelhouse_entry	*e;
	struct strv			 dirs = STRV_INIT;
	struct wheelhouse		 h;
	struct taglist			 tags;
	char				*a, *b, *sub;
	size_t				 i;

	a = mkdir_in(kit_top, "a");
	b = mkdir_in(kit_top, "b");
	sub = mkdir_in(a, "dir.whl");	/* a directory is not a wheel */
	for (i = 0; i < ARRAY_SIZE(house_a); i++)
		touch(a, house_a[i]);
	for (i = 0; i < ARRAY_SIZE(house_b); i++)
		touch(b, house_b[i]);
	strv_push(&dirs, a);
	strv_push(&dirs, b);
	ck_assert_int_eq(tags_compute(&env, &tags), 0);
	ck_assert_int_eq(wheelhouse_scan(&h, &dirs), 0);
	ck_assert_uint_eq(h.n, ARRAY_SIZE(house_a) - 2 + ARRAY_SIZE(house_b));
	e = wheelhouse_choose(&h, &tags, "cp311-cp311-manylinux_2_36_x86_64",
	    c->norm, c->version);
	if (c->want != NULL) {
		ck_assert_msg(e != NULL, "%s==%s: %s", c->norm, c->version, err_get());
		ck_assert_str_eq(path_base(e->path), c->want);
	} else {
		ck_assert_ptr_null(e);
		ck_assert_msg(strstr(err_get(), c->err) != NULL, "error '%s' lacks '%s'",
		    err_get(), c->err);
	}
	wheelhouse_free(&h);
	taglist_free(&tags);
	strv_free(&dirs);
	ck_assert_int_eq(rm_rf(a), 0);
	ck_assert_int_eq(rm_rf(b), 0);
	free(a);
	free(b);
	free(sub);
}
END_TEST

START_TEST(test_choice_nodirs)
{
	struct strv		dirs = STRV_INIT;
	struct wheelhouse	h;
	struct taglist		tags;

	ck_assert_int_eq(tags_compute(&env, &tags), 0);
	ck_assert_int_eq(wheelhouse_scan(&h, &dirs), 0);
	ck_assert_ptr_null(wheelhouse_choose(&h, &tags, "x", "six", "1.0"));
	ck_assert(strstr(err_get(), "no --find-links directory") != NULL);
	strv_push(&dirs, "/nonexistent/wheelhouse");
	ck_assert_int_eq(wheelhouse_scan(&h, &dirs), -1);
	ck_assert(strstr(err_get(), "/nonexistent/wheelhouse") != NULL);
	wheelhouse_free(&h);
	taglist_free(&tags);
	strv_free(&dirs);
}
END_TEST

static Suite *
reqs_suite(void)
{
	Suite	*s = suite_create("reqs");
	TCase	*tc = tcase_create("lines"), *tf = tcase_create("files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_lines, 0, (int)ARRAY_SIZE(req_cases));
	tcase_add_test(tc, test_all_errors);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, test_includes);
	tcase_add_loop_test(tf, test_choice, 0, (int)ARRAY_SIZE(choice_cases));
	tcase_add_test(tf, test_choice_nodirs);
	suite_add_tcase(s, tf);
	return s;
}

KIT_MAIN(reqs_suite)
