/*
 * dirtab.c: the open directories of one tree, for unpacking a wheel into
 * it or linking its files into another tree.
 *
 * Every directory the table has made or opened is an entry, keyed by its
 * path under the tree's root and kept until the table is freed: such a
 * directory exists, so mkdirat is never asked for it again.  At most max
 * entries hold a descriptor; opening one more closes the least recently
 * used.  A directory without a descriptor is opened from its deepest
 * ancestor that has one (the root at worst), one component at a time with
 * O_NOFOLLOW, and each component opened on the way becomes an entry:
 * nothing outside the tree is reached through a symlink planted where a
 * directory is expected, and members visiting directories round-robin
 * cost one lookup each, not a walk from the root.
 *
 * It never closes the root, never follows a symlink, and holds no
 * descriptor it cannot close: every one it opens is in the table at once,
 * so an error leaks nothing.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirtab.h"
#include "util.h"

struct dent {
	char		*path;		/* under the root, no trailing '/' */
	size_t		 len;
	uint32_t	 hash;
	int		 fd;		/* -1: not open (but it exists) */
	unsigned long	 used;		/* when last used, for eviction */
};

struct dirtab {
	int		 root;
	int		 create;
	struct dent	*v;		/* every directory made or opened */
	size_t		 n, cap;
	size_t		*slot;		/* hash slots: index into v + 1; 0 free */
	size_t		 nslot;		/* a power of two */
	size_t		*open;		/* indices of the entries with a descriptor */
	size_t		 nopen, max;
	unsigned long	 clock;
	char		*scratch;	/* the path being opened, NUL-split */
	size_t		 scratchcap;
};

/* The entry of path p (len bytes), or -1. */
static long
find(const struct dirtab *t, const char *p, size_t len)
{
	uint32_t	h = str_hash(p, len);
	size_t		i, k;

	if (t->nslot == 0)
		return -1;
	for (i = h & (t->nslot - 1); (k = t->slot[i]) != 0; i = (i + 1) & (t->nslot - 1)) {
		const struct dent	*e = &t->v[k - 1];

		if (e->hash == h && e->len == len && memcmp(e->path, p, len) == 0)
			return (long)(k - 1);
	}
	return -1;
}

static void
rehash(struct dirtab *t)
{
	size_t	i, j;

	t->nslot = t->nslot ? 2 * t->nslot : 64;
	free(t->slot);
	t->slot = xcalloc(t->nslot, sizeof(*t->slot));
	for (i = 0; i < t->n; i++) {
		for (j = t->v[i].hash & (t->nslot - 1); t->slot[j] != 0;
		    j = (j + 1) & (t->nslot - 1))
			;
		t->slot[j] = i + 1;
	}
}

/* A new entry, without a descriptor, for path p (len bytes). */
static size_t
add(struct dirtab *t, const char *p, size_t len)
{
	struct dent	*e;
	size_t		 j;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 32;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	e = &t->v[t->n++];
	e->path = xstrndup(p, len);
	e->len = len;
	e->hash = str_hash(p, len);
	e->fd = -1;
	e->used = 0;
	if (2 * t->n > t->nslot)
		rehash(t);
	else {
		for (j = e->hash & (t->nslot - 1); t->slot[j] != 0;
		    j = (j + 1) & (t->nslot - 1))
			;
		t->slot[j] = t->n;
	}
	return t->n - 1;
}

/* Close the least recently used descriptor but keep's (the parent just
 * used); 0 when there is none. */
static int
evict(struct dirtab *t, long keep)
{
	size_t	i, lru = t->nopen;

	for (i = 0; i < t->nopen; i++)
		if ((long)t->open[i] != keep && (lru == t->nopen ||
		    t->v[t->open[i]].used < t->v[t->open[lru]].used))
			lru = i;
	if (lru == t->nopen)
		return 0;
	close(t->v[t->open[lru]].fd);
	t->v[t->open[lru]].fd = -1;
	t->open[lru] = t->open[--t->nopen];
	return 1;
}

/* Give entry k the descriptor fd, closing the least recently used one
 * when max are open. */
static void
hold(struct dirtab *t, size_t k, int fd, long keep)
{
	if (t->nopen == t->max)
		(void)evict(t, keep);
	t->v[k].fd = fd;
	t->v[k].used = ++t->clock;
	t->open[t->nopen++] = k;
}

struct dirtab *
dirtab_new(int root, int create, size_t max)
{
	struct dirtab	*t = xcalloc(1, sizeof(*t));
	struct rlimit	 rl;

	if (max == 0) {
		/* An eighth of the process's descriptors at most: a worker
		 * holds a few tables, and its files besides. */
		max = DIRTAB_MAX;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur / 8 < max)
			max = (size_t)rl.rlim_cur / 8;
	}
	t->root = root;
	t->create = create;
	t->max = max < 2 ? 2 : max;
	t->open = xreallocarray(NULL, t->max, sizeof(*t->open));
	return t;
}

void
dirtab_free(struct dirtab *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nopen; i++)
		close(t->v[t->open[i]].fd);
	for (i = 0; i < t->n; i++)
		free(t->v[i].path);
	free(t->v);
	free(t->slot);
	free(t->open);
	free(t->scratch);
	free(t);
}

/* Out of descriptors: close half of ours (never keep's) and hold no
 * more than that from then on, leaving some for the files written.  0
 * when there is nothing to close. */
static int
shrink(struct dirtab *t, long keep)
{
	size_t	want = t->nopen / 2;

	if (!evict(t, keep))
		return 0;
	while (t->nopen > want && evict(t, keep))
		;
	t->max = want < 2 ? 2 : want;
	return 1;
}

/* Open directory comp under pfd. */
static int
open_dir(struct dirtab *t, int pfd, const char *comp, long keep)
{
	int	fd;

	while ((fd = openat(pfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0 && (errno == EMFILE || errno == ENFILE) &&
	    shrink(t, keep))
		;
	return fd;
}

/* Make directory comp of dir under pfd; one there already will do. */
static int
make_dir(int pfd, const char *comp, const char *dir, size_t len)
{
	if (mkdirat(pfd, comp, 0777) != 0 && errno != EEXIST)
		return err_set("cannot create directory '%.*s': %s", (int)len, dir,
		    strerror(errno));
	return 0;
}

/* Open component comp (NUL-terminated) of dir under parent (keep's
 * descriptor, or the root), making it unless known to exist. */
static int
open_comp(struct dirtab *t, long keep, const char *comp, int known,
    const char *dir, size_t len)
{
	int	pfd = keep >= 0 ? t->v[keep].fd : t->root, fd;

	if (t->create && !known && make_dir(pfd, comp, dir, len) != 0)
		return -1;
	fd = open_dir(t, pfd, comp, keep);
	/* Removed since it was made: make it again. */
	if (fd < 0 && errno == ENOENT && t->create && known) {
		if (make_dir(pfd, comp, dir, len) != 0)
			return -1;
		fd = open_dir(t, pfd, comp, keep);
	}
	if (fd >= 0)
		return fd;
	if (errno == ENOTDIR || errno == ELOOP)
		return err_set("'%s' is both a file and a directory in '%.*s'", comp,
		    (int)len, dir);
	return err_set("cannot open directory '%s' in '%.*s': %s", comp, (int)len,
	    dir, strerror(errno));
}

int
dirtab_open(struct dirtab *t, const char *dir, size_t len)
{
	const char	*slash;
	size_t		 at, end;
	long		 k, parent = -1;
	int		 fd;

	if (len == 0)
		return t->root;
	if ((k = find(t, dir, len)) >= 0 && t->v[k].fd >= 0) {
		t->v[k].used = ++t->clock;
		return t->v[k].fd;
	}
	/* The deepest ancestor holding a descriptor, else the root. */
	for (at = len; at > 0; at = (size_t)(slash - dir)) {
		if ((slash = memrchr(dir, '/', at)) == NULL) {
			at = 0;
			break;
		}
		if ((k = find(t, dir, (size_t)(slash - dir))) >= 0 && t->v[k].fd >= 0) {
			parent = k;
			at = (size_t)(slash - dir) + 1;
			break;
		}
	}
	if (t->scratchcap < len + 1) {
		t->scratchcap = len + 1;
		t->scratch = xrealloc(t->scratch, t->scratchcap);
	}
	memcpy(t->scratch, dir, len);
	t->scratch[len] = '\0';
	for (; at < len; at = end + 1) {
		slash = memchr(dir + at, '/', len - at);
		end = slash ? (size_t)(slash - dir) : len;
		k = find(t, dir, end);
		if (parent >= 0)
			t->v[parent].used = ++t->clock;
		t->scratch[end] = '\0';
		fd = open_comp(t, parent, t->scratch + at, k >= 0, dir, len);
		t->scratch[end] = '/';
		if (fd < 0)
			return -1;
		if (k < 0)
			k = (long)add(t, dir, end);
		hold(t, (size_t)k, fd, parent);
		parent = k;
	}
	return t->v[parent].fd;
}

int
dirtab_parent(struct dirtab *t, const char *rel)
{
	const char	*slash = strrchr(rel, '/');

	return dirtab_open(t, rel, slash ? (size_t)(slash - rel) : 0);
}

size_t
dirtab_nopen(const struct dirtab *t)
{
	return t->nopen;
}
