/*
 * check_jobs.c: the default job count.  The cgroup readers run on
 * fixture trees made in a temporary directory (proc/self/cgroup,
 * proc/self/mountinfo and the cgroup files under sys/fs/cgroup): v2 with
 * a quota, v2 "max", a parent's tighter quota, v1, malformed and missing
 * files.  jobs_count() combines fixed inputs; affinity is checked against
 * a CPU mask set in the (forked) test process.
 */
#include "config.h"

#include <sys/stat.h>
#include <check.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "jobs.h"
#include "util.h"
#include "testkit.h"

#define MI_V2 "30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
#define MI_V1 \
	"30 1 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n" \
	"31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n" \
	"32 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"

struct quota_case {
	const char	*name;
	const char	*files[8][2];	/* path, contents */
	int		 v2_rc;
	int		 v1_rc;
	int		 rc;		/* jobs_cgroup_quota */
	double		 cpus;
};

static const struct quota_case quota_cases[] = {
	{ "v2 quota", {
		{ "proc/self/cgroup", "0::/ci/job\n" },
		{ "proc/self/mountinfo", MI_V2 },
		{ "sys/fs/cgroup/ci/job/cpu.max", "150000 100000\n" } },
	  1, 0, 1, 1.5 },
	{ "v2 max", {
		{ "proc/self/cgroup", "0::/ci/job\n" },
		{ "proc/self/mountinfo", MI_V2 },
		{ "sys/fs/cgroup/ci/job/cpu.max", "max 100000\n" } },
	  0, 0, 0, 0 },
	{ "v2 parent quota is tighter", {
		{ "proc/self/cgroup", "0::/ci/job\n" },
		{ "proc/self/mountinfo", MI_V2 },
		{ "sys/fs/cgroup/ci/job/cpu.max", "400000 100000\n" },
		{ "sys/fs/cgroup/ci/cpu.max", "200000 100000\n" } },
	  1, 0, 1, 2.0 },
	{ "v2 quota on the parent only", {
		{ "proc/self/cgroup", "0::/ci/job\n" },
		{ "proc/self/mountinfo", MI_V2 },
		{ "sys/fs/cgroup/ci/job/cpu.max", "max 100000\n" },
		{ "sys/fs/cgroup/ci/cpu.max", "50000 100000\n" } },
	  1, 0, 1, 0.5 },
	{ "v2 above the mount is not read", {
		{ "proc/self/cgroup", "0::/job\n" },
		{ "proc/self/mountinfo",
		  "30 1 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n" },
		{ "sys/fs/cgroup/unified/job/cpu.max", "max 100000\n" },
		{ "sys/fs/cgroup/cpu.max", "100000 100000\n" } },
	  0, 0, 0, 0 },
	{ "v2 without mountinfo: /sys/fs/cgroup", {
		{ "proc/self/cgroup", "0::/a\n" },
		{ "sys/fs/cgroup/a/cpu.max", "300000 100000\n" } },
	  1, 0, 1, 3.0 },
	{ "v2 namespace root (path /)", {
		{ "proc/self/cgroup", "0::/\n" },
		{ "proc/self/mountinfo", MI_V2 },
		{ "sys/fs/cgroup/cpu.max", "250000 100000\n" } },
	  1, 0, 1, 2.5 },
	{ "v2 mount of a sub-hierarchy", {
		{ "proc/self/cgroup", "0::/docker/abc\n" },
		{ "proc/self/mountinfo",
		  "30 1 0:26 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n" },
		{ "sys/fs/cgroup/cpu.max", "100000 100000\n" } },
	  1, 0, 1, 1.0 },
	{ "v1 quota", {
		{ "proc/self/cgroup", "5:memory:/ci\n4:cpu,cpuacct:/ci/job\n0::/\n" },
		{ "proc/self/mountinfo", MI_V1 },
		{ "sys/fs/cgroup/cpu,cpuacct/ci/job/cpu.cfs_quota_us", "250000\n" },
		{ "sys/fs/cgroup/cpu,cpuacct/ci/job/cpu.cfs_period_us", "100000\n" } },
	  0, 1, 1, 2.5 },
	{ "v1 no quota (-1), parent has one", {
		{ "proc/self/cgroup", "4:cpu,cpuacct:/ci/job\n" },
		{ "proc/self/mountinfo", MI_V1 },
		{ "sys/fs/cgroup/cpu,cpuacct/ci/job/cpu.cfs_quota_us", "-1\n" },
		{ "sys/fs/cgroup/cpu,cpuacct/ci/job/cpu.cfs_period_us", "100000\n" },
		{ "sys/fs/cgroup/cpu,cpuacct/ci/cpu.cfs_quota_us", "100000\n" },
		{ "sys/fs/cgroup/cpu,cpuacct/ci/cpu.cfs_period_us", "50000\n" } },
	  0, 1, 1, 2.0 },
	{ "v1 -1 everywhere", {
		{ "proc/self/cgroup", "4:cpu,cpuacct:/ci\n" },
		{ "proc/self/mountinfo", MI_V1 },
		{ "sys/fs/cgroup/cpu,cpuacct/ci/cpu.cfs_quota_us", "-1\n" },
		{ "sys/fs/cgroup/cpu,cpuacct/ci/cpu.cfs_period_us", "100000\n" } },
	  0, 0, 0, 0 },
	{ "v1 and v2 both: the tighter", {
		{ "proc/self/cgroup", "4:cpu:/a\n0::/b\n" },
		{ "proc/self/mountinfo",
		  "31 30 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
		  "32 30 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n" },
		{ "sys/fs/cgroup/cpu/a/cpu.cfs_quota_us", "300000\n" },
		{ "sys/fs/cgroup/cpu/a/cpu.cfs_period_us", "100000\n" },
		{ "sys/fs/cgroup/unified/b/cpu.max", "120000 100000\n" } },
	  1, 1, 1, 1.2 },
	{ "mount point with an escaped space", {
		{ "proc/self/cgroup", "0::/x\n" },
		{ "proc/self/mountinfo",
		  "30 1 0:26 / /sys/fs/my\\040cg rw - cgroup2 cgroup2 rw\n" },
		{ "sys/fs/my cg/x/cpu.max", "70000 100000\n" } },
	  1, 0, 1, 0.7 },
	{ "malformed cpu.max", {
		{ "proc/self/cgroup", "0::/a\n" },
		{ "proc/self/mountinfo", MI_V2 },
		{ "sys/fs/cgroup/a/cpu.max", "lots\n" } },
	  -1, 0, -1, 0 },
	{ "cpu.max with a zero period", {
		{ "proc/self/cgroup", "0::/a\n" },
		{ "proc/self/mountinfo", MI_V2 },
		{ "sys/fs/cgroup/a/cpu.max", "100000 0\n" } },
	  -1, 0, -1, 0 },
	{ "malformed child, parent quota still counts", {
		{ "proc/self/cgroup", "0::/a/b\n" },
		{ "proc/self/mountinfo", MI_V2 },
		{ "sys/fs/cgroup/a/b/cpu.max", "150000 x\n" },
		{ "sys/fs/cgroup/a/cpu.max", "400000 100000\n" } },
	  1, 0, 1, 4.0 },
	{ "malformed v1 quota", {
		{ "proc/self/cgroup", "4:cpu:/a\n" },
		{ "proc/self/mountinfo",
		  "31 30 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n" },
		{ "sys/fs/cgroup/cpu/a/cpu.cfs_quota_us", "12ab\n" },
		{ "sys/fs/cgroup/cpu/a/cpu.cfs_period_us", "100000\n" } },
	  0, -1, -1, 0 },
	{ "v1 quota without a period file", {
		{ "proc/self/cgroup", "4:cpu:/a\n" },
		{ "proc/self/mountinfo",
		  "31 30 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n" },
		{ "sys/fs/cgroup/cpu/a/cpu.cfs_quota_us", "100000\n" } },
	  0, -1, -1, 0 },
	{ "malformed /proc/self/cgroup", {
		{ "proc/self/cgroup", "garbage without colons\n\n::\n" },
		{ "proc/self/mountinfo", "not a mountinfo line\n" } },
	  0, 0, 0, 0 },
	{ "v1 controller not mounted", {
		{ "proc/self/cgroup", "4:cpu:/a\n" },
		{ "proc/self/mountinfo", "32 30 0:28 / /m rw - cgroup cgroup rw,memory\n" },
		{ "m/a/cpu.cfs_quota_us", "100000\n" } },
	  0, 0, 0, 0 },
	{ "no files at all", { { NULL, NULL } }, 0, 0, 0, 0 },
	{ "cgroup files missing", {
		{ "proc/self/cgroup", "0::/a\n" },
		{ "proc/self/mountinfo", MI_V2 } },
	  0, 0, 0, 0 },
};

START_TEST(test_quota)
{
	const struct quota_case	*c = &quota_cases[_i];
	double			 cpus = -7;
	size_t			 k;

	for (k = 0; k < 8 && c->files[k][0]; k++)
		kit_put(c->files[k][0], c->files[k][1], 0644);
	ck_assert_msg(jobs_cgroup2_quota(kit_tmp, &cpus) == c->v2_rc,
	    "%s: v2 rc", c->name);
	if (c->v2_rc == 1 && c->v1_rc != 1)
		ck_assert_msg(cpus > c->cpus - 1e-9 && cpus < c->cpus + 1e-9,
		    "%s: v2 %g CPUs, expected %g", c->name, cpus, c->cpus);
	cpus = -7;
	ck_assert_msg(jobs_cgroup1_quota(kit_tmp, &cpus) == c->v1_rc,
	    "%s: v1 rc", c->name);
	cpus = -7;
	ck_assert_msg(jobs_cgroup_quota(kit_tmp, &cpus) == c->rc, "%s: rc", c->name);
	if (c->rc == 1)
		ck_assert_msg(cpus > c->cpus - 1e-9 && cpus < c->cpus + 1e-9,
		    "%s: %g CPUs, expected %g", c->name, cpus, c->cpus);
	else
		ck_assert_msg(cpus == -7, "%s: *cpus set without a quota", c->name);
}
END_TEST

/* ---- jobs_count ------------------------------------------------------- */

struct count_case {
	const char	*cpu_max;	/* NULL: no cgroup files */
	const char	*env;
	unsigned int	 cpus, online;
	unsigned long	 nofile;
	unsigned int	 want;
	const char	*why;
};

static const struct count_case count_cases[] = {
	{ "150000 100000\n", NULL, 2, 64, 4096, 2,
	  "2 (CPU affinity 2 of 64; cgroup quota 1.5 CPUs -> 2)" },
	{ "150000 100000\n", NULL, 64, 64, 4096, 2,
	  "2 (CPU affinity 64 of 64; cgroup quota 1.5 CPUs -> 2)" },
	{ "50000 100000\n", NULL, 8, 8, 4096, 1,
	  "1 (CPU affinity 8 of 8; cgroup quota 0.5 CPUs -> 1)" },
	{ "100000 100000\n", NULL, 8, 8, 4096, 1,
	  "1 (CPU affinity 8 of 8; cgroup quota 1 CPU -> 1)" },
	{ "max 100000\n", NULL, 4, 16, 4096, 4, "4 (CPU affinity 4 of 16)" },
	{ NULL, NULL, 3, 4, 0, 3, NULL },
	{ "150000 100000\n", "7", 2, 64, 4096, 7, "7 (FORKLIFT_JOBS=7)" },
	{ NULL, "0", 5, 8, 4096, 5, "5 (CPU affinity 5 of 8)" },
	{ NULL, "two", 5, 8, 4096, 5, "5 (CPU affinity 5 of 8)" },
	{ NULL, "1025", 5, 8, 4096, 5, "5 (CPU affinity 5 of 8)" },
	{ NULL, "", 5, 8, 4096, 5, "5 (CPU affinity 5 of 8)" },
	{ NULL, NULL, 64, 64, 256, 64, "64 (CPU affinity 64 of 64)" },
	{ NULL, NULL, 64, 64, 200, 45,
	  "45 (CPU affinity 64 of 64; RLIMIT_NOFILE 200 -> 45)" },
	{ NULL, "500", 1, 1, 1024, 320,
	  "320 (FORKLIFT_JOBS=500; RLIMIT_NOFILE 1024 -> 320)" },
	{ NULL, NULL, 4, 4, 20, 1,
	  "1 (CPU affinity 4 of 4; RLIMIT_NOFILE 20 -> 1)" },
	{ NULL, NULL, 2000, 2000, 1 << 20, 1024, "1024 (CPU affinity 2000 of 2000)" },
	{ "lots\n", NULL, 4, 4, 4096, 4, "4 (CPU affinity 4 of 4; cgroup quota "
	  "not read: '@/sys/fs/cgroup/a/cpu.max': 'lots' is not a quota and "
	  "a period)" },
};

START_TEST(test_count)
{
	const struct count_case	*c = &count_cases[_i];
	struct jobs_input	 in;
	char			*why = NULL, *want;
	const char		*at;
	unsigned int		 n;

	if (c->cpu_max) {
		kit_put("proc/self/cgroup", "0::/a\n", 0644);
		kit_put("proc/self/mountinfo", MI_V2, 0644);
		kit_put("sys/fs/cgroup/a/cpu.max", c->cpu_max, 0644);
	}
	memset(&in, 0, sizeof(in));
	in.root = kit_tmp;
	in.env = c->env;
	in.cpus = c->cpus;
	in.online = c->online;
	in.nofile = c->nofile;
	n = jobs_count(&in, &why);
	ck_assert_uint_eq(n, c->want);
	ck_assert_ptr_nonnull(why);
	if (c->why) {
		/* "@" stands for the fixture's root */
		if ((at = strchr(c->why, '@')) != NULL)
			want = xasprintf("%.*s%s%s", (int)(at - c->why), c->why, kit_tmp,
			    at + 1);
		else
			want = xstrdup(c->why);
		ck_assert_str_eq(why, want);
		free(want);
	}
	free(why);
}
END_TEST

/* ---- the pieces --------------------------------------------------------- */

START_TEST(test_fd_cap)
{
	ck_assert_uint_eq(jobs_fd_cap(0), 1);
	ck_assert_uint_eq(jobs_fd_cap(JOBS_FDS_RESERVED), 1);
	ck_assert_uint_eq(jobs_fd_cap(JOBS_FDS_RESERVED + 3 * JOBS_FDS_PER_WORKER), 3);
	ck_assert_uint_eq(jobs_fd_cap(1024), (1024 - JOBS_FDS_RESERVED) / JOBS_FDS_PER_WORKER);
	ck_assert_uint_eq(jobs_fd_cap(1UL << 30), JOBS_MAX);
}
END_TEST

/* Affinity: what the kernel reports, and one CPU after pinning to one
 * (the test runs in a forked child, so the pin does not leak). */
START_TEST(test_affinity)
{
	cpu_set_t	set;
	int		cpu;

	CPU_ZERO(&set);
	ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	ck_assert_uint_eq(jobs_affinity(), (unsigned int)CPU_COUNT(&set));
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(set), &set), 0);
	ck_assert_uint_eq(jobs_affinity(), 1);
}
END_TEST

START_TEST(test_default)
{
	const char	*why = NULL, *again = NULL;
	unsigned int	 n;

	setenv("FORKLIFT_JOBS", "3", 1);
	n = jobs_default(&why);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(why, "3 (FORKLIFT_JOBS=3)");
	setenv("FORKLIFT_JOBS", "9", 1);
	ck_assert_uint_eq(jobs_default(&again), 3);	/* computed once */
	ck_assert_ptr_eq(why, again);
	ck_assert_str_eq(jobs_describe(3), "3 (FORKLIFT_JOBS=3)");
	ck_assert_str_eq(jobs_describe(5), "5 (-j; the default is 3 (FORKLIFT_JOBS=3))");
}
END_TEST

static Suite *
jobs_suite(void)
{
	Suite	*s = suite_create("jobs");
	TCase	*tc = tcase_create("cgroup");

	tcase_add_checked_fixture(tc, kit_tmp_setup, kit_tmp_teardown);
	tcase_add_loop_test(tc, test_quota, 0, (int)ARRAY_SIZE(quota_cases));
	tcase_add_loop_test(tc, test_count, 0, (int)ARRAY_SIZE(count_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("system");
	tcase_add_test(tc, test_fd_cap);
	tcase_add_test(tc, test_affinity);
	tcase_add_test(tc, test_default);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(jobs_suite)
