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
 * What recovery trusts in a journal, and what it never deletes, is said
 * at the top of recover.c.
 *
 * Records are percent-encoded for '%', tab, CR and LF.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <search.h>
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


/* ---- planning: the steps, against an overlay of what they will do ---- */

/* One path the planned steps change: it will hold what is now at "at" (a
 * real path), be a new empty directory (at == ""), or be gone (NULL). */
struct ov {
	char		*path;
	char		*at;
	const char	*by;	/* the wheel whose file it will be, or NULL */
};

static int
ov_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ov *)a)->path, ((const struct ov *)b)->path);
}

static void
ov_free(void *p)
{
	struct ov	*o = p;

	free(o->path);
	free(o->at);
	free(o);
}

static void
ov_set(struct txn *x, const char *path, const char *at, const char *by)
{
	struct ov	 key, *n, **f;

	key.path = (char *)path;
	if ((f = tfind(&key, &x->overlay, ov_cmp)) != NULL) {
		free((*f)->at);
		(*f)->at = at ? xstrdup(at) : NULL;
		(*f)->by = by;
		return;
	}
	n = xmalloc(sizeof(*n));
	n->path = xstrdup(path);
	n->at = at ? xstrdup(at) : NULL;
	n->by = by;
	if (tsearch(n, &x->overlay, ov_cmp) == NULL)
		BUG("out of memory in tsearch");
}

/* Where what will be at path once the planned steps are done is now:
 * a real path, "" for a directory still to be created, or NULL when
 * nothing will be there.  The nearest entry on the path wins. */
static char *
ov_where(struct txn *x, const char *path, const char **by)
{
	struct ov	 key, **f;
	char		*p = xstrdup(path), *s, *r;

	if (by != NULL)
		*by = NULL;
	for (;;) {
		key.path = p;
		if ((f = tfind(&key, &x->overlay, ov_cmp)) != NULL) {
			if (by != NULL)
				*by = (*f)->by;
			if ((*f)->at == NULL || ((*f)->at[0] == '\0' &&
			    strcmp(p, path) != 0))
				r = NULL;
			else
				r = xasprintf("%s%s", (*f)->at, path + strlen(p));
			free(p);
			return r;
		}
		if ((s = strrchr(p, '/')) == NULL || s == p)
			break;
		*s = '\0';
	}
	free(p);
	return xstrdup(path);
}

/* lstat() of path as it will be; *real gets where it is now. */
static int
v_lstat(struct txn *x, const char *path, struct stat *st, char **real)
{
	char	*w = ov_where(x, path, NULL);

	*real = w;
	if (w == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (w[0] == '\0') {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFDIR | 0755;
		return 0;
	}
	return lstat(w, st);
}

static void
plan_step(struct txn *x, char kind, const char *a, const char *b)
{
	struct txn_step	*s;

	if (x->nplan == x->capplan) {
		x->capplan = x->capplan ? 2 * x->capplan : 64;
		x->plan = xreallocarray(x->plan, x->capplan, sizeof(*x->plan));
	}
	s = &x->plan[x->nplan++];
	s->kind = kind;
	s->a = xstrdup(a);
	s->b = b ? xstrdup(b) : NULL;
}

/* by: the wheel whose file lands at to, NULL for a move to the trash. */
static void
plan_rename(struct txn *x, const char *from, const char *to, const char *by)
{
	char	*w = ov_where(x, from, NULL);

	if (x->dir_ok != NULL && (path_inside(x->dir_ok, from) ||
	    path_inside(x->dir_ok, to))) {
		free(x->dir_ok);
		x->dir_ok = NULL;
	}
	plan_step(x, 'R', from, to);
	ov_set(x, to, w ? w : "", by);
	ov_set(x, from, NULL, NULL);
	free(w);
}

/* mkdir -p with every created directory a step.  Every wheel asks for
 * the same few destinations (purelib, the scripts directory): the last
 * one found to be a directory is remembered until a step moves it. */
static int
plan_mkdir_p(struct txn *x, const char *dir)
{
	struct stat	 st;
	char		*parent, *s, *real;
	int		 rc = 0;

	if (x->dir_ok != NULL && strcmp(x->dir_ok, dir) == 0)
		return 0;
	if (v_lstat(x, dir, &st, &real) == 0) {
		free(real);
		if (!S_ISDIR(st.st_mode))
			return err_set("'%s' exists and is not a directory", dir);
		free(x->dir_ok);
		x->dir_ok = xstrdup(dir);
		return 0;
	}
	free(real);
	parent = xstrdup(dir);
	s = strrchr(parent, '/');
	if (s != NULL && s != parent) {
		*s = '\0';
		rc = plan_mkdir_p(x, parent);
	}
	free(parent);
	if (rc == 0) {
		plan_step(x, 'M', dir, NULL);
		ov_set(x, dir, "", NULL);
	}
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

int
txn_commit_begin(struct txn *x)
{
	char	*trash = path_join(x->dir, "trash");

	if (mkdir(trash, 0700) != 0 && errno != EEXIST) {
		free(trash);
		return err_set("cannot create the trash directory: %s", strerror(errno));
	}
	free(trash);
	x->planning = 1;
	return 0;
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
	char		*slot, *real;

	if (v_lstat(x, abs, &st, &real) != 0) {
		free(real);
		return 0;		/* already gone: nothing to move */
	}
	free(real);
	slot = trash_slot(x);
	plan_rename(x, abs, slot, NULL);
	free(slot);
	note_parent(x, abs);
	return 0;
}


/* An interpreter's name: python, python3, python3.12, python3.13t,
 * pythonw, pypy3.10 and the like. */
static int
interpreter_name(const char *base)
{
	const char	*s;

	if (str_starts(base, "python"))
		s = base + 6;
	else if (str_starts(base, "pypy"))
		s = base + 4;
	else
		return 0;
	s += strspn(s, "0123456789.");
	return *s == '\0' || (strchr("dmtw", *s) != NULL && s[1] == '\0');
}

/* Why a wheel may not put anything at path t, or NULL.  Nothing goes into
 * forklift's state directory; the files of the environment itself (its
 * interpreters, activation scripts, pyvenv.cfg) are never replaced. */
static const char *
forbidden(const struct txn *x, const char *t, int exists, int dir)
{
	const struct target	*tg = x->t;
	char			*fl = path_join(tg->root, ".forklift");
	const char		*why = NULL, *base = path_base(t);
	int			 in_state = path_inside(t, fl);

	/* A staged .forklift directory is merged, to name its first file. */
	if (exists && dir && strcmp(t, fl) == 0)
		in_state = 0;
	free(fl);
	if (in_state)
		return "it would be installed into forklift's state directory";
	if (!exists)
		return NULL;
	if (strlen(t) == strlen(tg->scripts) + 1 + strlen(base) &&
	    strncmp(t, tg->scripts, strlen(tg->scripts)) == 0 &&
	    (interpreter_name(base) || strncasecmp(base, "activate", 8) == 0))
		why = "it would replace a file of the environment itself "
		    "(its interpreter or an activation script)";
	else if (strcmp(base, "pyvenv.cfg") == 0 && strlen(t) ==
	    strlen(tg->root) + 11 && strncmp(t, tg->root, strlen(tg->root)) == 0)
		why = "it would replace the environment's pyvenv.cfg";
	return why;
}

/* A staged entry: its name, and its type as readdir gave it (DT_UNKNOWN
 * on file systems that do not say, then lstat decides). */
struct ent {
	char		*name;
	unsigned char	 type;
};

static int
ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

/* The entries of the open directory d, sorted by name; closes d. */
static struct ent *
read_ents(DIR *d, size_t *n)
{
	struct dirent	*e;
	struct ent	*v = NULL;
	size_t		 cap = 0;

	*n = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[*n].name = xstrdup(e->d_name);
		v[(*n)++].type = e->d_type;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), ent_cmp);
	return v;
}

/* The staged entry's mode: from readdir's type where it gave one (a
 * staged tree holds directories and regular files only, and nothing else
 * writes there while forklift holds the lock), else from lstat. */
static int
ent_stat(const struct ent *e, const char *path, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	if (e->type == DT_DIR) {
		st->st_mode = S_IFDIR;
		return 0;
	}
	if (e->type == DT_REG) {
		st->st_mode = S_IFREG;
		return 0;
	}
	return lstat(path, st);
}

static int
merge(struct txn *x, DIR *d, const char *src, const char *dst, int top,
    int phase)
{
	struct stat	 ss, ds;
	struct ent	*names;
	size_t		 i, n;
	int		 rc = 0;
	DIR		*sub;

	names = read_ents(d, &n);
	for (i = 0; i < n && rc == 0; i++) {
		char		*s, *t, *real = NULL;
		const char	*why;
		int		 is_di = top && str_ends(names[i].name, ".dist-info");
		int		 exists;

		if (top && phase != 2 && is_di != (phase == 1))
			continue;
		s = path_join(src, names[i].name);
		t = path_join(dst, names[i].name);
		exists = v_lstat(x, t, &ds, &real) == 0;
		if (ent_stat(&names[i], s, &ss) != 0) {
			rc = err_set("cannot stat '%s': %s", s, strerror(errno));
		} else if ((why = forbidden(x, t, exists, S_ISDIR(ss.st_mode) &&
		    S_ISDIR(ds.st_mode))) != NULL) {
			rc = err_set("refusing '%s' (staged as '%s'): %s", t,
			    s + strlen(x->dir) + 1, why);
		} else if (!exists) {
			plan_rename(x, s, t, x->label);
		} else if (S_ISDIR(ss.st_mode) && S_ISDIR(ds.st_mode)) {
			if ((sub = opendir(s)) == NULL)
				rc = err_set("cannot read '%s': %s", s, strerror(errno));
			else
				rc = merge(x, sub, s, t, 0, 2);
		} else if (S_ISDIR(ss.st_mode) || S_ISDIR(ds.st_mode)) {
			rc = err_set("'%s' exists and is %sa directory", t,
			    S_ISDIR(ds.st_mode) ? "" : "not ");
		} else {
			/* A file another distribution installed, or one no
			 * installed distribution owns: overwritten with a
			 * warning (an error with --strict); the old one stays in
			 * the trash until the commit is complete. */
			if (!same_bytes(s, real)) {
				const char	*by;
				char		*w = ov_where(x, t, &by);
				char		*who = by ? xstrdup(by) : x->owner ?
				    x->owner(x->owner_arg, t) : NULL;

				free(w);
				char	*what = who ? xasprintf("is also installed by %s",
				    who) : xstrdup("is not owned by any installed "
				    "distribution");

				if (x->strict)
					rc = err_set("'%s' %s, with different contents "
					    "(--strict)", t, what);
				else {
					warn_msg("%s: '%s' %s, with different contents: "
					    "overwriting it", x->label ? x->label : "?",
					    t, what);
					x->overwritten++;
				}
				free(what);
				free(who);
			}
			if (rc == 0) {
				char	*slot = trash_slot(x);

				plan_rename(x, t, slot, NULL);
				free(slot);
				plan_rename(x, s, t, x->label);
			}
		}
		free(real);
		free(s);
		free(t);
	}
	for (i = 0; i < n; i++)
		free(names[i].name);
	free(names);
	return rc;
}

int
txn_install(struct txn *x, unsigned int i, const char *key, const char *dest,
    int phase)
{
	char	*src;
	DIR	*d;
	int	 rc;

	src = xasprintf("%s/%u/%s", x->dir, i, key);
	if ((d = opendir(src)) == NULL) {
		rc = errno == ENOENT ? 1 : err_set("cannot read '%s': %s", src,
		    strerror(errno));
		free(src);
		return rc;
	}
	rc = plan_mkdir_p(x, dest);
	if (rc == 0)
		rc = merge(x, d, src, dest, 1, phase);
	else
		closedir(d);
	free(src);
	return rc;
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
	if (rm_rf(dir) != 0)
		warn_msg("%s", err_get());
	if (journal != NULL && unlink(journal) != 0 && errno != ENOENT)
		warn_msg("cannot remove '%s': %s", journal, strerror(errno));
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
	size_t	i;

	if (x->jfd >= 0)
		close(x->jfd);
	free(x->dir);
	free(x->journal);
	strv_free(&x->emptied);
	for (i = 0; i < x->nplan; i++) {
		free(x->plan[i].a);
		free(x->plan[i].b);
	}
	free(x->plan);
	free(x->dir_ok);
	tdestroy(x->overlay, ov_free);
	memset(x, 0, sizeof(*x));
	x->jfd = -1;
}
