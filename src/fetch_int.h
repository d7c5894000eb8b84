/*
 * fetch_int.h: what the three files of the download engine share, and
 * nothing outside them includes: one item's state (struct xfer) and the
 * context's (struct fetch_ctx).
 *
 *   fetch.c        the queue and the multi-handle driver: items added,
 *                  started, delivered to their callbacks, the run loop
 *   fetch_xfer.c   one transfer: its curl handle, headers, body, hash and
 *                  file, and what a transfer that succeeded hands over
 *   fetch_retry.c  the retry policy: what an ended transfer's outcome
 *                  means (deliver, retry or fail), backoff, Retry-After
 *
 * fetch.c's opening comment has the items' states.
 */
#ifndef FORKLIFT_FETCH_INT_H
#define FORKLIFT_FETCH_INT_H

#include <signal.h>
#include <stdint.h>

#include "curlfn.h"
#include "fetch.h"
#include "record.h"
#include "util.h"

#define MAX_REDIRECTS	10

struct page_copy;

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

/* fetch.c */
/* The monotonic clock, in seconds. */
double	 fetch_now(void);
/* Deliver an item to its callback and forget it. */
void	 xfer_deliver(struct fetch_ctx *, struct xfer *, struct fetch_result *);
/* Deliver a failure, "<url>: <fmt...>", after removing the partial file. */
void	 xfer_deliver_error(struct fetch_ctx *, struct xfer *, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Deliver the stored copy of a page (and free it). */
void	 xfer_deliver_stored(struct fetch_ctx *, struct xfer *,
	    struct fetch_result *, struct page_copy *);

/* fetch_xfer.c */
/* Start (or restart, resuming at what it has) an item's transfer.  0, or
 * -1 with err_set(). */
int	 xfer_start(struct fetch_ctx *, struct xfer *);
/* Forget the body received so far (and the hash of it). */
void	 xfer_body_reset(struct xfer *);
/* A page arrived, or a 304 confirmed the stored copy: deliver it. */
void	 xfer_finish_page(struct fetch_ctx *, struct xfer *, long code);
/* A file arrived whole: check its size and hash, publish it, deliver it. */
void	 xfer_finish_file(struct fetch_ctx *, struct xfer *);

/* fetch_retry.c */
/* A transfer ended (rc from libcurl): deliver, retry later or fail. */
void	 xfer_finish(struct fetch_ctx *, struct xfer *, CURLcode rc);

#endif
