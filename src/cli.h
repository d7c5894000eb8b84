/*
 * cli.h: what the commands share on the command line: exit statuses, the
 * global, target, engine and bytecode options with their --help lines,
 * opening and locking the target, and reading requirements.  The top of
 * the library: the cmd_*.c files use it, main.c only dispatches.  It may
 * exit (die()) on a bad option value; nothing below it does.
 */
#ifndef FORKLIFT_CLI_H
#define FORKLIFT_CLI_H

#include <getopt.h>
#include <stdint.h>

#include "target.h"
#include "util.h"

/* Exit statuses (forklift(1)). */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_LOCKED	3
#define EXIT_UNRESTORED	4	/* rollback or recovery failed */

struct globals {
	int		 progress;
	const char	*cache_dir;	/* resolved; NULL only without HOME */
	const char	*cache_opt;	/* --cache-dir as given */
	int		 no_cache;	/* --no-cache: no cache of unpacked wheels */
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

/* --compile-bytecode, --no-compile-bytecode, --optimize LEVELS (install
 * and sync). */
struct bytecode_flags {
	int		 compile;	/* 1, 0, or -1: FORKLIFT_COMPILE_BYTECODE decides */
	unsigned int	 levels;	/* --optimize (bytecode.h bits), 0 if not given */
};
#define BYTECODE_FLAGS_INIT { -1, 0 }
#define OPT_BYTECODE	(OPT_LOCAL + 70)
#define BYTECODE_LONGOPTS \
	{ "compile-bytecode", no_argument, NULL, OPT_BYTECODE }, \
	{ "no-compile-bytecode", no_argument, NULL, OPT_BYTECODE + 1 }, \
	{ "optimize", required_argument, NULL, OPT_BYTECODE + 2 }
/* Handle a bytecode option; returns 1 if c was one, 0 if not.  Exits 2
 * for a bad --optimize. */
int	 bytecode_option(int c, const char *arg, struct bytecode_flags *);
/* The levels to compile (engine_opts.compile_levels; 0: no bytecode)
 * from the options, else FORKLIFT_COMPILE_BYTECODE.  Exits 2 for a bad
 * value of that variable. */
unsigned int bytecode_flags_levels(const struct bytecode_flags *);
/* Their --help lines. */
extern const char bytecode_options_help[];
/* "8G", "512M", "100000" -> bytes (--max-unpacked-size); -1 when
 * malformed. */
int	 parse_size(const char *, uint64_t *);
/* Open the target, take its lock, recover from a dead forklift.  Returns
 * 0 or an exit status. */
int	 target_prepare(struct target *, struct target_opts *, const struct globals *);

/* Options of the commands that run the engine (install, sync). */
#define OPT_ENGINE	(OPT_LOCAL + 50)
#define ENGINE_LONGOPTS \
	{ "jobs", required_argument, NULL, 'j' }, \
	{ "reinstall", no_argument, NULL, OPT_ENGINE }, \
	{ "dry-run", no_argument, NULL, OPT_ENGINE + 1 }, \
	{ "no-verify-record", no_argument, NULL, OPT_ENGINE + 2 }, \
	{ "ignore-requires-python", no_argument, NULL, OPT_ENGINE + 3 }, \
	{ "max-unpacked-size", required_argument, NULL, OPT_ENGINE + 4 }, \
	{ "strict", no_argument, NULL, OPT_ENGINE + 5 }, \
	{ "link-mode", required_argument, NULL, OPT_ENGINE + 6 }, \
	{ "sandbox", required_argument, NULL, OPT_ENGINE + 7 }, \
	{ "no-fsync", no_argument, NULL, OPT_ENGINE + 8 }, \
	{ "max-members", required_argument, NULL, OPT_ENGINE + 9 }
struct engine_opts;
/* Their --help lines from --no-verify-record on. */
extern const char engine_options_help[];
/* Defaults: -j online CPUs, RECORD verified, 8 GiB per wheel. */
void	 engine_opts_init(struct engine_opts *);
/* After the options: finish the globals, then take progress, bytecode
 * levels and the cache from them, and open the target read-only for
 * --dry-run. */
void	 engine_opts_finish(struct engine_opts *, struct target_opts *,
	    const struct bytecode_flags *, struct globals *);
/* Handle an engine option (and -j); returns 1 if c was one, 0 if not.
 * --reinstall sets *reinstall.  Exits 2 on a bad value. */
int	 engine_option(int c, const char *arg, struct engine_opts *, int *reinstall);

/* Where wheels come from, and how they are downloaded (install, sync). */
struct fetch_flags {
	const char	*index_url;	/* -i; NULL: the file's, $FORKLIFT_INDEX_URL
					 * or https://pypi.org/simple/ */
	struct strv	 extra_index;	/* --extra-index-url */
	struct strv	 links;		/* -f: directories and page URLs */
	int		 no_index;
	int		 offline;
	const char	*cert;
	long		 timeout;	/* seconds; 0: 15 */
	int		 retries;	/* -1: 5 */
	int		 concurrent;	/* 0: $FORKLIFT_CONCURRENT_DOWNLOADS, else 16 */
};
#define FETCH_FLAGS_INIT { NULL, STRV_INIT, STRV_INIT, 0, 0, NULL, 0, -1, 0 }
#define OPT_FETCH	(OPT_LOCAL + 80)
#define FETCH_LONGOPTS \
	{ "index-url", required_argument, NULL, 'i' }, \
	{ "extra-index-url", required_argument, NULL, OPT_FETCH }, \
	{ "find-links", required_argument, NULL, 'f' }, \
	{ "no-index", no_argument, NULL, OPT_FETCH + 1 }, \
	{ "offline", no_argument, NULL, OPT_FETCH + 2 }, \
	{ "cert", required_argument, NULL, OPT_FETCH + 3 }, \
	{ "timeout", required_argument, NULL, OPT_FETCH + 4 }, \
	{ "retries", required_argument, NULL, OPT_FETCH + 5 }, \
	{ "concurrent-downloads", required_argument, NULL, OPT_FETCH + 6 }
/* Their --help lines. */
extern const char fetch_options_help[];
/* Handle a fetch option (and -i, -f); returns 1 if c was one, 0 if not.
 * Exits 2 on a bad value. */
int	 fetch_option(int c, const char *arg, struct fetch_flags *);
void	 fetch_flags_free(struct fetch_flags *);
struct fetch_opts;
struct reqs;
/* Find the wheels of rq's pins that are neither installed nor local
 * files (resolve.h), from the flags, rq's own index lines and the
 * cache; fills *fo for the engine's downloads.  Prints every problem.
 * Returns 0 or an exit status. */
int	 cli_resolve(struct reqs *rq, const struct target *,
	    const struct fetch_flags *, const struct globals *, int reinstall,
	    struct fetch_opts *fo);

/* -j/--jobs N (1 to 1024); exits 2 on a bad value. */
unsigned int cli_jobs(const char *arg);
/* The default of -j: the online CPUs. */
unsigned int cli_default_jobs(void);
/* Remember argv, for "--version -v" (main() calls it first). */
void	 cli_init(char **argv);

/* The exit status of a failed step: 128 + signal when a stop signal
 * arrived (the failure was the stop), else EXIT_FAIL. */
int	 cli_fail_status(void);

/* --extra NAME and --group NAME (install -r and sync, lock files only). */
struct lock_flags {
	struct strv	 extras;
	struct strv	 groups;
};
#define OPT_LOCK	(OPT_LOCAL + 90)
#define LOCK_LONGOPTS \
	{ "extra", required_argument, NULL, OPT_LOCK }, \
	{ "group", required_argument, NULL, OPT_LOCK + 1 }
/* Handle --extra or --group; returns 1 if c was one, 0 if not. */
int	 lock_option(int c, const char *arg, struct lock_flags *);
/* EXIT_USAGE (after saying so) when --extra or --group was given but no
 * file of files is a lock file; else 0. */
int	 lock_flags_check(const struct lock_flags *, char *const *files, size_t n);
void	 lock_flags_free(struct lock_flags *);

/* The options install and sync share: global, target, bytecode, fetch,
 * engine and lock file options, each to its own flags. */
struct install_flags {
	struct globals		*g;
	struct target_opts	*to;
	struct bytecode_flags	*bf;
	struct fetch_flags	*ff;
	struct engine_opts	*eo;
	int			*reinstall;
	struct lock_flags	*lf;
};
/* Handle c if it is one of them; returns 1 if it was, 0 if not. */
int	 install_option(int c, const char *arg, const struct install_flags *);
/* Their --help lines. */
extern const char lock_options_help[];

/* Where the requirements of install -r and sync come from. */
struct req_sources {
	char		**files;	/* requirements files */
	size_t		  nfiles;
	char		**wheels;	/* wheel files named too (install -r) */
	size_t		  nwheels;
	const struct strv *cons;	/* -c constraint files, or NULL */
	const struct strv *links;	/* -f directories and pages, or NULL */
	int		  require_hashes; /* --require-hashes */
	const struct strv *extras;	/* lock files: --extra names, or NULL */
	const struct strv *groups;	/* --group names; NULL: default-groups */
};
struct reqs;
/* reqs_init() rq for t's interpreter and read every source (a file named
 * pylock.toml or pylock.NAME.toml as a PEP 751 lock file); prints every
 * problem found.  Returns 0, or -1 when there was any (rq must still be
 * freed). */
int	 cli_read_reqs(struct reqs *rq, const struct target *t,
	    const struct req_sources *);

#endif
