/*
 * cmd_uninstall.c: "forklift uninstall NAME...": options, the plan, the
 * engine.  The removal is a transaction like an install (journal, all or
 * nothing, the lock); which files a distribution owns is installed.c's
 * business, and it never lets a RECORD steer a removal out of the
 * environment.  This file only reads the command line.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "engine.h"
#include "plan.h"
#include "target.h"
#include "util.h"

static const char uninstall_help[] =
"usage: forklift uninstall [OPTIONS] NAME...\n"
"\n"
"Remove installed distributions from a Python environment: every one, or none.\n"
"\n"
"Target:\n"
"  -p, --python PATH     virtual environment directory or interpreter\n"
"                        (default: $VIRTUAL_ENV, else ./.venv)\n"
"      --system          allow an interpreter outside a virtual environment\n"
"      --break-system-packages\n"
"                        remove even where EXTERNALLY-MANAGED (PEP 668) says not to\n"
"      --prefix DIR      the interpreter's scheme re-rooted at DIR\n"
"      --target DIR      a directory filled with --target\n"
"      --lock-timeout SECONDS\n"
"                        wait this long for another forklift (default: 300)\n"
"\n"
"Uninstall options:\n"
"      --missing-ok      a name that is not installed is a note, not an error\n"
"      --dry-run         print what would be removed, change nothing\n"
"\n"
"%s";

enum {
	OPT_MISSING_OK = OPT_LOCAL + 40,
	OPT_DRY_RUN
};

int
cmd_uninstall(int argc, char **argv, struct globals *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		TARGET_LONGOPTS,
		{ "missing-ok", no_argument, NULL, OPT_MISSING_OK },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ NULL, 0, NULL, 0 }
	};
	struct target_opts	 to;
	struct engine_opts	 eo;
	struct target		 t;
	struct plan		 p;
	int			 c, missing_ok = 0, rc;

	memset(&to, 0, sizeof(to));
	to.lock_timeout = 300;
	memset(&eo, 0, sizeof(eo));
	eo.jobs = 1;
	while ((c = getopt_long(argc, argv, "hqvp:", longopts, NULL)) != -1) {
		if (global_option(c, optarg, g) || target_option(c, optarg, &to))
			continue;
		switch (c) {
		case 'h':
			printf(uninstall_help, global_options_help);
			return EXIT_OK;
		case OPT_MISSING_OK:
			missing_ok = 1;
			break;
		case OPT_DRY_RUN:
			eo.dry_run = 1;
			break;
		default:
			fprintf(stderr, "Run 'forklift uninstall --help' for the options.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		error_msg("uninstall: no distribution given (forklift uninstall NAME...)");
		return EXIT_USAGE;
	}
	globals_finish(g);
	eo.progress = g->progress;
	if ((rc = target_prepare(&t, &to, g)) != 0)
		return rc;
	if (plan_uninstall(&p, &t, argv + optind, (size_t)(argc - optind),
	    missing_ok) != 0)
		rc = EXIT_FAIL;
	else
		rc = engine_run(&t, &p, &eo);
	plan_free(&p);
	target_close(&t);
	return rc;
}
