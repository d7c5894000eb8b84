/*
 * check_resolve.c: resolve_reqs() decisions that need no server: a pin
 * already installed, or in a --find-links directory, is left alone; a
 * hash-pinned wheel in the archive cache is found there (a wheel of
 * another name or version under that digest is not); a direct
 * reference's expected sha256 comes from its --hash or its #sha256=
 * fragment, and the two must agree; only-sha512 pins cannot check a
 * download; --offline with nothing cached names the pin.  A lock file's
 * wheel with only an index: found in the cache by its sha256, offline;
 * the lookup of a file by its name on a project page, and what the engine
 * asks when the url fails (resolve_lock_page, resolve_lock_gone).  Runs
 * with an index URL on a closed port and --offline, so a case that asked
 * the network would fail, not hang.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "fsutil.h"
#include "index.h"
#include "lockfile.h"
#include "reqs.h"
#include "resolve.h"
#include "target.h"
#include "util.h"
#include "installkit.h"

#define SHA_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void
setup(void)
{
	char	*p;

	kit_setup();
	p = path_join(T.purelib, "six-1.16.0.dist-info/RECORD");
	ck_assert_int_eq(mkdir_p(T.purelib, 0755), 0);
	free(p);
	p = path_join(T.purelib, "six-1.16.0.dist-info");
	ck_assert_int_eq(mkdir_p(p, 0755), 0);
	free(p);
	p = kit_path("cache/v1/archives/aa/" SHA_A);
	ck_assert_int_eq(mkdir_p(p, 0755), 0);
	free(p);
	p = kit_path("cache/v1/archives/aa/" SHA_A "/cached-1.0-py3-none-any.whl");
	kit_write(p, "x");
	free(p);
	p = kit_path("w");
	ck_assert_int_eq(mkdir_p(p, 0755), 0);
	free(p);
	p = kit_path("w/local-2.0-py3-none-any.whl");
	kit_write(p, "");
	free(p);
}

static const struct resolve_case {
	const char	*desc;
	const char	*text;		/* the requirements file */
	int		 rc;
	const char	*want;		/* per pin "name:url|found|-:sha256|-", ';' */
} cases[] = {
	{ "installed pin: nothing asked", "six==1.16\n", 0, "six:-:-" },
	{ "find-links directory: left to plan", "local==2.0\n", 0, "local:-:-" },
	{ "hash-pinned and cached: found, no request",
	    "cached==1.0 --hash=sha256:" SHA_A "\n", 0, "cached:found:-" },
	{ "cached under the digest, but another version",
	    "cached==2.0 --hash=sha256:" SHA_A "\n", -1, "cached:-:-" },
	{ "direct reference with --hash",
	    "d @ http://h/d-1.0-py3-none-any.whl --hash=sha256:" SHA_B "\n", 0,
	    "d:http://h/d-1.0-py3-none-any.whl:" SHA_B },
	{ "direct reference with a fragment",
	    "d @ http://h/d-1.0-py3-none-any.whl#sha256=" SHA_B "\n", 0,
	    "d:http://h/d-1.0-py3-none-any.whl:" SHA_B },
	{ "fragment and --hash disagree",
	    "d @ http://h/d-1.0-py3-none-any.whl#sha256=" SHA_A " --hash=sha256:" SHA_B "\n",
	    -1, "d:http://h/d-1.0-py3-none-any.whl:" SHA_A },
	{ "only a sha512 --hash",
	    "d @ http://h/d-1.0-py3-none-any.whl --hash=sha512:" SHA_A SHA_A "\n", -1,
	    "d:http://h/d-1.0-py3-none-any.whl:-" },
	{ "offline, not cached", "ghost==1.0\n", -1, "ghost:-:-" },
};

/* Offline, with the archive cache: a case that asked the network fails. */
static void
offline_opts(struct fetch_opts *fo, struct resolve_opts *ro, const char *cache)
{
	memset(fo, 0, sizeof(*fo));
	fo->cache_dir = cache;
	fo->offline = 1;
	fo->retries = 0;
	fo->timeout = 1;
	fo->wake_fd = -1;
	memset(ro, 0, sizeof(*ro));
	ro->cache_dir = cache;
	ro->offline = 1;
}

START_TEST(test_resolve)
{
	const struct resolve_case *c = &cases[_i];
	struct fetch_opts	 fo;
	struct resolve_opts	 ro;
	struct reqs		 rq;
	struct buf		 b = BUF_INIT;
	char			*cache = kit_path("cache"), *w = kit_path("w");
	size_t			 i;

	reqs_init(&rq, &T.info);
	reqs_add_find_links(&rq, w);
	ck_assert_int_eq(reqs_read_text(&rq, "r.txt", c->text, strlen(c->text), 0), 0);
	ck_assert_int_eq(reqs_finish(&rq), 0);
	offline_opts(&fo, &ro, cache);
	ro.index_url = "http://127.0.0.1:9/simple/";
	ck_assert_int_eq(resolve_reqs(&rq, &T, &fo, &ro), c->rc);
	for (i = 0; i < rq.n; i++) {
		const struct req	*q = &rq.v[i];

		buf_addf(&b, "%s%s:%s:%s", i ? ";" : "", q->norm,
		    q->url ? q->url : q->found ? "found" : "-",
		    q->sha256 ? q->sha256 : "-");
		if (q->found != NULL)
			ck_assert(q->from_cache);
	}
	buf_add(&b, "", 1);
	ck_assert_msg(strcmp(b.p, c->want) == 0, "%s: got '%s', want '%s'",
	    c->desc, b.p, c->want);
	buf_free(&b);
	reqs_free(&rq);
	free(cache);
	free(w);
}
END_TEST

START_TEST(test_lock_index_offline)
{
	struct fetch_opts	 fo;
	struct resolve_opts	 ro;
	struct reqs		 rq;
	char			*cache = kit_path("cache"), *lock = kit_path("pylock.toml");

	kit_write(lock, "lock-version = \"1.0\"\ncreated-by = \"t\"\n"
	    "[[packages]]\nname = \"cached\"\nversion = \"1.0\"\n"
	    "index = \"http://127.0.0.1:9/simple/\"\n"
	    "wheels = [{name = \"cached-1.0-py3-none-any.whl\", "
	    "hashes = {sha256 = \"" SHA_A "\"}}]\n"
	    "[[packages]]\nname = \"ghost\"\nversion = \"1.0\"\n"
	    "index = \"http://127.0.0.1:9/simple/\"\n"
	    "wheels = [{name = \"ghost-1.0-py3-none-any.whl\", "
	    "hashes = {sha256 = \"" SHA_B "\"}}]\n");
	reqs_init(&rq, &T.info);
	ck_assert_int_eq(lockfile_read(&rq, lock, &T.tags, NULL, NULL), 0);
	ck_assert_int_eq(reqs_finish(&rq), 0);
	offline_opts(&fo, &ro, cache);
	/* --no-index (no index_url): the lock file's index still counts. */
	ck_assert_int_eq(resolve_reqs(&rq, &T, &fo, &ro), -1);
	ck_assert_uint_eq(rq.n, 2);
	ck_assert_ptr_nonnull(rq.v[0].found);
	ck_assert(rq.v[0].from_cache);
	ck_assert_ptr_null(rq.v[0].url);
	ck_assert_ptr_null(rq.v[1].found);
	ck_assert_ptr_null(rq.v[1].url);
	reqs_free(&rq);
	free(cache);
	free(lock);
}
END_TEST

START_TEST(test_file_named)
{
	static const char page[] = "{\"meta\": {\"api-version\": \"1.1\"}, "
	    "\"name\": \"p\", \"files\": ["
	    "{\"filename\": \"p-1.0.tar.gz\", \"url\": \"a/p-1.0.tar.gz\", \"hashes\": {}},"
	    "{\"filename\": \"p-1.0-py3-none-any.whl\", \"url\": \"y/p-1.0-py3-none-any.whl\","
	    " \"hashes\": {}, \"yanked\": \"broken\"},"
	    "{\"filename\": \"p-1.0-py3-none-any.whl\", \"url\": \"b/p-1.0-py3-none-any.whl\","
	    " \"hashes\": {\"sha256\": \"" SHA_A "\"}},"
	    "{\"filename\": \"p-2.0-py3-none-any.whl\", \"url\": \"c/p-2.0-py3-none-any.whl\","
	    " \"hashes\": {}, \"yanked\": true},"
	    "{\"filename\": \"P-3.0-py3-none-any.whl\", \"url\": \"d/P-3.0-py3-none-any.whl\","
	    " \"hashes\": {}}]}";
	const struct index_file	*f;
	struct index_page	 pg;
	int			 yanked = -1;

	ck_assert_int_eq(index_parse_json(&pg, "https://i.org/simple/p/", page,
	    strlen(page)), 0);
	/* A file listed twice: the one that is not yanked. */
	f = resolve_file_named(&pg, "p-1.0-py3-none-any.whl", &yanked);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->url, "https://i.org/simple/p/b/p-1.0-py3-none-any.whl");
	ck_assert_str_eq(index_file_hash(f, "sha256"), SHA_A);
	ck_assert_int_eq(yanked, 0);
	/* Yanked and alone: still that file (a lock file names it), said so. */
	f = resolve_file_named(&pg, "p-2.0-py3-none-any.whl", &yanked);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(yanked, 1);
	/* The name exactly: no other version, case or kind of file. */
	ck_assert_ptr_null(resolve_file_named(&pg, "p-3.0-py3-none-any.whl", &yanked));
	ck_assert_int_eq(yanked, 0);
	ck_assert_ptr_null(resolve_file_named(&pg, "p-1.0-py2-none-any.whl", &yanked));
	ck_assert_ptr_null(resolve_file_named(&pg, "p-1.0", &yanked));
	index_page_free(&pg);
}
END_TEST

/* A lock file wheel's url failed: its file on the project page, or the
 * error naming the package, the file, the url tried and the index. */
START_TEST(test_lock_page)
{
	static const char page[] = "{\"meta\": {\"api-version\": \"1.1\"}, "
	    "\"name\": \"p\", \"files\": ["
	    "{\"filename\": \"p-1.0-py3-none-any.whl\", \"url\": \"b/p-1.0-py3-none-any.whl\","
	    " \"hashes\": {\"sha256\": \"" SHA_A "\"}}]}";
	struct fetch_result	 res;
	struct resolve_lock	 lk;
	char			*url;

	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.url = res.final_url = "https://i.org/simple/p/";
	res.content_type = "application/vnd.pypi.simple.v1+json";
	res.body = page;
	res.len = strlen(page);
	memset(&lk, 0, sizeof(lk));
	lk.name = "p";
	lk.version = "1.0";
	lk.filename = "p-1.0-py3-none-any.whl";
	lk.index = "https://u:secret@i.org/simple/";
	lk.sha256 = SHA_A;
	lk.where = "pylock.toml:4";
	lk.tried = "https://f.org/p-1.0-py3-none-any.whl: HTTP 404 not found";
	/* The page's credentials go with the file's URL. */
	url = resolve_lock_page(&lk, "https://u:secret@i.org/simple/p/", &res);
	ck_assert_ptr_nonnull(url);
	ck_assert_str_eq(url, "https://u:secret@i.org/simple/p/b/p-1.0-py3-none-any.whl");
	free(url);
	/* Another sha256 on the index than the lock file's. */
	lk.sha256 = SHA_B;
	ck_assert_ptr_null(resolve_lock_page(&lk, res.url, &res));
	ck_assert_ptr_nonnull(strstr(err_get(), "p==1.0: p-1.0-py3-none-any.whl"));
	ck_assert_ptr_nonnull(strstr(err_get(), "has sha256 " SHA_A));
	ck_assert_ptr_nonnull(strstr(err_get(), "(pylock.toml:4) says " SHA_B));
	ck_assert_ptr_null(strstr(err_get(), "secret"));
	/* Not listed: the url tried and the index named. */
	lk.filename = "p-2.0-py3-none-any.whl";
	ck_assert_ptr_null(resolve_lock_page(&lk, res.url, &res));
	ck_assert_ptr_nonnull(strstr(err_get(), "p-2.0-py3-none-any.whl is not on "
	    "the index https://u:****@i.org/simple/"));
	ck_assert_ptr_nonnull(strstr(err_get(), lk.tried));
	/* The page could not be read. */
	res.ok = 0;
	res.error = "https://i.org/simple/p/: HTTP 404 not found";
	ck_assert_ptr_null(resolve_lock_page(&lk, res.url, &res));
	ck_assert_ptr_nonnull(strstr(err_get(), "cannot be read"));
	ck_assert_ptr_nonnull(strstr(err_get(), res.error));
}
END_TEST

/* Which failed downloads send a lock file wheel to its index. */
START_TEST(test_lock_gone)
{
	struct fetch_result	res;

	memset(&res, 0, sizeof(res));
	res.attempts = 1;
	res.status = 404;
	ck_assert_int_eq(resolve_lock_gone(&res, 2), 1);
	res.status = 410;
	ck_assert_int_eq(resolve_lock_gone(&res, 2), 1);
	res.status = 403;
	ck_assert_int_eq(resolve_lock_gone(&res, 2), 0);
	/* No answer: only once every retry was made (5 by default). */
	res.status = 0;
	ck_assert_int_eq(resolve_lock_gone(&res, 2), 0);
	res.attempts = 3;
	ck_assert_int_eq(resolve_lock_gone(&res, 2), 1);
	ck_assert_int_eq(resolve_lock_gone(&res, -1), 0);
	res.attempts = 6;
	ck_assert_int_eq(resolve_lock_gone(&res, -1), 1);
	/* Offline, not in the cache: no attempt at all. */
	res.attempts = 0;
	ck_assert_int_eq(resolve_lock_gone(&res, 0), 0);
}
END_TEST

static Suite *
resolve_suite(void)
{
	Suite	*s = suite_create("resolve");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, kit_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_resolve, 0, ARRAY_SIZE(cases));
	tcase_add_test(tc, test_lock_index_offline);
	tcase_add_test(tc, test_file_named);
	tcase_add_test(tc, test_lock_page);
	tcase_add_test(tc, test_lock_gone);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(resolve_suite)
