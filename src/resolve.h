/*
 * resolve.h: between the requirements and the plan: for every pin the
 * environment does not satisfy and no local file answers, find the wheel
 * to download (a URL, its file name, its sha256 and size) on the
 * --find-links pages or the indexes, or find it already downloaded in the
 * archive cache.  Direct references get their expected sha256 checked
 * against their --hash here.  A lock file's wheel is found by its file
 * name on its package's index when it has no url, or when its url, tried
 * ahead into the archive cache, answers 404 or 410 or cannot be reached;
 * that is the only download made here: the engine does the others.
 */
#ifndef FORKLIFT_RESOLVE_H
#define FORKLIFT_RESOLVE_H

struct fetch_opts;
struct index_file;
struct index_page;
struct reqs;
struct strv;
struct target;

struct resolve_opts {
	const char	*index_url;	/* NULL: no index (--no-index) */
	const struct strv *extra_index;	/* consulted in order when the ones
					 * before 404 the project; or NULL */
	const char	*cache_dir;	/* the archive cache, or NULL */
	int		 offline;	/* no page is fetched at all */
	int		 reinstall;	/* installed pins are not satisfied */
};

/* Resolve rq's pins in place (req.url, filename, sha256, size; or found
 * and from_cache; a lock file pin with an index: req.url and direct).  A
 * pin already installed, or that names or finds a local file, is left
 * alone; with nothing left to look up no fetch context is made and
 * nothing is asked of the network.  The pages needed are fetched
 * together through one fetch context, freed before returning.  Prints
 * every problem, each naming the project, the version and the URL
 * (without password).  0, -1, or FETCH_STOPPED (Ctrl-C). */
int	 resolve_reqs(struct reqs *rq, const struct target *t,
	    const struct fetch_opts *, const struct resolve_opts *);

/* The file called filename (a lock file wheel's name) on a project
 * page, preferring one that is not yanked (*yanked set when it is); or
 * NULL. */
const struct index_file *resolve_file_named(const struct index_page *,
	    const char *filename, int *yanked);

#endif
