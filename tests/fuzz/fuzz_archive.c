/*
 * fuzz_archive.c: libFuzzer target for the whole per-wheel path a worker
 * runs: the input is written to a temporary "fz-1.0-py3-none-any.whl" and
 * staged by stage_wheel() (wheel_open, unpack_extract, scripts, the
 * installed RECORD) into an empty staging directory for a made-up target,
 * without the cache.  Whatever the archive says, afterwards the only
 * entries beside the staging directory are the ones the fuzzer made, and
 * inside it there is no symbolic link and no setuid, setgid or sticky bit.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "stage.h"
#include "target.h"
#include "util.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char		 top[] = "/tmp/fuzz_archive.XXXXXX";
static char		*whl, *stage;
static struct target	 t;

static void
remove_top(void)
{
	(void)rm_rf(top);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdtemp(top) == NULL || chdir(top) != 0)
		abort();
	atexit(remove_top);
	whl = path_join(top, "fz-1.0-py3-none-any.whl");
	stage = path_join(top, "stage");
	memset(&t, 0, sizeof(t));
	t.kind = TARGET_VENV;
	t.root = xstrdup("/nonexistent/fuzz-env");
	t.python = xstrdup("/nonexistent/fuzz-env/bin/python");
	t.purelib = xstrdup("/nonexistent/fuzz-env/lib/python3.11/site-packages");
	t.platlib = xstrdup(t.purelib);
	t.scripts = xstrdup("/nonexistent/fuzz-env/bin");
	t.data = xstrdup("/nonexistent/fuzz-env");
	t.include = xstrdup("/nonexistent/fuzz-env/include/site/python3.11");
	t.lock_fd = -1;
	return 0;
}

/* Nothing in the tree may be a symlink or carry a special mode bit. */
static void
check_tree(const char *dir)
{
	struct dirent	*e;
	struct stat	 st;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		abort();
	while ((e = readdir(d)) != NULL) {
		char	*p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = path_join(dir, e->d_name);
		if (lstat(p, &st) != 0 || S_ISLNK(st.st_mode) ||
		    (st.st_mode & (S_ISUID | S_ISGID | S_ISVTX)) != 0)
			abort();
		if (S_ISDIR(st.st_mode))
			check_tree(p);
		else if (!S_ISREG(st.st_mode))
			abort();
		free(p);
	}
	closedir(d);
}

/* The top directory holds the wheel and the staging directory, nothing else. */
static void
check_top(void)
{
	struct dirent	*e;
	DIR		*d;

	if ((d = opendir(top)) == NULL)
		abort();
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, "stage") != 0 &&
		    strcmp(e->d_name, path_base(whl)) != 0)
			abort();
	closedir(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stage_opts	 so;
	struct stage_stats	 st;
	int			 fd, sfd;

	verbosity = -1;
	if ((fd = open(whl, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
	    write_all(fd, data, size) != 0 || close(fd) != 0)
		abort();
	if (rm_rf(stage) != 0 || mkdir(stage, 0755) != 0)
		abort();
	if ((sfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	memset(&so, 0, sizeof(so));
	so.t = &t;
	so.unpack.max_unpacked = 64 << 20;
	so.unpack.verify_record = (size & 1) == 0;
	so.link = LINK_COPY;
	so.ignore_requires_python = 1;
	so.requested = 1;
	so.direct_url = 1;
	memset(&st, 0, sizeof(st));
	(void)stage_wheel(whl, sfd, &so, &st);
	close(sfd);
	check_top();
	check_tree(stage);
	return 0;
}
