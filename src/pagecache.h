/*
 * pagecache.h: index pages stored in the cache with their validators, so
 * the next request for a page can be revalidated (If-None-Match,
 * If-Modified-Since) and a 304 answered from the stored body.
 *
 *   <cache>/v1/pages/<sha256 of the URL, "\n" and the Accept header>
 *
 * A stored page is text: a magic line, "key<TAB>value" lines (url, etag,
 * last-modified, content-type), an empty line, then the body as served.
 */
#ifndef FORKLIFT_PAGECACHE_H
#define FORKLIFT_PAGECACHE_H

#include <stddef.h>

#define PAGE_MAX	((size_t)256 << 20)	/* the largest page accepted */

struct page_copy {
	char	*text;		/* the whole file when read; owns the rest */
	char	*url;		/* where it came from after redirects */
	char	*etag;		/* or NULL */
	char	*last_modified;	/* or NULL */
	char	*content_type;	/* or NULL */
	char	*body;
	size_t	 len;
};

/* The stored page's path for a URL and Accept header (its directory is
 * made); NULL with err_set() when the cache cannot hold it. */
char	*page_cache_path(const char *cache_dir, const char *url, const char *accept);
/* 0, or -1 with err_set() when missing or not a stored page. */
int	 page_cache_read(const char *path, struct page_copy *);
void	 page_copy_free(struct page_copy *);
/* Write through the cache's tmp/ and rename; mode 0600, since the URL may
 * hold credentials.  Best effort: a cache that cannot be written keeps
 * no copy.  Only the fields are read (text is ignored). */
void	 page_cache_write(const char *cache_dir, const char *path,
	    const struct page_copy *);

#endif
