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
#include <unistd.h>

#include "commands.h"
#include "engine.h"
#include "plan.h"
#include "target.h"
#include "util.h"

static const char install_help[] =
"usage: forklift install [OPTIONS] WHEEL...\n"
"\n"
"Install wheel files into a Python environment: every wheel, or none.\n"
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
"  -j, --jobs N          worker processes (default: online CPUs)\n"
"      --reinstall       reinstall distributions installed at the same version\n"
"      --dry-run         print what would change, change nothing\n"
"      --no-verify-record\n"
"                        RECORD mismatches become one warning per wheel\n"
"      --ignore-requires-python\n"
"                        install even where Requires-Python excludes the interpreter\n"
"      --max-unpacked-size SIZE\n"
"                        refuse a wheel whose members add up to more (default: 8G)\n"
"      --strict          a file another distribution installed with other\n"
"                        bytes is an error, not a warning\n"
"\n"
"%s";

enum {
	OPT_JOBS = OPT_LOCAL + 20,
	OPT_REINSTALL,
	OPT_DRY_RUN,
	OPT_NO_VERIFY,
	OPT_IGNORE_RP,
	OPT_MAX_SIZE,
	OPT_STRICT
};

/* "8G", "512M", "100000" -> bytes; -1 when malformed. */
static int
parse_size(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;
	uint64_t		 mul = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm': case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g': case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	case 't': case 'T':
		mul = 1ULL << 40;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end != '\0' || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int
cmd_install(int argc, char **argv, struct globals *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		TARGET_LONGOPTS,
		{ "jobs", required_argument, NULL, 'j' },
		{ "reinstall", no_argument, NULL, OPT_REINSTALL },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "no-verify-record", no_argument, NULL, OPT_NO_VERIFY },
		{ "ignore-requires-python", no_argument, NULL, OPT_IGNORE_RP },
		{ "max-unpacked-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ NULL, 0, NULL, 0 }
	};
	struct target_opts	 to;
	struct engine_opts	 eo;
	struct target		 t;
	struct plan		 p;
	char			*end;
	long			 n;
	int			 c, reinstall = 0, rc;

	memset(&to, 0, sizeof(to));
	to.lock_timeout = 300;
	memset(&eo, 0, sizeof(eo));
	eo.verify_record = 1;
	eo.max_unpacked = 8ULL << 30;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	eo.jobs = n > 0 ? (unsigned int)n : 1;
	while ((c = getopt_long(argc, argv, "hqvp:j:", longopts, NULL)) != -1) {
		if (global_option(c, optarg, g) || target_option(c, optarg, &to))
			continue;
		switch (c) {
		case 'h':
			printf(install_help, global_options_help);
			return EXIT_OK;
		case 'j':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 1 || n > 1024)
				die(EXIT_USAGE, "--jobs: '%s' is not a number from 1 to 1024",
				    optarg);
			eo.jobs = (unsigned int)n;
			break;
		case OPT_REINSTALL:
			reinstall = 1;
			break;
		case OPT_DRY_RUN:
			eo.dry_run = 1;
			break;
		case OPT_NO_VERIFY:
			eo.verify_record = 0;
			break;
		case OPT_IGNORE_RP:
			eo.ignore_requires_python = 1;
			break;
		case OPT_MAX_SIZE:
			if (parse_size(optarg, &eo.max_unpacked) != 0)
				die(EXIT_USAGE, "--max-unpacked-size: '%s' is not a size "
				    "(such as 512M or 8G)", optarg);
			break;
		case OPT_STRICT:
			eo.strict = 1;
			break;
		default:
			fprintf(stderr, "Run 'forklift install --help' for the options.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		error_msg("install: no wheel given (forklift install WHEEL...)");
		return EXIT_USAGE;
	}
	globals_finish(g);
	eo.progress = g->progress;
	if ((rc = target_prepare(&t, &to, g)) != 0)
		return rc;
	if (plan_install(&p, &t, argv + optind, (size_t)(argc - optind), reinstall) != 0)
		rc = EXIT_FAIL;
	else
		rc = engine_run(&t, &p, &eo);
	plan_free(&p);
	target_close(&t);
	return rc;
}
