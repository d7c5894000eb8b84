/*
 * lockfile.h: a PEP 751 lock file (pylock.toml) as requirements: the
 * packages pylock_select() picks for the target become pins with the
 * wheel's location, size and hashes, so plan_sync() plans them like any
 * requirements file; and the check of a wheel file against what the lock
 * file says of it (size, every hash).
 */
#ifndef FORKLIFT_LOCKFILE_H
#define FORKLIFT_LOCKFILE_H

#include <sys/types.h>
#include <stdint.h>
#include <time.h>

#include "util.h"

/* Which file, and which state of it: what was verified is what a worker
 * unpacks when the file still has the same identity (a write changes
 * ctime, a replacement the inode). */
struct lockfile_id {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime, ctime;
};

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
/* Check the file at path: its size (unless size < 0) and every hash of
 * hashes ("algorithm:hex") whose algorithm OpenSSL knows, computed in one
 * read; at least one must be known.  With id, the identity of the file
 * read (refused if it changed during the read).  0, or -1 with err_set()
 * naming the file and what differs. */
int	 lockfile_verify(const char *path, int64_t size, const struct strv *hashes,
	    struct lockfile_id *id);
/* 0 when path is still the file id describes, unchanged; else -1 with
 * err_set(). */
int	 lockfile_same(const char *path, const struct lockfile_id *id);

#endif
