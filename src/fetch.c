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
 *
 * This file holds the queue and the driver: items added, started in
 * order, delivered to their callbacks, and the loop that waits on the
 * multi handle and the caller's descriptors.  One transfer's handle, body
 * and file are fetch_xfer.c's; what an ended transfer's outcome means
 * (retry or not, and when) is fetch_retry.c's.  The driver never reads a
 * body nor decides on a retry.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache_archive.h"
#include "fetch.h"
#include "fetch_int.h"
#include "pagecache.h"
#include "util.h"

double
fetch_now(void)
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

/* Deliver an item to its callback and forget it. */
void
xfer_deliver(struct fetch_ctx *ctx, struct xfer *x, struct fetch_result *res)
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

void
xfer_deliver_error(struct fetch_ctx *ctx, struct xfer *x, const char *fmt, ...)
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
	xfer_deliver(ctx, x, &res);
	free(msg);
}

/* Deliver the stored copy of a page. */
void
xfer_deliver_stored(struct fetch_ctx *ctx, struct xfer *x, struct fetch_result *res,
    struct page_copy *sp)
{
	res->body = sp->body;
	res->len = sp->len;
	res->content_type = sp->content_type;
	res->final_url = sp->url;
	xfer_deliver(ctx, x, res);
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
			xfer_deliver_error(ctx, x, "not in the cache, and --offline allows "
			    "no network");
			return;
		}
		xfer_deliver_stored(ctx, x, &res, &sp);
		return;
	}
	res.path = x->cached_path;
	res.sha256 = x->want_sha;
	res.bytes = stat(x->cached_path, &st) == 0 ? (uint64_t)st.st_size : 0;
	ctx->stats.from_cache++;
	xfer_deliver(ctx, x, &res);
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
			xfer_deliver_error(ctx, x, "not in the cache, and --offline allows "
			    "no network");
		} else
			i++;
	}
	while (ctx->active < (size_t)ctx->max_concurrent &&
	    (x = next_to_start(ctx, fetch_now(), next_wake)) != NULL)
		if (xfer_start(ctx, x) != 0)
			xfer_deliver_error(ctx, x, "%s", err_get());
	curl_multi_perform(ctx->multi, &running);
	while ((m = curl_multi_info_read(ctx->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		xfer_finish(ctx, x, m->data.result);
	}
	/* Retries that just became due, and free slots. */
	*next_wake = -1;
	while (ctx->active < (size_t)ctx->max_concurrent &&
	    (x = next_to_start(ctx, fetch_now(), next_wake)) != NULL)
		if (xfer_start(ctx, x) != 0)
			xfer_deliver_error(ctx, x, "%s", err_get());
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
		wait = (next_wake - fetch_now()) * 1000.0;
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
