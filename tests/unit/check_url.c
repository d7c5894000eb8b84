/*
 * check_url.c: URL parsing, RFC 3986 reference resolution (the examples
 * of section 5.4 and more), project page URLs, credentials (split,
 * redaction, where they may be sent), hash fragments and file names.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "util.h"
#include "testkit.h"

/* RFC 3986 5.4: every reference against http://a/b/c/d;p?q. */
static const struct {
	const char	*ref;
	const char	*want;
} rfc_cases[] = {
	/* 5.4.1 normal examples */
	{ "g:h", "g:h" },
	{ "g", "http://a/b/c/g" },
	{ "./g", "http://a/b/c/g" },
	{ "g/", "http://a/b/c/g/" },
	{ "/g", "http://a/g" },
	{ "//g", "http://g" },
	{ "?y", "http://a/b/c/d;p?y" },
	{ "g?y", "http://a/b/c/g?y" },
	{ "#s", "http://a/b/c/d;p?q#s" },
	{ "g#s", "http://a/b/c/g#s" },
	{ "g?y#s", "http://a/b/c/g?y#s" },
	{ ";x", "http://a/b/c/;x" },
	{ "g;x", "http://a/b/c/g;x" },
	{ "g;x?y#s", "http://a/b/c/g;x?y#s" },
	{ "", "http://a/b/c/d;p?q" },
	{ ".", "http://a/b/c/" },
	{ "./", "http://a/b/c/" },
	{ "..", "http://a/b/" },
	{ "../", "http://a/b/" },
	{ "../g", "http://a/b/g" },
	{ "../..", "http://a/" },
	{ "../../", "http://a/" },
	{ "../../g", "http://a/g" },
	/* 5.4.2 abnormal examples */
	{ "../../../g", "http://a/g" },
	{ "../../../../g", "http://a/g" },
	{ "/./g", "http://a/g" },
	{ "/../g", "http://a/g" },
	{ "g.", "http://a/b/c/g." },
	{ ".g", "http://a/b/c/.g" },
	{ "g..", "http://a/b/c/g.." },
	{ "..g", "http://a/b/c/..g" },
	{ "./../g", "http://a/b/g" },
	{ "./g/.", "http://a/b/c/g/" },
	{ "g/./h", "http://a/b/c/g/h" },
	{ "g/../h", "http://a/b/c/h" },
	{ "g;x=1/./y", "http://a/b/c/g;x=1/y" },
	{ "g;x=1/../y", "http://a/b/c/y" },
	{ "g?y/./x", "http://a/b/c/g?y/./x" },
	{ "g?y/../x", "http://a/b/c/g?y/../x" },
	{ "g#s/./x", "http://a/b/c/g#s/./x" },
	{ "g#s/../x", "http://a/b/c/g#s/../x" },
	{ "http:g", "http:g" },		/* strict parsers, as 5.4.2 says */
};

START_TEST(test_rfc_examples)
{
	char	*got = url_resolve("http://a/b/c/d;p?q", rfc_cases[_i].ref);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strcmp(got, rfc_cases[_i].want) == 0, "'%s': got '%s', want '%s'",
	    rfc_cases[_i].ref, got, rfc_cases[_i].want);
	free(got);
}
END_TEST

/* What indexes write. */
static const struct {
	const char	*base;
	const char	*ref;
	const char	*want;
} index_cases[] = {
	{ "https://pypi.org/simple/six/", "../../packages/ab/six-1.0-py3-none-any.whl#sha256=00",
	  "https://pypi.org/packages/ab/six-1.0-py3-none-any.whl#sha256=00" },
	{ "https://h/simple/six/", "six-1.0.whl", "https://h/simple/six/six-1.0.whl" },
	{ "https://h/simple/six", "six-1.0.whl", "https://h/simple/six-1.0.whl" },
	{ "https://h", "x.whl", "https://h/x.whl" },
	{ "https://h/simple/six/", "//files.example/x.whl", "https://files.example/x.whl" },
	{ "https://h/simple/six/", "  x y.whl \n", "https://h/simple/six/x%20y.whl" },
	{ "https://h/simple/six/", "HTTPS://Other/x.whl", "https://Other/x.whl" },
	{ "https://u:p@h/simple/six/", "/f/x.whl", "https://u:p@h/f/x.whl" },
	{ "https://[::1]:8080/simple/six/", "../../f/x.whl", "https://[::1]:8080/f/x.whl" },
	{ "file:///srv/simple/six/", "x.whl", "file:///srv/simple/six/x.whl" },
	{ "https://h/a?q=1", "#frag", "https://h/a?q=1#frag" },
	{ "https://h/a/b", "?q", "https://h/a/b?q" },
	{ "https://h/a/b\xc3\xa9/", "c", "https://h/a/b%C3%A9/c" },
};

START_TEST(test_resolve_index)
{
	char	*got = url_resolve(index_cases[_i].base, index_cases[_i].ref);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strcmp(got, index_cases[_i].want) == 0, "'%s' + '%s': got '%s'",
	    index_cases[_i].base, index_cases[_i].ref, got);
	free(got);
}
END_TEST

START_TEST(test_resolve_bad_base)
{
	ck_assert_ptr_null(url_resolve("/relative/", "x"));
	ck_assert_str_eq(err_get(), "base URL is not absolute");
}
END_TEST

static const struct {
	const char	*in;
	const char	*scheme, *user, *password, *host, *port, *path, *query, *frag;
	unsigned int	 portnum;
} parse_cases[] = {
	{ "https://pypi.org/simple/", "https", NULL, NULL, "pypi.org", NULL,
	  "/simple/", NULL, NULL, 443 },
	{ "HTTP://User:P%40ss%3Aw@Example.COM:8080/a/b?x=1&y#f", "http", "User",
	  "P@ss:w", "example.com", "8080", "/a/b", "x=1&y", "f", 8080 },
	{ "https://token@h/", "https", "token", NULL, "h", NULL, "/", NULL, NULL, 443 },
	{ "https://u:@h", "https", "u", "", "h", NULL, "", NULL, NULL, 443 },
	{ "http://[::1]:9/x", "http", NULL, NULL, "[::1]", "9", "/x", NULL, NULL, 9 },
	{ "http://[FE80::1]/", "http", NULL, NULL, "[fe80::1]", NULL, "/", NULL, NULL, 80 },
	{ "file:///tmp/x.whl", "file", NULL, NULL, "", NULL, "/tmp/x.whl", NULL, NULL, 0 },
	{ "http://h:/p", "http", NULL, NULL, "h", NULL, "/p", NULL, NULL, 80 },
	{ "http://a@b@h/p", "http", "a@b", NULL, "h", NULL, "/p", NULL, NULL, 80 },
	{ "https://h?q", "https", NULL, NULL, "h", NULL, "", "q", NULL, 443 },
	{ "mailto:x@y", "mailto", NULL, NULL, NULL, NULL, "x@y", NULL, NULL, 0 },
};

#define ck_str_or_null(got, want) do {					\
	if ((want) == NULL)						\
		ck_assert_msg((got) == NULL, "%s: '%s' not NULL",	\
		    parse_cases[_i].in, (got));				\
	else {								\
		ck_assert_ptr_nonnull(got);				\
		ck_assert_str_eq((got), (want));			\
	}								\
} while (0)

START_TEST(test_parse)
{
	struct url	u;

	ck_assert_msg(url_parse(parse_cases[_i].in, &u) == 0, "%s: %s",
	    parse_cases[_i].in, err_get());
	ck_assert_str_eq(u.scheme, parse_cases[_i].scheme);
	ck_str_or_null(u.user, parse_cases[_i].user);
	ck_str_or_null(u.password, parse_cases[_i].password);
	ck_str_or_null(u.host, parse_cases[_i].host);
	ck_str_or_null(u.port, parse_cases[_i].port);
	ck_assert_str_eq(u.path, parse_cases[_i].path);
	ck_str_or_null(u.query, parse_cases[_i].query);
	ck_str_or_null(u.fragment, parse_cases[_i].frag);
	ck_assert_uint_eq(url_port_num(&u), parse_cases[_i].portnum);
	url_free(&u);
}
END_TEST

static const struct {
	const char	*in;
	const char	*err;
} bad_cases[] = {
	{ "/simple/", "not an absolute URL (no scheme)" },
	{ "simple", "not an absolute URL (no scheme)" },
	{ "https://h:99999/", "port out of range in URL" },
	{ "https://h:8x/", "invalid port in URL" },
	{ "https://[::1/", "unterminated IPv6 address in URL" },
	{ "https://[::1]x/", "invalid character after the IPv6 address in URL" },
	{ "https://[g::1]/", "invalid IPv6 address in URL" },
	{ "https:///x", "URL has no host" },
	{ "https://u:secret@/x", "URL has no host" },
	{ "https://h/a b", "URL contains a space or control character" },
	{ "https://h/a\n", "URL contains a space or control character" },
};

START_TEST(test_parse_bad)
{
	struct url	u;

	ck_assert_int_eq(url_parse(bad_cases[_i].in, &u), -1);
	ck_assert_str_eq(err_get(), bad_cases[_i].err);
	ck_assert_ptr_null(strstr(err_get(), "secret"));
	url_free(&u);
}
END_TEST

static const struct {
	const char	*in;
	int		 flags;
	const char	*want;
} format_cases[] = {
	{ "https://u:p%40w@h:1/a?b#c", 0, "https://u:p%40w@h:1/a?b#c" },
	{ "https://u:p%40w@h:1/a?b#c", URL_REDACT, "https://u:****@h:1/a?b#c" },
	{ "https://tok@h/a", URL_REDACT, "https://****@h/a" },
	{ "https://u:p@h/a#sha256=00", URL_NO_USERINFO | URL_NO_FRAGMENT, "https://h/a" },
	{ "https://a%3Ab:c@h/", 0, "https://a%3Ab:c@h/" },
};

START_TEST(test_format)
{
	struct url	 u;
	char		*got;

	ck_assert_int_eq(url_parse(format_cases[_i].in, &u), 0);
	got = url_format(&u, format_cases[_i].flags);
	ck_assert_str_eq(got, format_cases[_i].want);
	free(got);
	url_free(&u);
}
END_TEST

static const struct {
	const char	*in;
	const char	*want;
} redact_cases[] = {
	{ "https://user:secret@h/simple/", "https://user:****@h/simple/" },
	{ "https://tokensecret@h/simple/", "https://****@h/simple/" },
	{ "https://user:@h/", "https://user:****@h/" },
	{ "https://h/simple/", "https://h/simple/" },
	{ "https://h/a@b/", "https://h/a@b/" },		/* '@' in the path: no userinfo */
	{ "https://h/?x=a:b@c", "https://h/?x=a:b@c" },
	{ "https://a:b@c:d@h/", "https://a:****@h/" },	/* the last '@' ends userinfo */
	{ "https://u:s%40cret@h:8/x", "https://u:****@h:8/x" },
	{ "not a url", "not a url" },
	{ "git+https://u:secret@h/r", "git+https://u:****@h/r" },
};

START_TEST(test_redact)
{
	char	*got = url_redact(redact_cases[_i].in);

	ck_assert_str_eq(got, redact_cases[_i].want);
	ck_assert_ptr_null(strstr(got, "secret"));
	ck_assert_ptr_null(strstr(got, "cret"));
	free(got);
}
END_TEST

START_TEST(test_cred)
{
	struct url_cred	 c;
	char		*clean;

	ck_assert_int_eq(url_cred_split("https://al%20ice:pa%3Ass@Index.example/simple/",
	    &clean, &c), 0);
	ck_assert_str_eq(clean, "https://index.example/simple/");
	ck_assert_str_eq(c.user, "al ice");
	ck_assert_str_eq(c.password, "pa:ss");
	ck_assert_str_eq(c.host, "index.example");
	ck_assert_uint_eq(c.port, 443);
	ck_assert_int_eq(url_cred_applies(&c, "https://index.example/simple/six/"), 1);
	ck_assert_int_eq(url_cred_applies(&c, "https://INDEX.example:443/f/x.whl"), 1);
	ck_assert_int_eq(url_cred_applies(&c, "http://index.example/f/x.whl"), 0);
	ck_assert_int_eq(url_cred_applies(&c, "https://index.example:8443/x"), 0);
	ck_assert_int_eq(url_cred_applies(&c, "https://files.example/x.whl"), 0);
	ck_assert_int_eq(url_cred_applies(&c, "https://index.example.evil/x"), 0);
	ck_assert_int_eq(url_cred_applies(&c, "not a url"), 0);
	free(clean);
	url_cred_free(&c);

	ck_assert_int_eq(url_cred_split("https://tok@h/", &clean, &c), 0);
	ck_assert_str_eq(c.user, "tok");
	ck_assert_str_eq(c.password, "");
	free(clean);
	url_cred_free(&c);

	ck_assert_int_eq(url_cred_split("http://127.0.0.1:8080/simple/", &clean, &c), 0);
	ck_assert_ptr_null(c.user);
	ck_assert_int_eq(url_cred_applies(&c, "http://127.0.0.1:8080/x"), 0);
	free(clean);
	url_cred_free(&c);

	ck_assert_int_eq(url_cred_split("simple/", &clean, &c), -1);
	ck_assert_ptr_null(clean);
	url_cred_free(&c);
}
END_TEST

static const struct {
	const char	*a, *b;
	int		 same;
} origin_cases[] = {
	{ "https://h/a", "https://h:443/b", 1 },
	{ "https://h/a", "https://H/b?x#y", 1 },
	{ "http://127.0.0.1:8000/a", "http://localhost:8000/a", 0 },
	{ "http://h/a", "https://h/a", 0 },
	{ "http://h:80/", "http://h/", 1 },
	{ "http://h:81/", "http://h/", 0 },
	{ "http://u:p@h/", "http://h/", 1 },
	{ "http://[::1]:8/", "http://[::1]:8/x", 1 },
	{ "x", "x", 0 },
	{ "mailto:a", "mailto:a", 0 },
};

START_TEST(test_same_origin)
{
	ck_assert_msg(url_same_origin(origin_cases[_i].a, origin_cases[_i].b) ==
	    origin_cases[_i].same, "%s vs %s", origin_cases[_i].a, origin_cases[_i].b);
}
END_TEST

START_TEST(test_project)
{
	char	*p;

	p = url_project("https://pypi.org/simple/", "Zope.Interface");
	ck_assert_str_eq(p, "https://pypi.org/simple/zope-interface/");
	free(p);
	p = url_project("http://127.0.0.1:1/simple", "typing__Extensions");
	ck_assert_str_eq(p, "http://127.0.0.1:1/simple/typing-extensions/");
	free(p);
}
END_TEST

static const struct {
	const char	*frag;
	const char	*alg, *hex;
} hash_cases[] = {
	{ "sha256=ABCdef0123", "sha256", "abcdef0123" },
	{ "#md5=00ff", "md5", "00ff" },
	{ "SHA512=1&egg=x", "sha512", "1" },
	{ "sha3_256=aa", "sha3_256", "aa" },
	{ "sha256=", NULL, NULL },
	{ "sha256=xyz", NULL, NULL },
	{ "sha256=ab cd", NULL, NULL },
	{ "egg=abc", NULL, NULL },
	{ "crc32=abc", NULL, NULL },
	{ "", NULL, NULL },
	{ "sha256", NULL, NULL },
};

START_TEST(test_fragment_hash)
{
	char	*alg = NULL, *hex = NULL;
	int	 r = url_fragment_hash(hash_cases[_i].frag, &alg, &hex);

	if (hash_cases[_i].alg == NULL) {
		ck_assert_int_eq(r, 0);
		ck_assert_ptr_null(alg);
		return;
	}
	ck_assert_int_eq(r, 1);
	ck_assert_str_eq(alg, hash_cases[_i].alg);
	ck_assert_str_eq(hex, hash_cases[_i].hex);
	free(alg);
	free(hex);
}
END_TEST

static const struct {
	const char	*url;
	const char	*name;
} filename_cases[] = {
	{ "https://h/p/six-1.16.0-py2.py3-none-any.whl#sha256=00", "six-1.16.0-py2.py3-none-any.whl" },
	{ "https://h/p/a%2Bb-1.0-py3-none-any.whl?x=/y", "a+b-1.0-py3-none-any.whl" },
	{ "https://h/p/", "" },
	{ "https://h", "" },
	{ "x%00y.whl", "x%00y.whl" },
	{ "file:///tmp/x%20y.whl", "x y.whl" },
	{ "https://h/%zz%4", "%zz%4" },
};

START_TEST(test_filename)
{
	char	*got = url_filename(filename_cases[_i].url);

	ck_assert_str_eq(got, filename_cases[_i].name);
	free(got);
}
END_TEST

START_TEST(test_strip_fragment)
{
	char	*got = url_strip_fragment("https://h/a?b#c#d");

	ck_assert_str_eq(got, "https://h/a?b");
	free(got);
}
END_TEST

static Suite *
url_suite(void)
{
	Suite	*s = suite_create("url");
	TCase	*tc;

	tc = tcase_create("resolve");
	tcase_add_loop_test(tc, test_rfc_examples, 0, ARRAY_SIZE(rfc_cases));
	tcase_add_loop_test(tc, test_resolve_index, 0, ARRAY_SIZE(index_cases));
	tcase_add_test(tc, test_resolve_bad_base);
	tcase_add_test(tc, test_project);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse, 0, ARRAY_SIZE(parse_cases));
	tcase_add_loop_test(tc, test_parse_bad, 0, ARRAY_SIZE(bad_cases));
	tcase_add_loop_test(tc, test_format, 0, ARRAY_SIZE(format_cases));
	tcase_add_loop_test(tc, test_fragment_hash, 0, ARRAY_SIZE(hash_cases));
	tcase_add_loop_test(tc, test_filename, 0, ARRAY_SIZE(filename_cases));
	tcase_add_test(tc, test_strip_fragment);
	suite_add_tcase(s, tc);

	tc = tcase_create("credentials");
	tcase_add_loop_test(tc, test_redact, 0, ARRAY_SIZE(redact_cases));
	tcase_add_test(tc, test_cred);
	tcase_add_loop_test(tc, test_same_origin, 0, ARRAY_SIZE(origin_cases));
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(url_suite)
