/*
 * cache_admin.c: looking after the cache as a whole, for 'forklift cache
 * info', 'clean' and 'prune': the unpacked wheels (cache.c), the
 * downloaded archives and the index pages (cache_archive.c), and the
 * temporary directories both leave behind.  One walker visits the
 * entries of a cache directory for all of them.
 *
 * It never deletes an entry directory in place: it goes through tmp/
 * first (cache_discard_path()), so a reader sees it whole or not at all,
 * and clean renames the whole v1/ away before deleting it.  It never
 * reads what an entry holds beyond its manifest.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "cache_admin.h"
#include "fsutil.h"
#include "sig.h"
#include "util.h"

/* Called for each entry of a directory: its path and its name. */
typedef void (*visit_fn)(void *arg, const char *path, const char *name);

static int
list_dir(const char *dir, struct strv *out)
{
	struct dirent	*e;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : err_set("cannot read '%s': %s", dir,
		    strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			strv_push(out, e->d_name);
	closedir(d);
	return 0;
}

/* Call visit for each entry of dir (names starting with '.' are passed
 * over), listed first, so visit may remove them; stop early once *stop is
 * set (stop may be NULL).  0, also when dir does not exist, or -1 with
 * err_set() when it cannot be read. */
static int
walk_dir(const char *dir, visit_fn visit, void *arg, volatile sig_atomic_t *stop)
{
	struct strv	 names = STRV_INIT;
	size_t		 i;
	int		 rc;

	rc = list_dir(dir, &names);
	for (i = 0; i < names.n && (stop == NULL || !*stop); i++) {
		char	*p = path_join(dir, names.v[i]);

		visit(arg, p, names.v[i]);
		free(p);
	}
	strv_free(&names);
	return rc;
}

/* walk_dir() over <cache>/v1/<sub>. */
static int
walk_cache(const char *cache_dir, const char *sub, visit_fn visit, void *arg,
    volatile sig_atomic_t *stop)
{
	char	*dir = xasprintf("%s/v1/%s", cache_dir, sub);
	int	 rc;

	rc = walk_dir(dir, visit, arg, stop);
	free(dir);
	return rc;
}

struct fan {
	visit_fn	 visit;
	void		*arg;
	int		 tidy;		/* remove fan directories left empty */
};

static void
visit_fan(void *arg, const char *f, const char *name)
{
	struct fan	*fan = arg;

	(void)name;
	walk_dir(f, fan->visit, fan->arg, NULL);	/* unreadable: passed over */
	if (fan->tidy)
		rmdir(f);	/* only when empty */
}

/* Visit each archive's directory, archives/<sha256[0:2]>/<sha256>.  0, or
 * -1 when archives/ cannot be read. */
static int
walk_archives(const char *cache_dir, visit_fn visit, void *arg, int tidy)
{
	struct fan	fan = { visit, arg, tidy };

	return walk_cache(cache_dir, "archives", visit_fan, &fan, NULL);
}

static void
note_oldest(long long *oldest, const struct stat *st)
{
	if (*oldest == 0 || st->st_mtime < *oldest)
		*oldest = st->st_mtime;
}

/* A regular file (links followed), and its stat. */
static int
is_file(const char *path, struct stat *st)
{
	return stat(path, st) == 0 && S_ISREG(st->st_mode);
}

static void
count_one(void *arg, const char *path, const char *name)
{
	(void)path;
	(void)name;
	(*(unsigned long *)arg)++;
}

static void
info_entry(void *arg, const char *e, const char *name)
{
	struct cache_info	*ci = arg;
	struct manifest		 m;
	struct stat		 st;
	size_t			 j;
	char			*mp = path_join(e, "MANIFEST");

	(void)name;
	if (stat(e, &st) == 0 && manifest_read(mp, &m) == 0) {
		ci->entries++;
		for (j = 0; j < m.n; j++)
			ci->bytes += m.v[j].size;
		note_oldest(&ci->oldest, &st);
		manifest_free(&m);
	}
	free(mp);
}

int
cache_info(const char *cache_dir, struct cache_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	if (walk_cache(cache_dir, "wheels", info_entry, ci, NULL) != 0)
		return -1;
	walk_cache(cache_dir, "tmp", count_one, &ci->tmp, NULL);
	return 0;
}

int
cache_clean(const char *cache_dir)
{
	char	*v1 = path_join(cache_dir, "v1"), *t;
	int	 rc;

	/* Rename first, so concurrent readers see whole entries or none. */
	t = xasprintf("%s.removing-%ld", v1, (long)getpid());
	if (rename(v1, t) != 0) {
		rc = errno == ENOENT ? 0 : err_set("cannot remove '%s': %s", v1,
		    strerror(errno));
		free(t);
		free(v1);
		return rc;
	}
	rc = rm_rf_until(t, &sig_stop);
	free(t);
	free(v1);
	return rc;
}

struct prune {
	const char	*cache_dir;
	time_t		 now;
	double		 days;
	unsigned long	*removed;
	int		 rc;		/* -1 once something could not be removed */
};

static void
prune_init(struct prune *p, const char *cache_dir, double days,
    unsigned long *removed)
{
	p->cache_dir = cache_dir;
	p->now = time(NULL);
	p->days = days;
	p->removed = removed;
	p->rc = 0;
	*removed = 0;
}

/* Last used (its mtime) longer ago than the days asked for. */
static int
unused(const struct prune *p, const struct stat *st)
{
	return (double)(p->now - st->st_mtime) > p->days * 86400.0;
}

/* An unpacked wheel's or an archive's directory. */
static void
prune_entry(void *arg, const char *e, const char *name)
{
	struct prune	*p = arg;
	struct stat	 st;

	(void)name;
	if (stat(e, &st) == 0 && unused(p, &st)) {
		if (cache_discard_path(p->cache_dir, e) == 0)
			(*p->removed)++;
		else
			p->rc = -1;
	}
}

/* A temporary directory: older than an hour, its builder is gone. */
static void
prune_tmp(void *arg, const char *t, const char *name)
{
	struct prune	*p = arg;
	struct stat	 st;

	(void)name;
	if (lstat(t, &st) == 0 && p->now - st.st_mtime > 3600)
		rm_rf(t);
}

static void
prune_page(void *arg, const char *path, const char *name)
{
	struct prune	*p = arg;
	struct stat	 st;

	(void)name;
	if (lstat(path, &st) == 0 && unused(p, &st)) {
		if (unlink(path) == 0)
			(*p->removed)++;
		else if (errno != ENOENT)
			p->rc = err_set("cannot remove '%s': %s", path, strerror(errno));
	}
}

int
cache_prune(const char *cache_dir, double days, unsigned long *removed)
{
	struct prune	p;

	prune_init(&p, cache_dir, days, removed);
	if (walk_cache(cache_dir, "wheels", prune_entry, &p, &sig_stop) != 0)
		p.rc = -1;
	walk_cache(cache_dir, "tmp", prune_tmp, &p, &sig_stop);
	if (sig_stop)
		return err_set("stopped by a signal");
	return p.rc;
}

/* What a walk over files adds up. */
struct tally {
	unsigned long	*files;
	uint64_t	*bytes;
	long long	*oldest;	/* the files' last use; NULL: not theirs */
};

static void
tally_file(void *arg, const char *path, const char *name)
{
	struct tally	*t = arg;
	struct stat	 st;

	(void)name;
	if (is_file(path, &st)) {
		(*t->files)++;
		*t->bytes += (uint64_t)st.st_size;
		if (t->oldest)
			note_oldest(t->oldest, &st);
	}
}

/* An archive's directory: its mtime is the archive's last use. */
static void
info_archive(void *arg, const char *e, const char *name)
{
	struct cache_fetch_info	*fi = arg;
	struct tally		 t = { &fi->archives, &fi->archive_bytes, NULL };
	struct stat		 st;

	(void)name;
	if (stat(e, &st) == 0)
		note_oldest(&fi->oldest, &st);
	walk_dir(e, tally_file, &t, NULL);
}

int
cache_fetch_info(const char *cache_dir, struct cache_fetch_info *fi)
{
	struct tally	pages = { &fi->pages, &fi->page_bytes, &fi->oldest };

	memset(fi, 0, sizeof(*fi));
	if (walk_archives(cache_dir, info_archive, fi, 0) != 0)
		return -1;
	walk_cache(cache_dir, "pages", tally_file, &pages, NULL);
	return 0;
}

int
cache_fetch_prune(const char *cache_dir, double days, unsigned long *removed)
{
	struct prune	p;

	prune_init(&p, cache_dir, days, removed);
	if (walk_archives(cache_dir, prune_entry, &p, 1) != 0)
		p.rc = -1;
	walk_cache(cache_dir, "pages", prune_page, &p, NULL);
	return p.rc;
}
