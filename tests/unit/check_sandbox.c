/*
 * check_sandbox.c: sandbox_confine() in real forked children.  Each case
 * makes a temporary tree (a staging directory, a second write directory
 * standing for the cache, an allowed "wheel" file and a file that is not
 * allowed), forks, confines the child, does one thing there, and exits
 * with 0 or the errno it got; the parent checks that status and the
 * SANDBOX frames the child's SIGSYS handler wrote to the pipe.  Cases
 * that need Landlock or seccomp say so and pass on a kernel without them.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "proto.h"
#include "sandbox.h"
#include "util.h"
#include "testkit.h"

static char	*root = kit_tmp;
static char	*stage, *cache, *wheel, *secret;

static void
setup(void)
{
	kit_tmp_setup();
	stage = path_join(root, "stage");
	cache = path_join(root, "cache");
	wheel = path_join(root, "a.whl");
	secret = path_join(root, "secret");
	ck_assert_int_eq(mkdir(stage, 0755), 0);
	ck_assert_int_eq(mkdir(cache, 0755), 0);
	ck_assert_int_eq(write_file_atomic(wheel, "PK", 2, 0644), 0);
	ck_assert_int_eq(write_file_atomic(secret, "s3cret", 6, 0600), 0);
	ck_assert_int_eq(write_file_atomic(path_join(cache, "entry"), "e", 1, 0644), 0);
}

/* 0 or errno, as the child's exit status. */
static int
res(int rc)
{
	return rc < 0 ? errno : 0;
}

static int
do_write_inside(void)
{
	char	*p = path_join(stage, "f");
	int	 fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);

	return fd < 0 ? errno : res((int)write(fd, "x", 1));
}

static int
do_write_outside(void)
{
	return res(open(path_join(root, "planted"), O_WRONLY | O_CREAT, 0644));
}

static int
do_read_wheel(void)
{
	return res(open(wheel, O_RDONLY));
}

static int
do_read_secret(void)
{
	return res(open(secret, O_RDONLY));
}

static int
do_socket(void)
{
	return res(socket(AF_INET, SOCK_STREAM, 0));
}

static int
do_execve(void)
{
	char	*argv[] = { "true", NULL };

	return res(execve("/bin/true", argv, NULL));
}

static int
do_ptrace(void)
{
	return res((int)ptrace(PTRACE_ATTACH, getppid(), NULL, NULL));
}

static int
do_mmap_exec(void)
{
	void	*p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);

	return p == MAP_FAILED ? errno : 0;
}

/* Publishing a cache entry and hard-linking from it (REFER rights). */
static int
do_rename_link(void)
{
	char	*from = path_join(cache, "entry"), *to = path_join(stage, "entry");

	if (link(from, to) != 0)
		return errno;
	return res(rename(to, path_join(stage, "moved")));
}

static int
do_big_write(void)
{
	char	 buf[8192];
	int	 fd = open(path_join(stage, "big"), O_WRONLY | O_CREAT, 0644);

	memset(buf, 'x', sizeof(buf));
	if (fd < 0)
		return errno;
	return res(write_all(fd, buf, sizeof(buf)));
}

static int
do_touch_sigsys(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	return res(sigaction(SIGSYS, &sa, NULL));
}

struct sb_case {
	const char	*name;
	int		(*body)(void);
	enum sandbox_mode mode;
	int		 needs;		/* 1 Landlock, 2 seccomp */
	int		 status;	/* exit status wanted; -SIG: killed by SIG */
	const char	*denied;	/* system call the parent must hear of */
};

static const struct sb_case cases[] = {
	{ "write-inside", do_write_inside, SANDBOX_AUTO, 0, 0, NULL },
	{ "write-outside", do_write_outside, SANDBOX_AUTO, 1, EACCES, NULL },
	{ "write-outside-off", do_write_outside, SANDBOX_OFF, 0, 0, NULL },
	{ "read-wheel", do_read_wheel, SANDBOX_AUTO, 0, 0, NULL },
	{ "read-secret", do_read_secret, SANDBOX_AUTO, 1, EACCES, NULL },
	{ "read-secret-off", do_read_secret, SANDBOX_OFF, 0, 0, NULL },
	{ "socket", do_socket, SANDBOX_AUTO, 2, EPERM, "socket" },
	{ "socket-off", do_socket, SANDBOX_OFF, 0, 0, NULL },
	{ "execve", do_execve, SANDBOX_AUTO, 2, EPERM, "execve" },
	{ "ptrace", do_ptrace, SANDBOX_AUTO, 2, EPERM, "ptrace" },
	{ "mmap-exec", do_mmap_exec, SANDBOX_AUTO, 2, EPERM, "mmap" },
	{ "rename-link", do_rename_link, SANDBOX_AUTO, 0, 0, NULL },
	{ "fsize", do_big_write, SANDBOX_AUTO, 0, EFBIG, NULL },
	{ "sigsys-handler", do_touch_sigsys, SANDBOX_AUTO, 2, -SIGSYS, NULL },
};

START_TEST(confine)
{
	const struct sb_case	*c = &cases[_i % ARRAY_SIZE(cases)];
	struct sandbox_support	 sup;
	struct sandbox_spec	 sp;
	struct sandbox_report	 rep;
	struct proto_hdr	 h;
	struct msg_sandbox	 m;
	const char		*how;
	int			 fds[2], status;
	pid_t			 pid;
	char			 frame[64];
	ssize_t			 n;

	/* The second round loads the filter the parent compiled (what
	 * forklift's workers do); the first compiles it in the child. */
	if (_i >= (int)ARRAY_SIZE(cases))
		ck_assert_int_eq(sandbox_announce(SANDBOX_AUTO), 0);
	sandbox_probe(&sup);
	if (((c->needs & 1) && sup.landlock_abi == 0) ||
	    ((c->needs & 2) && !sup.seccomp)) {
		fprintf(stderr, "%s: skipped, the kernel lacks %s\n", c->name,
		    c->needs & 1 ? "Landlock" : "seccomp");
		return;
	}
	ck_assert_int_eq(pipe(fds), 0);
	sandbox_spec_init(&sp, c->mode);
	strv_push(&sp.write, stage);
	strv_push(&sp.write, cache);
	strv_push(&sp.read, wheel);
	sp.max_file = 4096;
	sp.max_data = 256 << 20;
	sp.nofile = 64;
	sp.report_fd = fds[1];
	if ((pid = fork()) == 0) {
		close(fds[0]);
		if (sandbox_confine(&sp, &rep) != 0) {
			fprintf(stderr, "%s\n", err_get());
			_exit(255);
		}
		if (c->mode != SANDBOX_OFF && sup.landlock_abi > 0 &&
		    rep.landlock_abi != sup.landlock_abi)
			_exit(254);
		_exit(c->body());
	}
	close(fds[1]);
	n = read(fds[0], frame, sizeof(frame));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	if (c->status < 0) {
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == -c->status,
		    "%s: wait status %#x", c->name, status);
		how = sandbox_status_str(pid, status);
		ck_assert_ptr_nonnull(how);
		ck_assert_msg(strstr(how, "stopped by its sandbox") != NULL, "%s", how);
	} else
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == c->status,
		    "%s: wanted %d, wait status %#x", c->name, c->status, status);
	if (c->denied != NULL) {
		ck_assert_int_eq(n, (ssize_t)(sizeof(h) + sizeof(m)));
		memcpy(&h, frame, sizeof(h));
		memcpy(&m, frame + sizeof(h), sizeof(m));
		ck_assert_int_eq(h.type, MSG_SANDBOX);
		ck_assert_int_eq(sandbox_on_message(pid, &m, sizeof(m)), 0);
		how = sandbox_status_str(pid, 0);
		ck_assert_ptr_nonnull(how);
		ck_assert_msg(strstr(how, c->denied) != NULL, "%s: %s", c->name, how);
	} else if (c->status >= 0)
		ck_assert_int_eq(n, 0);
	sandbox_spec_free(&sp);
}
END_TEST

START_TEST(modes)
{
	ck_assert_int_eq(sandbox_mode_parse("auto"), SANDBOX_AUTO);
	ck_assert_int_eq(sandbox_mode_parse("require"), SANDBOX_REQUIRE);
	ck_assert_int_eq(sandbox_mode_parse("off"), SANDBOX_OFF);
	ck_assert_int_eq(sandbox_mode_parse("on"), -1);
	ck_assert_int_eq(sandbox_mode_parse(""), -1);
	ck_assert_ptr_null(sandbox_status_str(1, 0));
}
END_TEST

static Suite *
sandbox_suite(void)
{
	Suite	*s = suite_create("sandbox");
	TCase	*tc = tcase_create("confine");

	tcase_add_checked_fixture(tc, setup, kit_tmp_teardown);
	tcase_add_loop_test(tc, confine, 0, 2 * (int)ARRAY_SIZE(cases));
	tcase_add_test(tc, modes);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(sandbox_suite)
