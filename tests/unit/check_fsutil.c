/*
 * check_fsutil.c: exact I/O over pipes (short reads, a full non-blocking
 * pipe), lexical path helpers, mkdir -p, rm_rf never following a symlink
 * planted in the tree, read_file's size cap and write_file_atomic.  Every
 * test works in its own temporary directory, removed afterwards.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"
#include "testkit.h"

/* Every test runs in kit_tmp (testkit.h), its current directory while
 * it runs. */
static char	oldcwd[PATH_MAX];

static void
setup(void)
{
	kit_tmp_setup();
	ck_assert_ptr_nonnull(getcwd(oldcwd, sizeof(oldcwd)));
	ck_assert_int_eq(chdir(kit_tmp), 0);
}

static void
teardown(void)
{
	if (chdir(oldcwd) == 0)
		kit_tmp_teardown();	/* not rm_rf(), which is under test */
}

static void
make_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot create %s", path);
	fputs(text, f);
	fclose(f);
}

static void
assert_text(const char *path, const char *want)
{
	char	*text;
	size_t	 len;

	ck_assert_msg(read_file(path, 1 << 20, &text, &len) == 0, "%s", err_get());
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(text, want);
	free(text);
}

static mode_t
mode_of(const char *path)
{
	struct stat	st;

	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_mode;
}

/* ---- write_all / read_all --------------------------------------------- */

#define PIPE_BYTES	(256 * 1024)

static unsigned char
pattern(size_t i)
{
	return (unsigned char)(i * 131 + i / 251);
}

/* A child writes PIPE_BYTES in uneven small pieces, so the reader sees
 * many short reads; read_all() must still return exactly what it asked. */
START_TEST(test_read_all_short_reads)
{
	unsigned char	*data = xmalloc(PIPE_BYTES), *got = xmalloc(PIPE_BYTES + 16);
	size_t		 i, off;
	int		 fds[2], status;
	pid_t		 pid;

	for (i = 0; i < PIPE_BYTES; i++)
		data[i] = pattern(i);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int	rc = 0;

		close(fds[0]);
		for (off = 0, i = 1; off < PIPE_BYTES && rc == 0; i++) {
			size_t	n = i * 7 % 997 + 1;

			if (n > PIPE_BYTES - off)
				n = PIPE_BYTES - off;
			rc = write_all(fds[1], data + off, n);
			off += n;
			if (i % 64 == 0)
				usleep(100);
		}
		/* Free before leaving, so valgrind's leak check keeps the status. */
		free(data);
		free(got);
		_exit(rc == 0 ? 0 : 1);
	}
	close(fds[1]);
	ck_assert_int_eq(read_all(fds[0], got, 1000), 1000);
	ck_assert_int_eq(read_all(fds[0], got + 1000, PIPE_BYTES - 1000),
	    PIPE_BYTES - 1000);
	ck_assert_int_eq(memcmp(got, data, PIPE_BYTES), 0);
	/* At EOF: 0, and asking for more than is left is not an error. */
	ck_assert_int_eq(read_all(fds[0], got, 16), 0);
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(data);
	free(got);
}
END_TEST

/* write_all() on a non-blocking pipe that fills up (EAGAIN) keeps going
 * until a slow reader has taken everything. */
START_TEST(test_write_all_full_pipe)
{
	unsigned char	*data = xmalloc(PIPE_BYTES), buf[4096];
	size_t		 i, got = 0;
	ssize_t		 r;
	int		 fds[2], status, bad = 0;
	pid_t		 pid;

	for (i = 0; i < PIPE_BYTES; i++)
		data[i] = pattern(i);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[1]);
		while ((r = read_all(fds[0], buf, sizeof(buf))) > 0) {
			for (i = 0; i < (size_t)r; i++)
				bad |= buf[i] != pattern(got + i);
			got += (size_t)r;
			usleep(50);
		}
		free(data);
		_exit(r == 0 && got == PIPE_BYTES && !bad ? 0 : 1);
	}
	close(fds[0]);
	ck_assert_int_eq(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(write_all(fds[1], data, PIPE_BYTES), 0);
	close(fds[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the reader did not get the exact bytes");
	free(data);
}
END_TEST

START_TEST(test_io_errors)
{
	int	fds[2];
	char	c;

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(fds), 0);
	close(fds[0]);
	errno = 0;
	ck_assert_int_eq(write_all(fds[1], "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(fds[1]);
	ck_assert_int_eq(write_all(fds[1], "x", 1), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(read_all(fds[1], &c, 1), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(write_all(fds[1], "", 0), 0);	/* nothing to do */
	signal(SIGPIPE, SIG_DFL);
}
END_TEST

/* ---- lexical paths ---------------------------------------------------- */

struct pair_case {
	const char	*a;
	const char	*b;
	const char	*out;
};

static const struct pair_case join_cases[] = {
	{ "a", "b", "a/b" },
	{ "a/", "b", "a/b" },
	{ "/", "b", "/b" },
	{ "", "b", "b" },
	{ "/v/lib", "six.py", "/v/lib/six.py" },
	{ "/v/lib", "pkg/mod.py", "/v/lib/pkg/mod.py" },
};

START_TEST(test_path_join)
{
	const struct pair_case *c = &join_cases[_i];
	char	*p = path_join(c->a, c->b);

	ck_assert_str_eq(p, c->out);
	free(p);
}
END_TEST

struct abs_case {
	const char	*in;
	const char	*out;	/* "@" stands for the current directory */
};

static const struct abs_case abs_cases[] = {
	{ "/a/b", "/a/b" },
	{ "/", "/" },
	{ "//a//b//", "/a/b" },
	{ "///", "/" },
	{ "/a/./b/.", "/a/b" },
	{ "/a/b/../c", "/a/c" },
	{ "/a/b/../../..", "/" },
	{ "/../x", "/x" },
	{ "/a/..b/c..", "/a/..b/c.." },
	{ ".", "@" },
	{ "", "@" },
	{ "x/y", "@/x/y" },
	{ "./x//y/", "@/x/y" },
	{ "x/../y", "@/y" },
	{ "x/y/../../z/.", "@/z" },
};

START_TEST(test_path_abs)
{
	const struct abs_case *c = &abs_cases[_i];
	char	 cwd[PATH_MAX], *want, *p;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	if (c->out[0] == '@')
		want = xasprintf("%s%s", cwd, c->out + 1);
	else
		want = xstrdup(c->out);
	p = path_abs(c->in);
	ck_assert_str_eq(p, want);
	free(p);
	free(want);
	/* ".." of a relative path climbs out of the current directory. */
	p = path_abs("..");
	*strrchr(cwd, '/') = '\0';
	ck_assert_str_eq(p, *cwd ? cwd : "/");
	free(p);
}
END_TEST

/* Symlinks are kept (lexical), unlike realpath(3). */
START_TEST(test_path_abs_keeps_symlinks)
{
	char	*link = kit_tpath("link"), *in, *p;

	ck_assert_int_eq(symlink("/usr/share", link), 0);
	in = xasprintf("%s/x/../..", link);
	p = path_abs(in);
	ck_assert_str_eq(p, kit_tmp);	/* not /usr, where the link points */
	free(p);
	free(in);
	in = xasprintf("%s/./y/", link);
	p = path_abs(in);
	free(in);
	in = xasprintf("%s/y", link);
	ck_assert_str_eq(p, in);
	free(p);
	free(in);
	free(link);
}
END_TEST

static const struct pair_case rel_cases[] = {
	/* from (a directory), to, result */
	{ "/v/lib/python3.11/site-packages", "/v/bin/x", "../../../bin/x" },
	{ "/v/lib/site", "/v/bin/x", "../../bin/x" },
	{ "/v/bin", "/v/bin/x", "x" },
	{ "/v/bin", "/v/bin/sub/x", "sub/x" },
	{ "/v/bin", "/v/bin", "." },
	{ "/v/bin", "/v/lib", "../lib" },
	{ "/v/bin/deep/er", "/v", "../../.." },
	{ "/v/bin", "/v", ".." },
	{ "/", "/v/bin/x", "v/bin/x" },
	{ "/v/bin", "/", "../.." },
	{ "/", "/", "." },
	{ "/a/b", "/a/bc/x", "../bc/x" },
	{ "/a/bc", "/a/b/x", "../b/x" },
	{ "/x/y", "/a/b", "../../a/b" },
	{ "//v//lib/", "/v/bin//x/", "../bin/x" },
	{ "/v/lib", "/v/lib/a/../b", "a/../b" },
	{ "/v/a", "/v/ab", "../ab" },
	{ "/v/ab", "/v/a", "../a" },
};

START_TEST(test_path_relative)
{
	const struct pair_case *c = &rel_cases[_i];
	char	*p = path_relative(c->a, c->b);

	ck_assert_msg(strcmp(p, c->out) == 0, "path_relative('%s', '%s') is '%s', "
	    "expected '%s'", c->a, c->b, p, c->out);
	free(p);
}
END_TEST

/* path_rel_add() says what path_relative() says, for every home, key
 * directory and path below it here: the ones a scheme puts inside each
 * other (--target, --prefix, a venv's data dir above site-packages). */
static const char *const rel_homes[] = {
	"/v/lib/python3.11/site-packages", "/v/lib64/python3.11/site-packages",
	"/t", "/", "/v", "/v/bin", "//v//lib/python3.11/site-packages/",
};
static const char *const rel_dirs[] = {
	"/v", "/v/bin", "/v/include/site/python3.11/pkg", "/t", "/t/bin",
	"/", "/v/lib/python3.11/site-packages", "/v/lib", "/v/lib/", "/w/x",
	"/v/lib/python3.11/site-packages/sub", "/v/li", "/v/lib/python3.1",
};
static const char *const rel_rests[] = {
	"x", "pkg/mod.py", "lib/python3.11/site-packages/pkg/a.py",
	"lib/python3.11/x", "lib", "lib/", "lib64/python3.11/site-packages/y",
	"bin/tool", "python3.11/site-packages/z", "site-packages/q",
	"site-packages", "a//b", "/abs", "", "./a", "../a", "t/u", "v/lib/x",
	"a,b/\"q\".py", "sub/m.py", "lib/python3.11/site-packages",
};

START_TEST(test_path_rel)
{
	struct path_rel	 r;
	struct buf	 b = BUF_INIT;
	size_t		 d, k;
	char		*abs, *want;

	for (d = 0; d < ARRAY_SIZE(rel_dirs); d++) {
		path_rel_init(&r, rel_homes[_i], rel_dirs[d]);
		for (k = 0; k < ARRAY_SIZE(rel_rests); k++) {
			abs = path_join(rel_dirs[d], rel_rests[k]);
			want = path_relative(rel_homes[_i], abs);
			buf_reset(&b);
			buf_adds(&b, "old,");
			path_rel_add(&r, &b, rel_rests[k]);
			ck_assert_msg(strncmp(b.p, "old,", 4) == 0 &&
			    strcmp(b.p + 4, want) == 0, "'%s' below '%s' from '%s' "
			    "is '%s', expected '%s'", rel_rests[k], rel_dirs[d],
			    rel_homes[_i], b.p + 4, want);
			free(want);
			free(abs);
		}
		path_rel_free(&r);
	}
	buf_free(&b);
}
END_TEST

struct inside_case {
	const char	*path;
	const char	*dir;
	int		 inside;
};

static const struct inside_case inside_cases[] = {
	{ "/a/b", "/a/b", 1 },
	{ "/a/b/c", "/a/b", 1 },
	{ "/a/b/c/d", "/a/b", 1 },
	{ "/a/bc", "/a/b", 0 },
	{ "/a/b.c", "/a/b", 0 },
	{ "/a", "/a/b", 0 },
	{ "/a/c", "/a/b", 0 },
	{ "/", "/", 1 },
	{ "/a", "/", 1 },
	{ "/", "/a", 0 },
	{ "/ab", "/a", 0 },
};

START_TEST(test_path_inside)
{
	const struct inside_case *c = &inside_cases[_i];

	ck_assert_msg(path_inside(c->path, c->dir) == c->inside,
	    "path_inside('%s', '%s') should be %d", c->path, c->dir, c->inside);
}
END_TEST

START_TEST(test_path_base)
{
	ck_assert_str_eq(path_base("/v/lib/six.py"), "six.py");
	ck_assert_str_eq(path_base("six.py"), "six.py");
	ck_assert_str_eq(path_base("/six.py"), "six.py");
	ck_assert_str_eq(path_base(""), "");
}
END_TEST

/* ---- mkdir_p ---------------------------------------------------------- */

START_TEST(test_mkdir_p)
{
	mode_t	 old = umask(022);
	char	*abs = kit_tpath("abs/x/y");

	ck_assert_int_eq(mkdir_p("a/b/c", 0750), 0);
	ck_assert_int_eq(mkdir_p(abs, 0755), 0);
	umask(old);
	free(abs);
	ck_assert(S_ISDIR(mode_of("a/b/c")));
	ck_assert_uint_eq(mode_of("a/b/c") & 0777, 0750);
	ck_assert(S_ISDIR(mode_of("abs/x/y")));
	/* Existing directories, trailing and doubled slashes are fine. */
	ck_assert_int_eq(mkdir_p("a/b/c", 0755), 0);
	ck_assert_int_eq(mkdir_p("a//b/d/", 0755), 0);
	ck_assert(S_ISDIR(mode_of("a/b/d")));
	/* A file in the way of a parent: an error naming the path. */
	make_file("f", "x");
	ck_assert_int_eq(mkdir_p("f/sub", 0755), -1);
	ck_assert_msg(str_starts(err_get(), "cannot create directory 'f"), "%s", err_get());
}
END_TEST

/*
 * Regression (fsutil.c mkdir_p): a regular file where the directory should be
 * is taken as success, because mkdir(2)'s EEXIST is accepted without
 * checking that the existing entry is a directory; "mkdir -p FILE" fails.
 */
START_TEST(test_mkdir_p_existing_file)
{
	make_file("f", "x");
	ck_assert_msg(mkdir_p("f", 0755) == -1,
	    "mkdir_p() on an existing regular file returned 0");
}
END_TEST

/*
 * Regression (fsutil.c mkdir_p): mkdir_p("") starts scanning at p + 1, one
 * past the terminating NUL of a one-byte copy: a heap read and write out of
 * bounds (valgrind or ASan report it).  It must fail cleanly with err_set().
 */
START_TEST(test_mkdir_p_empty)
{
	ck_assert_int_eq(mkdir_p("", 0755), -1);
	ck_assert_str_ne(err_get(), "");
}
END_TEST

/* ---- rm_rf ------------------------------------------------------------ */

START_TEST(test_rm_rf_tree)
{
	int	dfd;

	ck_assert_int_eq(mkdir_p("t/a/b/c", 0755), 0);
	ck_assert_int_eq(mkdir_p("t/empty", 0755), 0);
	make_file("t/a/b/c/f1", "1");
	make_file("t/a/f2", "2");
	make_file("t/f3", "3");
	ck_assert_int_eq(mkfifo("t/a/b/fifo", 0644), 0);
	ck_assert_int_eq(symlink("/nonexistent/x", "t/a/dangling"), 0);
	ck_assert_int_eq(rm_rf("t"), 0);
	ck_assert(!kit_exists("t"));
	/* Missing is success; so is a plain file. */
	ck_assert_int_eq(rm_rf("t"), 0);
	make_file("lone", "x");
	ck_assert_int_eq(rm_rf("lone"), 0);
	ck_assert(!kit_exists("lone"));
	/* By absolute path, and relative to a directory descriptor. */
	ck_assert_int_eq(mkdir_p("d/x", 0755), 0);
	make_file("d/x/y", "y");
	dfd = open(".", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(rm_rf_at(dfd, "d"), 0);
	close(dfd);
	ck_assert(!kit_exists("d"));
	ck_assert_int_eq(mkdir_p("e/x", 0755), 0);
	ck_assert_int_eq(rm_rf(kit_tmp), 0);
	ck_assert(!kit_exists(kit_tmp));
}
END_TEST

/* A symlink planted inside the tree, to a directory or a file outside it,
 * is unlinked; what it points to survives untouched. */
START_TEST(test_rm_rf_never_follows)
{
	char	*target;

	ck_assert_int_eq(mkdir_p("outside/dir", 0755), 0);
	ck_assert_int_eq(mkdir_p("tree/sub", 0755), 0);
	make_file("outside/dir/keep", "keep");
	make_file("outside/file", "keep");
	make_file("tree/sub/f", "f");
	target = kit_tpath("outside/dir");
	ck_assert_int_eq(symlink(target, "tree/sub/to-dir"), 0);
	ck_assert_int_eq(symlink("../outside/dir", "tree/to-dir-rel"), 0);
	ck_assert_int_eq(symlink("../../outside/file", "tree/sub/to-file"), 0);
	ck_assert_int_eq(rm_rf("tree"), 0);
	ck_assert(!kit_exists("tree"));
	assert_text("outside/dir/keep", "keep");
	assert_text("outside/file", "keep");
	/* rm_rf on the symlink itself removes only the link. */
	ck_assert_int_eq(symlink(target, "top-link"), 0);
	ck_assert_int_eq(rm_rf("top-link"), 0);
	ck_assert(!kit_exists("top-link"));
	assert_text("outside/dir/keep", "keep");
	free(target);
}
END_TEST

/* ---- read_file / write_file_atomic ------------------------------------ */

START_TEST(test_read_file)
{
	char	*text = NULL;
	size_t	 len = 99;

	make_file("hundred", "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789" "01234567890123456789");
	/* Exactly the cap is fine; the result is NUL-terminated. */
	ck_assert_int_eq(read_file("hundred", 100, &text, &len), 0);
	ck_assert_uint_eq(len, 100);
	ck_assert_uint_eq(strlen(text), 100);
	free(text);
	ck_assert_int_eq(read_file("hundred", 100, &text, NULL), 0);	/* len optional */
	free(text);
	/* One byte over the cap fails and says so. */
	text = NULL;
	ck_assert_int_eq(read_file("hundred", 99, &text, &len), -1);
	ck_assert_ptr_null(text);
	ck_assert_msg(strstr(err_get(), "larger than 99 bytes") != NULL, "%s", err_get());
	make_file("empty", "");
	ck_assert_int_eq(read_file("empty", 0, &text, &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(text, "");
	free(text);
	/* A missing file, a directory. */
	ck_assert_int_eq(read_file("missing", 10, &text, &len), -1);
	ck_assert_msg(strstr(err_get(), "cannot open 'missing'") != NULL, "%s", err_get());
	ck_assert_int_eq(read_file(".", 1 << 20, &text, &len), -1);
	ck_assert_msg(strstr(err_get(), "not a regular file") != NULL, "%s", err_get());
}
END_TEST

static size_t
count_entries(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	size_t		 n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

START_TEST(test_write_file_atomic)
{
	mode_t	 old = umask(022);
	char	*text;
	size_t	 len;

	ck_assert_int_eq(write_file_atomic("out", "first\0x", 7, 0666), 0);
	ck_assert_int_eq(read_file("out", 100, &text, &len), 0);
	ck_assert_uint_eq(len, 7);
	ck_assert_int_eq(memcmp(text, "first\0x", 7), 0);
	free(text);
	ck_assert_uint_eq(mode_of("out") & 0777, 0644);	/* the umask applies */
	/* Replacing leaves no temporary file behind. */
	ck_assert_int_eq(write_file_atomic("out", "second", 6, 0600), 0);
	assert_text("out", "second");
	ck_assert_uint_eq(mode_of("out") & 0777, 0600);
	ck_assert_uint_eq(count_entries("."), 1);
	/* A symlink at the path is replaced, its target left alone. */
	make_file("victim", "victim");
	ck_assert_int_eq(symlink("victim", "link"), 0);
	ck_assert_int_eq(write_file_atomic("link", "new", 3, 0644), 0);
	ck_assert(S_ISREG(mode_of("link")));
	assert_text("link", "new");
	assert_text("victim", "victim");
	/* No directory: an error naming the path, nothing left behind. */
	ck_assert_int_eq(write_file_atomic("nodir/out", "x", 1, 0644), -1);
	ck_assert_msg(strstr(err_get(), "nodir/out") != NULL, "%s", err_get());
	ck_assert_uint_eq(count_entries("."), 3);
	umask(old);
}
END_TEST

START_TEST(test_current_umask)
{
	mode_t	old = umask(027);

	ck_assert_uint_eq(current_umask(), 027);
	ck_assert_uint_eq(current_umask(), 027);	/* and unchanged by asking */
	ck_assert_uint_eq(umask(old), 027);
}
END_TEST

START_TEST(test_dir_names)
{
	struct strv	names = STRV_INIT;

	ck_assert_int_eq(mkdir("d", 0755), 0);
	ck_assert_int_eq(mkdir("d/__pycache__", 0755), 0);
	ck_assert_int_eq(mkdir("d/b", 0755), 0);
	ck_assert_int_eq(write_file_atomic("d/a.py", "", 0, 0644), 0);
	ck_assert_int_eq(dir_names("d", "__pycache__", &names), 0);
	strv_sort(&names);
	ck_assert_uint_eq(names.n, 2);
	ck_assert_str_eq(names.v[0], "a.py");
	ck_assert_str_eq(names.v[1], "b");
	strv_free(&names);
	ck_assert_int_eq(dir_names("d", NULL, &names), 0);
	ck_assert_uint_eq(names.n, 3);
	strv_free(&names);
	ck_assert_int_eq(dir_names("nothing", NULL, &names), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "nothing"));
	ck_assert_uint_eq(names.n, 0);
}
END_TEST

struct each_seen {
	size_t	n, files, dirs, dots, stop;
};

static int
each_count(void *arg, const char *name, unsigned char type)
{
	struct each_seen	*s = arg;

	s->n++;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		s->dots++;
	if (type == DT_DIR || (type == DT_UNKNOWN && strcmp(name, "sub") == 0))
		s->dirs++;
	else if (type == DT_REG || type == DT_UNKNOWN)
		s->files++;
	return s->n == s->stop;
}

/* Every entry once, with its type, also when the directory takes more
 * than one read, until the callback says stop; a missing directory or a
 * file is -1 with errno. */
START_TEST(test_dir_each)
{
	struct each_seen	 s = { 0, 0, 0, 0, 0 };
	char			 name[64];
	int			 i, dfd;

	ck_assert_int_eq(mkdir_p("big/sub", 0755), 0);
	for (i = 0; i < 1500; i++) {
		snprintf(name, sizeof(name), "big/a-rather-long-entry-name-%04d.py", i);
		make_file(name, "");
	}
	dfd = open(".", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(dir_each(dfd, "big", each_count, &s), 0);
	close(dfd);
	ck_assert_uint_eq(s.n, 1501);
	ck_assert_uint_eq(s.dots, 0);
	ck_assert_uint_eq(s.dirs, 1);
	ck_assert_uint_eq(s.files, 1500);
	ck_assert_int_eq(dir_each(AT_FDCWD, "nothing", each_count, &s), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(dir_each(AT_FDCWD, "big/a-rather-long-entry-name-0000.py",
	    each_count, &s), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_uint_eq(s.n, 1501);
	/* The callback stops it: 1, and no entry after. */
	memset(&s, 0, sizeof(s));
	s.stop = 700;
	ck_assert_int_eq(dir_each(AT_FDCWD, "big", each_count, &s), 1);
	ck_assert_uint_eq(s.n, 700);
}
END_TEST

static Suite *
fsutil_suite(void)
{
	Suite	*s = suite_create("fsutil");
	TCase	*tc;

	tc = tcase_create("io");
	tcase_add_test(tc, test_read_all_short_reads);
	tcase_add_test(tc, test_write_all_full_pipe);
	tcase_add_test(tc, test_io_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("path");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_path_join, 0, ARRAY_SIZE(join_cases));
	tcase_add_loop_test(tc, test_path_abs, 0, ARRAY_SIZE(abs_cases));
	tcase_add_test(tc, test_path_abs_keeps_symlinks);
	tcase_add_loop_test(tc, test_path_relative, 0, ARRAY_SIZE(rel_cases));
	tcase_add_loop_test(tc, test_path_rel, 0, ARRAY_SIZE(rel_homes));
	tcase_add_loop_test(tc, test_path_inside, 0, ARRAY_SIZE(inside_cases));
	tcase_add_test(tc, test_path_base);
	suite_add_tcase(s, tc);

	tc = tcase_create("fs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dir_names);
	tcase_add_test(tc, test_dir_each);
	tcase_add_test(tc, test_current_umask);
	tcase_add_test(tc, test_mkdir_p);
	tcase_add_test(tc, test_mkdir_p_existing_file);
	tcase_add_test(tc, test_mkdir_p_empty);
	tcase_add_test(tc, test_rm_rf_tree);
	tcase_add_test(tc, test_rm_rf_never_follows);
	tcase_add_test(tc, test_read_file);
	tcase_add_test(tc, test_write_file_atomic);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(fsutil_suite)
