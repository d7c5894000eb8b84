/*
 * cli.c: the options the commands share and the steps they all take
 * before the work: parse option values (exiting 2 on a bad one, the only
 * place below main.c that dies), resolve the cache directory, open and
 * lock the target, read requirements.  It builds no plan and runs no
 * engine; the cmd_*.c files do.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bytecode.h"
#include "cache.h"
#include "cli.h"
#include "jobs.h"
#include "lockfile.h"
#include "engine.h"
#include "fetch.h"
#include "fsutil.h"
#include "reqs.h"
#include "resolve.h"
#include "sandbox.h"
#include "sig.h"
#include "target.h"
#include "txn.h"
#include "url.h"
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
"      --sandbox MODE    confine the workers (Landlock, seccomp, limits):\n"
"                        auto (default), require, off\n"
"      --no-fsync        flush nothing to disk: a power cut may then leave the\n"
"                        environment broken (or set FORKLIFT_NO_FSYNC=1)\n";

const char fetch_options_help[] =
"  -i, --index-url URL   the simple index to find pinned wheels on (default:\n"
"                        $FORKLIFT_INDEX_URL, else https://pypi.org/simple/)\n"
"      --extra-index-url URL\n"
"                        another index, asked for a project only when the ones\n"
"                        before it do not have it (repeatable)\n"
"  -f, --find-links DIR|URL\n"
"                        look for the pinned wheels in DIR, or on the page of\n"
"                        links at URL, before any index (repeatable)\n"
"      --no-index        use no index: only --find-links and the cache\n"
"      --offline         no network at all: the cache and local files only\n"
"      --cert FILE       CA certificates to trust (default: $SSL_CERT_FILE,\n"
"                        else the system's)\n"
"      --timeout SECONDS to connect, and for a stalled download (default: 15)\n"
"      --retries N       retries of a failed request (default: 5)\n"
"      --concurrent-downloads N\n"
"                        downloads at once (default: $FORKLIFT_CONCURRENT_DOWNLOADS,\n"
"                        else 16)\n";

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
	static const char	 units[] = "kmgt";
	const char		*u;
	char			*end;
	unsigned long long	 v;
	uint64_t		 mul = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
	if (*end != '\0') {
		/* k, m, g, t: powers of 1024 */
		if ((u = strchr(units, tolower((unsigned char)*end))) == NULL)
			return -1;
		mul = 1ULL << (10 * (u - units + 1));
		end++;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end != '\0' || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int color_mode = -1;	/* -1 auto, 0 never, 1 always */

static char **cli_argv;		/* for "--version -v" */

void
cli_init(char **argv)
{
	cli_argv = argv;
}

/* Is -v or --verbose anywhere on the command line (before "--")? */
static int
verbose_asked(void)
{
	char	**a;

	if (cli_argv == NULL)
		return 0;
	for (a = cli_argv + 1; *a && strcmp(*a, "--") != 0; a++)
		if (strcmp(*a, "--verbose") == 0 || ((*a)[0] == '-' &&
		    (*a)[1] != '-' && (*a)[1] != '\0' &&
		    strspn(*a + 1, "qv") == strlen(*a + 1) && strchr(*a, 'v')))
			return 1;
	return 0;
}

int
global_option(int c, const char *arg, struct globals *g)
{
	struct sandbox_support	sb;

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
		if (verbosity > 0 || verbose_asked()) {
			printf("jobs: %s\n", jobs_describe(jobs_default(NULL)));
			sandbox_probe(&sb);
			printf("sandbox: %s\n", sandbox_describe(&sb));
		}
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
		return sig_status();
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
	t->lock_stop = &sig_stop;
	t->readonly = o->readonly;
	if ((rc = target_lock(t, o->lock_timeout)) != 0)
		return lock_status(rc);
	if (sig_stop)
		return sig_status();
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

void
engine_opts_init(struct engine_opts *eo)
{
	memset(eo, 0, sizeof(*eo));
	eo->verify_record = 1;
	eo->max_unpacked = 8ULL << 30;
	eo->jobs = cli_default_jobs();
	eo->no_fsync = getenv("FORKLIFT_NO_FSYNC") != NULL &&
	    strcmp(getenv("FORKLIFT_NO_FSYNC"), "1") == 0;
}

void
engine_opts_finish(struct engine_opts *eo, struct target_opts *to,
    const struct bytecode_flags *bf, struct globals *g)
{
	globals_finish(g);
	eo->progress = g->progress;
	eo->compile_levels = bytecode_flags_levels(bf);
	eo->cache_dir = g->no_cache ? NULL : g->cache_dir;
	to->readonly = eo->dry_run;
}

int
engine_option(int c, const char *arg, struct engine_opts *eo, int *reinstall)
{
	char	*end;

	switch (c) {
	case 'j':
		eo->jobs = cli_jobs(arg);
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
	case OPT_ENGINE + 6:
		if ((eo->link_mode = link_mode_parse(arg)) < 0)
			die(EXIT_USAGE, "--link-mode: '%s' is not auto, reflink, "
			    "hardlink or copy", arg);
		return 1;
	case OPT_ENGINE + 7:
		if ((eo->sandbox = sandbox_mode_parse(arg)) < 0)
			die(EXIT_USAGE, "--sandbox: '%s' is not auto, require or off", arg);
		return 1;
	case OPT_ENGINE + 8:
		eo->no_fsync = 1;
		return 1;
	case OPT_ENGINE + 9:
		errno = 0;
		eo->max_members = strtoull(arg, &end, 10);
		if (errno || *end || end == arg || eo->max_members == 0)
			die(EXIT_USAGE, "--max-members: '%s' is not a positive number",
			    arg);
		return 1;
	}
	return 0;
}

/* A whole number from lo to hi for option opt, else exit 2. */
static long
cli_number(const char *opt, const char *arg, long lo, long hi)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || *end || end == arg || n < lo || n > hi)
		die(EXIT_USAGE, "%s: '%s' is not a number from %ld to %ld", opt, arg,
		    lo, hi);
	return n;
}

static int
is_http(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

int
fetch_option(int c, const char *arg, struct fetch_flags *ff)
{
	char	*shown;

	switch (c) {
	case 'i':
	case OPT_FETCH:
		if (!is_http(arg)) {
			shown = url_redact(arg);
			die(EXIT_USAGE, "%s: '%s' is not an http or https URL",
			    c == 'i' ? "--index-url" : "--extra-index-url", shown);
		}
		if (c == 'i')
			ff->index_url = arg;
		else
			strv_push(&ff->extra_index, arg);
		return 1;
	case 'f':
		strv_push(&ff->links, arg);
		return 1;
	case OPT_FETCH + 1:
		ff->no_index = 1;
		return 1;
	case OPT_FETCH + 2:
		ff->offline = 1;
		return 1;
	case OPT_FETCH + 3:
		if (access(arg, R_OK) != 0)
			die(EXIT_USAGE, "--cert '%s': %s", arg, strerror(errno));
		ff->cert = arg;
		return 1;
	case OPT_FETCH + 4:
		ff->timeout = cli_number("--timeout", arg, 1, 86400);
		return 1;
	case OPT_FETCH + 5:
		ff->retries = (int)cli_number("--retries", arg, 0, 100);
		return 1;
	case OPT_FETCH + 6:
		ff->concurrent = (int)cli_number("--concurrent-downloads", arg, 1, 1024);
		return 1;
	}
	return 0;
}

void
fetch_flags_free(struct fetch_flags *ff)
{
	strv_free(&ff->extra_index);
	strv_free(&ff->links);
}

int
cli_resolve(struct reqs *rq, const struct target *t, const struct fetch_flags *ff,
    const struct globals *g, int reinstall, struct fetch_opts *fo)
{
	struct resolve_opts	 ro;
	struct strv		 extra = STRV_INIT;
	const char		*env = getenv("FORKLIFT_INDEX_URL");
	size_t			 i;
	int			 rc;

	memset(fo, 0, sizeof(*fo));
	fo->cache_dir = g->no_cache ? NULL : g->cache_dir;
	fo->cert_file = ff->cert;
	fo->timeout = ff->timeout;
	fo->retries = ff->retries;
	fo->max_concurrent = ff->concurrent;
	fo->offline = ff->offline;
	fo->stop = &sig_stop;
	fo->wake_fd = sig_wake_fd();
	memset(&ro, 0, sizeof(ro));
	ro.cache_dir = fo->cache_dir;
	ro.offline = ff->offline;
	ro.reinstall = reinstall;
	/* The command line, then the files, then the environment; the
	 * default index only without --find-links: a wheelhouse named alone
	 * stays an offline install, as it always was. */
	if (ff->index_url != NULL)
		ro.index_url = ff->index_url;
	else if (rq->index_url != NULL)
		ro.index_url = rq->index_url;
	else if (env != NULL && *env != '\0')
		ro.index_url = env;
	else if (rq->find_links.n == 0 && rq->find_pages.n == 0)
		ro.index_url = "https://pypi.org/simple/";
	if (ff->no_index || rq->no_index)
		ro.index_url = NULL;
	if (ro.index_url != NULL) {
		for (i = 0; i < ff->extra_index.n; i++)
			strv_push(&extra, ff->extra_index.v[i]);
		for (i = 0; i < rq->extra_index.n; i++)
			strv_push(&extra, rq->extra_index.v[i]);
		ro.extra_index = &extra;
	}
	rc = resolve_reqs(rq, t, fo, &ro);
	strv_free(&extra);
	if (rc == FETCH_STOPPED || sig_stop)
		return sig_status();
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

unsigned int
cli_jobs(const char *arg)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || *end || end == arg || n < 1 || n > 1024)
		die(EXIT_USAGE, "--jobs: '%s' is not a number from 1 to 1024", arg);
	return (unsigned int)n;
}

unsigned int
cli_default_jobs(void)
{
	return jobs_default(NULL);
}

int
cli_fail_status(void)
{
	return sig_stop ? sig_status() : EXIT_FAIL;
}

const char lock_options_help[] =
"      --extra NAME      lock files: select the packages of extra NAME\n"
"                        (repeatable)\n"
"      --group NAME      lock files: select the packages of dependency group\n"
"                        NAME (repeatable; default: the file's default-groups)\n";

int
lock_option(int c, const char *arg, struct lock_flags *f)
{
	switch (c) {
	case OPT_LOCK:
		strv_push(&f->extras, arg);
		return 1;
	case OPT_LOCK + 1:
		strv_push(&f->groups, arg);
		return 1;
	}
	return 0;
}

int
install_option(int c, const char *arg, const struct install_flags *f)
{
	return global_option(c, arg, f->g) || target_option(c, arg, f->to) ||
	    bytecode_option(c, arg, f->bf) || fetch_option(c, arg, f->ff) ||
	    engine_option(c, arg, f->eo, f->reinstall) || lock_option(c, arg, f->lf);
}

int
lock_flags_check(const struct lock_flags *f, char *const *files, size_t n)
{
	size_t	i;

	if (f->extras.n == 0 && f->groups.n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (lockfile_is_name(files[i]))
			return 0;
	error_msg("--%s applies to lock files (pylock.toml, pylock.NAME.toml), "
	    "and none was given", f->extras.n ? "extra" : "group");
	return EXIT_USAGE;
}

void
lock_flags_free(struct lock_flags *f)
{
	strv_free(&f->extras);
	strv_free(&f->groups);
}

int
cli_read_reqs(struct reqs *rq, const struct target *t,
    const struct req_sources *src)
{
	size_t	i;

	reqs_init(rq, &t->info);
	for (i = 0; src->links != NULL && i < src->links->n; i++)
		reqs_add_find_links(rq, src->links->v[i]);
	if (src->require_hashes) {
		rq->require_hashes = 1;
		rq->hash_why = xstrdup("--require-hashes");
	}
	for (i = 0; src->cons != NULL && i < src->cons->n; i++)
		(void)reqs_read(rq, src->cons->v[i], 1);
	for (i = 0; i < src->nfiles; i++) {
		if (lockfile_is_name(src->files[i]))
			(void)lockfile_read(rq, src->files[i], &t->tags, src->extras,
			    src->groups);
		else
			(void)reqs_read(rq, src->files[i], 0);
	}
	for (i = 0; i < src->nwheels; i++)
		(void)reqs_add_wheel(rq, src->wheels[i]);
	(void)reqs_finish(rq);
	for (i = 0; i < rq->errors.n; i++)
		error_msg("%s", rq->errors.v[i]);
	return rq->errors.n > 0 ? -1 : 0;
}
