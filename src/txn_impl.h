/*
 * txn_impl.h: what txn.c (staging, the journaled commit), txn_plan.c
 * (planning the commit) and recover.c (rollback and recovery) share.
 * Nothing else includes it.
 */
#ifndef FORKLIFT_TXN_IMPL_H
#define FORKLIFT_TXN_IMPL_H

#include "util.h"

struct target;

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#define flush_fs(dir)	txn_flush((dir), 1)
#define flush_dir(dir)	txn_flush((dir), 0)

#ifdef FAULT_INJECTION
/* _exit(99) when the environment variable var holds step. */
void	 txn_fault_exit(const char *var, unsigned long step);
#endif

/* Remove now-empty directories a removal left, walking up, never the
 * root, purelib, platlib or the scripts directory. */
void	 txn_prune_dirs(const struct target *, const struct strv *);
/* Remove a staging directory and, unless NULL, the journal; a failure
 * is a warning. */
void	 txn_cleanup(const char *dir, const char *journal);
/* Free the planned steps and the overlay (txn_free()). */
struct txn;
void	 txn_plan_free(struct txn *);

#endif
