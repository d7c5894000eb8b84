/*
 * check_spawn.c: sig.c and spawn.c.  A child from spawn_fork() starts with
 * default dispositions, an empty signal mask, PR_SET_PDEATHSIG(SIGKILL)
 * and without the descriptors it was told to close; an inherited
 * SIGCHLD=SIG_IGN still yields a real exit status after sig_init(), and
 * without it a lost status is an error, never a success.  The child
 * reports what it found through its exit status (one bit per check).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "record.h"
#include "sig.h"
#include "spawn.h"
#include "util.h"
#include "testkit.h"

static void
on_usr1(int sig)
{
	(void)sig;
}

static void
set_handler(int sig, void (*fn)(int))
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(sig, &sa, NULL), 0);
}

static int
is_default(int sig)
{
	struct sigaction	sa;

	return sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL;
}

static int
wait_exit(pid_t pid)
{
	int	status;

	ck_assert_int_eq(spawn_wait(pid, &status), 0);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_child_state)
{
	sigset_t	block, mask;
	int		p[2], keep[2], pdeath = 0, bits = 0;
	pid_t		pid;

	sig_init();		/* SIGINT/TERM/HUP caught, SIGPIPE ignored */
	set_handler(SIGUSR1, on_usr1);
	set_handler(SIGUSR2, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGALRM);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &block, NULL), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pipe(keep), 0);
	pid = spawn_fork(p, 2);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (!is_default(SIGINT) || !is_default(SIGTERM) ||
		    !is_default(SIGHUP) || !is_default(SIGUSR1) ||
		    !is_default(SIGUSR2) || !is_default(SIGPIPE) ||
		    !is_default(SIGCHLD))
			bits |= 1;
		if (sigprocmask(SIG_SETMASK, NULL, &mask) != 0 ||
		    sigismember(&mask, SIGUSR1) || sigismember(&mask, SIGALRM) ||
		    sigismember(&mask, SIGINT))
			bits |= 2;
		if (prctl(PR_GET_PDEATHSIG, &pdeath) != 0 || pdeath != SIGKILL)
			bits |= 4;
		if (fcntl(p[0], F_GETFD) != -1 || errno != EBADF ||
		    fcntl(p[1], F_GETFD) != -1)
			bits |= 8;
		if (fcntl(keep[0], F_GETFD) == -1 || fcntl(keep[1], F_GETFD) == -1)
			bits |= 16;
		_exit(bits);
	}
	/* The parent's own state is as it was. */
	ck_assert(!is_default(SIGUSR1));
	ck_assert_int_eq(sigprocmask(SIG_SETMASK, NULL, &mask), 0);
	ck_assert(sigismember(&mask, SIGALRM));
	ck_assert_int_ne(fcntl(p[0], F_GETFD), -1);
	ck_assert_int_eq(wait_exit(pid), 0);
}
END_TEST

/* The parent's stop handler never runs in a child: a SIGTERM there
 * kills it by default instead of being recorded. */
START_TEST(test_child_term_default)
{
	int	i;
	pid_t	pid;

	sig_init();
	sig_reset();
	for (i = 0; i < 20; i++) {
		pid = spawn_fork(NULL, 0);
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			/* Default SIGTERM: the child dies of it, not of a
			 * recorded stop. */
			raise(SIGTERM);
			_exit(sig_stop ? 2 : 3);
		}
		{
			int	status;

			ck_assert_int_eq(spawn_wait(pid, &status), 0);
			ck_assert(WIFSIGNALED(status));
			ck_assert_int_eq(WTERMSIG(status), SIGTERM);
		}
	}
	ck_assert_int_eq(sig_stop, 0);
}
END_TEST

START_TEST(test_sigchld_ignored_inherited)
{
	pid_t	pid;

	signal(SIGCHLD, SIG_IGN);	/* as a careless parent leaves it */
	sig_init();
	pid = spawn_fork(NULL, 0);
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(7);
	ck_assert_int_eq(wait_exit(pid), 7);
}
END_TEST

START_TEST(test_sigchld_ignored_lost)
{
	pid_t	pid;
	int	status = 0;

	/* Without sig_init() the kernel reaps the child: the status is lost
	 * and spawn_wait() says so instead of reporting 0. */
	signal(SIGCHLD, SIG_IGN);
	pid = spawn_fork(NULL, 0);
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(7);
	ck_assert_int_eq(spawn_wait(pid, &status), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "cannot wait"));
}
END_TEST

START_TEST(test_parent_gone)
{
	int	p[2], status;
	pid_t	mid;
	char	c;

	/* A grandchild whose parent dies is killed by PR_SET_PDEATHSIG: it
	 * holds the write end of p, so read() sees EOF only once it is gone
	 * (without the death signal it would pause forever and the test
	 * time out). */
	ck_assert_int_eq(pipe(p), 0);
	mid = fork();
	ck_assert_int_ge(mid, 0);
	if (mid == 0) {
		pid_t	 gc = spawn_fork(&p[0], 1);

		if (gc == 0)
			for (;;)
				pause();
		_exit(gc > 0 ? 0 : 1);
	}
	close(p[1]);
	ck_assert_int_eq(spawn_wait(mid, &status), 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	close(p[0]);
}
END_TEST

START_TEST(test_sig_state)
{
	struct sigaction	sa;
	struct pollfd		pfd;
	int			p[2];
	char			c = 'x';

	sig_init();
	sig_reset();
	ck_assert_int_eq(sigaction(SIGPIPE, NULL, &sa), 0);
	ck_assert(sa.sa_handler == SIG_IGN);
	ck_assert_int_eq(sigaction(SIGCHLD, NULL, &sa), 0);
	ck_assert(sa.sa_handler == SIG_DFL);
	/* A write to a closed pipe is EPIPE, not death. */
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	ck_assert_int_eq(write(p[1], &c, 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(p[1]);
	/* A stop is recorded once, and wakes the self-pipe. */
	ck_assert_int_ge(sig_wake_fd(), 0);
	ck_assert_int_eq(sig_stop, 0);
	raise(SIGINT);
	raise(SIGTERM);
	ck_assert_int_eq(sig_stop, SIGINT);
	ck_assert_int_eq(sig_status(), 130);
	pfd.fd = sig_wake_fd();
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	sig_reset();
	ck_assert_int_eq(sig_stop, 0);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
}
END_TEST

/* The loops a user may interrupt stop once sig_stop is set. */
START_TEST(test_stop_honoured)
{
	char		 tmpl[PATH_MAX], *sub, *f;
	struct hasher	 h;
	int		 fd;

	sig_init();
	sig_reset();
	snprintf(tmpl, sizeof(tmpl), "%s/spawn-XXXXXX", kit_top);
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	sub = path_join(tmpl, "a");
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	f = path_join(sub, "f");
	ck_assert_int_eq(write_file_atomic(f, "x", 1, 0644), 0);
	raise(SIGINT);
	ck_assert_int_eq(rm_rf_until(tmpl, &sig_stop), -1);
	ck_assert_int_eq(access(f, F_OK), 0);	/* nothing removed */
	fd = open(f, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	hasher_init(&h, HASH_SHA256);
	ck_assert_int_eq(hasher_fd(&h, fd), -1);
	ck_assert_int_eq(errno, EINTR);
	hasher_free(&h);
	close(fd);
	sig_reset();
	fd = open(f, O_RDONLY);
	hasher_init(&h, HASH_SHA256);
	ck_assert_int_eq(hasher_fd(&h, fd), 0);
	hasher_free(&h);
	close(fd);
	ck_assert_int_eq(rm_rf_until(tmpl, &sig_stop), 0);
	ck_assert_int_ne(access(tmpl, F_OK), 0);
	free(sub);
	free(f);
}
END_TEST

static Suite *
spawn_suite(void)
{
	Suite	*s = suite_create("spawn");
	TCase	*tc;

	tc = tcase_create("spawn");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_child_state);
	tcase_add_test(tc, test_child_term_default);
	tcase_add_test(tc, test_sigchld_ignored_inherited);
	tcase_add_test(tc, test_sigchld_ignored_lost);
	tcase_add_test(tc, test_parent_gone);
	suite_add_tcase(s, tc);
	tc = tcase_create("sig");
	tcase_add_test(tc, test_sig_state);
	tcase_add_test(tc, test_stop_honoured);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(spawn_suite)
