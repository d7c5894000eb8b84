/*
 * check_unpack.c: unpack_extract on wheels built by tests/mkwheel.py at
 * test time, as a table: what a valid wheel becomes in the staging layout
 * (purelib/, scripts/, data/, headers/, platlib roots, #!python marked
 * for rewriting, exec bits, the manifest, no RECORD yet), and the refusals: path
 * traversal, absolute names, duplicate members, a file through a symlink,
 * RECORD mismatches (with and without verification), lying headers,
 * damaged data and the unpacked size limit; a RECORD row for a file the
 * archive lacks is dropped, not refused (SPEC).  A refused wheel's error
 * names the member.  The chunk plan of a split wheel, on member tables
 * made up here.
 */
#include "config.h"

#include <sys/stat.h>
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "fsutil.h"
#include "unpack.h"
#include "util.h"
#include "wheel.h"
#include "skip.h"
#include "installkit.h"

static int	 have_mkwheel;

static const struct unpack_case {
	const char	*desc;
	const char	*spec;
	uint64_t	 max;		/* 0: 1 GiB */
	int		 noverify;	/* verify_record off */
	const char	*err;		/* NULL: success; else in err_get() */
	const char	*files[6];	/* tree paths that must exist (success) */
} unpack_cases[] = {
	{ "pure wheel", "{\"name\": \"Pure.Pkg\", \"version\": \"1.0\", "
	    "\"files\": {\"pure_pkg/__init__.py\": \"X = 1\\n\", \"pure_pkg/a/b.py\": \"\"}}",
	    0, 0, NULL, { "purelib/pure_pkg/__init__.py", "purelib/pure_pkg/a/b.py",
	    "purelib/Pure_Pkg-1.0.dist-info/METADATA", "purelib/Pure_Pkg-1.0.dist-info/WHEEL" } },
	{ "platlib root and .data", "{\"name\": \"plat\", \"version\": \"2.0\", \"purelib\": false, "
	    "\"files\": {\"plat/__init__.py\": \"\"}, \"data\": {\"scripts\": {\"plat-run\": "
	    "\"#!python\\nprint(1)\\n\"}, \"data\": {\"share/plat/x.txt\": \"x\\n\"}, "
	    "\"headers\": {\"plat.h\": \"\"}, \"purelib\": {\"plat_pure/__init__.py\": \"\"}}}",
	    0, 0, NULL, { "platlib/plat/__init__.py", "scripts/plat-run", "data/share/plat/x.txt",
	    "headers/plat/plat.h", "purelib/plat_pure/__init__.py", "platlib/plat-2.0.dist-info/METADATA" } },
	{ "RECORD mismatch, not verified", "{\"name\": \"rc0\", \"version\": \"1.0\", "
	    "\"record\": {\"corrupt\": [\"rc0/__init__.py\"]}}", 0, 1, NULL,
	    { "purelib/rc0/__init__.py" } },
	{ "path traversal", "{\"name\": \"t1\", \"version\": \"1.0\", \"members\": "
	    "[{\"name\": \"../evil.py\", \"text\": \"x\"}]}", 0, 0, "../evil.py", { NULL } },
	{ "traversal in the middle", "{\"name\": \"t2\", \"version\": \"1.0\", \"members\": "
	    "[{\"name\": \"t2/../../evil.py\", \"text\": \"x\"}]}", 0, 0, "t2/../../evil.py", { NULL } },
	{ "absolute name", "{\"name\": \"t3\", \"version\": \"1.0\", \"members\": "
	    "[{\"name\": \"/tmp/abs-evil.py\", \"text\": \"x\"}]}", 0, 0, "abs-evil.py", { NULL } },
	{ "traversal inside .data", "{\"name\": \"t4\", \"version\": \"1.0\", \"members\": "
	    "[{\"name\": \"t4-1.0.data/scripts/../../evil\", \"text\": \"x\"}]}", 0, 0, "evil", { NULL } },
	{ "duplicate member", "{\"name\": \"d1\", \"version\": \"1.0\", \"members\": "
	    "[{\"name\": \"d1/dup.py\", \"text\": \"A\"}, {\"name\": \"d1/dup.py\", \"text\": \"B\", "
	    "\"in_record\": false}]}", 0, 0, "d1/dup.py", { NULL } },
	{ "file and directory of one name", "{\"name\": \"d2\", \"version\": \"1.0\", \"files\": "
	    "{\"d2/a\": \"f\", \"d2/a/b.py\": \"\"}}", 0, 0, "d2/a", { NULL } },
	{ "file through a symlink member", "{\"name\": \"d3\", \"version\": \"1.0\", \"members\": "
	    "[{\"name\": \"d3/l\", \"text\": \"/tmp\", \"symlink\": true}, "
	    "{\"name\": \"d3/l/evil.py\", \"text\": \"x\"}]}", 0, 0, "d3/l", { NULL } },
	{ "RECORD hash mismatch", "{\"name\": \"r1\", \"version\": \"1.0\", \"files\": "
	    "{\"r1/__init__.py\": \"\", \"r1/m.py\": \"M = 1\\n\"}, \"record\": {\"corrupt\": "
	    "[\"r1/m.py\"]}}", 0, 0, "r1/m.py", { NULL } },
	{ "RECORD size mismatch", "{\"name\": \"r2\", \"version\": \"1.0\", \"files\": "
	    "{\"r2/__init__.py\": \"\", \"r2/m.py\": \"M = 1\\n\"}, \"record\": {\"bad_size\": "
	    "[\"r2/m.py\"]}}", 0, 0, "r2/m.py", { NULL } },
	{ "member missing from RECORD", "{\"name\": \"r3\", \"version\": \"1.0\", \"files\": "
	    "{\"r3/__init__.py\": \"\", \"r3/m.py\": \"M = 1\\n\"}, \"record\": {\"drop\": "
	    "[\"r3/m.py\"]}}", 0, 0, "r3/m.py", { NULL } },
	/* SPEC: rows for files not in the archive are dropped, not refused. */
	{ "RECORD row for a missing file", "{\"name\": \"r4\", \"version\": \"1.0\", "
	    "\"record\": {\"extra\": [\"r4/ghost.py\"]}}", 0, 0, NULL, { "purelib/r4/__init__.py" } },
	{ "md5 in RECORD", "{\"name\": \"r5\", \"version\": \"1.0\", \"record\": "
	    "{\"algo\": \"md5\"}}", 0, 0, "md5", { NULL } },
	{ "no RECORD", "{\"name\": \"r6\", \"version\": \"1.0\", \"record\": {\"omit\": true}}",
	    0, 0, "RECORD", { NULL } },
	{ "bad CRC", "{\"name\": \"z1\", \"version\": \"1.0\", \"members\": [{\"name\": "
	    "\"z1/x.py\", \"text\": \"X = 1\\n\", \"crc\": 305419896}]}", 0, 0, "z1/x.py", { NULL } },
	{ "inflates past its declared size", "{\"name\": \"z2\", \"version\": \"1.0\", "
	    "\"members\": [{\"name\": \"z2/x.txt\", \"repeat\": [\"abcdefghij\", 100], "
	    "\"declared_size\": 500}]}", 0, 0, "z2/x.txt", { NULL } },
	{ "local header names another file", "{\"name\": \"z3\", \"version\": \"1.0\", "
	    "\"members\": [{\"name\": \"z3/x.py\", \"text\": \"X\", \"local_name\": \"z3/y.py\"}]}",
	    0, 0, "z3/", { NULL } },
	{ "past the unpacked size limit", "{\"name\": \"z4\", \"version\": \"1.0\", "
	    "\"members\": [{\"name\": \"z4/zeros.bin\", \"zeros\": 1048576}]}",
	    65536, 0, "", { NULL } },
	/* streamed (past 8 MiB): all input taken while the last match
	 * still fills the next chunk of output */
	{ "last match past a streamed chunk", "{\"name\": \"lg\", \"version\": \"1.0\", "
	    "\"members\": [{\"name\": \"lg/x.bin\", \"repeat\": [\"x\", 9437185]}]}",
	    0, 0, NULL, { "purelib/lg/x.bin" } },
	{ "streamed member cut short", "{\"name\": \"lh\", \"version\": \"1.0\", "
	    "\"members\": [{\"name\": \"lh/x.bin\", \"repeat\": [\"x\", 9437185], "
	    "\"cut\": 4}]}", 0, 0, "lh/x.bin' has damaged compressed data (it ends early)",
	    { NULL } },
	{ "truncated archive", "{\"name\": \"z5\", \"version\": \"1.0\", \"truncate\": -30}",
	    0, 0, "", { NULL } },
	{ "no dist-info", "{\"name\": \"n1\", \"version\": \"1.0\", \"no_distinfo\": true}",
	    0, 0, "dist-info", { NULL } },
	{ "unknown .data key", "{\"name\": \"n2\", \"version\": \"1.0\", \"data\": "
	    "{\"foo\": {\"x.txt\": \"x\"}}}", 0, 0, "foo", { NULL } },
};

START_TEST(test_unpack)
{
	const struct unpack_case *c = &unpack_cases[_i];
	struct unpack_opts	 o;
	struct manifest		 m;
	struct stat		 st;
	char			*whl, *tree;
	int			 fd, rc;
	size_t			 i;

	if (!have_mkwheel)
		SKIP_CASE("tests/mkwheel.py does not run (python3 or $SRCDIR missing)");
	ck_assert_msg((whl = kit_wheel(c->spec)) != NULL, "%s: mkwheel failed", c->desc);
	tree = kit_path("tree");
	ck_assert_int_eq(mkdir(tree, 0755), 0);
	ck_assert_int_ge(fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0);
	memset(&o, 0, sizeof(o));
	o.max_unpacked = c->max ? c->max : (uint64_t)1 << 30;
	o.verify_record = !c->noverify;
	memset(&m, 0, sizeof(m));
	rc = unpack_extract(whl, fd, &o, &m);
	if (c->err == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", c->desc, err_get());
		ck_assert_ptr_nonnull(m.distinfo);
		ck_assert(str_ends(m.distinfo, ".dist-info"));
		ck_assert_uint_gt(m.n, 0);
		for (i = 0; i < ARRAY_SIZE(c->files) && c->files[i] != NULL; i++)
			ck_assert_msg(fstatat(fd, c->files[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode), "%s: no %s", c->desc, c->files[i]);
		ck_assert_int_ne(faccessat(fd, "purelib/r4/ghost.py", F_OK, 0), 0);
		/* Every manifest row is a file of the tree. */
		for (i = 0; i < m.n; i++)
			ck_assert_msg(fstatat(fd, m.v[i].path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    (uint64_t)st.st_size == m.v[i].size, "%s: manifest row %s",
			    c->desc, m.v[i].path);
	} else {
		ck_assert_msg(rc == -1, "%s: accepted", c->desc);
		ck_assert_msg(strstr(err_get(), c->err) != NULL, "%s: error '%s' lacks '%s'",
		    c->desc, err_get(), c->err);
		/* Nothing escaped the tree. */
		ck_assert_int_ne(access("/tmp/abs-evil.py", F_OK), 0);
		ck_assert_int_ne(access("/tmp/evil.py", F_OK), 0);
	}
	manifest_free(&m);
	close(fd);
	free(tree);
	free(whl);
}
END_TEST

/* A #!python script is marked for rewriting, a plain one is not; a
 * member with exec bits is installed executable. */
START_TEST(test_scripts_marked)
{
	struct unpack_opts	 o;
	struct manifest		 m;
	char			*whl, *tree;
	int			 fd, seen = 0;
	size_t			 i;

	if (!have_mkwheel)
		SKIP_CASE("tests/mkwheel.py does not run (python3 or $SRCDIR missing)");
	whl = kit_wheel("{\"name\": \"sc\", \"version\": \"1.0\", \"files\": {\"sc/__init__.py\": \"\", "
	    "\"sc/run.sh\": {\"text\": \"#!/bin/sh\\n\", \"mode\": \"755\"}}, \"data\": {\"scripts\": "
	    "{\"sc-py\": \"#!python\\nprint(1)\\n\", \"sc-sh\": \"#!/bin/sh\\necho\\n\"}}}");
	ck_assert_ptr_nonnull(whl);
	tree = kit_path("tree");
	ck_assert_int_eq(mkdir(tree, 0755), 0);
	ck_assert_int_ge(fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0);
	memset(&o, 0, sizeof(o));
	o.max_unpacked = (uint64_t)1 << 30;
	o.verify_record = 1;
	memset(&m, 0, sizeof(m));
	ck_assert_msg(unpack_extract(whl, fd, &o, &m) == 0, "%s", err_get());
	ck_assert_str_eq(m.root, "purelib");
	ck_assert_str_eq(m.name, "sc");
	for (i = 0; i < m.n; i++) {
		if (strcmp(m.v[i].path, "scripts/sc-py") == 0) {
			ck_assert(m.v[i].rewrite);
			seen++;
		} else if (strcmp(m.v[i].path, "scripts/sc-sh") == 0) {
			ck_assert(!m.v[i].rewrite);
			seen++;
		} else if (strcmp(m.v[i].path, "purelib/sc/run.sh") == 0) {
			ck_assert(m.v[i].exec);
			seen++;
		} else if (strcmp(m.v[i].path, "purelib/sc/__init__.py") == 0) {
			ck_assert(!m.v[i].exec && !m.v[i].rewrite);
			seen++;
		}
	}
	ck_assert_int_eq(seen, 4);
	manifest_free(&m);
	close(fd);
	free(tree);
	free(whl);
}
END_TEST

/* Member tables for the plan: sizes by shape, for n members. */
struct plan_case {
	const char	*shape;
	size_t		 n;
	unsigned int	 nparts;
};

static const struct plan_case plan_cases[] = {
	{ "even", 28585, 2 }, { "even", 28585, 3 }, { "even", 1000, 8 },
	{ "mixed", 28585, 2 }, { "mixed", 5000, 64 },
	{ "big last", 2000, 2 },	/* one member bigger than any chunk, at the end */
	{ "big first", 2000, 2 },
	{ "one", 1, 2 }, { "few", 4, 2 },	/* fewer members than chunks wanted */
	{ "huge sizes", 100, 2 },		/* declared sizes beyond any file */
};

static uint64_t
plan_size(const char *shape, size_t i, size_t n)
{
	if (strcmp(shape, "even") == 0)
		return 4000;
	if (strcmp(shape, "mixed") == 0)
		return (i * 7919) % 13 == 0 ? 300000 + i : (i * 104729) % 9000;
	if (strcmp(shape, "big last") == 0)
		return i == n - 1 ? (uint64_t)500 << 20 : 1000;
	if (strcmp(shape, "big first") == 0)
		return i == 0 ? (uint64_t)500 << 20 : 1000;
	if (strcmp(shape, "huge sizes") == 0)
		return UINT64_MAX - i;
	return 1 << 20;
}

static uint64_t
plan_cost(const struct wheel_member *m, size_t lo, size_t hi)
{
	uint64_t	c = 0;
	size_t		i;

	for (i = lo; i < hi; i++)
		c += (m[i].size < (uint64_t)1 << 40 ? m[i].size : (uint64_t)1 << 40)
		    + 8192;
	return c;
}

/* Every member in exactly one chunk, in archive order; every chunk taken
 * once, the costliest first; at most 40 chunks a part; the last
 * ones taken small, so that the parts end close together. */
START_TEST(test_plan)
{
	const struct plan_case	*c = &plan_cases[_i];
	struct wheel_member	*m = xcalloc(c->n, sizeof(*m));
	struct unpack_plan	 p;
	unsigned char		*seen;
	uint64_t		 total, prev = UINT64_MAX, cost, last;
	size_t			 i;

	for (i = 0; i < c->n; i++)
		m[i].size = plan_size(c->shape, i, c->n);
	total = plan_cost(m, 0, c->n);
	unpack_plan(m, c->n, c->nparts, &p);
	ck_assert_uint_ge(p.n, 1);
	ck_assert_uint_le(p.n, c->n);
	ck_assert_uint_le(p.n, 40 * c->nparts);
	ck_assert_uint_eq(p.lo[0], 0);
	ck_assert_uint_eq(p.lo[p.n], c->n);
	for (i = 0; i < p.n; i++)
		ck_assert_uint_lt(p.lo[i], p.lo[i + 1]);
	seen = xcalloc(p.n, 1);
	for (i = 0; i < p.n; i++) {
		ck_assert_uint_lt(p.order[i], p.n);
		ck_assert_int_eq(seen[p.order[i]]++, 0);
		cost = plan_cost(m, p.lo[p.order[i]], p.lo[p.order[i] + 1]);
		ck_assert_uint_le(cost, prev);
		prev = cost;
	}
	/* The last chunk taken: a sixty-fourth of a part's share, unless a
	 * single member is more. */
	last = plan_cost(m, p.lo[p.order[p.n - 1]], p.lo[p.order[p.n - 1] + 1]);
	if (p.lo[p.order[p.n - 1] + 1] - p.lo[p.order[p.n - 1]] > 1)
		ck_assert_uint_le(last, total / (c->nparts * 64) + 1);
	/* A member bigger than any chunk is a chunk of its own, taken first. */
	if (strncmp(c->shape, "big", 3) == 0) {
		i = p.order[0];
		ck_assert_uint_eq(p.lo[i + 1] - p.lo[i], 1);
		ck_assert_uint_eq(m[p.lo[i]].size, (uint64_t)500 << 20);
	}
	free(seen);
	unpack_plan_free(&p);
	free(m);
}
END_TEST

static Suite *
unpack_suite(void)
{
	Suite	*s = suite_create("unpack");
	TCase	*tc = tcase_create("core");

	have_mkwheel = kit_can_mkwheel();
	tcase_add_checked_fixture(tc, kit_setup, kit_teardown);
	tcase_add_loop_test(tc, test_unpack, 0, ARRAY_SIZE(unpack_cases));
	tcase_add_test(tc, test_scripts_marked);
	tcase_add_loop_test(tc, test_plan, 0, ARRAY_SIZE(plan_cases));
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(unpack_suite)
