/*
 * jobs.h: how many workers (and bytecode compile servers) to run when -j
 * is not given: the CPUs this process may run on, capped by its cgroup's
 * CPU quota and by the file descriptors the workers need, at least 1;
 * $FORKLIFT_JOBS overrides that.
 */
#ifndef FORKLIFT_JOBS_H
#define FORKLIFT_JOBS_H

#define JOBS_MAX	1024	/* the largest -j and $FORKLIFT_JOBS */

/* Descriptors the parent holds per worker: a worker's pipe (1) during
 * unpacking, a compile server's stdin, stdout and stderr (3) during
 * --compile-bytecode; the larger of the two. */
#define JOBS_FDS_PER_WORKER	3
/* Descriptors kept for everything else: stdio, the lock, the journal,
 * the signal pipe, pipe ends held across fork(), the directories the
 * commit and a worker hold open (one per level of a wheel's deepest
 * path, inherited parent descriptors included). */
#define JOBS_FDS_RESERVED	64

/* The CPUs sched_getaffinity(2) lets this process run on (any number of
 * CPUs), at least 1. */
unsigned int jobs_affinity(void);

/*
 * The CPU quota of this process's cgroup and of every parent up to the
 * cgroup mount, read below root ("/" for the real files; a fixture tree in
 * the tests): cgroup v2 cpu.max ("max" is no quota), cgroup v1
 * cpu.cfs_quota_us over cpu.cfs_period_us (-1 is no quota), the mount
 * found in <root>/proc/self/mountinfo (v2 falls back to /sys/fs/cgroup).
 * Returns 1 with *cpus the tightest quota in CPUs (1.5 for 150000 of
 * 100000), 0 when there is none (or no cgroup files at all), -1 with
 * err_set() when a file is malformed.
 */
int	 jobs_cgroup2_quota(const char *root, double *cpus);
int	 jobs_cgroup1_quota(const char *root, double *cpus);
/* Both: the tighter of the two.  A malformed file makes it -1 only when
 * the other version has no quota either. */
int	 jobs_cgroup_quota(const char *root, double *cpus);

/* The most workers whose descriptors fit in a limit of nofile. */
unsigned int jobs_fd_cap(unsigned long nofile);

/* What jobs_count() decides from: each 0/NULL field is read from the
 * system. */
struct jobs_input {
	const char	*root;		/* where proc/ and sys/ are; NULL: "/" */
	const char	*env;		/* $FORKLIFT_JOBS; NULL: none */
	unsigned int	 cpus;		/* affinity; 0: jobs_affinity() */
	unsigned int	 online;	/* online CPUs; 0: sysconf() */
	unsigned long	 nofile;	/* RLIMIT_NOFILE soft limit; 0: getrlimit() */
};

/*
 * The job count from in, and in *why (allocated) the count and the reason:
 * "2 (CPU affinity 2 of 64; cgroup quota 1.5 CPUs -> 2)",
 * "8 (FORKLIFT_JOBS=8)".  A malformed $FORKLIFT_JOBS is a warning and is
 * ignored.
 */
unsigned int jobs_count(const struct jobs_input *in, char **why);

/* jobs_count() of this process, computed once; *why (when not NULL) is
 * its static reason. */
unsigned int jobs_default(const char **why);

/* For -v: why n jobs run.  The default's reason when n is the default,
 * else "N (-j; the default is ...)".  Static buffer. */
const char *jobs_describe(unsigned int n);

#endif
