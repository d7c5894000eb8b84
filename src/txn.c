/*
 * txn.c: staging, planning the commit, and the journaled commit itself;
 * rollback and recovery, which read the journal back, are in recover.c.
 *
 * Design notes (the journal's state machine)
 * ------------------------------------------
 * <root>/.forklift/ holds the lock, at most one journal, and staging
 * directories tx-<pid>-<random>/ (one subdirectory per wheel, plus trash/).
 * Only the process holding the lock touches any of it.  A transaction goes
 * through these states, each entered only once everything the previous
 * one promised is on disk (unless --no-fsync):
 *
 *   STAGING    workers write under tx-<pid>-<random>/<i>/; no journal exists.  A crash
 *              here leaves a stale staging directory whose trash/ is
 *              empty; the environment was never touched.  Recovery:
 *              remove it.
 *   PLANNED    the parent has computed every step of the commit without
 *              doing any (txn_remove and txn_install record them against
 *              an overlay of what the earlier steps will have done), and
 *              refused any step that would write into <root>/.forklift or
 *              replace a file of the environment itself.  Nothing on disk
 *              changed yet.
 *   JOURNALED  flush 1: syncfs(2) of the target's file system, so every
 *              staged tree (and the cache files hard-linked into it) is
 *              durable.  Then the journal is written whole: a "B" record
 *              naming the staging directory, then one record per step:
 *                M <dir>         mkdir of a directory that did not exist
 *                R <from> <to>   rename(2) with RENAME_NOREPLACE: a staged
 *                                entry into place, or a replaced file into
 *                                the trash
 *              flush 2: fdatasync(2) of the journal; flush 3: fsync(2) of
 *              .forklift/ for the journal's name.  Only then is the first
 *              step done.
 *   COMMITTING the steps are done in journal order.  A crash or power cut
 *              here leaves the complete journal and a prefix of the steps
 *              (the file systems forklift supports commit metadata in
 *              order).  Recovery (and rollback after an error) replays the
 *              journal backwards: R is undone by renaming <to> back to
 *              <from> (a step journaled but never done finds no <to>, or
 *              finds <from> still there, and is skipped; RENAME_NOREPLACE
 *              guarantees a rename never destroyed anything), M by rmdir.
 *              Replaying is idempotent, so a crash during a rollback or a
 *              recovery is recovered by replaying again.  Before the
 *              journal of a rollback is unlinked the undone renames are
 *              flushed (syncfs).
 *   COMMITTED  flush 4: syncfs, so every rename is durable; then the "C"
 *              record is appended and flush 5: fdatasync of the journal.
 *              From here the new state is final: recovery only removes the
 *              directories the moves into the trash left empty, deletes the
 *              trash and the staging directory, then the journal.
 *   CLEAN      journal unlinked, staging directory removed.  Nothing is
 *              flushed: a lost unlink only makes the next run finish again.
 *
 * Five flushes per transaction, whatever the number of files.
 *
 * Planning (PLANNED) is txn_plan.c's.  What recovery trusts in a
 * journal, and what it never deletes, is said at the top of recover.c.
 *
 * Records are percent-encoded for '%', tab, CR and LF.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "target.h"
#include "txn.h"
#include "txn_impl.h"
#include "util.h"

#ifdef FAULT_INJECTION
/* FORKLIFT_FAULT_STEP=K: _exit(99) right after journal step K is done.
 * FORKLIFT_FAULT_BEFORE=K: _exit(99) after step K is journaled, before it
 * is done.
 * FORKLIFT_FAULT_RENAME=K:ERRNO: the rename of step K fails with ERRNO.
 * (FORKLIFT_FAULT_UNDO is recover.c's.) */
void
txn_fault_exit(const char *var, unsigned long step)
{
	const char	*s = getenv(var);

	if (s && strtoul(s, NULL, 10) == step)
		_exit(99);
}
#define fault_after_step(step) txn_fault_exit("FORKLIFT_FAULT_STEP", (step))
#define fault_before_step(step) txn_fault_exit("FORKLIFT_FAULT_BEFORE", (step))

static int
fault_rename(unsigned long step)
{
	const char	*s = getenv("FORKLIFT_FAULT_RENAME");
	char		*colon;

	if (s == NULL || strtoul(s, &colon, 10) != step || *colon != ':')
		return 0;
	errno = atoi(colon + 1);
	return -1;
}
#else
#define fault_after_step(step) ((void)(step))
#define fault_before_step(step) ((void)(step))
#define fault_rename(step) ((void)(step), 0)
#endif

static void
enc_path(struct buf *b, const char *p)
{
	for (; *p; p++) {
		if (*p == '%' || *p == '\t' || *p == '\n' || *p == '\r')
			buf_addf(b, "%%%02X", (unsigned char)*p);
		else
			buf_add(b, p, 1);
	}
}


int
txn_begin(struct txn *x, const struct target *t)
{
	unsigned int	r;
	char		*fl;

	memset(x, 0, sizeof(*x));
	x->t = t;
	x->jfd = -1;
	fl = path_join(t->root, ".forklift");
	if (getentropy(&r, sizeof(r)) != 0)
		r = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	x->dir = xasprintf("%s/tx-%ld-%08x", fl, (long)getpid(), r);
	x->journal = path_join(fl, "journal");
	free(fl);
	if (mkdir(x->dir, 0700) != 0) {
		error_msg("cannot create the staging directory '%s': %s", x->dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

char *
txn_stage_path(const struct txn *x, unsigned int i)
{
	return xasprintf("%s/%u", x->dir, i);
}

/* Remove now-empty directories a removal left, walking up, never the
 * root, purelib, platlib or the scripts directory. */
void
txn_prune_dirs(const struct target *t, const struct strv *dirs)
{
	size_t	i;

	for (i = 0; i < dirs->n; i++) {
		char	*d = xstrdup(dirs->v[i]), *s;

		while (path_inside(d, t->root) && strcmp(d, t->root) != 0 &&
		    strcmp(d, t->purelib) != 0 && strcmp(d, t->platlib) != 0 &&
		    strcmp(d, t->scripts) != 0 && rmdir(d) == 0) {
			if ((s = strrchr(d, '/')) == NULL || s == d)
				break;
			*s = '\0';
		}
		free(d);
	}
}

void
txn_cleanup(const char *dir, const char *journal)
{
	if (rmdir(dir) != 0 && rm_rf(dir) != 0)
		warn_msg("%s", err_get());
	if (journal != NULL && unlink(journal) != 0 && errno != ENOENT)
		warn_msg("cannot remove '%s': %s", journal, strerror(errno));
}

/* After a commit most of the staging area is the empty directories the
 * staged trees were renamed out of, and planning listed them: remove
 * those in that order, children first, and an empty trash, without
 * reading any directory again.  Whatever is not empty is removed whole;
 * txn_cleanup() then removes what is left. */
static void
sweep_staging(const struct txn *x)
{
	size_t	i;
	int	dfd;

	if (x->sweep.n == 0)
		return;
	dfd = open(x->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	for (i = 0; i < x->sweep.n; i++)
		if (unlinkat(dfd, x->sweep.v[i], AT_REMOVEDIR) != 0 &&
		    (errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR))
			(void)rm_rf_at(dfd, x->sweep.v[i]);
	(void)unlinkat(dfd, "trash", AT_REMOVEDIR);
	close(dfd);
}

/* ---- the journal and the steps -------------------------------------- */

static void
journal_record(struct buf *line, char kind, const char *a, const char *b)
{
	buf_add(line, &kind, 1);
	if (a) {
		buf_adds(line, "\t");
		enc_path(line, a);
	}
	if (b) {
		buf_adds(line, "\t");
		enc_path(line, b);
	}
	buf_adds(line, "\n");
}

int
txn_flush(const char *dir, int whole_fs)
{
	int	fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_set("cannot open '%s': %s", dir, strerror(errno));
	if ((whole_fs ? syncfs(fd) : fsync(fd)) != 0)
		rc = err_set("cannot flush %s'%s': %s", whole_fs ? "the file "
		    "system of " : "", dir, strerror(errno));
	close(fd);
	return rc;
}

static int
journal_flush(struct txn *x)
{
	if (!x->nosync && fdatasync(x->jfd) != 0)
		return err_set("cannot flush the journal '%s': %s", x->journal,
		    strerror(errno));
	return 0;
}

/* Write the whole journal, make it durable, then do its steps. */
static int
run_steps(struct txn *x)
{
	struct buf	 j = BUF_INIT;
	size_t		 i;
	char		*fl;
	int		 rc;

	if (!x->nosync && flush_fs(x->t->root) != 0)
		return -1;
	x->jfd = open(x->journal, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	if (x->jfd < 0)
		return err_set("cannot create the journal '%s': %s", x->journal,
		    strerror(errno));
	journal_record(&j, 'B', x->dir, NULL);
	for (i = 0; i < x->nplan; i++)
		journal_record(&j, x->plan[i].kind, x->plan[i].a, x->plan[i].b);
	rc = write_all(x->jfd, j.p, j.len);
	buf_free(&j);
	if (rc != 0)
		return err_set("cannot write the journal '%s': %s", x->journal,
		    strerror(errno));
	if (journal_flush(x) != 0)
		return -1;
	fl = path_join(x->t->root, ".forklift");
	rc = x->nosync ? 0 : flush_dir(fl);
	free(fl);
	if (rc != 0)
		return -1;
	x->steps = 1;
	for (i = 0; i < x->nplan; i++) {
		const struct txn_step	*s = &x->plan[i];

		x->steps++;
		fault_before_step(x->steps);
		if (s->kind == 'M') {
			if (mkdir(s->a, 0777) != 0 && errno != EEXIST)
				return err_set("cannot create directory '%s': %s",
				    s->a, strerror(errno));
		} else if (fault_rename(x->steps) != 0 ||
		    renameat2(AT_FDCWD, s->a, AT_FDCWD, s->b, RENAME_NOREPLACE) != 0)
			return err_set("cannot rename '%s' to '%s': %s", s->a, s->b,
			    strerror(errno));
		fault_after_step(x->steps);
	}
	return 0;
}

int
txn_commit_end(struct txn *x)
{
	static const char	 c[] = "C\n";

	x->planning = 0;
	if (run_steps(x) != 0)
		return -1;
	if (!x->nosync && flush_fs(x->t->root) != 0)
		return -1;
	if (write_all(x->jfd, c, sizeof(c) - 1) != 0)
		return err_set("cannot write the journal '%s': %s", x->journal,
		    strerror(errno));
	if (journal_flush(x) != 0)
		return -1;
	x->steps++;
	fault_after_step(x->steps);
	close(x->jfd);
	x->jfd = -1;
	if (verbosity > 1)
		note_msg("commit: %lu journal steps", x->steps);
	txn_prune_dirs(x->t, &x->emptied);
	sweep_staging(x);
	txn_cleanup(x->dir, x->journal);
	return 0;
}

/* ---- the end of a transaction ---------------------------------------- */

void
txn_abort(struct txn *x)
{
	if (x->dir != NULL)
		txn_cleanup(x->dir, NULL);
}

void
txn_free(struct txn *x)
{
	if (x->jfd >= 0)
		close(x->jfd);
	free(x->dir);
	free(x->journal);
	strv_free(&x->emptied);
	strv_free(&x->sweep);
	txn_plan_free(x);
	memset(x, 0, sizeof(*x));
	x->jfd = -1;
}
