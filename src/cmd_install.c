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
#include "plan.h"
#include "reqs.h"
#include "target.h"
#include "util.h"

static const char install_help[] =
"usage: forklift install [OPTIONS] WHEEL...\n"
"       forklift install [OPTIONS] -r REQUIREMENTS [WHEEL...]\n"
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
"  -r, --requirement FILE\n"
"                        install the pins of a requirements file (repeatable)\n"
"  -f, --find-links DIR  where to look for the wheels -r pins (repeatable)\n"
"  -j, --jobs N          worker processes (default: online CPUs)\n"
"      --reinstall       reinstall distributions installed at the same version\n"
"      --dry-run         print what would change, change nothing\n"
"%s"
"%s"
"\n"
"%s";

/* The options install and sync share (after -j, --reinstall, --dry-run). */
const char engine_options_help[] =
"      --no-verify-record\n"
"                        RECORD mismatches become one warning per wheel\n"
"      --ignore-requires-python\n"
"                        install even where Requires-Python excludes the interpreter\n"
"      --max-unpacked-size SIZE\n"
"                        refuse a wheel whose members add up to more (default: 8G)\n"
"      --max-members N   refuse a wheel of more members (default: 1000000)\n"
"      --strict          a file another distribution installed with other\n"
"                        bytes is an error, not a warning\n"
"      --link-mode MODE  how files reach the environment from the cache:\n"
"                        auto (default), reflink, hardlink, copy\n"
"      --no-fsync        flush nothing to disk: a power cut may then leave the\n"
"                        environment broken (or set FORKLIFT_NO_FSYNC=1)\n";

const char bytecode_options_help[] =
"      --compile-bytecode\n"
"                        compile the installed modules to .pyc files, which\n"
"                        land with them (or set FORKLIFT_COMPILE_BYTECODE=1)\n"
"      --no-compile-bytecode\n"
"                        do not, whatever FORKLIFT_COMPILE_BYTECODE says\n"
"      --optimize LEVELS\n"
"                        the optimization levels to compile, such as 0,1,2\n"
"                        (default: 0); implies --compile-bytecode\n";

int
bytecode_option(int c, const char *arg, struct bytecode_flags *f)
{
	switch (c) {
	case OPT_BYTECODE:
		f->compile = 1;
		return 1;
	case OPT_BYTECODE + 1:
		f->compile = 0;
		return 1;
	case OPT_BYTECODE + 2:
		if (bytecode_parse_levels(arg, &f->levels) != 0)
			die(EXIT_USAGE, "--optimize: %s", err_get());
		f->compile = 1;
		return 1;
	}
	return 0;
}

unsigned int
bytecode_flags_levels(const struct bytecode_flags *f)
{
	static const char *const on[] = { "1", "true", "yes", "on" };
	static const char *const off[] = { "", "0", "false", "no", "off" };
	const char	*env = getenv("FORKLIFT_COMPILE_BYTECODE");
	int		 compile = f->compile;
	size_t		 i;

	if (compile < 0 && env != NULL) {
		for (i = 0; i < ARRAY_SIZE(on); i++)
			if (strcasecmp(env, on[i]) == 0)
				compile = 1;
		for (i = 0; i < ARRAY_SIZE(off); i++)
			if (strcasecmp(env, off[i]) == 0)
				compile = 0;
		if (compile < 0)
			die(EXIT_USAGE, "FORKLIFT_COMPILE_BYTECODE: '%s' is not 1 or 0",
			    env);
	}
	if (compile <= 0)
		return 0;
	return f->levels ? f->levels : BYTECODE_LEVEL(0);
}

/* "8G", "512M", "100000" -> bytes; -1 when malformed. */
int
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

/* install -r: the requirements and the wheels named, planned as sync
 * plans them but without removing anything. */
static int
plan_requirements(struct plan *p, const struct target *t, char **wheels,
    size_t n, const struct strv *files, const struct strv *links,
    int reinstall)
{
	struct sync_opts	 so = { reinstall, 0, 0 };
	struct reqs		 rq;
	size_t			 i;
	int			 rc = -1;

	reqs_init(&rq, &t->info);
	for (i = 0; i < links->n; i++)
		reqs_add_find_links(&rq, links->v[i]);
	for (i = 0; i < files->n; i++)
		(void)reqs_read(&rq, files->v[i], 0);
	for (i = 0; i < n; i++)
		(void)reqs_add_wheel(&rq, wheels[i]);
	(void)reqs_finish(&rq);
	for (i = 0; i < rq.errors.n; i++)
		error_msg("%s", rq.errors.v[i]);
	if (rq.errors.n == 0)
		rc = plan_sync(p, t, &rq, &so);
	else
		memset(p, 0, sizeof(*p));
	reqs_free(&rq);
	return rc;
}

void
engine_opts_init(struct engine_opts *eo)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(eo, 0, sizeof(*eo));
	eo->verify_record = 1;
	eo->max_unpacked = 8ULL << 30;
	eo->jobs = n > 0 ? (unsigned int)n : 1;
	eo->no_fsync = getenv("FORKLIFT_NO_FSYNC") != NULL &&
	    strcmp(getenv("FORKLIFT_NO_FSYNC"), "1") == 0;
}

int
engine_option(int c, const char *arg, struct engine_opts *eo, int *reinstall)
{
	char	*end;
	long	 n;

	switch (c) {
	case 'j':
		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno || *end || end == arg || n < 1 || n > 1024)
			die(EXIT_USAGE, "--jobs: '%s' is not a number from 1 to 1024", arg);
		eo->jobs = (unsigned int)n;
		return 1;
	case OPT_ENGINE:
		*reinstall = 1;
		return 1;
	case OPT_ENGINE + 1:
		eo->dry_run = 1;
		return 1;
	case OPT_ENGINE + 2:
		eo->verify_record = 0;
		return 1;
	case OPT_ENGINE + 3:
		eo->ignore_requires_python = 1;
		return 1;
	case OPT_ENGINE + 4:
		if (parse_size(arg, &eo->max_unpacked) != 0)
			die(EXIT_USAGE, "--max-unpacked-size: '%s' is not a size "
			    "(such as 512M or 8G)", arg);
		return 1;
	case OPT_ENGINE + 5:
		eo->strict = 1;
		return 1;
	case OPT_ENGINE + 7:
		eo->no_fsync = 1;
		return 1;
	case OPT_ENGINE + 8:
		errno = 0;
		eo->max_members = strtoull(arg, &end, 10);
		if (errno || *end || end == arg || eo->max_members == 0)
			die(EXIT_USAGE, "--max-members: '%s' is not a positive number",
			    arg);
		return 1;
	case OPT_ENGINE + 6:
		if ((eo->link_mode = link_mode_parse(arg)) < 0)
			die(EXIT_USAGE, "--link-mode: '%s' is not auto, reflink, "
			    "hardlink or copy", arg);
		return 1;
	}
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
		{ "requirement", required_argument, NULL, 'r' },
		{ "find-links", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct target_opts	 to;
	struct bytecode_flags	 bf = BYTECODE_FLAGS_INIT;
	struct engine_opts	 eo;
	struct target		 t;
	struct plan		 p;
	struct strv		 reqfiles = STRV_INIT, links = STRV_INIT;
	int			 c, reinstall = 0, rc;

	memset(&to, 0, sizeof(to));
	to.lock_timeout = 300;
	engine_opts_init(&eo);
	while ((c = getopt_long(argc, argv, "hqvp:j:r:f:", longopts, NULL)) != -1) {
		if (global_option(c, optarg, g) || target_option(c, optarg, &to) ||
		    bytecode_option(c, optarg, &bf) ||
		    engine_option(c, optarg, &eo, &reinstall))
			continue;
		switch (c) {
		case 'h':
			printf(install_help, engine_options_help, bytecode_options_help,
			    global_options_help);
			return EXIT_OK;
		case 'r':
			strv_push(&reqfiles, optarg);
			break;
		case 'f':
			strv_push(&links, optarg);
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
	globals_finish(g);
	eo.progress = g->progress;
	eo.compile_levels = bytecode_flags_levels(&bf);
	eo.cache_dir = g->no_cache ? NULL : g->cache_dir;
	to.readonly = eo.dry_run;
	if ((rc = target_prepare(&t, &to, g)) != 0)
		return rc;
	if (reqfiles.n > 0 ? plan_requirements(&p, &t, argv + optind,
	    (size_t)(argc - optind), &reqfiles, &links, reinstall) != 0 :
	    plan_install(&p, &t, argv + optind, (size_t)(argc - optind),
	    reinstall) != 0)
		rc = EXIT_FAIL;
	else
		rc = engine_run(&t, &p, &eo);
	plan_free(&p);
	target_close(&t);
	strv_free(&reqfiles);
	strv_free(&links);
	return rc;
}
