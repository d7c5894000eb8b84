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
	uint64_t	 max_members;	/* --max-members; 0: the default */
	int		 use_fd;	/* read the wheel through wheel_fd, */
	int		 wheel_fd;	/* never by its path */
};

/* Extract path into the tree at tree_fd and fill the manifest (its
 * wheel_sha256 is the caller's).  Returns 0, or -1 with err_set() holding
 * the detail (the caller names the wheel). */
int	 unpack_extract(const char *path, int tree_fd, const struct unpack_opts *,
	    struct manifest *);

/* The staging subdirectory names, in commit order. */
extern const char *const unpack_keys[5];

#endif
