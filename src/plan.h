/*
 * plan.h: what one invocation will do to an environment: the wheels to
 * add (each possibly replacing an installed version), the distributions
 * to remove, and what is already as asked.  Built and checked completely
 * before any worker starts: bad filenames, incompatible tags and two
 * wheels of one distribution are refused here.
 */
#ifndef FORKLIFT_PLAN_H
#define FORKLIFT_PLAN_H

#include <stdint.h>

#include "installed.h"
#include "tags.h"

struct target;

struct plan_wheel {
	char		*path;
	const char	*base;		/* points into path */
	struct wheel_name fn;
	uint64_t	 size;		/* file size, for partitioning */
	struct dist	*old;		/* installed version it replaces, or NULL */
	int		 requested;	/* named by the user: REQUESTED */
	int		 direct_url;	/* given as a file: direct_url.json */
};

struct plan {
	struct plan_wheel *add;
	size_t		 nadd;
	struct dist	**remove;	/* removed without a replacement */
	size_t		 nremove;
	struct strv	 unchanged;	/* "six 1.17.0" already installed */
	struct distlist	 installed;
};

/* Plan installing the wheel files in paths.  Prints every problem found
 * (each naming its wheel) and returns -1 if there was any. */
int	 plan_install(struct plan *, const struct target *, char *const *paths,
	    size_t n, int reinstall);
void	 plan_free(struct plan *);

#endif
