/*
 * sandbox.c: a worker confines itself right after fork, before it reads
 * any archive, so that a memory-safety bug in the archive code (libzip,
 * libdeflate) exploited by a hostile wheel stays inside the worker's
 * staging directory.  In this order:
 *
 *   1. PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE 0 (the fork path already
 *      asked for PR_SET_PDEATHSIG).
 *   2. Resource limits: RLIMIT_CORE 0; RLIMIT_NOFILE the open descriptors
 *      plus what the worker needs; RLIMIT_FSIZE the largest file it may
 *      write; RLIMIT_DATA a cap on its heap.  RLIMIT_AS would count the
 *      mapped archives and the shared queue page; RLIMIT_DATA counts only
 *      private writable memory, so the mapped-archive design keeps working.
 *   3. Landlock, at the best ABI the kernel offers: write, create, remove
 *      and rename (REFER, ABI 2; TRUNCATE, ABI 3) only beneath the given
 *      directories; read only the given files and directories; never
 *      execute, never make device nodes, sockets, fifos or symlinks (when
 *      the allow-list below is loaded it refuses those calls, and the
 *      write rules grant every right so the kernel's path walks stay
 *      short; see landlock()); ABI 4+: no TCP bind or connect; ABI 6+: no
 *      signals to processes outside the sandbox, no abstract unix sockets.
 *   4. A seccomp filter (libseccomp): an allow-list of the system calls a
 *      worker makes (derived with strace -f on cold, warm and uncached
 *      installs, then tightened: ioctl only FICLONE and TCGETS, no
 *      executable mappings, signals only to itself).
 *
 * Step 4 lives in seccomp.c: the allow-list, the filter, and the SIGSYS
 * handler that reports a denied call to the parent.
 *
 * The compile servers (bytecode_server.c) exec an interpreter: they get the
 * no-new-privileges bit and the same write confinement and network denial,
 * but neither read confinement nor the allow-list (Python needs too much).
 *
 * It never weakens a sandbox already in place and never touches the
 * parent's state; the parent-side helpers at the end only read frames and
 * wait statuses.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "proto.h"
#include "sandbox.h"
#include "sandbox_impl.h"
#include "util.h"

/* The uapi of Landlock ABI 3 to 6, newer than some build machines'
 * headers: the structures are spelled here under our own names. */
#define LL_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP	(1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL		(1ULL << 1)

struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

struct ll_path_beneath {
	uint64_t	allowed_access;
	int32_t		parent_fd;
} __attribute__((packed));

#define LL_FS_READ	(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_FS_MAKE_ODD	(LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
	LANDLOCK_ACCESS_FS_MAKE_SYM)
#define LL_FS_WRITE	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REFER | LL_FS_TRUNCATE)


/* ---- detection ------------------------------------------------------ */

static int
landlock_abi(void)
{
	long	v;

#ifdef FAULT_INJECTION
	/* FORKLIFT_FAULT_NO_LANDLOCK=1: behave as on a kernel without it. */
	if (getenv("FORKLIFT_FAULT_NO_LANDLOCK") != NULL)
		return 0;
#endif
	v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

static int
seccomp_ok(void)
{
#ifdef FAULT_INJECTION
	if (getenv("FORKLIFT_FAULT_NO_SECCOMP") != NULL)
		return 0;
#endif
	/* PR_GET_SECCOMP fails with EINVAL without CONFIG_SECCOMP; the
	 * filter mode needs the API level libseccomp reports. */
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 && seccomp_api_get() >= 1;
}

void
sandbox_probe(struct sandbox_support *s)
{
	s->landlock_abi = landlock_abi();
	s->seccomp = seccomp_ok();
}

const char *
sandbox_describe(const struct sandbox_support *s)
{
	static char	line[160];

	if (s->landlock_abi > 0)
		snprintf(line, sizeof(line), "landlock ABI %d (files%s%s), %s",
		    s->landlock_abi, s->landlock_abi >= 4 ? ", tcp" : "",
		    s->landlock_abi >= 6 ? ", scopes" : "",
		    s->seccomp ? "seccomp" : "no seccomp");
	else
		snprintf(line, sizeof(line), "no landlock, %s",
		    s->seccomp ? "seccomp" : "no seccomp");
	return line;
}

int
sandbox_mode_parse(const char *s)
{
	if (strcmp(s, "auto") == 0)
		return SANDBOX_AUTO;
	if (strcmp(s, "require") == 0)
		return SANDBOX_REQUIRE;
	if (strcmp(s, "off") == 0)
		return SANDBOX_OFF;
	return -1;
}

void
sandbox_spec_init(struct sandbox_spec *s, enum sandbox_mode mode)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->restrict_read = 1;
	s->seccomp = 1;
	s->report_fd = -1;
}

void
sandbox_spec_free(struct sandbox_spec *s)
{
	strv_free(&s->write);
	strv_free(&s->read);
}

/* What is missing for --sandbox=require, or NULL. */
static const char *
missing(const struct sandbox_support *s, int want_seccomp)
{
	if (s->landlock_abi == 0 && want_seccomp && !s->seccomp)
		return "Landlock and seccomp";
	if (s->landlock_abi == 0)
		return "Landlock";
	if (want_seccomp && !s->seccomp)
		return "seccomp";
	return NULL;
}

int
sandbox_announce(enum sandbox_mode mode)
{
	struct sandbox_support	 s;
	const char		*lack;

	if (mode == SANDBOX_OFF) {
		if (verbosity > 0)
			note_msg("sandbox: off");
		return 0;
	}
	sandbox_probe(&s);
	if (mode == SANDBOX_REQUIRE && (lack = missing(&s, 1)) != NULL)
		return err_set("--sandbox=require: this kernel does not offer %s "
		    "(%s)", lack, sandbox_describe(&s));
	if (s.seccomp && s.landlock_abi >= 6)
		sandbox_seccomp_prebuild();
	if (verbosity > 0)
		note_msg("sandbox: workers confine themselves: no new privileges, "
		    "resource limits, %s", sandbox_describe(&s));
	return 0;
}

/* ---- resource limits ------------------------------------------------ */

static int
highest_fd(void)
{
	struct dirent	*e;
	DIR		*d;
	int		 hi = 2, n;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return 255;	/* no /proc: a generous guess */
	while ((e = readdir(d)) != NULL)
		if ((n = atoi(e->d_name)) > hi)
			hi = n;
	closedir(d);
	return hi;
}

static int
limit(int res, const char *name, uint64_t v)
{
	struct rlimit	rl;

	if (getrlimit(res, &rl) != 0)
		return err_set("getrlimit %s: %s", name, strerror(errno));
	if (rl.rlim_max != RLIM_INFINITY && v > rl.rlim_max)
		v = rl.rlim_max;	/* never raise a limit */
	rl.rlim_cur = rl.rlim_max = (rlim_t)v;
	if (setrlimit(res, &rl) != 0)
		return err_set("setrlimit %s: %s", name, strerror(errno));
	return 0;
}

static int
limits(const struct sandbox_spec *s)
{
	struct sigaction	sa;

	if (limit(RLIMIT_CORE, "RLIMIT_CORE", 0) != 0)
		return -1;
	if (s->nofile && limit(RLIMIT_NOFILE, "RLIMIT_NOFILE",
	    (uint64_t)highest_fd() + 1 + s->nofile) != 0)
		return -1;
	if (s->max_file) {
		/* A write past the limit fails with EFBIG and is reported with
		 * the member's name, rather than killing with SIGXFSZ. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigaction(SIGXFSZ, &sa, NULL);
		if (limit(RLIMIT_FSIZE, "RLIMIT_FSIZE", s->max_file) != 0)
			return -1;
	}
	if (s->max_data && limit(RLIMIT_DATA, "RLIMIT_DATA", s->max_data) != 0)
		return -1;
	return 0;
}

/* ---- Landlock ------------------------------------------------------- */

static int
ll_rule(int rs, const char *path, uint64_t access, uint64_t handled)
{
	struct ll_path_beneath	pb;
	struct stat		st;
	int			fd, rc;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;	/* nothing there to allow */
		return err_set("sandbox: cannot open '%s': %s", path, strerror(errno));
	}
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |
		    LL_FS_TRUNCATE;
	pb.allowed_access = access & handled;
	pb.parent_fd = fd;
	rc = pb.allowed_access == 0 ? 0 :
	    (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
	if (rc != 0)
		return err_set("sandbox: landlock rule for '%s': %s", path, strerror(errno));
	return 0;
}

/*
 * full: the seccomp allow-list follows, and it already refuses what the
 * write rules would otherwise hold back beneath the writable directories
 * (mknod, symlink, execve, device ioctls).  Those rules then grant every
 * handled right, which is what lets the kernel stop its walk up the tree
 * at the rule's directory on every link and rename (a cross-directory
 * link checks both parents against every handled right, and a rule that
 * grants only some of them sends both walks on to the mount's root):
 * measured, a warm install spent 10-14% more system time sandboxed
 * before this, almost all in that walk.
 */
static int
landlock(const struct sandbox_spec *s, int abi, int full,
    struct sandbox_report *rep)
{
	struct ll_ruleset_attr	a;
	uint64_t		wr;
	size_t			i, asize;
	int			rs, rc = 0;

	memset(&a, 0, sizeof(a));
	a.handled_access_fs = LL_FS_WRITE | LL_FS_MAKE_ODD;
	if (s->restrict_read)
		a.handled_access_fs |= LL_FS_READ | LANDLOCK_ACCESS_FS_EXECUTE;
	if (abi < 2)
		a.handled_access_fs &= ~(uint64_t)LANDLOCK_ACCESS_FS_REFER;
	if (abi < 3)
		a.handled_access_fs &= ~LL_FS_TRUNCATE;
	if (abi >= 5)
		a.handled_access_fs |= LL_FS_IOCTL_DEV;
	if (abi >= 4)
		a.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi >= 6)
		a.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	asize = abi >= 6 ? sizeof(a) : abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
	rs = (int)syscall(SYS_landlock_create_ruleset, &a, asize, 0);
	if (rs < 0)
		return err_set("sandbox: landlock_create_ruleset: %s", strerror(errno));
	wr = full ? a.handled_access_fs : LL_FS_WRITE | LL_FS_READ;
	for (i = 0; i < s->write.n && rc == 0; i++)
		rc = ll_rule(rs, s->write.v[i], wr, a.handled_access_fs);
	for (i = 0; i < s->read.n && rc == 0; i++)
		rc = ll_rule(rs, s->read.v[i], LL_FS_READ, a.handled_access_fs);
	if (rc == 0 && syscall(SYS_landlock_restrict_self, rs, 0) != 0)
		rc = err_set("sandbox: landlock_restrict_self: %s", strerror(errno));
	close(rs);
	if (rc == 0) {
		rep->landlock_abi = abi;
		rep->net = a.handled_access_net != 0;
		rep->scoped = a.scoped != 0;
	}
	return rc;
}

/* ---- the fault-injection hook --------------------------------------- */

#ifdef FAULT_INJECTION
/*
 * FORKLIFT_FAULT_SANDBOX=FILE: once confined, the worker does what a
 * hostile wheel's code would try, appends one line per attempt to FILE
 * ("NAME ok" or "NAME ERRNO-NAME"), and fails its wheel.  $HOME/secret is
 * the file to steal, $HOME/outside the file to plant, the environment is
 * the staging directory's grandparent, FORKLIFT_FAULT_SANDBOX_PORT a TCP
 * port listening on 127.0.0.1.
 */
static void
say(int fd, const char *what, int rc, int err)
{
	dprintf(fd, "%s %s\n", what, rc >= 0 ? "ok" : strerrorname_np(err));
}

static void
attempt_file(int out, const char *what, const char *path, int flags)
{
	int	fd = open(path, flags | O_CLOEXEC, 0644);

	say(out, what, fd, errno);
	if (fd >= 0)
		close(fd);
}

static void
attempt_connect(int out)
{
	struct sockaddr_in	 sin;
	const char		*port = getenv("FORKLIFT_FAULT_SANDBOX_PORT");
	int			 fd, rc;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	say(out, "socket", fd, errno);
	if (fd < 0)
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port ? port : "9"));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	say(out, "connect", rc, errno);
	close(fd);
}

static void
attempt_exec(int out)
{
	char	*argv[] = { "sh", "-c", "exit 7", NULL };
	int	 status;
	pid_t	 pid = fork();

	if (pid != 0)
		say(out, "fork", pid, errno);
	if (pid == 0) {
		execve("/bin/sh", argv, environ);
		_exit(errno);
	}
	if (pid < 0) {
		/* Unconfined, this would replace the worker: only reached
		 * when fork was denied, so the sandbox is on. */
		say(out, "execve", execve("/bin/sh", argv, environ), errno);
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	say(out, "execve", WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : -1,
	    WIFEXITED(status) ? WEXITSTATUS(status) : EINTR);
}

static void
attempt_ptrace(int out)
{
	pid_t	parent = getppid();
	long	rc = ptrace(PTRACE_ATTACH, parent, NULL, NULL);

	say(out, "ptrace", (int)rc, errno);
	if (rc == 0) {
		while (waitpid(parent, NULL, __WALL) < 0 && errno == EINTR)
			;
		ptrace(PTRACE_DETACH, parent, NULL, NULL);
	}
}

static void
fault_attempts(const struct sandbox_spec *s, int out)
{
	const char	*home = getenv("HOME");
	char		*p, *root;

	if (home == NULL)
		home = "/nonexistent";
	p = path_join(home, "outside");
	attempt_file(out, "write-outside", p, O_WRONLY | O_CREAT | O_TRUNC);
	free(p);
	p = path_join(home, "secret");
	attempt_file(out, "read-secret", p, O_RDONLY);
	free(p);
	if (s->write.n > 0) {
		/* <root>/.forklift/tx-...: the environment is two levels up. */
		root = xasprintf("%s/../../sandbox-planted", s->write.v[0]);
		attempt_file(out, "create-in-env", root, O_WRONLY | O_CREAT | O_EXCL);
		free(root);
	}
	attempt_connect(out);
	attempt_exec(out);
	attempt_ptrace(out);
}
#endif

/* ---- confining ------------------------------------------------------ */

int
sandbox_confine(const struct sandbox_spec *s, struct sandbox_report *rep)
{
	struct sandbox_support	sup;
	const char		*lack;
	size_t			 i;
#ifdef FAULT_INJECTION
	const char		*fi = getenv("FORKLIFT_FAULT_SANDBOX");
	int			 fifd = -1;

	if (fi != NULL && *fi)
		fifd = open(fi, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
#endif
	memset(rep, 0, sizeof(*rep));
	if (s->mode == SANDBOX_OFF)
		goto done;
	sandbox_probe(&sup);
	if (s->mode == SANDBOX_REQUIRE &&
	    (lack = missing(&sup, s->seccomp)) != NULL)
		return err_set("--sandbox=require: this kernel does not offer %s", lack);
	/* glibc reads the time zone once; do it while reads are open. */
	tzset();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return err_set("sandbox: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return err_set("sandbox: PR_SET_DUMPABLE: %s", strerror(errno));
	if (limits(s) != 0)
		return -1;
	rep->rlimits = 1;
	/* A rule needs its directory to exist: make the ones the worker
	 * would have made anyway. */
	for (i = 0; i < s->write.n; i++)
		if (access(s->write.v[i], F_OK) != 0 && mkdir_p(s->write.v[i], 0755) != 0)
			return -1;
	if (sup.landlock_abi > 0 &&
	    landlock(s, sup.landlock_abi, s->seccomp && sup.seccomp, rep) != 0)
		return -1;
	if (s->seccomp && sup.seccomp) {
		if (sandbox_seccomp_apply(s, rep->scoped) != 0)
			return -1;
		rep->seccomp = 1;
	}
done:
#ifdef FAULT_INJECTION
	if (fifd >= 0) {
		fault_attempts(s, fifd);
		close(fifd);
		return err_set("fault injection: the sandbox attempts are done");
	}
#endif
	return 0;
}

/* ---- in the parent -------------------------------------------------- */

#define DENIALS	64

static struct {
	pid_t		pid;
	uint32_t	nr;
} denials[DENIALS];
static size_t ndenials;

int
sandbox_on_message(pid_t pid, const void *payload, uint32_t len)
{
	struct msg_sandbox	m;
	size_t			i;

	if (len != sizeof(m))
		return -1;
	memcpy(&m, payload, sizeof(m));
	for (i = 0; i < ndenials; i++)
		if (denials[i].pid == pid)
			return 0;	/* the first one names the stop */
	if (ndenials < DENIALS) {
		denials[ndenials].pid = pid;
		denials[ndenials++].nr = m.nr;
	}
	return 0;
}

const char *
sandbox_status_str(pid_t pid, int status)
{
	static char	 s[128];
	char		*name = NULL;
	size_t		 i;
	int		 found = 0;

	for (i = 0; i < ndenials; i++)
		if (denials[i].pid == pid) {
			name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
			    (int)denials[i].nr);
			if (name == NULL)
				name = xasprintf("%u", denials[i].nr);
			found = 1;
			break;
		}
	if (!found && !(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS))
		return NULL;
	snprintf(s, sizeof(s), "was stopped by its sandbox (system call %s)",
	    name ? name : "unknown");
	free(name);
	return s;
}

int
sandbox_frame(void *arg, pid_t pid, uint32_t type, const void *payload,
    uint32_t len)
{
	(void)arg;
	if (type != MSG_SANDBOX)
		return -1;
	return sandbox_on_message(pid, payload, len);
}

const char *
sandbox_describe_exit(void *arg, pid_t pid, int status)
{
	(void)arg;
	return sandbox_status_str(pid, status);
}
