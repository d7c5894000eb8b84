/*
 * fetch.h: downloads over HTTP(S) (libcurl's multi interface), hashed as
 * the bytes arrive, verified, and published into the archive cache (or a
 * directory the caller names), plus index pages with their validators.
 *
 * One fetch context per process, in the parent only.  The caller queues
 * files with fetch_add() and then calls fetch_run_some() from its own
 * loop; each finished file is handed to its on_done callback at once, so
 * the caller can give it to a free worker while other files still
 * download.  fetch_run_some() can also wait on the caller's descriptors
 * (worker pipes), so one poll serves both.
 *
 * Workers must be forked before fetch_new(): no curl handle, socket or TLS
 * state may ever cross a fork.
 */
#ifndef FORKLIFT_FETCH_H
#define FORKLIFT_FETCH_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define FETCH_STOPPED	(-2)	/* fetch_run_some(), fetch_page(): Ctrl-C */

struct fetch_opts {
	const char	*cache_dir;	/* NULL: no archive or page cache (--no-cache) */
	const char	*cert_file;	/* --cert; NULL: $SSL_CERT_FILE, else the system's */
	long		 timeout;	/* seconds to connect, and to stall; 0: 15 */
	int		 retries;	/* retries after the first attempt; <0: 5 */
	int		 max_concurrent; /* 0: $FORKLIFT_CONCURRENT_DOWNLOADS, else 16 */
	int		 offline;	/* no network at all: only the cache answers */
	long		 backoff_ms;	/* first retry delay before jitter; 0: 500 */
	/* Ctrl-C: the signal handler sets *stop and writes a byte to wake_fd
	 * (a self-pipe's read end; -1 when there is none).  The run loop
	 * notices at once through the fd, within 250 ms without it. */
	volatile sig_atomic_t *stop;
	int		 wake_fd;
};

/* What on_done receives; pointers are valid during the callback only. */
struct fetch_result {
	int		 ok;		/* 1: verified and in place; 0: failed */
	const char	*url;		/* as requested, password shown as "****" */
	const char	*error;		/* when !ok: "<url>: <what went wrong>" */
	const char	*path;		/* the verified file (archive cache or dest_dir) */
	const char	*sha256;	/* its sha256 as 64 hex digits */
	uint64_t	 bytes;
	int		 from_cache;	/* no request was made (file), or 304 / offline (page) */
	int		 attempts;	/* requests made for it, redirects not counted */
	long		 status;	/* when !ok: the HTTP status refused (404...),
					 * or 0 */
	/* Pages only. */
	const char	*body;		/* NUL-terminated after len bytes */
	size_t		 len;
	const char	*content_type;	/* or NULL */
	const char	*final_url;	/* after redirects: the base for relative links */
};

typedef void (*fetch_done_fn)(void *user, const struct fetch_result *);

struct fetch_req {
	const char	*url;		/* http, https or file; may hold user:password@ */
	const char	*filename;	/* the file's name; NULL: the URL's last segment */
	const char	*sha256;	/* expected, 64 hex digits, or NULL */
	int64_t		 size;		/* expected, or -1; larger files start first */
	const char	*dest_dir;	/* NULL: the archive cache; else this directory */
	fetch_done_fn	 on_done;
	void		*user;
};

struct fetch_stats {
	uint64_t	 bytes_expected; /* sum of the known sizes queued */
	uint64_t	 bytes_received; /* body bytes written, over all attempts */
	unsigned long	 files_queued;
	unsigned long	 files_done;	/* delivered, ok or not */
	unsigned long	 from_cache;	/* files answered by the cache alone */
	unsigned long	 requests;	/* transfers started (files and pages) */
	unsigned long	 connections;	/* new connections opened for them */
	unsigned long	 http2;		/* transfers answered over HTTP/2 */
};

struct fetch_ctx *fetch_new(const struct fetch_opts *);
/* Abort what is still running, remove partial files, free everything. */
void	 fetch_free(struct fetch_ctx *);

/* Queue a file.  A cached file (by sha256) is delivered by the next
 * fetch_run_some() without a request.  0, or -1 with err_set() for a
 * request that cannot be valid (bad hash text, no cache and no dest_dir). */
int	 fetch_add(struct fetch_ctx *, const struct fetch_req *);
/* Queue an index page (GET with the Accept header given); with a cache,
 * the stored copy is revalidated with its ETag / Last-Modified and a 304
 * answers with the stored body.  Pages start before files. */
int	 fetch_add_page(struct fetch_ctx *, const char *url, const char *accept,
	    fetch_done_fn, void *user);

/* Start, advance and finish transfers; wait at most timeout_ms for
 * activity on them, on wake_fd or on the caller's extra descriptors
 * (their revents are filled in).  Calls on_done for each finished item.
 * It returns without waiting when it delivered something or nothing is
 * pending (the extra descriptors are then polled without waiting).  A
 * hang-up on an extra descriptor shows as POLLIN, as libcurl reports it.
 * Returns how many items are still pending (0: idle), FETCH_STOPPED once
 * *stop was seen (every transfer aborted and its partial file removed;
 * nothing further is delivered), or -1 with err_set(). */
int	 fetch_run_some(struct fetch_ctx *, int timeout_ms, struct pollfd *extra,
	    size_t nextra);
/* fetch_run_some() until nothing is pending: 0, FETCH_STOPPED or -1. */
int	 fetch_run(struct fetch_ctx *);

/* One page, synchronously (other queued transfers advance meanwhile and
 * their callbacks run).  0, -1 with err_set(), or FETCH_STOPPED. */
struct fetch_page {
	char		*body;
	size_t		 len;
	char		*content_type;	/* or NULL */
	char		*final_url;
	int		 from_cache;
};
int	 fetch_page(struct fetch_ctx *, const char *url, const char *accept,
	    struct fetch_page *);
void	 fetch_page_free(struct fetch_page *);

void	 fetch_get_stats(const struct fetch_ctx *, struct fetch_stats *);

/* The URL with its password (or a lone user name, often a token) replaced
 * by "****"; for every message that shows a URL. */
char	*fetch_redact(const char *url);

#endif
