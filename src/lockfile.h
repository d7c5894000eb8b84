/*
 * lockfile.h: a PEP 751 lock file (pylock.toml) as requirements: the
 * packages pylock_select() picks for the target become pins with the
 * wheel's location (and the package's index, where resolve.c, or the
 * engine when the url fails, finds the file by name), size and hashes, so plan_sync() plans them like any
 * requirements file; and the check of a wheel file against what the lock
 * file says of it (size, every hash).
 */
#ifndef FORKLIFT_LOCKFILE_H
#define FORKLIFT_LOCKFILE_H

#include <stdint.h>

#include "util.h"

struct reqs;
struct taglist;

/* Nonzero when the file name (its last component) is "pylock.toml" or
 * "pylock.NAME.toml": a lock file rather than a requirements file. */
int	 lockfile_is_name(const char *path);
/* Read, check and select the lock file at path for rq's environment and
 * tags, with the --extra and --group names (groups NULL: the file's
 * default-groups), and add one requirement per selected package.
 * Problems go to rq->errors ("FILE:LINE:COLUMN: key 'k': what"); returns
 * -1 if there was any. */
int	 lockfile_read(struct reqs *rq, const char *path,
	    const struct taglist *tags, const struct strv *extras,
	    const struct strv *groups);
/* Check the wheel open on fd (named path in messages), read from offset
 * 0 with pread(2) so the descriptor's offset is left alone: its size
 * (unless size < 0) and every hash of hashes ("algorithm:hex") whose
 * algorithm OpenSSL knows, computed in one read; at least one must be
 * known.  0, or -1 with err_set() naming the file and what differs. */
int	 lockfile_verify(int fd, const char *path, int64_t size,
	    const struct strv *hashes);

#endif
