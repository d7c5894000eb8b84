/*
 * dirtab.h: open directories of one tree, by tree-relative path.  A
 * bounded number of descriptors stay open (the least recently used is
 * closed first); every directory made or opened is remembered, so none
 * is made twice, and a directory is opened from its deepest open
 * ancestor, one O_NOFOLLOW component at a time.
 */
#ifndef FORKLIFT_DIRTAB_H
#define FORKLIFT_DIRTAB_H

#include <stddef.h>

/* Descriptors a table keeps open by default (workers have 256 in all). */
#define DIRTAB_MAX	48

struct dirtab;

/* A table for the tree at root (never closed by the table); create:
 * missing directories are made (mkdirat, EEXIST being no error); max:
 * descriptors kept open, 0 for DIRTAB_MAX, at least 2. */
struct dirtab *dirtab_new(int root, int create, size_t max);
/* Close every descriptor the table opened and free it (NULL: nothing). */
void	 dirtab_free(struct dirtab *);
/* The descriptor of directory dir (its first len bytes: "purelib/pkg";
 * len 0: the root), valid until the table's next call; -1 with err_set()
 * naming dir when it cannot be made or opened (a file or a symlink
 * where a directory is expected is refused). */
int	 dirtab_open(struct dirtab *, const char *dir, size_t len);
/* The same for the directory holding the file rel ("a/b/x.py": "a/b"). */
int	 dirtab_parent(struct dirtab *, const char *rel);
/* Descriptors the table holds open now. */
size_t	 dirtab_nopen(const struct dirtab *);

#endif
