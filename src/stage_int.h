/*
 * stage_int.h: what stage.c and stage_split.c (the parts of a split
 * wheel) share.  Not an interface: nothing but the stage files include it.
 */
#ifndef FORKLIFT_STAGE_INT_H
#define FORKLIFT_STAGE_INT_H

#include "cache.h"
#include "stage.h"

/* A cached tree no longer matches its manifest: rebuild it. */
#define STALE		(-2)

/* What the tree at src_fd is, for stage_finish and stage_link_range. */
#define FIN_PLACED	0x1	/* every file but the scripts to rewrite is
				 * in staging already */
#define FIN_OWN		0x2	/* this process built it a moment ago: its
				 * files are as the manifest says, not stat'ed
				 * again before they are linked */

/* Complete the staging tree from the tree at src_fd (the staging tree
 * itself when unpacked in place); how: FIN_* flags.  0, -1, or STALE. */
int	 stage_finish(const char *path, int src_fd, int stage_fd,
	    unsigned int how, const struct manifest *, const struct stage_opts *,
	    struct stage_stats *);
/* The open directories of a tree linked into staging and of staging
 * (dirtab.h), kept across the chunks a part links. */
struct dirtab;
struct stage_links {
	struct dirtab	*src;
	struct dirtab	*dst;
};
void	 stage_links_open(struct stage_links *, int src_fd, int stage_fd);
void	 stage_links_close(struct stage_links *);
/* Link entries lo..hi-1 of m (but the scripts to rewrite) from l's tree
 * into staging; how: FIN_OWN or 0.  0, -1, or STALE. */
int	 stage_link_range(const char *path, struct stage_links *l,
	    const struct manifest *m, size_t lo, size_t hi, unsigned int how,
	    const struct stage_opts *);
/* A tree, opened as a directory; -1 with err_set() when it cannot be. */
int	 stage_open_tree(const char *dir);
/* While a cache entry is built: warnings are also kept in m (a warm
 * install says them again), until stage_capture_end(). */
void	 stage_capture_begin(struct manifest *m);
void	 stage_capture_end(void);

#endif
