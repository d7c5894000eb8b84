/*
 * engine.h: runs a plan.  Workers unpack the wheels into staging, then the
 * parent commits: the one path every change to an environment takes.
 */
#ifndef FORKLIFT_ENGINE_H
#define FORKLIFT_ENGINE_H

#include <stdint.h>

struct fetch_opts;
struct target;
struct plan;

struct engine_opts {
	unsigned int	 jobs;
	uint64_t	 max_unpacked;
	int		 verify_record;
	int		 ignore_requires_python;
	int		 strict;
	int		 dry_run;
	int		 progress;
	const char	*cache_dir;	/* NULL: no cache */
	int		 link_mode;	/* enum link_mode (cache.h) */
	int		 no_fsync;	/* --no-fsync, FORKLIFT_NO_FSYNC=1 */
	uint64_t	 max_members;	/* --max-members; 0: the default */
	unsigned int	 compile_levels; /* .pyc optimization levels to write
					   (bytecode.h bits); 0: none */
	int		 sandbox;	/* enum sandbox_mode (sandbox.h) */
	/* How the wheels with a URL are downloaded (cache_dir NULL: into the
	 * transaction's staging area); NULL when the plan has none. */
	const struct fetch_opts *fetch;
};

/* Run the plan; returns the exit status (0, 1, 4 when a rollback failed,
 * or 128 + signal). */
int	 engine_run(struct target *, struct plan *, const struct engine_opts *);

#endif
