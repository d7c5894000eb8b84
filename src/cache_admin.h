/*
 * cache_admin.h: looking after the cache as a whole, for 'forklift cache
 * info', 'clean' and 'prune': the unpacked wheels (cache.h), and the
 * downloaded archives and index pages (cache_archive.h).
 */
#ifndef FORKLIFT_CACHE_ADMIN_H
#define FORKLIFT_CACHE_ADMIN_H

#include <stdint.h>

/* The unpacked wheels: forklift cache info / clean / prune. */
struct cache_info {
	unsigned long	 entries;
	uint64_t	 bytes;		/* file bytes the manifests list */
	long long	 oldest;	/* oldest last use, seconds since the epoch; 0 if none */
	unsigned long	 tmp;		/* leftover temporary directories */
};
int	 cache_info(const char *cache_dir, struct cache_info *);
int	 cache_clean(const char *cache_dir);
/* Remove entries unused for days, and temporary directories older than an
 * hour.  *removed counts entries. */
int	 cache_prune(const char *cache_dir, double days, unsigned long *removed);

/* The archive cache and the page cache. */
struct cache_fetch_info {
	unsigned long	 archives;
	uint64_t	 archive_bytes;
	unsigned long	 pages;
	uint64_t	 page_bytes;
	long long	 oldest;	/* oldest last use; 0 if none */
};
int	 cache_fetch_info(const char *cache_dir, struct cache_fetch_info *);
/* Remove archives and pages unused for days; *removed counts them. */
int	 cache_fetch_prune(const char *cache_dir, double days, unsigned long *removed);

#endif
