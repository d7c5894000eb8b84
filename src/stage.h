/*
 * stage.h: turns an unpacked tree into a complete staging tree for one
 * wheel, and runs the whole per-wheel pipeline a worker needs: cache
 * lookup, unpacking (into the cache or straight into staging), linking
 * from the cache, script rewriting, launchers, and the dist-info files
 * only the installer writes (INSTALLER, REQUESTED, direct_url.json,
 * RECORD).  Runs in a worker; never touches the live environment.
 */
#ifndef FORKLIFT_STAGE_H
#define FORKLIFT_STAGE_H

#include <stdint.h>

#include "cache.h"
#include "unpack.h"

struct target;

struct stage_opts {
	const struct target *t;
	struct unpack_opts unpack;
	const char	*cache_dir;		/* NULL: no cache */
	enum link_mode	 link;			/* decided by link_probe() */
	int		 ignore_requires_python;
	int		 requested;		/* write REQUESTED */
	int		 direct_url;		/* write direct_url.json */
	const char	*url;			/* its URL (no credentials);
						 * NULL: the file's path */
	int		 nosync;		/* --no-fsync: cache entries unflushed */
	const char	*expect_sha256;		/* NULL, or the sha256 the wheel
						 * must have (a download the
						 * parent verified) */
};

struct stage_stats {
	uint64_t	 files;
	uint64_t	 bytes;
	int		 cached;		/* served from the cache */
};

/* Stage the wheel at path into the empty directory stage_fd.  With
 * expect_sha256, the wheel's sha256 (computed once, as for the cache key)
 * must be that one before anything is unpacked.  0, or -1 with err_set()
 * holding the detail (the caller names the wheel). */
int	 stage_wheel(const char *path, int stage_fd, const struct stage_opts *,
	    struct stage_stats *);

/*
 * A big wheel split into parts that several workers stage at once into
 * the same staging tree: stage_part() for each part, concurrently, then
 * stage_part_finish() once, after all of them (the generated files,
 * RECORD, and with a cold cache the entry's publication).  The parts take
 * chunks of members (or, warm, of cached files) from a counter they share
 * until none is left, so they even out however much each member costs.
 * Every part of a wheel gets the same struct but part.
 */
struct stage_shared {			/* in memory the parts' workers share */
	unsigned int	 left;		/* parts not done (the caller's) */
	unsigned int	 next;		/* the next chunk to take */
	unsigned int	 nchunks;	/* how many the wheel has */
	char		 sha256[65];	/* the wheel's (part 0), when wanted */
};

struct stage_split {
	unsigned int	 part;
	unsigned int	 nparts;
	struct stage_shared *sh;
	const char	*dir;		/* the staging directory's path */
	const char	*key;		/* cache key; NULL: no cache */
	const char	*tmp;		/* cold: the cache_tmp() directory the
					   parts fill; NULL: warm (an entry) */
};

int	 stage_part(const char *path, int stage_fd, const struct stage_opts *,
	    const struct stage_split *, struct stage_stats *);
int	 stage_part_finish(const char *path, int stage_fd, const struct stage_opts *,
	    const struct stage_split *, struct stage_stats *);

#endif
