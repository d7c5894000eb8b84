/*
 * engine_split.c: which wheels of a run are split into parts, and what
 * the parts of one wheel share (its staging directory, its cache entry
 * being built, a descriptor per part, the memory the workers share).  It
 * decides from sizes alone, before the workers fork; it never opens a
 * wheel's archive (the parts do, in their sandboxed workers).
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine_int.h"
#include "fsutil.h"
#include "runner.h"
#include "util.h"

/*
 * Which wheels to split into parts, and into how many.
 * Measured on the site corpus repacked as one wheel (28,585 files, 71 MB):
 * it costs the same CPU as the same files in 94 wheels, so what a big
 * wheel loses is parallelism only, and its largest member is about 5% of
 * its time.  A wheel is split when it is more than one worker's fair share
 * of the run (size > total / jobs), since only then does it bound the run;
 * into as many parts as shares it holds, at most jobs, and each part at
 * least SPLIT_MIN bytes of wheel: every part reads the whole central
 * directory again (RECORD and a cache manifest are only scanned, the
 * lines of a part's own members parsed).
 * The parts take chunks of members from a shared counter (stage.h), so the
 * parent never opens a wheel and no cost model is needed; a single huge
 * member is one chunk's, never split.
 */
#define SPLIT_MIN	((uint64_t)4 * 1024 * 1024)
#define SPLIT_MAX	64

static unsigned int
split_count(uint64_t size, uint64_t total, unsigned int jobs)
{
	uint64_t	k;

	if (jobs < 2 || size * jobs <= total || size < 2 * SPLIT_MIN)
		return 1;
	k = (size * jobs + total - 1) / total;
	if (k > jobs)
		k = jobs;
	if (k > size / SPLIT_MIN)
		k = size / SPLIT_MIN;
	return k > SPLIT_MAX ? SPLIT_MAX : (unsigned int)k;
}

/* Before the workers fork: the staging directory the parts share, and the
 * cache entry they read (warm) or build together (cold). */
static int
split_prepare(struct run *r, unsigned int i)
{
	struct split	*s = &r->split[i];
	struct stat	 a, b;
	unsigned int	 k;
	char		*e, *mp;
	int		 warm;

	/* libzip seeks and reads a large wheel through a stream: parts
	 * sharing one open file would move each other's offset.  Each part
	 * gets its own open file of the very file the plan opened and
	 * hashed: opened through /proc/self/fd, never by its path, so a file
	 * renamed over the path meanwhile is not what the parts read.  Where
	 * /proc is not mounted, the path, checked to be the same file. */
	s->fds = xcalloc(s->nparts, sizeof(*s->fds));
	s->fds[0] = r->p->add[i].fd;
	for (k = 1; k < s->nparts; k++) {
		char	proc[64];

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s->fds[0]);
		s->fds[k] = open(proc, O_RDONLY | O_CLOEXEC);
		if (s->fds[k] < 0)
			s->fds[k] = open(r->p->add[i].path, O_RDONLY | O_CLOEXEC);
		if (s->fds[k] < 0)
			return err_set("cannot open: %s", strerror(errno));
		if (fstat(s->fds[k], &a) != 0 || fstat(s->fds[0], &b) != 0 ||
		    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
			return err_set("the file was replaced while it was installed");
	}
	s->dir = txn_stage_path(&r->x, i);
	if (mkdir(s->dir, 0777) != 0)
		return err_set("cannot create the staging directory '%s': %s", s->dir,
		    strerror(errno));
	if (r->cache_dir == NULL || !r->o->verify_record)
		return 0;
	if (cache_key_fd(r->p->add[i].fd, s->key, NULL) != 0)
		return -1;
	e = cache_entry(r->cache_dir, s->key);
	mp = path_join(e, "MANIFEST");
	warm = access(mp, F_OK) == 0;
	free(mp);
	free(e);
	if (!warm && (s->tmp = cache_tmp(r->cache_dir)) == NULL)
		return -1;
	return 0;
}

/* Before the workers fork, for a wheel to download and split: the
 * staging directory its parts share and, with a cache, the directory
 * they build its entry in should it be cold.  fetched() finds its key. */
static int
split_prepare_dl(struct run *r, unsigned int i)
{
	struct split	*s = &r->split[i];

	s->dir = txn_stage_path(&r->x, i);
	if (mkdir(s->dir, 0777) != 0)
		return err_set("cannot create the staging directory '%s': %s", s->dir,
		    strerror(errno));
	if (r->cache_dir != NULL && r->o->verify_record &&
	    (s->tmp = cache_tmp(r->cache_dir)) == NULL)
		return -1;
	return 0;
}

/* In the parent, a split wheel's download verified, through fd: the
 * file its parts must find, and its cache key (one pass, here, while
 * the workers unpack) and whether the entry exists. */
int
engine_split_delivered(struct run *r, size_t i, int fd, const struct stat *st)
{
	struct split_dl	*d = &r->sdl[i];
	char		*e, *mp;

	d->dev = st->st_dev;
	d->ino = st->st_ino;
	if (r->split[i].tmp == NULL)
		return 0;
	if (cache_key_fd(fd, d->key, NULL) != 0)
		return -1;
	e = cache_entry(r->cache_dir, d->key);
	mp = path_join(e, "MANIFEST");
	d->warm = access(mp, F_OK) == 0;
	free(mp);
	free(e);
	return 0;
}

/* The runner's items: the units, and their sizes. */
int
engine_split_plan(struct run *r, uint64_t **sizesp)
{
	const struct plan	*p = r->p;
	uint64_t		 total = 0, *sizes;
	unsigned int		 k, n;
	size_t			 i, u = 0, off;

	r->split = xcalloc(p->nadd ? p->nadd : 1, sizeof(*r->split));
	for (i = 0; i < p->nadd; i++)
		total += p->add[i].size;
	r->nunits = 0;
	/* A wheel downloaded after the fork is split by the size the plan
	 * expects (0 when unknown: whole); its parts start when it is whole
	 * and verified (fetched()). */
	for (i = 0; i < p->nadd; i++) {
		r->split[i].nparts = split_count(p->add[i].size, total, r->o->jobs);
		r->nunits += r->split[i].nparts;
	}
	r->units = xcalloc(r->nunits ? r->nunits : 1, sizeof(*r->units));
	r->uready = xcalloc(r->nunits ? r->nunits : 1, 1);
	r->wunit = xcalloc(p->nadd ? p->nadd : 1, sizeof(*r->wunit));
	*sizesp = sizes = xcalloc(r->nunits ? r->nunits : 1, sizeof(*sizes));
	/* The wheels' stage_shared, then their split_dl, aligned. */
	off = (p->nadd ? p->nadd : 1) * sizeof(*r->sh);
	off = (off + _Alignof(struct split_dl) - 1) &
	    ~(_Alignof(struct split_dl) - 1);
	r->shlen = off + (p->nadd ? p->nadd : 1) * sizeof(*r->sdl);
	r->sh = mmap(NULL, r->shlen, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (r->sh == MAP_FAILED) {
		r->sh = NULL;
		error_msg("cannot map shared memory: %s", strerror(errno));
		return -1;
	}
	r->sdl = (struct split_dl *)((char *)r->sh + off);
	for (i = 0; i < p->nadd; i++) {
		n = r->split[i].nparts;
		r->sh[i].left = n;
		if (n > 1 && p->add[i].path == NULL &&
		    split_prepare_dl(r, (unsigned int)i) != 0) {
			error_msg("%s: %s", p->add[i].base, err_get());
			return -1;
		}
		if (n > 1 && p->add[i].path != NULL &&
		    split_prepare(r, (unsigned int)i) != 0) {
			error_msg("%s: %s", p->add[i].base, err_get());
			return -1;
		}
		if (n > 1 && verbosity > 0)
			note_msg("%s: split into %u parts", p->add[i].base, n);
		r->wunit[i] = u;
		for (k = 0; k < n; k++, u++) {
			r->uready[u] = r->ready == NULL || r->ready[i];
			r->units[u].wheel = (unsigned int)i;
			r->units[u].part = k;
			if (n > 1)
				r->units[u].label = xasprintf("%s: part %u of %u",
				    p->add[i].base, k + 1, n);
			sizes[u] = p->add[i].size / n;
		}
	}
	return 0;
}

void
engine_split_free(struct run *r, int failed)
{
	size_t		i;
	unsigned int	k;

	for (i = 0; r->split && i < r->p->nadd; i++) {
		/* A warm download's parts never used theirs. */
		if (r->split[i].tmp != NULL && (failed || r->sdl[i].warm))
			rm_rf(r->split[i].tmp);
		free(r->split[i].tmp);
		free(r->split[i].dir);
		for (k = 1; r->split[i].fds && k < r->split[i].nparts; k++)
			if (r->split[i].fds[k] > 0)
				close(r->split[i].fds[k]);
		free(r->split[i].fds);
	}
	for (i = 0; r->units && i < r->nunits; i++)
		free(r->units[i].label);
	free(r->split);
	free(r->units);
	free(r->uready);
	free(r->wunit);
	if (r->sh != NULL)
		munmap(r->sh, r->shlen);
}
