/*
 * bytecode.h: --compile-bytecode.  Compiles the .py files of staged
 * wheels (their purelib and platlib trees) into __pycache__ next to them,
 * with the final path as the recorded source path, in up to -j processes
 * of the target interpreter fed over pipes; then adds the .pyc files to
 * each staged dist-info's RECORD.  Runs in the parent, before the commit,
 * and writes only inside the staging trees it is given.
 */
#ifndef FORKLIFT_BYTECODE_H
#define FORKLIFT_BYTECODE_H

#include <signal.h>
#include <stdint.h>

struct target;

/* Optimization levels as a bit set: bit n is level n (0, 1, 2). */
#define BYTECODE_LEVEL(n)	(1U << (n))
#define BYTECODE_LEVELS_ALL	0x7U

/* "0,1,2" -> bit set.  -1 with err_set() for anything but a comma
 * separated list of 0, 1 and 2. */
int	 bytecode_parse_levels(const char *, unsigned int *levels);

/* One staged wheel. */
struct bytecode_tree {
	const char	*label;		/* the wheel, for messages */
	const char	*stage;		/* its staging directory: purelib/, platlib/ */
};

struct bytecode_opts {
	unsigned int	 jobs;		/* at most this many compiler processes */
	unsigned int	 levels;	/* BYTECODE_LEVEL() bits; 0 compiles nothing */
	volatile sig_atomic_t *stop;	/* set by a signal handler, or NULL */
	int		 wake_fd;	/* the handler's self-pipe, or -1 */
	int		 sandbox;	/* enum sandbox_mode (sandbox.h) */
	const char	*stage_root;	/* servers write only beneath it; NULL:
					   not confined */
};

struct bytecode_stats {
	uint64_t	 compiled;	/* .pyc files written and recorded */
	uint64_t	 failed;	/* source files that did not compile (warned) */
};

/*
 * Compile every .py file under <stage>/purelib and <stage>/platlib of each
 * tree with t's interpreter, for each requested level, and list the .pyc
 * files in the tree's dist-info RECORD (empty hash and size).  A file
 * that does not compile is a warning naming it.  A compiler process that
 * dies is restarted once; a second death fails the run.
 * Returns 0, -1 with err_set() (the staging trees are then only fit to be
 * removed), or -2 when *stop became nonzero.
 */
int	 bytecode_compile(const struct target *, const struct bytecode_tree *,
	    size_t, const struct bytecode_opts *, struct bytecode_stats *);

/* The program each compiler process runs ("python -I -c PROGRAM"). */
extern const char bytecode_program[];

#endif
