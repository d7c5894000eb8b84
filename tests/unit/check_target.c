/*
 * check_target.c: interpreter facts (parsing, the real query against
 * python3 and, where installed, a pyenv CPython 2.7 that has no -I), the
 * facts cache, the venv / --target / --prefix layouts, refusing a system
 * interpreter, resolution errors from fake interpreters, and the lock.
 * main() creates one venv with "python3 -m venv --without-pip" under a
 * temporary directory that it removes at the end; tests that need a real
 * Python print a SKIP line (skip.h) and return when python3 is missing.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "target.h"
#include "util.h"
#include "skip.h"
#include "testkit.h"

static char	*python3;		/* the real python3, or NULL */
static char	*venv;			/* kit_top/venv, or NULL */
static char	*cache;			/* kit_top/cache, shared to save queries */

/* ---- helpers ---------------------------------------------------------- */

static char *
in_top(const char *rel)
{
	return path_join(kit_top, rel);
}

/* A path under kit_top, in one of a few static buffers (no free). */
static const char *
tp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *
tp(const char *fmt, ...)
{
	static char	ring[8][PATH_MAX];
	static int	next;
	char		*b = ring[next++ % 8];
	int		 n = snprintf(b, PATH_MAX, "%s/", kit_top);
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(b + n, PATH_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return b;
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
	ck_assert_int_eq(write_file_atomic(path, text, strlen(text), mode), 0);
}

static size_t
count_entries(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	size_t		 n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* target_open() with its error output captured into *err (may be NULL). */
static int
open_target(struct target *t, const struct target_opts *o, char **err)
{
	struct kit_capture	 c;
	char			*text;
	int			 rc;

	kit_cap_begin(&c);
	rc = target_open(t, o);
	text = kit_cap_end(&c);
	if (err)
		*err = text;
	else
		free(text);
	return rc;
}

static void
assert_contains(const char *text, const char *part)
{
	ck_assert_msg(strstr(text, part) != NULL, "'%s' lacks '%s'", text, part);
}

/* target_open() fails and its message has part. */
static void
expect_fail(const struct target_opts *o, const char *part)
{
	struct target	 t;
	char		*err;

	ck_assert_int_eq(open_target(&t, o, &err), -1);
	assert_contains(err, part);
	free(err);
	target_close(&t);
}

/* target_open() succeeds with this kind of target. */
static void
expect_kind(const struct target_opts *o, enum target_kind kind)
{
	struct target	 t;
	char		*err;

	ck_assert_msg(open_target(&t, o, &err) == 0, "%s", err);
	ck_assert_int_eq(t.kind, kind);
	ck_assert_uint_gt(t.tags.n, 0);
	free(err);
	target_close(&t);
}

/* ---- pyinfo_parse ----------------------------------------------------- */

#define VER "version_major=3\nversion_minor=11\nversion_micro=7\n"

struct parse_case {
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	int		 rc;
	const char	*key;
	const char	*val;		/* the value, or the error's part */
};

static const struct parse_case parse_cases[] = {
	{ VER "platform=linux-x86_64\n", 0, 0, "platform", "linux-x86_64" },
	{ VER "platform=linux-x86_64", 0, 0, "platform", "linux-x86_64" },
	{ VER "prefix=/a=b c\n", 0, 0, "prefix", "/a=b c" },
	{ VER "abiflags=\n", 0, 0, "abiflags", "" },
	{ VER "abiflags=\n", 0, 0, "absent", "" },
	{ "\n\n" VER "\nsoabi=x\n\n", 0, 0, "soabi", "x" },
	{ VER "soabi=first\nsoabi=second\n", 0, 0, "soabi", "first" },
	{ VER "platform=linux-x86_64\n", sizeof(VER) - 1 + 10, 0, "platform", "l" },
	{ VER "garbage\n", 0, -1, NULL, "malformed interpreter fact 'garbage'" },
	{ "platform=linux\n", 0, -1, NULL, "lack the Python version" },
	{ "", 0, -1, NULL, "lack the Python version" },
};

START_TEST(test_pyinfo_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct pyinfo	pi;
	size_t		len = c->len ? c->len : strlen(c->text);

	ck_assert_int_eq(pyinfo_parse(c->text, len, &pi), c->rc);
	if (c->rc == 0) {
		ck_assert_int_eq(pi.major, 3);
		ck_assert_int_eq(pi.minor, 11);
		ck_assert_int_eq(pi.micro, 7);
		ck_assert_str_eq(pyinfo_get(&pi, c->key), c->val);
		ck_assert_str_eq(pyinfo_get(&pi, "version_minor"), "11");
	} else
		assert_contains(err_get(), c->val);
	pyinfo_free(&pi);
}
END_TEST

/* ---- the real query --------------------------------------------------- */

static void
opts_init(struct target_opts *o, const char *python)
{
	memset(o, 0, sizeof(*o));
	o->python = python;
	o->cache_dir = cache;
	o->lock_timeout = 1;
}

static void
assert_venv(const struct target *t)
{
	char	*bin = path_join(venv, "bin");
	char	*site = xasprintf("%s/lib/python%s/site-packages", venv,
	    pyinfo_get(&t->info, "python_version"));

	ck_assert_int_eq(t->kind, TARGET_VENV);
	ck_assert_str_eq(t->root, venv);
	ck_assert_str_eq(t->purelib, site);
	ck_assert_str_eq(t->scripts, bin);
	ck_assert_str_eq(t->data, venv);
	ck_assert(path_inside(t->platlib, venv));
	ck_assert(path_inside(t->python, venv));
	ck_assert_str_eq(pyinfo_get(&t->info, "implementation_name"), "cpython");
	ck_assert_int_eq(t->info.major, 3);
	ck_assert_str_eq(pyinfo_get(&t->info, "prefix"), venv);
	ck_assert_str_ne(pyinfo_get(&t->info, "base_prefix"), venv);
	ck_assert_uint_gt(t->tags.n, 10);
	ck_assert_msg(str_starts(t->tag_str, "cp3"), "%s", t->tag_str);
	ck_assert_int_eq(t->lock_fd, -1);
	free(bin);
	free(site);
}

/* Replace one fact's value in a cache file. */
static void
edit_fact(const char *path, const char *key, const char *val)
{
	struct buf	 out = BUF_INIT;
	char		*text, *line, *save = NULL;
	size_t		 n = strlen(key);

	ck_assert_int_eq(read_file(path, 1 << 20, &text, NULL), 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, n) == 0 && line[n] == '=')
			buf_addf(&out, "%s=%s\n", key, val);
		else
			buf_addf(&out, "%s\n", line);
	}
	write_text(path, out.p, 0644);
	buf_free(&out);
	free(text);
}

START_TEST(test_venv_and_cache)
{
	struct target_opts	 o;
	struct target		 t;
	struct timespec		 ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char			 file[PATH_MAX], interp[PATH_MAX / 2];
	glob_t			 g;
	size_t			 fds;

	if (venv == NULL)
		SKIP_CASE("no python3 to make a venv with");
	snprintf(interp, sizeof(interp), "%s", tp("own-cache/v1/interp"));
	fds = count_entries("/proc/self/fd");
	opts_init(&o, venv);
	o.cache_dir = tp("own-cache");
	ck_assert_int_eq(open_target(&t, &o, NULL), 0);
	assert_venv(&t);
	target_close(&t);
	/* One facts file, written under the cache directory. */
	ck_assert_uint_eq(count_entries(interp), 1);
	snprintf(file, sizeof(file), "%s/*", interp);
	ck_assert_int_eq(glob(file, 0, NULL, &g), 0);
	snprintf(file, sizeof(file), "%s", g.gl_pathv[0]);
	globfree(&g);

	/* The second open reads the file instead of asking Python: a value
	 * edited in the file comes back. */
	edit_fact(file, "platform_release", "edited-in-the-cache");
	ck_assert_int_eq(open_target(&t, &o, NULL), 0);
	ck_assert_str_eq(pyinfo_get(&t.info, "platform_release"), "edited-in-the-cache");
	assert_venv(&t);
	target_close(&t);
	ck_assert_uint_eq(count_entries(interp), 1);

	/* A venv made again at the same path (a new pyvenv.cfg) from the same
	 * Python has the same facts: still no Python started. */
	ck_assert_int_eq(utimensat(AT_FDCWD, tp("venv/pyvenv.cfg"), ts, 0), 0);
	ck_assert_int_eq(open_target(&t, &o, NULL), 0);
	ck_assert_str_eq(pyinfo_get(&t.info, "platform_release"), "edited-in-the-cache");
	target_close(&t);
	ck_assert_uint_eq(count_entries(interp), 1);

	/* A corrupt facts file is ignored and the facts asked again. */
	write_text(file, "garbage\n", 0644);
	ck_assert_int_eq(open_target(&t, &o, NULL), 0);
	ck_assert_str_ne(pyinfo_get(&t.info, "platform_release"), "edited-in-the-cache");
	assert_venv(&t);
	target_close(&t);
	ck_assert_uint_eq(count_entries("/proc/self/fd"), fds);	/* no fd leaked */
}
END_TEST

/* $VIRTUAL_ENV, then ./.venv, else an error naming the ways out. */
START_TEST(test_find_default)
{
	struct target_opts	 o;
	struct target		 t;
	char			 cwd[PATH_MAX], *old, *path;

	if (venv == NULL)
		SKIP_CASE("no python3 to make a venv with");
	old = getenv("VIRTUAL_ENV") ? xstrdup(getenv("VIRTUAL_ENV")) : NULL;
	path = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(mkdir_p(tp("proj"), 0755), 0);
	ck_assert_int_eq(chdir(tp("proj")), 0);
	opts_init(&o, NULL);
	setenv("VIRTUAL_ENV", venv, 1);
	ck_assert_int_eq(open_target(&t, &o, NULL), 0);
	assert_venv(&t);
	target_close(&t);
	unsetenv("VIRTUAL_ENV");
	expect_fail(&o, "no virtual environment found");
	ck_assert_int_eq(symlink(venv, tp("proj/.venv")), 0);
	expect_kind(&o, TARGET_VENV);
	unlink(tp("proj/.venv"));
	/* --system looks for python3 on PATH. */
	o.system = 1;
	o.break_system = 1;
	setenv("PATH", tp("proj"), 1);
	expect_fail(&o, "no python3 on PATH");
	ck_assert_int_eq(symlink(python3, tp("proj/python3")), 0);
	expect_kind(&o, TARGET_SYSTEM);
	if (path)
		setenv("PATH", path, 1);
	if (old)
		setenv("VIRTUAL_ENV", old, 1);
	free(path);
	free(old);
	unlink(tp("proj/python3"));
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(test_target_dir)
{
	struct target_opts	 o;
	struct target		 t;

	if (venv == NULL)
		SKIP_CASE("no python3 to make a venv with");
	opts_init(&o, venv);
	o.target = tp("x/../flat/");	/* normalized */
	ck_assert_int_eq(open_target(&t, &o, NULL), 0);
	ck_assert_int_eq(t.kind, TARGET_DIR);
	ck_assert_str_eq(t.root, tp("flat"));
	ck_assert_str_eq(t.purelib, tp("flat"));
	ck_assert_str_eq(t.platlib, tp("flat"));
	ck_assert_str_eq(t.data, tp("flat"));
	ck_assert_str_eq(t.scripts, tp("flat/bin"));
	ck_assert_str_eq(t.include, tp("flat/include"));
	ck_assert_uint_gt(t.tags.n, 0);
	target_close(&t);
}
END_TEST

/* --prefix DIR: the interpreter's own scheme re-rooted at DIR. */
static void
check_prefix(const char *python, int major)
{
	struct target_opts	 o;
	struct target		 t;

	opts_init(&o, python);
	o.prefix = tp("pfx");
	ck_assert_int_eq(open_target(&t, &o, NULL), 0);
	ck_assert_int_eq(t.info.major, major);
	ck_assert_int_eq(t.kind, TARGET_PREFIX);
	ck_assert_str_eq(t.root, tp("pfx"));
	ck_assert_str_eq(t.purelib, tp("pfx/lib/python%s/site-packages",
	    pyinfo_get(&t.info, "python_version")));
	ck_assert_str_eq(t.scripts, tp("pfx/bin"));
	ck_assert_str_eq(t.data, tp("pfx"));
	ck_assert(path_inside(t.platlib, tp("pfx")));
	ck_assert(path_inside(t.include, tp("pfx")));
	ck_assert_uint_gt(t.tags.n, 0);
	target_close(&t);
}

START_TEST(test_prefix)
{
	if (venv == NULL)
		SKIP_CASE("no python3 to make a venv with");
	check_prefix(venv, 3);
}
END_TEST

/* A system interpreter needs --system, and PEP 668's marker then needs
 * --break-system-packages; what is expected follows from its own facts. */
static void
check_system(const char *python)
{
	struct target_opts	 o;
	struct target		 t;
	char			*marker;
	int			 managed;

	opts_init(&o, python);
	expect_fail(&o, "is not in a virtual environment: create one with "
	    "'python3 -m venv .venv', or pass --system");
	o.system = 1;
	o.break_system = 1;
	ck_assert_int_eq(open_target(&t, &o, NULL), 0);
	ck_assert_int_eq(t.kind, TARGET_SYSTEM);
	ck_assert_str_eq(pyinfo_get(&t.info, "prefix"), pyinfo_get(&t.info, "base_prefix"));
	ck_assert(path_inside(t.purelib, t.root));
	ck_assert(path_inside(t.scripts, t.root));
	marker = path_join(pyinfo_get(&t.info, "stdlib"), "EXTERNALLY-MANAGED");
	managed = access(marker, F_OK) == 0;
	free(marker);
	target_close(&t);
	o.break_system = 0;
	if (managed)
		expect_fail(&o, "is externally managed (PEP 668 EXTERNALLY-MANAGED)");
	else
		expect_kind(&o, TARGET_SYSTEM);

	/* --target and --prefix need neither flag. */
	opts_init(&o, python);
	o.target = kit_top;
	expect_kind(&o, TARGET_DIR);
	opts_init(&o, python);
	o.prefix = kit_top;
	expect_kind(&o, TARGET_PREFIX);
}

START_TEST(test_system_refused)
{
	if (python3 == NULL && access("/usr/bin/python3", X_OK) != 0)
		SKIP_CASE("no python3");
	if (python3 != NULL)
		check_system(python3);
	if (access("/usr/bin/python3", X_OK) == 0)
		check_system("/usr/bin/python3");
}
END_TEST

/* CPython 2.7 exits 2 on -I: the query falls back to -E -s. */
START_TEST(test_python27)
{
	struct target_opts	 o;
	struct target		 t;
	glob_t			 g;
	char			*py;

	if (glob("/root/.pyenv/versions/2.7*/bin/python", 0, NULL, &g) != 0)
		SKIP_CASE("no CPython 2.7 under /root/.pyenv/versions");
	py = xstrdup(g.gl_pathv[0]);
	globfree(&g);
	opts_init(&o, py);
	o.system = 1;
	ck_assert_int_eq(open_target(&t, &o, NULL), 0);
	ck_assert_int_eq(t.info.major, 2);
	ck_assert_int_eq(t.info.minor, 7);
	ck_assert_str_eq(pyinfo_get(&t.info, "python_version"), "2.7");
	ck_assert_str_eq(pyinfo_get(&t.info, "implementation_name"), "cpython");
	ck_assert_int_eq(t.kind, TARGET_SYSTEM);
	assert_contains(t.purelib, "/lib/python2.7/site-packages");
	ck_assert(path_inside(t.purelib, t.root));
	ck_assert_msg(str_starts(t.tag_str, "cp27-"), "%s", t.tag_str);
	target_close(&t);
	check_system(py);
	check_prefix(py, 2);
	free(py);
}
END_TEST

/* The query reads the marker facts without the platform module where
 * sys.implementation and os.uname() give them: each must still be what
 * the platform module says, on every interpreter this machine has (the
 * venv's python3; pyenv's CPythons are an extra, checked when present). */
static void
check_platform_facts(const char *python, int system)
{
	static const char	*keys[] = { "platform_python_implementation",
	    "python_full_version", "platform_system", "platform_release",
	    "platform_version", "platform_machine" };
	struct target_opts	 o;
	struct target		 t;
	char			*cmd, line[1024];
	size_t			 i, n;
	FILE			*f;

	opts_init(&o, python);
	o.system = system;
	ck_assert_int_eq(open_target(&t, &o, NULL), 0);
	cmd = xasprintf("'%s' -E -s -c 'import platform as p; print(\"\\n\".join("
	    "[p.python_implementation(), p.python_version(), p.system(), "
	    "p.release(), p.version(), p.machine()]))'", python);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
		if ((n = strlen(line)) > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		ck_assert_msg(strcmp(pyinfo_get(&t.info, keys[i]), line) == 0,
		    "%s: %s is '%s', the platform module says '%s'", python,
		    keys[i], pyinfo_get(&t.info, keys[i]), line);
	}
	ck_assert_int_eq(pclose(f), 0);
	free(cmd);
	target_close(&t);
}

START_TEST(test_platform_facts)
{
	glob_t		 g;
	size_t		 i;
	char		*py;

	if (venv == NULL)
		SKIP_CASE("no python3 to make a venv with");
	py = path_join(venv, "bin/python");
	check_platform_facts(py, 0);
	free(py);
	if (glob("/root/.pyenv/versions/*/bin/python", 0, NULL, &g) != 0)
		return;
	for (i = 0; i < g.gl_pathc; i++)
		check_platform_facts(g.gl_pathv[i], 1);
	globfree(&g);
}
END_TEST

/* ---- resolution errors, with fake interpreters ------------------------ */

struct fake_case {
	const char	*script;	/* bin/python of a fake venv; NULL: none */
	mode_t		 mode;		/* 0: not even the directory */
	const char	*err;
};

static const struct fake_case fake_cases[] = {
	{ "#!/bin/sh\necho 'bad things' >&2\nexit 1\n", 0755,
	  "failed to report its facts (exit 1): bad things" },
	{ "#!/bin/sh\necho garbage\n", 0755, "malformed interpreter fact 'garbage'" },
	{ "#!/bin/sh\necho platform=x\n", 0755, "lack the Python version" },
	{ "#!/bin/sh\nexit 2\n", 0755, "failed to report its facts (exit 2)" },
	{ "#!/bin/sh\nkill -9 $$\n", 0755, "failed to report its facts (exit 137)" },
	{ "#!/bin/sh\n", 0644, "is not a virtual environment (no bin/python)" },
	{ NULL, 0755, "is not a virtual environment (no bin/python)" },
	{ NULL, 0, "': No such file or directory" },
};

START_TEST(test_fake_interpreter)
{
	const struct fake_case *c = &fake_cases[_i];
	struct target_opts	 o;

	if (c->mode)
		ck_assert_int_eq(mkdir_p(tp("fake%d/bin", _i), 0755), 0);
	if (c->script)
		write_text(tp("fake%d/bin/python", _i), c->script, c->mode);
	opts_init(&o, tp("fake%d", _i));
	expect_fail(&o, c->err);
	if (c->mode == 0644) {
		/* Given as a file: not executable. */
		opts_init(&o, tp("fake%d/bin/python", _i));
		expect_fail(&o, "is not an executable interpreter");
	}
}
END_TEST

/* ---- target_lock ------------------------------------------------------ */

START_TEST(test_lock)
{
	struct target		 t, ct;
	struct kit_capture	 c;
	struct timespec		 a, b;
	char			*root = in_top("lockroot"), *text, want[128], ch;
	int			 up[2], hold[2], status;
	double			 secs;
	pid_t			 pid;

	ck_assert_int_eq(mkdir_p(root, 0755), 0);
	memset(&t, 0, sizeof(t));
	t.root = root;
	t.lock_fd = -1;
	ck_assert_int_eq(pipe(up), 0);
	ck_assert_int_eq(pipe(hold), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* The holder: lock, say so, keep it until the parent lets go. */
		close(up[0]);
		close(hold[1]);
		ct = t;
		if (target_lock(&ct, 5) == 0 && write(up[1], "L", 1) == 1)
			(void)!read(hold[0], &ch, 1);
		free(root);
		_exit(0);
	}
	close(up[1]);
	close(hold[0]);
	ck_assert_int_eq(read(up[0], &ch, 1), 1);

	kit_cap_begin(&c);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(target_lock(&t, 0.3), -2);
	clock_gettime(CLOCK_MONOTONIC, &b);
	text = kit_cap_end(&c);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	ck_assert_msg(secs >= 0.29 && secs < 1.5, "waited %.2f s", secs);
	ck_assert_int_eq(t.lock_fd, -1);
	snprintf(want, sizeof(want), "still locked by forklift (pid %ld) after 0.3 s",
	    (long)pid);
	assert_contains(text, want);
	snprintf(want, sizeof(want), "waiting for forklift (pid %ld)", (long)pid);
	assert_contains(text, want);
	ck_assert_ptr_null(strstr(strstr(text, want) + 1, want));	/* said once */
	free(text);

	/* Once the holder is gone the lock is ours and names our pid. */
	close(hold[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(up[0]);
	ck_assert_int_eq(target_lock(&t, 1), 0);
	ck_assert_int_ge(t.lock_fd, 0);
	ck_assert_int_eq(read_file(tp("lockroot/.forklift/lock"), 100, &text, NULL), 0);
	/* One fixed-width record, so the file is never seen empty. */
	ck_assert_int_eq(atol(text), (long)getpid());
	ck_assert_uint_eq(strlen(text), 21);
	free(text);
	target_close(&t);		/* frees root */
	ck_assert_int_eq(t.lock_fd, -1);

	/* The root must exist (--target DIR is not created). */
	t.root = xstrdup(tp("no-such-root"));
	kit_cap_begin(&c);
	ck_assert_int_eq(target_lock(&t, 1), -1);
	text = kit_cap_end(&c);
	assert_contains(text, "cannot create");
	assert_contains(text, "no-such-root/.forklift'");
	free(text);
	target_close(&t);
}
END_TEST

/* ---- main ------------------------------------------------------------- */

/* The real python3 (not a pyenv shim) and a venv made with it. */
static void
make_venv(void)
{
	char	 line[PATH_MAX], *cmd;
	FILE	*f;

	f = popen("python3 -c 'import sys; print(sys.executable)' 2>/dev/null", "r");
	if (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (*line)
			python3 = xstrdup(line);
	}
	if (f != NULL)
		pclose(f);
	if (python3 == NULL)
		return;
	venv = in_top("venv");
	cmd = xasprintf("'%s' -m venv --without-pip '%s'", python3, venv);
	if (system(cmd) != 0) {
		fprintf(stderr, "check_target: cannot create a venv; skipping those tests\n");
		free(venv);
		venv = NULL;
	}
	free(cmd);
}

static Suite *
target_suite(void)
{
	Suite	*s = suite_create("target");
	TCase	*tc;

	tc = tcase_create("pyinfo");
	tcase_add_loop_test(tc, test_pyinfo_parse, 0, ARRAY_SIZE(parse_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_venv_and_cache);
	tcase_add_test(tc, test_find_default);
	tcase_add_test(tc, test_target_dir);
	tcase_add_test(tc, test_prefix);
	tcase_add_test(tc, test_system_refused);
	tcase_add_test(tc, test_python27);
	tcase_add_test(tc, test_platform_facts);
	tcase_add_loop_test(tc, test_fake_interpreter, 0, ARRAY_SIZE(fake_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("lock");
	tcase_add_test(tc, test_lock);
	suite_add_tcase(s, tc);
	return s;
}

/* The cache and the venv the cases share. */
static int
make_shared(void)
{
	cache = in_top("cache");
	make_venv();
	return 0;
}

static void
free_shared(void)
{
	free(python3);
	free(venv);
	free(cache);
}

KIT_MAIN_AROUND(target_suite, make_shared, free_shared)
