/*
 * unpack.h: one wheel into one staging tree.  Runs in a worker process and
 * knows nothing about processes: it is given a wheel, a directory file
 * descriptor for its staging tree and the target's facts, and leaves there
 * a tree in staging layout that the parent can rename into place:
 *
 *   purelib/ platlib/ scripts/ data/ headers/<name>/
 *
 * with the dist-info directory complete (RECORD, INSTALLER, REQUESTED,
 * direct_url.json written for the final paths).
 */
#ifndef FORKLIFT_UNPACK_H
#define FORKLIFT_UNPACK_H

#include <stdint.h>

struct target;

struct unpack_opts {
	const struct target *t;
	uint64_t	 max_unpacked;
	int		 verify_record;
	int		 ignore_requires_python;
	int		 requested;		/* write REQUESTED */
	int		 direct_url;		/* write direct_url.json for the file */
};

struct unpack_stats {
	uint64_t	 files;
	uint64_t	 bytes;
};

/* Unpack path into the tree at stage_fd.  Returns 0, or -1 with err_set()
 * holding the detail (the caller names the wheel). */
int	 unpack_wheel(const char *path, int stage_fd, const struct unpack_opts *,
	    struct unpack_stats *);

/* The staging subdirectory names, in commit order (dist-info lives in
 * purelib or platlib and is renamed last by the commit). */
extern const char *const unpack_keys[5];

#endif
