/*
 * check_version.c: names, PEP 440 parsing, normalization, ordering and
 * specifier sets.  The tables after the hand-written cases were produced
 * by packaging itself, so forklift agrees with pip: they are the output of
 * a short script run once with Python 3.13.0 and pip 24.2, whose vendored
 * packaging 24.1 did the work, roughly:
 *
 *   from pip._vendor.packaging.version import Version
 *   from pip._vendor.packaging.specifiers import SpecifierSet
 *   norm:  str(Version(v)), or NULL on InvalidVersion
 *   order: sorted(vs, key=Version), equal versions sharing one rank
 *   spec:  SpecifierSet(s).contains(v, prereleases=True),
 *          or -1 on InvalidSpecifier
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "version.h"
#include "testkit.h"

struct name_case {
	const char	*in;
	const char	*out;
};

static const struct name_case name_cases[] = {
	{ "Foo.Bar_baz", "foo-bar-baz" },
	{ "foo-bar-baz", "foo-bar-baz" },
	{ "FOO", "foo" },
	{ "a__b--c..d", "a-b-c-d" },
	{ "a-_.b", "a-b" },
	{ "zope.interface", "zope-interface" },
	{ "Django", "django" },
	{ "x", "x" },
	{ "_leading", "-leading" },
	{ "trailing.", "trailing-" },
};

START_TEST(test_name_normalize)
{
	const struct name_case *c = &name_cases[_i];
	char	*n = name_normalize(c->in);

	ck_assert_str_eq(n, c->out);
	ck_assert(name_eq(c->in, c->out));
	free(n);
}
END_TEST

START_TEST(test_name_eq)
{
	ck_assert(name_eq("Foo.Bar_baz", "foo-bar-baz"));
	ck_assert(name_eq("typing_extensions", "Typing-Extensions"));
	ck_assert(!name_eq("foo", "foo-bar"));
	ck_assert(!name_eq("foobar", "foo-bar"));
}
END_TEST

struct norm_case {
	const char	*in;
	const char	*out;	/* NULL: invalid */
};

struct order_case {
	const char	*v;
	int		 rank;
};

struct spec_case {
	const char	*spec;
	const char	*want;	/* '1'/'0' per spec_cands entry; NULL: malformed */
};

/* generated with pip 24.2's vendored packaging 24.1 (3.13.0) */
static const struct norm_case norm_cases[] = {
	{ "1.0", "1.0" },
	{ "1.0.0", "1.0.0" },
	{ "01.02.003", "1.2.3" },
	{ "v1.0", "1.0" },
	{ "V1.0", "1.0" },
	{ "1!2.0", "1!2.0" },
	{ "0!1.0", "1.0" },
	{ "1.0a1", "1.0a1" },
	{ "1.0A1", "1.0a1" },
	{ "1.0alpha1", "1.0a1" },
	{ "1.0-alpha.1", "1.0a1" },
	{ "1.0_a_1", "1.0a1" },
	{ "1.0.a1", "1.0a1" },
	{ "1.0b2", "1.0b2" },
	{ "1.0beta2", "1.0b2" },
	{ "1.0c1", "1.0rc1" },
	{ "1.0rc1", "1.0rc1" },
	{ "1.0pre1", "1.0rc1" },
	{ "1.0preview1", "1.0rc1" },
	{ "1.0-RC-1", "1.0rc1" },
	{ "1.0a", "1.0a0" },
	{ "1.0a.", "1.0a0" },
	{ "1.0rc", "1.0rc0" },
	{ "1.0.post1", "1.0.post1" },
	{ "1.0post1", "1.0.post1" },
	{ "1.0-post1", "1.0.post1" },
	{ "1.0_post_1", "1.0.post1" },
	{ "1.0.rev1", "1.0.post1" },
	{ "1.0r1", "1.0.post1" },
	{ "1.0-r", "1.0.post0" },
	{ "1.0post", "1.0.post0" },
	{ "1.0-1", "1.0.post1" },
	{ "1.0a1-1", "1.0a1.post1" },
	{ "1.0.dev1", "1.0.dev1" },
	{ "1.0dev", "1.0.dev0" },
	{ "1.0-dev-2", "1.0.dev2" },
	{ "1.0_dev", "1.0.dev0" },
	{ "1.0a1.dev1", "1.0a1.dev1" },
	{ "1.0.post1.dev2", "1.0.post1.dev2" },
	{ "1.0a1.post2.dev3", "1.0a1.post2.dev3" },
	{ "1.0+abc", "1.0+abc" },
	{ "1.0+ABC.1", "1.0+abc.1" },
	{ "1.0+abc-007_x", "1.0+abc.7.x" },
	{ "1.0+00", "1.0+0" },
	{ "1.0+1.0", "1.0+1.0" },
	{ "1.0a.post1", "1.0a0.post1" },
	{ "1.0a.-1", "1.0a0.post1" },
	{ "1.0a.+x", "1.0a0+x" },
	{ "1.0-", NULL },
	{ "1.0.", NULL },
	{ ".1", NULL },
	{ "1..0", NULL },
	{ "1.0+", NULL },
	{ "1.0+abc-", NULL },
	{ "1.0++a", NULL },
	{ "1!v1", NULL },
	{ "1.0a1b1", NULL },
	{ "1.0prev1", NULL },
	{ "1.0-1a", NULL },
	{ "1.0dev1post1", NULL },
	{ "foo", NULL },
	{ "1.0.x", NULL },
	{ "1.0\303\251", NULL },
	{ "x1.0", NULL },
	{ "1.0+a_b-c.D", "1.0+a.b.c.d" },
	{ "2014.04", "2014.4" },
	{ "1.0.0.0.0", "1.0.0.0.0" },
	{ "3.13.0t", NULL },
	{ "3.11.7", "3.11.7" },
	{ "3.13.0rc1", "3.13.0rc1" },
	{ "3.10.0b4", "3.10.0b4" },
	{ "0.0.1.dev0", "0.0.1.dev0" },
	{ "1.0-dev", "1.0.dev0" },
	{ "1.0.post", "1.0.post0" },
	{ "1.0_", NULL },
	{ "1.0a1_post1", "1.0a1.post1" },
	{ "  1.0  ", "1.0" },
	{ "\0111.0rc1\012", "1.0rc1" },
	{ "1.0 a1", NULL },
	{ "", NULL },
};

static const struct order_case order_cases[] = {
	{ "1.0.dev0", 0 },
	{ "1.0a0.dev0", 1 },
	{ "1.0a0", 2 },
	{ "1.0a1.dev1", 3 },
	{ "1.0a1", 4 },
	{ "1.0a1.post1.dev1", 5 },
	{ "1.0a1.post1", 6 },
	{ "1.0a2", 7 },
	{ "1.0b1", 8 },
	{ "1.0rc1", 9 },
	{ "1.0c2", 10 },
	{ "1.0", 11 },
	{ "1.0.0", 11 },
	{ "1.0+a", 12 },
	{ "1.0+a.b", 13 },
	{ "1.0+a.0", 14 },
	{ "1.0+b", 15 },
	{ "1.0+0", 16 },
	{ "1.0+1", 17 },
	{ "1.0+1.a", 18 },
	{ "1.0+1.0", 19 },
	{ "1.0+2", 20 },
	{ "1.0+10", 21 },
	{ "1.0.post0.dev0", 22 },
	{ "1.0.post0", 23 },
	{ "1.0.post1", 24 },
	{ "1.0.1.dev0", 25 },
	{ "1.0.1", 26 },
	{ "1.1", 27 },
	{ "1.10", 28 },
	{ "2.0", 29 },
	{ "2.0.0.0", 29 },
	{ "0!3.0", 30 },
	{ "3.9.0rc1", 31 },
	{ "3.9", 32 },
	{ "3.9.0.post1", 33 },
	{ "3.10.0a1", 34 },
	{ "3.10", 35 },
	{ "10.0", 36 },
	{ "1!0.1", 37 },
	{ "1!1.0", 38 },
};

/* candidates, in the order of each row's result string */
static const char *const spec_cands[] = {
	"3.9.0", "3.9.18", "3.10.0", "3.10.0rc1", "3.10.0a1.dev1", "3.10.1",
	"3.11.7", "3.13.0", "4.0", "4.0.0a1", "2.7.18", "1.0",
	"1.0.0", "1.0+abc", "1.0.post1", "1.0.dev0", "1.0a1", "0.9",
	"1.4.5", "1.4.5c2", "1.4.6", "1.5.0", "2.2.post3", "2.9",
	"3.0", "1!3.10.1", "1.0+ABC", "1.0.1", "1!1.0.5", "1.0.1+x",
};

static const struct spec_case spec_cases[] = {
	{ ">=3.8", "111111111100000000000000010010" },
	{ ">=3.8, <4", "111111110000000000000000000000" },
	{ ">=3.8,!=3.9.*,<4", "001111110000000000000000000000" },
	{ "  >= 3.8 ,  != 3.9.* , < 4 ", "001111110000000000000000000000" },
	{ "", "111111111111111111111111111111" },
	{ " , ", "111111111111111111111111111111" },
	{ ">=3.8,,<4", "111111110000000000000000000000" },
	{ "<3.10", "110000000011111111111111101101" },
	{ "<=3.10", "111110000011111111111111101101" },
	{ ">3.10", "000001111100000000000000010010" },
	{ ">=3.10", "001001111100000000000000010010" },
	{ "==3.10", "001000000000000000000000000000" },
	{ "==3.10.*", "001111000000000000000000000000" },
	{ "!=3.10.*", "110000111111111111111111111111" },
	{ "==3.*", "111111110000000000000000100000" },
	{ "==3", "000000000000000000000000100000" },
	{ "!=3.10", "110111111111111111111111111111" },
	{ "<3.10.0rc1", "110010000011111111111111101101" },
	{ ">3.10.0rc1", "001001111100000000000000010010" },
	{ ">=3.10.0rc1", "001101111100000000000000010010" },
	{ "<3.10.0", "110000000011111111111111101101" },
	{ "~=3.10", "001001110000000000000000000000" },
	{ "~=3.10.0", "001001000000000000000000000000" },
	{ "~=3.10.1", "000001000000000000000000000000" },
	{ "~=3.9", "111111110000000000000000000000" },
	{ "~=2.2.post3", "000000000010000000000011000000" },
	{ "~=1.4.5a4", "000000000000000000111000000000" },
	{ "~=1.4.5c1", "000000000000000000110000000000" },
	{ "~=1.4.5.pre1", "000000000000000000110000000000" },
	{ "~=1.4.5.POST1", "000000000000000000000000000000" },
	{ "~=v1.4.5", "000000000000000000000000000000" },
	{ "~=1!3.10", "000000000000000000000000010000" },
	{ ">1.0", "111111111110000000111111110111" },
	{ "<1.0", "000000000000000001000000000000" },
	{ "==1.0+abc", "000000000000010000000000001000" },
	{ "==1.0", "000000000001110000000000001000" },
	{ "!=1.0", "111111111110001111111111110111" },
	{ ">=1.0", "111111111111111000111111111111" },
	{ "<=1.0", "000000000001110111000000001000" },
	{ "===1.0", "000000000001000000000000000000" },
	{ "===1.0.0", "000000000000100000000000000000" },
	{ "===1.0+ABC", "000000000000010000000000001000" },
	{ "==1.0.*", "000000000001111110000000001101" },
	{ "==1.0.0.*", "000000000001111110000000001000" },
	{ "==1.0.0.0.*", "000000000001111110000000001000" },
	{ "==1!1.0.*", "000000000000000000000000000010" },
	{ "== 1.0", "000000000001110000000000001000" },
	{ "==v1.0", "000000000001110000000000001000" },
	{ "==1.0a1", "000000000000000010000000000000" },
	{ "<1.0.post1", "000000000001110001000000001000" },
	{ ">1.0.post1", "111111111110000000111111110111" },
	{ ">1.0.dev0", "111111111111100010111111110111" },
	{ "<1.0.dev0", "000000000000000001000000000000" },
	{ "<1.0a1", "000000000000000101000000000000" },
	{ ">=1.0a1", "111111111111111010111111111111" },
	{ "~=1", NULL },
	{ "~=1.0.*", NULL },
	{ ">=1.0.*", NULL },
	{ "==1.0.*+a", NULL },
	{ "=1.0", NULL },
	{ "1.0", NULL },
	{ ">=", NULL },
	{ ">= 1.0 b", NULL },
	{ "==1.0a1.*", NULL },
	{ "<1.0+abc", NULL },
	{ ">3.9.*", NULL },
	{ "~=1.0+a", NULL },
	{ "===", "000000000000000000000000000000" },
	{ "=== 1.0", "000000000001000000000000000000" },
	{ ">=3.8;", NULL },
	{ "===1.0;", NULL },
	{ "==1.0.dev1.*", NULL },
	{ ">=1.0 ,<2.0", "000000000001111000111100001101" },
	{ "~= 3.9", "111111110000000000000000000000" },
};

START_TEST(test_normalize_table)
{
	const struct norm_case *c = &norm_cases[_i];
	char	*n = version_normalize(c->in);

	if (c->out == NULL) {
		ck_assert_msg(n == NULL, "'%s' should be invalid, got '%s'",
		    c->in, n);
		ck_assert(strstr(err_get(), "invalid version") != NULL);
	} else {
		ck_assert_msg(n != NULL, "'%s': %s", c->in, err_get());
		ck_assert_str_eq(n, c->out);
	}
	free(n);
}
END_TEST

START_TEST(test_order_table)
{
	const struct order_case *a = &order_cases[_i], *b;
	struct version	 va, vb;
	size_t		 j;
	int		 want, got;

	ck_assert_int_eq(version_parse(a->v, &va), 0);
	for (j = 0; j < ARRAY_SIZE(order_cases); j++) {
		b = &order_cases[j];
		ck_assert_int_eq(version_parse(b->v, &vb), 0);
		want = a->rank < b->rank ? -1 : a->rank > b->rank;
		got = version_cmp(&va, &vb);
		got = got < 0 ? -1 : got > 0;
		ck_assert_msg(got == want, "cmp('%s', '%s') = %d, want %d",
		    a->v, b->v, got, want);
		got = version_strcmp(a->v, b->v);
		got = got < 0 ? -1 : got > 0;
		ck_assert_int_eq(got, want);
	}
}
END_TEST

START_TEST(test_spec_table)
{
	const struct spec_case *c = &spec_cases[_i];
	size_t	 j;
	int	 r;

	for (j = 0; j < ARRAY_SIZE(spec_cands); j++) {
		r = version_spec_match(c->spec, spec_cands[j]);
		if (c->want == NULL) {
			ck_assert_msg(r == -1, "'%s' should be malformed",
			    c->spec);
			ck_assert(strstr(err_get(), "invalid specifier") !=
			    NULL);
			break;
		}
		ck_assert_msg(r == c->want[j] - '0',
		    "'%s' contains '%s': got %d, want %c", c->spec,
		    spec_cands[j], r, c->want[j]);
	}
}
END_TEST

START_TEST(test_parse_fields)
{
	struct version	 v;

	ck_assert_int_eq(version_parse("2!1.2.3-RC.4.post5.dev6+Ubuntu-1",
	    &v), 0);
	ck_assert_uint_eq(v.epoch, 2);
	ck_assert_uint_eq(v.nrelease, 3);
	ck_assert_uint_eq(v.release[2], 3);
	ck_assert_int_eq(v.pre_kind, 'c');
	ck_assert_uint_eq(v.pre, 4);
	ck_assert(v.has_post && v.post == 5);
	ck_assert(v.has_dev && v.dev == 6);
	ck_assert_str_eq(v.local, "ubuntu.1");

	ck_assert_int_eq(version_parse("1.0", &v), 0);
	ck_assert(v.pre_kind == 0 && !v.has_post && !v.has_dev);
	ck_assert_str_eq(v.local, "");
}
END_TEST

START_TEST(test_parse_errors)
{
	struct version	 v;
	char		 big[64];
	size_t		 i;

	ck_assert_int_eq(version_parse("1.0-foo", &v), -1);
	ck_assert_str_eq(err_get(), "invalid version '1.0-foo'");
	ck_assert_int_eq(version_parse("99999999999999999999999.0", &v), -1);
	ck_assert(strstr(err_get(), "number too large") != NULL);
	ck_assert_int_eq(version_parse(
	    "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17", &v), -1);
	ck_assert(strstr(err_get(), "release numbers") != NULL);
	strcpy(big, "1+");
	for (i = 2; i < sizeof(big) - 1; i++)
		big[i] = 'a';
	big[i] = '\0';
	ck_assert_int_eq(version_parse(big, &v), 0);
	/* 160 bytes of label do not fit the 128-byte field */
	{
		char	 huge[200];

		memset(huge, 'x', sizeof(huge) - 1);
		huge[0] = '1';
		huge[1] = '+';
		huge[sizeof(huge) - 1] = '\0';
		ck_assert_int_eq(version_parse(huge, &v), -1);
		ck_assert(strstr(err_get(), "local version label") != NULL);
	}
}
END_TEST

START_TEST(test_strcmp_invalid)
{
	ck_assert_int_lt(version_strcmp("1.0", "not-a-version"), 0);
	ck_assert_int_gt(version_strcmp("bogus", "2.0"), 0);
	ck_assert_int_lt(version_strcmp("aaa!", "bbb!"), 0);
	ck_assert_int_eq(version_strcmp("1.0", "1.0.0"), 0);
	ck_assert_int_lt(version_strcmp("1.9", "1.10"), 0);
}
END_TEST

struct hand_spec {
	const char	*spec;
	const char	*version;
	int		 want;
};

/* Requires-Python as wheels write it, against interpreter versions. */
static const struct hand_spec hand_specs[] = {
	{ ">=3.8, !=3.9.*, <4", "3.11.7", 1 },
	{ ">=3.8, !=3.9.*, <4", "3.9.18", 0 },
	{ ">=3.8, !=3.9.*, <4", "3.13.0rc1", 1 },
	{ ">=3.7", "3.13.0a6", 1 },
	{ "<3.13", "3.13.0rc1", 0 },
	{ ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*", "3.6.15", 1 },
	{ ">=3.12", "3.11.7", 0 },
	{ "==3.11.*", "3.11.7", 1 },
	{ "~=3.6", "3.13.0", 1 },
	{ "~=3.6.0", "3.7.0", 0 },
	{ "", "3.11.7", 1 },
	{ ">=3.8", "not a version", -1 },
	{ ">=3.6.*", "3.11.7", -1 },
	{ ">=3.8 <4", "3.11.7", -1 },
};

START_TEST(test_spec_hand)
{
	const struct hand_spec *c = &hand_specs[_i];

	ck_assert_msg(version_spec_match(c->spec, c->version) == c->want,
	    "'%s' vs '%s'", c->spec, c->version);
}
END_TEST

START_TEST(test_pin_matches)
{
	ck_assert_int_eq(version_pin_matches("1.0", "1.0.0"), 1);
	ck_assert_int_eq(version_pin_matches("1.0", "1.0+local"), 1);
	ck_assert_int_eq(version_pin_matches("1.0", "1.0.1"), 0);
	ck_assert_int_eq(version_pin_matches("not a version", "not a version"),
	    1);
	ck_assert_int_eq(version_pin_matches("not a version", "1.0"), 0);
}
END_TEST

static Suite *
version_suite(void)
{
	Suite	*s = suite_create("version");
	TCase	*tc;

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_name_normalize, 0, ARRAY_SIZE(name_cases));
	tcase_add_test(tc, test_name_eq);
	suite_add_tcase(s, tc);

	tc = tcase_create("versions");
	tcase_add_loop_test(tc, test_normalize_table, 0,
	    ARRAY_SIZE(norm_cases));
	tcase_add_loop_test(tc, test_order_table, 0, ARRAY_SIZE(order_cases));
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_strcmp_invalid);
	tcase_add_test(tc, test_pin_matches);
	suite_add_tcase(s, tc);

	tc = tcase_create("specifiers");
	tcase_add_loop_test(tc, test_spec_table, 0, ARRAY_SIZE(spec_cases));
	tcase_add_loop_test(tc, test_spec_hand, 0, ARRAY_SIZE(hand_specs));
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(version_suite)
