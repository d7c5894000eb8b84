/*
 * commands.h: the subcommands and the options every one of them shares.
 * Each cmd_*.c parses its own options, builds a plan and hands it to the
 * engine, and returns the exit status.
 */
#ifndef FORKLIFT_COMMANDS_H
#define FORKLIFT_COMMANDS_H

#include <getopt.h>

#include "target.h"

/* Exit statuses (forklift(1)). */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_LOCKED	3

struct globals {
	int		 progress;
	const char	*cache_dir;	/* resolved; NULL with --no-cache */
	const char	*cache_opt;	/* --cache-dir as given */
	int		 no_cache;
};

/* Long options shared by all commands; their codes start at OPT_GLOBAL. */
enum {
	OPT_GLOBAL = 1000,
	OPT_VERSION,
	OPT_NO_PROGRESS,
	OPT_COLOR,
	OPT_CACHE_DIR,
	OPT_NO_CACHE,
	OPT_GLOBAL_END,
	OPT_LOCAL = 1100
};
#define GLOBAL_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, OPT_VERSION }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS }, \
	{ "color", required_argument, NULL, OPT_COLOR }, \
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR }, \
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE }

/* Handle a global option; returns 1 if c was one, 0 if not.  Exits for
 * --version and bad values. */
int	 global_option(int c, const char *arg, struct globals *);
/* Resolve the cache directory after all options are read. */
void	 globals_finish(struct globals *);
/* The help text of the global options (for every command's --help). */
extern const char global_options_help[];

/* Target options shared by install and list. */
#define TARGET_LONGOPTS \
	{ "python", required_argument, NULL, 'p' }, \
	{ "system", no_argument, NULL, OPT_LOCAL + 1 }, \
	{ "break-system-packages", no_argument, NULL, OPT_LOCAL + 2 }, \
	{ "prefix", required_argument, NULL, OPT_LOCAL + 3 }, \
	{ "target", required_argument, NULL, OPT_LOCAL + 4 }, \
	{ "lock-timeout", required_argument, NULL, OPT_LOCAL + 5 }
int	 target_option(int c, const char *arg, struct target_opts *);
/* Open the target, take its lock, recover from a dead forklift.  Returns
 * 0 or an exit status. */
int	 target_prepare(struct target *, struct target_opts *, const struct globals *);

int	 cmd_install(int, char **, struct globals *);
int	 cmd_list(int, char **, struct globals *);

#endif
