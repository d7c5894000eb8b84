/*
 * check_fetch.c: the download engine against a small local server of its
 * own (fetchserver.py, started on 127.0.0.1 port 0 by main() and gone when
 * this process is): downloads into the archive cache and into a given
 * directory, hash and size mismatches (refused, nothing cached, no retry),
 * 5xx / 429 retried with Retry-After honoured, 404 not retried, truncated
 * bodies retried (resumed with Range where the server allows it),
 * redirects, https -> http refused (with a throwaway CA from openssl when
 * there is one), credentials not sent to another host after a redirect and
 * never printed, Ctrl-C, cache hits without a request, largest first, and
 * index pages revalidated with a 304.  The server logs every request, so
 * the tests count requests rather than trust the engine's word.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache_admin.h"
#include "cache_archive.h"
#include "fetch.h"
#include "fsutil.h"
#include "pagecache.h"
#include "record.h"
#include "util.h"
#include "testkit.h"

static char	datadir[PATH_MAX];
static char	logfile[PATH_MAX];
static char	certfile[PATH_MAX];
static char	othercert[PATH_MAX];
static int	http_port, https_port;
static pid_t	server_pid;

/* What one on_done call said. */
struct got {
	int	 called;
	int	 ok;
	int	 from_cache;
	int	 attempts;
	char	 path[PATH_MAX];
	char	 sha256[65];
	char	 error[2048];
	char	 url[1024];
	uint64_t bytes;
};

static void
on_done(void *user, const struct fetch_result *r)
{
	struct got	*g = user;

	g->called++;
	g->ok = r->ok;
	g->from_cache = r->from_cache;
	g->attempts = r->attempts;
	g->bytes = r->bytes;
	snprintf(g->url, sizeof(g->url), "%s", r->url);
	if (r->ok) {
		snprintf(g->path, sizeof(g->path), "%s", r->path);
		snprintf(g->sha256, sizeof(g->sha256), "%s", r->sha256);
	} else
		snprintf(g->error, sizeof(g->error), "%s", r->error);
}

static char *
cache(void)
{
	return kit_tpath("cache");
}

/* Deterministic bytes for a data file; its sha256 in hex. */
static void
make_data(const char *name, size_t len, char sha[65])
{
	struct hasher	 h;
	unsigned char	 d[32];
	unsigned char	*p = xmalloc(len + 1);
	unsigned int	 x = (unsigned int)len * 2654435761u;
	char		*path = path_join(datadir, name);
	size_t		 i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
	}
	ck_assert_int_eq(write_file_atomic(path, p, len, 0644), 0);
	hasher_init(&h, HASH_SHA256);
	hasher_update(&h, p, len);
	hasher_final(&h, d);
	hasher_free(&h);
	for (i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", d[i]);
	free(p);
	free(path);
}

static char *
url(const char *rest)
{
	return xasprintf("http://127.0.0.1:%d%s", http_port, rest);
}

/* Requests in the server's log whose line holds s. */
static int
requests(const char *s)
{
	char	*text, *line, *save = NULL;
	size_t	 len;
	int	 n = 0;

	if (read_file(logfile, (size_t)1 << 26, &text, &len) != 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += strstr(line, s) != NULL;
	free(text);
	return n;
}

/* The log line of the nth request (0-based) holding s; NULL if none. */
static char *
request_line(const char *s, int nth)
{
	char	*text, *line, *save = NULL, *out = NULL;
	size_t	 len;

	if (read_file(logfile, (size_t)1 << 26, &text, &len) != 0)
		return NULL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, s) && nth-- == 0) {
			out = xstrdup(line);
			break;
		}
	free(text);
	return out;
}

/* Regular files anywhere under dir. */
static int
count_files(const char *dir)
{
	struct dirent	*e;
	struct stat	 st;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char	*p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = path_join(dir, e->d_name);
		if (lstat(p, &st) == 0)
			n += S_ISDIR(st.st_mode) ? count_files(p) : 1;
		free(p);
	}
	closedir(d);
	return n;
}

/* Regular files under a directory of cache c ("v1/tmp"). */
static int
cache_files(const char *c, const char *sub)
{
	char	*d = path_join(c, sub);
	int	 n = count_files(d);

	free(d);
	return n;
}

static struct fetch_ctx *
ctx_new(const char *cache_dir, volatile sig_atomic_t *stop, int wake_fd)
{
	struct fetch_opts	o;

	memset(&o, 0, sizeof(o));
	o.cache_dir = cache_dir;
	o.retries = 3;
	o.backoff_ms = 20;
	o.timeout = 5;
	o.stop = stop;
	o.wake_fd = wake_fd;
	o.cert_file = *certfile ? certfile : NULL;
	return fetch_new(&o);
}

/* One file through ctx, which is freed; returns what on_done said. */
static void
fetch_in(struct fetch_ctx *ctx, const char *u, const char *sha, int64_t size,
    const char *dest, struct got *g)
{
	struct fetch_req	 r;

	memset(g, 0, sizeof(*g));
	memset(&r, 0, sizeof(r));
	r.url = u;
	r.sha256 = sha;
	r.size = size;
	r.dest_dir = dest;
	r.on_done = on_done;
	r.user = g;
	ck_assert_int_eq(fetch_add(ctx, &r), 0);
	ck_assert_int_eq(fetch_run(ctx), 0);
	fetch_free(ctx);
	ck_assert_int_eq(g->called, 1);
}

/* The same through a fresh context with the tests' options. */
static void
fetch_one(const char *cache_dir, const char *u, const char *sha, int64_t size,
    const char *dest, struct got *g)
{
	fetch_in(ctx_new(cache_dir, NULL, -1), u, sha, size, dest, g);
}

static int
same_file(const char *a, const char *b)
{
	char	*pa, *pb;
	size_t	 la, lb;
	int	 same;

	if (read_file(a, (size_t)1 << 28, &pa, &la) != 0)
		return 0;
	if (read_file(b, (size_t)1 << 28, &pb, &lb) != 0) {
		free(pa);
		return 0;
	}
	same = la == lb && memcmp(pa, pb, la) == 0;
	free(pa);
	free(pb);
	return same;
}

START_TEST(t_into_cache)
{
	char		 sha[65], *c = cache(), *u = url("/f/one.whl"), *want, *src;
	struct got	 g;

	make_data("one.whl", 300000, sha);
	fetch_one(c, u, sha, 300000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	want = xasprintf("%s/v1/archives/%.2s/%s/one.whl", c, sha, sha);
	ck_assert_str_eq(g.path, want);
	ck_assert_str_eq(g.sha256, sha);
	ck_assert_int_eq(g.bytes, 300000);
	ck_assert_int_eq(g.from_cache, 0);
	src = path_join(datadir, "one.whl");
	ck_assert(same_file(src, want));
	ck_assert_int_eq(cache_files(c, "v1/tmp"), 0);
	/* Found again by hash alone. */
	free(want);
	want = cache_archive_lookup(c, sha, "one.whl");
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_null(cache_archive_lookup(c, sha, "other.whl"));
	free(want);
	free(src);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_second_fetch_no_request)
{
	char		 sha[65], *c = cache(), *u = url("/f/twice.whl");
	struct got	 g;

	make_data("twice.whl", 5000, sha);
	fetch_one(c, u, sha, 5000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	ck_assert_int_eq(requests("/f/twice.whl"), 1);
	fetch_one(c, u, sha, 5000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	ck_assert_int_eq(g.from_cache, 1);
	ck_assert_int_eq(g.attempts, 0);
	ck_assert_int_eq(g.bytes, 5000);
	ck_assert_int_eq(requests("/f/twice.whl"), 1);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_wrong_sha)
{
	char		 sha[65], *c = cache(), *u = url("/f/bad.whl");
	const char	*wrong = "00000000000000000000000000000000"
			    "00000000000000000000000000000000";
	struct got	 g;

	make_data("bad.whl", 7000, sha);
	fetch_one(c, u, wrong, -1, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_msg(strstr(g.error, wrong) && strstr(g.error, sha),
	    "both hashes expected in: %s", g.error);
	ck_assert_ptr_nonnull(strstr(g.error, "/f/bad.whl"));
	ck_assert_int_eq(requests("/f/bad.whl"), 1);	/* not retried */
	ck_assert_int_eq(cache_files(c, "v1/archives"), 0);
	ck_assert_int_eq(cache_files(c, "v1/tmp"), 0);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_size_mismatch)
{
	char		 sha[65], *c = cache(), *u;
	struct got	 g;

	make_data("size.whl", 4000, sha);
	/* Announced length differs: refused before the body is kept. */
	u = url("/f/size.whl?a=1");
	fetch_one(c, u, NULL, 3999, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_ptr_nonnull(strstr(g.error, "size mismatch"));
	ck_assert_ptr_nonnull(strstr(g.error, "3999"));
	ck_assert_int_eq(requests("/f/size.whl?a=1"), 1);
	free(u);
	u = url("/f/size.whl?a=2");
	fetch_one(c, u, sha, 4001, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_ptr_nonnull(strstr(g.error, "size mismatch"));
	ck_assert_int_eq(requests("/f/size.whl?a=2"), 1);
	ck_assert_int_eq(cache_files(c, "v1/archives"), 0);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_retry_5xx)
{
	char		 sha[65], *c = cache(), *u = url("/f/busy.whl?fail=2");
	struct got	 g;

	make_data("busy.whl", 2000, sha);
	fetch_one(c, u, sha, 2000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	ck_assert_int_eq(g.attempts, 3);
	ck_assert_int_eq(requests("/f/busy.whl?fail=2\""), 3);
	free(u);
	/* More failures than retries: the last status is named. */
	u = url("/f/busy.whl?fail=9&code=502");
	fetch_one(c, u, NULL, 2000, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_msg(strstr(g.error, "HTTP 502") && strstr(g.error, "4 attempts"),
	    "%s", g.error);
	ck_assert_int_eq(requests("/f/busy.whl?fail=9&code=502"), 4);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_404_not_retried)
{
	char		*c = cache(), *u = url("/f/absent.whl");
	struct got	 g;

	fetch_one(c, u, NULL, -1, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_msg(strstr(g.error, "HTTP 404 not found"), "%s", g.error);
	ck_assert_ptr_nonnull(strstr(g.error, "/f/absent.whl"));
	ck_assert_int_eq(requests("/f/absent.whl"), 1);
	free(u);
	u = url("/f/absent.whl?code=403");
	fetch_one(c, u, NULL, -1, NULL, &g);
	ck_assert_msg(strstr(g.error, "HTTP 403"), "%s", g.error);
	ck_assert_int_eq(requests("/f/absent.whl?code=403"), 1);
	free(u);
	u = url("/f/absent.whl?code=401");
	fetch_one(c, u, NULL, -1, NULL, &g);
	ck_assert_msg(strstr(g.error, "HTTP 401"), "%s", g.error);
	ck_assert_int_eq(requests("/f/absent.whl?code=401"), 1);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_truncated)
{
	char		 sha[65], *c = cache(), *u, *line;
	struct got	 g;

	make_data("cut.whl", 100000, sha);
	/* No ranges: again from the start. */
	u = url("/f/cut.whl?trunc=1000");
	fetch_one(c, u, sha, 100000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	ck_assert_int_eq(requests("/f/cut.whl?trunc=1000\""), 2);
	line = request_line("/f/cut.whl?trunc=1000\"", 1);
	ck_assert_ptr_nonnull(strstr(line, "\"range\": null"));
	free(line);
	free(u);
	/* Ranges: resumed where it broke, and the hash still checks out. */
	c[strlen(c) - 1] = 'X';		/* another cache */
	u = url("/f/cut.whl?trunc=1000&ranges=1");
	fetch_one(c, u, sha, 100000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	ck_assert_int_eq(requests("/f/cut.whl?trunc=1000&ranges=1"), 2);
	line = request_line("/f/cut.whl?trunc=1000&ranges=1", 1);
	ck_assert_msg(strstr(line, "\"range\": \"bytes=1000-\""), "%s", line);
	free(line);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_redirect)
{
	char		 sha[65], *c = cache(), *u, *to;
	struct got	 g;

	make_data("moved.whl", 3000, sha);
	to = url("/f/moved.whl");
	u = xasprintf("%s?redir=%s", to, to);
	fetch_one(c, u, sha, 3000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	ck_assert_int_eq(requests("\"path\": \"/f/moved.whl\""), 1);
	free(u);
	/* A loop ends after 10 redirects. */
	u = url("/f/loop.whl?loop=1");
	fetch_one(c, u, NULL, -1, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_msg(strstr(g.error, "redirects"), "%s", g.error);
	ck_assert_int_eq(requests("/f/loop.whl?loop=1"), 11);
	free(u);
	/* Never to file:// (nor any scheme but http and https). */
	u = url("/f/x.whl?redir=file:///etc/passwd");
	fetch_one(c, u, NULL, -1, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_msg(strstr(g.error, "redirect refused"), "%s", g.error);
	free(u);
	free(to);
	free(c);
}
END_TEST

START_TEST(t_https_to_http)
{
	char		 sha[65], *c = cache(), *u;
	struct got	 g;

	if (https_port == 0) {
		fprintf(stderr, "check_fetch: no openssl, https redirect tests skipped\n");
		free(c);
		return;
	}
	make_data("sec.whl", 3000, sha);
	/* https itself works, with the CA given as --cert would... */
	u = xasprintf("https://127.0.0.1:%d/f/sec.whl", https_port);
	fetch_one(c, u, sha, 3000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	free(u);
	/* ...and so does https -> https... */
	u = xasprintf("https://127.0.0.1:%d/f/sec.whl?redir=https://127.0.0.1:%d/f/"
	    "sec.whl%%3Fs=1", https_port, https_port);
	c[strlen(c) - 1] = 'X';
	fetch_one(c, u, sha, 3000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	free(u);
	/* ...but https -> http is refused before any plain request. */
	u = xasprintf("https://127.0.0.1:%d/f/sec.whl?redir=http://127.0.0.1:%d/f/"
	    "sec.whl%%3Fplain=1", https_port, http_port);
	fetch_one(c, u, NULL, -1, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_msg(strstr(g.error, "redirect refused"), "%s", g.error);
	ck_assert_int_eq(requests("\"path\": \"/f/sec.whl?plain=1\""), 0);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_credentials)
{
	char		 sha[65], *c = cache(), *u, *line;
	struct got	 g;

	make_data("auth.whl", 1000, sha);
	/* Another host (localhost, not 127.0.0.1): no Authorization there. */
	u = xasprintf("http://user:s3cret@127.0.0.1:%d/f/auth.whl?redir=http://"
	    "localhost:%d/f/auth.whl%%3Fhop=1", http_port, http_port);
	fetch_one(c, u, sha, 1000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	line = request_line("/f/auth.whl?redir", 0);
	ck_assert_msg(strstr(line, "\"auth\": \"Basic "), "%s", line);
	free(line);
	line = request_line("/f/auth.whl?hop=1", 0);
	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strstr(line, "\"auth\": null"), "credentials leaked: %s", line);
	free(line);
	ck_assert_ptr_null(strstr(g.url, "s3cret"));
	ck_assert_ptr_nonnull(strstr(g.url, "user:****@127.0.0.1"));
	free(u);
	/* Never printed, in errors either. */
	u = xasprintf("http://user:s3cret@127.0.0.1:%d/f/nothing.whl", http_port);
	fetch_one(c, u, NULL, -1, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_ptr_null(strstr(g.error, "s3cret"));
	ck_assert_msg(strstr(g.error, "http://user:****@127.0.0.1:"), "%s", g.error);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_redact)
{
	static const char *const cases[][2] = {
		{ "https://u:p@h/x", "https://u:****@h/x" },
		{ "https://token@h/x", "https://****@h/x" },
		{ "https://h/x@y", "https://h/x@y" },
		{ "https://u:p:q@h:8/x?a=b@c", "https://u:****@h:8/x?a=b@c" },
		{ "https://a@b:p@h/", "https://a@b:****@h/" },
		{ "file:///tmp/x.whl", "file:///tmp/x.whl" },
		{ "no-scheme", "no-scheme" },
	};
	size_t	i;
	char	*r;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r = fetch_redact(cases[i][0]);
		ck_assert_str_eq(r, cases[i][1]);
		free(r);
	}
}
END_TEST

START_TEST(t_retry_after)
{
	char		 sha[65], *c = cache(), *u = url("/f/later.whl?fail=1&code=429&ra=1");
	struct got	 g;
	struct timespec	 a, b;
	double		 dt;

	make_data("later.whl", 1000, sha);
	clock_gettime(CLOCK_MONOTONIC, &a);
	fetch_one(c, u, sha, 1000, NULL, &g);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_msg(g.ok, "%s", g.error);
	dt = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	/* backoff_ms is 20: only Retry-After explains a second. */
	ck_assert_msg(dt >= 0.95 && dt < 3, "took %.2f s", dt);
	ck_assert_int_eq(requests("/f/later.whl?fail=1&code=429&ra=1"), 2);
	free(u);
	free(c);
}
END_TEST

static volatile sig_atomic_t	stop_flag;
static int			wake[2];
static struct timespec		stop_time;

static double
since(const struct timespec *a)
{
	struct timespec	b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static void *
stopper(void *arg)
{
	(void)arg;
	usleep(400000);
	clock_gettime(CLOCK_MONOTONIC, &stop_time);
	stop_flag = 1;
	if (write(wake[1], "x", 1) != 1)
		abort();
	return NULL;
}

/* Returns the seconds from the flag to the end of fetch_free(). */
static double
run_stop(int with_fd, const char *name, const char *dest)
{
	struct fetch_ctx	*ctx;
	struct fetch_req	 r;
	struct got		 g[2];
	pthread_t		 t;
	char			 sha[65], *c = cache(), *u;
	double			 dt;
	int			 rc;

	stop_flag = 0;
	ck_assert_int_eq(pipe(wake), 0);
	make_data(name, 2000000, sha);
	ctx = ctx_new(c, &stop_flag, with_fd ? wake[0] : -1);
	memset(g, 0, sizeof(g));
	memset(&r, 0, sizeof(r));
	u = xasprintf("http://127.0.0.1:%d/f/%s?stall=1", http_port, name);
	r.url = u;
	r.sha256 = sha;
	r.size = 2000000;
	r.dest_dir = dest;
	r.on_done = on_done;
	r.user = &g[0];
	ck_assert_int_eq(fetch_add(ctx, &r), 0);
	r.user = &g[1];
	r.filename = "second.whl";
	ck_assert_int_eq(fetch_add(ctx, &r), 0);
	pthread_create(&t, NULL, stopper, NULL);
	while ((rc = fetch_run_some(ctx, 5000, NULL, 0)) > 0)
		;
	ck_assert_int_eq(rc, FETCH_STOPPED);
	pthread_join(t, NULL);
	ck_assert_int_eq(fetch_run_some(ctx, 0, NULL, 0), FETCH_STOPPED);
	fetch_free(ctx);
	dt = since(&stop_time);
	ck_assert_int_eq(g[0].called + g[1].called, 0);
	ck_assert_int_eq(cache_files(c, "v1/tmp"), 0);
	ck_assert_int_eq(cache_files(c, "v1/archives"), 0);
	if (dest)
		ck_assert_int_eq(count_files(dest), 0);
	close(wake[0]);
	close(wake[1]);
	free(u);
	free(c);
	return dt;
}

START_TEST(t_stop)
{
	double	dt;
	char	*dest = kit_tpath("stage");

	/* The flag is set 0.4 s in; the transfers stall for a minute. */
	dt = run_stop(1, "stall1.whl", NULL);
	ck_assert_msg(dt < 0.5, "stop with a wake fd took %.2f s", dt);
	dt = run_stop(0, "stall2.whl", NULL);
	ck_assert_msg(dt < 0.6, "stop without a wake fd took %.2f s", dt);
	fprintf(stderr, "check_fetch: stopped %.3f s after the flag (no wake fd)\n", dt);
	ck_assert_int_eq(mkdir(dest, 0755), 0);
	dt = run_stop(1, "stall3.whl", dest);
	ck_assert_msg(dt < 0.5, "stop into a directory took %.2f s", dt);
	fprintf(stderr, "check_fetch: stopped %.3f s after the flag (wake fd)\n", dt);
	free(dest);
}
END_TEST

START_TEST(t_no_cache_dest)
{
	char		 sha[65], *u = url("/f/staged.whl"), *dest, *want, *src;
	struct got	 g;

	make_data("staged.whl", 50000, sha);
	dest = kit_tpath("stage");
	ck_assert_int_eq(mkdir(dest, 0755), 0);
	fetch_one(NULL, u, sha, 50000, dest, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	want = path_join(dest, "staged.whl");
	ck_assert_str_eq(g.path, want);
	src = path_join(datadir, "staged.whl");
	ck_assert(same_file(src, want));
	ck_assert_int_eq(count_files(dest), 1);
	/* A bad hash leaves nothing behind in the directory either. */
	fetch_one(NULL, u, "1111111111111111111111111111111111111111111111111111111111111111",
	    -1, dest, &g);
	ck_assert(!g.ok);
	ck_assert_int_eq(count_files(dest), 1);
	free(src);
	free(want);
	free(dest);
	free(u);
}
END_TEST

START_TEST(t_offline)
{
	struct fetch_opts	 o;
	struct fetch_ctx	*ctx;
	struct fetch_req	 r;
	struct got		 g[2];
	char			 sha[65], sha2[65], *c = cache(), *u = url("/f/off.whl");
	char			*u2 = url("/f/off2.whl");

	make_data("off.whl", 1000, sha);
	make_data("off2.whl", 1001, sha2);
	fetch_one(c, u, sha, 1000, NULL, &g[0]);
	ck_assert(g[0].ok);
	memset(&o, 0, sizeof(o));
	o.cache_dir = c;
	o.offline = 1;
	o.wake_fd = -1;
	ctx = fetch_new(&o);
	memset(g, 0, sizeof(g));
	memset(&r, 0, sizeof(r));
	r.url = u;
	r.sha256 = sha;
	r.size = -1;
	r.on_done = on_done;
	r.user = &g[0];
	fetch_add(ctx, &r);
	r.url = u2;
	r.sha256 = sha2;
	r.user = &g[1];
	fetch_add(ctx, &r);
	ck_assert_int_eq(fetch_run(ctx), 0);
	fetch_free(ctx);
	ck_assert(g[0].ok && g[0].from_cache);
	ck_assert(!g[1].ok);
	ck_assert_msg(strstr(g[1].error, "off2.whl") && strstr(g[1].error, "--offline"),
	    "%s", g[1].error);
	ck_assert_int_eq(requests("/f/off2.whl"), 0);
	free(u2);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_largest_first)
{
	struct fetch_opts	 o;
	struct fetch_ctx	*ctx;
	struct fetch_req	 r;
	struct got		 g[3];
	struct fetch_stats	 st;
	static const int	 sizes[] = { 10, 3000, 200 };
	char			 sha[65], name[32], *c = cache(), *u, *l0, *l2;
	size_t			 i;

	memset(&o, 0, sizeof(o));
	o.cache_dir = c;
	o.max_concurrent = 1;
	o.wake_fd = -1;
	ctx = fetch_new(&o);
	memset(g, 0, sizeof(g));
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "order%zu.whl", i);
		make_data(name, (size_t)sizes[i], sha);
		u = xasprintf("http://127.0.0.1:%d/f/%s", http_port, name);
		memset(&r, 0, sizeof(r));
		r.url = u;
		r.size = sizes[i];
		r.on_done = on_done;
		r.user = &g[i];
		ck_assert_int_eq(fetch_add(ctx, &r), 0);
		free(u);
	}
	ck_assert_int_eq(fetch_run(ctx), 0);
	fetch_get_stats(ctx, &st);
	fetch_free(ctx);
	for (i = 0; i < 3; i++)
		ck_assert(g[i].ok);
	/* One after the other over one kept-alive connection. */
	ck_assert_int_eq(st.requests, 3);
	ck_assert_int_eq(st.connections, 1);
	ck_assert_int_eq(st.bytes_expected, 3210);
	ck_assert_int_eq(st.bytes_received, 3210);
	ck_assert_int_eq(st.files_done, 3);
	l0 = request_line("/f/order", 0);
	l2 = request_line("/f/order", 2);
	ck_assert_msg(strstr(l0, "order1.whl") && strstr(l2, "order0.whl"), "%s / %s",
	    l0, l2);
	free(l0);
	free(l2);
	free(c);
}
END_TEST

START_TEST(t_page_304)
{
	struct fetch_ctx	*ctx;
	struct fetch_page	 p;
	char			 sha[65], *c = cache(), *u = url("/f/page.json?etag=1");
	char			*line, *src, *body;
	size_t			 len;
	const char		*acc = "application/vnd.pypi.simple.v1+json";

	make_data("page.json", 2345, sha);
	src = path_join(datadir, "page.json");
	ck_assert_int_eq(read_file(src, 1 << 20, &body, &len), 0);
	ctx = ctx_new(c, NULL, -1);
	ck_assert_int_eq(fetch_page(ctx, u, acc, &p), 0);
	ck_assert_int_eq(p.from_cache, 0);
	ck_assert_uint_eq(p.len, len);
	ck_assert(memcmp(p.body, body, len) == 0);
	ck_assert_str_eq(p.final_url, u);
	fetch_page_free(&p);
	fetch_free(ctx);
	/* Again, with a fresh context: revalidated, 304, the stored body. */
	ctx = ctx_new(c, NULL, -1);
	ck_assert_int_eq(fetch_page(ctx, u, acc, &p), 0);
	ck_assert_int_eq(p.from_cache, 1);
	ck_assert_uint_eq(p.len, len);
	ck_assert(memcmp(p.body, body, len) == 0);
	fetch_page_free(&p);
	fetch_free(ctx);
	line = request_line("/f/page.json?etag=1", 1);
	ck_assert_msg(strstr(line, "\"inm\": \"\\\"2345\\\"\""), "%s", line);
	ck_assert_msg(strstr(line, acc), "%s", line);
	free(line);
	/* A damaged stored copy: fetched again without validators, and
	 * stored anew. */
	{
		char	*pf = page_cache_path(c, u, acc);

		ck_assert_int_eq(write_file_atomic(pf, "junk\n", 5, 0600), 0);
		ctx = ctx_new(c, NULL, -1);
		ck_assert_int_eq(fetch_page(ctx, u, acc, &p), 0);
		ck_assert_int_eq(p.from_cache, 0);
		ck_assert_uint_eq(p.len, len);
		fetch_page_free(&p);
		fetch_free(ctx);
		line = request_line("/f/page.json?etag=1", 2);
		ck_assert_msg(strstr(line, "\"inm\": null"), "%s", line);
		free(line);
		ctx = ctx_new(c, NULL, -1);
		ck_assert_int_eq(fetch_page(ctx, u, acc, &p), 0);
		ck_assert_int_eq(p.from_cache, 1);
		fetch_page_free(&p);
		fetch_free(ctx);
		free(pf);
	}
	ck_assert_int_eq(requests("/f/page.json?etag=1"), 4);
	/* A page that is gone is an error naming it; not retried. */
	free(u);
	u = url("/f/nopage.json");
	ctx = ctx_new(c, NULL, -1);
	ck_assert_int_eq(fetch_page(ctx, u, acc, &p), -1);
	ck_assert_msg(strstr(err_get(), "/f/nopage.json: HTTP 404"), "%s", err_get());
	fetch_free(ctx);
	free(body);
	free(src);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_cache_info_prune)
{
	struct cache_fetch_info	 fi;
	struct fetch_ctx	*ctx;
	struct fetch_page	 p;
	char			 sha[65], *c = cache(), *u = url("/f/info.whl");
	unsigned long		 removed;
	struct got		 g;

	make_data("info.whl", 1234, sha);
	fetch_one(c, u, sha, 1234, NULL, &g);
	ck_assert(g.ok);
	free(u);
	u = url("/f/info.whl?etag=1");
	ctx = ctx_new(c, NULL, -1);
	ck_assert_int_eq(fetch_page(ctx, u, "text/html", &p), 0);
	fetch_page_free(&p);
	fetch_free(ctx);
	ck_assert_int_eq(cache_fetch_info(c, &fi), 0);
	ck_assert_int_eq(fi.archives, 1);
	ck_assert_int_eq(fi.archive_bytes, 1234);
	ck_assert_int_eq(fi.pages, 1);
	ck_assert(fi.page_bytes > 1234);
	ck_assert(fi.oldest > 0);
	ck_assert_int_eq(cache_fetch_prune(c, 1, &removed), 0);
	ck_assert_int_eq(removed, 0);
	ck_assert_int_eq(cache_fetch_prune(c, 0, &removed), 0);
	ck_assert_int_eq(removed, 0);	/* used this second */
	sleep(1);
	ck_assert_int_eq(cache_fetch_prune(c, 0, &removed), 0);
	ck_assert_int_eq(removed, 2);
	ck_assert_int_eq(cache_fetch_info(c, &fi), 0);
	ck_assert_int_eq(fi.archives + fi.pages, 0);
	ck_assert_int_eq(cache_files(c, "v1/tmp"), 0);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_bad_requests)
{
	struct fetch_ctx	*ctx = ctx_new(NULL, NULL, -1);
	struct fetch_req	 r;

	memset(&r, 0, sizeof(r));
	r.url = "http://127.0.0.1:1/x.whl";
	r.size = -1;
	ck_assert_int_eq(fetch_add(ctx, &r), -1);	/* no cache, no dest */
	r.dest_dir = kit_tmp;
	r.sha256 = "abc";
	ck_assert_int_eq(fetch_add(ctx, &r), -1);
	r.sha256 = NULL;
	r.url = "http://127.0.0.1:1/dir/";
	ck_assert_int_eq(fetch_add(ctx, &r), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "no file name"));
	fetch_free(ctx);
}
END_TEST

START_TEST(t_connection_refused)
{
	struct got	 g;
	char		*c = cache();

	/* Port 1 on loopback: refused at once, retried, then named. */
	fetch_one(c, "http://127.0.0.1:1/f/x.whl", NULL, -1, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_msg(strstr(g.error, "connection failed") &&
	    strstr(g.error, "4 attempts"), "%s", g.error);
	free(c);
}
END_TEST

START_TEST(t_netrc)
{
	char		 sha[65], *c = cache(), *u, *line, *rc = kit_tpath("netrc");
	const char	*text = "machine 127.0.0.1 login nu password n3tpass\n";
	struct got	 g;

	make_data("netrc.whl", 1000, sha);
	ck_assert_int_eq(write_file_atomic(rc, text, strlen(text), 0600), 0);
	setenv("NETRC", rc, 1);
	u = xasprintf("http://127.0.0.1:%d/f/netrc.whl?redir=http://localhost:%d/f/"
	    "netrc.whl%%3Fhop=1", http_port, http_port);
	fetch_one(c, u, sha, 1000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	line = request_line("/f/netrc.whl?redir", 0);
	/* "nu:n3tpass" in base64 */
	ck_assert_msg(strstr(line, "\"auth\": \"Basic bnU6bjN0cGFzcw==\""), "%s", line);
	free(line);
	line = request_line("/f/netrc.whl?hop=1", 0);
	ck_assert_msg(line && strstr(line, "\"auth\": null"), "%s", line);
	free(line);
	free(u);
	free(rc);
	free(c);
}
END_TEST

START_TEST(t_proxy_from_env)
{
	char		 sha[65], *c = cache(), *proxy;
	struct got	 g;

	make_data("proxied.whl", 1000, sha);
	proxy = url("");
	setenv("http_proxy", proxy, 1);
	fetch_one(c, "http://index.invalid/f/proxied.whl", sha, 1000, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	ck_assert_int_eq(requests("\"path\": \"http://index.invalid/f/proxied.whl\""), 1);
	unsetenv("http_proxy");
	free(proxy);
	free(c);
}
END_TEST

START_TEST(t_tls_untrusted)
{
	struct fetch_opts	 o;
	struct got		 g;
	char			 sha[65], *c = cache(), *u;

	if (https_port == 0 || *othercert == '\0')
		return;
	make_data("untrusted.whl", 100, sha);
	memset(&o, 0, sizeof(o));
	o.cache_dir = c;
	o.retries = 3;
	o.backoff_ms = 20;
	o.wake_fd = -1;
	o.cert_file = othercert;	/* a bundle without our CA */
	u = xasprintf("https://127.0.0.1:%d/f/untrusted.whl", https_port);
	fetch_in(fetch_new(&o), u, NULL, -1, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_msg(strstr(g.error, "TLS certificate not trusted"), "%s", g.error);
	ck_assert_int_eq(g.attempts, 1);
	ck_assert_int_eq(requests("/f/untrusted.whl"), 0);
	/* $SSL_CERT_FILE is the bundle when --cert is not given. */
	setenv("SSL_CERT_FILE", certfile, 1);
	o.cert_file = NULL;
	fetch_in(fetch_new(&o), u, sha, -1, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	unsetenv("SSL_CERT_FILE");
	free(u);
	free(c);
}
END_TEST

START_TEST(t_stall_timeout)
{
	struct fetch_opts	 o;
	struct got		 g;
	char			 sha[65], *c = cache(), *u = url("/f/slow.whl?stall=1");

	make_data("slow.whl", 100000, sha);
	memset(&o, 0, sizeof(o));
	o.cache_dir = c;
	o.retries = 1;
	o.backoff_ms = 20;
	o.timeout = 1;
	o.wake_fd = -1;
	fetch_in(fetch_new(&o), u, sha, 100000, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_msg(strstr(g.error, "timed out") && strstr(g.error, "2 attempts"),
	    "%s", g.error);
	ck_assert_int_eq(requests("/f/slow.whl?stall=1"), 2);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_pipelined)
{
	struct fetch_ctx	*ctx;
	struct fetch_req	 r;
	struct got		 g[2];
	struct pollfd		 pfd[20];
	char			 sha[65], sha2[65], *c = cache(), *slow, *quick;
	int			 rc, pending_when_quick = -1, idle[2];
	size_t			 k;

	if (_i == 1 && https_port == 0)
		return;
	make_data("pipe-slow.whl", 1000000, sha);
	make_data("pipe-quick.whl", 1000, sha2);
	stop_flag = 0;
	ctx = ctx_new(c, &stop_flag, -1);
	memset(g, 0, sizeof(g));
	memset(&r, 0, sizeof(r));
	/* Plain HTTP/1.1, and the same over TLS (HTTP/1.1 too: the test
	 * server offers no HTTP/2). */
	slow = xasprintf("%s://127.0.0.1:%d/f/pipe-slow.whl?stall=1",
	    _i ? "https" : "http", _i ? https_port : http_port);
	quick = xasprintf("%s://127.0.0.1:%d/f/pipe-quick.whl",
	    _i ? "https" : "http", _i ? https_port : http_port);
	r.url = slow;
	r.sha256 = sha;
	r.size = 1000000;
	r.on_done = on_done;
	r.user = &g[0];
	ck_assert_int_eq(fetch_add(ctx, &r), 0);
	r.url = quick;
	r.sha256 = sha2;
	r.size = 1000;
	r.user = &g[1];
	ck_assert_int_eq(fetch_add(ctx, &r), 0);
	/* The small file is handed over while the large one still runs;
	 * the caller's descriptors (worker pipes, more than curl's usual
	 * few) are served too. */
	ck_assert_int_eq(pipe(wake), 0);
	ck_assert_int_eq(pipe(idle), 0);
	ck_assert_int_eq(write(wake[1], "w", 1), 1);
	for (k = 0; k < 20; k++) {
		pfd[k].fd = k == 19 ? wake[0] : idle[0];
		pfd[k].events = POLLIN;
	}
	while ((rc = fetch_run_some(ctx, 100, pfd, 20)) > 0) {
		ck_assert(pfd[19].revents & POLLIN);
		ck_assert_int_eq(pfd[3].revents, 0);
		if (g[1].called && pending_when_quick < 0) {
			pending_when_quick = rc;
			stop_flag = 1;
		}
	}
	close(wake[0]);
	close(wake[1]);
	close(idle[0]);
	close(idle[1]);
	ck_assert_msg(g[1].ok, "%s", g[1].error);
	ck_assert_int_eq(pending_when_quick, 1);
	ck_assert_int_eq(g[0].called, 0);
	ck_assert_int_eq(rc, FETCH_STOPPED);
	fetch_free(ctx);
	free(slow);
	free(quick);
	free(c);
}
END_TEST

START_TEST(t_many_concurrent)
{
	struct fetch_ctx	*ctx;
	struct fetch_req	 r;
	struct fetch_stats	 st;
	struct got		 g[40];
	char			 sha[65], name[32], *c = cache(), *u;
	size_t			 i;

	ctx = ctx_new(c, NULL, -1);
	memset(g, 0, sizeof(g));
	for (i = 0; i < ARRAY_SIZE(g); i++) {
		snprintf(name, sizeof(name), "many%zu.whl", i);
		make_data(name, 20000 + i, sha);
		u = xasprintf("http://127.0.0.1:%d/f/%s", http_port, name);
		memset(&r, 0, sizeof(r));
		r.url = u;
		r.sha256 = sha;
		r.size = (int64_t)(20000 + i);
		r.on_done = on_done;
		r.user = &g[i];
		ck_assert_int_eq(fetch_add(ctx, &r), 0);
		free(u);
	}
	ck_assert_int_eq(fetch_run(ctx), 0);
	fetch_get_stats(ctx, &st);
	fetch_free(ctx);
	for (i = 0; i < ARRAY_SIZE(g); i++)
		ck_assert_msg(g[i].ok && g[i].called == 1, "%zu: %s", i, g[i].error);
	ck_assert_int_eq(st.requests, 40);
	ck_assert_msg(st.connections >= 1 && st.connections <= 16, "%lu connections",
	    st.connections);
	free(c);
}
END_TEST

/* Two processes download the same file into one cache at once. */
START_TEST(t_concurrent_publish)
{
	char		 sha[65], *c = cache(), *u = url("/f/shared.whl?ranges=1");
	struct got	 g;
	pid_t		 pid[2];
	int		 i, st;

	make_data("shared.whl", 2000000, sha);
	for (i = 0; i < 2; i++)
		if ((pid[i] = fork()) == 0) {
			fetch_one(c, u, sha, 2000000, NULL, &g);
			_exit(g.ok ? 0 : 1);
		}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(cache_files(c, "v1/archives"), 1);
	ck_assert_int_eq(cache_files(c, "v1/tmp"), 0);
	free(u);
	free(c);
}
END_TEST

START_TEST(t_file_url)
{
	char		 sha[65], *c = cache(), *u;
	struct got	 g;

	make_data("local.whl", 12345, sha);
	u = xasprintf("file://%s/local.whl", datadir);
	fetch_one(c, u, sha, 12345, NULL, &g);
	ck_assert_msg(g.ok, "%s", g.error);
	ck_assert_int_eq(g.bytes, 12345);
	free(u);
	u = xasprintf("file://%s/absent.whl", datadir);
	fetch_one(c, u, NULL, -1, NULL, &g);
	ck_assert(!g.ok);
	ck_assert_int_eq(g.attempts, 1);
	free(u);
	free(c);
}
END_TEST

static Suite *
fetch_suite(void)
{
	Suite	*s = suite_create("fetch");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, kit_tmp_setup, kit_tmp_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_redact);
	tcase_add_test(tc, t_bad_requests);
	tcase_add_test(tc, t_into_cache);
	tcase_add_test(tc, t_second_fetch_no_request);
	tcase_add_test(tc, t_wrong_sha);
	tcase_add_test(tc, t_size_mismatch);
	tcase_add_test(tc, t_retry_5xx);
	tcase_add_test(tc, t_404_not_retried);
	tcase_add_test(tc, t_truncated);
	tcase_add_test(tc, t_redirect);
	tcase_add_test(tc, t_https_to_http);
	tcase_add_test(tc, t_credentials);
	tcase_add_test(tc, t_retry_after);
	tcase_add_test(tc, t_stop);
	tcase_add_test(tc, t_no_cache_dest);
	tcase_add_test(tc, t_offline);
	tcase_add_test(tc, t_largest_first);
	tcase_add_test(tc, t_page_304);
	tcase_add_test(tc, t_cache_info_prune);
	tcase_add_test(tc, t_connection_refused);
	tcase_add_test(tc, t_netrc);
	tcase_add_test(tc, t_proxy_from_env);
	tcase_add_test(tc, t_tls_untrusted);
	tcase_add_test(tc, t_stall_timeout);
	tcase_add_loop_test(tc, t_pipelined, 0, 2);
	tcase_add_test(tc, t_many_concurrent);
	tcase_add_test(tc, t_concurrent_publish);
	tcase_add_test(tc, t_file_url);
	suite_add_tcase(s, tc);
	return s;
}

/* A throwaway self-signed certificate for 127.0.0.1 (0 when made). */
static int
openssl_cert(const char *key, const char *cert)
{
	char	*cmd;
	int	 rc;

	cmd = xasprintf("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
	    "-nodes -keyout '%s' -out '%s' -days 2 -subj /CN=127.0.0.1 "
	    "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1", key, cert);
	rc = system(cmd);
	free(cmd);
	return rc;
}

/* The server's certificate, and another one to play an unrelated CA;
 * none when openssl is missing. */
static void
make_cert(char *key)
{
	char	other_key[PATH_MAX];

	snprintf(certfile, sizeof(certfile), "%s/cert.pem", kit_top);
	snprintf(othercert, sizeof(othercert), "%s/other.pem", kit_top);
	snprintf(key, PATH_MAX, "%s/key.pem", kit_top);
	snprintf(other_key, sizeof(other_key), "%s/other-key.pem", kit_top);
	if (openssl_cert(key, certfile) != 0)
		certfile[0] = '\0';
	if (openssl_cert(other_key, othercert) != 0)
		othercert[0] = '\0';
}

static int
start_server(void)
{
	const char	*srcdir = getenv("SRCDIR");
	char		 script[PATH_MAX], ports[PATH_MAX], key[PATH_MAX], *text;
	size_t		 len;
	int		 i;

	snprintf(script, sizeof(script), "%s/tests/unit/fetchserver.py",
	    srcdir && *srcdir ? srcdir : ".");
	snprintf(datadir, sizeof(datadir), "%s/data", kit_top);
	snprintf(logfile, sizeof(logfile), "%s/requests.log", kit_top);
	snprintf(ports, sizeof(ports), "%s/ports", kit_top);
	if (mkdir(datadir, 0755) != 0)
		return -1;
	make_cert(key);
	fflush(NULL);
	if ((server_pid = fork()) == 0) {
		if (*certfile)
			execlp("python3", "python3", script, datadir, ports, logfile,
			    certfile, key, (char *)NULL);
		else
			execlp("python3", "python3", script, datadir, ports, logfile,
			    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if (read_file(ports, 64, &text, &len) == 0) {
			if (sscanf(text, "%d %d", &http_port, &https_port) < 1)
				http_port = 0;
			free(text);
			return http_port > 0 ? 0 : -1;
		}
		if (waitpid(server_pid, NULL, WNOHANG) == server_pid) {
			server_pid = 0;
			return -1;
		}
		usleep(50000);
	}
	return -1;
}

static int
setup_server(void)
{
	/* No proxy from the environment between us and our own server. */
	setenv("no_proxy", "127.0.0.1,localhost", 1);
	setenv("NETRC", "/nonexistent", 1);
	if (start_server() != 0) {
		fprintf(stderr, "check_fetch: SKIP: cannot start python3 fetchserver.py\n");
		return 77;
	}
	return 0;
}

static void
stop_server(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
}

KIT_MAIN_AROUND(fetch_suite, setup_server, stop_server)
