/*
 * pylock.h: PEP 751 lock files (pylock.toml) read and narrowed to the
 * wheels one interpreter installs.  Pure logic over a parsed TOML tree:
 * nothing is fetched, opened or printed here.
 */
#ifndef FORKLIFT_PYLOCK_H
#define FORKLIFT_PYLOCK_H

#include <stdint.h>

#include "util.h"

struct pyinfo;
struct taglist;
struct toml_value;

struct pylock_opts {
	const struct pyinfo	*env;		/* the target's marker facts */
	const struct taglist	*tags;		/* its supported tags */
	const struct strv	*extras;	/* --extra names, or NULL */
	const struct strv	*groups;	/* --group names; NULL: default-groups */
};

/* One selected package: the wheel to install and how to check it. */
struct pylock_pick {
	char		*name;		/* as written in the lock file */
	char		*version;	/* NULL when the lock file has none */
	char		*filename;	/* the wheel's file name */
	char		*path;		/* as written (relative to the lock
					 * file's directory), or NULL */
	char		*url;		/* or NULL; both NULL only for a wheel
					 * whose package has an index */
	char		*index;		/* the package's index (simple API base
					 * URL), where the file is looked up by
					 * its name; or NULL */
	int64_t		 size;		/* -1 when not given */
	struct strv	 hashes;	/* "algorithm:hex", at least one */
	unsigned int	 line;		/* of the [[packages]] entry */
};

struct pylock {
	struct pylock_pick	*v;
	size_t			 n;
	struct strv		 warnings;	/* "FILE:LINE:COLUMN: ..." */
};

/* Check the lock file doc (from toml_parse() of file) against the target
 * and select its packages.  Returns 0, or -1 with err_set()
 * "FILE:LINE:COLUMN: key 'x': what"; *out is then empty. */
int	 pylock_select(const char *file, const struct toml_value *doc,
	    const struct pylock_opts *, struct pylock *out);
void	 pylock_free(struct pylock *);

#endif
