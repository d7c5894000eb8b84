/*
 * testkit.h: the scaffolding every unit test program shares, so that a
 * check_<module>.c holds only its cases.  KIT_MAIN(suite_fn) writes main():
 * it makes the program's private directory kit_top (under $TMPDIR, else
 * /tmp), runs the suite and removes kit_top again, so that a case that
 * failed before its teardown leaves nothing behind.  kit_tmp_setup() and
 * kit_tmp_teardown() are the checked fixture of a case that wants a fresh
 * directory of its own, kit_tmp, under kit_top.  kit_rm_tree() removes a
 * tree with nftw() and never follows a symlink; it does not use fsutil's
 * rm_rf(), which check_fsutil tests.  A program that must do more around
 * its run (start a server, probe a file system) gives that work to
 * KIT_MAIN_AROUND(suite_fn, before, after).  Also: files under
 * kit_tmp (kit_tpath, kit_path, kit_put), stderr captured into a string
 * (kit_cap_begin/kit_cap_end), and a fixed CPython 3.11 (KIT_ENV_TEXT).
 * installkit.h adds what the tests of the install path share.
 * Header-only: each check program includes it once.
 */
#ifndef FL_TESTKIT_H
#define FL_TESTKIT_H

#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"

#define KIT_UNUSED	__attribute__((unused))

static KIT_UNUSED char	kit_top[PATH_MAX / 2];	/* the program's directory */
static KIT_UNUSED char	kit_tmp[PATH_MAX];	/* the running case's */

/* Directories first become u+rwx, so that what a case made read-only
 * goes too. */
static int
kit_open_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DNR)
		(void)chmod(path, (st->st_mode & 07777) | S_IRWXU);
	return 0;
}

static int
kit_rm_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Remove the tree at path (0, or -1 when some of it stayed). */
static KIT_UNUSED int
kit_rm_tree(const char *path)
{
	nftw(path, kit_open_entry, 16, FTW_PHYS);
	return nftw(path, kit_rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* Make kit_top, or end the program with a hard error (99). */
static KIT_UNUSED void
kit_top_make(void)
{
	const char	*t = getenv("TMPDIR");

	snprintf(kit_top, sizeof(kit_top), "%s/fk-unit-XXXXXX",
	    t && *t ? t : "/tmp");
	if (mkdtemp(kit_top) == NULL) {
		perror(kit_top);
		exit(99);
	}
}

static KIT_UNUSED void
kit_top_remove(void)
{
	if (kit_top[0] != '\0' && kit_rm_tree(kit_top) != 0)
		fprintf(stderr, "cannot remove %s\n", kit_top);
}

/* The fixture of a case that works in a fresh directory, kit_tmp. */
static KIT_UNUSED void
kit_tmp_setup(void)
{
	snprintf(kit_tmp, sizeof(kit_tmp), "%s/t-XXXXXX", kit_top);
	ck_assert_ptr_nonnull(mkdtemp(kit_tmp));
}

static KIT_UNUSED void
kit_tmp_teardown(void)
{
	kit_rm_tree(kit_tmp);
}

/* A path under kit_tmp (caller frees). */
static KIT_UNUSED char *
kit_tpath(const char *rel)
{
	return path_join(kit_tmp, rel);
}

/* The same from a format. */
static char *
kit_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static KIT_UNUSED char *
kit_path(const char *fmt, ...)
{
	va_list	 ap;
	char	*rel, *p;

	va_start(ap, fmt);
	if (vasprintf(&rel, fmt, ap) < 0)
		abort();
	va_end(ap);
	p = kit_tpath(rel);
	free(rel);
	return p;
}

static KIT_UNUSED void
kit_write(const char *path, const char *text)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* Does path exist (a symlink counts, not followed)? */
static KIT_UNUSED int
kit_exists(const char *path)
{
	struct stat	st;

	return lstat(path, &st) == 0;
}

/* Write kit_tmp/rel with this mode, making its directories. */
static KIT_UNUSED void
kit_put(const char *rel, const char *text, mode_t mode)
{
	char	*p = kit_tpath(rel), *d = xstrdup(p);

	*strrchr(d, '/') = '\0';
	ck_assert_msg(mkdir_p(d, 0755) == 0, "%s", err_get());
	ck_assert_msg(write_file_atomic(p, text, strlen(text), mode) == 0,
	    "%s", err_get());
	free(d);
	free(p);
}

/* What the process writes to stderr between kit_cap_begin() and
 * kit_cap_end() (which returns it; caller frees).  Needs kit_top. */
struct kit_capture {
	int	saved;
	char	path[PATH_MAX];
};

static KIT_UNUSED void
kit_cap_begin(struct kit_capture *c)
{
	int	fd;

	snprintf(c->path, sizeof(c->path), "%s/stderr-XXXXXX", kit_top);
	fd = mkstemp(c->path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	c->saved = dup(STDERR_FILENO);
	ck_assert_int_ge(c->saved, 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static KIT_UNUSED char *
kit_cap_end(struct kit_capture *c)
{
	char	*text = NULL;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	ck_assert_int_eq(read_file(c->path, 1 << 16, &text, NULL), 0);
	unlink(c->path);
	return text;
}

/* The process has no child left, reaped or not. */
static KIT_UNUSED void
kit_assert_no_children(void)
{
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

/* The facts of CPython 3.11.7 on x86_64 Linux with glibc 2.36, marker
 * variables included, as pyinfo_parse() reads them. */
#define KIT_ENV_TEXT \
	"implementation_name=cpython\nversion_major=3\nversion_minor=11\n" \
	"version_micro=7\npy_version_nodot=311\nplatform=linux-x86_64\n" \
	"libc=glibc\nlibc_version=2.36\npointer_bits=64\n" \
	"python_version=3.11\npython_full_version=3.11.7\nos_name=posix\n" \
	"sys_platform=linux\nplatform_release=6.1.0\nplatform_system=Linux\n" \
	"platform_version=#1\nplatform_machine=x86_64\n" \
	"platform_python_implementation=CPython\nimplementation_version=3.11.7\n"

/* Run the suite; the exit status for main(). */
static KIT_UNUSED int
kit_run(Suite *s)
{
	SRunner	*sr;
	int	 nf;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Does Check run each case in a child of its own (not CK_FORK=no)?
 * Cases that end the process (die(), abort()) need one. */
static KIT_UNUSED int
kit_forking(void)
{
	SRunner	*sr = srunner_create(NULL);
	int	 forking = srunner_fork_status(sr) != CK_NOFORK;

	srunner_free(sr);
	return forking;
}

/* A program's main(): make kit_top, call before() when given (a status
 * other than 0 ends the program with it: 77 skips it), run the suite, call
 * after() when given (also when before() failed) and remove kit_top. */
static KIT_UNUSED int
kit_main(Suite *(*suite_fn)(void), int (*before)(void), void (*after)(void))
{
	int	rc;

	kit_top_make();
	rc = before != NULL ? before() : 0;
	if (rc == 0)
		rc = kit_run(suite_fn());
	if (after != NULL)
		after();
	kit_top_remove();
	return rc;
}

#define KIT_MAIN_AROUND(suite_fn, before, after)			\
int									\
main(void)								\
{									\
	return kit_main(suite_fn, before, after);			\
}

#define KIT_MAIN(suite_fn)	KIT_MAIN_AROUND(suite_fn, NULL, NULL)

#endif
