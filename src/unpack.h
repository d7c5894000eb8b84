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

struct dirtab;

struct unpack_opts {
	uint64_t	 max_unpacked;
	int		 verify_record;
	int		 want_mtime;	/* record mtimes in the manifest (cache) */
	uint64_t	 max_members;	/* --max-members; 0: the default */
	int		 use_fd;	/* read the wheel through wheel_fd, */
	int		 wheel_fd;	/* never by its path */
	struct dirtab	*dt;		/* the tree's directories (dirtab.h, made
					 * with create), which the caller keeps
					 * for finishing it; NULL: unpack's own */
	/* A split wheel: the parts take chunks of members, the next from
	 * the counter *next they share, until none is left; after each chunk
	 * chunk_done() gets its manifest (which it may empty). */
	unsigned int	*next;		/* NULL: every member */
	unsigned int	*nchunks;	/* set to how many chunks there are */
	unsigned int	 nparts;
	unsigned int	 part;		/* this part; the checks of the whole
					 * archive (duplicates, clashes, all of
					 * RECORD) are part 0's (wheel.h) */
	int		(*chunk_done)(void *arg, unsigned int chunk, struct manifest *);
	void		*chunk_arg;
};

/* Extract path into the tree at tree_fd and fill the manifest (its
 * wheel_sha256 is the caller's); with nparts > 1, only the members of
 * that part (every member of the archive is still checked against RECORD
 * by wheel_open, and each written member's data by the part writing it;
 * directories that another part created already are fine).  Returns 0, or -1 with err_set() holding
 * the detail (the caller names the wheel). */
int	 unpack_extract(const char *path, int tree_fd, const struct unpack_opts *,
	    struct manifest *);

/* How many files make one chunk of a split wheel's n files linked from
 * the cache, and how many chunks that is: about eight per part, since
 * every link costs about the same.  (Unpacking plans its chunks by their
 * cost: unpack.c.) */
size_t	 unpack_chunk(size_t n, unsigned int nparts);
unsigned int unpack_nchunks(size_t n, unsigned int nparts);

/*
 * A split wheel's chunks when unpacking.  Every part reads the same
 * central directory, so every part computes the same plan: ranges of
 * members in archive order, each of a cost (uncompressed bytes, and 8 KiB
 * for creating a file) that shrinks along the archive from an eighth of a
 * part's share of the wheel to a sixty-fourth of it, taken costliest
 * first.  The parts then end within one small chunk of each other,
 * wherever the archive holds its large members (with equal chunks taken
 * in archive order, one part went on alone for 30-50 ms at the end of the
 * bench's big wheel).  Sizes are the central directory's: a lie there
 * misleads only the schedule, as every member's data is checked when it
 * is written.
 */
struct wheel_member;
struct unpack_plan {
	size_t		*lo;		/* chunk c: members lo[c]..lo[c+1]-1 */
	unsigned int	*order;		/* the chunks, costliest first */
	unsigned int	 n;
};
void	 unpack_plan(const struct wheel_member *, size_t n, unsigned int nparts,
	    struct unpack_plan *);
void	 unpack_plan_free(struct unpack_plan *);

/* The staging subdirectory names, in commit order. */
extern const char *const unpack_keys[5];

#endif
