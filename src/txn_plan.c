/*
 * txn_plan.c: planning a commit.  Between txn_commit_begin() and
 * txn_commit_end() every removal and every staged tree is turned into
 * steps (mkdir, rename into place, rename into the trash), checked
 * against an overlay of what the earlier steps will have done: a file
 * another distribution owns is overwritten with a warning (an error with
 * --strict), and what forklift never replaces (.forklift, interpreters,
 * activation scripts, pyvenv.cfg) is refused before anything moves.  It
 * only reads the environment and the staging area; txn.c journals and
 * does the steps.
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
#include <unistd.h>

#include "fsutil.h"
#include "target.h"
#include "txn.h"
#include "txn_impl.h"
#include "util.h"

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

struct ents {
	struct ent	*v;
	size_t		 n, cap;
	size_t		 max;	/* stop after that many, 0: never */
};

static int
add_ent(void *arg, const char *name, unsigned char type)
{
	struct ents	*l = arg;

	if (l->max != 0 && l->n == l->max)
		return 1;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n].name = xstrdup(name);
	l->v[l->n++].type = type;
	return 0;
}

static void
ents_free(struct ent *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* The entries of directory path, sorted by name, never NULL; at most
 * max of them unless max is 0.  -1 with errno set if it cannot be read,
 * 1 (nothing returned) if it holds more than max. */
static int
read_ents_max(const char *path, size_t max, struct ent **v, size_t *n)
{
	struct ents	l = { NULL, 0, 0, max };
	int		rc, saved;

	if ((rc = dir_each(AT_FDCWD, path, add_ent, &l)) != 0) {
		saved = errno;
		ents_free(l.v, l.n);
		errno = saved;
		return rc;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), ent_cmp);
	*v = l.v ? l.v : xcalloc(1, sizeof(*l.v));
	*n = l.n;
	return 0;
}

static int
read_ents(const char *path, struct ent **v, size_t *n)
{
	return read_ents_max(path, 0, v, n);
}

/* ---- what is on disk, read whole where it is asked about often ------- */

/* Planning asks whether paths exist, most of them new names in the same
 * few directories (every wheel's top-level names in purelib).  Once a
 * directory has been asked about often enough, it is read whole and a
 * name it lacks is known to be absent without an lstat (a name it holds
 * is still lstat()ed).  Planning changes nothing on disk, so the listing
 * stays true for the whole plan; what another process might create
 * meanwhile the commit's RENAME_NOREPLACE still refuses.  A directory
 * much larger than the questions asked so far is not read: a try reads
 * at most PROBE_SPAN entries per question, and the next try waits until
 * the questions have doubled. */
#define PROBE_FIRST	32
#define PROBE_SPAN	4
#define PROBE_DIRS	4

struct probed {
	char		*dir;
	unsigned long	 asked, next;
	struct ent	*v;		/* NULL until read */
	size_t		 n;
};

static void
probed_free(struct probed *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < PROBE_DIRS; i++) {
		free(p[i].dir);
		if (p[i].v != NULL)
			ents_free(p[i].v, p[i].n);
	}
	free(p);
}

/* The slot for dir: its own, else the one asked about least. */
static struct probed *
probed_slot(struct txn *x, const char *dir, size_t len)
{
	struct probed	*p, *low;
	size_t		 i;

	if (x->probed == NULL)
		x->probed = xcalloc(PROBE_DIRS, sizeof(*p));
	p = x->probed;
	low = &p[0];
	for (i = 0; i < PROBE_DIRS; i++) {
		if (p[i].dir != NULL && strlen(p[i].dir) == len &&
		    strncmp(p[i].dir, dir, len) == 0)
			return &p[i];
		if (p[i].asked < low->asked)
			low = &p[i];
	}
	free(low->dir);
	if (low->v != NULL)
		ents_free(low->v, low->n);
	memset(low, 0, sizeof(*low));
	low->dir = xstrndup(dir, len);
	low->next = PROBE_FIRST;
	return low;
}

/* lstat(2) of a real path, or ENOENT from its directory's listing. */
static int
disk_lstat(struct txn *x, const char *path, struct stat *st)
{
	const char	*s = strrchr(path, '/');
	struct probed	*p;
	struct ent	 k;

	if (s == NULL || s == path)
		return lstat(path, st);
	p = probed_slot(x, path, (size_t)(s - path));
	p->asked++;
	if (p->v == NULL && p->asked >= p->next) {
		if (read_ents_max(p->dir, p->asked * PROBE_SPAN, &p->v,
		    &p->n) != 0)
			p->v = NULL;
		p->next = 2 * p->asked;
	}
	k.name = (char *)(s + 1);
	if (p->v != NULL && bsearch(&k, p->v, p->n, sizeof(*p->v),
	    ent_cmp) == NULL) {
		errno = ENOENT;
		return -1;
	}
	return lstat(path, st);
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
	return disk_lstat(x, w, st);
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

static int merge(struct txn *, const struct ent *, size_t, const char *,
    const char *, int, int);

/* Merge the staged directory src, which dst already is, into dst. */
static int
merge_dir(struct txn *x, const char *src, const char *dst)
{
	struct ent	*names;
	size_t		 n;
	int		 rc;

	if (read_ents(src, &names, &n) != 0)
		return err_set("cannot read '%s': %s", src, strerror(errno));
	rc = merge(x, names, n, src, dst, 0, 2);
	ents_free(names, n);
	return rc;
}

/* Plan the entries names of the staged directory src into dst; at the
 * top of a key, phase picks the dist-info entries or the others. */
static int
merge(struct txn *x, const struct ent *names, size_t n, const char *src,
    const char *dst, int top, int phase)
{
	struct stat	 ss, ds;
	size_t		 i;
	int		 rc = 0;

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
			rc = merge_dir(x, s, t);
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
	return rc;
}

/* What one wheel staged: the entries of <dir>/<i> (the keys), each
 * with its own entries once read.  A key is read once for all its
 * phases; a key the listing lacks is never opened. */
struct staged {
	unsigned int	  i;
	struct ent	 *keys;
	size_t		  nkeys;
	struct ent	**top;
	size_t		 *ntop;
};

static void
staged_free(struct staged *w)
{
	size_t	k;

	if (w == NULL)
		return;
	for (k = 0; k < w->nkeys; k++)
		if (w->top[k] != NULL)
			ents_free(w->top[k], w->ntop[k]);
	ents_free(w->keys, w->nkeys);
	free(w->top);
	free(w->ntop);
	free(w);
}

/* List wheel i's staging directory, unless it is the one listed last.
 * Its entries, then itself, are what the commit leaves to sweep. */
static struct staged *
staged_wheel(struct txn *x, unsigned int i)
{
	struct staged	*w = x->staged;
	char		*p;
	size_t		 k;
	int		 rc;

	if (w != NULL && w->i == i)
		return w;
	staged_free(w);
	x->staged = NULL;
	w = xcalloc(1, sizeof(*w));
	w->i = i;
	p = xasprintf("%s/%u", x->dir, i);
	if ((rc = read_ents(p, &w->keys, &w->nkeys)) != 0 && errno != ENOENT) {
		err_set("cannot read '%s': %s", p, strerror(errno));
		free(p);
		free(w);
		return NULL;
	}
	free(p);
	if (rc == 0) {
		w->top = xcalloc(w->nkeys + 1, sizeof(*w->top));
		w->ntop = xcalloc(w->nkeys + 1, sizeof(*w->ntop));
		for (k = 0; k < w->nkeys; k++)
			strv_push_owned(&x->sweep, xasprintf("%u/%s", i,
			    w->keys[k].name));
		strv_push_owned(&x->sweep, xasprintf("%u", i));
	}
	x->staged = w;
	return w;
}

int
txn_install(struct txn *x, unsigned int i, const char *key, const char *dest,
    int phase)
{
	struct staged	*w;
	struct ent	 k, *e;
	char		*src;
	size_t		 ki;
	int		 rc;

	if ((w = staged_wheel(x, i)) == NULL)
		return -1;
	k.name = (char *)key;
	e = w->nkeys ? bsearch(&k, w->keys, w->nkeys, sizeof(*w->keys),
	    ent_cmp) : NULL;
	if (e == NULL)
		return 1;
	ki = (size_t)(e - w->keys);
	src = xasprintf("%s/%u/%s", x->dir, i, key);
	if (w->top[ki] == NULL &&
	    read_ents(src, &w->top[ki], &w->ntop[ki]) != 0) {
		rc = err_set("cannot read '%s': %s", src, strerror(errno));
		free(src);
		return rc;
	}
	rc = plan_mkdir_p(x, dest);
	if (rc == 0)
		rc = merge(x, w->top[ki], w->ntop[ki], src, dest, 1, phase);
	free(src);
	return rc;
}

void
txn_plan_free(struct txn *x)
{
	size_t	i;

	for (i = 0; i < x->nplan; i++) {
		free(x->plan[i].a);
		free(x->plan[i].b);
	}
	free(x->plan);
	free(x->dir_ok);
	staged_free(x->staged);
	x->staged = NULL;
	probed_free(x->probed);
	x->probed = NULL;
	tdestroy(x->overlay, ov_free);
	x->plan = NULL;
	x->nplan = x->capplan = 0;
	x->dir_ok = NULL;
	x->overlay = NULL;
}
