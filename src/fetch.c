/*
 * fetch.c: the download engine.  It owns every network connection forklift
 * opens: one libcurl multi handle (with a share handle for DNS and TLS
 * sessions), connections reused across transfers, HTTP/2 where the server
 * offers it.  Files are hashed (sha256) as their bytes arrive, their size
 * is enforced while they arrive, and they are renamed into the archive
 * cache (or the caller's directory) only once both check out.  Index
 * pages are stored with their ETag / Last-Modified and revalidated.
 *
 * libcurl itself is loaded by the first fetch_new() (curlfn.h).
 *
 * Process model: curl state lives in this one process.  No curl handle,
 * socket or TLS state may ever cross a fork, so workers are forked before
 * the first connection (before fetch_new()) and never touch the network.
 *
 * It never writes outside the cache's tmp/ until a file is verified, and
 * never prints a URL's password: every message goes through
 * fetch_redact().  Credentials (user:password@ in the URL, or ~/.netrc)
 * go only to the host they were given for: libcurl drops them when a
 * redirect leads elsewhere, and nothing here turns that off.  Proxies
 * come from the environment as libcurl reads it.
 *
 * Each item moves QUEUED -> ACTIVE -> (WAITING -> ACTIVE)* -> delivered;
 * a cached file goes READY -> delivered without a request.  Retries wait
 * with exponential backoff and jitter, or the server's Retry-After.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cache_archive.h"
#include "curlfn.h"
#include "fetch.h"
#include "fsutil.h"
#include "pagecache.h"
#include "record.h"
#include "util.h"

#define MAX_REDIRECTS	10
#define MAX_RETRY_AFTER	300		/* seconds */
#define MAX_BACKOFF_MS	16000

enum xfer_state { X_QUEUED, X_READY, X_ACTIVE, X_WAITING };
enum xfer_fail { F_NONE, F_SIZE, F_IO, F_RANGE, F_STALL };

struct xfer {
	struct fetch_ctx *ctx;
	CURL		*easy;
	int		 page;		/* an index page, not a file */
	enum xfer_state	 state;
	char		*url;
	char		*shown;		/* redacted, for messages */
	char		*filename;
	char		*dest_dir;	/* NULL: the archive cache */
	char		 want_sha[65];	/* "" when not given */
	int64_t		 want_size;	/* -1 when unknown */
	fetch_done_fn	 on_done;
	void		*user;

	int		 attempts;
	double		 not_before;	/* X_WAITING: monotonic seconds */
	char		*cached_path;	/* X_READY */

	/* The body so far: a file (fd, tmp) or, for pages, memory. */
	int		 fd;
	char		*tmp;
	struct buf	 body;
	struct hasher	 h;
	int64_t		 got;
	int64_t		 resume_from;	/* this attempt's Range start */
	int		 started;	/* first body bytes of this attempt seen */
	int		 discard;	/* error status: body not ours */
	long		 status;	/* the HTTP status that ended it, or 0 */
	double		 last_data;	/* monotonic time bytes last arrived */
	enum xfer_fail	 fail;
	char		*fail_msg;

	/* The current response's headers. */
	int		 accept_ranges;
	int64_t		 range_start;	/* Content-Range start, or -1 */
	char		*etag;
	char		*last_modified;

	/* Pages: the stored copy and the request headers. */
	char		*accept;
	char		*page_file;
	struct curl_slist *headers;
	char		 errbuf[CURL_ERROR_SIZE];
};

struct fetch_ctx {
	char		*cache_dir;
	char		*cert_file;
	long		 timeout;
	int		 retries;
	int		 max_concurrent;
	int		 offline;
	long		 backoff_ms;
	volatile sig_atomic_t *stop;
	int		 wake_fd;
	unsigned int	 seed;

	CURLM		*multi;
	CURLSH		*share;
	struct xfer	**v;
	size_t		 n, cap;
	size_t		 active;
	int		 stopped;
	struct fetch_stats stats;
};

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *
fetch_redact(const char *url)
{
	const char	*s, *auth, *end, *at, *colon, *p;
	struct buf	 b = BUF_INIT;

	if ((s = strstr(url, "://")) == NULL)
		return xstrdup(url);
	auth = s + 3;
	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return xstrdup(url);
	colon = memchr(auth, ':', (size_t)(at - auth));
	buf_add(&b, url, (size_t)(auth - url));
	if (colon != NULL)
		buf_add(&b, auth, (size_t)(colon - auth + 1));
	buf_adds(&b, "****");
	buf_adds(&b, at);
	return buf_detach(&b);
}

/* The last path segment of a URL: "https://h/a/b.whl?x#y" -> "b.whl". */
static char *
url_basename(const char *url)
{
	const char	*s = strstr(url, "://"), *q, *p;
	size_t		 len;

	s = s ? s + 3 : url;
	len = strcspn(s, "?#");
	q = s + len;
	for (p = q; p > s && p[-1] != '/'; p--)
		;
	return xstrndup(p, (size_t)(q - p));
}

static void
hex(const unsigned char *d, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int
env_int(const char *name, int def)
{
	const char	*s = getenv(name);
	char		*end;
	long		 v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtol(s, &end, 10);
	if (*end || v <= 0 || v > 1024) {
		warn_msg("%s: '%s' is not a number from 1 to 1024; using %d", name, s,
		    def);
		return def;
	}
	return (int)v;
}

struct fetch_ctx *
fetch_new(const struct fetch_opts *o)
{
	struct fetch_ctx	*ctx = xcalloc(1, sizeof(*ctx));
	static int		 inited;

	if (!inited) {
		if (curlfn_load() != 0)
			die(1, "%s", err_get());
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			die(1, "cannot initialise libcurl");
		inited = 1;
	}
	ctx->cache_dir = o->cache_dir ? xstrdup(o->cache_dir) : NULL;
	if (o->cert_file)
		ctx->cert_file = xstrdup(o->cert_file);
	else if (getenv("SSL_CERT_FILE") && *getenv("SSL_CERT_FILE"))
		ctx->cert_file = xstrdup(getenv("SSL_CERT_FILE"));
	ctx->timeout = o->timeout > 0 ? o->timeout : 15;
	ctx->retries = o->retries >= 0 ? o->retries : 5;
	ctx->max_concurrent = o->max_concurrent > 0 ? o->max_concurrent :
	    env_int("FORKLIFT_CONCURRENT_DOWNLOADS", 16);
	ctx->offline = o->offline;
	ctx->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : 500;
	ctx->stop = o->stop;
	ctx->wake_fd = o->wake_fd;
	ctx->seed = (unsigned int)getpid() ^ (unsigned int)time(NULL);
	if ((ctx->multi = curl_multi_init()) == NULL ||
	    (ctx->share = curl_share_init()) == NULL)
		die(1, "out of memory");
	curl_share_setopt(ctx->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(ctx->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_multi_setopt(ctx->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(ctx->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)ctx->max_concurrent);
	return ctx;
}

/* Remove an item's partial body and its curl handle; the item stays. */
static void
xfer_release(struct xfer *x)
{
	if (x->state == X_ACTIVE) {
		curl_multi_remove_handle(x->ctx->multi, x->easy);
		x->ctx->active--;
		x->state = X_QUEUED;
	}
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	if (x->tmp) {
		unlink(x->tmp);
		free(x->tmp);
		x->tmp = NULL;
	}
}

static void
xfer_free(struct xfer *x)
{
	xfer_release(x);
	if (x->easy)
		curl_easy_cleanup(x->easy);
	if (!x->page)
		hasher_free(&x->h);
	curl_slist_free_all(x->headers);
	buf_free(&x->body);
	free(x->url);
	free(x->shown);
	free(x->filename);
	free(x->dest_dir);
	free(x->cached_path);
	free(x->fail_msg);
	free(x->etag);
	free(x->last_modified);
	free(x->accept);
	free(x->page_file);
	free(x);
}

void
fetch_free(struct fetch_ctx *ctx)
{
	size_t	i;

	if (ctx == NULL)
		return;
	for (i = 0; i < ctx->n; i++)
		xfer_free(ctx->v[i]);
	free(ctx->v);
	curl_multi_cleanup(ctx->multi);
	curl_share_cleanup(ctx->share);
	free(ctx->cache_dir);
	free(ctx->cert_file);
	free(ctx);
}

void
fetch_get_stats(const struct fetch_ctx *ctx, struct fetch_stats *st)
{
	*st = ctx->stats;
}

static struct xfer *
xfer_new(struct fetch_ctx *ctx, const char *url)
{
	struct xfer	*x = xcalloc(1, sizeof(*x));

	x->ctx = ctx;
	x->fd = -1;
	x->url = xstrdup(url);
	x->shown = fetch_redact(url);
	x->want_size = -1;
	x->range_start = -1;
	if (ctx->n == ctx->cap) {
		ctx->cap = ctx->cap ? ctx->cap * 2 : 64;
		ctx->v = xreallocarray(ctx->v, ctx->cap, sizeof(*ctx->v));
	}
	ctx->v[ctx->n++] = x;
	return x;
}

int
fetch_add(struct fetch_ctx *ctx, const struct fetch_req *r)
{
	struct xfer	*x;
	char		*name;
	size_t		 i;

	name = r->filename ? xstrdup(r->filename) : url_basename(r->url);
	if (*name == '\0' || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		char	*shown = fetch_redact(r->url);

		err_set("%s: no file name to store the download under", shown);
		free(shown);
		free(name);
		return -1;
	}
	if (r->sha256) {
		for (i = 0; i < 64; i++)
			if (!strchr("0123456789abcdef", r->sha256[i]) || r->sha256[i] == '\0')
				break;
		if (i != 64 || r->sha256[64] != '\0') {
			err_set("%s: '%s' is not a sha256 in lower-case hex", name,
			    r->sha256);
			free(name);
			return -1;
		}
	}
	if (r->dest_dir == NULL && ctx->cache_dir == NULL) {
		free(name);
		return err_set("%s: no cache and no directory to download into", r->url);
	}
	x = xfer_new(ctx, r->url);
	x->filename = name;
	x->dest_dir = r->dest_dir ? xstrdup(r->dest_dir) : NULL;
	if (r->sha256)
		memcpy(x->want_sha, r->sha256, 65);
	x->want_size = r->size >= 0 ? r->size : -1;
	x->on_done = r->on_done;
	x->user = r->user;
	hasher_init(&x->h, HASH_SHA256);
	ctx->stats.files_queued++;
	if (x->want_size > 0)
		ctx->stats.bytes_expected += (uint64_t)x->want_size;
	if (x->want_sha[0] && ctx->cache_dir && x->dest_dir == NULL &&
	    (x->cached_path = cache_archive_lookup(ctx->cache_dir, x->want_sha,
	    x->filename)) != NULL)
		x->state = X_READY;
	return 0;
}

int
fetch_add_page(struct fetch_ctx *ctx, const char *url, const char *accept,
    fetch_done_fn on_done, void *user)
{
	struct xfer	*x = xfer_new(ctx, url);

	x->page = 1;
	x->accept = xstrdup(accept);
	x->on_done = on_done;
	x->user = user;
	if (ctx->cache_dir)
		x->page_file = page_cache_path(ctx->cache_dir, url, accept);
	if (ctx->offline)
		x->state = X_READY;
	return 0;
}

static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = size * n, k;
	char		*v, *e;

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or a 100): forget the last. */
		x->accept_ranges = 0;
		x->range_start = -1;
		free(x->etag);
		free(x->last_modified);
		x->etag = x->last_modified = NULL;
		return len;
	}
	if ((v = memchr(line, ':', len)) == NULL)
		return len;
	k = (size_t)(v - line);
	v++;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	e = line + len;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
		e--;
	if (k == 13 && strncasecmp(line, "accept-ranges", k) == 0)
		x->accept_ranges = (e - v == 5 && strncasecmp(v, "bytes", 5) == 0);
	else if (k == 13 && strncasecmp(line, "content-range", k) == 0 &&
	    e - v > 6 && strncasecmp(v, "bytes ", 6) == 0)
		x->range_start = strtoll(v + 6, NULL, 10);
	else if (k == 4 && strncasecmp(line, "etag", k) == 0) {
		free(x->etag);
		x->etag = xstrndup(v, (size_t)(e - v));
	} else if (k == 13 && strncasecmp(line, "last-modified", k) == 0) {
		free(x->last_modified);
		x->last_modified = xstrndup(v, (size_t)(e - v));
	}
	return len;
}

static void
body_reset(struct xfer *x)
{
	unsigned char	d[32];

	x->got = 0;
	buf_reset(&x->body);
	if (!x->page) {
		hasher_final(&x->h, d);		/* also resets it */
		if (x->fd >= 0 && (ftruncate(x->fd, 0) != 0 ||
		    lseek(x->fd, 0, SEEK_SET) != 0))
			x->fail = F_IO;
	}
}

static void
fail_local(struct xfer *x, enum xfer_fail f, char *msg)
{
	x->fail = f;
	free(x->fail_msg);
	x->fail_msg = msg;
}

/* The first body bytes of an attempt: is this the body we asked for? */
static int
body_start(struct xfer *x)
{
	long		 code = 0;
	curl_off_t	 cl = -1;

	x->started = 1;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 300) {
		x->discard = 1;
		return 0;
	}
	if (code == 206) {
		if (x->range_start != x->resume_from) {
			fail_local(x, F_RANGE, xstrdup("the server resumed at the wrong offset"));
			return -1;
		}
	} else if (x->got > 0)
		body_reset(x);		/* the server sent the whole file again */
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (!x->page && x->want_size >= 0 && cl >= 0 && x->got + cl != x->want_size) {
		fail_local(x, F_SIZE, xasprintf("size mismatch: expected %lld bytes, "
		    "the server announced %lld", (long long)x->want_size,
		    (long long)(x->got + cl)));
		return -1;
	}
	return 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = size * n;

	if (!x->started && body_start(x) != 0)
		return 0;
	if (x->discard)
		return len;
	if (x->page) {
		if (x->body.len + len > PAGE_MAX) {
			fail_local(x, F_SIZE, xasprintf("the page is larger than %zu MiB",
			    PAGE_MAX >> 20));
			return 0;
		}
		buf_add(&x->body, p, len);
	} else {
		if (x->want_size >= 0 && x->got + (int64_t)len > x->want_size) {
			fail_local(x, F_SIZE, xasprintf("size mismatch: expected %lld "
			    "bytes, got more", (long long)x->want_size));
			return 0;
		}
		if (write_all(x->fd, p, len) != 0) {
			fail_local(x, F_IO, xasprintf("cannot write '%s': %s", x->tmp,
			    strerror(errno)));
			return 0;
		}
		hasher_update(&x->h, p, len);
	}
	x->got += (int64_t)len;
	x->ctx->stats.bytes_received += len;
	x->last_data = now_s();
	return len;
}

/* Stall check: libcurl's low-speed limit averages over several seconds,
 * so a body that stops after a fast start would wait longer than
 * --timeout; this counts from the last byte (or the start). */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct xfer	*x = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (now_s() - x->last_data > (double)x->ctx->timeout) {
		fail_local(x, F_STALL, xasprintf("timed out: no data for %ld s",
		    x->ctx->timeout));
		return 1;
	}
	return 0;
}

static void
set_protocols(CURL *e, const char *url)
{
	int	https = strncasecmp(url, "https:", 6) == 0;

#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85: the _STR forms */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file");
	/* Never from https to http (or anything else). */
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS,
	    https ? (long)CURLPROTO_HTTPS : (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

static CURL *
easy_new(struct fetch_ctx *ctx, struct xfer *x)
{
	CURL		*e;
	const char	*netrc = getenv("NETRC");

	if ((e = curl_easy_init()) == NULL)
		die(1, "out of memory");
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_SHARE, ctx->share);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "forklift/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* Over TLS, wait to learn whether the first connection multiplexes
	 * (HTTP/2) rather than open one per transfer.  Never for plain
	 * http: it is HTTP/1.1 here, and a transfer waiting on a connection
	 * whose response stalls would wait for that whole transfer. */
	if (strncasecmp(x->url, "https:", 6) == 0)
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
	/* Credentials stay with their host: UNRESTRICTED_AUTH stays 0. */
	curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	if (netrc && *netrc)
		curl_easy_setopt(e, CURLOPT_NETRC_FILE, netrc);
	set_protocols(e, x->url);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, ctx->timeout);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, ctx->timeout);
	if (ctx->cert_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, ctx->cert_file);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	if (x->page) {
		/* Pages may come compressed; files are hashed as sent. */
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
		x->headers = curl_slist_append(x->headers, "Cache-Control: max-age=0");
	}
	return e;
}

/* Add the stored page's validators to the request. */
static void
page_validators(struct xfer *x)
{
	struct page_copy	 sp;
	char			*h;

	h = xasprintf("Accept: %s", x->accept);
	x->headers = curl_slist_append(x->headers, h);
	free(h);
	if (x->page_file && page_cache_read(x->page_file, &sp) == 0) {
		if (sp.etag) {
			h = xasprintf("If-None-Match: %s", sp.etag);
			x->headers = curl_slist_append(x->headers, h);
			free(h);
		}
		if (sp.last_modified) {
			h = xasprintf("If-Modified-Since: %s", sp.last_modified);
			x->headers = curl_slist_append(x->headers, h);
			free(h);
		}
		page_copy_free(&sp);
	}
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
}

static int
xfer_start(struct fetch_ctx *ctx, struct xfer *x)
{
	if (x->easy == NULL) {
		x->easy = easy_new(ctx, x);
		if (x->page)
			page_validators(x);
	}
	if (!x->page && x->fd < 0) {
		if (x->dest_dir == NULL)
			x->fd = cache_archive_tmp(ctx->cache_dir, &x->tmp);
		else {
			x->tmp = xasprintf("%s/.%s.XXXXXX", x->dest_dir, x->filename);
			if ((x->fd = mkostemp(x->tmp, O_CLOEXEC)) < 0) {
				err_set("cannot create '%s': %s", x->tmp, strerror(errno));
				free(x->tmp);
				x->tmp = NULL;
			} else
				fchmod(x->fd, 0644);
		}
		if (x->fd < 0)
			return -1;
	}
	x->resume_from = x->got;
	curl_easy_setopt(x->easy, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)x->got);
	x->started = 0;
	x->discard = 0;
	x->fail = F_NONE;
	x->last_data = now_s();
	x->errbuf[0] = '\0';
	x->attempts++;
	ctx->stats.requests++;
	if (curl_multi_add_handle(ctx->multi, x->easy) != CURLM_OK)
		return err_set("%s: cannot start the transfer", x->shown);
	x->state = X_ACTIVE;
	ctx->active++;
	return 0;
}

/* Deliver an item to its callback and forget it. */
static void
deliver(struct fetch_ctx *ctx, struct xfer *x, struct fetch_result *res)
{
	size_t	i;

	res->url = x->shown;
	res->attempts = x->attempts;
	for (i = 0; i < ctx->n; i++)
		if (ctx->v[i] == x) {
			ctx->v[i] = ctx->v[--ctx->n];
			break;
		}
	if (!x->page)
		ctx->stats.files_done++;
	if (x->on_done)
		x->on_done(x->user, res);
	xfer_free(x);
}

static void
deliver_error(struct fetch_ctx *ctx, struct xfer *x, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
deliver_error(struct fetch_ctx *ctx, struct xfer *x, const char *fmt, ...)
{
	struct fetch_result	 res;
	va_list			 ap;
	char			*what, *msg;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		die(1, "out of memory");
	va_end(ap);
	msg = xasprintf("%s: %s", x->shown, what);
	free(what);
	memset(&res, 0, sizeof(res));
	res.error = msg;
	res.status = x->status;
	xfer_release(x);
	deliver(ctx, x, &res);
	free(msg);
}

/* Deliver the stored copy of a page. */
static void
deliver_stored(struct fetch_ctx *ctx, struct xfer *x, struct fetch_result *res,
    struct page_copy *sp)
{
	res->body = sp->body;
	res->len = sp->len;
	res->content_type = sp->content_type;
	res->final_url = sp->url;
	deliver(ctx, x, res);
	page_copy_free(sp);
}

/* A cached file, or an offline page. */
static void
deliver_ready(struct fetch_ctx *ctx, struct xfer *x)
{
	struct fetch_result	 res;
	struct page_copy	 sp;
	struct stat		 st;

	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.from_cache = 1;
	if (x->page) {
		if (x->page_file == NULL || page_cache_read(x->page_file, &sp) != 0) {
			deliver_error(ctx, x, "not in the cache, and --offline allows "
			    "no network");
			return;
		}
		deliver_stored(ctx, x, &res, &sp);
		return;
	}
	res.path = x->cached_path;
	res.sha256 = x->want_sha;
	res.bytes = stat(x->cached_path, &st) == 0 ? (uint64_t)st.st_size : 0;
	ctx->stats.from_cache++;
	deliver(ctx, x, &res);
}

/* Store the page with its validators (a cache we cannot write just
 * keeps no copy). */
static void
page_store(struct fetch_ctx *ctx, struct xfer *x, const char *ctype,
    const char *final)
{
	struct page_copy	pc;

	if (x->page_file == NULL)
		return;
	memset(&pc, 0, sizeof(pc));
	pc.url = (char *)final;
	pc.etag = x->etag;
	pc.last_modified = x->last_modified;
	pc.content_type = (char *)ctype;
	pc.body = x->body.p;
	pc.len = x->body.len;
	page_cache_write(ctx->cache_dir, x->page_file, &pc);
}

static void
finish_page(struct fetch_ctx *ctx, struct xfer *x, long code)
{
	struct fetch_result	 res;
	struct page_copy	 sp;
	char			*ctype = NULL, *final = NULL;

	memset(&res, 0, sizeof(res));
	res.ok = 1;
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ctype);
	curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &final);
	if (code == 304) {
		if (x->page_file == NULL || page_cache_read(x->page_file, &sp) != 0) {
			deliver_error(ctx, x, "HTTP 304 for a page that is not stored");
			return;
		}
		utimensat(AT_FDCWD, x->page_file, NULL, 0);
		res.from_cache = 1;
		deliver_stored(ctx, x, &res, &sp);
		return;
	}
	final = xstrdup(final ? final : x->url);
	ctype = ctype ? xstrdup(ctype) : NULL;
	page_store(ctx, x, ctype, final);
	buf_add(&x->body, "", 0);
	res.body = x->body.p ? x->body.p : "";
	res.len = x->body.len;
	res.content_type = ctype;
	res.final_url = final;
	deliver(ctx, x, &res);
	free(final);
	free(ctype);
}

static void
finish_file(struct fetch_ctx *ctx, struct xfer *x)
{
	struct fetch_result	 res;
	unsigned char		 d[32];
	char			 sha[65], *final = NULL;

	hasher_final(&x->h, d);
	hex(d, 32, sha);
	if (x->want_size >= 0 && x->got != x->want_size) {
		deliver_error(ctx, x, "size mismatch: expected %lld bytes, got %lld "
		    "(sha256 %s)", (long long)x->want_size, (long long)x->got, sha);
		return;
	}
	if (x->want_sha[0] && strcmp(sha, x->want_sha) != 0) {
		deliver_error(ctx, x, "sha256 mismatch: expected %s, got %s",
		    x->want_sha, sha);
		return;
	}
	close(x->fd);
	x->fd = -1;
	if (x->dest_dir == NULL) {
		if (cache_archive_publish(ctx->cache_dir, x->tmp, sha, x->filename,
		    &final) != 0) {
			deliver_error(ctx, x, "%s", err_get());
			return;
		}
	} else {
		final = path_join(x->dest_dir, x->filename);
		if (rename(x->tmp, final) != 0) {
			deliver_error(ctx, x, "cannot rename into '%s': %s", final,
			    strerror(errno));
			free(final);
			return;
		}
	}
	free(x->tmp);
	x->tmp = NULL;
	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.path = final;
	res.sha256 = sha;
	res.bytes = (uint64_t)x->got;
	deliver(ctx, x, &res);
	free(final);
}

static const char *
http_reason(long code)
{
	switch (code) {
	case 401:
		return "unauthorized (credentials missing or refused)";
	case 403:
		return "forbidden";
	case 404:
		return "not found";
	case 410:
		return "gone";
	case 429:
		return "too many requests";
	case 500:
		return "internal server error";
	case 502:
		return "bad gateway";
	case 503:
		return "service unavailable";
	case 504:
		return "gateway timeout";
	}
	return code >= 500 ? "server error" : "refused";
}

/* What went wrong, in words, and whether another attempt may help. */
static char *
describe(struct xfer *x, CURLcode rc, int *retry)
{
	const char	*detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);

	*retry = 1;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return xasprintf("DNS failure: %s", detail);
	case CURLE_COULDNT_CONNECT:
		return xasprintf("connection failed: %s", detail);
	case CURLE_OPERATION_TIMEDOUT:
		return xasprintf("timed out: %s", detail);
	case CURLE_SSL_CONNECT_ERROR:
		return xasprintf("TLS handshake failed: %s", detail);
	case CURLE_PEER_FAILED_VERIFICATION:
		*retry = 0;
		return xasprintf("TLS certificate not trusted (see --cert): %s", detail);
	case CURLE_SSL_CACERT_BADFILE:
		*retry = 0;
		return xasprintf("TLS CA bundle unusable: %s", detail);
	case CURLE_PARTIAL_FILE:
		return xasprintf("truncated body: %s", detail);
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return xasprintf("connection reset: %s", detail);
	case CURLE_TOO_MANY_REDIRECTS:
		*retry = 0;
		return xasprintf("more than %d redirects", MAX_REDIRECTS);
	case CURLE_UNSUPPORTED_PROTOCOL:
		*retry = 0;
		return xasprintf("redirect refused (never from https to http, nor "
		    "to another scheme): %s", detail);
	case CURLE_LOGIN_DENIED:
		*retry = 0;
		return xasprintf("login denied: %s", detail);
	case CURLE_FILE_COULDNT_READ_FILE:
		*retry = 0;
		return xasprintf("cannot read: %s", detail);
	default:
		*retry = 0;
		return xasprintf("%s", detail);
	}
}

/* Delay before attempt number x->attempts + 1, in seconds. */
static double
backoff(struct fetch_ctx *ctx, struct xfer *x, curl_off_t retry_after)
{
	double	 ms = (double)ctx->backoff_ms;
	int	 i;

	for (i = 1; i < x->attempts && ms < MAX_BACKOFF_MS; i++)
		ms *= 2;
	if (ms > MAX_BACKOFF_MS)
		ms = MAX_BACKOFF_MS;
	/* Jitter: somewhere in the upper half, so clients spread out. */
	ms = ms / 2 + ms / 2 * ((double)rand_r(&ctx->seed) / RAND_MAX);
	if (retry_after > 0)
		ms = (double)(retry_after > MAX_RETRY_AFTER ? MAX_RETRY_AFTER :
		    retry_after) * 1000.0;
	return ms / 1000.0;
}

static void
retry_or_fail(struct fetch_ctx *ctx, struct xfer *x, char *why,
    curl_off_t retry_after, int resumable)
{
	double	delay;

	if (x->attempts > ctx->retries) {
		deliver_error(ctx, x, "%s (after %d attempt%s)", why, x->attempts,
		    x->attempts == 1 ? "" : "s");
		free(why);
		return;
	}
	curl_multi_remove_handle(ctx->multi, x->easy);
	ctx->active--;
	if (!resumable || x->page)
		body_reset(x);
	delay = backoff(ctx, x, retry_after);
	if (verbosity >= 0)
		note_msg("%s: %s; retrying in %.1f s (attempt %d of %d)", x->shown, why,
		    delay, x->attempts + 1, ctx->retries + 1);
	free(why);
	x->state = X_WAITING;
	x->not_before = now_s() + delay;
}

/* New connections and HTTP/2 use, for -v and the measurements. */
static void
count_connection(struct fetch_ctx *ctx, struct xfer *x)
{
	long	n = 0, v = 0;

	curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &n);
	curl_easy_getinfo(x->easy, CURLINFO_HTTP_VERSION, &v);
	ctx->stats.connections += (unsigned long)n;
	if (v == CURL_HTTP_VERSION_2_0)
		ctx->stats.http2++;
}

static void
finish(struct fetch_ctx *ctx, struct xfer *x, CURLcode rc)
{
	long		 code = 0;
	curl_off_t	 ra = 0;
	int		 retry;
	char		*why;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	count_connection(ctx, x);
	if (x->fail == F_SIZE || x->fail == F_IO) {
		deliver_error(ctx, x, "%s", x->fail_msg);
		return;
	}
	if (x->fail == F_RANGE) {
		x->accept_ranges = 0;
		retry_or_fail(ctx, x, xstrdup(x->fail_msg), 0, 0);
		return;
	}
	if (x->fail == F_STALL) {
		retry_or_fail(ctx, x, xstrdup(x->fail_msg), 0, x->accept_ranges &&
		    x->got > 0 && !x->discard);
		return;
	}
	if (rc == CURLE_OK && code == 416 && x->resume_from > 0) {
		/* The part we have is not a prefix the server can extend. */
		x->accept_ranges = 0;
		retry_or_fail(ctx, x, xstrdup("HTTP 416 for the rest of the file"), 0, 0);
		return;
	}
	if (rc == CURLE_OK && code >= 400) {
		if (code == 429 || code == 408 || code >= 500) {
			curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra);
			retry_or_fail(ctx, x, xasprintf("HTTP %ld %s", code,
			    http_reason(code)), ra, 1);
		} else {
			x->status = code;
			deliver_error(ctx, x, "HTTP %ld %s", code, http_reason(code));
		}
		return;
	}
	if (rc == CURLE_OK && code >= 300 && code != 304) {
		deliver_error(ctx, x, "HTTP %ld without a usable Location", code);
		return;
	}
	if (rc != CURLE_OK) {
		why = describe(x, rc, &retry);
		if (!retry) {
			deliver_error(ctx, x, "%s", why);
			free(why);
			return;
		}
		/* Resume only from a body the server said it can range. */
		retry_or_fail(ctx, x, why, 0, x->accept_ranges && x->got > 0 &&
		    !x->discard);
		return;
	}
	/* Out of the multi handle; the file stays until it is published. */
	curl_multi_remove_handle(ctx->multi, x->easy);
	ctx->active--;
	x->state = X_QUEUED;
	if (x->page)
		finish_page(ctx, x, code);
	else
		finish_file(ctx, x);
}

/* Pages first, then the largest known size first, unknown sizes last. */
static struct xfer *
next_to_start(struct fetch_ctx *ctx, double now, double *next_wake)
{
	struct xfer	*best = NULL, *x;
	size_t		 i;

	for (i = 0; i < ctx->n; i++) {
		x = ctx->v[i];
		if (x->state == X_WAITING && x->not_before > now) {
			if (*next_wake < 0 || x->not_before < *next_wake)
				*next_wake = x->not_before;
			continue;
		}
		if (x->state != X_QUEUED && x->state != X_WAITING)
			continue;
		if (best == NULL || (x->page && !best->page) ||
		    (x->page == best->page && x->want_size > best->want_size))
			best = x;
	}
	return best;
}

static void
abort_all(struct fetch_ctx *ctx)
{
	size_t	i;

	for (i = 0; i < ctx->n; i++)
		xfer_free(ctx->v[i]);
	ctx->n = 0;
	ctx->active = 0;
	ctx->stopped = 1;
}

/* Start what may start, then collect what finished.  1 if anything was
 * delivered. */
static int
step(struct fetch_ctx *ctx, double *next_wake)
{
	struct xfer	*x;
	CURLMsg		*m;
	size_t		 i, before = ctx->n;
	int		 running, left;

	for (i = 0; i < ctx->n; ) {
		x = ctx->v[i];
		if (x->state == X_READY)
			deliver_ready(ctx, x);	/* removes it from v */
		else if (ctx->offline && !x->page) {
			deliver_error(ctx, x, "not in the cache, and --offline allows "
			    "no network");
		} else
			i++;
	}
	while (ctx->active < (size_t)ctx->max_concurrent &&
	    (x = next_to_start(ctx, now_s(), next_wake)) != NULL)
		if (xfer_start(ctx, x) != 0)
			deliver_error(ctx, x, "%s", err_get());
	curl_multi_perform(ctx->multi, &running);
	while ((m = curl_multi_info_read(ctx->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		finish(ctx, x, m->data.result);
	}
	/* Retries that just became due, and free slots. */
	*next_wake = -1;
	while (ctx->active < (size_t)ctx->max_concurrent &&
	    (x = next_to_start(ctx, now_s(), next_wake)) != NULL)
		if (xfer_start(ctx, x) != 0)
			deliver_error(ctx, x, "%s", err_get());
	return ctx->n != before;
}

static int
stop_requested(const struct fetch_ctx *ctx)
{
	return ctx->stop != NULL && *ctx->stop;
}

int
fetch_run_some(struct fetch_ctx *ctx, int timeout_ms, struct pollfd *extra,
    size_t nextra)
{
	struct curl_waitfd	 wfd_small[16], *wfd = wfd_small;
	double			 next_wake = -1, wait;
	size_t			 i, nw = 0;
	int			 ms, cap;
	CURLMcode		 mc;

	for (i = 0; i < nextra; i++)
		extra[i].revents = 0;
	if (ctx->stopped || stop_requested(ctx)) {
		abort_all(ctx);
		return FETCH_STOPPED;
	}
	if (step(ctx, &next_wake) || ctx->n == 0) {
		/* No wait, but the caller's descriptors are still looked at. */
		if (nextra > 0 && poll(extra, (nfds_t)nextra, 0) < 0 && errno != EINTR)
			return err_set("poll: %s", strerror(errno));
		for (i = 0; i < nextra; i++)	/* as curl_multi_poll() says it */
			if (extra[i].revents & (POLLHUP | POLLERR))
				extra[i].revents |= POLLIN;
		return (int)ctx->n;
	}
	/* The caller's descriptors are one per worker: as many as -j. */
	if (nextra + 1 > ARRAY_SIZE(wfd_small))
		wfd = xcalloc(nextra + 1, sizeof(*wfd));
	if (ctx->wake_fd >= 0) {
		wfd[nw].fd = ctx->wake_fd;
		wfd[nw].events = CURL_WAIT_POLLIN;
		wfd[nw++].revents = 0;
	}
	for (i = 0; i < nextra; i++) {
		wfd[nw].fd = extra[i].fd;
		wfd[nw].events = (short)((extra[i].events & POLLIN ? CURL_WAIT_POLLIN : 0) |
		    (extra[i].events & POLLOUT ? CURL_WAIT_POLLOUT : 0));
		wfd[nw++].revents = 0;
	}
	/* Wake for a retry that comes due, and often enough to see a stop
	 * flag set without a wake fd. */
	cap = ctx->wake_fd >= 0 ? 1000 : 250;
	ms = timeout_ms < 0 || timeout_ms > cap ? cap : timeout_ms;
	if (next_wake >= 0) {
		wait = (next_wake - now_s()) * 1000.0;
		if (wait < ms)
			ms = wait < 0 ? 0 : (int)wait + 1;
	}
	mc = curl_multi_poll(ctx->multi, wfd, (unsigned int)nw, ms, NULL);
	for (i = 0; mc == CURLM_OK && i < nextra; i++) {
		short	r = wfd[nw - nextra + i].revents;

		extra[i].revents = (short)((r & CURL_WAIT_POLLIN ? POLLIN : 0) |
		    (r & CURL_WAIT_POLLOUT ? POLLOUT : 0) |
		    (r & CURL_WAIT_POLLPRI ? POLLPRI : 0));
	}
	if (wfd != wfd_small)
		free(wfd);
	if (mc != CURLM_OK)
		return err_set("waiting for downloads failed");
	if (stop_requested(ctx)) {
		abort_all(ctx);
		return FETCH_STOPPED;
	}
	step(ctx, &next_wake);
	return (int)ctx->n;
}

int
fetch_run(struct fetch_ctx *ctx)
{
	int	rc;

	while ((rc = fetch_run_some(ctx, 1000, NULL, 0)) > 0)
		;
	return rc;
}

struct page_wait {
	struct fetch_page *out;
	int		 done;
	int		 ok;
	char		*error;
};

static void
page_done(void *arg, const struct fetch_result *r)
{
	struct page_wait *w = arg;

	w->done = 1;
	w->ok = r->ok;
	if (!r->ok) {
		w->error = xstrdup(r->error);
		return;
	}
	w->out->body = xmalloc(r->len + 1);
	memcpy(w->out->body, r->body, r->len);
	w->out->body[r->len] = '\0';
	w->out->len = r->len;
	w->out->content_type = r->content_type ? xstrdup(r->content_type) : NULL;
	w->out->final_url = xstrdup(r->final_url);
	w->out->from_cache = r->from_cache;
}

int
fetch_page(struct fetch_ctx *ctx, const char *url, const char *accept,
    struct fetch_page *out)
{
	struct page_wait	 w;
	int			 rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.out = out;
	fetch_add_page(ctx, url, accept, page_done, &w);
	while (!w.done && (rc = fetch_run_some(ctx, 1000, NULL, 0)) >= 0)
		;
	if (rc == FETCH_STOPPED || rc == -1)
		return rc;
	if (!w.ok) {
		err_set("%s", w.error);
		free(w.error);
		return -1;
	}
	return 0;
}

void
fetch_page_free(struct fetch_page *p)
{
	free(p->body);
	free(p->content_type);
	free(p->final_url);
	memset(p, 0, sizeof(*p));
}
