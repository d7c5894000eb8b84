/*
 * check_pylock.c: PEP 751 lock file selection (pylock.c) for a CPython
 * 3.11 on glibc x86_64 Linux: the header checks (lock-version,
 * created-by, environments, requires-python), markers with the extras and
 * dependency_groups sets, default-groups, wheel choice by tag priority,
 * the refusals (sdist, vcs, directory, two entries for one name, empty
 * hashes) and the positions errors give.  And lockfile.c: which file
 * names are lock files, a lock file read into requirements (paths
 * relative to it, errors with file, line and key) and the check of a
 * wheel file's size and every hash.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "lockfile.h"
#include "markers.h"
#include "pylock.h"
#include "reqs.h"
#include "tags.h"
#include "target.h"
#include "toml.h"
#include "util.h"
#include "testkit.h"

static const char facts[] =
    "implementation_name=cpython\nversion_micro=7\n"
    "platform_system=Linux\nversion_major=3\nversion_minor=11\n"
    "py_version_nodot=311\nplatform=linux-x86_64\nlibc=glibc\n"
    "libc_version=2.36\npointer_bits=64\n"
    "python_version=3.11\npython_full_version=3.11.7\nos_name=posix\n"
    "sys_platform=linux\nplatform_machine=x86_64\n"
    "platform_python_implementation=CPython\nimplementation_version=3.11.7\n";

static struct pyinfo	env;
static struct taglist	tags;

static void
setup(void)
{
	ck_assert_int_eq(pyinfo_parse(facts, strlen(facts), &env), 0);
	ck_assert_msg(tags_compute(&env, &tags) == 0, "%s", err_get());
}

static void
teardown(void)
{
	taglist_free(&tags);
	pyinfo_free(&env);
}

#define HEAD	"lock-version = \"1.0\"\ncreated-by = \"hand\"\n"
#define HASH	"hashes = {sha256 = \"" \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}"

/* Select from doc; the picks as "name=filename" lines, or "error: ...". */
static char *
run(const char *doc, const char *extras, const char *groups)
{
	struct pylock_opts	 o;
	struct pylock		 l;
	struct toml_value	*root;
	struct strv		 ex = STRV_INIT, gr = STRV_INIT;
	struct buf		 b = BUF_INIT;
	size_t			 i;

	if ((root = toml_parse(doc, strlen(doc), "pylock.toml")) == NULL)
		return xasprintf("toml: %s", err_get());
	if (extras != NULL)
		strv_push(&ex, extras);
	if (groups != NULL)
		strv_push(&gr, groups);
	memset(&o, 0, sizeof(o));
	o.env = &env;
	o.tags = &tags;
	o.extras = &ex;
	o.groups = groups != NULL ? &gr : NULL;
	if (pylock_select("pylock.toml", root, &o, &l) == -1) {
		buf_addf(&b, "error: %s", err_get());
	} else {
		for (i = 0; i < l.n; i++)
			buf_addf(&b, "%s=%s\n", l.v[i].name, l.v[i].filename);
		for (i = 0; i < l.warnings.n; i++)
			buf_addf(&b, "warning: %s\n", l.warnings.v[i]);
		pylock_free(&l);
	}
	toml_free(root);
	strv_free(&ex);
	strv_free(&gr);
	if (b.p == NULL)
		buf_adds(&b, "");
	return buf_detach(&b);
}

static const struct {
	const char	*doc;
	const char	*extras, *groups;
	const char	*want;
} cases[] = {
	/* The header. */
	{ "created-by = \"x\"\npackages = []\n", NULL, NULL,
	  "error: pylock.toml:1:1: key 'lock-version': required, missing" },
	{ "lock-version = \"1.0\"\npackages = []\n", NULL, NULL,
	  "error: pylock.toml:1:1: key 'created-by': required, missing" },
	{ "lock-version = \"2.0\"\ncreated-by = \"x\"\npackages = []\n", NULL, NULL,
	  "error: pylock.toml:1:16: key 'lock-version': version 2.0 is not "
	  "supported (forklift reads 1.x)" },
	{ "lock-version = 1.0\ncreated-by = \"x\"\npackages = []\n", NULL, NULL,
	  "error: pylock.toml:1:16: key 'lock-version': expected a string, found float" },
	{ "lock-version = \"1.1\"\ncreated-by = \"x\"\nnew-key = 1\npackages = []\n",
	  NULL, NULL,
	  "warning: pylock.toml: lock-version 1.1 is newer than 1.0: unknown keys are ignored\n"
	  "warning: pylock.toml:3:11: key 'new-key': unknown key in the lock file ignored\n" },
	{ HEAD "new-key = 1\npackages = []\n", NULL, NULL,
	  "error: pylock.toml:3:11: key 'new-key': unknown key in the lock file" },
	{ HEAD "packages = {}\n", NULL, NULL,
	  "error: pylock.toml:3:12: key 'packages': expected an array of tables" },
	{ HEAD "requires-python = \">=3.12\"\npackages = []\n", NULL, NULL,
	  "error: pylock.toml:3:19: key 'requires-python': the lock file needs "
	  "Python >=3.12, the target is 3.11.7" },
	{ HEAD "environments = [\"sys_platform == 'win32'\", \"sys_platform == 'darwin'\"]\n"
	  "packages = []\n", NULL, NULL,
	  "error: pylock.toml:3:16: key 'environments': the target matches none of "
	  "them (the last, 'sys_platform == 'darwin'' is false)" },
	{ HEAD "environments = [\"sys_platform == 'win32'\", \"sys_platform == 'linux'\"]\n"
	  "packages = []\n", NULL, NULL, "" },
	/* Wheel choice by tag priority, whatever the order. */
	{ HEAD "[[packages]]\nname = \"a\"\nwheels = [\n"
	  "{url = \"https://e.org/a-1.0-py3-none-any.whl\", " HASH "},\n"
	  "{url = \"https://e.org/a-1.0-cp311-cp311-manylinux_2_17_x86_64.whl?x=1\", " HASH "},\n"
	  "{path = \"w/a-1.0-cp311-cp311-win_amd64.whl\", " HASH "},\n"
	  "]\n", NULL, NULL, "a=a-1.0-cp311-cp311-manylinux_2_17_x86_64.whl\n" },
	{ HEAD "[[packages]]\nname = \"a\"\nwheels = [\n"
	  "{name = \"a-1.0-cp311-cp311-win_amd64.whl\", url = \"https://e.org/x\", " HASH "},\n"
	  "{name = \"a-1.0-cp311-cp311-macosx_11_0_arm64.whl\", url = \"https://e.org/y\", " HASH "},\n"
	  "]\n", NULL, NULL,
	  "error: pylock.toml:5:10: key 'wheels': package 'a': no wheel matches the "
	  "target (offered: cp311-cp311-win_amd64, cp311-cp311-macosx_11_0_arm64)" },
	/* Markers with extras and groups; default-groups without --group. */
	{ HEAD "extras = [\"fast\"]\ndependency-groups = [\"dev\", \"docs\"]\n"
	  "default-groups = [\"dev\"]\n"
	  "[[packages]]\nname = \"x\"\nmarker = \"'fast' in extras\"\n"
	  "wheels = [{path = \"x-1-py3-none-any.whl\", " HASH "}]\n"
	  "[[packages]]\nname = \"d\"\nmarker = \"'dev' in dependency_groups\"\n"
	  "wheels = [{path = \"d-1-py3-none-any.whl\", " HASH "}]\n"
	  "[[packages]]\nname = \"s\"\nmarker = \"'docs' in dependency_groups\"\n"
	  "sdist = {path = \"s-1.tar.gz\", " HASH "}\n",
	  NULL, NULL, "d=d-1-py3-none-any.whl\n" },
	{ HEAD "extras = [\"fast\"]\ndependency-groups = [\"dev\", \"docs\"]\n"
	  "default-groups = [\"dev\"]\n"
	  "[[packages]]\nname = \"x\"\nmarker = \"'fast' in extras\"\n"
	  "wheels = [{path = \"x-1-py3-none-any.whl\", " HASH "}]\n"
	  "[[packages]]\nname = \"d\"\nmarker = \"'dev' not in dependency_groups\"\n"
	  "wheels = [{path = \"d-1-py3-none-any.whl\", " HASH "}]\n",
	  "Fast", "docs", "x=x-1-py3-none-any.whl\nd=d-1-py3-none-any.whl\n" },
	{ HEAD "dependency-groups = [\"dev\"]\n"
	  "[[packages]]\nname = \"s\"\nmarker = \"'dev' in dependency_groups\"\n"
	  "sdist = {path = \"s-1.tar.gz\", " HASH "}\n", NULL, "dev",
	  "error: pylock.toml:7:9: key 'sdist': package 's' is selected but has "
	  "only an sdist source (forklift installs wheels only)" },
	{ HEAD "extras = []\npackages = []\n", "fast", NULL,
	  "error: pylock.toml: extra 'fast' is not in the lock file's extras" },
	{ HEAD "[[packages]]\nname = \"x\"\nmarker = \"extras == 'a'\"\n", NULL, NULL,
	  "error: pylock.toml:5:10: key 'marker': 'extras' is a set of names: only "
	  "'NAME' in extras and 'NAME' not in extras apply" },
	/* A platform marker skips; two selected entries for one name refuse. */
	{ HEAD "[[packages]]\nname = \"w\"\nmarker = \"sys_platform == 'win32'\"\n"
	  "vcs = {type = \"git\"}\n"
	  "[[packages]]\nname = \"w\"\nwheels = [{path = \"w-1-py3-none-any.whl\", " HASH "}]\n",
	  NULL, NULL, "w=w-1-py3-none-any.whl\n" },
	{ HEAD "[[packages]]\nname = \"Foo.Bar\"\nwheels = [{path = \"foo_bar-1-py3-none-any.whl\", "
	  HASH "}]\n[[packages]]\nname = \"foo-bar\"\n"
	  "wheels = [{path = \"foo_bar-2-py3-none-any.whl\", " HASH "}]\n",
	  NULL, NULL,
	  "error: pylock.toml:6:1: key 'name': package 'foo-bar' is selected twice "
	  "(also at line 3)" },
	{ HEAD "[[packages]]\nname = \"v\"\nvcs = {type = \"git\", url = \"https://e.org/v.git\"}\n",
	  NULL, NULL,
	  "error: pylock.toml:5:7: key 'vcs': package 'v' is selected but has only "
	  "a vcs source (forklift installs wheels only)" },
	{ HEAD "[[packages]]\nname = \"d\"\ndirectory = {path = \".\"}\n", NULL, NULL,
	  "error: pylock.toml:5:13: key 'directory': package 'd' is selected but has "
	  "only a directory source (forklift installs wheels only)" },
	/* Archives: a wheel is installed, anything else refused. */
	{ HEAD "[[packages]]\nname = \"r\"\narchive = {url = \"https://e.org/r-1-py3-none-any.whl\", "
	  HASH "}\n", NULL, NULL, "r=r-1-py3-none-any.whl\n" },
	{ HEAD "[[packages]]\nname = \"r\"\narchive = {url = \"https://e.org/r-1.zip\", "
	  HASH "}\n", NULL, NULL,
	  "error: pylock.toml:5:11: key 'archive': package 'r': 'r-1.zip' is no wheel "
	  "(forklift installs wheels only)" },
	/* Required keys and hashes. */
	{ HEAD "[[packages]]\nversion = \"1\"\n", NULL, NULL,
	  "error: pylock.toml:3:1: key 'name': required, missing" },
	{ HEAD "[[packages]]\nname = \"h\"\nwheels = [{path = \"h-1-py3-none-any.whl\", hashes = {}}]\n",
	  NULL, NULL,
	  "error: pylock.toml:5:52: key 'hashes': expected a table of at least one hash" },
	{ HEAD "[[packages]]\nname = \"h\"\nwheels = [{path = \"h-1-py3-none-any.whl\"}]\n",
	  NULL, NULL, "error: pylock.toml:5:11: key 'hashes': required, missing" },
	{ HEAD "[[packages]]\nname = \"h\"\nrequires-python = \"<3\"\n"
	  "wheels = [{path = \"h-1-py3-none-any.whl\", " HASH "}]\n", NULL, NULL,
	  "error: pylock.toml:5:19: key 'requires-python': package 'h' needs Python "
	  "<3, the target is 3.11.7" },
	{ HEAD "[[packages]]\nname = \"h\"\nnope = 1\n", NULL, NULL,
	  "error: pylock.toml:5:8: key 'nope': unknown key in a package" },
	/* Neither path nor url: the file is looked up on the package's
	 * index by its name, so both are required. */
	{ HEAD "[[packages]]\nname = \"i\"\nindex = \"https://e.org/simple/\"\n"
	  "wheels = [{name = \"i-1-py3-none-any.whl\", " HASH "}]\n", NULL, NULL,
	  "i=i-1-py3-none-any.whl\n" },
	{ HEAD "[[packages]]\nname = \"i\"\n"
	  "wheels = [{name = \"i-1-py3-none-any.whl\", " HASH "}]\n", NULL, NULL,
	  "error: pylock.toml:5:11: key 'wheels': neither 'path' nor 'url' is "
	  "given, and the package has no 'index'" },
	{ HEAD "[[packages]]\nname = \"i\"\nindex = \"https://e.org/simple/\"\n"
	  "wheels = [{" HASH "}]\n", NULL, NULL,
	  "error: pylock.toml:6:11: key 'name': required when neither 'path' nor "
	  "'url' is given" },
	{ HEAD "[[packages]]\nname = \"i\"\nindex = \"https://e.org/simple/\"\n"
	  "archive = {name = \"i-1-py3-none-any.whl\", " HASH "}\n", NULL, NULL,
	  "error: pylock.toml:6:11: key 'archive': neither 'path' nor 'url' is given" },
	/* The index of one package is not another's. */
	{ HEAD "[[packages]]\nname = \"i\"\nindex = \"https://e.org/simple/\"\n"
	  "wheels = [{name = \"i-1-py3-none-any.whl\", " HASH "}]\n"
	  "[[packages]]\nname = \"j\"\n"
	  "wheels = [{name = \"j-1-py3-none-any.whl\", " HASH "}]\n", NULL, NULL,
	  "error: pylock.toml:9:11: key 'wheels': neither 'path' nor 'url' is "
	  "given, and the package has no 'index'" },
};

START_TEST(test_select)
{
	char	*got = run(cases[_i].doc, cases[_i].extras, cases[_i].groups);

	ck_assert_msg(strcmp(got, cases[_i].want) == 0, "case %d:\n got: %s\nwant: %s",
	    _i, got, cases[_i].want);
	free(got);
}
END_TEST

START_TEST(test_pick_fields)
{
	static const char doc[] = HEAD "[[packages]]\nname = \"six\"\nversion = \"1.16.0\"\n"
	    "index = \"https://pypi.org/simple\"\n"
	    "wheels = [{name = \"six-1.16.0-py2.py3-none-any.whl\", "
	    "path = \"../w/six-1.16.0-py2.py3-none-any.whl\", size = 11053, "
	    "hashes = {sha256 = \"ab\", sha512 = \"cd\"}}]\n";
	struct pylock_opts	 o;
	struct pylock		 l;
	struct toml_value	*root;

	root = toml_parse(doc, strlen(doc), "pylock.toml");
	ck_assert_ptr_nonnull(root);
	memset(&o, 0, sizeof(o));
	o.env = &env;
	o.tags = &tags;
	ck_assert_msg(pylock_select("pylock.toml", root, &o, &l) == 0, "%s", err_get());
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].name, "six");
	ck_assert_str_eq(l.v[0].version, "1.16.0");
	ck_assert_str_eq(l.v[0].path, "../w/six-1.16.0-py2.py3-none-any.whl");
	ck_assert_ptr_null(l.v[0].url);
	ck_assert_str_eq(l.v[0].index, "https://pypi.org/simple");
	ck_assert_int_eq(l.v[0].size, 11053);
	ck_assert_uint_eq(l.v[0].hashes.n, 2);
	ck_assert_str_eq(l.v[0].hashes.v[0], "sha256:ab");
	ck_assert_str_eq(l.v[0].hashes.v[1], "sha512:cd");
	ck_assert_uint_eq(l.v[0].line, 3);
	pylock_free(&l);
	toml_free(root);
}
END_TEST

START_TEST(test_marker_sets)
{
	struct strv	ex = STRV_INIT, gr = STRV_INIT;

	strv_push(&ex, "Foo_Bar");
	strv_push(&gr, "dev");
	ck_assert_int_eq(marker_eval_sets("'foo-bar' in extras", &env, "", &ex, &gr), 1);
	ck_assert_int_eq(marker_eval_sets("'dev' not in dependency_groups", &env, "",
	    &ex, &gr), 0);
	ck_assert_int_eq(marker_eval_sets("'x' in extras or python_version >= '3.11'",
	    &env, "", &ex, &gr), 1);
	/* Outside lock files the set variables stay unknown. */
	ck_assert_int_eq(marker_eval("'a' in extras", &env, ""), -1);
	strv_free(&ex);
	strv_free(&gr);
}
END_TEST


START_TEST(test_is_name)
{
	ck_assert_int_ne(lockfile_is_name("pylock.toml"), 0);
	ck_assert_int_ne(lockfile_is_name("dir/pylock.toml"), 0);
	ck_assert_int_ne(lockfile_is_name("/a/b/pylock.dev.toml"), 0);
	ck_assert_int_eq(lockfile_is_name("pylock..toml"), 0);
	ck_assert_int_eq(lockfile_is_name("pylock.a.b.toml"), 0);
	ck_assert_int_eq(lockfile_is_name("mylock.toml"), 0);
	ck_assert_int_eq(lockfile_is_name("pylock.toml.txt"), 0);
	ck_assert_int_eq(lockfile_is_name("requirements.txt"), 0);
	ck_assert_int_eq(lockfile_is_name("pylock.toml/x"), 0);
}
END_TEST

/* "abc" and its digests. */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_SHA3 "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"
#define ABC_B2B "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1" \
	"7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"

static char *
tmpfile_with(const char *text)
{
	char	*path = xasprintf("%s/lock-XXXXXX", kit_top);
	int	 fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

static int
verify(const char *path, int64_t size, const char *h1, const char *h2)
{
	struct strv	h = STRV_INIT;
	int		rc;

	int		fd;

	strv_push(&h, h1);
	if (h2 != NULL)
		strv_push(&h, h2);
	ck_assert_int_ge(fd = open(path, O_RDONLY | O_CLOEXEC), 0);
	rc = lockfile_verify(fd, path, size, &h);
	close(fd);
	strv_free(&h);
	return rc;
}

START_TEST(test_verify)
{
	char	*f = tmpfile_with("abc");

	ck_assert_msg(verify(f, 3, "sha256:" ABC_SHA256, NULL) == 0, "%s", err_get());
	ck_assert_msg(verify(f, -1, "SHA256:" ABC_SHA256, NULL) == 0, "%s", err_get());
	/* hashlib's names: sha3_256, blake2b; upper-case hex. */
	ck_assert_msg(verify(f, 3, "sha3_256:" ABC_SHA3, "blake2b:" ABC_B2B) == 0,
	    "%s", err_get());
	ck_assert_msg(verify(f, 3, "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A3"
	    "96177A9CB410FF61F20015AD", NULL) == 0, "%s", err_get());
	/* An unknown algorithm is ignored when a known one is there... */
	ck_assert_msg(verify(f, 3, "nohash:00", "sha256:" ABC_SHA256) == 0, "%s",
	    err_get());
	/* ...but not alone. */
	ck_assert_int_eq(verify(f, 3, "nohash:00", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "key 'hashes'"));
	/* Every known hash must match, not one of them. */
	ck_assert_int_eq(verify(f, 3, "sha256:" ABC_SHA256, "sha3_256:00"), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "hash mismatch: key 'hashes' says "
	    "sha3_256:00"));
	ck_assert_int_eq(verify(f, 3, "sha256:" ABC_SHA256 "00", NULL), -1);
	ck_assert_int_eq(verify(f, 4, "sha256:" ABC_SHA256, NULL), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "size mismatch: key 'size' says 4 "
	    "bytes, the file has 3"));
	unlink(f);
	free(f);
}
END_TEST

/* The bytes checked are those of the descriptor, whatever the name
 * leads to later, read without moving the descriptor's offset. */
START_TEST(test_verify_fd)
{
	struct strv	 h = STRV_INIT;
	char		*f = tmpfile_with("abc"), *g = tmpfile_with("xyz"), c;
	int		 fd;

	strv_push(&h, "sha256:" ABC_SHA256);
	ck_assert_int_ge(fd = open(f, O_RDONLY | O_CLOEXEC), 0);
	ck_assert_int_eq(read(fd, &c, 1), 1);
	/* Replaced under its name, then gone: the descriptor still holds
	 * the bytes that were there when it was opened. */
	ck_assert_int_eq(rename(g, f), 0);
	ck_assert_msg(lockfile_verify(fd, f, 3, &h) == 0, "%s", err_get());
	ck_assert_int_eq(unlink(f), 0);
	ck_assert_msg(lockfile_verify(fd, f, 3, &h) == 0, "%s", err_get());
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 1);
	close(fd);
	/* A descriptor that cannot be read: the error names the file. */
	ck_assert_int_ge(fd = open("/tmp", O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_eq(lockfile_verify(fd, "/tmp/x.whl", 3, &h), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "/tmp/x.whl"));
	close(fd);
	strv_free(&h);
	free(g);
	free(f);
}
END_TEST

START_TEST(test_read)
{
	char		*dir = xasprintf("%s/dir-XXXXXX", kit_top), *lock, *text;
	struct reqs	 rq;
	FILE		*fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	lock = path_join(dir, "pylock.toml");
	text = xasprintf(HEAD "[[packages]]\nname = \"Six\"\nversion = \"1.16.0\"\n"
	    "wheels = [{path = \"w/six-1.16.0-py2.py3-none-any.whl\", size = 3, "
	    "hashes = {sha256 = \"%s\"}}]\n"
	    "[[packages]]\nname = \"abs\"\n"
	    "wheels = [{url = \"file:///x/abs-2.0-py3-none-any.whl\", "
	    "hashes = {sha256 = \"%s\"}}]\n"
	    "[[packages]]\nname = \"web\"\nversion = \"1\"\n"
	    "wheels = [{url = \"https://h/web-1-py3-none-any.whl\", "
	    "hashes = {sha256 = \"%s\", md5 = \"00\"}}]\n", ABC_SHA256, ABC_SHA256,
	    "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
	ck_assert_ptr_nonnull(fp = fopen(lock, "w"));
	fputs(text, fp);
	fclose(fp);
	reqs_init(&rq, &env);
	ck_assert_msg(lockfile_read(&rq, lock, &tags, NULL, NULL) == 0, "%s",
	    rq.errors.n ? rq.errors.v[0] : "");
	ck_assert_uint_eq(rq.n, 3);
	ck_assert_str_eq(rq.v[0].norm, "six");
	ck_assert_str_eq(rq.v[0].version, "1.16.0");
	ck_assert_ptr_nonnull(strstr(rq.v[0].path, "/w/six-1.16.0-py2.py3-none-any.whl"));
	ck_assert_int_eq(strncmp(rq.v[0].path, dir, strlen(dir)), 0);
	ck_assert_int_eq(rq.v[0].size, 3);
	ck_assert_int_eq(rq.v[0].lock, 1);
	ck_assert_uint_eq(rq.v[0].line, 3);
	ck_assert_str_eq(rq.v[0].hashes.v[0], "sha256:" ABC_SHA256);
	/* No version key: the wheel's; a file:// URL is a path. */
	ck_assert_str_eq(rq.v[1].version, "2.0");
	ck_assert_str_eq(rq.v[1].path, "/x/abs-2.0-py3-none-any.whl");
	ck_assert_int_eq(rq.v[1].size, 0);
	/* An https URL: downloaded by the engine, checked by its sha256
	 * (lower case) and then by every hash. */
	ck_assert_ptr_null(rq.v[2].path);
	ck_assert_str_eq(rq.v[2].url, "https://h/web-1-py3-none-any.whl");
	ck_assert_str_eq(rq.v[2].filename, "web-1-py3-none-any.whl");
	ck_assert_str_eq(rq.v[2].sha256, ABC_SHA256);
	ck_assert_int_eq(rq.v[2].direct, 1);
	ck_assert_uint_eq(rq.v[2].hashes.n, 2);
	reqs_free(&rq);
	free(text);

	/* A package's index: carried to the pin, for resolve.c to look the
	 * file up there by name when there is no url (as here) or when the
	 * url fails; a path needs none. */
	text = xasprintf(HEAD "[[packages]]\nname = \"ix\"\nversion = \"1\"\n"
	    "index = \"https://u:pw@e.org/simple/\"\n"
	    "wheels = [{name = \"ix-1-py3-none-any.whl\", size = 7, "
	    "hashes = {sha256 = \"%s\"}}]\n"
	    "[[packages]]\nname = \"iu\"\nindex = \"https://e.org/simple/\"\n"
	    "wheels = [{url = \"https://h/iu-2-py3-none-any.whl\", "
	    "hashes = {sha256 = \"%s\"}}]\n"
	    "[[packages]]\nname = \"ip\"\nindex = \"https://e.org/simple/\"\n"
	    "wheels = [{path = \"ip-3-py3-none-any.whl\", "
	    "hashes = {sha256 = \"%s\"}}]\n"
	    "[[packages]]\nname = \"in\"\nindex = \"https://e.org/simple/\"\n"
	    "wheels = [{name = \"in-4-py3-none-any.whl\", "
	    "hashes = {sha512 = \"ab\"}}]\n",
	    "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
	    ABC_SHA256, ABC_SHA256);
	ck_assert_ptr_nonnull(fp = fopen(lock, "w"));
	fputs(text, fp);
	fclose(fp);
	reqs_init(&rq, &env);
	ck_assert_int_eq(lockfile_read(&rq, lock, &tags, NULL, NULL), -1);
	ck_assert_uint_eq(rq.n, 3);
	ck_assert_ptr_null(rq.v[0].path);
	ck_assert_ptr_null(rq.v[0].url);
	ck_assert_str_eq(rq.v[0].index, "https://u:pw@e.org/simple/");
	ck_assert_str_eq(rq.v[0].filename, "ix-1-py3-none-any.whl");
	ck_assert_str_eq(rq.v[0].sha256, ABC_SHA256);
	ck_assert_int_eq(rq.v[0].size, 7);
	ck_assert_int_eq(rq.v[0].direct, 0);
	ck_assert_int_eq(rq.v[0].lock, 1);
	ck_assert_str_eq(rq.v[1].url, "https://h/iu-2-py3-none-any.whl");
	ck_assert_str_eq(rq.v[1].index, "https://e.org/simple/");
	ck_assert_int_eq(rq.v[1].direct, 1);
	ck_assert_ptr_nonnull(rq.v[2].path);
	ck_assert_ptr_null(rq.v[2].index);
	/* Looked up by name, the download is still checked by sha256. */
	ck_assert_uint_eq(rq.errors.n, 1);
	ck_assert_msg(strstr(rq.errors.v[0], ":16: 'in': key 'hashes'") != NULL,
	    "%s", rq.errors.v[0]);
	reqs_free(&rq);
	free(text);

	/* A version that is not the wheel's, and a URL without a sha256. */
	text = xstrdup(HEAD "[[packages]]\nname = \"six\"\nversion = \"1.0\"\n"
	    "wheels = [{path = \"six-1.16.0-py2.py3-none-any.whl\", " HASH "}]\n"
	    "[[packages]]\nname = \"web\"\n"
	    "wheels = [{url = \"https://u:secret@h/web-1-py3-none-any.whl\", "
	    "hashes = {sha512 = \"ab\"}}]\n");
	ck_assert_ptr_nonnull(fp = fopen(lock, "w"));
	fputs(text, fp);
	fclose(fp);
	reqs_init(&rq, &env);
	ck_assert_int_eq(lockfile_read(&rq, lock, &tags, NULL, NULL), -1);
	ck_assert_uint_eq(rq.errors.n, 2);
	ck_assert_ptr_nonnull(strstr(rq.errors.v[0], ":3: 'six-1.16.0-py2.py3-none-any.whl' "
	    "is not a wheel of six 1.0"));
	ck_assert_ptr_nonnull(strstr(rq.errors.v[1], ":7: "));
	ck_assert_ptr_nonnull(strstr(rq.errors.v[1], "key 'hashes'"));
	ck_assert_ptr_null(strstr(rq.errors.v[1], "secret"));
	reqs_free(&rq);
	free(text);

	/* Parse and selection errors keep the file, line and column. */
	ck_assert_ptr_nonnull(fp = fopen(lock, "w"));
	fputs(HEAD "[[packages]]\nname = \"x\"\nwheels = [{path = \"x-1-py3-none-any.whl\", "
	    "hashes = {}}]\n", fp);
	fclose(fp);
	reqs_init(&rq, &env);
	ck_assert_int_eq(lockfile_read(&rq, lock, &tags, NULL, NULL), -1);
	ck_assert_uint_eq(rq.errors.n, 1);
	text = xasprintf("%s:5:", lock);
	ck_assert_msg(strstr(rq.errors.v[0], text) != NULL &&
	    strstr(rq.errors.v[0], "key 'hashes'") != NULL, "%s", rq.errors.v[0]);
	free(text);
	reqs_free(&rq);
	unlink(lock);
	reqs_init(&rq, &env);
	ck_assert_int_eq(lockfile_read(&rq, lock, &tags, NULL, NULL), -1);
	ck_assert_ptr_nonnull(strstr(rq.errors.v[0], lock));
	reqs_free(&rq);
	rmdir(dir);
	free(lock);
	free(dir);
}
END_TEST

static Suite *
pylock_suite(void)
{
	Suite	*s = suite_create("pylock");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_select, 0, ARRAY_SIZE(cases));
	tcase_add_test(tc, test_pick_fields);
	tcase_add_test(tc, test_marker_sets);
	tcase_add_test(tc, test_is_name);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_verify_fd);
	tcase_add_test(tc, test_read);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(pylock_suite)
