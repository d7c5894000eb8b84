/*
 * cmd_list.c: "forklift list": the installed distributions, as columns
 * or in requirements ("freeze") form.  Reads directory names only.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "installed.h"
#include "target.h"
#include "util.h"

static const char list_help[] =
"usage: forklift list [OPTIONS]\n"
"\n"
"List the distributions installed in a Python environment.\n"
"\n"
"  -p, --python PATH     virtual environment directory or interpreter\n"
"                        (default: $VIRTUAL_ENV, else ./.venv)\n"
"      --system          allow an interpreter outside a virtual environment\n"
"      --prefix DIR      the interpreter's scheme re-rooted at DIR\n"
"      --target DIR      a directory filled with --target\n"
"      --lock-timeout SECONDS\n"
"                        wait this long for another forklift (default: 300)\n"
"      --format FORMAT   columns (default) or freeze\n"
"\n"
"%s";

int
cmd_list(int argc, char **argv, struct globals *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		TARGET_LONGOPTS,
		{ "format", required_argument, NULL, OPT_LOCAL + 30 },
		{ NULL, 0, NULL, 0 }
	};
	struct target_opts	 to;
	struct target		 t;
	struct distlist		 l;
	size_t			 i, w = 4;
	int			 c, freeze = 0, rc;

	memset(&to, 0, sizeof(to));
	to.lock_timeout = 300;
	while ((c = getopt_long(argc, argv, "hqvp:", longopts, NULL)) != -1) {
		if (global_option(c, optarg, g) || target_option(c, optarg, &to))
			continue;
		switch (c) {
		case 'h':
			printf(list_help, global_options_help);
			return EXIT_OK;
		case OPT_LOCAL + 30:
			if (strcmp(optarg, "freeze") == 0)
				freeze = 1;
			else if (strcmp(optarg, "columns") == 0)
				freeze = 0;
			else
				die(EXIT_USAGE, "--format: '%s' is not columns or freeze", optarg);
			break;
		default:
			fprintf(stderr, "Run 'forklift list --help' for the options.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		error_msg("list: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	globals_finish(g);
	to.readonly = 1;
	if ((rc = target_prepare(&t, &to, g)) != 0)
		return rc;
	installed_scan(&t, &l);
	for (i = 0; i < l.n; i++)
		if (strlen(l.v[i].name) > w)
			w = strlen(l.v[i].name);
	if (!freeze && l.n > 0)
		printf("%-*s %s\n%.*s %s\n", (int)w, "Name", "Version", (int)w,
		    "------------------------------------------------------------------------",
		    "-------");
	for (i = 0; i < l.n; i++) {
		if (freeze)
			printf("%s==%s\n", l.v[i].name, l.v[i].version);
		else
			printf("%-*s %s\n", (int)w, l.v[i].name, l.v[i].version);
	}
	distlist_free(&l);
	target_close(&t);
	return EXIT_OK;
}
