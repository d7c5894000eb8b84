/*
 * spawn.c: fork(2) done one way.  Signals are blocked across the fork;
 * the child resets every disposition to the default, empties its mask,
 * asks for SIGKILL when its parent dies (and checks that the parent did
 * not die first), and closes the descriptors the caller names.  It never
 * execs, decides nothing about what the child does, and never exits the
 * parent.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"
#include "util.h"

static void
child_setup(pid_t parent, const int *close_fds, size_t nclose)
{
	struct sigaction	sa;
	sigset_t		none;
	size_t			i;
	int			s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	for (i = 0; i < nclose; i++)
		if (close_fds[i] >= 0)
			close(close_fds[i]);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

pid_t
spawn_fork(const int *close_fds, size_t nclose)
{
	sigset_t	all, old;
	pid_t		parent = getpid(), pid;
	int		saved;

	fflush(NULL);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		child_setup(parent, close_fds, nclose);
		return 0;
	}
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return err_set("cannot fork: %s", strerror(saved));
	return pid;
}

int
spawn_wait(pid_t pid, int *status)
{
	pid_t	r;

	*status = 0;
	while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return err_set("cannot wait for process %ld: %s", (long)pid,
		    strerror(errno));
	return 0;
}
