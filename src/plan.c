/*
 * plan.c: turns the command line into a plan.  Every check that needs no
 * archive data happens here, before any process is forked: the filename
 * grammar, tag compatibility, duplicate distributions, the file being a
 * readable regular file; then each wheel is compared with what is
 * installed (same version: unchanged unless --reinstall; another version:
 * replaced in the same transaction).
 *
 * For sync (and install -r) the wheels come from requirements: each pin
 * not already satisfied gets its wheel from the --find-links directories
 * (by file name only: best tag priority, then build tag), installed
 * distributions the requirements do not list are removed, and in
 * hash-checking mode every chosen wheel is hashed before the plan is
 * accepted.  A pin that is already satisfied opens no file at all.
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
#include "lockfile.h"
#include "plan.h"
#include "record.h"
#include "reqs.h"
#include "target.h"
#include "url.h"
#include "util.h"
#include "version.h"

int
plan_open_wheel(const char *path, struct stat *st)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -2;
	}
	return fd;
}

int
plan_install(struct plan *p, const struct target *t, char *const *paths,
    size_t n, int reinstall)
{
	struct stat	 st;
	size_t		 i, j;
	int		 bad = 0, fd;

	memset(p, 0, sizeof(*p));
	installed_scan(t, &p->installed);
	p->add = xcalloc(n, sizeof(*p->add));
	for (i = 0; i < n; i++) {
		struct plan_wheel	*w = &p->add[p->nadd];
		const char		*base = path_base(paths[i]);

		if (wheel_name_parse(base, &w->fn) != 0) {
			error_msg("%s: %s", base, err_get());
			bad = 1;
			continue;
		}
		if ((fd = plan_open_wheel(paths[i], &st)) < 0) {
			if (fd == -1)
				error_msg("%s: %s", paths[i], strerror(errno));
			else
				error_msg("%s: not a regular file", paths[i]);
			wheel_name_free(&w->fn);
			bad = 1;
			continue;
		}
		if (tags_rank(&t->tags, &w->fn) < 0) {
			error_msg("%s: not compatible with %s", base, t->tag_str);
			wheel_name_free(&w->fn);
			close(fd);
			bad = 1;
			continue;
		}
		for (j = 0; j < p->nadd; j++) {
			if (strcmp(p->add[j].fn.norm, w->fn.norm) == 0) {
				error_msg("%s: %s is also given as %s: one version per "
				    "distribution", base, w->fn.name, p->add[j].base);
				bad = 1;
			}
		}
		w->path = xstrdup(paths[i]);
		w->base = path_base(w->path);
		w->size = (uint64_t)st.st_size;
		w->fd = fd;
		w->requested = 1;
		w->direct_url = 1;
		w->old = installed_find(&p->installed, w->fn.norm);
		if (w->old != NULL && !reinstall &&
		    version_strcmp(w->old->version, w->fn.version) == 0) {
			strv_push_owned(&p->unchanged, xasprintf("%s %s", w->old->name,
			    w->old->version));
			free(w->path);
			close(w->fd);
			wheel_name_free(&w->fn);
			memset(w, 0, sizeof(*w));
			continue;
		}
		p->nadd++;
	}
	return bad ? -1 : 0;
}

/* Add d to the removals, or say why forklift must leave it alone. */
static int
plan_remove(struct plan *p, struct dist *d)
{
	char	*rec;
	int	 rc = 0;

	rec = path_join(d->dir, "RECORD");
	if (access(rec, R_OK) != 0) {
		error_msg("%s %s: no readable RECORD in '%s', so forklift cannot "
		    "tell which files it owns: not removing it", d->name,
		    d->version, path_base(d->dir));
		rc = -1;
	} else
		p->remove[p->nremove++] = d;
	free(rec);
	return rc;
}

int
plan_uninstall(struct plan *p, const struct target *t, char *const *names,
    size_t n, int missing_ok)
{
	struct dist	*d;
	char		*norm;
	size_t		 i, j;
	int		 bad = 0;

	memset(p, 0, sizeof(*p));
	installed_scan(t, &p->installed);
	p->remove = xcalloc(n ? n : 1, sizeof(*p->remove));
	for (i = 0; i < n; i++) {
		norm = name_normalize(names[i]);
		d = installed_find(&p->installed, norm);
		free(norm);
		if (d == NULL) {
			if (missing_ok)
				note_msg("%s is not installed", names[i]);
			else {
				error_msg("%s: not installed (--missing-ok to ignore)",
				    names[i]);
				bad = 1;
			}
			continue;
		}
		for (j = 0; j < p->nremove; j++)
			if (p->remove[j] == d)
				break;
		if (j < p->nremove)
			continue;	/* named twice */
		if (plan_remove(p, d) != 0)
			bad = 1;
	}
	return bad ? -1 : 0;
}

/* ---- sync: wheels chosen by name from --find-links directories ------ */

static int
cmp_entry(const void *a, const void *b)
{
	const struct wheelhouse_entry	*x = a, *y = b;

	return strcmp(x->path, y->path);
}

int
wheelhouse_scan(struct wheelhouse *h, const struct strv *dirs)
{
	struct dirent	*e;
	DIR		*d;
	size_t		 i, cap = 0, first;

	memset(h, 0, sizeof(*h));
	h->dirs = dirs;
	for (i = 0; i < dirs->n; i++) {
		if ((d = opendir(dirs->v[i])) == NULL)
			return err_set("--find-links '%s': %s", dirs->v[i],
			    strerror(errno));
		first = h->n;
		while ((e = readdir(d)) != NULL) {
			struct wheelhouse_entry	*w;

			if (e->d_name[0] == '.' || !str_ends(e->d_name, ".whl") ||
			    e->d_type == DT_DIR)
				continue;
			if (h->n == cap) {
				cap = cap ? cap * 2 : 64;
				h->v = xreallocarray(h->v, cap, sizeof(*h->v));
			}
			w = &h->v[h->n];
			if (wheel_name_parse(e->d_name, &w->fn) != 0)
				continue;
			w->path = path_join(dirs->v[i], e->d_name);
			h->n++;
		}
		closedir(d);
		/* Directory order first, then file names: deterministic. */
		qsort(h->v + first, h->n - first, sizeof(*h->v), cmp_entry);
	}
	return 0;
}

void
wheelhouse_free(struct wheelhouse *h)
{
	size_t	i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].path);
		wheel_name_free(&h->v[i].fn);
	}
	free(h->v);
	memset(h, 0, sizeof(*h));
}

const struct wheelhouse_entry *
wheelhouse_choose(const struct wheelhouse *h, const struct taglist *tags,
    const char *tag_str, const char *norm, const char *version)
{
	const struct wheelhouse_entry	*best = NULL;
	struct buf			 why = BUF_INIT;
	long				 rank, best_rank = -1;
	size_t				 i, seen = 0;
	int				 c;

	for (i = 0; i < h->n; i++) {
		const struct wheelhouse_entry	*w = &h->v[i];

		if (strcmp(w->fn.norm, norm) != 0)
			continue;
		seen++;
		if (!version_pin_matches(version, w->fn.version)) {
			buf_addf(&why, "; %s is version %s", path_base(w->path),
			    w->fn.version);
			continue;
		}
		if ((rank = tags_rank(tags, &w->fn)) < 0) {
			buf_addf(&why, "; %s is not compatible with %s",
			    path_base(w->path), tag_str);
			continue;
		}
		if (best != NULL) {
			c = version_strcmp(w->fn.version, best->fn.version);
			if (c < 0 || (c == 0 && (rank > best_rank || (rank == best_rank &&
			    wheel_build_cmp(&w->fn, &best->fn) <= 0))))
				continue;
		}
		best = w;
		best_rank = rank;
	}
	if (best == NULL) {
		if (h->dirs == NULL || h->dirs->n == 0)
			err_set("no wheel: no --find-links directory to look in");
		else if (seen == 0)
			err_set("no wheel of '%s' in %s%s", norm, h->dirs->v[0],
			    h->dirs->n > 1 ? " (or the other --find-links directories)" : "");
		else
			err_set("no compatible wheel%s", why.p);
	}
	buf_free(&why);
	return best;
}

static const char *const sync_keep[] = { "pip", "setuptools", "wheel" };

static char *
req_where(const struct req *q)
{
	return q->line > 0 ? xasprintf("%s:%u", q->file, q->line) :
	    xstrdup(q->file);
}

/* Hash-checking mode: the file must have one of the digests allowed. */
static int
check_hashes(const struct plan_wheel *w, const struct req *q)
{
	unsigned char	 md[HASH_MAX];
	char		 hex[2 * HASH_MAX + 1], *got[4] = { NULL, NULL, NULL, NULL };
	struct hasher	 hs;
	enum hash_algo	 algo;
	const char	*colon;
	size_t		 i, k, len;
	int		 nr, saved, ok = 0;

	for (i = 0; i < q->hashes.n && !ok; i++) {
		colon = strchr(q->hashes.v[i], ':');
		if (hash_algo_parse(q->hashes.v[i], (size_t)(colon - q->hashes.v[i]),
		    &algo) != 0)
			continue;
		if (got[algo] == NULL) {
			hasher_init(&hs, algo);
			nr = hasher_pread(&hs, w->fd);
			saved = errno;
			if (nr < 0) {
				error_msg("%s: %s", w->path, strerror(saved));
				hasher_free(&hs);
				goto out;
			}
			hasher_final(&hs, md);
			hasher_free(&hs);
			len = hash_algo_len(algo);
			for (k = 0; k < len; k++)
				snprintf(hex + 2 * k, 3, "%02x", md[k]);
			got[algo] = xasprintf("%s:%s", hash_algo_name(algo), hex);
		}
		ok = strcmp(got[algo], q->hashes.v[i]) == 0;
	}
	if (!ok) {
		char	*at = req_where(q);

		error_msg("%s: hash mismatch: %s allows %s%s, the file has %s",
		    w->base, at, q->hashes.v[0], q->hashes.n > 1 ? " (and others)" : "",
		    got[HASH_SHA256] ? got[HASH_SHA256] : got[HASH_SHA384] ?
		    got[HASH_SHA384] : got[HASH_SHA512] ? got[HASH_SHA512] : "?");
		free(at);
	}
out:
	for (i = 0; i < ARRAY_SIZE(got); i++)
		free(got[i]);
	return ok ? 0 : -1;
}

/* A wheel resolve.c found at a URL (or a direct reference to one): the
 * engine downloads it; only its name is checked here. */
static int
url_wheel(struct plan_wheel *w, const struct target *t, const struct req *q,
    char *at)
{
	char	*shown = url_redact(q->url);
	size_t	 k;
	int	 rc = -1;

	if (wheel_name_parse(q->filename, &w->fn) != 0)
		error_msg("%s (%s, %s): %s", q->filename, shown, at, err_get());
	else if (tags_rank(&t->tags, &w->fn) < 0) {
		error_msg("%s (%s, %s): not compatible with %s", q->filename, shown,
		    at, t->tag_str);
		wheel_name_free(&w->fn);
	} else {
		w->url = xstrdup(q->url);
		w->filename = xstrdup(q->filename);
		w->base = w->filename;
		w->sha256 = q->sha256 ? xstrdup(q->sha256) : NULL;
		for (k = 0; q->lock && k < q->hashes.n; k++)
			strv_push(&w->check, q->hashes.v[k]);
		w->size = q->size > 0 ? (uint64_t)q->size : 0;
		w->requested = 1;
		w->direct_url = q->direct;
		if (q->index != NULL) {
			w->index = xstrdup(q->index);
			w->lock_at = xstrdup(at);
		}
		rc = 0;
	}
	free(shown);
	free(at);
	return rc;
}

/* The wheel file for a requirement that must be installed. */
static int
sync_wheel(struct plan_wheel *w, const struct target *t, const struct req *q,
    struct wheelhouse *h, int *scanned)
{
	const struct wheelhouse_entry	*e;
	struct stat			 st;
	char				*at = req_where(q);
	int				 rc = -1;

	w->fd = -1;
	if (q->url != NULL)
		return url_wheel(w, t, q, at);
	if (q->path != NULL)
		w->path = xstrdup(q->path);
	else if (q->found != NULL) {
		w->path = xstrdup(q->found);
		w->from_cache = q->from_cache;
	} else {
		if (!*scanned) {
			*scanned = 1;
			if (wheelhouse_scan(h, h->dirs) != 0) {
				error_msg("%s", err_get());
				goto out;
			}
		}
		if ((e = wheelhouse_choose(h, &t->tags, t->tag_str, q->norm,
		    q->version)) == NULL) {
			error_msg("%s==%s (%s): %s", q->name, q->version, at, err_get());
			goto out;
		}
		w->path = xstrdup(e->path);
	}
	w->base = path_base(w->path);
	if ((w->fd = plan_open_wheel(w->path, &st)) < 0) {
		if (w->fd == -1)
			error_msg("%s (%s): %s", w->path, at, strerror(errno));
		else
			error_msg("%s (%s): not a regular file", w->path, at);
		goto out;
	}
	if (wheel_name_parse(w->base, &w->fn) != 0) {
		error_msg("%s (%s): %s", w->base, at, err_get());
		goto out;
	}
	if (tags_rank(&t->tags, &w->fn) < 0) {
		error_msg("%s (%s): not compatible with %s", w->base, at, t->tag_str);
		wheel_name_free(&w->fn);
		goto out;
	}
	w->size = (uint64_t)st.st_size;
	w->requested = 1;
	w->direct_url = q->path != NULL;
	rc = 0;
out:
	if (rc != 0) {
		free(w->path);
		if (w->fd >= 0)
			close(w->fd);
		memset(w, 0, sizeof(*w));
	}
	free(at);
	return rc;
}

int
plan_sync(struct plan *p, const struct target *t, const struct reqs *rq,
    const struct sync_opts *o)
{
	const struct req	**wreq;
	struct wheelhouse	  h;
	struct dist		 *d;
	size_t			  i, k;
	int			  bad = 0, scanned = 0, planned_ok;

	memset(p, 0, sizeof(*p));
	memset(&h, 0, sizeof(h));
	h.dirs = &rq->find_links;
	installed_scan(t, &p->installed);
	p->add = xcalloc(rq->n ? rq->n : 1, sizeof(*p->add));
	wreq = xcalloc(rq->n ? rq->n : 1, sizeof(*wreq));
	for (i = 0; i < rq->n; i++) {
		const struct req	*q = &rq->v[i];

		d = installed_find(&p->installed, q->norm);
		if (d != NULL && !o->reinstall &&
		    version_pin_matches(q->version, d->version)) {
			strv_push_owned(&p->unchanged, xasprintf("%s %s", d->name,
			    d->version));
			continue;
		}
		if (sync_wheel(&p->add[p->nadd], t, q, &h, &scanned) != 0) {
			bad = 1;
			continue;
		}
		p->add[p->nadd].old = d;
		wreq[p->nadd++] = q;
	}
	if (o->remove)
		p->remove = xcalloc(p->installed.n ? p->installed.n : 1,
		    sizeof(*p->remove));
	for (i = 0; o->remove && i < p->installed.n; i++) {
		d = &p->installed.v[i];
		if (reqs_find(rq, d->norm) != NULL)
			continue;
		for (k = 0; !o->exact && k < ARRAY_SIZE(sync_keep); k++)
			if (strcmp(d->norm, sync_keep[k]) == 0)
				break;
		if (!o->exact && k < ARRAY_SIZE(sync_keep))
			continue;
		if (plan_remove(p, d) != 0)
			bad = 1;
	}
	/* Hash-checking mode: every wheel before anything is installed (none
	 * is read when the plan failed already). */
	for (i = 0, planned_ok = !bad; planned_ok && i < p->nadd; i++) {
		if (p->add[i].path == NULL)
			continue;	/* downloaded by the engine, checked then */
		if (wreq[i]->lock) {
			if (lockfile_verify(p->add[i].fd, p->add[i].path,
			    wreq[i]->size > 0 ? wreq[i]->size : -1,
			    &wreq[i]->hashes) != 0) {
				error_msg("%s (%s:%u)", err_get(), wreq[i]->file,
				    wreq[i]->line);
				bad = 1;
			}
		} else if (wreq[i]->hashes.n > 0 &&
		    check_hashes(&p->add[i], wreq[i]) != 0)
			bad = 1;
	}
	free(wreq);
	wheelhouse_free(&h);
	return bad ? -1 : 0;
}

void
plan_free(struct plan *p)
{
	size_t	i;

	for (i = 0; i < p->nadd; i++) {
		free(p->add[i].path);
		free(p->add[i].url);
		free(p->add[i].filename);
		free(p->add[i].sha256);
		free(p->add[i].index);
		free(p->add[i].lock_at);
		strv_free(&p->add[i].check);
		if (p->add[i].fd >= 0)
			close(p->add[i].fd);
		wheel_name_free(&p->add[i].fn);
	}
	free(p->add);
	free(p->remove);
	strv_free(&p->unchanged);
	distlist_free(&p->installed);
	memset(p, 0, sizeof(*p));
}
