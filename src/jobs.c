/*
 * jobs.c: the default job count.  It owns the reading of CPU affinity,
 * of the cgroup CPU quotas (v2 cpu.max, v1 cpu.cfs_quota_us and
 * cpu.cfs_period_us, in this process's cgroup and every parent up to the
 * mount, since a parent's quota limits its children too) and of
 * RLIMIT_NOFILE, and the rule that combines them:
 *
 *   $FORKLIFT_JOBS if set and valid, else
 *   min(affinity CPUs, ceil(tightest quota)), at least 1;
 *   then at most what the descriptors allow (jobs_fd_cap) and JOBS_MAX.
 *
 * -j overrides all of it in the command line layer.  The cgroup readers
 * take the root directory under which proc/ and sys/ are found, so the
 * tests run them on fixture trees.  Nothing here fails a command: an
 * unreadable or odd cgroup file means no quota.  It never writes a file.
 */
#include "config.h"

#include <sys/resource.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "jobs.h"
#include "util.h"

#define SMALL_FILE	(1 << 20)	/* /proc/self/mountinfo, cgroup files */

unsigned int
jobs_affinity(void)
{
	cpu_set_t	*set;
	size_t		 ncpu, size;
	long		 conf = sysconf(_SC_NPROCESSORS_CONF);
	int		 n;

	ncpu = conf > CPU_SETSIZE ? (size_t)conf : CPU_SETSIZE;
	/* The kernel says EINVAL while the set is smaller than its own. */
	for (; ncpu <= (1U << 22); ncpu *= 2) {
		if ((set = CPU_ALLOC(ncpu)) == NULL)
			break;
		size = CPU_ALLOC_SIZE(ncpu);
		CPU_ZERO_S(size, set);
		if (sched_getaffinity(0, size, set) == 0) {
			n = CPU_COUNT_S(size, set);
			CPU_FREE(set);
			return n > 0 ? (unsigned int)n : 1;
		}
		CPU_FREE(set);
		if (errno != EINVAL)
			break;
	}
	conf = sysconf(_SC_NPROCESSORS_ONLN);
	return conf > 0 ? (unsigned int)conf : 1;
}

/* <root><path>, with root "/" or NULL meaning the real file system. */
static char *
under(const char *root, const char *path)
{
	if (root == NULL || strcmp(root, "/") == 0)
		return xstrdup(path);
	return xasprintf("%s%s", root, path);
}

/* Read a small file; NULL (errno kept) when it cannot be read. */
static char *
slurp(const char *path)
{
	char	*s;
	size_t	 len;
	int	 saved;

	if (read_file(path, SMALL_FILE, &s, &len) != 0) {
		saved = errno;
		errno = saved ? saved : EIO;
		return NULL;
	}
	return s;
}

/* Undo mountinfo's octal escapes ("\040" for a space) in place. */
static void
unescape(char *s)
{
	char	*o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/* Is word one of the comma separated items of list? */
static int
in_list(const char *list, const char *word)
{
	size_t	n = strlen(word);
	const char *p = list, *comma;

	for (;;) {
		comma = strchr(p, ',');
		if ((comma ? (size_t)(comma - p) : strlen(p)) == n &&
		    strncmp(p, word, n) == 0)
			return 1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/*
 * The mount of a cgroup hierarchy from mountinfo: fstype "cgroup2", or
 * "cgroup" with controller among its super options.  Sets *mroot (the
 * hierarchy path mounted there) and *mpoint.  0 found, -1 not.
 */
static int
find_mount(const char *mountinfo, const char *fstype, const char *controller,
    char **mroot, char **mpoint)
{
	char	*copy = xstrdup(mountinfo), *line, *save = NULL;
	char	*f[5], *dash, *fs, *opts, *tok, *save2;
	int	 i, rc = -1;

	for (line = strtok_r(copy, "\n", &save); line && rc != 0;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((dash = strstr(line, " - ")) == NULL)
			continue;
		*dash = '\0';
		save2 = NULL;
		for (i = 0, tok = strtok_r(line, " ", &save2); tok && i < 5;
		    tok = strtok_r(NULL, " ", &save2))
			f[i++] = tok;
		if (i < 5)
			continue;
		save2 = NULL;
		fs = strtok_r(dash + 3, " ", &save2);
		(void)strtok_r(NULL, " ", &save2);		/* source */
		opts = strtok_r(NULL, " ", &save2);
		if (fs == NULL || strcmp(fs, fstype) != 0)
			continue;
		if (controller && (opts == NULL || !in_list(opts, controller)))
			continue;
		unescape(f[3]);
		unescape(f[4]);
		*mroot = xstrdup(f[3]);
		*mpoint = xstrdup(f[4]);
		rc = 0;
	}
	free(copy);
	return rc;
}

/*
 * This process's path in a hierarchy from /proc/self/cgroup: the v2 line
 * "0::/path" (controller NULL) or the v1 line whose controller list holds
 * controller.  NULL when there is none.
 */
static char *
find_cgroup(const char *cgroup, const char *controller)
{
	char	*copy = xstrdup(cgroup), *line, *save = NULL, *c1, *c2;
	char	*path = NULL;

	for (line = strtok_r(copy, "\n", &save); line && path == NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((c1 = strchr(line, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		*c1 = *c2 = '\0';
		if (controller == NULL ? strcmp(line, "0") == 0 && c1[1] == '\0' :
		    in_list(c1 + 1, controller))
			path = xstrdup(c2 + 1);
	}
	free(copy);
	return path;
}

/*
 * The directory of the cgroup path under a mount of the hierarchy
 * mroot at mpoint (below root).  A path outside what is mounted (another
 * cgroup namespace) is the mount point itself.
 */
static char *
cgroup_dir(const char *root, const char *mroot, const char *mpoint,
    const char *path)
{
	size_t	 n = strlen(mroot);
	char	*dir, *full;

	if (strcmp(mroot, "/") == 0)
		n = 0;
	if (strncmp(path, mroot, n) != 0 || (path[n] != '/' && path[n] != '\0') ||
	    strstr(path, "/..") != NULL)
		path = "";
	else
		path += n;
	while (*path == '/')
		path++;
	full = *path ? xasprintf("%s/%s", mpoint, path) : xstrdup(mpoint);
	dir = under(root, full);
	free(full);
	return dir;
}

/* v2: "max 100000" (no quota) or "150000 100000".  1 quota, 0 none, -1 bad. */
static int
parse_cpu_max(const char *s, const char *path, double *cpus)
{
	unsigned long long	 quota, period = 100000;
	const char		*p = s;
	char			*end;
	int			 shown = (int)strcspn(s, "\n");

	if (strncmp(s, "max", 3) == 0 && (s[3] == ' ' || s[3] == '\n' || s[3] == '\0'))
		return 0;
	errno = 0;
	quota = strtoull(p, &end, 10);
	if (!errno && end != p && *p != '-' && *end == ' ') {
		p = end + 1;
		period = strtoull(p, &end, 10);
	}
	if (errno || end == p || *p == '-' || (*end != '\n' && *end != '\0'))
		return err_set("'%s': '%.*s' is not a quota and a period", path,
		    shown > 40 ? 40 : shown, s);
	if (quota == 0 || period == 0)
		return err_set("'%s': a quota or period of 0", path);
	*cpus = (double)quota / (double)period;
	return 1;
}

/* v1: one integer in a file; *v = -1 for "-1". */
static int
read_int(const char *path, long long *v)
{
	char	*s, *end;
	int	 rc = 0;

	if ((s = slurp(path)) == NULL)
		return errno == ENOENT ? 0 : -2;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno || end == s || (*end != '\n' && *end != '\0'))
		rc = err_set("'%s': '%.*s' is not a number", path,
		    (int)strcspn(s, "\n") > 40 ? 40 : (int)strcspn(s, "\n"), s);
	else
		rc = 1;
	free(s);
	return rc;
}

/* v1 in dir: 1 quota, 0 none, -1 malformed. */
static int
v1_quota(const char *dir, double *cpus)
{
	char		*qp = xasprintf("%s/cpu.cfs_quota_us", dir);
	char		*pp = xasprintf("%s/cpu.cfs_period_us", dir);
	long long	 q, p;
	int		 rc;

	rc = read_int(qp, &q);
	if (rc == 1 && q < 0)
		rc = q == -1 ? 0 : err_set("'%s': a negative quota", qp);
	if (rc == 1) {
		rc = read_int(pp, &p);
		if (rc == 1 && p <= 0)
			rc = err_set("'%s': a period of %lld", pp, p);
		else if (rc == 0)
			rc = err_set("'%s' is missing", pp);
		else if (rc == 1 && q == 0)
			rc = err_set("'%s': a quota of 0", qp);
	}
	if (rc == 1)
		*cpus = (double)q / (double)p;
	free(qp);
	free(pp);
	return rc < -1 ? 0 : rc;
}

/* v2 in dir: 1 quota, 0 none, -1 malformed. */
static int
v2_quota(const char *dir, double *cpus)
{
	char	*path = xasprintf("%s/cpu.max", dir), *s;
	int	 rc = 0;

	if ((s = slurp(path)) != NULL) {
		rc = parse_cpu_max(s, path, cpus);
		free(s);
	}
	free(path);
	return rc;
}

/* Walk from the cgroup's directory up to the mount point, keeping the
 * tightest quota. */
static int
walk_up(char *dir, size_t stop, int (*quota)(const char *, double *),
    double *cpus)
{
	double	 c;
	char	*slash, *bad = NULL;
	int	 found = 0, rc;

	for (;;) {
		rc = quota(dir, &c);
		if (rc < 0 && bad == NULL)
			bad = xstrdup(err_get());
		else if (rc == 1 && (!found || c < *cpus)) {
			*cpus = c;
			found = 1;
		}
		if (strlen(dir) <= stop || (slash = strrchr(dir, '/')) == NULL ||
		    (size_t)(slash - dir) < stop)
			break;
		*slash = '\0';
	}
	rc = found ? 1 : bad ? err_set("%s", bad) : 0;
	free(bad);
	return rc;
}

static int
hierarchy_quota(const char *root, int v2, double *cpus)
{
	char	*cg, *mi = NULL, *path = NULL, *mroot = NULL, *mpoint = NULL;
	char	*top = NULL, *dir = NULL;
	int	 rc = 0;

	cg = under(root, "/proc/self/cgroup");
	mi = under(root, "/proc/self/mountinfo");
	{
		char	*cgs = slurp(cg), *mis = slurp(mi);

		free(cg);
		free(mi);
		cg = cgs;
		mi = mis;
	}
	if (cg == NULL || (path = find_cgroup(cg, v2 ? NULL : "cpu")) == NULL)
		goto out;
	if (mi == NULL || find_mount(mi, v2 ? "cgroup2" : "cgroup", v2 ? NULL :
	    "cpu", &mroot, &mpoint) != 0) {
		if (!v2)
			goto out;
		mroot = xstrdup("/");
		mpoint = xstrdup("/sys/fs/cgroup");
	}
	top = under(root, mpoint);
	dir = cgroup_dir(root, mroot, mpoint, path);
	rc = walk_up(dir, strlen(top), v2 ? v2_quota : v1_quota, cpus);
out:
	free(cg);
	free(mi);
	free(path);
	free(mroot);
	free(mpoint);
	free(top);
	free(dir);
	return rc;
}

int
jobs_cgroup2_quota(const char *root, double *cpus)
{
	return hierarchy_quota(root, 1, cpus);
}

int
jobs_cgroup1_quota(const char *root, double *cpus)
{
	return hierarchy_quota(root, 0, cpus);
}

int
jobs_cgroup_quota(const char *root, double *cpus)
{
	double	 c1 = 0, c2 = 0;
	char	*bad2 = NULL;
	int	 r1, r2;

	if ((r2 = jobs_cgroup2_quota(root, &c2)) < 0)
		bad2 = xstrdup(err_get());
	if ((r1 = jobs_cgroup1_quota(root, &c1)) >= 0 && bad2 != NULL)
		err_set("%s", bad2);
	free(bad2);
	if (r1 == 1 && (r2 != 1 || c1 < c2))
		*cpus = c1;
	else if (r2 == 1)
		*cpus = c2;
	if (r1 == 1 || r2 == 1)
		return 1;
	return r1 < 0 || r2 < 0 ? -1 : 0;
}

unsigned int
jobs_fd_cap(unsigned long nofile)
{
	unsigned long	n;

	if (nofile <= JOBS_FDS_RESERVED + JOBS_FDS_PER_WORKER)
		return 1;
	n = (nofile - JOBS_FDS_RESERVED) / JOBS_FDS_PER_WORKER;
	return n > JOBS_MAX ? JOBS_MAX : (unsigned int)n;
}

/* $FORKLIFT_JOBS: 1 to JOBS_MAX, else 0. */
static unsigned int
parse_env(const char *s)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > JOBS_MAX)
		return 0;
	return (unsigned int)n;
}

unsigned int
jobs_count(const struct jobs_input *in, char **why)
{
	struct rlimit	 rl;
	struct buf	 b = BUF_INIT;
	unsigned long	 nofile = in->nofile;
	unsigned int	 n = 0, cpus, online, cap, q;
	double		 quota;
	long		 onl;
	int		 rc;

	if (nofile == 0)
		nofile = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY ? (unsigned long)rl.rlim_cur : 0;
	if (in->env != NULL && *in->env != '\0') {
		if ((n = parse_env(in->env)) != 0)
			buf_addf(&b, "FORKLIFT_JOBS=%u", n);
		else
			warn_msg("FORKLIFT_JOBS: '%s' is not a number from 1 to %d; "
			    "ignoring it", in->env, JOBS_MAX);
	}
	if (n == 0) {
		cpus = in->cpus ? in->cpus : jobs_affinity();
		onl = sysconf(_SC_NPROCESSORS_ONLN);
		online = in->online ? in->online : onl > 0 ? (unsigned int)onl : cpus;
		n = cpus;
		buf_addf(&b, "CPU affinity %u of %u", cpus, online);
		rc = jobs_cgroup_quota(in->root, &quota);
		if (rc == 1) {
			q = quota >= JOBS_MAX ? JOBS_MAX : (unsigned int)quota;
			if (q < quota || q < 1)
				q++;	/* rounded up, at least 1 */
			buf_addf(&b, "; cgroup quota %.3g CPU%s -> %u", quota,
			    quota == 1 ? "" : "s", q);
			if (q < n)
				n = q;
		} else if (rc < 0)
			buf_addf(&b, "; cgroup quota not read: %s", err_get());
		if (n > JOBS_MAX)
			n = JOBS_MAX;
	}
	if (nofile > 0 && (cap = jobs_fd_cap(nofile)) < n) {
		buf_addf(&b, "; RLIMIT_NOFILE %lu -> %u", nofile, cap);
		n = cap;
	}
	if (why != NULL)
		*why = xasprintf("%u (%s)", n, b.p ? b.p : "");
	buf_free(&b);
	return n;
}

unsigned int
jobs_default(const char **why)
{
	static unsigned int	 n;
	static char		*text;
	struct jobs_input	 in;

	if (n == 0) {
		memset(&in, 0, sizeof(in));
		in.env = getenv("FORKLIFT_JOBS");
		n = jobs_count(&in, &text);
	}
	if (why != NULL)
		*why = text;
	return n;
}

const char *
jobs_describe(unsigned int n)
{
	static char	 s[512];
	const char	*why;

	if (n == jobs_default(&why))
		return why;
	snprintf(s, sizeof(s), "%u (-j; the default is %s)", n, why);
	return s;
}
