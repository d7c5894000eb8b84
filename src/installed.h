/*
 * installed.h: the distributions installed in an environment, found by
 * scanning *.dist-info directories in purelib and platlib (name and
 * version come from the directory name), on demand the project's own
 * spelling of its name (METADATA's header) and its INSTALLER, and the
 * files an installed distribution owns according to its RECORD.
 */
#ifndef FORKLIFT_INSTALLED_H
#define FORKLIFT_INSTALLED_H

#include "util.h"

struct target;

struct dist {
	char	*name;		/* as spelled in the directory name */
	char	*norm;		/* normalized name */
	char	*version;
	char	*dir;		/* absolute path of the .dist-info directory */
	char	*installer;	/* INSTALLER contents (first line) or NULL; filled on demand */
	char	*meta_name;	/* METADATA's Name, else name; filled on demand */
};

struct distlist {
	struct dist	*v;
	size_t		 n;
};

int	 installed_scan(const struct target *, struct distlist *);
struct dist *installed_find(const struct distlist *, const char *norm);
void	 distlist_free(struct distlist *);

/* Fill x->meta_name with the Name field of the METADATA header (only the
 * header is read), or with x->name when METADATA is unreadable, has no
 * Name, or its Name is not a valid project name that normalizes to the
 * directory's; and x->installer with INSTALLER's first line (NULL when
 * absent or empty).  Never fails. */
void	 installed_describe(struct dist *);

/* The absolute paths a distribution's RECORD lists that lie inside the
 * environment's scheme directories, plus the __pycache__ bytecode of its
 * .py files; sorted.  A RECORD path that leaves them is skipped with a
 * warning.  -1 with err_set() when there is no RECORD. */
int	 installed_files(const struct target *, const struct dist *, struct strv *);

#endif
