/*
 * bytecode.c: --compile-bytecode, in the staging trees, before the commit.
 *
 * It lists the .py files of each staged wheel's purelib and platlib trees,
 * makes one work item per file and optimization level, largest file first,
 * and has up to -j "compile servers" (bytecode_server.c) compile them.
 * Finally each wheel's RECORD in staging gains a row (empty hash and
 * size) per .pyc written.
 *
 * It never writes outside the staging trees it is given, and never
 * touches the live environment.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytecode.h"
#include "bytecode_impl.h"
#include "fsutil.h"
#include "record.h"
#include "target.h"
#include "util.h"

int
bytecode_parse_levels(const char *s, unsigned int *levels)
{
	const char	*p = s;
	unsigned int	 v = 0;

	for (;;) {
		if (*p < '0' || *p > '2' || (p[1] != ',' && p[1] != '\0'))
			return err_set("'%s' is not a list of optimization levels "
			    "(0, 1, 2, such as 0,1)", s);
		v |= BYTECODE_LEVEL(*p - '0');
		if (p[1] == '\0')
			break;
		p += 2;
	}
	*levels = v;
	return 0;
}

/* ---- what to compile -------------------------------------------------- */

static void
add_file(struct bc_run *r, size_t tree, char *staged, char *final, uint64_t size)
{
	struct bc_file	*f;

	if (strpbrk(staged, "\t\n") != NULL || strpbrk(final, "\t\n") != NULL) {
		warn_msg("%s: not compiling '%s': its path holds a tab or a newline",
		    r->trees[tree].label, final);
		free(staged);
		free(final);
		return;
	}
	if (r->nfiles == r->capfiles) {
		r->capfiles = r->capfiles ? r->capfiles * 2 : 256;
		r->files = xreallocarray(r->files, r->capfiles, sizeof(*r->files));
	}
	f = &r->files[r->nfiles++];
	f->staged = staged;
	f->final = final;
	f->size = size;
	f->tree = tree;
	f->warned = 0;
}

/* Every regular *.py file under the staged directory dir. */
static int
walk(struct bc_run *r, size_t tree, const char *dir, const char *final)
{
	struct strv	 names = STRV_INIT;
	struct stat	 st;
	size_t		 i;
	int		 rc = 0;

	if (dir_names(dir, "__pycache__", &names) != 0)
		return -1;
	strv_sort(&names);
	for (i = 0; i < names.n && rc == 0; i++) {
		char	*s = path_join(dir, names.v[i]);
		char	*f = path_join(final, names.v[i]);

		if (lstat(s, &st) != 0)
			rc = err_set("cannot stat '%s': %s", s, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = walk(r, tree, s, f);
		else if (S_ISREG(st.st_mode) && str_ends(names.v[i], ".py")) {
			add_file(r, tree, s, f, (uint64_t)st.st_size);
			continue;
		}
		free(s);
		free(f);
	}
	strv_free(&names);
	return rc;
}

/* The staged trees' .py files and each wheel's RECORD. */
static int
collect(struct bc_run *r, size_t ntrees)
{
	static const char *const keys[] = { "purelib", "platlib" };
	const char	*dests[2] = { r->t->purelib, r->t->platlib };
	struct dirent	*e;
	struct stat	 st;
	DIR		*d;
	size_t		 i, k;
	char		*dir;

	for (i = 0; i < ntrees; i++) {
		for (k = 0; k < 2; k++) {
			dir = path_join(r->trees[i].stage, keys[k]);
			if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
				free(dir);
				continue;
			}
			if ((d = opendir(dir)) != NULL) {
				while ((e = readdir(d)) != NULL)
					if (str_ends(e->d_name, ".dist-info") &&
					    r->bt[i].record == NULL) {
						r->bt[i].record = xasprintf("%s/%s/RECORD",
						    dir, e->d_name);
						r->bt[i].home = dests[k];
					}
				closedir(d);
			}
			if (walk(r, i, dir, dests[k]) != 0) {
				free(dir);
				return err_prefix("%s", r->trees[i].label);
			}
			free(dir);
		}
		if (r->bt[i].record == NULL)
			return err_set("%s: no dist-info directory in staging",
			    r->trees[i].label);
	}
	return 0;
}

static int
cmp_items(const void *a, const void *b, void *arg)
{
	const struct bc_run	*r = arg;
	const struct bc_item	*x = &r->items[*(const size_t *)a];
	const struct bc_item	*y = &r->items[*(const size_t *)b];
	uint64_t		 sx = r->files[x->file].size, sy = r->files[y->file].size;

	if (sx != sy)
		return sx < sy ? 1 : -1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void
make_items(struct bc_run *r, unsigned int levels)
{
	size_t		 i, n = 0;
	unsigned int	 l;

	r->items = xcalloc(r->nfiles * 3, sizeof(*r->items));
	for (i = 0; i < r->nfiles; i++)
		for (l = 0; l < 3; l++)
			if (levels & BYTECODE_LEVEL(l)) {
				r->items[n].file = i;
				r->items[n].level = l;
				n++;
			}
	r->nitems = n;
	r->order = xcalloc(n, sizeof(*r->order));
	r->retry = xcalloc(n, sizeof(*r->retry));
	for (i = 0; i < n; i++)
		r->order[i] = i;
	qsort_r(r->order, n, sizeof(*r->order), cmp_items, r);
}

/* ---- RECORD ------------------------------------------------------------- */

static int
record_add_pycs(const char *path, struct strv *pycs)
{
	struct record		 rec;
	struct record_out	 o = { NULL, 0, 0, 0 };
	const struct record_row	*w;
	char			*text, *tmp;
	size_t			 len, i;
	int			 fd, rc = 0;

	if (read_file(path, (size_t)256 << 20, &text, &len) != 0)
		return -1;
	if (record_parse(text, len, &rec) != 0) {
		free(text);
		return err_prefix("'%s'", path);
	}
	free(text);
	for (i = 0; i < rec.n && rc == 0; i++) {
		w = &rec.rows[i];
		if (w->algo == HASH_SHA256 && w->size >= 0)
			record_out_add(&o, w->path, w->digest, (uint64_t)w->size);
		else if (w->algo == HASH_NONE && w->size < 0)
			record_out_add_bare(&o, w->path);
		else
			rc = err_set("'%s': unexpected row for '%s'", path, w->path);
	}
	for (i = 0; i < pycs->n && rc == 0; i++)
		if (record_find(&rec, pycs->v[i]) == NULL)
			record_out_add_bare(&o, pycs->v[i]);
	record_free(&rec);
	tmp = xasprintf("%s.bytecode", path);
	if (rc == 0 && (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0666)) < 0)
		rc = err_set("cannot create '%s': %s", tmp, strerror(errno));
	else if (rc == 0) {
		rc = record_out_write(&o, fd);
		if (close(fd) != 0 && rc == 0)
			rc = err_set("'%s': %s", tmp, strerror(errno));
		/* A new file, not the old one rewritten: never a shared inode. */
		if (rc == 0 && rename(tmp, path) != 0)
			rc = err_set("cannot rename '%s': %s", tmp, strerror(errno));
		if (rc != 0)
			unlink(tmp);
	}
	free(tmp);
	record_out_free(&o);
	return rc;
}

/* ---- the whole job ------------------------------------------------------ */

int
bytecode_compile(const struct target *t, const struct bytecode_tree *trees,
    size_t ntrees, const struct bytecode_opts *o, struct bytecode_stats *st)
{
	struct sigaction	 ign, old;
	struct bc_run		 r;
	unsigned int		 levels = o->levels;
	size_t			 i;
	int			 rc;

	memset(st, 0, sizeof(*st));
	if (levels == 0 || ntrees == 0)
		return 0;
	memset(&r, 0, sizeof(r));
	r.t = t;
	r.trees = trees;
	r.o = o;
	r.st = st;
	r.legacy = t->info.major < 3;
	if (r.legacy && levels != BYTECODE_LEVEL(0)) {
		warn_msg("Python %d keeps one .pyc per module: compiling "
		    "optimization level 0 only", t->info.major);
		levels = BYTECODE_LEVEL(0);
	}
	r.bt = xcalloc(ntrees, sizeof(*r.bt));
	rc = collect(&r, ntrees);
	if (rc == 0 && r.nfiles > 0) {
		make_items(&r, levels);
		r.nsrv = o->jobs < 1 ? 1 : o->jobs;
		if (r.nsrv > r.nitems)
			r.nsrv = (unsigned int)r.nitems;
		r.srv = xcalloc(r.nsrv, sizeof(*r.srv));
		/* A write to a dead server must be EPIPE, not the end of forklift. */
		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &ign, &old);
		rc = bytecode_serve(&r);
		sigaction(SIGPIPE, &old, NULL);
	}
	for (i = 0; i < ntrees && rc == 0; i++)
		if (r.bt[i].pycs.n > 0 && record_add_pycs(r.bt[i].record, &r.bt[i].pycs) != 0)
			rc = err_prefix("%s", trees[i].label);
	for (i = 0; i < ntrees; i++) {
		free(r.bt[i].record);
		strv_free(&r.bt[i].pycs);
	}
	for (i = 0; i < r.nfiles; i++) {
		free(r.files[i].staged);
		free(r.files[i].final);
	}
	free(r.bt);
	free(r.files);
	free(r.items);
	free(r.order);
	free(r.retry);
	free(r.srv);
	return rc;
}
