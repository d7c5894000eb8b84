/*
 * resolve.h: between the requirements and the plan: for every pin the
 * environment does not satisfy and no local file answers, find the wheel
 * to download (a URL, its file name, its sha256 and size) on the
 * --find-links pages or the indexes, or find it already downloaded in the
 * archive cache.  Direct references get their expected sha256 checked
 * against their --hash here.  A lock file's wheel without a url is found
 * by its file name on its package's index; one with a url keeps it, and
 * the engine asks the index (resolve_lock_page()) only when the download
 * answers 404 or 410 or cannot be reached.  Nothing is downloaded here.
 */
#ifndef FORKLIFT_RESOLVE_H
#define FORKLIFT_RESOLVE_H

struct fetch_opts;
struct fetch_result;
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

/* A lock file wheel looked for on its package's index. */
struct resolve_lock {
	const char	*name;
	const char	*version;
	const char	*filename;	/* the file looked for */
	const char	*index;		/* the index's base URL */
	const char	*sha256;	/* the lock file's, or NULL */
	const char	*where;		/* "FILE:LINE" of the lock file entry */
	const char	*tried;		/* "<url>: why" when its url failed, or
					 * NULL (no url) */
};

/* The project page page_url (asked with fetch_add_page()) arrived as
 * res: the URL of lk's file on it (with the page's credentials), its
 * sha256 there checked against lk's when both are known; a yanked file
 * warns.  The URL (to free), or NULL with err_set() naming the package,
 * the file, the url tried and the index. */
char	*resolve_lock_page(const struct resolve_lock *lk, const char *page_url,
	    const struct fetch_result *res);

/* Whether a lock file wheel's failed download (res) sends it to its
 * index: 404 or 410, or no answer after the retries (fetch_opts'). */
int	 resolve_lock_gone(const struct fetch_result *res, int retries);

#endif
