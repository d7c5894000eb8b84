/*
 * installed.c: what is installed.  Scans the *.dist-info directories of
 * purelib and platlib, reads the header of METADATA and INSTALLER when
 * asked to describe one, and, for removal, turns an installed RECORD into the
 * list of files to move aside: only paths that stay inside the scheme
 * directories after normalization (checked component-wise, never by string
 * prefix) and whose directory, with symbolic links resolved, is still
 * inside the root and not forklift's own .forklift, so a crafted RECORD
 * cannot steer a removal out of the environment or into the journal.  It
 * changes nothing on disk.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "installed.h"
#include "record.h"
#include "target.h"
#include "util.h"
#include "version.h"
#include "wheel.h"

/* The METADATA header is read up to this many bytes at most. */
#define META_HEADER_MAX	(256 * 1024)

static int
cmp_dist(const void *a, const void *b)
{
	const struct dist	*x = a, *y = b;

	return strcmp(x->norm, y->norm);
}

static void
scan_dir(const char *dir, struct distlist *out, size_t *cap)
{
	struct dirent	*e;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char		*stem, *dash;
		struct dist	*x;

		if (!str_ends(e->d_name, ".dist-info") || e->d_name[0] == '.')
			continue;
		stem = xstrndup(e->d_name, strlen(e->d_name) - strlen(".dist-info"));
		if ((dash = strrchr(stem, '-')) == NULL || dash == stem || !dash[1]) {
			free(stem);
			continue;
		}
		*dash = '\0';
		if (out->n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			out->v = xreallocarray(out->v, *cap, sizeof(*out->v));
		}
		x = &out->v[out->n++];
		memset(x, 0, sizeof(*x));
		x->name = xstrdup(stem);
		x->norm = name_normalize(stem);
		x->version = xstrdup(dash + 1);
		x->dir = path_join(dir, e->d_name);
		free(stem);
	}
	closedir(d);
}

int
installed_scan(const struct target *t, struct distlist *out)
{
	size_t	cap = 0;

	memset(out, 0, sizeof(*out));
	scan_dir(t->purelib, out, &cap);
	if (strcmp(t->platlib, t->purelib) != 0)
		scan_dir(t->platlib, out, &cap);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_dist);
	return 0;
}

struct dist *
installed_find(const struct distlist *l, const char *norm)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].norm, norm) == 0)
			return &l->v[i];
	return NULL;
}

void
distlist_free(struct distlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].norm);
		free(l->v[i].version);
		free(l->v[i].dir);
		free(l->v[i].installer);
		free(l->v[i].meta_name);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* The lines of path up to its first blank line; NULL if unreadable. */
static char *
read_header(const char *path, size_t *len)
{
	struct buf	 b = BUF_INIT;
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	struct stat	 st;
	FILE		*f;
	int		 fd;

	/* Never block on a FIFO planted as METADATA. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return NULL;
	}
	while (b.len < META_HEADER_MAX && (n = getline(&line, &cap, f)) > 0) {
		if (strcmp(line, "\n") == 0 || strcmp(line, "\r\n") == 0)
			break;
		buf_add(&b, line, (size_t)n);
	}
	free(line);
	fclose(f);
	*len = b.len;
	buf_add(&b, "", 1);	/* NUL-terminate */
	return buf_detach(&b);
}

/* A project name: ASCII letters, digits, '.', '-', '_', starting and
 * ending with a letter or digit. */
static int
name_ok(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && strchr(".-_", s[i]) == NULL)
			return 0;
	return strchr(".-_", s[0]) == NULL && strchr(".-_", s[n - 1]) == NULL;
}

void
installed_describe(struct dist *x)
{
	char	*path, *text, *name = NULL, *norm, *nl;
	size_t	 len;

	path = path_join(x->dir, "METADATA");
	if ((text = read_header(path, &len)) != NULL) {
		name = metadata_field(text, len, "Name");
		free(text);
	}
	free(path);
	if (name != NULL) {
		norm = name_ok(name) ? name_normalize(name) : NULL;
		if (norm == NULL || strcmp(norm, x->norm) != 0) {
			free(name);
			name = NULL;
		}
		free(norm);
	}
	free(x->meta_name);
	x->meta_name = name != NULL ? name : xstrdup(x->name);

	free(x->installer);
	x->installer = NULL;
	path = path_join(x->dir, "INSTALLER");
	if (read_file(path, 4096, &text, &len) == 0) {
		if ((nl = strpbrk(text, "\r\n")) != NULL)
			*nl = '\0';
		if (text[0] != '\0')
			x->installer = xstrdup(text);
		free(text);
	}
	free(path);
}

static int
in_scheme(const struct target *t, const char *abs)
{
	return path_inside(abs, t->root) || path_inside(abs, t->purelib) ||
	    path_inside(abs, t->platlib) || path_inside(abs, t->scripts) ||
	    path_inside(abs, t->data) || path_inside(abs, t->include);
}

/* For pkg/mod.py, the bytecode pkg/__pycache__/mod.*.pyc that exists. */
static void
add_bytecode(const char *py, struct strv *out)
{
	const char	*base = path_base(py);
	char		*dir, *cache, *stem;
	struct dirent	*e;
	DIR		*d;

	dir = xstrndup(py, (size_t)(base - py));
	cache = xasprintf("%s__pycache__", dir);
	stem = xstrndup(base, strlen(base) - 3);
	if ((d = opendir(cache)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (str_starts(e->d_name, stem) && e->d_name[strlen(stem)] == '.' &&
			    str_ends(e->d_name, ".pyc"))
				strv_push_owned(out, path_join(cache, e->d_name));
		}
		closedir(d);
	}
	free(dir);
	free(cache);
	free(stem);
}

/*
 * Does abs stay in the environment once symbolic links are resolved?  Its
 * directory must resolve to a place inside the root's real path, and not
 * into forklift's own .forklift directory.  A directory that does not
 * exist holds nothing to remove, so it passes.  last/last_ok cache the
 * answer for the previous directory (RECORD rows come grouped).
 */
static int
stays_inside(const char *realroot, const char *abs, char **last, int *last_ok)
{
	char	*dir, *real, *fl;
	int	 ok;

	dir = xstrndup(abs, (size_t)(path_base(abs) - abs));
	if (*last != NULL && strcmp(*last, dir) == 0) {
		free(dir);
		return *last_ok;
	}
	if ((real = realpath(dir, NULL)) == NULL)
		ok = errno == ENOENT || errno == ENOTDIR;
	else {
		fl = path_join(realroot, ".forklift");
		ok = path_inside(real, realroot) && !path_inside(real, fl);
		free(fl);
		free(real);
	}
	free(*last);
	*last = dir;
	*last_ok = ok;
	return ok;
}

int
installed_files(const struct target *t, const struct dist *x, struct strv *out)
{
	struct record	 rec;
	char		*rpath, *text, *home, *realroot, *fl, *last = NULL;
	size_t		 len, i, n = 0;
	int		 last_ok = 0;

	rpath = path_join(x->dir, "RECORD");
	if (read_file(rpath, (size_t)256 << 20, &text, &len) != 0) {
		free(rpath);
		return err_set("%s-%s has no readable RECORD, so forklift cannot tell "
		    "which files it owns", x->name, x->version);
	}
	free(rpath);
	if (record_parse(text, len, &rec) != 0) {
		free(text);
		return err_prefix("%s", path_base(x->dir));
	}
	free(text);
	home = xstrndup(x->dir, (size_t)(path_base(x->dir) - x->dir - 1));
	if ((realroot = realpath(t->root, NULL)) == NULL)
		realroot = xstrdup(t->root);
	fl = path_join(t->root, ".forklift");
	for (i = 0; i < rec.n; i++) {
		char	*joined = rec.rows[i].path[0] == '/' ?
		    xstrdup(rec.rows[i].path) : path_join(home, rec.rows[i].path);
		char	*abs = path_abs(joined);

		free(joined);
		if (!in_scheme(t, abs) || strcmp(abs, t->root) == 0 ||
		    path_inside(abs, fl) ||
		    !stays_inside(realroot, abs, &last, &last_ok)) {
			if (n++ == 0)
				warn_msg("%s: RECORD lists '%s' outside the environment: "
				    "not removing it", path_base(x->dir), rec.rows[i].path);
			free(abs);
			continue;
		}
		if (str_ends(abs, ".py"))
			add_bytecode(abs, out);
		strv_push_owned(out, abs);
	}
	free(home);
	free(realroot);
	free(fl);
	free(last);
	record_free(&rec);
	strv_sort(out);
	/* Drop duplicates (a .pyc listed in RECORD and found again). */
	for (i = 1, n = out->n ? 1 : 0; i < out->n; i++) {
		if (strcmp(out->v[i], out->v[n - 1]) == 0)
			free(out->v[i]);
		else
			out->v[n++] = out->v[i];
	}
	out->n = n;
	if (out->v)
		out->v[n] = NULL;
	return 0;
}
