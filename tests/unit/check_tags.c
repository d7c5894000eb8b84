/*
 * check_tags.c: wheel filename parsing, the supported-tag list computed
 * from synthetic interpreter facts, and ranking.
 *
 * The tag expectations below were produced once by running packaging's own
 * building blocks (pip 24.2's vendored packaging 24.1 on Python 3.13.0):
 * for each set of facts, sysconfig.get_platform, tags._get_config_var,
 * _manylinux._get_glibc_version, _manylinux._have_compatible_abi and
 * _musllinux._get_musl_version were replaced by functions answering from
 * the facts, then
 *
 *   plats = list(tags._linux_platforms(is_32bit=pointer_bits == "32"))
 *   cpython_tags((X, Y), platforms=plats)   (generic_tags for PyPy)
 *     + compatible_tags((X, Y), "cpXY" or "pp3", plats)
 *
 * which is what sys_tags() yields on such an interpreter.  Each case keeps
 * the tag count, the FNV-1a 64 hash of all tags as "py-abi-plat\n" lines
 * in order, a few tags at fixed positions, and the rank packaging gives
 * some wheel filenames (the best position over their tag sets).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tags.h"
#include "target.h"
#include "util.h"
#include "testkit.h"

/* ---- filenames ---------------------------------------------------- */

struct name_case {
	const char	*file;
	const char	*name;		/* NULL: invalid */
	const char	*version;
	const char	*build;
	unsigned long	 build_num;
	const char	*build_rest;
	const char	*py;		/* the sets joined with '.' again */
	const char	*abi;
	const char	*plat;
};

static const struct name_case name_cases[] = {
	/* A name must start and end with a letter or digit: ".." would
	 * otherwise become a path component (the headers directory). */
	{ "..-1.0-py3-none-any.whl", NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL },
	{ ".pkg-1.0-py3-none-any.whl", NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL },
	{ "pkg.-1.0-py3-none-any.whl", NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL },
	{ "six-1.16.0-py2.py3-none-any.whl", "six", "1.16.0", NULL, 0, NULL,
	    "py2.py3", "none", "any" },
	{ "Foo.Bar_baz-2.0-cp311-cp311-linux_x86_64.whl", "Foo.Bar_baz",
	    "2.0", NULL, 0, NULL, "cp311", "cp311", "linux_x86_64" },
	{ "numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
	    "numpy", "2.0.0", NULL, 0, NULL, "cp311", "cp311",
	    "manylinux_2_17_x86_64.manylinux2014_x86_64" },
	{ "pkg-1.0-1-py3-none-any.whl", "pkg", "1.0", "1", 1, "", "py3",
	    "none", "any" },
	{ "pkg-1.0-12abc-py3-none-any.whl", "pkg", "1.0", "12abc", 12, "abc",
	    "py3", "none", "any" },
	{ "pkg-1.0-007_x-py3-none-any.whl", "pkg", "1.0", "007_x", 7, "_x",
	    "py3", "none", "any" },
	{ "pkg-1.0.post1.dev2+local.1-py3-none-any.whl", "pkg",
	    "1.0.post1.dev2+local.1", NULL, 0, NULL, "py3", "none", "any" },
	{ "pkg-1!2.0rc1-py2.py3-cp37m.abi3-any.whl", "pkg", "1!2.0rc1", NULL,
	    0, NULL, "py2.py3", "cp37m.abi3", "any" },
	{ "x-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl", "x", "1.0",
	    NULL, 0, NULL, "pp310", "pypy310_pp73", "manylinux_2_17_x86_64" },
	/* invalid */
	{ "six-1.16.0-py2.py3-none-any.zip", NULL, NULL, NULL, 0, NULL, NULL,
	    NULL, NULL },
	{ ".whl", NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL },
	{ "six-1.16.0-py3-none.whl", NULL, NULL, NULL, 0, NULL, NULL, NULL,
	    NULL },
	{ "a-b-1.0-1-py3-none-any.whl", NULL, NULL, NULL, 0, NULL, NULL, NULL,
	    NULL },
	{ "pkg-1.0-x1-py3-none-any.whl", NULL, NULL, NULL, 0, NULL, NULL,
	    NULL, NULL },
	{ "pkg-1.0--py3-none-any.whl", NULL, NULL, NULL, 0, NULL, NULL, NULL,
	    NULL },
	{ "pkg-not_a_version-py3-none-any.whl", NULL, NULL, NULL, 0, NULL,
	    NULL, NULL, NULL },
	{ "p/kg-1.0-py3-none-any.whl", NULL, NULL, NULL, 0, NULL, NULL, NULL,
	    NULL },
	{ "pk__g-1.0-py3-none-any.whl", NULL, NULL, NULL, 0, NULL, NULL, NULL,
	    NULL },
	{ "pkg-1.0-py3..py2-none-any.whl", NULL, NULL, NULL, 0, NULL, NULL,
	    NULL, NULL },
	{ "pkg-1.0-py3-none-any..whl", NULL, NULL, NULL, 0, NULL, NULL, NULL,
	    NULL },
	{ "pkg-1.0-py3-no ne-any.whl", NULL, NULL, NULL, 0, NULL, NULL, NULL,
	    NULL },
	{ "pkg-1.0-99999999999999999999999-py3-none-any.whl", NULL, NULL, NULL,
	    0, NULL, NULL, NULL, NULL },
	{ "pkg-1.0-py3-none-any.WHL", NULL, NULL, NULL, 0, NULL, NULL, NULL,
	    NULL },
};

static char *
join(const struct strv *sv)
{
	struct buf	 b = BUF_INIT;
	size_t		 i;

	for (i = 0; i < sv->n; i++)
		buf_addf(&b, "%s%s", i ? "." : "", sv->v[i]);
	return buf_detach(&b);
}

static void
check_set(const struct strv *sv, const char *want)
{
	char	*got = join(sv);

	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_wheel_name)
{
	const struct name_case *c = &name_cases[_i];
	struct wheel_name	 wn;
	int			 r = wheel_name_parse(c->file, &wn);

	if (c->name == NULL) {
		ck_assert_msg(r == -1, "'%s' should be rejected", c->file);
		ck_assert(str_starts(err_get(), "invalid wheel filename: "));
		ck_assert(wn.name == NULL && wn.py.n == 0);
		return;
	}
	ck_assert_msg(r == 0, "'%s': %s", c->file, err_get());
	ck_assert_str_eq(wn.name, c->name);
	ck_assert_str_eq(wn.version, c->version);
	if (c->build == NULL)
		ck_assert(wn.build == NULL);
	else {
		ck_assert_str_eq(wn.build, c->build);
		ck_assert_uint_eq(wn.build_num, c->build_num);
		ck_assert_str_eq(wn.build_rest, c->build_rest);
	}
	check_set(&wn.py, c->py);
	check_set(&wn.abi, c->abi);
	check_set(&wn.plat, c->plat);
	wheel_name_free(&wn);
}
END_TEST

START_TEST(test_wheel_name_norm)
{
	struct wheel_name	 wn;

	ck_assert_int_eq(wheel_name_parse(
	    "Foo.Bar_baz-2.0-py3-none-any.whl", &wn), 0);
	ck_assert_str_eq(wn.norm, "foo-bar-baz");
	wheel_name_free(&wn);
	ck_assert_int_eq(wheel_name_parse("x-1.0-py3-none.whl", &wn), -1);
	ck_assert_str_eq(err_get(), "invalid wheel filename: "
	    "'x-1.0-py3-none.whl': expected "
	    "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl");
}
END_TEST

START_TEST(test_build_order)
{
	/* increasing: no build tag, then (number, rest) */
	static const char *const files[] = {
		"p-1.0-py3-none-any.whl",
		"p-1.0-1-py3-none-any.whl",
		"p-1.0-1a-py3-none-any.whl",
		"p-1.0-1b-py3-none-any.whl",
		"p-1.0-2-py3-none-any.whl",
		"p-1.0-10-py3-none-any.whl",
		"p-1.0-10_x-py3-none-any.whl",
	};
	struct wheel_name	 a, b;
	size_t			 i, j;
	int			 c;

	for (i = 0; i < ARRAY_SIZE(files); i++)
		for (j = 0; j < ARRAY_SIZE(files); j++) {
			ck_assert_int_eq(wheel_name_parse(files[i], &a), 0);
			ck_assert_int_eq(wheel_name_parse(files[j], &b), 0);
			c = wheel_build_cmp(&a, &b);
			ck_assert_msg((c > 0) - (c < 0) == (i > j) - (i < j),
			    "%s vs %s", files[i], files[j]);
			wheel_name_free(&a);
			wheel_name_free(&b);
		}
}
END_TEST

/* ---- supported tags ---------------------------------------------- */

struct spot {
	size_t		 i;
	const char	*tag;
};

struct rank_case {
	const char	*file;
	long		 rank;
};

struct tag_case {
	const char	*name;
	const char	*facts;
	size_t		 n;
	unsigned long long hash;
	struct spot	 spots[8];
	struct rank_case ranks[12];
};

/* generated by packaging 24.1 */
static const struct tag_case cp311_glibc236 = {
	"cp311_glibc236",
	"implementation_name=cpython\nversion_micro=0\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=11\n"
	"py_version_nodot=311\nplatform=linux-x86_64\nlibc=glibc\n"
	"libc_version=2.36\npointer_bits=64\n",
	914, 0xb2b113b104ccac80ULL,
	{
		{ 0, "cp311-cp311-manylinux_2_36_x86_64" },
		{ 1, "cp311-cp311-manylinux_2_35_x86_64" },
		{ 304, "cp35-abi3-manylinux_2_20_x86_64" },
		{ 457, "py311-none-manylinux_2_12_x86_64" },
		{ 609, "py38-none-manylinux_2_5_x86_64" },
		{ 912, "py31-none-any" },
		{ 913, "py30-none-any" },
	},
	{
		{ "six-1.16.0-py2.py3-none-any.whl", 902 },
		{ "numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 19 },
		{ "cryptography-43.0.0-cp39-abi3-manylinux_2_28_x86_64.whl", 152 },
		{ "x-1.0-cp311-cp311-musllinux_1_1_x86_64.whl", -1 },
		{ "x-1.0-py3-none-linux_x86_64.whl", 503 },
		{ "x-1.0-cp37-cp37m-manylinux1_x86_64.whl", -1 },
		{ "x-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl", -1 },
		{ "x-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl", -1 },
		{ "x-1.0-cp311-none-any.whl", 900 },
		{ "x-1.0-py30-none-any.whl", 913 },
	},
};

static const struct tag_case cp311_glibc217 = {
	"cp311_glibc217",
	"implementation_name=cpython\nversion_micro=0\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=11\n"
	"py_version_nodot=311\nplatform=linux-x86_64\nlibc=glibc\n"
	"libc_version=2.17\npointer_bits=64\n",
	439, 0x8a7e3f33610d4ca8ULL,
	{
		{ 0, "cp311-cp311-manylinux_2_17_x86_64" },
		{ 1, "cp311-cp311-manylinux2014_x86_64" },
		{ 146, "cp35-abi3-manylinux_2_9_x86_64" },
		{ 219, "py311-none-manylinux1_x86_64" },
		{ 292, "py37-none-manylinux_2_15_x86_64" },
		{ 437, "py31-none-any" },
		{ 438, "py30-none-any" },
	},
	{
		{ "six-1.16.0-py2.py3-none-any.whl", 427 },
		{ "numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 0 },
		{ "cryptography-43.0.0-cp39-abi3-manylinux_2_28_x86_64.whl", -1 },
		{ "x-1.0-cp311-cp311-musllinux_1_1_x86_64.whl", -1 },
		{ "x-1.0-py3-none-linux_x86_64.whl", 237 },
		{ "x-1.0-cp37-cp37m-manylinux1_x86_64.whl", -1 },
		{ "x-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl", -1 },
		{ "x-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl", -1 },
		{ "x-1.0-cp311-none-any.whl", 425 },
		{ "x-1.0-py30-none-any.whl", 438 },
	},
};

static const struct tag_case cp311_musl = {
	"cp311_musl",
	"implementation_name=cpython\nversion_micro=0\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=11\n"
	"py_version_nodot=311\nplatform=linux-x86_64\nlibc=musl\n"
	"libc_version=1.2.4\npointer_bits=64\n",
	114, 0xf382ceaad1dcd3b6ULL,
	{
		{ 0, "cp311-cp311-musllinux_1_2_x86_64" },
		{ 1, "cp311-cp311-musllinux_1_1_x86_64" },
		{ 38, "cp34-abi3-musllinux_1_0_x86_64" },
		{ 57, "py310-none-musllinux_1_1_x86_64" },
		{ 76, "py35-none-musllinux_1_2_x86_64" },
		{ 112, "py31-none-any" },
		{ 113, "py30-none-any" },
	},
	{
		{ "six-1.16.0-py2.py3-none-any.whl", 102 },
		{ "numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", -1 },
		{ "cryptography-43.0.0-cp39-abi3-manylinux_2_28_x86_64.whl", -1 },
		{ "x-1.0-cp311-cp311-musllinux_1_1_x86_64.whl", 1 },
		{ "x-1.0-py3-none-linux_x86_64.whl", 55 },
		{ "x-1.0-cp37-cp37m-manylinux1_x86_64.whl", -1 },
		{ "x-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl", -1 },
		{ "x-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl", -1 },
		{ "x-1.0-cp311-none-any.whl", 100 },
		{ "x-1.0-py30-none-any.whl", 113 },
	},
};

static const struct tag_case cp310_i686 = {
	"cp310_i686",
	"implementation_name=cpython\nversion_micro=0\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=10\n"
	"py_version_nodot=310\nplatform=linux-x86_64\nlibc=glibc\n"
	"libc_version=2.31\npointer_bits=32\n",
	726, 0x3ffee8adbd401226ULL,
	{
		{ 0, "cp310-cp310-manylinux_2_31_i686" },
		{ 1, "cp310-cp310-manylinux_2_30_i686" },
		{ 242, "cp35-abi3-manylinux_2_8_i686" },
		{ 363, "py310-none-manylinux_2_11_i686" },
		{ 484, "py37-none-manylinux_2_13_i686" },
		{ 724, "py31-none-any" },
		{ 725, "py30-none-any" },
	},
	{
		{ "x-1.0-cp310-cp310-manylinux2010_i686.whl", 21 },
		{ "x-1.0-cp310-cp310-manylinux2010_x86_64.whl", -1 },
		{ "x-1.0-cp310-cp310-linux_i686.whl", 30 },
	},
};

static const struct tag_case cp312_aarch64 = {
	"cp312_aarch64",
	"implementation_name=cpython\nversion_micro=0\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=12\n"
	"py_version_nodot=312\nplatform=linux-aarch64\nlibc=glibc\n"
	"libc_version=2.28\npointer_bits=64\n",
	393, 0xd9b8dbe1808fb6a4ULL,
	{
		{ 0, "cp312-cp312-manylinux_2_28_aarch64" },
		{ 1, "cp312-cp312-manylinux_2_27_aarch64" },
		{ 131, "cp35-abi3-manylinux_2_23_aarch64" },
		{ 196, "py3-none-manylinux_2_28_aarch64" },
		{ 262, "py38-none-manylinux_2_18_aarch64" },
		{ 391, "py31-none-any" },
		{ 392, "py30-none-any" },
	},
	{
		{ "x-1.0-cp312-cp312-manylinux2014_aarch64.whl", 12 },
		{ "x-1.0-cp312-cp312-manylinux_2_12_aarch64.whl", -1 },
		{ "x-1.0-cp312-abi3-manylinux_2_28_aarch64.whl", 14 },
	},
};

static const struct tag_case cp312_armv8l = {
	"cp312_armv8l",
	"implementation_name=cpython\nversion_micro=0\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=12\n"
	"py_version_nodot=312\nplatform=linux-aarch64\nlibc=glibc\n"
	"libc_version=2.31\npointer_bits=32\n",
	933, 0xff4acbdeb2e65788ULL,
	{
		{ 0, "cp312-cp312-manylinux_2_31_armv8l" },
		{ 1, "cp312-cp312-manylinux_2_30_armv8l" },
		{ 311, "cp35-abi3-manylinux_2_26_armv8l" },
		{ 466, "py312-none-manylinux_2_23_armv7l" },
		{ 622, "py38-none-manylinux_2_21_armv8l" },
		{ 931, "py31-none-any" },
		{ 932, "py30-none-any" },
	},
	{
		{ "x-1.0-cp312-cp312-manylinux_2_31_armv7l.whl", 16 },
		{ "x-1.0-cp312-cp312-linux_armv8l.whl", 32 },
	},
};

static const struct tag_case cp39_debug = {
	"cp39_debug",
	"implementation_name=cpython\nversion_micro=0\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=9\n"
	"py_version_nodot=39\npy_debug=1\nplatform=linux-x86_64\n"
	"libc=glibc\nlibc_version=2.36\npointer_bits=64\n",
	804, 0xb39f42aa9d5aa147ULL,
	{
		{ 0, "cp39-cp39d-manylinux_2_36_x86_64" },
		{ 1, "cp39-cp39d-manylinux_2_35_x86_64" },
		{ 268, "cp35-abi3-manylinux_2_20_x86_64" },
		{ 402, "py39-none-manylinux_2_30_x86_64" },
		{ 536, "py37-none-manylinux_2_6_x86_64" },
		{ 802, "py31-none-any" },
		{ 803, "py30-none-any" },
	},
	{
		{ "x-1.0-cp39-cp39d-linux_x86_64.whl", 35 },
		{ "x-1.0-cp39-cp39-linux_x86_64.whl", 71 },
		{ "x-1.0-cp39-abi3-linux_x86_64.whl", 107 },
	},
};

static const struct tag_case cp37_pymalloc = {
	"cp37_pymalloc",
	"implementation_name=cpython\nversion_micro=0\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=7\n"
	"py_version_nodot=37\nwith_pymalloc=1\n"
	"platform=linux-x86_64\nlibc=glibc\nlibc_version=2.36\n"
	"pointer_bits=64\n",
	622, 0x98712feebc2692d3ULL,
	{
		{ 0, "cp37-cp37m-manylinux_2_36_x86_64" },
		{ 1, "cp37-cp37m-manylinux_2_35_x86_64" },
		{ 207, "cp34-abi3-manylinux_2_11_x86_64" },
		{ 311, "py37-none-manylinux_2_14_x86_64" },
		{ 414, "py35-none-manylinux_2_18_x86_64" },
		{ 620, "py31-none-any" },
		{ 621, "py30-none-any" },
	},
	{
		{ "x-1.0-cp37-cp37m-manylinux1_x86_64.whl", 34 },
		{ "x-1.0-cp37-cp37-manylinux1_x86_64.whl", -1 },
	},
};

static const struct tag_case cp37_debug = {
	"cp37_debug",
	"implementation_name=cpython\nversion_micro=0\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=7\n"
	"py_version_nodot=37\npy_debug=1\nwith_pymalloc=1\n"
	"platform=linux-x86_64\nlibc=glibc\nlibc_version=2.36\n"
	"pointer_bits=64\n",
	622, 0xfd751fdd79b7e18dULL,
	{
		{ 0, "cp37-cp37dm-manylinux_2_36_x86_64" },
		{ 1, "cp37-cp37dm-manylinux_2_35_x86_64" },
		{ 207, "cp34-abi3-manylinux_2_11_x86_64" },
		{ 311, "py37-none-manylinux_2_14_x86_64" },
		{ 414, "py35-none-manylinux_2_18_x86_64" },
		{ 620, "py31-none-any" },
		{ 621, "py30-none-any" },
	},
	{
		{ "x-1.0-cp37-cp37dm-linux_x86_64.whl", 35 },
		{ "x-1.0-cp37-cp37m-linux_x86_64.whl", -1 },
	},
};

static const struct tag_case cp313t = {
	"cp313t",
	"implementation_name=cpython\nversion_micro=0\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=13\n"
	"py_version_nodot=313\npy_gil_disabled=1\n"
	"platform=linux-x86_64\nlibc=glibc\nlibc_version=2.36\n"
	"pointer_bits=64\n",
	628, 0x9a5545df6fb7d69bULL,
	{
		{ 0, "cp313-cp313t-manylinux_2_36_x86_64" },
		{ 1, "cp313-cp313t-manylinux_2_35_x86_64" },
		{ 209, "py311-none-manylinux_2_9_x86_64" },
		{ 314, "py38-none-manylinux2010_x86_64" },
		{ 418, "py35-none-manylinux_2_15_x86_64" },
		{ 626, "py31-none-any" },
		{ 627, "py30-none-any" },
	},
	{
		{ "x-1.0-cp313-cp313t-manylinux_2_17_x86_64.whl", 19 },
		{ "x-1.0-cp313-abi3-manylinux_2_17_x86_64.whl", -1 },
		{ "x-1.0-cp313-cp313-linux_x86_64.whl", -1 },
		{ "x-1.0-cp313-none-any.whl", 612 },
	},
};

static const struct tag_case pp310 = {
	"pp310",
	"implementation_name=pypy\nversion_micro=14\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=10\n"
	"py_version_nodot=310\n"
	"ext_suffix=.pypy310-pp73-x86_64-linux-gnu.so\n"
	"platform=linux-x86_64\nlibc=glibc\nlibc_version=2.36\n"
	"pointer_bits=64\n",
	517, 0x3b7459e39feac0e6ULL,
	{
		{ 0, "pp310-pypy310_pp73-manylinux_2_36_x86_64" },
		{ 1, "pp310-pypy310_pp73-manylinux_2_35_x86_64" },
		{ 172, "py39-none-manylinux_2_10_x86_64" },
		{ 258, "py36-none-manylinux_2_30_x86_64" },
		{ 344, "py34-none-manylinux2014_x86_64" },
		{ 515, "py31-none-any" },
		{ 516, "py30-none-any" },
	},
	{
		{ "x-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl", 19 },
		{ "x-1.0-pp3-none-any.whl", 504 },
		{ "x-1.0-cp310-cp310-linux_x86_64.whl", -1 },
		{ "x-1.0-py3-none-any.whl", 506 },
	},
};

static const struct tag_case cp311_ppc = {
	"cp311_ppc",
	"implementation_name=cpython\nversion_micro=0\n"
	"platform_system=Linux\nversion_major=3\nversion_minor=11\n"
	"py_version_nodot=311\nplatform=linux-ppc\nlibc=glibc\n"
	"libc_version=2.36\npointer_bits=32\n",
	39, 0x39bc4ad877d5bd92ULL,
	{
		{ 0, "cp311-cp311-linux_ppc" },
		{ 1, "cp311-abi3-linux_ppc" },
		{ 13, "py3-none-linux_ppc" },
		{ 19, "py35-none-linux_ppc" },
		{ 26, "py311-none-any" },
		{ 37, "py31-none-any" },
		{ 38, "py30-none-any" },
	},
	{
		{ "x-1.0-cp311-cp311-linux_ppc.whl", 0 },
		{ "x-1.0-cp311-cp311-manylinux_2_17_ppc.whl", -1 },
	},
};

static const struct tag_case *const tag_cases[] = {
	&cp311_glibc236, &cp311_glibc217, &cp311_musl, &cp310_i686,
	&cp312_aarch64, &cp312_armv8l, &cp39_debug, &cp37_pymalloc,
	&cp37_debug, &cp313t, &pp310, &cp311_ppc,
};

static void
load(const char *facts, struct pyinfo *info, struct taglist *tl)
{
	ck_assert_int_eq(pyinfo_parse(facts, strlen(facts), info), 0);
	ck_assert_msg(tags_compute(info, tl) == 0, "%s", err_get());
}

START_TEST(test_tags_compute)
{
	const struct tag_case *c = tag_cases[_i];
	unsigned long long h = 0xcbf29ce484222325ULL;
	struct pyinfo	 info;
	struct taglist	 tl;
	struct buf	 b = BUF_INIT;
	size_t		 i, j;

	load(c->facts, &info, &tl);
	ck_assert_msg(tl.n == c->n, "%s: %zu tags, want %zu", c->name, tl.n,
	    c->n);
	for (i = 0; i < tl.n; i++) {
		buf_reset(&b);
		buf_addf(&b, "%s-%s-%s\n", tl.v[i].py, tl.v[i].abi,
		    tl.v[i].plat);
		for (j = 0; j < b.len; j++)
			h = (h ^ (unsigned char)b.p[j]) * 0x100000001b3ULL;
		/* every tag is found at its first position */
		ck_assert(tags_find(&tl, tl.v[i].py, tl.v[i].abi,
		    tl.v[i].plat) <= (long)i);
	}
	for (i = 0; i < ARRAY_SIZE(c->spots) && c->spots[i].tag; i++) {
		buf_reset(&b);
		buf_addf(&b, "%s-%s-%s", tl.v[c->spots[i].i].py,
		    tl.v[c->spots[i].i].abi, tl.v[c->spots[i].i].plat);
		ck_assert_msg(strcmp(b.p, c->spots[i].tag) == 0,
		    "%s: tag %zu is %s, want %s", c->name, c->spots[i].i, b.p,
		    c->spots[i].tag);
	}
	ck_assert_msg(h == c->hash, "%s: tag list differs from packaging's",
	    c->name);
	buf_free(&b);
	taglist_free(&tl);
	pyinfo_free(&info);
}
END_TEST

START_TEST(test_tags_rank)
{
	const struct tag_case *c = tag_cases[_i];
	const struct rank_case *r;
	struct wheel_name wn;
	struct pyinfo	 info;
	struct taglist	 tl;
	size_t		 i;

	load(c->facts, &info, &tl);
	for (i = 0; i < ARRAY_SIZE(c->ranks) && c->ranks[i].file; i++) {
		r = &c->ranks[i];
		ck_assert_int_eq(wheel_name_parse(r->file, &wn), 0);
		ck_assert_msg(tags_rank(&tl, &wn) == r->rank,
		    "%s: %s ranks %ld, want %ld", c->name, r->file,
		    tags_rank(&tl, &wn), r->rank);
		wheel_name_free(&wn);
	}
	ck_assert_int_eq(tags_find(&tl, "py3", "none", "nope"), -1);
	ck_assert_int_eq(tags_find(&tl, "", "", ""), -1);
	taglist_free(&tl);
	pyinfo_free(&info);
}
END_TEST

START_TEST(test_tags_errors)
{
	static const char darwin[] = "implementation_name=cpython\n"
	    "version_major=3\nversion_minor=12\nplatform_system=Darwin\n"
	    "platform=macosx-11.0-arm64\n";
	static const char pypy[] = "implementation_name=pypy\n"
	    "version_major=3\nversion_minor=10\nplatform_system=Linux\n"
	    "platform=linux-x86_64\next_suffix=\n";
	static const char windows[] = "implementation_name=cpython\n"
	    "version_major=3\nversion_minor=12\nplatform_system=Windows\n"
	    "platform=win-amd64\npy_version_nodot=312\n";
	struct pyinfo	 info;
	struct taglist	 tl;

	ck_assert_int_eq(pyinfo_parse(darwin, strlen(darwin), &info), 0);
	ck_assert_int_eq(tags_compute(&info, &tl), -1);
	ck_assert(strstr(err_get(), "macOS") != NULL);
	pyinfo_free(&info);
	ck_assert_int_eq(pyinfo_parse(pypy, strlen(pypy), &info), 0);
	ck_assert_int_eq(tags_compute(&info, &tl), -1);
	ck_assert(strstr(err_get(), "ext_suffix") != NULL);
	pyinfo_free(&info);
	/* elsewhere the platform is used as it is */
	load(windows, &info, &tl);
	ck_assert_str_eq(tl.v[0].plat, "win_amd64");
	ck_assert_int_eq(tags_find(&tl, "cp312", "cp312", "win_amd64"), 0);
	ck_assert_int_eq(tags_find(&tl, "cp312", "none", "any"), (long)tl.n - 15);
	taglist_free(&tl);
	pyinfo_free(&info);
}
END_TEST

static Suite *
tags_suite(void)
{
	Suite	*s = suite_create("tags");
	TCase	*tc;

	tc = tcase_create("filenames");
	tcase_add_loop_test(tc, test_wheel_name, 0, ARRAY_SIZE(name_cases));
	tcase_add_test(tc, test_wheel_name_norm);
	tcase_add_test(tc, test_build_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("supported");
	tcase_add_loop_test(tc, test_tags_compute, 0, ARRAY_SIZE(tag_cases));
	tcase_add_loop_test(tc, test_tags_rank, 0, ARRAY_SIZE(tag_cases));
	tcase_add_test(tc, test_tags_errors);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(tags_suite)
