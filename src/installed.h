/*
 * installed.h: the distributions installed in an environment, found by
 * scanning *.dist-info directories in purelib and platlib (name and
 * version come from the directory name; METADATA is not read), and the
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
};

struct distlist {
	struct dist	*v;
	size_t		 n;
};

int	 installed_scan(const struct target *, struct distlist *);
struct dist *installed_find(const struct distlist *, const char *norm);
void	 distlist_free(struct distlist *);

/* The absolute paths a distribution's RECORD lists that lie inside the
 * environment's scheme directories, plus the __pycache__ bytecode of its
 * .py files; sorted.  A RECORD path that leaves them is skipped with a
 * warning.  -1 with err_set() when there is no RECORD. */
int	 installed_files(const struct target *, const struct dist *, struct strv *);

#endif
