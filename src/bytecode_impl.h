/*
 * bytecode_impl.h: the state of one --compile-bytecode run, shared by
 * bytecode.c (what to compile, RECORD) and bytecode_server.c (the compile
 * servers).  Nothing else includes it.
 */
#ifndef FORKLIFT_BYTECODE_IMPL_H
#define FORKLIFT_BYTECODE_IMPL_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct target;
struct bytecode_tree;
struct bytecode_opts;
struct bytecode_stats;

#define DEPTH		4	/* lines handed to a server ahead of its answers */

struct bc_tree {
	char		*record;	/* staged RECORD of its dist-info */
	const char	*home;		/* the final directory holding the dist-info */
	struct strv	 pycs;		/* RECORD paths of the .pyc files written */
};

struct bc_file {
	char		*staged;
	char		*final;
	uint64_t	 size;
	size_t		 tree;
	int		 warned;
};

struct bc_item {			/* one file at one level */
	size_t		 file;
	unsigned int	 level;
	int		 crashes;	/* deaths of a server compiling it */
};

struct bc_server {
	unsigned int	 id;
	pid_t		 pid;
	int		 in;		/* its stdin, non-blocking */
	int		 out;		/* its stdout */
	int		 errfd;		/* memfd with its stderr, or -1 */
	struct buf	 wq;		/* lines not written yet */
	size_t		 woff;
	struct buf	 rq;		/* a partial answer */
	size_t		 ring[DEPTH];	/* items handed out, oldest first */
	size_t		 head;
	size_t		 count;
	int		 restarted;
};

struct bc_run {
	const struct target	*t;
	const struct bytecode_tree *trees;
	const struct bytecode_opts *o;
	struct bytecode_stats	*st;
	int			 legacy;	/* Python 2: no -I, no __pycache__ */
	struct bc_tree		*bt;
	struct bc_file		*files;
	size_t			 nfiles;
	size_t			 capfiles;
	struct bc_item		*items;
	size_t			 nitems;
	size_t			*order;		/* items, largest file first */
	size_t			 next;
	size_t			*retry;		/* items given back by a dead server */
	size_t			 nretry;
	size_t			 answered;
	struct bc_server	*srv;
	unsigned int		 nsrv;
};

/* Start the servers, hand out every item in r->order, collect the
 * answers (warning for a file that did not compile, adding each .pyc to
 * its tree's pycs), then end or kill the servers.  0, -1 with err_set(),
 * or -2 when *r->o->stop became nonzero. */
int	 bytecode_serve(struct bc_run *);

#endif
