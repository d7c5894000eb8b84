/*
 * cmd_sync.c: "forklift sync REQUIREMENTS...": make an environment match
 * pinned requirements files exactly, in one transaction: install what is
 * missing, replace what differs, remove what is not listed.  Options, the
 * requirements, the plan, the engine, and the --json report.  Thin by
 * design: reqs.c reads the files, plan.c decides, engine.c changes the
 * environment.  A sync with nothing to do opens no wheel and no METADATA
 * and starts no Python.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cache.h"
#include "commands.h"
#include "engine.h"
#include "fetch.h"
#include "plan.h"
#include "reqs.h"
#include "target.h"
#include "url.h"
#include "util.h"

static const char sync_help[] =
"usage: forklift sync [OPTIONS] REQUIREMENTS...\n"
"\n"
"Make a Python environment match pinned requirements files or a lock file\n"
"(pylock.toml, pylock.NAME.toml): install what is missing, replace what\n"
"differs, remove what is not listed; all or nothing.\n"
"\n"
"Target:\n"
"  -p, --python PATH     virtual environment directory or interpreter\n"
"                        (default: $VIRTUAL_ENV, else ./.venv)\n"
"      --system          allow an interpreter outside a virtual environment\n"
"      --break-system-packages\n"
"                        change it even where EXTERNALLY-MANAGED (PEP 668) says not to\n"
"      --prefix DIR      the interpreter's scheme re-rooted at DIR\n"
"      --target DIR      everything flat in DIR, scripts in DIR/bin\n"
"      --lock-timeout SECONDS\n"
"                        wait this long for another forklift (default: 300)\n"
"\n"
"Requirements:\n"
"  -c, --constraint FILE versions in FILE restrict the requirements (repeatable)\n"
"      --require-hashes  every requirement needs a --hash (hash-checking mode)\n"
"      --exact           remove pip, setuptools and wheel too, unless listed\n"
"%s"
"\n"
"Sync options:\n"
"  -j, --jobs N          worker processes (default: $FORKLIFT_JOBS, else the\n"
"                        CPUs this process may use; -v says why)\n"
"      --reinstall       reinstall distributions installed at the pinned version\n"
"      --dry-run         print the plan (+ add, - remove, ~ replace), change nothing\n"
"      --json            print the plan or the result as JSON on standard output\n"
"%s"
"%s"
"\n"
"Where wheels come from:\n"
"%s"
"\n"
"%s";

enum {
	OPT_JSON = OPT_LOCAL + 40,
	OPT_REQUIRE_HASHES,
	OPT_EXACT
};

/* A wheel to add: where it came from, and for a download its URL
 * (without password), its size and whether the cache had it. */
static json_t *
json_wheel(const struct plan_wheel *w)
{
	json_t	*o;
	char	*shown;

	o = json_pack("{s:s, s:s}", "name", w->fn.name, "wheel",
	    w->path ? w->path : w->base);
	if (w->url != NULL) {
		shown = url_redact(w->url);
		json_object_set_new(o, "url", json_string(shown));
		free(shown);
	}
	if (w->url != NULL || w->from_cache) {
		json_object_set_new(o, "bytes", json_integer((json_int_t)(w->bytes ?
		    w->bytes : w->size)));
		json_object_set_new(o, "from_cache", json_boolean(w->from_cache));
	}
	return o;
}

/* "name version" (plan.unchanged) as {"name": ..., "version": ...}. */
static json_t *
json_dist(const char *name, const char *version)
{
	return json_pack("{s:s, s:s}", "name", name, "version", version);
}

static void
print_json(const struct plan *p, const struct strv *same, int dry_run, int rc)
{
	json_t	*root, *add, *rep, *rm, *un;
	char	*s, *sp;
	size_t	 i;

	add = json_array();
	rep = json_array();
	rm = json_array();
	un = json_array();
	for (i = 0; p != NULL && i < p->nadd; i++) {
		const struct plan_wheel	*w = &p->add[i];

		json_t			*o = json_wheel(w);

		if (w->old != NULL) {
			json_object_set_new(o, "from", json_string(w->old->version));
			json_object_set_new(o, "to", json_string(w->fn.version));
			json_array_append_new(rep, o);
		} else {
			json_object_set_new(o, "version", json_string(w->fn.version));
			json_array_append_new(add, o);
		}
	}
	for (i = 0; p != NULL && i < p->nremove; i++)
		json_array_append_new(rm, json_dist(p->remove[i]->name,
		    p->remove[i]->version));
	for (i = 0; same != NULL && i < same->n; i++) {
		s = xstrdup(same->v[i]);
		if ((sp = strchr(s, ' ')) != NULL)
			*sp++ = '\0';
		json_array_append_new(un, json_dist(s, sp ? sp : ""));
		free(s);
	}
	root = json_pack("{s:b, s:b, s:i, s:o, s:o, s:o, s:o}",
	    "dry_run", dry_run, "ok", rc == 0, "exit_status", rc,
	    "install", add, "replace", rep, "remove", rm, "unchanged", un);
	if (root == NULL || json_dumpf(root, stdout, JSON_INDENT(2)) != 0)
		BUG("cannot encode the JSON report");
	putchar('\n');
	fflush(stdout);
	json_decref(root);
}

int
cmd_sync(int argc, char **argv, struct globals *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		TARGET_LONGOPTS,
		BYTECODE_LONGOPTS,
		FETCH_LONGOPTS,
		{ "constraint", required_argument, NULL, 'c' },
		{ "require-hashes", no_argument, NULL, OPT_REQUIRE_HASHES },
		{ "exact", no_argument, NULL, OPT_EXACT },
		LOCK_LONGOPTS,
		ENGINE_LONGOPTS,
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 }
	};
	struct target_opts	 to;
	struct bytecode_flags	 bf = BYTECODE_FLAGS_INIT;
	struct engine_opts	 eo;
	struct sync_opts	 so;
	struct fetch_flags	 ff = FETCH_FLAGS_INIT;
	struct fetch_opts	 fo;
	struct strv		 cons = STRV_INIT;
	struct strv		 same = STRV_INIT;
	struct install_flags	 fl;
	struct lock_flags	 lf = { STRV_INIT, STRV_INIT };
	struct target		 t;
	struct reqs		 rq;
	struct req_sources	 src;
	struct plan		 p;
	int			 c, json = 0, hashes = 0, rc, planned = 0;

	memset(&to, 0, sizeof(to));
	to.lock_timeout = 300;
	engine_opts_init(&eo);
	memset(&so, 0, sizeof(so));
	memset(&src, 0, sizeof(src));
	so.remove = 1;
	fl = (struct install_flags){ g, &to, &bf, &ff, &eo, &so.reinstall, &lf };
	while ((c = getopt_long(argc, argv, "hqvp:j:f:c:i:", longopts, NULL)) != -1) {
		if (install_option(c, optarg, &fl))
			continue;
		switch (c) {
		case 'h':
			printf(sync_help, lock_options_help, engine_options_help,
			    bytecode_options_help, fetch_options_help, global_options_help);
			return EXIT_OK;
		case 'c':
			strv_push(&cons, optarg);
			break;
		case OPT_REQUIRE_HASHES:
			hashes = 1;
			break;
		case OPT_EXACT:
			so.exact = 1;
			break;
		case OPT_JSON:
			json = 1;
			break;
		default:
			fprintf(stderr, "Run 'forklift sync --help' for the options.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		error_msg("sync: no requirements file given (forklift sync "
		    "REQUIREMENTS...)");
		return EXIT_USAGE;
	}
	if ((rc = lock_flags_check(&lf, argv + optind, (size_t)(argc - optind))) != 0)
		goto out;
	engine_opts_finish(&eo, &to, &bf, g);
	if ((rc = target_prepare(&t, &to, g)) != 0) {
		if (json)
			print_json(NULL, NULL, eo.dry_run, rc);
		goto out;
	}
	src.files = argv + optind;
	src.nfiles = (size_t)(argc - optind);
	src.cons = &cons;
	src.links = &ff.links;
	src.require_hashes = hashes;
	src.extras = &lf.extras;
	src.groups = lf.groups.n > 0 ? &lf.groups : NULL;
	if (cli_read_reqs(&rq, &t, &src) != 0)
		rc = cli_fail_status();
	else if ((rc = cli_resolve(&rq, &t, &ff, g, so.reinstall, &fo)) != 0)
		;
	else if (planned = 1, plan_sync(&p, &t, &rq, &so) != 0)
		rc = cli_fail_status();
	else {
		/* What is already as pinned is the point of a sync, not news. */
		same = p.unchanged;
		memset(&p.unchanged, 0, sizeof(p.unchanged));
		eo.fetch = &fo;
		if (!(json && eo.dry_run))
			rc = engine_run(&t, &p, &eo);
		if (json)
			print_json(&p, &same, eo.dry_run, rc);
		json = 0;
	}
	if (json)	/* the requirements or the plan failed */
		print_json(NULL, NULL, eo.dry_run, rc);
	if (planned)
		plan_free(&p);
	reqs_free(&rq);
	target_close(&t);
out:
	strv_free(&same);
	fetch_flags_free(&ff);
	strv_free(&cons);
	lock_flags_free(&lf);
	return rc;
}
