/*
 * fetch_xfer.c: one transfer of the download engine (fetch.c has the
 * whole picture).  It owns an item's libcurl easy handle and its options
 * (protocols, redirects, credentials, timeouts, validators for pages),
 * the response headers, and the body as it arrives: written to a file in
 * the cache's tmp/ (or a hidden file in the caller's directory) and
 * hashed, its size checked on the way, or kept in memory for a page.
 * Once a transfer succeeded it checks the file against the expected size
 * and sha256 and publishes it, or stores the page with its validators.
 *
 * It never renames a file into place before its size and hash checked
 * out, never lets credentials follow a redirect to another host, and
 * never decides whether a failure is retried (fetch_retry.c does).
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cache_archive.h"
#include "fetch.h"
#include "fetch_int.h"
#include "fsutil.h"
#include "pagecache.h"
#include "record.h"
#include "util.h"

static void
hex(const unsigned char *d, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
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

void
xfer_body_reset(struct xfer *x)
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
		xfer_body_reset(x);		/* the server sent the whole file again */
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
	x->last_data = fetch_now();
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
	if (fetch_now() - x->last_data > (double)x->ctx->timeout) {
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

int
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
	x->last_data = fetch_now();
	x->errbuf[0] = '\0';
	x->attempts++;
	ctx->stats.requests++;
	if (curl_multi_add_handle(ctx->multi, x->easy) != CURLM_OK)
		return err_set("%s: cannot start the transfer", x->shown);
	x->state = X_ACTIVE;
	ctx->active++;
	return 0;
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

void
xfer_finish_page(struct fetch_ctx *ctx, struct xfer *x, long code)
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
			xfer_deliver_error(ctx, x, "HTTP 304 for a page that is not stored");
			return;
		}
		utimensat(AT_FDCWD, x->page_file, NULL, 0);
		res.from_cache = 1;
		xfer_deliver_stored(ctx, x, &res, &sp);
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
	xfer_deliver(ctx, x, &res);
	free(final);
	free(ctype);
}

void
xfer_finish_file(struct fetch_ctx *ctx, struct xfer *x)
{
	struct fetch_result	 res;
	unsigned char		 d[32];
	char			 sha[65], *final = NULL;

	hasher_final(&x->h, d);
	hex(d, 32, sha);
	if (x->want_size >= 0 && x->got != x->want_size) {
		xfer_deliver_error(ctx, x, "size mismatch: expected %lld bytes, got %lld "
		    "(sha256 %s)", (long long)x->want_size, (long long)x->got, sha);
		return;
	}
	if (x->want_sha[0] && strcmp(sha, x->want_sha) != 0) {
		xfer_deliver_error(ctx, x, "sha256 mismatch: expected %s, got %s",
		    x->want_sha, sha);
		return;
	}
	close(x->fd);
	x->fd = -1;
	if (x->dest_dir == NULL) {
		if (cache_archive_publish(ctx->cache_dir, x->tmp, sha, x->filename,
		    &final) != 0) {
			xfer_deliver_error(ctx, x, "%s", err_get());
			return;
		}
	} else {
		final = path_join(x->dest_dir, x->filename);
		if (rename(x->tmp, final) != 0) {
			xfer_deliver_error(ctx, x, "cannot rename into '%s': %s", final,
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
	xfer_deliver(ctx, x, &res);
	free(final);
}
