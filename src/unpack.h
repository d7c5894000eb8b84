/*
 * unpack.h: one wheel into one tree, in staging layout:
 *
 *   purelib/ platlib/ scripts/ data/ headers/<name>/
 *
 * holding every member as shipped (scripts not yet rewritten, no
 * launchers, no INSTALLER/REQUESTED/direct_url.json/RECORD), plus a
 * manifest of every file written.  The tree is either a staging tree
 * (no cache) or a cache entry being built; stage.c finishes the job.
 * Runs in a worker; knows nothing about processes.
 */
#ifndef FORKLIFT_UNPACK_H
#define FORKLIFT_UNPACK_H

#include <stdint.h>

#include "cache.h"

struct unpack_opts {
	uint64_t	 max_unpacked;
	int		 verify_record;
	int		 want_mtime;	/* record mtimes in the manifest (cache) */
	unsigned int	 part;		/* with nparts > 1: write only the members */
	unsigned int	 nparts;	/* of this part (unpack_cut) */
	uint64_t	 head;		/* cost part 0 has already (unpack_cut) */
};

/* Extract path into the tree at tree_fd and fill the manifest (its
 * wheel_sha256 is the caller's); with nparts > 1, only the members of
 * that part (every member of the archive is still checked against RECORD
 * by wheel_open, and each written member's data by the part writing it;
 * directories that another part created already are fine).  Returns 0, or -1 with err_set() holding
 * the detail (the caller names the wheel). */
int	 unpack_extract(const char *path, int tree_fd, const struct unpack_opts *,
	    struct manifest *);

/*
 * Cut n items of the given costs, in order, into nparts contiguous ranges
 * of about equal cost, part 0 starting with head more; part's range is
 * [*lo, *hi).  Every caller cutting the same costs gets the same ranges.
 */
void	 unpack_cut(const uint64_t *cost, size_t n, uint64_t head,
	    unsigned int part, unsigned int nparts, size_t *lo, size_t *hi);
/* The cost of a file of size bytes, as unpack_cut weighs it. */
#define UNPACK_COST(size)	((size) + 16384)

/* The staging subdirectory names, in commit order. */
extern const char *const unpack_keys[5];

#endif
