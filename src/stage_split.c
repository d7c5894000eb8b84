/*
 * stage_split.c: one part of a wheel split into parts (engine_split.c
 * decides which).  Every part opens the wheel; the parts pull chunks of
 * members from a counter they share and unpack them (cold) or link them
 * from the cache entry (warm) into the one staging tree, each chunk's
 * manifest beside it; the part that finishes last merges the chunks'
 * manifests, publishes the cache entry and completes the wheel as a
 * whole wheel is completed.  It never touches the environment.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "fsutil.h"
#include "record.h"
#include "scripts.h"
#include "stage.h"
#include "stage_int.h"
#include "txn.h"
#include "unpack.h"
#include "util.h"

/* Where the parts leave the manifests of their chunks: the cache's tmp
 * directory they build together, else the staging directory (beside the
 * trees). */
static char *
chunk_manifest(const struct stage_split *sp, unsigned int c)
{
	char	*name = xasprintf("MANIFEST.%u", c), *p;

	p = path_join(sp->tmp ? sp->tmp : sp->dir, name);
	free(name);
	return p;
}

static int
open_entry_tree(const char *cache_dir, const char *key)
{
	char	*entry = cache_entry(cache_dir, key), *tree;
	int	 fd;

	tree = path_join(entry, "tree");
	fd = stage_open_tree(tree);
	free(tree);
	free(entry);
	return fd;
}

/* A changed entry cannot be rebuilt while other parts link from it: it
 * is discarded, and the wheel fails. */
static int
stale(const struct stage_opts *o, const struct stage_split *sp)
{
	char	*why = xstrdup(err_get());

	cache_discard(o->cache_dir, sp->key);
	err_set("the cache entry was changed (%s): it was removed; run forklift "
	    "again to rebuild it", why);
	free(why);
	return -1;
}

/* The entry's manifest a warm part read (scanned: the lines of its
 * chunks parsed), kept for the finisher should it be this worker. */
static struct manifest	warm_m;
static char		warm_key[33];

static int
warm_manifest(const struct stage_opts *o, const char *key, struct manifest *m)
{
	if (strcmp(warm_key, key) == 0) {
		*m = warm_m;
		memset(&warm_m, 0, sizeof(warm_m));
		warm_key[0] = '\0';
		return 0;
	}
	if (cache_scan(o->cache_dir, key, m) != 0)
		return err_set("the cache entry went away: %s", err_get());
	return 0;
}

/* Warm: link chunks of the entry's files while there are any. */
static int
part_warm(const char *path, int stage_fd, const struct stage_opts *o,
    const struct stage_split *sp)
{
	struct stage_links	 l;
	struct manifest		 m;
	size_t			 size, lo, hi;
	unsigned int		 n, c;
	int			 fd, rc = 0;

	if (warm_manifest(o, sp->key, &m) != 0)
		return -1;
	size = unpack_chunk(m.n, sp->nparts);
	n = unpack_nchunks(m.n, sp->nparts);
	if ((fd = open_entry_tree(o->cache_dir, sp->key)) < 0)
		rc = STALE;
	else
		stage_links_open(&l, fd, stage_fd);
	while (rc == 0 && (c = __atomic_fetch_add(&sp->sh->next, 1,
	    __ATOMIC_ACQ_REL)) < n) {
		lo = (size_t)c * size;
		hi = lo + size < m.n ? lo + size : m.n;
		rc = manifest_fill(&m, lo, hi) != 0 ? STALE :
		    stage_link_range(path, &l, &m, lo, hi, 0, o);
	}
	if (fd >= 0) {
		stage_links_close(&l);
		close(fd);
	}
	manifest_free(&warm_m);
	warm_m = m;
	snprintf(warm_key, sizeof(warm_key), "%s", sp->key);
	return rc == STALE ? stale(o, sp) : rc;
}

struct chunk_ctx {
	const char		*path;
	const struct stage_split *sp;
	const struct stage_opts	*o;
	int			 tree_fd;	/* cold: the tree in tmp/ */
	struct stage_links	 links;		/* cold, cached: tree_fd's and staging's */
};

/* A chunk is unpacked: its manifest for the finisher, and (cold) its
 * files linked into staging. */
static int
chunk_done(void *arg, unsigned int c, struct manifest *m)
{
	struct chunk_ctx	*x = arg;
	char			*mp = chunk_manifest(x->sp, c);
	size_t			 i;
	int			 rc;

	rc = manifest_write(m, mp);
	free(mp);
	/* STALE cannot happen: the tree is ours, and its files are unchecked. */
	if (rc == 0 && x->sp->tmp != NULL &&
	    stage_link_range(x->path, &x->links, m, 0, m->n, FIN_OWN, x->o) != 0)
		rc = -1;
	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	m->n = 0;
	strv_free(&m->warnings);
	return rc;
}

int
stage_part(const char *path, int stage_fd, const struct stage_opts *o,
    const struct stage_split *sp, struct stage_stats *st)
{
	struct unpack_opts	 uo = o->unpack;
	struct chunk_ctx	 x;
	struct manifest		 m;
	char			*tree;
	int			 rc;

	memset(st, 0, sizeof(*st));
	/* Part 0 hashes the whole wheel first, when its sha256 is wanted (a
	 * cache entry is trusted only for the bytes it was built from, as a
	 * whole wheel's); the others take more chunks meanwhile. */
	if (sp->part == 0 && (sp->key != NULL || o->direct_url) &&
	    (o->unpack.use_fd ? cache_key_fd(o->unpack.wheel_fd, NULL,
	    sp->sh->sha256) : cache_key(path, NULL, sp->sh->sha256)) != 0)
		return -1;
	if (sp->key != NULL && sp->tmp == NULL)
		return part_warm(path, stage_fd, o, sp);
	memset(&m, 0, sizeof(m));
	memset(&x, 0, sizeof(x));
	x.path = path;
	x.sp = sp;
	x.o = o;
	x.tree_fd = stage_fd;
	uo.next = &sp->sh->next;
	uo.nchunks = &sp->sh->nchunks;
	uo.nparts = sp->nparts;
	uo.part = sp->part;
	uo.chunk_done = chunk_done;
	uo.chunk_arg = &x;
	if (sp->tmp != NULL) {
		uo.want_mtime = 1;
		tree = path_join(sp->tmp, "tree");
		x.tree_fd = stage_open_tree(tree);
		free(tree);
		if (x.tree_fd < 0)
			return -1;
		stage_links_open(&x.links, x.tree_fd, stage_fd);
		stage_capture_begin(&m);
	}
	rc = unpack_extract(path, x.tree_fd, &uo, &m);
	if (sp->tmp != NULL) {
		stage_capture_end();
		stage_links_close(&x.links);
		close(x.tree_fd);
	}
	manifest_free(&m);
	return rc;
}

/* Join the chunks' manifests, in member order, removing them. */
static int
merge_chunks(const struct stage_split *sp, struct manifest *m)
{
	unsigned int	  c, n = sp->sh->nchunks;
	char		**mp = xreallocarray(NULL, n ? n : 1, sizeof(*mp));
	int		  rc;

	for (c = 0; c < n; c++)
		mp[c] = chunk_manifest(sp, c);
	rc = manifest_read_all(mp, n, m);
	for (c = 0; c < n; c++) {
		unlink(mp[c]);
		free(mp[c]);
	}
	free(mp);
	if (rc == 0)
		memcpy(m->wheel_sha256, sp->sh->sha256, sizeof(m->wheel_sha256));
	return rc;
}

int
stage_part_finish(const char *path, int stage_fd, const struct stage_opts *o,
    const struct stage_split *sp, struct stage_stats *st)
{
	struct manifest	 m;
	size_t		 i;
	char		*mp;
	int		 fd, rc;

	memset(st, 0, sizeof(*st));
	if (sp->key == NULL) {
		if (merge_chunks(sp, &m) != 0)
			rc = -1;
		else
			rc = stage_finish(path, stage_fd, stage_fd, FIN_PLACED, &m, o, st);
		manifest_free(&m);
		return rc;
	}
	if (sp->tmp == NULL) {
		if (warm_manifest(o, sp->key, &m) != 0)
			return -1;
		/* The other parts' lines too, now. */
		if (manifest_fill(&m, 0, m.n) != 0) {
			manifest_free(&m);
			return stale(o, sp);
		}
		manifest_done(&m);
		if (strcmp(m.wheel_sha256, sp->sh->sha256) != 0) {
			/* Same XXH3 key, other bytes: the parts linked from it
			 * already, so the wheel fails rather than rebuild. */
			err_set("the cache entry %s was built from other bytes "
			    "(sha256 %.12s...): it was removed; run forklift again "
			    "to rebuild it", sp->key, m.wheel_sha256[0] ?
			    m.wheel_sha256 : "unknown");
			manifest_free(&m);
			cache_discard(o->cache_dir, sp->key);
			return -1;
		}
		for (i = 0; i < m.warnings.n; i++)
			warn_msg("%s", m.warnings.v[i]);
		st->cached = 1;
	} else {
		/* Cold: every part is in the tree; publish it whole. */
		if (merge_chunks(sp, &m) != 0) {
			manifest_free(&m);
			return -1;
		}
		mp = path_join(sp->tmp, "MANIFEST");
		rc = manifest_write(&m, mp);
		free(mp);
		/* Durable before it is published, as a whole wheel's entry. */
		if (rc == 0 && !o->nosync && txn_flush(sp->tmp, 1) != 0)
			rc = -1;
		if (rc == 0)
			rc = cache_publish(o->cache_dir, sp->tmp, sp->key);
		if (rc != 0) {
			manifest_free(&m);
			return -1;
		}
	}
	if ((fd = open_entry_tree(o->cache_dir, sp->key)) < 0)
		rc = STALE;
	else {
		rc = stage_finish(path, fd, stage_fd, FIN_PLACED, &m, o, st);
		close(fd);
	}
	manifest_free(&m);
	if (rc == STALE)
		return stale(o, sp);
	if (rc == 0)
		cache_touch(o->cache_dir, sp->key);
	return rc;
}
