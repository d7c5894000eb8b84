/*
 * tags.h: wheel filenames (PEP 427/491) and compatibility tags (PEP 425,
 * PEP 600 manylinux, PEP 656 musllinux, abi3).  The supported-tag list is
 * computed in C from interpreter facts, in the same order as
 * packaging.tags.sys_tags(); index 0 is the most preferred tag.
 */
#ifndef FORKLIFT_TAGS_H
#define FORKLIFT_TAGS_H

#include <stddef.h>

#include "util.h"

struct pyinfo;

struct wheel_name {
	char		*name;		/* distribution name as in the filename */
	char		*norm;		/* normalized name (version.h) */
	char		*version;	/* as in the filename */
	char		*build;		/* build tag or NULL */
	unsigned long	 build_num;	/* leading digits of the build tag */
	const char	*build_rest;	/* the rest of the build tag (points into build) */
	struct strv	 py;		/* each '.'-separated python tag */
	struct strv	 abi;
	struct strv	 plat;
};

/* Parse the base name of a wheel file.  Returns 0, or -1 with err_set()
 * ("invalid wheel filename: ...") before anything is opened. */
int	 wheel_name_parse(const char *basename, struct wheel_name *);
void	 wheel_name_free(struct wheel_name *);
/* Order two wheels by build tag as (number, rest); no build tag sorts
 * first.  <0, 0, >0. */
int	 wheel_build_cmp(const struct wheel_name *, const struct wheel_name *);

struct tag {
	char	*py;
	char	*abi;
	char	*plat;
};

struct taglist {
	struct tag	*v;
	size_t		 n;
	void		*index;		/* private lookup table */
};

/* The supported tags of the interpreter described by pyinfo, in
 * packaging.tags.sys_tags() order.  Returns 0 or -1 with err_set(). */
int	 tags_compute(const struct pyinfo *, struct taglist *);
void	 taglist_free(struct taglist *);
/* Priority of a py-abi-plat triple: index in the list, or -1. */
long	 tags_find(const struct taglist *, const char *py, const char *abi, const char *plat);
/* Best (lowest) priority over every combination the filename allows, or -1
 * when the wheel is not compatible. */
long	 tags_rank(const struct taglist *, const struct wheel_name *);

#endif
