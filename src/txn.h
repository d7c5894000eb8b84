/*
 * txn.h: one transaction on an environment: its staging directory, the
 * journaled commit that renames staged trees into place and moves replaced
 * files aside, rollback, and recovery after a forklift that died.  The
 * caller holds the environment's lock for the whole transaction.
 */
#ifndef FORKLIFT_TXN_H
#define FORKLIFT_TXN_H

#include <signal.h>

#include "util.h"

struct target;

/* One planned commit step: 'R' rename a to b, 'M' mkdir a. */
struct txn_step {
	char		 kind;
	char		*a;
	char		*b;
};

struct txn {
	const struct target *t;
	char		*dir;		/* <root>/.forklift/tx-<pid>-<random> */
	char		*journal;	/* <root>/.forklift/journal */
	int		 jfd;		/* open journal, -1 before the commit */
	unsigned long	 ntrash;
	unsigned long	 steps;		/* journal steps written */
	int		 strict;	/* overwriting different bytes is an error */
	struct strv	 emptied;	/* directories to try to remove after the commit */
	unsigned long	 overwritten;
	const char	*label;		/* the wheel being committed, for messages */
	/* Which distribution owns an installed file ("name version"), or
	 * NULL; asked only when a file is about to be overwritten. */
	char		*(*owner)(void *arg, const char *abs);
	void		*owner_arg;
	int		 nosync;	/* --no-fsync: no flushes at all */
	int		 planning;	/* between commit_begin and commit_end */
	struct txn_step	*plan;		/* the steps, in journal order */
	size_t		 nplan, capplan;
	void		*overlay;	/* tsearch tree: paths the plan changes */
	char		*dir_ok;	/* a directory the plan leaves in place */
	void		*staged;	/* the listing of the wheel being planned */
	void		*probed;	/* directories planning asked about often */
	struct strv	 sweep;		/* staged directories, relative to dir and
					 * children first, the commit empties */
};

/* Create the staging directory.  0 or -1 (error printed). */
int	 txn_begin(struct txn *, const struct target *);
/* Path of <dir>/<i>. */
char	*txn_stage_path(const struct txn *, unsigned int i);

/* Start planning the commit.  txn_remove and txn_install only plan
 * steps (and refuse forbidden ones); txn_commit_end journals them, makes
 * the journal durable, does them and writes the commit record.  -1 with
 * err_set(). */
int	 txn_commit_begin(struct txn *);
/* Plan moving an installed file (absolute path) into the trash. */
int	 txn_remove(struct txn *, const char *abs);
/* Merge staged tree <dir>/<i>/<key> into dest; with distinfo_last, the
 * top-level "*.dist-info" entries are skipped (phase 0) or are the only
 * ones moved (phase 1).  0, 1 when nothing is staged under key, or -1
 * with err_set(). */
int	 txn_install(struct txn *, unsigned int i, const char *key,
	    const char *dest, int phase);
/* Journal and do the planned steps, mark the commit complete, then
 * delete the trash and the staging area. */
int	 txn_commit_end(struct txn *);
/* Undo every journaled step, newest first, and remove the staging area. */
int	 txn_rollback(struct txn *);
/* Remove the staging area of a transaction whose commit never began. */
void	 txn_abort(struct txn *);
void	 txn_free(struct txn *);

/* Flush the whole file system holding dir (syncfs), or dir's own entries
 * (fsync).  0, or -1 with err_set(). */
int	 txn_flush(const char *dir, int whole_fs);

/* After taking the lock: roll back (or finish) what a dead forklift left,
 * and remove stale staging directories, saying so on stderr.  0, or -1
 * when the environment could not be restored (exit status 4). */
int	 txn_recover(const struct target *);
/* Did a forklift die here (a journal or a staging directory left)?  With
 * report, say on stderr what a run that may not recover it leaves as is.
 * 1 or 0. */
int	 txn_pending(const struct target *, int report);

#endif
