/*
 * cmd_verify.c: "forklift verify [NAME...]": every file an installed
 * distribution's RECORD lists is checked for its size and digest, and the
 * distribution's top-level package directories are searched for files no
 * installed RECORD lists (__pycache__ aside).  The distributions are
 * shared out over -j workers (runner.c), largest RECORD total first; each
 * finding comes back as one report line and the parent prints them
 * sorted, per distribution.  It reads the environment and never changes it.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "fsutil.h"
#include "installed.h"
#include "jobs.h"
#include "record.h"
#include "runner.h"
#include "sandbox.h"
#include "sig.h"
#include "target.h"
#include "util.h"
#include "version.h"

static const char verify_help[] =
"usage: forklift verify [OPTIONS] [NAME...]\n"
"\n"
"Check installed files against their RECORD: modified, missing and unlisted\n"
"files, for the named distributions or all of them.\n"
"\n"
"  -p, --python PATH     virtual environment directory or interpreter\n"
"                        (default: $VIRTUAL_ENV, else ./.venv)\n"
"      --system          allow an interpreter outside a virtual environment\n"
"      --prefix DIR      the interpreter's scheme re-rooted at DIR\n"
"      --target DIR      a directory filled with --target\n"
"      --lock-timeout SECONDS\n"
"                        wait this long for another forklift (default: 300)\n"
"  -j, --jobs N          worker processes (default: $FORKLIFT_JOBS, else the\n"
"                        CPUs this process may use; -v says why)\n"
"\n"
"%s";

struct vdist {
	struct dist	*d;
	struct record	 rec;
	int		 has_rec;
	char		*problem;	/* RECORD missing or malformed */
	char		*home;		/* the directory holding the dist-info */
	uint64_t	 weight;
	struct strv	 tops;		/* top-level package directories */
	struct strv	 lines;		/* findings, filled in the parent */
	uint64_t	 files;
};

struct vrun {
	const struct target *t;
	struct vdist	*v;
	size_t		 n;
	struct strv	 listed;	/* every path any RECORD lists, sorted */
	uint64_t	 files;
};

/* ---- in the worker ---------------------------------------------------- */

static const char *
rel_to_root(const struct vrun *r, const char *abs)
{
	size_t	n = strlen(r->t->root);

	if (strncmp(abs, r->t->root, n) == 0 && abs[n] == '/')
		return abs + n + 1;
	return abs;
}

static int
report(struct vrun *r, size_t i, const char *kind, const char *abs,
    const char *detail)
{
	char	*text;
	int	 rc;

	text = xasprintf("%s %s%s%s", kind, rel_to_root(r, abs),
	    detail ? " " : "", detail ? detail : "");
	rc = runner_report(i, text);
	free(text);
	return rc;
}

/* Check one listed file: its size, then its digest. */
static int
check_file(struct vrun *r, size_t i, const struct record_row *row,
    const char *abs)
{
	unsigned char	 dig[HASH_MAX];
	struct hasher	 h;
	struct stat	 st;
	char		 detail[96];
	int		 fd, n, saved;

	r->v[i].files++;
	if (row->algo == HASH_NONE) {
		/* Bytecode is a cache Python rebuilds: gone is not a problem. */
		if (lstat(abs, &st) != 0 && !str_ends(abs, ".pyc"))
			return report(r, i, "missing", abs, NULL);
		return 0;
	}
	if ((fd = open(abs, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return report(r, i, "missing", abs, NULL);
		if (errno == ELOOP)
			return report(r, i, "modified", abs, "(now a symbolic link)");
		snprintf(detail, sizeof(detail), "(unreadable: %s)", strerror(errno));
		return report(r, i, "modified", abs, detail);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return report(r, i, "modified", abs, "(not a regular file)");
	}
	if (row->size >= 0 && (int64_t)st.st_size != row->size) {
		close(fd);
		snprintf(detail, sizeof(detail), "(%lld bytes, RECORD says %lld)",
		    (long long)st.st_size, (long long)row->size);
		return report(r, i, "modified", abs, detail);
	}
	hasher_init(&h, row->algo);
	n = hasher_fd(&h, fd);
	saved = errno;
	close(fd);
	hasher_final(&h, dig);
	hasher_free(&h);
	if (n < 0) {
		snprintf(detail, sizeof(detail), "(unreadable: %s)", strerror(saved));
		return report(r, i, "modified", abs, detail);
	}
	if (memcmp(dig, row->digest, hash_algo_len(row->algo)) != 0) {
		snprintf(detail, sizeof(detail), "(%s differs)",
		    hash_algo_name(row->algo));
		return report(r, i, "modified", abs, detail);
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_listed(const struct vrun *r, const char *abs)
{
	return bsearch(&abs, r->listed.v, r->listed.n, sizeof(char *),
	    cmp_str) != NULL;
}

/* Report the files under dir that no RECORD lists; symlinks not followed. */
static int
walk_unlisted(struct vrun *r, size_t i, const char *dir)
{
	struct strv	 names = STRV_INIT;
	struct stat	 st;
	size_t		 k;
	int		 rc = 0;

	if (dir_names(dir, "__pycache__", &names) != 0)
		return 0;	/* nothing there to call unlisted */
	for (k = 0; k < names.n && rc == 0; k++) {
		char	*p = path_join(dir, names.v[k]);

		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rc = walk_unlisted(r, i, p);
		else if (!is_listed(r, p))
			rc = report(r, i, "unlisted", p, NULL);
		free(p);
	}
	strv_free(&names);
	return rc;
}

static int
verify_one(struct vrun *r, size_t i)
{
	struct vdist	*v = &r->v[i];
	char		*own = path_join(v->d->dir, "RECORD");
	size_t		 k;
	int		 rc = 0;

	for (k = 0; k < v->rec.n && rc == 0; k++) {
		char	*joined = v->rec.rows[k].path[0] == '/' ?
		    xstrdup(v->rec.rows[k].path) : path_join(v->home, v->rec.rows[k].path);
		char	*abs = path_abs(joined);

		free(joined);
		if (path_inside(abs, r->t->root) && strcmp(abs, own) != 0)
			rc = check_file(r, i, &v->rec.rows[k], abs);
		free(abs);
	}
	for (k = 0; k < v->tops.n && rc == 0; k++) {
		struct stat	st;

		/* A top-level directory replaced by a symlink is not followed. */
		if (lstat(v->tops.v[k], &st) == 0 && S_ISDIR(st.st_mode))
			rc = walk_unlisted(r, i, v->tops.v[k]);
	}
	free(own);
	return rc;
}

/* A verify worker reads the environment's files and writes nothing: it
 * confines itself before it reads any. */
static int
worker_init(void *arg)
{
	const struct vrun	*r = arg;
	struct sandbox_spec	sb;
	struct sandbox_report	rep;
	int			rc;

	sandbox_spec_init(&sb, SANDBOX_AUTO);
	strv_push(&sb.read, r->t->root);
	strv_push(&sb.read, r->t->purelib);
	strv_push(&sb.read, r->t->platlib);
	strv_push(&sb.read, r->t->scripts);
	strv_push(&sb.read, r->t->data);
	strv_push(&sb.read, r->t->include);
	sb.max_file = 1;
	sb.nofile = 64;
	sb.report_fd = runner_worker_fd();
	rc = sandbox_confine(&sb, &rep);
	sandbox_spec_free(&sb);
	return rc;
}

static int
worker_dist(void *arg, size_t i, struct runner_stats *st)
{
	struct vrun	*r = arg;

	if (verify_one(r, i) != 0)
		return err_set("cannot send a finding to the parent: %s",
		    strerror(errno));
	st->files = r->v[i].files;
	return 0;
}

/* ---- in the parent ---------------------------------------------------- */

static int
on_done(void *arg, size_t i, const struct runner_stats *st)
{
	struct vrun	*r = arg;

	(void)i;
	r->files += st->files;
	return 0;
}

static int
on_report(void *arg, size_t i, const char *text, size_t len)
{
	struct vrun	*r = arg;

	strv_push_owned(&r->v[i].lines, xstrndup(text, len));
	return 0;
}

static const char *
dist_label(void *arg, size_t i)
{
	struct vrun	*r = arg;

	return path_base(r->v[i].d->dir);
}

/* Parse a RECORD; collect its paths into listed, and for a distribution
 * to verify, its weight and top-level package directories. */
static void
load_record(struct vrun *r, struct vdist *v, int selected)
{
	char	*rpath, *text, *lib;
	size_t	 len, k;

	v->home = xstrndup(v->d->dir, (size_t)(path_base(v->d->dir) - v->d->dir - 1));
	rpath = path_join(v->d->dir, "RECORD");
	if (read_file(rpath, (size_t)256 << 20, &text, &len) != 0)
		v->problem = xstrdup("no readable RECORD: cannot tell which files "
		    "it owns");
	else if (record_parse(text, len, &v->rec) != 0) {
		v->problem = xasprintf("RECORD: %s", err_get());
		free(text);
	} else {
		v->has_rec = 1;
		free(text);
	}
	free(rpath);
	lib = v->home;
	for (k = 0; v->has_rec && k < v->rec.n; k++) {
		const struct record_row	*row = &v->rec.rows[k];
		char	*joined = row->path[0] == '/' ? xstrdup(row->path) :
		    path_join(v->home, row->path);
		char	*abs = path_abs(joined), *slash, *top;

		free(joined);
		if (selected && path_inside(abs, lib) && strcmp(abs, lib) != 0 &&
		    (slash = strchr(abs + strlen(lib) + 1, '/')) != NULL) {
			top = xstrndup(abs, (size_t)(slash - abs));
			if (str_ends(top, ".dist-info") || str_ends(top, ".data") ||
			    path_inside(r->t->scripts, top) ||
			    path_inside(r->t->include, top) ||
			    path_inside(r->t->data, top) ||
			    (v->tops.n && strcmp(v->tops.v[v->tops.n - 1], top) == 0))
				free(top);
			else
				strv_push_owned(&v->tops, top);
		}
		v->weight += 4096 + (row->size > 0 ? (uint64_t)row->size : 0);
		strv_push_owned(&r->listed, abs);
	}
	strv_sort(&v->tops);
	for (k = 1; v->tops.n > 1 && k < v->tops.n; ) {
		if (strcmp(v->tops.v[k], v->tops.v[k - 1]) == 0) {
			free(v->tops.v[k]);
			memmove(&v->tops.v[k], &v->tops.v[k + 1],
			    (v->tops.n - k) * sizeof(char *));
			v->tops.n--;
		} else
			k++;
	}
}

/* The distributions go to -j workers, heaviest RECORD first. */
static int
run_verify(struct vrun *r, unsigned int jobs)
{
	static const struct runner_ops ops = {
		.init = worker_init, .work = worker_dist, .done = on_done,
		.report = on_report, .label = dist_label, .frame = sandbox_frame,
		.describe_exit = sandbox_describe_exit,
	};
	struct runner_opts ro = { jobs, "verifying", "distributions", NULL };
	uint64_t	*w;
	size_t		 i;
	int		 rc;

	w = xcalloc(r->n ? r->n : 1, sizeof(*w));
	for (i = 0; i < r->n; i++)
		w[i] = r->v[i].weight;
	rc = runner_run(w, r->n, &ops, r, &ro);
	free(w);
	if (rc == -2 || sig_stop)
		return sig_status();
	return rc == 0 ? 0 : EXIT_FAIL;
}

/* Print the findings; returns the number of problems. */
static unsigned long
print_findings(struct vrun *r)
{
	unsigned long	problems = 0;
	size_t		i, k;

	for (i = 0; i < r->n; i++) {
		struct vdist	*v = &r->v[i];

		if (v->problem) {
			printf("%s %s: %s\n", v->d->name, v->d->version, v->problem);
			problems++;
		}
		strv_sort(&v->lines);
		for (k = 0; k < v->lines.n; k++)
			printf("%s %s: %s\n", v->d->name, v->d->version, v->lines.v[k]);
		problems += v->lines.n;
		if (verbosity > 0 && !v->problem && v->lines.n == 0)
			printf("%s %s: ok\n", v->d->name, v->d->version);
	}
	return problems;
}

/* Choose what to verify: the named distributions, or all of them. */
static int
select_dists(struct distlist *l, char **names, int n, int **sel)
{
	struct dist	*d;
	char		*norm;
	int		 i, bad = 0;

	*sel = xcalloc(l->n ? l->n : 1, sizeof(**sel));
	for (i = 0; i < n; i++) {
		norm = name_normalize(names[i]);
		if ((d = installed_find(l, norm)) == NULL) {
			error_msg("%s: not installed", names[i]);
			bad = 1;
		} else
			(*sel)[d - l->v] = 1;
		free(norm);
	}
	for (i = 0; n == 0 && (size_t)i < l->n; i++)
		(*sel)[i] = 1;
	return bad ? -1 : 0;
}

static int
verify(struct target *t, char **names, int n, unsigned int jobs)
{
	struct distlist	 l;
	struct vdist	*all;
	struct vrun	 r;
	unsigned long	 problems;
	size_t		 i;
	int		*sel, rc;

	memset(&r, 0, sizeof(r));
	r.t = t;
	installed_scan(t, &l);
	if (select_dists(&l, names, n, &sel) != 0) {
		free(sel);
		distlist_free(&l);
		return EXIT_FAIL;
	}
	all = xcalloc(l.n ? l.n : 1, sizeof(*all));
	/* Reading every RECORD of a large environment takes a while: a stop
	 * signal ends it. */
	for (i = 0; i < l.n; i++) {
		all[i].d = &l.v[i];
		if (!sig_stop)
			load_record(&r, &all[i], sel[i]);
	}
	qsort(r.listed.v, r.listed.n, sizeof(char *), cmp_str);
	/* The selected ones, in name order, first in the array. */
	r.v = xcalloc(l.n ? l.n : 1, sizeof(*r.v));
	for (i = 0; i < l.n; i++)
		if (sel[i])
			r.v[r.n++] = all[i];
	rc = sig_stop ? sig_status() : run_verify(&r, jobs);
	if (rc == 0) {
		problems = print_findings(&r);
		if (verbosity >= 0)
			fprintf(stderr, "Verified %zu distribution%s, %llu files: %lu "
			    "problem%s\n", r.n, r.n == 1 ? "" : "s",
			    (unsigned long long)r.files, problems, problems == 1 ? "" : "s");
		rc = problems ? EXIT_FAIL : EXIT_OK;
	}
	for (i = 0; i < l.n; i++) {
		if (all[i].has_rec)
			record_free(&all[i].rec);
		free(all[i].problem);
		free(all[i].home);
		strv_free(&all[i].tops);
	}
	for (i = 0; i < r.n; i++)
		strv_free(&r.v[i].lines);
	free(all);
	free(r.v);
	free(sel);
	strv_free(&r.listed);
	distlist_free(&l);
	return rc;
}

int
cmd_verify(int argc, char **argv, struct globals *g)
{
	static const struct option longopts[] = {
		GLOBAL_LONGOPTS,
		TARGET_LONGOPTS,
		{ "jobs", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct target_opts	 to;
	struct target		 t;
	unsigned int		 jobs;
	int			 c, rc;

	memset(&to, 0, sizeof(to));
	to.lock_timeout = 300;
	jobs = cli_default_jobs();
	while ((c = getopt_long(argc, argv, "hqvp:j:", longopts, NULL)) != -1) {
		if (global_option(c, optarg, g) || target_option(c, optarg, &to))
			continue;
		switch (c) {
		case 'h':
			printf(verify_help, global_options_help);
			return EXIT_OK;
		case 'j':
			jobs = cli_jobs(optarg);
			break;
		default:
			fprintf(stderr, "Run 'forklift verify --help' for the options.\n");
			return EXIT_USAGE;
		}
	}
	globals_finish(g);
	to.readonly = 1;
	if (verbosity > 0)
		note_msg("jobs: %s", jobs_describe(jobs));
	if ((rc = target_prepare(&t, &to, g)) != 0)
		return rc;
	rc = verify(&t, argv + optind, argc - optind, jobs);
	target_close(&t);
	return rc;
}
