/*
 * fetch_retry.c: the download engine's retry policy (fetch.c has the
 * whole picture).  When a transfer ends it decides what the outcome
 * means: delivered (the file or page is handed to fetch_xfer.c to check
 * and publish), failed for good (a refused request: 404, a certificate
 * not trusted, too many redirects...), or retried (a reset connection, a
 * timeout, HTTP 408, 429 or 5xx), after a delay that doubles with each
 * attempt, with jitter so clients spread out, or what the server's
 * Retry-After asks (at most five minutes).  A retry resumes the body
 * where it stopped only when the server said it serves ranges.
 *
 * It never reads a body nor touches a file, and never retries more often
 * than --retries allows.
 */
#include "config.h"

#include <stdlib.h>

#include "fetch.h"
#include "fetch_int.h"
#include "util.h"

#define MAX_RETRY_AFTER	300		/* seconds */
#define MAX_BACKOFF_MS	16000

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
		xfer_deliver_error(ctx, x, "%s (after %d attempt%s)", why, x->attempts,
		    x->attempts == 1 ? "" : "s");
		free(why);
		return;
	}
	curl_multi_remove_handle(ctx->multi, x->easy);
	ctx->active--;
	if (!resumable || x->page)
		xfer_body_reset(x);
	delay = backoff(ctx, x, retry_after);
	if (verbosity >= 0)
		note_msg("%s: %s; retrying in %.1f s (attempt %d of %d)", x->shown, why,
		    delay, x->attempts + 1, ctx->retries + 1);
	free(why);
	x->state = X_WAITING;
	x->not_before = fetch_now() + delay;
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

void
xfer_finish(struct fetch_ctx *ctx, struct xfer *x, CURLcode rc)
{
	long		 code = 0;
	curl_off_t	 ra = 0;
	int		 retry;
	char		*why;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	count_connection(ctx, x);
	if (x->fail == F_SIZE || x->fail == F_IO) {
		xfer_deliver_error(ctx, x, "%s", x->fail_msg);
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
			xfer_deliver_error(ctx, x, "HTTP %ld %s", code, http_reason(code));
		}
		return;
	}
	if (rc == CURLE_OK && code >= 300 && code != 304) {
		xfer_deliver_error(ctx, x, "HTTP %ld without a usable Location", code);
		return;
	}
	if (rc != CURLE_OK) {
		why = describe(x, rc, &retry);
		if (!retry) {
			xfer_deliver_error(ctx, x, "%s", why);
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
		xfer_finish_page(ctx, x, code);
	else
		xfer_finish_file(ctx, x);
}
