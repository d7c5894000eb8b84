/*
 * txn.c: staging, the journaled commit, rollback and recovery.
 *
 * Design notes (the journal's state machine)
 * ------------------------------------------
 * <root>/.forklift/ holds the lock, at most one journal, and staging
 * directories tx-<pid>-<random>/ (one subdirectory per wheel, plus trash/).
 * Only the process holding the lock touches any of it.
 *
 *   STAGING    workers write under tx-<pid>-<random>/<i>/; no journal exists.  A crash
 *              here leaves a stale staging directory and nothing else; the
 *              environment was never touched.  Recovery: remove it.
 *   COMMITTING the parent has created the journal ("B" record) and appends
 *              one record per step *before* doing the step:
 *                M <dir>         mkdir of a directory that did not exist
 *                R <from> <to>   rename(2) with RENAME_NOREPLACE: a staged
 *                                entry into place, or a replaced file into
 *                                the trash
 *              A crash here leaves the journal.  Recovery (and rollback
 *              after an error) replays it backwards: R is undone by
 *              renaming <to> back to <from> (a step journaled but never done
 *              finds no <to> and is skipped; RENAME_NOREPLACE guarantees a
 *              rename never destroyed anything), M by rmdir.  Replaying is
 *              idempotent, so a crash during a rollback or a recovery is
 *              recovered by replaying again: a step already undone either
 *              finds no <to>, or finds <from> occupied again (by the undo
 *              of an older step) and is skipped.
 *   ROLLED BACK every step undone: the journal is unlinked first, then the
 *              staging directory is removed (the other order could let a
 *              later replay move a restored file into a half-removed
 *              staging tree).
 *   COMMITTED  a "C" record is appended once every step is done.  From
 *              here the new state is final: recovery only removes the
 *              directories the moves into the trash left empty, deletes the
 *              trash and the staging directory, then the journal.
 *   CLEAN      journal unlinked, staging directory removed.
 *
 * Records are written with one write(2) each to an O_APPEND file, so a
 * process crash (SIGKILL, OOM) never loses one; they are not fsync'ed: a
 * power loss can lose recent renames and records alike, and forklift does
 * not promise more than the file system's own rename ordering there.
 * Paths in records are percent-encoded for '%', tab, CR and LF.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
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
#include "util.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#ifdef FAULT_INJECTION
/* FORKLIFT_FAULT_STEP=K: _exit(99) right after journal step K is done.
 * FORKLIFT_FAULT_BEFORE=K: _exit(99) after step K is journaled, before it
 * is done.
 * FORKLIFT_FAULT_RENAME=K:ERRNO: the rename of step K fails with ERRNO.
 * FORKLIFT_FAULT_UNDO=K: _exit(99) once a replay has undone K records. */
static void
fault_exit(const char *var, unsigned long step)
{
	const char	*s = getenv(var);

	if (s && strtoul(s, NULL, 10) == step)
		_exit(99);
}
#define fault_after_step(step) fault_exit("FORKLIFT_FAULT_STEP", (step))
#define fault_before_step(step) fault_exit("FORKLIFT_FAULT_BEFORE", (step))
#define fault_undo(n) fault_exit("FORKLIFT_FAULT_UNDO", (n))

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
#define fault_undo(n) ((void)(n))
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

static char *
dec_path(const char *s, size_t n)
{
	struct buf	b = BUF_INIT;
	size_t		i;
	unsigned int	c;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && sscanf(s + i + 1, "%2X", &c) == 1) {
			char	ch = (char)c;

			buf_add(&b, &ch, 1);
			i += 2;
		} else
			buf_add(&b, s + i, 1);
	}
	return buf_detach(&b);
}

static int
journal_append(struct txn *x, const char *kind, const char *a, const char *b)
{
	struct buf	line = BUF_INIT;
	int		rc = 0;

	buf_adds(&line, kind);
	if (a) {
		buf_adds(&line, "\t");
		enc_path(&line, a);
	}
	if (b) {
		buf_adds(&line, "\t");
		enc_path(&line, b);
	}
	buf_adds(&line, "\n");
	if (write_all(x->jfd, line.p, line.len) != 0)
		rc = err_set("cannot write the journal '%s': %s", x->journal,
		    strerror(errno));
	buf_free(&line);
	x->steps++;
	return rc;
}

static int
journaled_rename(struct txn *x, const char *from, const char *to)
{
	unsigned long	step;

	if (journal_append(x, "R", from, to) != 0)
		return -1;
	step = x->steps;
	fault_before_step(step);
	if (fault_rename(step) != 0 ||
	    renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) != 0)
		return err_set("cannot rename '%s' to '%s': %s", from, to,
		    strerror(errno));
	fault_after_step(step);
	return 0;
}

static int
journaled_mkdir(struct txn *x, const char *dir)
{
	unsigned long	step;

	if (journal_append(x, "M", dir, NULL) != 0)
		return -1;
	step = x->steps;
	fault_before_step(step);
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return err_set("cannot create directory '%s': %s", dir, strerror(errno));
	fault_after_step(step);
	return 0;
}

/* mkdir -p with every created directory journaled. */
static int
journaled_mkdir_p(struct txn *x, const char *dir)
{
	struct stat	 st;
	char		*parent, *s;
	int		 rc;

	if (lstat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		return err_set("'%s' exists and is not a directory", dir);
	}
	parent = xstrdup(dir);
	s = strrchr(parent, '/');
	if (s != NULL && s != parent) {
		*s = '\0';
		if (journaled_mkdir_p(x, parent) != 0) {
			free(parent);
			return -1;
		}
	}
	free(parent);
	rc = journaled_mkdir(x, dir);
	return rc;
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

int
txn_commit_begin(struct txn *x)
{
	char	*trash = path_join(x->dir, "trash");

	if (mkdir(trash, 0700) != 0 && errno != EEXIST) {
		free(trash);
		return err_set("cannot create the trash directory: %s", strerror(errno));
	}
	free(trash);
	x->jfd = open(x->journal, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	if (x->jfd < 0)
		return err_set("cannot create the journal '%s': %s", x->journal,
		    strerror(errno));
	return journal_append(x, "B", x->dir, NULL);
}

static char *
trash_slot(struct txn *x)
{
	return xasprintf("%s/trash/%lu", x->dir, x->ntrash++);
}

/* Remember a directory that may be empty once the commit is done. */
static void
note_parent(struct txn *x, const char *abs)
{
	const char	*s = strrchr(abs, '/');

	if (s == NULL || s == abs)
		return;
	if (x->emptied.n > 0 && strlen(x->emptied.v[x->emptied.n - 1]) ==
	    (size_t)(s - abs) && strncmp(x->emptied.v[x->emptied.n - 1], abs,
	    (size_t)(s - abs)) == 0)
		return;
	strv_push_owned(&x->emptied, xstrndup(abs, (size_t)(s - abs)));
}

int
txn_remove(struct txn *x, const char *abs)
{
	struct stat	 st;
	char		*slot;
	int		 rc;

	if (lstat(abs, &st) != 0)
		return 0;		/* already gone: nothing to move */
	slot = trash_slot(x);
	rc = journaled_rename(x, abs, slot);
	free(slot);
	if (rc == 0)
		note_parent(x, abs);
	return rc;
}

/* Are two regular files byte-for-byte equal? */
static int
same_bytes(const char *a, const char *b)
{
	char	 ba[65536], bb[65536];
	ssize_t	 na, nb;
	int	 fa, fb, same = 0;

	if ((fa = open(a, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	if ((fb = open(b, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		close(fa);
		return 0;
	}
	for (;;) {
		na = read_all(fa, ba, sizeof(ba));
		nb = read_all(fb, bb, sizeof(bb));
		if (na < 0 || na != nb || memcmp(ba, bb, (size_t)na) != 0)
			break;
		if (na == 0) {
			same = 1;
			break;
		}
	}
	close(fa);
	close(fb);
	return same;
}

static int
merge(struct txn *x, const char *src, const char *dst, int top, int phase)
{
	struct stat	 ss, ds;
	struct strv	 names = STRV_INIT;
	struct dirent	*e;
	DIR		*d;
	size_t		 i;
	int		 rc = 0;

	if ((d = opendir(src)) == NULL)
		return err_set("cannot read '%s': %s", src, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			strv_push(&names, e->d_name);
	closedir(d);
	strv_sort(&names);
	for (i = 0; i < names.n && rc == 0; i++) {
		char	*s, *t;
		int	 is_di = top && str_ends(names.v[i], ".dist-info");

		if (top && phase != 2 && is_di != (phase == 1))
			continue;
		s = path_join(src, names.v[i]);
		t = path_join(dst, names.v[i]);
		if (lstat(t, &ds) != 0) {
			rc = journaled_rename(x, s, t);
		} else if (lstat(s, &ss) != 0) {
			rc = err_set("cannot stat '%s': %s", s, strerror(errno));
		} else if (S_ISDIR(ss.st_mode) && S_ISDIR(ds.st_mode)) {
			rc = merge(x, s, t, 0, 2);
		} else if (S_ISDIR(ss.st_mode) || S_ISDIR(ds.st_mode)) {
			rc = err_set("'%s' exists and is %sa directory", t,
			    S_ISDIR(ds.st_mode) ? "" : "not ");
		} else {
			/* A file another distribution installed. */
			if (!same_bytes(s, t)) {
				char	*who = x->owner ? x->owner(x->owner_arg, t) : NULL;

				if (x->strict)
					rc = err_set("'%s' is also installed by %s, with "
					    "different contents (--strict)", t,
					    who ? who : "another distribution");
				else {
					warn_msg("%s: '%s' is also installed by %s, with "
					    "different contents: overwriting it",
					    x->label ? x->label : "?", t,
					    who ? who : "another distribution");
					x->overwritten++;
				}
				free(who);
			}
			if (rc == 0) {
				char	*slot = trash_slot(x);

				rc = journaled_rename(x, t, slot);
				free(slot);
			}
			if (rc == 0)
				rc = journaled_rename(x, s, t);
		}
		free(s);
		free(t);
	}
	strv_free(&names);
	return rc;
}

int
txn_install(struct txn *x, unsigned int i, const char *key, const char *dest,
    int phase)
{
	struct stat	 st;
	char		*src;
	int		 rc;

	src = xasprintf("%s/%u/%s", x->dir, i, key);
	if (lstat(src, &st) != 0) {
		free(src);
		return 0;
	}
	rc = journaled_mkdir_p(x, dest);
	if (rc == 0)
		rc = merge(x, src, dest, 1, phase);
	free(src);
	return rc;
}

/* Remove now-empty directories a removal left, walking up, never the
 * root, purelib, platlib or the scripts directory. */
static void
prune_dirs(const struct target *t, const struct strv *dirs)
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

static void
cleanup(const char *dir, const char *journal)
{
	if (rm_rf(dir) != 0)
		warn_msg("%s", err_get());
	if (journal != NULL && unlink(journal) != 0 && errno != ENOENT)
		warn_msg("cannot remove '%s': %s", journal, strerror(errno));
}

int
txn_commit_end(struct txn *x)
{
	if (journal_append(x, "C", NULL, NULL) != 0)
		return -1;
	fault_after_step(x->steps);
	close(x->jfd);
	x->jfd = -1;
	if (verbosity > 1)
		note_msg("commit: %lu journal steps", x->steps);
	prune_dirs(x->t, &x->emptied);
	cleanup(x->dir, x->journal);
	return 0;
}

/* Undo the records of a journal, newest first.  Returns -1 if some step
 * could not be undone (the journal is then kept for another try). */
static int
replay_backwards(const char *text, size_t len, int *committed, char **txdir,
    struct strv *emptied)
{
	struct strv	 lines = STRV_INIT;
	const char	*p = text, *end = text + len, *nl;
	unsigned long	 undone = 0;
	size_t		 i;
	int		 rc = 0;

	*committed = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;		/* a torn last record was never acted on */
		strv_push_owned(&lines, xstrndup(p, (size_t)(nl - p)));
		p = nl + 1;
	}
	for (i = 0; i < lines.n; i++) {
		if (strcmp(lines.v[i], "C") == 0)
			*committed = 1;
		if (lines.v[i][0] == 'B' && lines.v[i][1] == '\t' && *txdir == NULL)
			*txdir = dec_path(lines.v[i] + 2, strlen(lines.v[i] + 2));
	}
	/* Committed: only the directories emptied by moves into the trash. */
	for (i = 0; i < lines.n && *committed && *txdir != NULL; i++) {
		char	*l = lines.v[i], *tab, *trash;

		if (l[0] == 'R' && l[1] == '\t' && (tab = strchr(l + 2, '\t'))) {
			char	*from = dec_path(l + 2, (size_t)(tab - l - 2));
			char	*to = dec_path(tab + 1, strlen(tab + 1));
			char	*s = strrchr(from, '/');

			trash = path_join(*txdir, "trash");
			if (path_inside(to, trash) && s != NULL && s != from)
				strv_push_owned(emptied, xstrndup(from, (size_t)(s - from)));
			free(trash);
			free(from);
			free(to);
		}
	}
	for (i = lines.n; i-- > 0 && !*committed; ) {
		char	*l = lines.v[i], *tab;

		if (l[0] == 'R' && l[1] == '\t' && (tab = strchr(l + 2, '\t'))) {
			char	*from = dec_path(l + 2, (size_t)(tab - l - 2));
			char	*to = dec_path(tab + 1, strlen(tab + 1));

			/* ENOENT: never done, or undone already; EEXIST: undone
			 * already, and an older step's undo filled <from> again. */
			if (renameat2(AT_FDCWD, to, AT_FDCWD, from, RENAME_NOREPLACE) != 0 &&
			    errno != ENOENT && errno != EEXIST) {
				warn_msg("cannot move '%s' back to '%s': %s", to, from,
				    strerror(errno));
				rc = -1;
			}
			free(from);
			free(to);
		} else if (l[0] == 'M' && l[1] == '\t') {
			char	*dir = dec_path(l + 2, strlen(l + 2));

			if (rmdir(dir) != 0 && errno != ENOENT && errno != ENOTEMPTY)
				warn_msg("cannot remove '%s': %s", dir, strerror(errno));
			free(dir);
		} else
			continue;
		fault_undo(++undone);
	}
	strv_free(&lines);
	return rc;
}

int
txn_rollback(struct txn *x)
{
	struct strv	 emptied = STRV_INIT;
	char		*text = NULL, *txdir = NULL;
	size_t		 len;
	int		 committed, rc;

	if (x->jfd < 0) {
		txn_abort(x);
		return 0;
	}
	close(x->jfd);
	x->jfd = -1;
	if (read_file(x->journal, (size_t)1 << 30, &text, &len) != 0) {
		error_msg("cannot read the journal: %s", err_get());
		return -1;
	}
	rc = replay_backwards(text, len, &committed, &txdir, &emptied);
	free(text);
	free(txdir);
	strv_free(&emptied);
	if (rc == 0) {
		/* Journal first: see ROLLED BACK above. */
		if (unlink(x->journal) != 0 && errno != ENOENT)
			warn_msg("cannot remove '%s': %s", x->journal, strerror(errno));
		cleanup(x->dir, NULL);
	}
	return rc;
}

void
txn_abort(struct txn *x)
{
	if (x->dir != NULL)
		cleanup(x->dir, NULL);
}

void
txn_free(struct txn *x)
{
	if (x->jfd >= 0)
		close(x->jfd);
	free(x->dir);
	free(x->journal);
	strv_free(&x->emptied);
	memset(x, 0, sizeof(*x));
	x->jfd = -1;
}

static long
tx_pid(const char *name)
{
	return strtol(name + 3, NULL, 10);
}

int
txn_recover(const struct target *t)
{
	char		*fl = path_join(t->root, ".forklift");
	char		*journal = path_join(fl, "journal");
	char		*text = NULL, *txdir = NULL;
	struct strv	 emptied = STRV_INIT;
	struct dirent	*e;
	DIR		*d;
	size_t		 len;
	int		 committed, rc = 0;

	if (read_file(journal, (size_t)1 << 30, &text, &len) == 0) {
		rc = replay_backwards(text, len, &committed, &txdir, &emptied);
		if (rc == 0 && committed) {
			prune_dirs(t, &emptied);
			if (txdir != NULL)
				cleanup(txdir, NULL);
		}
		if (rc == 0) {
			/* Rolled back: the journal goes before the staging tree. */
			if (unlink(journal) != 0 && errno != ENOENT) {
				error_msg("cannot remove '%s': %s", journal, strerror(errno));
				rc = -1;
			} else if (!committed && txdir != NULL)
				cleanup(txdir, NULL);
			if (rc != 0)
				;
			else if (committed)
				note_msg("finished an interrupted install (pid %ld): its "
				    "changes are complete", txdir ? tx_pid(path_base(txdir)) : 0L);
			else
				note_msg("recovered from an interrupted install (pid %ld): "
				    "environment restored", txdir ? tx_pid(path_base(txdir)) : 0L);
		} else
			error_msg("could not undo an interrupted install; the journal "
			    "'%s' is kept", journal);
		free(text);
		free(txdir);
		strv_free(&emptied);
	}
	if (rc == 0 && (d = opendir(fl)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char	*p;

			if (strncmp(e->d_name, "tx-", 3) != 0)
				continue;
			p = path_join(fl, e->d_name);
			if (rm_rf(p) == 0 && verbosity > 0)
				note_msg("removed staging left by forklift (pid %ld)",
				    tx_pid(e->d_name));
			free(p);
		}
		closedir(d);
	}
	free(journal);
	free(fl);
	return rc;
}
