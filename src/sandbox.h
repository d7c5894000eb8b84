/*
 * sandbox.h: confining a worker process (Landlock, seccomp, resource
 * limits) right after fork, before it reads any archive; and what the
 * running kernel offers for it.
 */
#ifndef FORKLIFT_SANDBOX_H
#define FORKLIFT_SANDBOX_H

#include <sys/types.h>
#include <stdint.h>

#include "util.h"

/* --sandbox=auto|require|off */
enum sandbox_mode { SANDBOX_AUTO, SANDBOX_REQUIRE, SANDBOX_OFF };

struct sandbox_spec {
	enum sandbox_mode mode;
	struct strv	 write;		/* dirs: write, create, remove, rename beneath */
	struct strv	 read;		/* files or dirs: read only */
	int		 restrict_read;	/* 0: reads are not confined (bytecode) */
	int		 seccomp;	/* 1: the worker allow-list (not for exec) */
	uint64_t	 max_file;	/* RLIMIT_FSIZE; 0: unchanged */
	uint64_t	 max_data;	/* RLIMIT_DATA; 0: unchanged */
	unsigned int	 nofile;	/* descriptors beyond the open ones; 0: unchanged */
	int		 report_fd;	/* where a denied system call is reported
					   (a MSG_SANDBOX frame), or -1 */
};

/* What sandbox_confine() applied. */
struct sandbox_report {
	int		 landlock_abi;	/* 0: no Landlock */
	int		 net;		/* TCP bind/connect denied (ABI 4+) */
	int		 scoped;	/* signals, abstract sockets scoped (ABI 6+) */
	int		 seccomp;	/* the allow-list is loaded */
	int		 rlimits;
};

void	 sandbox_spec_init(struct sandbox_spec *, enum sandbox_mode);
void	 sandbox_spec_free(struct sandbox_spec *);

/* "auto", "require", "off" -> the mode; -1 if none of them. */
int	 sandbox_mode_parse(const char *);

/*
 * In a new child: no new privileges, not dumpable, resource limits,
 * Landlock, then the seccomp filter, in that order.  With SANDBOX_AUTO
 * what the kernel lacks is skipped; with SANDBOX_REQUIRE it is an error;
 * with SANDBOX_OFF nothing happens.  0, or -1 with err_set().
 */
int	 sandbox_confine(const struct sandbox_spec *, struct sandbox_report *);

/* The running kernel's support: Landlock ABI (0: none) and whether
 * seccomp filters can be loaded. */
struct sandbox_support {
	int	landlock_abi;
	int	seccomp;
};
void	 sandbox_probe(struct sandbox_support *);
/* One line for "forklift --version -v" and "-v": "landlock ABI 7
 * (files, tcp, scopes), seccomp". Static buffer. */
const char *sandbox_describe(const struct sandbox_support *);

/*
 * In the parent, before forking workers: with SANDBOX_REQUIRE, -1 and
 * err_set() naming what the kernel lacks; with -v, a note saying what the
 * workers will apply.
 */
int	 sandbox_announce(enum sandbox_mode);

/* In the parent: a MSG_SANDBOX frame from worker pid (a system call its
 * filter denied).  0, or -1 for a bad payload. */
int	 sandbox_on_message(pid_t, const void *payload, uint32_t len);
/* In the parent: "was stopped by its sandbox (system call NAME)" when the
 * worker reported a denied system call or was killed by SIGSYS; else
 * NULL.  Static buffer. */
const char *sandbox_status_str(pid_t, int status);

/* The two above in the shape of runner_ops.frame and .describe_exit (arg
 * is unused): a frame other than MSG_SANDBOX is -1. */
int	 sandbox_frame(void *arg, pid_t, uint32_t type, const void *payload,
	    uint32_t len);
const char *sandbox_describe_exit(void *arg, pid_t, int status);

#endif
