/*
 * tagdump.c: test helper.  "tagdump PYTHON" asks the interpreter for its
 * facts with the same query forklift uses, computes the supported tags in
 * C and prints them one "py-abi-plat" per line, most preferred first, so a
 * test can compare them with packaging.tags.sys_tags().  It only reads:
 * it runs the interpreter and writes to stdout.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tags.h"
#include "target.h"
#include "util.h"

/* Run "PYTHON -I -c SCRIPT" and collect its stdout into out. */
static int
query(const char *python, struct buf *out)
{
	char	 chunk[4096];
	int	 fds[2], status;
	pid_t	 pid;
	ssize_t	 n;

	if (pipe(fds) != 0)
		return err_set("pipe: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return err_set("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) == -1)
			_exit(127);
		close(fds[1]);
		execl(python, python, "-I", "-c", pyinfo_query_script,
		    (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(out, chunk, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return err_set("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set("'%s' failed to report its facts", python);
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf	 out = BUF_INIT;
	struct pyinfo	 info;
	struct taglist	 tl;
	size_t		 i;

	if (argc != 2) {
		fprintf(stderr, "usage: tagdump PYTHON\n");
		return 2;
	}
	if (query(argv[1], &out) == -1)
		die(1, "%s", err_get());
	if (pyinfo_parse(out.p ? out.p : "", out.len, &info) == -1)
		die(1, "%s: %s", argv[1], err_get());
	if (tags_compute(&info, &tl) == -1)
		die(1, "%s: %s", argv[1], err_get());
	for (i = 0; i < tl.n; i++)
		printf("%s-%s-%s\n", tl.v[i].py, tl.v[i].abi, tl.v[i].plat);
	taglist_free(&tl);
	pyinfo_free(&info);
	buf_free(&out);
	return fflush(stdout) == 0 ? 0 : 1;
}
