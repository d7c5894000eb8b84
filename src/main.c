/*
 * main.c: the program.  Signal setup, the global options before the
 * command, and dispatch to the subcommands.  Everything else, the option
 * helpers included (cli.c), lives in the library; nothing there may
 * include a header of this file.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "sig.h"
#include "util.h"

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
	cli_init(argv);
	sig_init();
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
