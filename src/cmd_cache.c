/*
 * cmd_cache.c: "forklift cache dir|info|clean|prune": looking at and
 * trimming the cache of unpacked wheels, downloaded archives and index
 * pages.  Safe while other forklift
 * processes use the cache: entries are removed by renaming them away
 * first (cache.c).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_admin.h"
#include "commands.h"
#include "util.h"

static const char cache_help[] =
"usage: forklift cache dir|info|clean|prune [OPTIONS]\n"
"\n"
"  dir                   print the cache directory\n"
"  info                  entries, bytes, oldest use, leftover temporary directories\n"
"  clean                 remove everything in the cache\n"
"  prune                 remove entries not used for a while, and temporary leftovers\n"
"\n"
"      --older-than DAYS  with prune: entries unused for this many days (default: 30)\n"
"\n"
"%s";

static void
human(uint64_t n, char *out, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double		 v = (double)n;
	size_t		 u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(unit)) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

int
cmd_cache(int argc, char **argv, struct globals *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		{ "older-than", required_argument, NULL, OPT_LOCAL + 40 },
		{ NULL, 0, NULL, 0 }
	};
	struct cache_info	 ci;
	struct cache_fetch_info	 fi;
	const char		*what;
	double			 days = 30;
	unsigned long		 removed;
	char			*end, size[32], asize[32], psize[32], when[64];
	int			 c;

	while ((c = getopt_long(argc, argv, "hqv", longopts, NULL)) != -1) {
		if (global_option(c, optarg, g))
			continue;
		switch (c) {
		case 'h':
			printf(cache_help, global_options_help);
			return EXIT_OK;
		case OPT_LOCAL + 40:
			days = strtod(optarg, &end);
			if (*end || end == optarg || days < 0)
				die(EXIT_USAGE, "--older-than: '%s' is not a number of days",
				    optarg);
			break;
		default:
			fprintf(stderr, "Run 'forklift cache --help' for the options.\n");
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		error_msg("cache: say one of dir, info, clean, prune");
		return EXIT_USAGE;
	}
	what = argv[optind];
	globals_finish(g);
	if (g->cache_dir == NULL) {
		error_msg("cache: there is no cache directory (set HOME, FORKLIFT_CACHE_DIR "
		    "or --cache-dir)");
		return EXIT_FAIL;
	}
	if (strcmp(what, "dir") == 0) {
		printf("%s\n", g->cache_dir);
		return EXIT_OK;
	}
	if (strcmp(what, "info") == 0) {
		if (cache_info(g->cache_dir, &ci) != 0 ||
		    cache_fetch_info(g->cache_dir, &fi) != 0) {
			error_msg("cache: %s", err_get());
			return EXIT_FAIL;
		}
		human(ci.bytes, size, sizeof(size));
		human(fi.archive_bytes, asize, sizeof(asize));
		human(fi.page_bytes, psize, sizeof(psize));
		if (fi.oldest && (ci.oldest == 0 || fi.oldest < ci.oldest))
			ci.oldest = fi.oldest;
		if (ci.oldest) {
			time_t	t = (time_t)ci.oldest;

			strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&t));
		} else
			snprintf(when, sizeof(when), "-");
		printf("directory:  %s\nentries:    %lu\nsize:       %s\n"
		    "oldest use: %s\ntemporary:  %lu\narchives:   %lu (%s)\n"
		    "pages:      %lu (%s)\n", g->cache_dir, ci.entries, size,
		    when, ci.tmp, fi.archives, asize, fi.pages, psize);
		return EXIT_OK;
	}
	if (strcmp(what, "clean") == 0) {
		if (cache_clean(g->cache_dir) != 0) {
			error_msg("cache: %s", err_get());
			return cli_fail_status();
		}
		note_msg("removed the cache '%s'", g->cache_dir);
		return EXIT_OK;
	}
	if (strcmp(what, "prune") == 0) {
		if (cache_prune(g->cache_dir, days, &removed) != 0) {
			error_msg("cache: %s", err_get());
			return cli_fail_status();
		}
		note_msg("removed %lu cache entr%s unused for %g days", removed,
		    removed == 1 ? "y" : "ies", days);
		if (cache_fetch_prune(g->cache_dir, days, &removed) != 0) {
			error_msg("cache: %s", err_get());
			return EXIT_FAIL;
		}
		if (removed)
			note_msg("removed %lu downloaded archive%s and page%s unused for "
			    "%g days", removed, removed == 1 ? "" : "s",
			    removed == 1 ? "" : "s", days);
		return EXIT_OK;
	}
	error_msg("cache: '%s' is not dir, info, clean or prune", what);
	return EXIT_USAGE;
}
