/*
 * engine_int.h: what engine.c, engine_fetch.c (the downloads pipelined
 * into the workers) and engine_split.c (wheels split into parts) share:
 * the run's state and the functions each calls in the others.  Not an
 * interface: nothing outside the engine includes it.
 */
#ifndef FORKLIFT_ENGINE_INT_H
#define FORKLIFT_ENGINE_INT_H

#include <sys/stat.h>
#include <poll.h>

#include "cache.h"
#include "engine.h"
#include "fetch.h"
#include "plan.h"
#include "progress.h"
#include "stage.h"
#include "target.h"
#include "txn.h"

/*
 * A unit of work: a whole wheel, or one part of a wheel split into
 * member ranges (see split_plan).  The units are the runner's items.
 */
struct unit {
	unsigned int	 wheel;
	unsigned int	 part;
	char		*label;		/* "x.whl: part 2 of 3"; NULL: the wheel's */
};

/* What every part of a split wheel shares (set in the parent before the
 * workers fork). */
struct split {
	unsigned int	 nparts;	/* 0 or 1: whole */
	char		 key[33];	/* with a cache */
	char		*tmp;		/* cold: the entry the parts build */
	char		*dir;		/* its staging directory */
	int		*fds;		/* per part: the wheel open on its own
					   (parts seek apart), fds[0] the plan's */
	unsigned int	 got;		/* in the parent: parts reported done */
};

/* A split wheel downloaded after the fork: what fetched() learnt of the
 * verified file, in memory the parts' workers share (set before its
 * parts are made ready). */
struct split_dl {
	char		 key[33];	/* its cache key; "": no cache */
	int		 warm;		/* the entry exists: parts link it */
	dev_t		 dev;		/* the file verified */
	ino_t		 ino;
};

struct run {
	struct target		*t;
	struct plan		*p;
	const struct engine_opts *o;
	struct txn		 x;
	struct stage_opts	 so;		/* in a worker */
	unsigned long		 done;
	uint64_t		 files;
	uint64_t		 bytes;
	struct progress		 prog;
	const char		*cache_dir;	/* NULL: no cache */
	enum link_mode		 link;
	unsigned long		 cached;	/* wheels served from the cache */
	char			**urls;		/* per wheel: direct_url.json's
						 * URL (no credentials), or NULL */
	unsigned long		 fetched;	/* downloads delivered */
	struct unit		*units;
	size_t			 nunits;
	struct split		*split;		/* per wheel */
	struct stage_shared	*sh;		/* per wheel, shared with the
						   workers */
	size_t			 shlen;		/* bytes mapped */
	struct split_dl		*sdl;		/* per wheel, shared too */
	size_t			*wunit;		/* per wheel: its first unit */
	unsigned char		*uready;	/* per unit: ready at once */
	/* The downloads (parent only). */
	struct fetch_ctx	*fx;		/* made after the fork */
	struct dl		*dls;
	char			*dl_dest;	/* --no-cache: in staging */
	char			*dl_read;	/* where downloads land: the
						 * workers' one read rule */
	unsigned char		*ready;		/* per wheel: no download needed */
	char			*fetch_err;	/* the first failure */
};

/* A delivered download's note is "<sha256> <path>"; with this in place
 * of the space, the file came from a lock file package's index instead
 * of its url, and gets no direct_url.json. */
#define NOTE_INDEXED	'*'

struct dl {
	struct run	*r;
	size_t		 i;
	/* A lock file wheel whose url failed (index_fallback()). */
	char		*tried;		/* "<url>: why" */
	char		*page;		/* its index's project page */
	int		 indexed;	/* the file is the index's */
};

/* engine_fetch.c: before the fork, what to download and where (1: there
 * are downloads, 0: none, -1 after error_msg()); the runner's wait while
 * downloads are in flight; after the run, the fetch state freed. */
int	 engine_fetch_prepare(struct run *);
int	 engine_fetch_wait(void *arg, struct pollfd *, size_t, int timeout_ms);
void	 engine_fetch_end(struct run *);

/* engine_split.c: the units (wheels, or parts of big ones) and what the
 * parts share, before the fork; the parts' state freed after the run
 * (failed: remove the entries they built); in fetched(), a downloaded
 * split wheel's verified file recorded for its parts. */
int	 engine_split_plan(struct run *, uint64_t **sizes);
void	 engine_split_free(struct run *, int failed);
int	 engine_split_delivered(struct run *, size_t, int, const struct stat *);

#endif
