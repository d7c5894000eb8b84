/*
 * cmd_install.c: "forklift install WHEEL...": options, the plan, the
 * engine.  Thin by design; the work happens in plan.c and engine.c.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bytecode.h"
#include "cache.h"
#include "commands.h"
#include "engine.h"
#include "fetch.h"
#include "plan.h"
#include "reqs.h"
#include "sandbox.h"
#include "target.h"
#include "util.h"

static const char install_help[] =
"usage: forklift install [OPTIONS] WHEEL...\n"
"       forklift install [OPTIONS] -r REQUIREMENTS [WHEEL...]\n"
"\n"
"Install wheel files into a Python environment: every wheel, or none.  A\n"
"WHEEL may be a path or a file, http or https URL.\n"
"\n"
"Target:\n"
"  -p, --python PATH     virtual environment directory or interpreter\n"
"                        (default: $VIRTUAL_ENV, else ./.venv)\n"
"      --system          allow an interpreter outside a virtual environment\n"
"      --break-system-packages\n"
"                        install even where EXTERNALLY-MANAGED (PEP 668) says not to\n"
"      --prefix DIR      the interpreter's scheme re-rooted at DIR\n"
"      --target DIR      everything flat in DIR, scripts in DIR/bin\n"
"      --lock-timeout SECONDS\n"
"                        wait this long for another forklift (default: 300)\n"
"\n"
"Install options:\n"
"  -r, --requirement FILE\n"
"                        install the pins of a requirements file, or the\n"
"                        packages a lock file (pylock.toml, pylock.NAME.toml)\n"
"                        selects (repeatable)\n"
"%s"
"  -j, --jobs N          worker processes (default: $FORKLIFT_JOBS, else the\n"
"                        CPUs this process may use; -v says why)\n"
"      --reinstall       reinstall distributions installed at the same version\n"
"      --dry-run         print what would change, change nothing\n"
"%s"
"%s"
"\n"
"Where wheels come from (-r and URLs):\n"
"%s"
"\n"
"%s";

/* install -r: the requirements and the wheels named, planned as sync
 * plans them but without removing anything. */
static int
plan_requirements(struct plan *p, const struct target *t,
    const struct req_sources *src, const struct fetch_flags *ff,
    const struct globals *g, int reinstall, struct fetch_opts *fo)
{
	struct sync_opts	 so = { reinstall, 0, 0 };
	struct reqs		 rq;
	int			 rc;

	memset(p, 0, sizeof(*p));
	if (cli_read_reqs(&rq, t, src) != 0)
		rc = cli_fail_status();
	else if ((rc = cli_resolve(&rq, t, ff, g, reinstall, fo)) == 0 &&
	    plan_sync(p, t, &rq, &so) != 0)
		rc = cli_fail_status();
	reqs_free(&rq);
	return rc;
}

/* Is any argument a URL (then install plans it as a requirement)? */
static int
has_url(char *const *args, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strstr(args[i], "://") != NULL ||
		    strncasecmp(args[i], "file:", 5) == 0)
			return 1;
	return 0;
}

int
cmd_install(int argc, char **argv, struct globals *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		TARGET_LONGOPTS,
		BYTECODE_LONGOPTS,
		ENGINE_LONGOPTS,
		FETCH_LONGOPTS,
		{ "requirement", required_argument, NULL, 'r' },
		LOCK_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct target_opts	 to;
	struct bytecode_flags	 bf = BYTECODE_FLAGS_INIT;
	struct engine_opts	 eo;
	struct target		 t;
	struct plan		 p;
	struct strv		 reqfiles = STRV_INIT;
	struct fetch_flags	 ff = FETCH_FLAGS_INIT;
	struct fetch_opts	 fo;
	struct req_sources	 src;
	struct install_flags	 fl;
	struct lock_flags	 lf = { STRV_INIT, STRV_INIT };
	int			 c, reinstall = 0, rc;

	memset(&to, 0, sizeof(to));
	memset(&src, 0, sizeof(src));
	to.lock_timeout = 300;
	engine_opts_init(&eo);
	fl = (struct install_flags){ g, &to, &bf, &ff, &eo, &reinstall, &lf };
	while ((c = getopt_long(argc, argv, "hqvp:j:r:f:i:", longopts, NULL)) != -1) {
		if (install_option(c, optarg, &fl))
			continue;
		switch (c) {
		case 'h':
			printf(install_help, lock_options_help, engine_options_help,
			    bytecode_options_help, fetch_options_help, global_options_help);
			return EXIT_OK;
		case 'r':
			strv_push(&reqfiles, optarg);
			break;
		default:
			fprintf(stderr, "Run 'forklift install --help' for the options.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc && reqfiles.n == 0) {
		error_msg("install: no wheel given (forklift install WHEEL...)");
		return EXIT_USAGE;
	}
	if ((rc = lock_flags_check(&lf, reqfiles.v, reqfiles.n)) != 0)
		goto out;
	engine_opts_finish(&eo, &to, &bf, g);
	if ((rc = target_prepare(&t, &to, g)) != 0)
		goto out;
	src.files = reqfiles.v;
	src.nfiles = reqfiles.n;
	src.wheels = argv + optind;
	src.nwheels = (size_t)(argc - optind);
	src.links = &ff.links;
	src.extras = &lf.extras;
	src.groups = lf.groups.n > 0 ? &lf.groups : NULL;
	memset(&fo, 0, sizeof(fo));
	if (reqfiles.n > 0 || has_url(argv + optind, argc - optind))
		rc = plan_requirements(&p, &t, &src, &ff, g, reinstall, &fo);
	else if (plan_install(&p, &t, argv + optind, (size_t)(argc - optind),
	    reinstall) != 0)
		rc = cli_fail_status();
	if (rc == 0) {
		eo.fetch = &fo;
		rc = engine_run(&t, &p, &eo);
	}
	plan_free(&p);
	target_close(&t);
out:
	strv_free(&reqfiles);
	fetch_flags_free(&ff);
	lock_flags_free(&lf);
	return rc;
}
