/*
 * check_index.c: reading simple-index pages (PEP 691 JSON, PEP 503 HTML
 * with PEP 592 yanking, find-links pages) into files, and the choice of
 * the wheel for a pin among them.
 *
 * Each page case is described by what it should read as: one line per
 * file, "filename url [alg=hex...] [rp=...] [yanked[=reason]] [size=N]".
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "index.h"
#include "tags.h"
#include "target.h"
#include "util.h"
#include "testkit.h"

static char *
describe(const struct index_page *pg)
{
	struct buf	b = BUF_INIT;
	size_t		i, j;

	for (i = 0; i < pg->n; i++) {
		const struct index_file	*f = &pg->files[i];

		buf_addf(&b, "%s %s", f->filename, f->url);
		for (j = 0; j < f->nhashes; j++)
			buf_addf(&b, " %s=%s", f->hashes[j].alg, f->hashes[j].hex);
		if (f->requires_python != NULL)
			buf_addf(&b, " rp=%s", f->requires_python);
		if (f->yanked)
			buf_addf(&b, " yanked%s%s", f->yanked_reason ? "=" : "",
			    f->yanked_reason ? f->yanked_reason : "");
		if (f->size >= 0)
			buf_addf(&b, " size=%lld", (long long)f->size);
		buf_adds(&b, "\n");
	}
	if (b.p == NULL)
		buf_adds(&b, "");
	return buf_detach(&b);
}

#define PAGE "https://idx.example/simple/six/"

static const struct {
	const char	*html;
	const char	*want;
} html_cases[] = {
	/* the plain PEP 503 page */
	{ "<!DOCTYPE html><html><body>\n"
	  "<a href=\"../../f/six-1.0-py3-none-any.whl#sha256=ABCD\">six-1.0-py3-none-any.whl</a><br/>\n"
	  "<a href=\"six-1.0.tar.gz#md5=00\">six-1.0.tar.gz</a>\n</body></html>",
	  "six-1.0-py3-none-any.whl https://idx.example/f/six-1.0-py3-none-any.whl sha256=abcd\n"
	  "six-1.0.tar.gz https://idx.example/simple/six/six-1.0.tar.gz md5=00\n" },
	/* entities in href and attributes; data-requires-python decoded */
	{ "<a href=\"x.whl?a=1&amp;b=2\" data-requires-python=\"&gt;=3.8,&lt;4\">x</a>"
	  "<a href='y.whl' data-requires-python='&#62;=3.9,&#x3C;4,!=3.9.&#42;'>y</a>"
	  "<a href=z.whl data-requires-python=&gt;=3&#39;&#x27;&quot;&apos;&unknown;&amp>z</a>",
	  "x.whl https://idx.example/simple/six/x.whl?a=1&b=2 rp=>=3.8,<4\n"
	  "y.whl https://idx.example/simple/six/y.whl rp=>=3.9,<4,!=3.9.*\n"
	  "z.whl https://idx.example/simple/six/z.whl rp=>=3''\"'&unknown;&amp\n" },
	/* case, attribute order, white space, odd quoting, yanked forms */
	{ "<A data-yanked HREF = \"a.whl\" >a</A>\n"
	  "<a\n\tdata-yanked=\"broken &quot;build&quot;\"\n\thref='b.whl'>b</a>"
	  "<a class=x data-yanked='' href=c.whl>c</a>"
	  "<a href=\"d.whl\" href=\"ignored.whl\" DATA-REQUIRES-PYTHON=\">=3\">d</a>"
	  "<a name=top>no href</a><abbr href=\"no.whl\">not an anchor</abbr>"
	  "<a href=\"\">empty</a><a href=\"e.whl\"/>",
	  "a.whl https://idx.example/simple/six/a.whl yanked\n"
	  "b.whl https://idx.example/simple/six/b.whl yanked=broken \"build\"\n"
	  "c.whl https://idx.example/simple/six/c.whl yanked\n"
	  "d.whl https://idx.example/simple/six/d.whl rp=>=3\n"
	  "e.whl https://idx.example/simple/six/e.whl\n" },
	/* <base href> applies to every link, even the ones before it; only the first */
	{ "<a href=\"a.whl\">a</a><base href=\"/mirror/files/\"><base href=\"/other/\">"
	  "<a href=\"sub/b.whl#sha256=01\">b</a><a href=\"https://cdn.example/c.whl\">c</a>",
	  "a.whl https://idx.example/mirror/files/a.whl\n"
	  "b.whl https://idx.example/mirror/files/sub/b.whl sha256=01\n"
	  "c.whl https://cdn.example/c.whl\n" },
	/* comments, declarations, script and style are not links */
	{ "<!-- <a href=\"c1.whl\">x</a> --><?xml x?><!doctype html>"
	  "<script>var s = '<a href=\"s.whl\">';</script>"
	  "<STYLE>a<a href=\"st.whl\"></style>"
	  "<a href=\"real.whl\">r</a><!-- unterminated <a href=\"c2.whl\">",
	  "real.whl https://idx.example/simple/six/real.whl\n" },
	/* metadata attributes are ignored; fragments other than hashes dropped */
	{ "<a href=\"m.whl#egg=m\" data-dist-info-metadata=\"sha256=00\" "
	  "data-core-metadata=\"true\" data-gpg-sig=\"false\">m</a>"
	  "<a href=\"n%2Bx.whl#sha256=zz\">n</a>",
	  "m.whl https://idx.example/simple/six/m.whl\n"
	  "n+x.whl https://idx.example/simple/six/n%2Bx.whl\n" },
	/* find-links page: absolute and relative links of every kind */
	{ "<html><a href=\"../\">parent</a><a href=\"http://127.0.0.1:9/w/q-1.0-py3-none-any.whl\">q</a>"
	  "<a href=\"//files.example/r.whl\">r</a>",
	  " https://idx.example/simple/\n"
	  "q-1.0-py3-none-any.whl http://127.0.0.1:9/w/q-1.0-py3-none-any.whl\n"
	  "r.whl https://files.example/r.whl\n" },
	/* truncated and broken markup still scans */
	{ "<a href=\"a.whl\"", "" },
	{ "<a href=\"a.whl", "" },
	{ "< a href=x.whl><<a href=y.whl>", "y.whl https://idx.example/simple/six/y.whl\n" },
	{ "", "" },
};

START_TEST(test_html)
{
	struct index_page	 pg;
	char			*got;

	ck_assert_msg(index_parse_html(&pg, PAGE, html_cases[_i].html,
	    strlen(html_cases[_i].html)) == 0, "%s", err_get());
	got = describe(&pg);
	ck_assert_msg(strcmp(got, html_cases[_i].want) == 0, "got:\n%s\nwant:\n%s",
	    got, html_cases[_i].want);
	ck_assert_int_eq(pg.api_major, 1);
	free(got);
	index_page_free(&pg);
}
END_TEST

/* NUL bytes in names and values (found by fuzz_index_html). */
START_TEST(test_html_nul)
{
	static const char	 page[] = "<a h\0x=1 href=\"a\0b.whl\" d\0=2>"
				    "<a hr\0ef=c.whl><a\0 href=d.whl>";
	struct index_page	 pg;

	ck_assert_int_eq(index_parse_html(&pg, PAGE, page, sizeof(page) - 1), 0);
	ck_assert_uint_eq(pg.n, 1);
	ck_assert_str_eq(pg.files[0].url, "https://idx.example/simple/six/a");
	index_page_free(&pg);
}
END_TEST

static const struct {
	const char	*html;
	int		 ok, minor, newer;
	const char	*err;
} html_api_cases[] = {
	{ "<meta name=\"pypi:repository-version\" content=\"1.0\"><a href=x>", 1, 0, 0, NULL },
	{ "<META NAME=\"PyPI:Repository-Version\" CONTENT=\"1.1\">", 1, 1, 0, NULL },
	{ "<meta name=\"pypi:repository-version\" content=\"1.99\">", 1, 99, 1, NULL },
	{ "<meta name=\"pypi:repository-version\" content=\"2.0\"><a href=x>", 0, 0, 0,
	  "simple API version 2.0 is not supported (forklift reads version 1.x)" },
	{ "<meta name=\"pypi:repository-version\" content=\"one\">", 0, 0, 0,
	  "invalid api-version 'one'" },
	{ "<meta name=\"description\" content=\"2.0\">", 1, 0, 0, NULL },
};

START_TEST(test_html_api)
{
	struct index_page	pg;
	int			r;

	r = index_parse_html(&pg, PAGE, html_api_cases[_i].html,
	    strlen(html_api_cases[_i].html));
	if (!html_api_cases[_i].ok) {
		ck_assert_int_eq(r, -1);
		ck_assert_str_eq(err_get(), html_api_cases[_i].err);
		ck_assert_uint_eq(pg.n, 0);
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(pg.api_minor, html_api_cases[_i].minor);
	ck_assert_int_eq(pg.newer_minor, html_api_cases[_i].newer);
	index_page_free(&pg);
}
END_TEST

static const struct {
	const char	*in;
	const char	*want;
} unescape_cases[] = {
	{ "a&amp;b", "a&b" },
	{ "&lt;&gt;&quot;&apos;&#39;&#x27;&#X41;&#65;", "<>\"'''AA" },
	{ "&nbsp;", "\xc2\xa0" },
	{ "&#x20AC;&#128512;", "\xe2\x82\xac\xf0\x9f\x98\x80" },
	{ "&#0;&#xD800;&#x110000;&#99999999999999999999;", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "&amp &#; &#x; &#65 &bogus; &", "&amp &#; &#x; &#65 &bogus; &" },
	{ "&AMP;", "&AMP;" },
};

START_TEST(test_unescape)
{
	char	*got = html_unescape(unescape_cases[_i].in, strlen(unescape_cases[_i].in));

	ck_assert_str_eq(got, unescape_cases[_i].want);
	free(got);
}
END_TEST

static const struct {
	const char	*json;
	const char	*want;		/* NULL: an error */
	const char	*err;
	int		 minor, newer;
	size_t		 nbad;
} json_cases[] = {
	{ "{\"meta\":{\"api-version\":\"1.0\"},\"name\":\"six\",\"files\":["
	  "{\"filename\":\"six-1.0-py3-none-any.whl\",\"url\":\"../../f/six-1.0-py3-none-any.whl\","
	  "\"hashes\":{\"sha256\":\"ABCD\",\"md5\":\"00\"},\"requires-python\":\">=3.8\","
	  "\"yanked\":false,\"size\":1234,\"upload-time\":\"2020-01-01T00:00:00Z\","
	  "\"core-metadata\":{\"sha256\":\"ff\"},\"future-key\":[1,2,{}]},"
	  "{\"filename\":\"six-1.0.tar.gz\",\"url\":\"https://cdn.example/six-1.0.tar.gz#sha256=ef\","
	  "\"hashes\":{},\"yanked\":true,\"requires-python\":null,\"size\":-1}],"
	  "\"versions\":[\"1.0\"],\"unknown\":{}}",
	  "six-1.0-py3-none-any.whl https://idx.example/f/six-1.0-py3-none-any.whl sha256=abcd md5=00 rp=>=3.8 size=1234\n"
	  "six-1.0.tar.gz https://cdn.example/six-1.0.tar.gz sha256=ef yanked\n",
	  NULL, 0, 0, 0 },
	/* yanked as a string; hashes beat the fragment; a newer minor */
	{ "{\"meta\":{\"api-version\":\"1.7\",\"_x\":1},\"files\":["
	  "{\"filename\":\"a.whl\",\"url\":\"a.whl#sha256=11\",\"hashes\":{\"sha256\":\"22\"},"
	  "\"yanked\":\"security hole\"},"
	  "{\"filename\":\"b.whl\",\"url\":\"b.whl\",\"yanked\":\"\",\"size\":\"12\"},"
	  "{\"filename\":\"c.whl\",\"url\":\"c.whl\",\"yanked\":null,\"hashes\":[\"x\"]}]}",
	  "a.whl https://idx.example/simple/six/a.whl sha256=22 yanked=security hole\n"
	  "b.whl https://idx.example/simple/six/b.whl yanked\n"
	  "c.whl https://idx.example/simple/six/c.whl\n",
	  NULL, 7, 1, 0 },
	/* entries without filename or url are skipped and counted */
	{ "{\"meta\":{\"api-version\":\"1.1\"},\"files\":[1,{\"url\":\"x.whl\"},"
	  "{\"filename\":\"y.whl\"},{\"filename\":\"\",\"url\":\"z\"},"
	  "{\"filename\":\"ok.whl\",\"url\":\"/ok.whl\"}]}",
	  "ok.whl https://idx.example/ok.whl\n", NULL, 1, 0, 4 },
	/* the name the index gives wins over the URL's */
	{ "{\"files\":[{\"filename\":\"n-1.0-py3-none-any.whl\",\"url\":\"/download?id=3\"}]}",
	  "n-1.0-py3-none-any.whl https://idx.example/download?id=3\n", NULL, 0, 0, 0 },
	{ "{\"meta\":{\"api-version\":\"2.0\"},\"files\":[]}", NULL,
	  "simple API version 2.0 is not supported (forklift reads version 1.x)", 0, 0, 0 },
	{ "{\"meta\":{\"api-version\":\"1\"},\"files\":[]}", NULL,
	  "invalid api-version '1'", 0, 0, 0 },
	{ "{\"meta\":{\"api-version\":1.0},\"files\":[]}", NULL,
	  "meta.api-version is not a string", 0, 0, 0 },
	{ "{\"meta\":{\"api-version\":\"1.0\"}}", NULL,
	  "JSON page has no \"files\" list", 0, 0, 0 },
	{ "{\"files\":{}}", NULL, "JSON page has no \"files\" list", 0, 0, 0 },
	{ "[]", NULL, "JSON page is not an object", 0, 0, 0 },
	{ "{\"files\":[", NULL, NULL, 0, 0, 0 },
};

START_TEST(test_json)
{
	struct index_page	 pg;
	char			*got;
	int			 r;

	r = index_parse_json(&pg, PAGE, json_cases[_i].json, strlen(json_cases[_i].json));
	if (json_cases[_i].want == NULL) {
		ck_assert_int_eq(r, -1);
		if (json_cases[_i].err != NULL)
			ck_assert_str_eq(err_get(), json_cases[_i].err);
		else
			ck_assert_msg(str_starts(err_get(), "invalid JSON"), "%s", err_get());
		ck_assert_uint_eq(pg.n, 0);
		return;
	}
	ck_assert_msg(r == 0, "%s", err_get());
	got = describe(&pg);
	ck_assert_msg(strcmp(got, json_cases[_i].want) == 0, "got:\n%s\nwant:\n%s",
	    got, json_cases[_i].want);
	ck_assert_int_eq(pg.api_major, 1);
	ck_assert_int_eq(pg.api_minor, json_cases[_i].minor);
	ck_assert_int_eq(pg.newer_minor, json_cases[_i].newer);
	ck_assert_uint_eq(pg.nbad, json_cases[_i].nbad);
	free(got);
	index_page_free(&pg);
}
END_TEST

static const struct {
	const char	*ct;
	int		 want;
} ct_cases[] = {
	{ NULL, INDEX_SNIFF },
	{ "application/vnd.pypi.simple.v1+json", INDEX_JSON },
	{ "Application/Vnd.PyPI.Simple.V1+JSON; charset=utf-8", INDEX_JSON },
	{ "application/vnd.pypi.simple.latest+json", INDEX_JSON },
	{ "application/vnd.pypi.simple.v1+html", INDEX_HTML },
	{ "text/html; charset=utf-8", INDEX_HTML },
	{ " text/html", INDEX_HTML },
	{ "application/json", INDEX_SNIFF },
	{ "application/octet-stream", INDEX_SNIFF },
	{ "application/vnd.pypi.simple.v2+json", -1 },
};

START_TEST(test_content_type)
{
	ck_assert_int_eq(index_format_of(ct_cases[_i].ct), ct_cases[_i].want);
}
END_TEST

START_TEST(test_sniff)
{
	struct index_page	pg;
	static const char	json[] = "\xef\xbb\xbf \n{\"files\":[{\"filename\":\"j.whl\",\"url\":\"j.whl\"}]}";
	static const char	html[] = "<a href=\"h.whl\">h</a>";

	ck_assert_int_eq(index_parse(&pg, NULL, PAGE, json, strlen(json)), 0);
	ck_assert_uint_eq(pg.n, 1);
	ck_assert_str_eq(pg.files[0].filename, "j.whl");
	index_page_free(&pg);
	ck_assert_int_eq(index_parse(&pg, "application/octet-stream", PAGE, html,
	    strlen(html)), 0);
	ck_assert_str_eq(pg.files[0].filename, "h.whl");
	index_page_free(&pg);
	/* the declared type wins over the bytes */
	ck_assert_int_eq(index_parse(&pg, "text/html", PAGE, json, strlen(json)), 0);
	ck_assert_uint_eq(pg.n, 0);
	index_page_free(&pg);
	ck_assert_int_eq(index_parse(&pg, "application/vnd.pypi.simple.v1+json", PAGE,
	    html, strlen(html)), -1);
	ck_assert_int_eq(index_parse(&pg, "application/vnd.pypi.simple.v3+html", PAGE,
	    html, strlen(html)), -1);
	ck_assert_str_eq(err_get(), "unsupported simple API content type "
	    "'application/vnd.pypi.simple.v3+html' (forklift reads version 1)");
	/* a relative page URL cannot anchor relative links */
	ck_assert_int_eq(index_parse(&pg, "text/html", "/simple/six/", html,
	    strlen(html)), -1);
}
END_TEST

/* ---- index_choose ---------------------------------------------------- */


static const struct {
	const char	*page;		/* JSON files list, filename:flags; flags y yanked, r requires >=3.12 */
	const char	*version;
	const char	*want;		/* chosen file name, or the start of the error */
	int		 yanked;
} choose_cases[] = {
	{ "Six-1.0-py3-none-any.whl six-1.0-cp311-cp311-manylinux_2_17_x86_64.whl "
	  "six-1.0-cp311-cp311-win_amd64.whl six-1.0.tar.gz",
	  "1.0", "six-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", 0 },
	{ "six-1.0-py3-none-any.whl six-1.0-1-py3-none-any.whl six-1.0-2b-py3-none-any.whl",
	  "1.0", "six-1.0-2b-py3-none-any.whl", 0 },
	{ "six-1.0-py2.py3-none-any.whl six-1.0.0-cp311-abi3-manylinux_2_17_x86_64.whl",
	  "1.0", "six-1.0.0-cp311-abi3-manylinux_2_17_x86_64.whl", 0 },
	/* requires-python filters */
	{ "six-1.0-cp311-cp311-manylinux_2_17_x86_64.whl:r six-1.0-py3-none-any.whl",
	  "1.0", "six-1.0-py3-none-any.whl", 0 },
	/* a yanked file only when nothing else qualifies */
	{ "six-1.0-cp311-cp311-manylinux_2_17_x86_64.whl:y six-1.0-py3-none-any.whl",
	  "1.0", "six-1.0-py3-none-any.whl", 0 },
	{ "six-1.0-cp311-cp311-manylinux_2_17_x86_64.whl:y six-1.0-py3-none-any.whl:y",
	  "1.0", "six-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", 1 },
	/* errors */
	{ "six-1.0.tar.gz six-2.0-py3-none-any.whl", "1.0",
	  "six 1.0: no wheel compatible with cp311-cp311-manylinux_2_36_x86_64; "
	  "six-1.0.tar.gz is an sdist (forklift installs wheels only)", 0 },
	{ "six-1.0-cp312-cp312-win_amd64.whl six-1.0-cp39-cp39-macosx_10_9_x86_64.macosx_11_0_arm64.whl "
	  "six-1.0-py3-none-any.whl:r", "1.0",
	  "six 1.0: no wheel compatible with cp311-cp311-manylinux_2_36_x86_64; "
	  "six-1.0-cp312-cp312-win_amd64.whl is for cp312-cp312-win_amd64; "
	  "six-1.0-cp39-cp39-macosx_10_9_x86_64.macosx_11_0_arm64.whl is for "
	  "cp39-cp39-macosx_10_9_x86_64.macosx_11_0_arm64; "
	  "six-1.0-py3-none-any.whl requires python >=3.12", 0 },
	{ "six-0.9-py3-none-any.whl six-2.0-py3-none-any.whl six-2.0-py2-none-any.whl six-2.0.tar.gz",
	  "1.0", "six 1.0: no file of version 1.0 (found 0.9, 2.0)", 0 },
	{ "other-1.0-py3-none-any.whl index.html", "1.0",
	  "six 1.0: the index lists no file of 'six'", 0 },
	{ "", "1.0", "six 1.0: the index lists no file of 'six'", 0 },
};

START_TEST(test_choose)
{
	struct pyinfo		 env;
	struct taglist		 tags;
	struct index_page	 pg;
	struct index_want	 w = { "six", choose_cases[_i].version, "3.11.7",
				    "cp311-cp311-manylinux_2_36_x86_64" };
	const struct index_file	*f;
	struct buf		 b = BUF_INIT;
	char			*list = xstrdup(choose_cases[_i].page), *tok, *save, *flags;
	int			 yanked = -1;

	ck_assert_int_eq(pyinfo_parse(KIT_ENV_TEXT, strlen(KIT_ENV_TEXT), &env), 0);
	ck_assert_int_eq(tags_compute(&env, &tags), 0);
	buf_adds(&b, "{\"files\":[");
	for (tok = strtok_r(list, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		if ((flags = strchr(tok, ':')) != NULL)
			*flags++ = '\0';
		buf_addf(&b, "%s{\"filename\":\"%s\",\"url\":\"%s\"%s%s}",
		    b.p[b.len - 1] == '[' ? "" : ",", tok, tok,
		    flags && strchr(flags, 'y') ? ",\"yanked\":true" : "",
		    flags && strchr(flags, 'r') ? ",\"requires-python\":\">=3.12\"" : "");
	}
	buf_adds(&b, "]}");
	ck_assert_int_eq(index_parse_json(&pg, PAGE, b.p, b.len), 0);
	f = index_choose(&pg, &tags, &w, &yanked);
	if (str_starts(choose_cases[_i].want, "six ")) {
		ck_assert_ptr_null(f);
		ck_assert_str_eq(err_get(), choose_cases[_i].want);
	} else {
		ck_assert_msg(f != NULL, "%s", err_get());
		ck_assert_str_eq(f->filename, choose_cases[_i].want);
		ck_assert_int_eq(yanked, choose_cases[_i].yanked);
	}
	index_page_free(&pg);
	buf_free(&b);
	free(list);
	taglist_free(&tags);
	pyinfo_free(&env);
}
END_TEST

static Suite *
index_suite(void)
{
	Suite	*s = suite_create("index");
	TCase	*tc;

	tc = tcase_create("html");
	tcase_add_loop_test(tc, test_html, 0, ARRAY_SIZE(html_cases));
	tcase_add_loop_test(tc, test_html_api, 0, ARRAY_SIZE(html_api_cases));
	tcase_add_test(tc, test_html_nul);
	tcase_add_loop_test(tc, test_unescape, 0, ARRAY_SIZE(unescape_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_loop_test(tc, test_json, 0, ARRAY_SIZE(json_cases));
	tcase_add_loop_test(tc, test_content_type, 0, ARRAY_SIZE(ct_cases));
	tcase_add_test(tc, test_sniff);
	suite_add_tcase(s, tc);

	tc = tcase_create("choose");
	tcase_add_loop_test(tc, test_choose, 0, ARRAY_SIZE(choose_cases));
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(index_suite)
