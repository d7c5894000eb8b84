/*
 * main.c: the command line.  Global options, subcommand dispatch, the
 * options shared by the commands that open an environment, and exit
 * statuses.  Everything else lives in the library.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "engine.h"
#include "fsutil.h"
#include "target.h"
#include "txn.h"
#include "util.h"

const char global_options_help[] =
"Global options (before or after the command):\n"
"  -h, --help            show this help, or the command's\n"
"      --version         print the version and exit\n"
"  -q, --quiet           print errors only\n"
"  -v, --verbose         print more detail (repeat for more)\n"
"      --no-progress     no progress line on stderr\n"
"      --color WHEN      color the labels of messages: auto, always, never\n"
"      --cache-dir DIR   the cache directory (default: $FORKLIFT_CACHE_DIR,\n"
"                        else $XDG_CACHE_HOME/forklift, else ~/.cache/forklift)\n"
"      --no-cache        neither read nor write the cache of unpacked wheels\n";

static const char main_help[] =
"usage: forklift [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Install Python wheels into an environment: in parallel, all or nothing.\n"
"\n"
"Commands:\n"
"  install   install wheel files\n"
"  list      list installed distributions\n"
"  sync      make an environment match pinned requirements files\n"
"  cache     show or trim the cache of unpacked wheels\n"
"  uninstall remove installed distributions\n"
"  verify    check installed files against their RECORD\n"
"\n"
"%s"
"\n"
"Run 'forklift COMMAND --help' for a command's options; 'man forklift'.\n";

static int color_mode = -1;	/* -1 auto, 0 never, 1 always */

int
global_option(int c, const char *arg, struct globals *g)
{
	switch (c) {
	case 'q':
		verbosity = -1;
		return 1;
	case 'v':
		if (verbosity < 0)
			verbosity = 0;
		verbosity++;
		return 1;
	case OPT_VERSION:
		printf("forklift %s\n", PACKAGE_VERSION);
		exit(EXIT_OK);
	case OPT_NO_PROGRESS:
		g->progress = 0;
		return 1;
	case OPT_COLOR:
		if (strcmp(arg, "auto") == 0)
			color_mode = -1;
		else if (strcmp(arg, "always") == 0)
			color_mode = 1;
		else if (strcmp(arg, "never") == 0)
			color_mode = 0;
		else
			die(EXIT_USAGE, "--color: '%s' is not auto, always or never", arg);
		return 1;
	case OPT_CACHE_DIR:
		g->cache_opt = arg;
		return 1;
	case OPT_NO_CACHE:
		g->no_cache = 1;
		return 1;
	}
	return 0;
}

void
globals_finish(struct globals *g)
{
	const char	*env;
	static char	*dir;

	if (color_mode < 0)
		msg_color = isatty(STDERR_FILENO) && getenv("NO_COLOR") == NULL &&
		    getenv("TERM") != NULL && strcmp(getenv("TERM"), "dumb") != 0;
	else
		msg_color = color_mode;
	if (verbosity < 0)
		g->progress = 0;
	free(dir);
	dir = NULL;
	if (g->cache_opt)
		dir = path_abs(g->cache_opt);
	else if ((env = getenv("FORKLIFT_CACHE_DIR")) != NULL && *env)
		dir = path_abs(env);
	else if ((env = getenv("XDG_CACHE_HOME")) != NULL && *env == '/')
		dir = path_join(env, "forklift");
	else if ((env = getenv("HOME")) != NULL && *env)
		dir = xasprintf("%s/.cache/forklift", env);
	g->cache_dir = dir;
}

int
target_option(int c, const char *arg, struct target_opts *o)
{
	char	*end;

	switch (c) {
	case 'p':
		o->python = arg;
		return 1;
	case OPT_LOCAL + 1:
		o->system = 1;
		return 1;
	case OPT_LOCAL + 2:
		o->break_system = 1;
		return 1;
	case OPT_LOCAL + 3:
		o->prefix = arg;
		return 1;
	case OPT_LOCAL + 4:
		o->target = arg;
		return 1;
	case OPT_LOCAL + 5:
		errno = 0;
		o->lock_timeout = strtod(arg, &end);
		if (errno || *end || end == arg || o->lock_timeout < 0)
			die(EXIT_USAGE, "--lock-timeout: '%s' is not a number of seconds", arg);
		return 1;
	}
	return 0;
}

/* The exit status for what target_lock() returned. */
static int
lock_status(int rc)
{
	if (rc == -2)
		return EXIT_LOCKED;
	if (rc == -3)
		return engine_signal_status();
	return EXIT_FAIL;
}

int
target_prepare(struct target *t, struct target_opts *o, const struct globals *g)
{
	int	rc;

	if (o->prefix && o->target)
		die(EXIT_USAGE, "--prefix and --target exclude each other");
	o->cache_dir = g->cache_dir;
	if (target_open(t, o) != 0)
		return EXIT_FAIL;
	t->lock_stop = &engine_signal;
	t->readonly = o->readonly;
	if ((rc = target_lock(t, o->lock_timeout)) != 0)
		return lock_status(rc);
	if (engine_signal)
		return engine_signal_status();
	/* A read-only run recovers what a dead forklift left when it may
	 * write here, and says so when it may not. */
	if (t->readonly && txn_pending(t, 0)) {
		rc = target_lock_upgrade(t, o->lock_timeout);
		if (rc == 1) {
			txn_pending(t, 1);
			return 0;
		}
		if (rc != 0)
			return lock_status(rc);
	}
	if (t->readonly)
		return 0;
	if (txn_recover(t) != 0) {
		error_msg("the environment could not be restored; run forklift "
		    "verify");
		return EXIT_UNRESTORED;
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, main_help, global_options_help);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct globals	 g;
	const char	*cmd;
	int		 c;

	memset(&g, 0, sizeof(g));
	g.progress = 1;
	engine_signals();
	/* Without TZ, glibc stats /etc/localtime on every time conversion, and
	 * libzip converts every member's DOS time: tens of thousands of
	 * needless system calls on a large install. */
	if (getenv("TZ") == NULL)
		setenv("TZ", ":/etc/localtime", 1);
	while ((c = getopt_long(argc, argv, "+hqv", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		if (!global_option(c, optarg, &g)) {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0;		/* restart getopt for the command (GNU) */
	if (strcmp(cmd, "install") == 0)
		return cmd_install(argc, argv, &g);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(argc, argv, &g);
	if (strcmp(cmd, "sync") == 0)
		return cmd_sync(argc, argv, &g);
	if (strcmp(cmd, "cache") == 0)
		return cmd_cache(argc, argv, &g);
	if (strcmp(cmd, "uninstall") == 0)
		return cmd_uninstall(argc, argv, &g);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(argc, argv, &g);
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	error_msg("'%s' is not a forklift command (see 'forklift --help')", cmd);
	return EXIT_USAGE;
}
