/*
 * check_dirtab.c: the directory table of a tree.  Directories visited
 * round-robin, deep paths and more directories than the table holds open
 * land where they should; a symlink or a file where a directory is
 * expected is refused with the path named; a directory another creator
 * made first is no error; an ancestor already open is walked from; a
 * table short of descriptors holds fewer; and no descriptor is left open,
 * the root's aside, on success or on error.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirtab.h"
#include "util.h"
#include "testkit.h"

/* Descriptors open in this process. */
static int
nfds(void)
{
	DIR		*d = opendir("/proc/self/fd");
	struct dirent	*e;
	int		 n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the one opendir holds */
}

static int
open_root(void)
{
	int	fd = open(kit_tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	return fd;
}

/* Write text as file name in directory fd. */
static void
put_at(int fd, const char *name, const char *text)
{
	int	f = openat(fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

	ck_assert_int_ge(f, 0);
	ck_assert_int_eq(write(f, text, strlen(text)), (ssize_t)strlen(text));
	close(f);
}

static void
assert_file(const char *rel, const char *want)
{
	char	*p = kit_tpath(rel), *text;
	size_t	 len;

	ck_assert_msg(read_file(p, 1 << 20, &text, &len) == 0, "%s: %s", rel, err_get());
	ck_assert_str_eq(text, want);
	free(text);
	free(p);
}

START_TEST(test_round_robin)
{
	struct dirtab	*t;
	char		 dir[64], name[32], rel[128];
	int		 root = open_root(), before = nfds(), pass, i, fd;

	t = dirtab_new(root, 1, 0);
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < 25; i++) {
			snprintf(dir, sizeof(dir), "pkg/d%d", i);
			fd = dirtab_open(t, dir, strlen(dir));
			ck_assert_msg(fd >= 0, "%s: %s", dir, err_get());
			snprintf(name, sizeof(name), "m%d.py", pass);
			put_at(fd, name, dir);
		}
	/* 25 directories and their parent fit: all stay open. */
	ck_assert_uint_eq(dirtab_nopen(t), 26);
	ck_assert_int_eq(nfds(), before + 26);
	dirtab_free(t);
	ck_assert_int_eq(nfds(), before);
	for (i = 0; i < 25; i++) {
		snprintf(rel, sizeof(rel), "pkg/d%d/m2.py", i);
		snprintf(dir, sizeof(dir), "pkg/d%d", i);
		assert_file(rel, dir);
	}
	ck_assert_int_eq(fcntl(root, F_GETFD), FD_CLOEXEC);	/* still open */
	close(root);
}
END_TEST

START_TEST(test_eviction)
{
	struct dirtab	*t;
	char		 dir[64], rel[128], text[64];
	int		 root = open_root(), before = nfds(), pass, i, fd;

	t = dirtab_new(root, 1, 4);
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < 20; i++) {
			snprintf(dir, sizeof(dir), "a/b%d/c%d", i % 5, i);
			fd = dirtab_open(t, dir, strlen(dir));
			ck_assert_msg(fd >= 0, "%s: %s", dir, err_get());
			snprintf(text, sizeof(text), "%d %d", pass, i);
			put_at(fd, pass == 2 ? "last" : "f", text);
			ck_assert_uint_le(dirtab_nopen(t), 4);
			ck_assert_int_le(nfds(), before + 4);
		}
	dirtab_free(t);
	ck_assert_int_eq(nfds(), before);
	for (i = 0; i < 20; i++) {
		snprintf(rel, sizeof(rel), "a/b%d/c%d/f", i % 5, i);
		snprintf(text, sizeof(text), "1 %d", i);
		assert_file(rel, text);
		snprintf(rel, sizeof(rel), "a/b%d/c%d/last", i % 5, i);
		snprintf(text, sizeof(text), "2 %d", i);
		assert_file(rel, text);
	}
	close(root);
}
END_TEST

START_TEST(test_deep)
{
	struct dirtab	*t;
	struct buf	 b = BUF_INIT;
	int		 root = open_root(), before = nfds(), i, fd;

	for (i = 0; i < 120; i++)
		buf_addf(&b, "%sc%d", i ? "/" : "", i);
	t = dirtab_new(root, 1, 3);
	fd = dirtab_open(t, b.p, b.len);
	ck_assert_msg(fd >= 0, "%s", err_get());
	put_at(fd, "leaf", "deep");
	ck_assert_uint_le(dirtab_nopen(t), 3);
	/* The file's directory, through dirtab_parent. */
	buf_adds(&b, "/leaf");
	ck_assert_int_eq(dirtab_parent(t, b.p), fd);
	assert_file(b.p, "deep");
	/* A sibling high up is opened again after eviction. */
	fd = dirtab_open(t, "c0/x", 4);
	ck_assert_int_ge(fd, 0);
	put_at(fd, "y", "y");
	assert_file("c0/x/y", "y");
	ck_assert_int_eq(dirtab_parent(t, "top.py"), root);
	ck_assert_int_eq(dirtab_open(t, "", 0), root);
	dirtab_free(t);
	ck_assert_int_eq(nfds(), before);
	buf_free(&b);
	close(root);
}
END_TEST

START_TEST(test_symlink_refused)
{
	struct dirtab	*t;
	char		*out = kit_tpath("outside"), *tree = kit_tpath("tree");
	int		 root, before, fd;

	ck_assert_int_eq(mkdir(out, 0777), 0);
	ck_assert_int_eq(mkdir(tree, 0777), 0);
	root = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(root, 0);
	ck_assert_int_eq(symlinkat(out, root, "evil"), 0);
	before = nfds();
	t = dirtab_new(root, 1, 0);
	ck_assert_int_eq(dirtab_open(t, "evil/x", 6), -1);
	ck_assert_str_eq(err_get(), "'evil' is both a file and a directory in 'evil/x'");
	/* Planted below a directory the table holds open already. */
	fd = dirtab_open(t, "ok", 2);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(symlinkat(out, fd, "s"), 0);
	ck_assert_int_eq(dirtab_open(t, "ok/s/t/u", 8), -1);
	ck_assert_str_eq(err_get(), "'s' is both a file and a directory in 'ok/s/t/u'");
	ck_assert_int_eq(faccessat(root, "../outside/x", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	ck_assert_int_eq(faccessat(root, "../outside/t", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	/* The same for a table that makes nothing. */
	dirtab_free(t);
	t = dirtab_new(root, 0, 0);
	ck_assert_int_eq(dirtab_open(t, "ok/s", 4), -1);
	ck_assert_str_eq(err_get(), "'s' is both a file and a directory in 'ok/s'");
	dirtab_free(t);
	ck_assert_int_eq(nfds(), before);
	close(root);
	free(out);
	free(tree);
}
END_TEST

START_TEST(test_file_refused)
{
	struct dirtab	*t;
	int		 root = open_root(), before, fd;

	kit_put("pkg/mod", "file\n", 0644);
	before = nfds();
	t = dirtab_new(root, 1, 2);
	ck_assert_int_eq(dirtab_open(t, "pkg/mod/sub", 11), -1);
	ck_assert_str_eq(err_get(), "'mod' is both a file and a directory in 'pkg/mod/sub'");
	/* The table is still usable, and its ancestor stays right. */
	fd = dirtab_open(t, "pkg/other", 9);
	ck_assert_int_ge(fd, 0);
	put_at(fd, "z", "z");
	assert_file("pkg/other/z", "z");
	/* A missing directory in a table that makes nothing. */
	dirtab_free(t);
	t = dirtab_new(root, 0, 0);
	ck_assert_int_eq(dirtab_open(t, "pkg/none/x", 10), -1);
	ck_assert_str_eq(err_get(), "cannot open directory 'none' in 'pkg/none/x': "
	    "No such file or directory");
	ck_assert_int_eq(faccessat(root, "pkg/none", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	dirtab_free(t);
	ck_assert_int_eq(nfds(), before);
	close(root);
}
END_TEST

/* Several processes make the same directories at once: every one of
 * them gets EEXIST for some, and none fails. */
START_TEST(test_concurrent_creators)
{
	char	 dir[PATH_MAX + 64];
	pid_t	 pid[4];
	int	 root = open_root(), i, k, st;

	for (k = 0; k < 4; k++) {
		if ((pid[k] = fork()) == 0) {
			struct dirtab	*t = dirtab_new(root, 1, 8);
			int		 ok = 1;

			for (i = 0; i < 200; i++) {
				snprintf(dir, sizeof(dir), "s/p%d/q%d", i % 7, i);
				if (dirtab_open(t, dir, strlen(dir)) < 0)
					ok = 0;
			}
			dirtab_free(t);
			_exit(ok ? 0 : 1);
		}
		ck_assert_int_gt(pid[k], 0);
	}
	for (k = 0; k < 4; k++) {
		ck_assert_int_eq(waitpid(pid[k], &st, 0), pid[k]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "creator %d failed", k);
	}
	for (i = 0; i < 200; i++) {
		struct stat	sb;

		snprintf(dir, sizeof(dir), "%s/s/p%d/q%d", kit_tmp, i % 7, i);
		ck_assert_int_eq(stat(dir, &sb), 0);
		ck_assert(S_ISDIR(sb.st_mode));
	}
	close(root);
}
END_TEST

/* A directory is opened from its deepest open ancestor, not the root: a
 * rename above it is not seen; one removed since it was made is made
 * again. */
START_TEST(test_from_ancestor)
{
	struct dirtab	*t;
	int		 root = open_root(), before = nfds(), fd;

	t = dirtab_new(root, 1, 0);
	ck_assert_int_ge(dirtab_open(t, "a/b", 3), 0);
	ck_assert_int_eq(renameat(root, "a", root, "z"), 0);
	fd = dirtab_open(t, "a/b/c", 5);
	ck_assert_int_ge(fd, 0);
	put_at(fd, "f", "f");
	assert_file("z/b/c/f", "f");
	ck_assert_int_eq(faccessat(root, "a", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	dirtab_free(t);

	/* Known, then removed behind the table's back while not open. */
	t = dirtab_new(root, 1, 2);
	ck_assert_int_ge(dirtab_open(t, "k/one", 5), 0);
	ck_assert_int_ge(dirtab_open(t, "m/x", 3), 0);
	ck_assert_int_ge(dirtab_open(t, "n/y", 3), 0);
	ck_assert_int_eq(unlinkat(root, "k/one", AT_REMOVEDIR), 0);
	fd = dirtab_open(t, "k/one", 5);
	ck_assert_msg(fd >= 0, "%s", err_get());
	put_at(fd, "g", "g");
	assert_file("k/one/g", "g");
	dirtab_free(t);
	ck_assert_int_eq(nfds(), before);
	close(root);
}
END_TEST

/* Out of descriptors: a table holding more than the process may open
 * closes its own and goes on with fewer. */
START_TEST(test_few_descriptors)
{
	struct rlimit	 rl;
	struct buf	 b = BUF_INIT;
	pid_t		 pid;
	int		 root = open_root(), i, st;

	for (i = 0; i < 100; i++)
		buf_addf(&b, "%se%d", i ? "/" : "", i);
	if ((pid = fork()) == 0) {
		struct dirtab	*t;
		int		 fd, ok;

		rl.rlim_cur = rl.rlim_max = (rlim_t)nfds() + 10;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(2);
		t = dirtab_new(root, 1, 50);
		fd = dirtab_open(t, b.p, b.len);
		if (fd < 0) {
			fprintf(stderr, "%s\n", err_get());
			_exit(3);
		}
		ok = dirtab_nopen(t) < 50;
		if (ok) {
			put_at(fd, "leaf", "x");
			/* And back up near the root. */
			ok = dirtab_open(t, "e0/e1/f", 7) >= 0;
		}
		dirtab_free(t);
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
	buf_adds(&b, "/leaf");
	assert_file(b.p, "x");
	buf_free(&b);
	close(root);
}
END_TEST

static Suite *
dirtab_suite(void)
{
	Suite	*s = suite_create("dirtab");
	TCase	*tc;

	tc = tcase_create("dirtab");
	tcase_add_checked_fixture(tc, kit_tmp_setup, kit_tmp_teardown);
	tcase_add_test(tc, test_round_robin);
	tcase_add_test(tc, test_eviction);
	tcase_add_test(tc, test_deep);
	tcase_add_test(tc, test_symlink_refused);
	tcase_add_test(tc, test_file_refused);
	tcase_add_test(tc, test_concurrent_creators);
	tcase_add_test(tc, test_from_ancestor);
	tcase_add_test(tc, test_few_descriptors);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(dirtab_suite)
