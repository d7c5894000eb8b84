/*
 * target.h: the environment forklift changes.  Resolves -p/--python,
 * --prefix, --target, $VIRTUAL_ENV and ./.venv to a root directory and an
 * interpreter, learns the interpreter's facts from one "python -I" query
 * (cached under the cache directory, keyed by the interpreter's path, real
 * path, size and mtime, so a later run starts no Python), computes the
 * scheme paths and the supported tags, and holds the environment's lock.
 */
#ifndef FORKLIFT_TARGET_H
#define FORKLIFT_TARGET_H

#include <signal.h>

#include "pyinfo.h"
#include "tags.h"
#include "util.h"

enum target_kind { TARGET_VENV, TARGET_SYSTEM, TARGET_PREFIX, TARGET_DIR };

struct target_opts {
	const char	*python;	/* -p/--python, or NULL */
	const char	*prefix;	/* --prefix */
	const char	*target;	/* --target */
	const char	*cache_dir;	/* resolved cache directory or NULL for none */
	int		 system;	/* --system */
	int		 break_system;	/* --break-system-packages */
	double		 lock_timeout;	/* seconds */
	int		 readonly;	/* list, verify, --dry-run: shared lock,
					   nothing created */
};

struct target {
	enum target_kind kind;
	char		*root;		/* absolute; holds .forklift/ */
	char		*python;	/* interpreter path for shebangs (sys.executable) */
	char		*purelib;	/* absolute scheme paths */
	char		*platlib;
	char		*scripts;
	char		*data;
	char		*include;	/* headers go to include/<name>/ */
	struct pyinfo	 info;
	struct taglist	 tags;
	char		*tag_str;	/* the most preferred tag, "cp311-cp311-manylinux_2_36_x86_64" */
	int		 lock_fd;	/* -1 until target_lock() (and when a
					   read-only run finds no lock file) */
	int		 readonly;	/* target_lock() takes a shared lock */
	volatile sig_atomic_t *lock_stop; /* when it becomes nonzero (a signal),
					 * target_lock() stops waiting */
};

/* Resolve the environment and learn its facts.  Prints the error (exit
 * status 1 or 2 is the caller's) and returns -1 on failure. */
int	 target_open(struct target *, const struct target_opts *);
/* Take <root>/.forklift/lock (flock), waiting up to timeout seconds and
 * saying once which pid holds it.  Returns 0, -1 error, -2 timed out, -3
 * stopped by *lock_stop.  With t->readonly the lock is shared, and
 * nothing is created: no lock file that can be opened read-only means no
 * lock (0, lock_fd -1). */
int	 target_lock(struct target *, double timeout);
/* A read-only run that finds an interrupted install: trade the shared
 * lock for the exclusive one, to recover.  0, 1 when this process may
 * not write the lock file (nothing changed), else as target_lock(). */
int	 target_lock_upgrade(struct target *, double timeout);
void	 target_close(struct target *);

#endif
