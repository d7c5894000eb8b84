/*
 * plan.h: what one invocation will do to an environment: the wheels to
 * add (each possibly replacing an installed version), the distributions
 * to remove, and what is already as asked.  Built and checked completely
 * before any worker starts: bad filenames, incompatible tags and two
 * wheels of one distribution are refused here.
 */
#ifndef FORKLIFT_PLAN_H
#define FORKLIFT_PLAN_H

#include <sys/stat.h>
#include <stdint.h>

#include "installed.h"
#include "tags.h"

struct target;

struct plan_wheel {
	char		*path;
	const char	*base;		/* points into path */
	struct wheel_name fn;
	uint64_t	 size;		/* file size, for partitioning */
	int		 fd;		/* the wheel, opened once here (a download:
					   by the engine): hashed and installed
					   through this descriptor; -1 until then */
	struct dist	*old;		/* installed version it replaces, or NULL */
	int		 requested;	/* named by the user: REQUESTED */
	int		 direct_url;	/* given as a file or URL: direct_url.json */
	/* A wheel to download (path NULL until the engine fetched it). */
	char		*url;		/* may hold user:password@; or NULL */
	char		*filename;	/* its file name: base points here until
					 * path is set */
	char		*sha256;	/* the digest it must have, or NULL */
	struct strv	 check;		/* lock files: every hash the download
					 * must have too (lockfile_verify) */
	char		*index;		/* lock files: the package's index, asked
					 * when url fails (resolve_lock_gone); or
					 * NULL */
	char		*lock_at;	/* then: "FILE:LINE" of its entry */
	/* Filled by the engine's download step, for reports. */
	uint64_t	 bytes;		/* downloaded (or found in the cache) */
	int		 from_cache;	/* no request was needed */
};

struct plan {
	struct plan_wheel *add;
	size_t		 nadd;
	struct dist	**remove;	/* removed without a replacement */
	size_t		 nremove;
	struct strv	 unchanged;	/* "six 1.17.0" already installed */
	struct distlist	 installed;
};

/* Open a wheel once, for good: the parent hashes it through this
 * descriptor and the workers unpack it through the same one, so a file
 * swapped in under its name later is never read.  The descriptor (close
 * on exec), -1 with errno set, or -2 when it is not a regular file (st:
 * its status). */
int	 plan_open_wheel(const char *path, struct stat *st);

/* Plan installing the wheel files in paths.  Prints every problem found
 * (each naming its wheel) and returns -1 if there was any. */
int	 plan_install(struct plan *, const struct target *, char *const *paths,
	    size_t n, int reinstall);
/* Plan removing the installed distributions named (any spelling of each
 * name).  An unknown name is an error unless missing_ok (then a note); a
 * distribution without RECORD is refused.  Prints every problem and
 * returns -1 if there was any. */
int	 plan_uninstall(struct plan *, const struct target *, char *const *names,
	    size_t n, int missing_ok);

struct reqs;

/* The wheel files of the --find-links directories, known by name only. */
struct wheelhouse_entry {
	char			*path;
	struct wheel_name	 fn;
};

struct wheelhouse {
	struct wheelhouse_entry	*v;
	size_t			 n;
	const struct strv	*dirs;
};

/* List the *.whl files of the directories; no wheel is opened, and files
 * whose names are not wheel filenames are skipped.  -1 with err_set() if a
 * directory cannot be read. */
int	 wheelhouse_scan(struct wheelhouse *, const struct strv *dirs);
/* The wheel for name==version: among the files whose normalized name
 * matches and whose version equals the pin (PEP 440), the compatible one
 * with the best tag priority, then the highest build tag.  NULL with
 * err_set() naming every wheel of that name found and why it was not
 * taken. */
const struct wheelhouse_entry *wheelhouse_choose(const struct wheelhouse *,
	    const struct taglist *, const char *tag_str, const char *norm,
	    const char *version);
void	 wheelhouse_free(struct wheelhouse *);

struct sync_opts {
	int	 reinstall;	/* replace what is installed at the pin too */
	int	 remove;	/* remove what the requirements do not list */
	int	 exact;		/* then remove pip, setuptools and wheel too */
};

/* Plan making the environment match the requirements: install what is
 * missing, replace what differs, with remove set remove what is not
 * listed (pip, setuptools and wheel stay unless exact).  A satisfied pin
 * opens no file.  In hash-checking mode every wheel to install is hashed
 * and compared here.  Prints every problem; -1 if there was any. */
int	 plan_sync(struct plan *, const struct target *, const struct reqs *,
	    const struct sync_opts *);
void	 plan_free(struct plan *);

#endif
