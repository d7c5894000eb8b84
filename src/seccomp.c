/*
 * seccomp.c: the seccomp half of a worker's sandbox (sandbox.c applies it
 * last, after the resource limits and Landlock): the allow-list of the
 * system calls a worker makes, the libseccomp filter built from it (once
 * in the parent when it can be shared), and the SIGSYS handler that
 * reports a denied call.
 *
 * A system call outside the allow-list (execve, socket, connect, ptrace,
 * mount, the setuid family, clone, ...) is not executed.  It traps
 * (SCMP_ACT_TRAP): the worker's SIGSYS handler makes the call return
 * EPERM, so the code that made it fails and reports as it would for any
 * error, and writes a SANDBOX frame with the call's number to the
 * worker's pipe, so the parent fails the run saying "WHEEL: worker N (pid
 * P) was stopped by its sandbox (system call NAME) while unpacking it" even
 * when the hostile code ignores the error.  Errors alone (SCMP_ACT_ERRNO)
 * would let a compromised worker probe silently; killing outright
 * (SCMP_ACT_KILL_PROCESS) would lose the call's name.  Replacing the SIGSYS
 * handler (rt_sigaction on SIGSYS) kills the process: the parent sees
 * SIGSYS and still reports a sandbox stop.  Blocking SIGSYS makes the
 * kernel kill on the next denied call.  Nothing denied ever runs.
 *
 * It never lets a worker make executable memory, start a program, open a
 * socket or signal another process, and its SIGSYS handler does nothing
 * but one write(2) of one frame and the return value it sets.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <errno.h>
#include <linux/fs.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "proto.h"
#include "sandbox.h"
#include "sandbox_impl.h"
#include "util.h"

/* ---- seccomp -------------------------------------------------------- */

/* What a worker calls once confined, from strace -f -c on cold, warm and
 * uncached installs (stage.c, unpack.c, cache.c, libzip, libdeflate,
 * glibc's malloc and stdio).  Calls with arguments worth restricting are
 * added separately in filter(). */
static const char *const allowed[] = {
	"read", "pread64", "readv", "write", "pwrite64", "writev", "lseek",
	"close", "openat", "open", "newfstatat", "fstat", "lstat", "stat",
	"statx", "fstatfs", "statfs", "getdents64", "access", "faccessat",
	"faccessat2", "readlink", "readlinkat", "getcwd",
	"mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename",
	"renameat", "renameat2", "link", "linkat", "chmod", "fchmod",
	"fchmodat", "utimensat", "futimesat", "fsync", "fdatasync", "syncfs",
	"ftruncate", "fallocate", "copy_file_range", "sendfile", "fadvise64",
	"fcntl", "dup", "dup2", "dup3", "umask",
	"munmap", "mremap", "madvise", "brk", "futex", "set_robust_list",
	"rseq", "sched_yield", "sched_getaffinity",
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
	"getegid", "getrandom", "uname", "sysinfo", "getrlimit",
	"clock_gettime", "clock_getres", "gettimeofday", "time",
	"nanosleep", "clock_nanosleep",
	"rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall",
	"exit", "exit_group",
};

static int
rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned int n,
    const struct scmp_arg_cmp *cmp)
{
	int	nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0;	/* not a system call on this architecture */
	if (seccomp_rule_add_array(ctx, action, nr, n, cmp) != 0)
		return err_set("sandbox: seccomp rule for %s failed", name);
	return 0;
}

/* The filter; self > 0 lets kill and tgkill reach only that process,
 * self == 0 leaves signals to Landlock's scope (ABI 6+), which already
 * confines them to the worker itself.  NULL with err_set() on failure. */
static scmp_filter_ctx
filter(pid_t self)
{
	scmp_filter_ctx		ctx;
	struct scmp_arg_cmp	c[1];
	size_t			i;
	int			rc = 0;

	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
		err_set("sandbox: seccomp_init failed");
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(allowed) && rc == 0; i++)
		rc = rule(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
	/* Every SCMP_CMP() names all four fields, datum_b 0 where the
	 * comparison ignores it: the macro is a compound literal, and one
	 * left short is -Wmissing-field-initializers with clang. */
	/* Memory, but never executable: no new code in a worker. */
	c[0] = SCMP_CMP(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	rc = rc ? rc : rule(ctx, SCMP_ACT_ALLOW, "mmap", 1, c);
	rc = rc ? rc : rule(ctx, SCMP_ACT_ALLOW, "mprotect", 1, c);
	/* ioctl: reflinks from the cache, and isatty(). */
	c[0] = SCMP_CMP(1, SCMP_CMP_EQ, FICLONE, 0);
	rc = rc ? rc : rule(ctx, SCMP_ACT_ALLOW, "ioctl", 1, c);
	c[0] = SCMP_CMP(1, SCMP_CMP_EQ, TCGETS, 0);
	rc = rc ? rc : rule(ctx, SCMP_ACT_ALLOW, "ioctl", 1, c);
	/* Reading limits only (prlimit64 with no new limit). */
	c[0] = SCMP_CMP(2, SCMP_CMP_EQ, 0, 0);
	rc = rc ? rc : rule(ctx, SCMP_ACT_ALLOW, "prlimit64", 1, c);
	/* Signals: only to itself (abort(), raise()). */
	c[0] = SCMP_CMP(0, SCMP_CMP_EQ, (scmp_datum_t)self, 0);
	rc = rc ? rc : rule(ctx, SCMP_ACT_ALLOW, "kill", self > 0, c);
	rc = rc ? rc : rule(ctx, SCMP_ACT_ALLOW, "tgkill", self > 0, c);
	/* Handlers for anything but SIGSYS; touching SIGSYS's kills. */
	c[0] = SCMP_CMP(0, SCMP_CMP_NE, SIGSYS, 0);
	rc = rc ? rc : rule(ctx, SCMP_ACT_ALLOW, "rt_sigaction", 1, c);
	c[0] = SCMP_CMP(0, SCMP_CMP_EQ, SIGSYS, 0);
	rc = rc ? rc : rule(ctx, SCMP_ACT_KILL_PROCESS, "rt_sigaction", 1, c);
	if (rc != 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * Compiling the filter takes libseccomp milliseconds; loading a compiled
 * one takes microseconds.  The parent compiles it once before forking
 * (sandbox_announce in sandbox.c) for workers whose signals Landlock scopes; the
 * program is inherited by fork.  Others compile their own.
 */
static struct sock_fprog prebuilt;

void
sandbox_seccomp_prebuild(void)
{
	scmp_filter_ctx	 ctx;
	off_t		 len;
	int		 fd;

	if (prebuilt.filter != NULL || (ctx = filter(0)) == NULL)
		return;
	if ((fd = memfd_create("forklift-seccomp", MFD_CLOEXEC)) >= 0 &&
	    seccomp_export_bpf(ctx, fd) == 0 && (len = lseek(fd, 0, SEEK_END)) > 0 &&
	    len % sizeof(struct sock_filter) == 0) {
		prebuilt.filter = xmalloc((size_t)len);
		if (pread(fd, prebuilt.filter, (size_t)len, 0) == len)
			prebuilt.len = (unsigned short)(len / sizeof(struct sock_filter));
		else {
			free(prebuilt.filter);
			prebuilt.filter = NULL;
		}
	}
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
}

static int
filter_load(int scoped)
{
	scmp_filter_ctx	ctx;
	int		rc = 0;

	if (scoped && prebuilt.filter != NULL) {
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prebuilt) != 0)
			return err_set("sandbox: cannot load the seccomp filter: %s",
			    strerror(errno));
		return 0;
	}
	if ((ctx = filter(getpid())) == NULL)
		return -1;
	if (seccomp_load(ctx) != 0)
		rc = err_set("sandbox: cannot load the seccomp filter");
	seccomp_release(ctx);
	return rc;
}

static int report_fd = -1;

/* A denied call: make it return EPERM and tell the parent which it was.
 * Only async-signal-safe work: one write(2) of one frame. */
static void
on_sigsys(int sig, siginfo_t *si, void *uc_)
{
	unsigned char		 frame[sizeof(struct proto_hdr) + sizeof(struct msg_sandbox)];
	struct proto_hdr	 h = { MSG_SANDBOX, sizeof(struct msg_sandbox) };
	struct msg_sandbox	 m;
	ucontext_t		*uc = uc_;
	int			 saved = errno;

	(void)sig;
	m.nr = (uint32_t)si->si_syscall;
	memcpy(frame, &h, sizeof(h));
	memcpy(frame + sizeof(h), &m, sizeof(m));
	if (report_fd >= 0)
		(void)!write(report_fd, frame, sizeof(frame));
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = (unsigned long long)-EPERM;
#else
	(void)uc;
#endif
	errno = saved;
}

int
sandbox_seccomp_apply(const struct sandbox_spec *s, int scoped)
{
	struct sigaction	sa;

	report_fd = s->report_fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return err_set("sandbox: sigaction SIGSYS: %s", strerror(errno));
	return filter_load(scoped);
}
