/*
 * cmd_list.c: "forklift list": the installed distributions, as columns,
 * in requirements ("freeze") form or as JSON.  Names are spelled as each
 * project's METADATA spells them (installed_describe()).
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fsutil.h"
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
"      --format FORMAT   columns (default), freeze or json\n"
"\n"
"%s";

enum list_format { LIST_COLUMNS, LIST_FREEZE, LIST_JSON };

/* A JSON array of {name, version, installer, location}, on stdout. */
static int
print_json(const struct distlist *l)
{
	json_t	*a;
	size_t	 i;
	char	*loc;
	int	 rc;

	a = json_array();
	for (i = 0; i < l->n; i++) {
		const struct dist *x = &l->v[i];

		loc = xstrndup(x->dir, (size_t)(path_base(x->dir) - x->dir - 1));
		json_array_append_new(a, json_pack("{s:s, s:s, s:s?, s:s}",
		    "name", x->meta_name, "version", x->version,
		    "installer", x->installer, "location", loc));
		free(loc);
	}
	rc = json_dumpf(a, stdout, JSON_INDENT(2)) == 0 && putchar('\n') != EOF;
	json_decref(a);
	if (!rc)
		error_msg("list: cannot write the JSON output");
	return rc ? EXIT_OK : EXIT_FAIL;
}

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
	enum list_format	 fmt = LIST_COLUMNS;
	int			 c, rc;

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
				fmt = LIST_FREEZE;
			else if (strcmp(optarg, "columns") == 0)
				fmt = LIST_COLUMNS;
			else if (strcmp(optarg, "json") == 0)
				fmt = LIST_JSON;
			else
				die(EXIT_USAGE, "--format: '%s' is not columns, freeze or json",
				    optarg);
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
	for (i = 0; i < l.n; i++) {
		installed_describe(&l.v[i]);
		if (strlen(l.v[i].meta_name) > w)
			w = strlen(l.v[i].meta_name);
	}
	if (fmt == LIST_JSON) {
		rc = print_json(&l);
		distlist_free(&l);
		target_close(&t);
		return rc;
	}
	if (fmt == LIST_COLUMNS && l.n > 0)
		printf("%-*s %s\n%.*s %s\n", (int)w, "Name", "Version", (int)w,
		    "------------------------------------------------------------------------",
		    "-------");
	for (i = 0; i < l.n; i++) {
		if (fmt == LIST_FREEZE)
			printf("%s==%s\n", l.v[i].meta_name, l.v[i].version);
		else
			printf("%-*s %s\n", (int)w, l.v[i].meta_name, l.v[i].version);
	}
	distlist_free(&l);
	target_close(&t);
	return EXIT_OK;
}
