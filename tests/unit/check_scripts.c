/*
 * check_scripts.c: entry_points.txt parsing, shebang lines, launcher text,
 * "#!python" detection and wrapper names.  The launcher cases write real
 * launchers into a temporary directory and run them under every pyenv
 * interpreter present (CPython 2.7, 3.6 to 3.13); absent ones are skipped.
 * Nothing is written outside $TMPDIR (or /tmp), and all of it is removed.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scripts.h"
#include "util.h"
#include "testkit.h"

/* head followed by c up to total bytes. */
static char *
repeat(const char *head, int c, size_t total)
{
	size_t	 n = strlen(head);
	char	*s = xmalloc(total + 1);

	memcpy(s, head, n);
	memset(s + n, c, total - n);
	s[total] = '\0';
	return s;
}

/* ---- entry_points.txt ------------------------------------------------ */

struct parse_case {
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	int		 ok;
	const char	*want;		/* entries "name=mod:attr;" ("+g" for
					 * gui), or the exact error */
};

static const struct parse_case parse_cases[] = {
	/* valid */
	{ "[console_scripts]\nfoo = pkg.mod:main\n", 0, 1,
	    "foo=pkg.mod:main;" },
	{ "[console_scripts]\na=m:f\n[gui_scripts]\nb = m:g\n", 0, 1,
	    "a=m:f;b=m:g+g;" },
	{ "[console_scripts]\nx = m:a.b.c\n", 0, 1, "x=m:a.b.c;" },
	{ "[console_scripts]\nFoo = m:f\nfoo = m:g\n", 0, 1,
	    "Foo=m:f;foo=m:g;" },
	{ "[console_scripts]\nmy tool = m:f\n", 0, 1, "my tool=m:f;" },
	{ "[console_scripts]\ncaf\xc3\xa9 = mod\xc3\xa9:f\xc3\xbcnc\n", 0, 1,
	    "caf\xc3\xa9=mod\xc3\xa9:f\xc3\xbcnc;" },
	/* sections: others ignored, names exact, repeated ones add up */
	{ "[pytest11]\nnbval = nbval.plugin\n[console_scripts]\nx=m:f\n"
	    "[other]\nnot an entry at all\n", 0, 1, "x=m:f;" },
	{ "[Console_Scripts]\nx=m:f\n[ console_scripts ]\ny=m:f\n"
	    "[console_scripts.x]\nz=m:f\n", 0, 1, "" },
	{ "[console_scripts]\na=m:f\n[other]\nb=m:f\n[console_scripts]\n"
	    "c=m:g\n", 0, 1, "a=m:f;c=m:g;" },
	/* comments and blank lines */
	{ "# top\n; top\n\n[console_scripts]\n  # indented\nx=m:f\n;y=m:g\n"
	    "\n\n", 0, 1, "x=m:f;" },
	/* white space */
	{ "  [console_scripts]  \n\t foo \t=\t pkg.mod : main  \n", 0, 1,
	    "foo=pkg.mod:main;" },
	/* extras */
	{ "[console_scripts]\na = m:f [x,y]\nb = m:f[x]\nc = m:f  [ x , y ]  \n"
	    "d = m:f []\n", 0, 1, "a=m:f;b=m:f;c=m:f;d=m:f;" },
	/* ':' in the key is part of the name */
	{ "[console_scripts]\nfoo:bar = m:f\n", 0, 1, "foo:bar=m:f;" },
	/* CRLF, CR, no final line end, BOM */
	{ "[console_scripts]\r\nfoo = m:f\r\nbar = m:g\r\n", 0, 1,
	    "foo=m:f;bar=m:g;" },
	{ "[console_scripts]\rfoo = m:f\rbar = m:g", 0, 1,
	    "foo=m:f;bar=m:g;" },
	{ "\xef\xbb\xbf[console_scripts]\nx=m:f", 0, 1, "x=m:f;" },
	/* empty file, no sections */
	{ "", 0, 1, "" },
	{ "\n\n# nothing\n", 0, 1, "" },
	{ "foo = m:f\n", 0, 1, "" },
	/* duplicates: same target kept once, a different one rejected */
	{ "[console_scripts]\nx=m:f\nx = m:f\n[gui_scripts]\nx=m:f\n", 0, 1,
	    "x=m:f;" },
	{ "[console_scripts]\nx=m:f\nx=m:g\n", 0, 0,
	    "entry_points.txt: console_scripts: 'x': already defined in "
	    "console_scripts as 'm:f', now 'm:g'" },
	{ "[console_scripts]\nx=m:f\n[gui_scripts]\nx=n:f\n", 0, 0,
	    "entry_points.txt: gui_scripts: 'x': already defined in "
	    "console_scripts as 'm:f', now 'n:f'" },
	/* bad object references */
	{ "[console_scripts]\nfoo = pkg.mod\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': no ':attr' in "
	    "'pkg.mod'" },
	{ "[gui_scripts]\nfoo = pkg.mod: \n", 0, 0,
	    "entry_points.txt: gui_scripts: 'foo': no ':attr' in "
	    "'pkg.mod:'" },
	{ "[console_scripts]\nfoo = pkg.mod [x]\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': no ':attr' in "
	    "'pkg.mod [x]'" },
	{ "[console_scripts]\nfoo =\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': empty object "
	    "reference" },
	{ "[console_scripts]\nfoo = pkg..mod:main\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': invalid module "
	    "'pkg..mod' in 'pkg..mod:main'" },
	{ "[console_scripts]\nfoo = pkg mod:main\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': invalid module "
	    "'pkg mod' in 'pkg mod:main'" },
	{ "[console_scripts]\nfoo = 1pkg:main\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': invalid module "
	    "'1pkg' in '1pkg:main'" },
	{ "[console_scripts]\nfoo = m:a:b\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': invalid attribute "
	    "'a:b' in 'm:a:b'" },
	{ "[console_scripts]\nfoo = m:main.\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': invalid attribute "
	    "'main.' in 'm:main.'" },
	{ "[console_scripts]\nfoo = m:f();import os\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': invalid attribute "
	    "'f();import' in 'm:f();import os'" },
	{ "[console_scripts]\nfoo = m:f [x\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': expected '[extras]' "
	    "or the end after the attribute in 'm:f [x'" },
	{ "[console_scripts]\nfoo = m:f [x] y\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': expected '[extras]' "
	    "or the end after the attribute in 'm:f [x] y'" },
	{ "[console_scripts]\nfoo = m:f # note\n", 0, 0,
	    "entry_points.txt: console_scripts: 'foo': expected '[extras]' "
	    "or the end after the attribute in 'm:f # note'" },
	/* bad lines */
	{ "[console_scripts]\nfoo\n", 0, 0,
	    "entry_points.txt: console_scripts: line 2: expected 'name = "
	    "object reference', found 'foo'" },
	{ "[console_scripts\nx=m:f\n", 0, 0,
	    "entry_points.txt: line 1: malformed section header "
	    "'[console_scripts'" },
	{ "[console_scripts]\r\nx=m:f\r\n\xff\r\n", 0, 0,
	    "entry_points.txt: line 3: not valid UTF-8" },
	{ "[console_scripts]\nx=m:f\xed\xa0\x80\n", 0, 0,
	    "entry_points.txt: line 2: not valid UTF-8" },
	{ "[console_scripts]\nx=m:f\n\0y=m:f\n", 31, 0,
	    "entry_points.txt: line 3: NUL byte" },
	/* reserved launcher names */
	{ "[console_scripts]\npython = m:f\n", 0, 0,
	    "entry_points.txt: console_scripts: 'python': launcher name "
	    "would replace the Python interpreter" },
	{ "[console_scripts]\npython3.12 = m:f\n", 0, 0,
	    "entry_points.txt: console_scripts: 'python3.12': launcher name "
	    "would replace the Python interpreter" },
	{ "[gui_scripts]\npythonw = m:f\n", 0, 0,
	    "entry_points.txt: gui_scripts: 'pythonw': launcher name "
	    "would replace the Python interpreter" },
	{ "[console_scripts]\npypy3 = m:f\n", 0, 0,
	    "entry_points.txt: console_scripts: 'pypy3': launcher name "
	    "would replace the Python interpreter" },
	/* names that are not one path component */
	{ "[console_scripts]\n../evil = m:f\n", 0, 0,
	    "entry_points.txt: console_scripts: '../evil': launcher name "
	    "must be one path component" },
	{ "[console_scripts]\n/usr/bin/evil = m:f\n", 0, 0,
	    "entry_points.txt: console_scripts: '/usr/bin/evil': launcher "
	    "name must be one path component" },
	{ "[console_scripts]\n. = m:f\n", 0, 0,
	    "entry_points.txt: console_scripts: '.': launcher name must be "
	    "one path component" },
	{ "[console_scripts]\n.. = m:f\n", 0, 0,
	    "entry_points.txt: console_scripts: '..': launcher name must be "
	    "one path component" },
	{ "[console_scripts]\n= m:f\n", 0, 0,
	    "entry_points.txt: console_scripts: '': empty launcher name" },
	{ "[console_scripts]\na\tb = m:f\n", 0, 0,
	    "entry_points.txt: console_scripts: 'a\\x09b': control character "
	    "in launcher name" },
	{ "[console_scripts]\na\x1b[0m = m:f\n", 0, 0,
	    "entry_points.txt: console_scripts: 'a\\x1b[0m': control "
	    "character in launcher name" },
};

static char *
describe(const struct entry_points *eps)
{
	struct buf	b = BUF_INIT;
	size_t		i;

	for (i = 0; i < eps->n; i++)
		buf_addf(&b, "%s=%s:%s%s;", eps->v[i].name, eps->v[i].module,
		    eps->v[i].attr, eps->v[i].gui ? "+g" : "");
	return buf_detach(&b);
}

START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct entry_points	 eps;
	size_t			 len;
	char			*got;
	int			 rc;

	len = c->len ? c->len : strlen(c->text);
	rc = entry_points_parse(c->text, len, &eps);
	if (c->ok) {
		ck_assert_msg(rc == 0, "case %d: %s", _i, err_get());
		got = describe(&eps);
		ck_assert_str_eq(got, c->want);
		free(got);
	} else {
		ck_assert_msg(rc == -1, "case %d parsed", _i);
		ck_assert_str_eq(err_get(), c->want);
		ck_assert_ptr_null(eps.v);
		ck_assert_uint_eq(eps.n, 0);
	}
	entry_points_free(&eps);
}
END_TEST

static const struct {
	const char	*name;
	int		 reserved;
} reserved_cases[] = {
	{ "python", 1 }, { "python2", 1 }, { "python2.7", 1 },
	{ "python3", 1 }, { "python3.6", 1 }, { "python3.13", 1 },
	{ "python3.13t", 1 }, { "python3.6m", 1 }, { "pythonw", 1 },
	{ "pythonw3.11", 1 }, { "pythonwhatever", 1 }, { "pypy", 1 },
	{ "pypy3.10", 1 }, { "pypyx", 1 }, { "Python3", 1 }, { "PYTHON", 1 },
	{ "PyPy3", 1 },
	{ "pytho", 0 }, { "python-config", 0 }, { "python3-foo", 0 },
	{ "pythonista", 0 }, { "ipython", 0 }, { "ipython3", 0 },
	{ "py", 0 }, { "pyp", 0 }, { "python3.12x", 0 }, { "black", 0 },
	{ "tool.exe", 0 }, { "my tool", 0 }, { "foo:bar", 0 },
	/* not one path component: never allowed either */
	{ "", 1 }, { ".", 1 }, { "..", 1 }, { "a/b", 1 }, { "a\nb", 1 },
	{ "a\x7f", 1 },
};

START_TEST(test_reserved)
{
	ck_assert_msg(launcher_name_reserved(reserved_cases[_i].name) ==
	    reserved_cases[_i].reserved, "'%s'", reserved_cases[_i].name);
}
END_TEST

START_TEST(test_long_name)
{
	struct entry_points	 eps;
	char			*name, *text;

	name = repeat("", 'n', 244);
	ck_assert(!launcher_name_reserved(name));
	text = xasprintf("[console_scripts]\n%s = m:f\n", name);
	ck_assert_int_eq(entry_points_parse(text, strlen(text), &eps), 0);
	ck_assert_uint_eq(eps.n, 1);
	entry_points_free(&eps);
	free(text);
	free(name);

	name = repeat("", 'n', 245);
	ck_assert(launcher_name_reserved(name));
	text = xasprintf("[console_scripts]\n%s = m:f\n", name);
	ck_assert_int_eq(entry_points_parse(text, strlen(text), &eps), -1);
	ck_assert(str_ends(err_get(), "': launcher name too long"));
	free(text);
	free(name);
}
END_TEST

/* ---- shebang lines ----------------------------------------------------- */

static char *
sh_form(const char *quoted)
{
	return xasprintf("#!/bin/sh\n'''exec' %s \"$0\" \"$@\"\n' '''\n",
	    quoted);
}

START_TEST(test_shebang)
{
	char	*s, *p, *want, *q;

	s = shebang_for("/usr/bin/python3");
	ck_assert_str_eq(s, "#!/usr/bin/python3\n");
	free(s);

	s = shebang_for("/opt/my env/bin/python");
	want = sh_form("'/opt/my env/bin/python'");
	ck_assert_str_eq(s, want);
	free(s);
	free(want);

	s = shebang_for("/opt/tab\there/python");
	want = sh_form("'/opt/tab\there/python'");
	ck_assert_str_eq(s, want);
	free(s);
	free(want);

	/* A quote without white space needs no sh. */
	s = shebang_for("/opt/it's/python");
	ck_assert_str_eq(s, "#!/opt/it's/python\n");
	free(s);

	s = shebang_for("/opt/it's mine/python");
	want = sh_form("'/opt/it'\"'\"'s mine/python'");
	ck_assert_str_eq(s, want);
	free(s);
	free(want);

	s = shebang_for("/opt/back\\slash dir/python");
	want = sh_form("'/opt/back'\\\\'slash dir/python'");
	ck_assert_str_eq(s, want);
	free(s);
	free(want);

	/* "#!" plus 125 bytes is 127: as is; one more byte: sh. */
	p = repeat("/", 'a', 125);
	s = shebang_for(p);
	want = xasprintf("#!%s\n", p);
	ck_assert_str_eq(s, want);
	ck_assert_uint_eq(strlen(s), 128);
	free(s);
	free(want);
	free(p);

	p = repeat("/", 'a', 126);
	s = shebang_for(p);
	q = xasprintf("'%s'", p);
	want = sh_form(q);
	ck_assert_str_eq(s, want);
	free(s);
	free(want);
	free(q);
	free(p);

	p = repeat("/", 'b', 200);
	s = shebang_for(p);
	q = xasprintf("'%s'", p);
	want = sh_form(q);
	ck_assert_str_eq(s, want);
	free(s);
	free(want);
	free(q);
	free(p);
}
END_TEST

/* ---- launcher text ------------------------------------------------------ */

START_TEST(test_launcher_text)
{
	struct entry_point	 con = { "tool", "pkg.cli", "app.run", 0 };
	struct entry_point	 gui = { "tool", "pkg.cli", "app.run", 1 };
	char			*a, *b;

	a = launcher_text("#!/venv/bin/python\n", &con);
	ck_assert_str_eq(a,
	    "#!/venv/bin/python\n"
	    "# -*- coding: utf-8 -*-\n"
	    "import sys\n"
	    "\n"
	    "from pkg.cli import app as _forklift_entry\n"
	    "\n"
	    "if __name__ == \"__main__\":\n"
	    "    if sys.argv[0].endswith(\".exe\"):\n"
	    "        sys.argv[0] = sys.argv[0][:-4]\n"
	    "    elif sys.argv[0].endswith(\"-script.pyw\"):\n"
	    "        sys.argv[0] = sys.argv[0][:-11]\n"
	    "    sys.exit(_forklift_entry.run())\n");
	b = launcher_text("#!/venv/bin/python\n", &gui);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);

	/* A shebang without its newline still gets one. */
	a = launcher_text("#!/x/python", &con);
	ck_assert(str_starts(a, "#!/x/python\n# -*- coding"));
	free(a);
}
END_TEST

/* ---- "#!python" and wrapper names --------------------------------------- */

static const struct {
	const char	*buf;
	long		 want;
} shebang_len_cases[] = {
	{ "#!python\nprint(1)\n", 9 },
	{ "#!pythonw\nprint(1)\n", 10 },
	{ "#!python\r\nprint(1)\r\n", 10 },
	{ "#!python3 -E\nx\n", 13 },
	{ "#!python\n", 9 },
	{ "#!python", -1 },
	{ "#!pythonw -u", -1 },
	{ "#!/usr/bin/python\n", 0 },
	{ "#!/usr/bin/env python\n", 0 },
	{ "#! python\n", 0 },
	{ "#!Python\n", 0 },
	{ "#!pyth", 0 },
	{ "", 0 },
	{ "print(1)\n", 0 },
};

START_TEST(test_python_shebang_len)
{
	const char	*buf = shebang_len_cases[_i].buf;

	ck_assert_int_eq(script_python_shebang_len(buf, strlen(buf)),
	    shebang_len_cases[_i].want);
}
END_TEST

START_TEST(test_python_shebang_len_bounded)
{
	/* Only len bytes count, even if a newline follows them. */
	ck_assert_int_eq(script_python_shebang_len("#!python\nx", 8), -1);
	ck_assert_int_eq(script_python_shebang_len("#!python\nx", 9), 9);
	ck_assert_int_eq(script_python_shebang_len("#!python\nx", 7), 0);
}
END_TEST

static const struct {
	const char	*file;
	int		 want;
} wrapper_cases[] = {
	{ "foo", 1 }, { "foo.exe", 1 }, { "foo-script.py", 1 },
	{ "foo-script.pyw", 0 }, { "foo.pya", 1 }, { "bar.baz-script.py", 1 },
	{ "foo.EXE", 1 }, { "foo-SCRIPT.py", 1 },
	{ "bar.baz", 1 },
	{ "foo.py", 0 }, { "foobar", 0 }, { "fo", 0 }, { "Foo", 0 },
	{ "foo-script.pyc", 0 }, { "foo.exe.bak", 0 }, { "bar", 0 }, { "", 0 },
};

START_TEST(test_wrapper)
{
	struct entry_point	v[] = {
		{ "foo", "m", "f", 0 }, { "bar.baz", "m", "g", 1 }
	};
	struct entry_points	eps = { v, 2 };

	ck_assert_msg(script_is_ep_wrapper(wrapper_cases[_i].file, &eps) ==
	    wrapper_cases[_i].want, "'%s'", wrapper_cases[_i].file);
}
END_TEST

/* ---- launchers run under real interpreters ------------------------------ */

static const char *const versions[] = {
	"2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"
};

/* The newest installed pyenv CPython X.Y, or NULL. */
static char *
find_python(const char *version)
{
	const char	*root = getenv("PYENV_ROOT"), *home = getenv("HOME");
	char		*pat, *found = NULL;
	glob_t		 g;

	if (root != NULL)
		pat = xasprintf("%s/versions/%s.*/bin/python", root, version);
	else
		pat = xasprintf("%s/.pyenv/versions/%s.*/bin/python",
		    home != NULL ? home : "/root", version);
	if (glob(pat, 0, NULL, &g) == 0) {
		if (g.gl_pathc > 0 && access(g.gl_pathv[g.gl_pathc - 1],
		    X_OK) == 0)
			found = xstrdup(g.gl_pathv[g.gl_pathc - 1]);
		globfree(&g);
	}
	free(pat);
	return found;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_msg(fd != -1, "%s: %s", path, strerror(errno));
	ck_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	ck_assert(close(fd) == 0);
}

static const char demo_py[] =
    "import os\n"
    "import sys\n"
    "def main():\n"
    "    sys.stdout.write('main %s %s\\n' %\n"
    "        (os.path.basename(sys.argv[0]), ' '.join(sys.argv[1:])))\n"
    "    return 3\n"
    "class _App(object):\n"
    "    def run(self):\n"
    "        sys.stdout.write('run %s\\n' % os.path.basename(sys.argv[0]))\n"
    "        return 0\n"
    "app = _App()\n";

static const char shadow_py[] =
    "import sys as _s\n"
    "def sys():\n"
    "    _s.stdout.write('shadow\\n')\n"
    "    return 5\n";

/* Run path with one argument; return its stdout, set *status. */
static char *
run(const char *path, const char *pythonpath, int *status)
{
	struct buf	 out = BUF_INIT;
	char		 chunk[512], *env[4];
	int		 fds[2];
	ssize_t		 n;
	pid_t		 pid;

	env[0] = xasprintf("PYTHONPATH=%s", pythonpath);
	env[1] = xstrdup("PYTHONDONTWRITEBYTECODE=1");
	env[2] = xstrdup("PATH=/usr/bin:/bin");
	env[3] = NULL;
	ck_assert(pipe(fds) == 0);
	pid = fork();
	ck_assert(pid != -1);
	if (pid == 0) {
		char *argv[] = { (char *)path, (char *)"x", NULL };

		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execve(path, argv, env);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
		buf_add(&out, chunk, (size_t)n);
	close(fds[0]);
	ck_assert(waitpid(pid, status, 0) == pid);
	free(env[0]);
	free(env[1]);
	free(env[2]);
	return buf_detach(&out);
}

/* Write a launcher for ep at dir/ep->name using interp, run it, check. */
static void
try_launcher(const char *dir, const char *interp, const char *shebang_kind,
    const struct entry_point *ep, const char *want_out, int want_rc)
{
	char	*shebang, *text, *path, *lib, *got;
	int	 status;

	shebang = shebang_for(interp);
	ck_assert_msg(str_starts(shebang, "#!/bin/sh\n") ==
	    (strcmp(shebang_kind, "sh") == 0), "%s: %s", interp, shebang);
	text = launcher_text(shebang, ep);
	path = xasprintf("%s/bin/%s", dir, ep->name);
	lib = xasprintf("%s/lib", dir);
	write_file(path, text, 0755);
	got = run(path, lib, &status);
	ck_assert_msg(WIFEXITED(status), "%s: %s: not exited", interp,
	    ep->name);
	ck_assert_msg(WEXITSTATUS(status) == want_rc,
	    "%s: %s: exit %d, want %d", interp, ep->name,
	    WEXITSTATUS(status), want_rc);
	ck_assert_msg(strcmp(got, want_out) == 0, "%s: %s: output '%s'",
	    interp, ep->name, got);
	free(got);
	free(lib);
	free(path);
	free(text);
	free(shebang);
}

START_TEST(test_launcher_runs)
{
	static const struct {
		struct entry_point	 ep;
		const char		*out;
		int			 rc;
	} cases[] = {
		{ { "fk-main", "fkdemo.cli", "main", 0 }, "main fk-main x\n", 3 },
		{ { "fk-gui", "fkdemo.cli", "main", 1 }, "main fk-gui x\n", 3 },
		{ { "fk-run", "fkdemo.cli", "app.run", 0 }, "run fk-run\n", 0 },
		{ { "tool.exe", "fkdemo.cli", "main", 0 }, "main tool x\n", 3 },
		{ { "tool-script.pyw", "fkdemo.cli", "main", 0 },
		    "main tool x\n", 3 },
		/* pip's launchers keep "-script.py"; so does forklift. */
		{ { "tool-script.py", "fkdemo.cli", "main", 0 },
		    "main tool-script.py x\n", 3 },
		{ { "fk-shadow", "fkdemo.shadow", "sys", 0 }, "shadow\n", 5 },
	};
	char		*python, *dir, *p, *odd, *longdir, *link;
	size_t		 i;

	if ((python = find_python(versions[_i])) == NULL) {
		fprintf(stderr, "check_scripts: python %s absent, skipped\n",
		    versions[_i]);
		return;
	}
	dir = xasprintf("%s/fk-scripts-XXXXXX", kit_top);
	ck_assert(mkdtemp(dir) != NULL);
	p = xasprintf("%s/bin", dir);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	p = xasprintf("%s/lib", dir);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	p = xasprintf("%s/lib/fkdemo", dir);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	p = xasprintf("%s/lib/fkdemo/__init__.py", dir);
	write_file(p, "", 0644);
	free(p);
	p = xasprintf("%s/lib/fkdemo/cli.py", dir);
	write_file(p, demo_py, 0644);
	free(p);
	p = xasprintf("%s/lib/fkdemo/shadow.py", dir);
	write_file(p, shadow_py, 0644);
	free(p);

	/* The plain "#!<interpreter>" form. */
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		try_launcher(dir, python, "plain", &cases[i].ep, cases[i].out,
		    cases[i].rc);

	/* The sh form: white space, quotes and a backslash in the path. */
	odd = xasprintf("%s/it's a \\ \"dir\"", dir);
	ck_assert(mkdir(odd, 0755) == 0);
	link = xasprintf("%s/python", odd);
	ck_assert(symlink(python, link) == 0);
	try_launcher(dir, link, "sh", &cases[0].ep, cases[0].out,
	    cases[0].rc);
	try_launcher(dir, link, "sh", &cases[2].ep, cases[2].out,
	    cases[2].rc);
	free(link);
	free(odd);

	/* The sh form: a path longer than a shebang line may be. */
	longdir = repeat(dir, 'L', strlen(dir) + 150);
	longdir[strlen(dir)] = '/';
	ck_assert(mkdir(longdir, 0755) == 0);
	link = xasprintf("%s/python", longdir);
	ck_assert(symlink(python, link) == 0);
	ck_assert_uint_gt(strlen(link), 127);
	try_launcher(dir, link, "sh", &cases[0].ep, cases[0].out,
	    cases[0].rc);
	free(link);
	free(longdir);

	ck_assert(kit_rm_tree(dir) == 0);
	free(dir);
	free(python);
}
END_TEST

static Suite *
scripts_suite(void)
{
	Suite	*s = suite_create("scripts");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse, 0, ARRAY_SIZE(parse_cases));
	tcase_add_loop_test(tc, test_reserved, 0, ARRAY_SIZE(reserved_cases));
	tcase_add_test(tc, test_long_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_test(tc, test_shebang);
	tcase_add_test(tc, test_launcher_text);
	tcase_add_loop_test(tc, test_python_shebang_len, 0,
	    ARRAY_SIZE(shebang_len_cases));
	tcase_add_test(tc, test_python_shebang_len_bounded);
	tcase_add_loop_test(tc, test_wrapper, 0, ARRAY_SIZE(wrapper_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("run");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_launcher_runs, 0, ARRAY_SIZE(versions));
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(scripts_suite)
