/*
 * recover.c: reading a journal back and replaying it: the rollback of a
 * commit that failed part way, and the recovery of what a forklift that
 * died left in <root>/.forklift (a journal, stale staging directories).
 * The journal's states and records are described in txn.c; this file
 * only undoes what a journal records (renames back, directories removed)
 * or, once the "C" record is there, finishes the clean-up.
 *
 * Recovery trusts a journal only as far as it can check it: the "B"
 * directory must be a tx-* directory of <root>/.forklift, every R record
 * must move between that directory and a path inside the root but outside
 * .forklift, and every M record must name such a path; a journal with any
 * other record is not replayed at all.  The trash holds the only copy of
 * the replaced files, so recovery never deletes a non-empty trash unless
 * the journal holds the "C" record: without it, it restores what the
 * journal names and keeps whatever is left, saying so (exit status 4).
 *
 * It never writes a journal, never does a step forward, and never
 * replays a journal it could not check.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "target.h"
#include "txn.h"
#include "txn_impl.h"
#include "util.h"

#ifdef FAULT_INJECTION
/* FORKLIFT_FAULT_UNDO=K: _exit(99) once a replay has undone K records. */
#define fault_undo(n) txn_fault_exit("FORKLIFT_FAULT_UNDO", (n))
#else
#define fault_undo(n) ((void)(n))
#endif

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

/* ---- replay: rollback and recovery ---------------------------------- */

/* An absolute path without empty, "." or ".." components. */
static int
path_clean(const char *p)
{
	const char	*s;

	if (p[0] != '/')
		return 0;
	for (s = p; *s; ) {
		const char	*e;
		size_t		 n;

		s++;
		e = strchrnul(s, '/');
		n = (size_t)(e - s);
		if (n == 0 || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s = e;
	}
	return 1;
}

/* A path a step may touch in the environment: inside the root, outside
 * its state directory. */
static int
path_live(const char *p, const char *root, const char *fl)
{
	return path_clean(p) && path_inside(p, root) && !path_inside(p, fl) &&
	    strcmp(p, root) != 0;
}

struct journal {
	struct strv	 lines;		/* complete records, in order */
	char		*txdir;		/* the "B" directory, or NULL */
	int		 committed;
};

/* Split and check a journal (see the design notes): -1 with err_set()
 * when some record is not one forklift could have written for root. */
static int
journal_parse(const char *text, size_t len, const char *root,
    struct journal *jn)
{
	const char	*p = text, *end = text + len, *nl;
	char		*fl = path_join(root, ".forklift");
	size_t		 i;
	int		 rc = 0;

	memset(jn, 0, sizeof(*jn));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;		/* a torn last record was never acted on */
		strv_push_owned(&jn->lines, xstrndup(p, (size_t)(nl - p)));
		p = nl + 1;
	}
	for (i = 0; i < jn->lines.n && rc == 0; i++) {
		char	*l = jn->lines.v[i], *tab, *a, *b;

		if (strcmp(l, "C") == 0) {
			jn->committed = 1;
		} else if (l[0] == 'B' && l[1] == '\t' && i == 0) {
			a = dec_path(l + 2, strlen(l + 2));
			jn->txdir = a;
			if (!path_clean(a) || !path_inside(a, fl) ||
			    strlen(a) <= strlen(fl) + 1 ||
			    strchr(a + strlen(fl) + 1, '/') != NULL ||
			    !str_starts(a + strlen(fl) + 1, "tx-"))
				rc = err_set("its staging directory '%s' is not one "
				    "of '%s'", a, fl);
		} else if (jn->txdir != NULL && l[0] == 'M' && l[1] == '\t') {
			a = dec_path(l + 2, strlen(l + 2));
			if (!path_live(a, root, fl))
				rc = err_set("record %zu creates '%s', outside the "
				    "environment or inside its state directory",
				    i + 1, a);
			free(a);
		} else if (jn->txdir != NULL && l[0] == 'R' && l[1] == '\t' &&
		    (tab = strchr(l + 2, '\t')) != NULL) {
			a = dec_path(l + 2, (size_t)(tab - l - 2));
			b = dec_path(tab + 1, strlen(tab + 1));
			if (!((path_clean(a) && path_inside(a, jn->txdir) &&
			    path_live(b, root, fl)) || (path_live(a, root, fl) &&
			    path_clean(b) && path_inside(b, jn->txdir))))
				rc = err_set("record %zu moves '%s' to '%s', not "
				    "between its staging directory and the "
				    "environment", i + 1, a, b);
			free(a);
			free(b);
		} else
			rc = err_set("record %zu is not one forklift writes", i + 1);
	}
	free(fl);
	return rc;
}

static void
journal_free(struct journal *jn)
{
	strv_free(&jn->lines);
	free(jn->txdir);
}

/* Undo the records of a parsed journal, newest first; once committed,
 * collect the directories emptied by moves into the trash instead.
 * Returns -1 if some step could not be undone. */
static int
replay_backwards(const struct journal *jn, struct strv *emptied)
{
	unsigned long	 undone = 0;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < jn->lines.n && jn->committed; i++) {
		char	*l = jn->lines.v[i], *tab, *trash;

		if (l[0] == 'R' && (tab = strchr(l + 2, '\t'))) {
			char	*from = dec_path(l + 2, (size_t)(tab - l - 2));
			char	*to = dec_path(tab + 1, strlen(tab + 1));
			char	*s = strrchr(from, '/');

			trash = path_join(jn->txdir, "trash");
			if (path_inside(to, trash) && s != NULL && s != from)
				strv_push_owned(emptied, xstrndup(from, (size_t)(s - from)));
			free(trash);
			free(from);
			free(to);
		}
	}
	for (i = jn->lines.n; i-- > 0 && !jn->committed; ) {
		char	*l = jn->lines.v[i], *tab;

		if (l[0] == 'R' && (tab = strchr(l + 2, '\t'))) {
			char	*from = dec_path(l + 2, (size_t)(tab - l - 2));
			char	*to = dec_path(tab + 1, strlen(tab + 1));

			/* ENOENT: never done, or undone already; EEXIST: never
			 * done, or undone already and an older step's undo
			 * filled <from> again. */
			if (renameat2(AT_FDCWD, to, AT_FDCWD, from, RENAME_NOREPLACE) != 0 &&
			    errno != ENOENT && errno != EEXIST) {
				warn_msg("cannot move '%s' back to '%s': %s", to, from,
				    strerror(errno));
				rc = -1;
			}
			free(from);
			free(to);
		} else if (l[0] == 'M') {
			char	*dir = dec_path(l + 2, strlen(l + 2));

			if (rmdir(dir) != 0 && errno != ENOENT && errno != ENOTEMPTY)
				warn_msg("cannot remove '%s': %s", dir, strerror(errno));
			free(dir);
		} else
			continue;
		fault_undo(++undone);
	}
	return rc;
}

/* Does dir exist with something in it? */
static int
dir_nonempty(const char *dir)
{
	struct dirent	*e;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return errno != ENOENT;
	while (n == 0 && (e = readdir(d)) != NULL)
		n = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Remove a staging directory, unless its trash still holds replaced
 * files (then -1, with err_set() saying where they are). */
static int
remove_staging(const char *dir)
{
	char	*trash = path_join(dir, "trash");
	int	 full = dir_nonempty(trash);

	free(trash);
	if (full)
		return err_set("'%s/trash' still holds files an interrupted install "
		    "replaced and no journal says where they belong; it is kept",
		    dir);
	txn_cleanup(dir, NULL);
	return 0;
}

int
txn_rollback(struct txn *x)
{
	struct strv	 emptied = STRV_INIT;
	struct journal	 jn;
	char		*text = NULL;
	size_t		 len;
	int		 rc;

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
	if ((rc = journal_parse(text, len, x->t->root, &jn)) != 0)
		error_msg("journal '%s': %s", x->journal, err_get());
	else
		rc = replay_backwards(&jn, &emptied);
	free(text);
	journal_free(&jn);
	strv_free(&emptied);
	if (rc == 0 && !x->nosync && flush_fs(x->t->root) != 0) {
		error_msg("%s", err_get());
		rc = -1;
	}
	if (rc == 0) {
		/* Journal first: see COMMITTING in txn.c. */
		if (unlink(x->journal) != 0 && errno != ENOENT)
			warn_msg("cannot remove '%s': %s", x->journal, strerror(errno));
		if (remove_staging(x->dir) != 0) {
			error_msg("%s", err_get());
			rc = -1;
		}
	}
	return rc;
}

static long
tx_pid(const char *name)
{
	return strtol(name + 3, NULL, 10);
}

/* Replay the journal a dead forklift left. */
static int
recover_journal(const struct target *t, const char *journal)
{
	struct strv	 emptied = STRV_INIT;
	struct journal	 jn;
	char		*text = NULL;
	size_t		 len;
	long		 pid;
	int		 rc;

	if (read_file(journal, (size_t)1 << 30, &text, &len) != 0) {
		if (errno == ENOENT)
			return 0;
		error_msg("cannot read the journal: %s", err_get());
		return -1;
	}
	rc = journal_parse(text, len, t->root, &jn);
	free(text);
	if (rc != 0) {
		error_msg("the journal '%s' of an interrupted install is not "
		    "one forklift wrote: %s; it is kept, nothing was undone",
		    journal, err_get());
		journal_free(&jn);
		return -1;
	}
	pid = jn.txdir ? tx_pid(path_base(jn.txdir)) : 0L;
	rc = replay_backwards(&jn, &emptied);
	if (rc == 0 && jn.committed) {
		txn_prune_dirs(t, &emptied);
		txn_cleanup(jn.txdir, NULL);
	}
	if (rc == 0 && flush_fs(t->root) != 0) {
		error_msg("%s", err_get());
		rc = -1;
	}
	if (rc != 0)
		error_msg("could not undo an interrupted install; the journal "
		    "'%s' is kept", journal);
	else if (unlink(journal) != 0 && errno != ENOENT) {
		/* Rolled back: the journal goes before the staging tree. */
		error_msg("cannot remove '%s': %s", journal, strerror(errno));
		rc = -1;
	} else if (!jn.committed && jn.txdir != NULL &&
	    remove_staging(jn.txdir) != 0) {
		error_msg("%s", err_get());
		rc = -1;
	} else if (jn.txdir == NULL)
		note_msg("removed the journal of an interrupted install that "
		    "recorded no step");
	else if (jn.committed)
		note_msg("finished an interrupted install (pid %ld): its "
		    "changes are complete", pid);
	else
		note_msg("recovered from an interrupted install (pid %ld): "
		    "environment restored", pid);
	journal_free(&jn);
	strv_free(&emptied);
	return rc;
}

int
txn_pending(const struct target *t, int report)
{
	char		*fl = path_join(t->root, ".forklift");
	char		*journal = path_join(fl, "journal");
	struct stat	 st;
	struct dirent	*e;
	DIR		*d;
	int		 pending = lstat(journal, &st) == 0;

	if (pending && report)
		warn_msg("an interrupted install left the journal '%s': the "
		    "environment may be half changed until a forklift that may "
		    "write to it recovers it", journal);
	if (!pending && (d = opendir(fl)) != NULL) {
		while (!pending && (e = readdir(d)) != NULL)
			pending = strncmp(e->d_name, "tx-", 3) == 0;
		closedir(d);
	}
	free(journal);
	free(fl);
	return pending;
}

int
txn_recover(const struct target *t)
{
	char		*fl = path_join(t->root, ".forklift");
	char		*journal = path_join(fl, "journal");
	struct dirent	*e;
	DIR		*d;
	int		 rc;

	rc = recover_journal(t, journal);
	if (rc == 0 && (d = opendir(fl)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char	*p;

			if (strncmp(e->d_name, "tx-", 3) != 0)
				continue;
			p = path_join(fl, e->d_name);
			if (remove_staging(p) != 0) {
				error_msg("%s", err_get());
				rc = -1;
			} else if (verbosity > 0)
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
