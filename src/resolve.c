/*
 * resolve.c: finds, for each pin that needs installing and names no
 * local file, the wheel to download.  In order: a hash-pinned wheel
 * already in the archive cache (no request at all), a wheel in the
 * --find-links directories (left for plan.c to take), the --find-links
 * pages, then the project page of the first index that has the project
 * (an --extra-index-url is asked only when every index before it answered
 * 404 for that project, so no extra index can shadow a project of the
 * main one).  All pages of one round are fetched together.
 *
 * A lock file's wheel (PEP 751) is found by its location, not by its
 * version: its url, else the same file name on its package's index, which
 * is also where the engine looks for it when the url answers 404 or 410
 * or its host cannot be reached (resolve_lock_page(), after the workers
 * started, so that the download still overlaps their unpacking).
 *
 * It reconciles the hashes: the pin's --hash values, the sha256 the index
 * or the URL fragment gives, and picks the one digest the download must
 * have (fetch.c checks it as the bytes arrive).  It downloads no wheel,
 * writes nothing but the page cache (through fetch.c), and never prints
 * a URL's password.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cache_archive.h"
#include "fetch.h"
#include "index.h"
#include "installed.h"
#include "plan.h"
#include "pyinfo.h"
#include "reqs.h"
#include "resolve.h"
#include "tags.h"
#include "target.h"
#include "url.h"
#include "util.h"
#include "version.h"

struct want {
	struct req	*q;
	size_t		 stage;		/* which index is being asked */
	int		 done;		/* resolved, or failed with a message */
};

/* A lock file's wheel found by name on its package's index (q->index). */
struct lockwant {
	struct resolver	*rs;
	struct req	*q;
};

struct resolver {
	const struct target	*t;
	const struct resolve_opts *o;
	struct strv		 indexes;	/* index_url, then the extra ones */
	struct want		*w;
	size_t			 n;
	struct lockwant		*lw;		/* lock file wheels, indexed */
	size_t			 nlw;
	struct index_page	*links;		/* the --find-links pages read */
	size_t			 nlinks;
	int			 bad;
};

struct page_job {
	struct resolver	*rs;
	struct want	*w;		/* NULL: a --find-links page or lw's */
	struct lockwant	*lw;		/* or a lock file wheel's index */
	char		*url;		/* as asked, maybe with credentials */
};

/* The URL with the credentials of base added when they belong to its
 * origin; else the URL as it is. */
static char *
with_cred(const char *base, const char *url)
{
	struct url_cred	 cred;
	struct url	 u;
	char		*clean = NULL, *out = NULL;

	memset(&u, 0, sizeof(u));
	if (url_cred_split(base, &clean, &cred) == 0 && cred.user != NULL &&
	    url_cred_applies(&cred, url) && url_parse(url, &u) == 0 &&
	    u.user == NULL) {
		u.user = xstrdup(cred.user);
		u.password = xstrdup(cred.password);
		out = url_format(&u, 0);
	}
	url_free(&u);
	url_cred_free(&cred);
	free(clean);
	return out != NULL ? out : xstrdup(url);
}

/* The digest the download must have, from the pin's --hash values and
 * the source's sha256 (or NULL).  0, or -1 after an error naming
 * the pin and the URL. */
static int
expect_sha(struct req *q, const char *src_sha, const char *url)
{
	struct strv	 pinned = STRV_INIT;
	char		*shown = url_redact(url), *src = NULL;
	size_t		 i;
	int		 rc = -1, allowed = 0;

	for (i = 0; i < q->hashes.n; i++)
		if (strncmp(q->hashes.v[i], "sha256:", 7) == 0)
			strv_push(&pinned, q->hashes.v[i] + 7);
	if (src_sha != NULL) {
		src = xstrdup(src_sha);
		for (i = 0; src[i] != '\0'; i++)
			if (src[i] >= 'A' && src[i] <= 'F')
				src[i] = (char)(src[i] - 'A' + 'a');
	}
	if (q->hashes.n > 0 && pinned.n == 0) {
		error_msg("%s==%s: %s: forklift checks downloads by sha256, and the "
		    "pin has only other --hash values", q->name, q->version, shown);
		goto out;
	}
	for (i = 0; src != NULL && i < pinned.n; i++)
		allowed |= strcmp(pinned.v[i], src) == 0;
	if (src != NULL && pinned.n > 0 && !allowed) {
		error_msg("%s==%s: %s has sha256 %s, which is not the pin's --hash "
		    "(%s:%u allows sha256:%s%s)", q->name, q->version, shown, src,
		    q->file, q->line, pinned.v[0], pinned.n > 1 ? " and others" : "");
		goto out;
	}
	if (src == NULL && pinned.n > 1) {
		error_msg("%s==%s: %s: the pin allows several sha256 digests and the "
		    "source names none, so the download cannot be checked", q->name,
		    q->version, shown);
		goto out;
	}
	free(q->sha256);
	q->sha256 = src != NULL ? src : pinned.n == 1 ? xstrdup(pinned.v[0]) : NULL;
	src = NULL;
	rc = 0;
out:
	free(src);
	free(shown);
	strv_free(&pinned);
	return rc;
}

/* A hash-pinned wheel already downloaded: <cache>/v1/archives/<aa>/<sha>/
 * holds it under its own name. */
static int
from_cache(struct req *q, const struct target *t, const char *cache_dir)
{
	struct dirent	*e;
	DIR		*d;
	char		*dir, *path;
	size_t		 i;
	int		 found = 0;

	for (i = 0; cache_dir != NULL && i < q->hashes.n && !found; i++) {
		const char	*hex = q->hashes.v[i] + 7;

		if (strncmp(q->hashes.v[i], "sha256:", 7) != 0 || strlen(hex) != 64)
			continue;
		dir = xasprintf("%s/v1/archives/%.2s/%s", cache_dir, hex, hex);
		d = opendir(dir);
		free(dir);
		while (d != NULL && !found && (e = readdir(d)) != NULL) {
			struct wheel_name	fn;

			if (e->d_name[0] == '.' || wheel_name_parse(e->d_name, &fn) != 0)
				continue;
			if (strcmp(fn.norm, q->norm) == 0 &&
			    version_pin_matches(q->version, fn.version) &&
			    tags_rank(&t->tags, &fn) >= 0 &&
			    (path = cache_archive_lookup(cache_dir, hex, e->d_name)) != NULL) {
				q->found = path;
				q->from_cache = 1;
				found = 1;
			}
			wheel_name_free(&fn);
		}
		if (d != NULL)
			closedir(d);
	}
	return found;
}

/* Take the chosen file for w's pin. */
static int
take_file(struct want *w, const struct index_file *f, const char *page_url,
    int yanked)
{
	struct req	*q = w->q;
	char		*url = with_cred(page_url, f->url), *shown;

	w->done = 1;
	if (expect_sha(q, index_file_hash(f, "sha256"), url) != 0) {
		free(url);
		return -1;
	}
	if (yanked) {
		shown = url_redact(url);
		warn_msg("%s==%s: %s is yanked%s%s", q->name, q->version, shown,
		    f->yanked_reason ? ": " : "", f->yanked_reason ?
		    f->yanked_reason : "");
		free(shown);
	}
	free(q->url);
	free(q->filename);
	q->url = url;
	q->filename = xstrdup(f->filename);
	q->size = f->size > 0 ? f->size : 0;
	return 0;
}

static void
want_spec(const struct resolver *rs, const struct want *w, struct index_want *iw)
{
	iw->project = w->q->name;
	iw->version = w->q->version;
	iw->python_version = pyinfo_get(&rs->t->info, "python_full_version");
	iw->tag_str = rs->t->tag_str;
}

/* The page that arrived, read (relative links resolved against its
 * final URL without credentials).  0, or -1 with err_set(). */
static int
read_page(const struct fetch_result *res, struct index_page *pg)
{
	struct url_cred	 cred;
	char		*clean = NULL;
	int		 rc;

	memset(pg, 0, sizeof(*pg));
	memset(&cred, 0, sizeof(cred));
	rc = url_cred_split(res->final_url, &clean, &cred) != 0 ? -1 :
	    index_parse(pg, res->content_type, clean, res->body, res->len);
	url_cred_free(&cred);
	free(clean);
	if (rc == 0 && pg->newer_minor)
		warn_msg("%s: the page speaks version 1.%d of the simple API; "
		    "forklift knows 1.%d", res->url, pg->api_minor, 1);
	return rc;
}

static void	lock_page_done(struct page_job *, const struct fetch_result *);

/* A page arrived (or failed). */
static void
page_done(void *arg, const struct fetch_result *res)
{
	struct page_job		*pj = arg;
	struct resolver		*rs = pj->rs;
	struct want		*w = pj->w;
	const struct index_file	*f;
	struct index_page	 pg;
	struct index_want	 iw;
	int			 yanked = 0;

	memset(&pg, 0, sizeof(pg));
	if (pj->lw != NULL) {
		lock_page_done(pj, res);
		goto out;
	}
	if (!res->ok) {
		if (w == NULL) {
			error_msg("--find-links %s", res->error);
			rs->bad = 1;
		} else if (res->status == 404 && w->stage + 1 < rs->indexes.n)
			w->stage++;	/* the next index may have it */
		else {
			if (res->status == 404)
				error_msg("%s==%s: no such project on the index%s (%s)",
				    w->q->name, w->q->version, rs->indexes.n > 1 ?
				    "es" : "", res->error);
			else
				error_msg("%s==%s: %s", w->q->name, w->q->version,
				    res->error);
			w->done = 1;
			rs->bad = 1;
		}
		goto out;
	}
	if (read_page(res, &pg) != 0) {
		error_msg("%s%s%s: %s", w ? w->q->name : "--find-links ",
		    w ? ": " : "", res->url, err_get());
		rs->bad = 1;
		if (w != NULL)
			w->done = 1;
		goto out;
	}
	if (w == NULL) {
		rs->links = xreallocarray(rs->links, rs->nlinks + 1,
		    sizeof(*rs->links));
		rs->links[rs->nlinks++] = pg;
		memset(&pg, 0, sizeof(pg));
		goto out;
	}
	want_spec(rs, w, &iw);
	if ((f = index_choose(&pg, &rs->t->tags, &iw, &yanked)) == NULL) {
		error_msg("%s==%s (%s): %s", w->q->name, w->q->version, res->url,
		    err_get());
		w->done = 1;
		rs->bad = 1;
	} else if (take_file(w, f, pj->url, yanked) != 0)
		rs->bad = 1;
out:
	index_page_free(&pg);
	free(pj->url);
	free(pj);
}

static int
add_page(struct resolver *rs, struct fetch_ctx *fx, struct want *w,
    struct lockwant *lw, const char *url, const char *accept)
{
	struct page_job	*pj = xcalloc(1, sizeof(*pj));

	pj->rs = rs;
	pj->w = w;
	pj->lw = lw;
	pj->url = xstrdup(url);
	if (fetch_add_page(fx, url, accept, page_done, pj) != 0) {
		error_msg("%s: %s", w ? w->q->name : lw ? lw->q->name :
		    "--find-links", err_get());
		free(pj->url);
		free(pj);
		return -1;
	}
	return 0;
}

/* Queue the project page of name on index, for w or lw. */
static int
add_project(struct resolver *rs, struct fetch_ctx *fx, struct want *w,
    struct lockwant *lw, const char *index, const char *name)
{
	char	*url = url_project(index, name);
	int	 rc = add_page(rs, fx, w, lw, url, INDEX_ACCEPT);

	free(url);
	return rc;
}

/* Run the queued pages; 0, -1 or FETCH_STOPPED. */
static int
run_pages(struct fetch_ctx *fx)
{
	int	rc = fetch_run(fx);

	if (rc == -1)
		error_msg("%s", err_get());
	return rc;
}

/* Pins a --find-links page offers. */
static void
choose_from_links(struct resolver *rs)
{
	const struct index_file	*f;
	struct index_want	 iw;
	size_t			 i, k;
	int			 yanked;

	for (i = 0; i < rs->n; i++) {
		struct want	*w = &rs->w[i];

		for (k = 0; k < rs->nlinks && !w->done; k++) {
			want_spec(rs, w, &iw);
			yanked = 0;
			if ((f = index_choose(&rs->links[k], &rs->t->tags, &iw,
			    &yanked)) != NULL && take_file(w, f, f->url, yanked) != 0)
				rs->bad = 1;
		}
	}
}

static int
lookup(struct resolver *rs, const struct fetch_opts *fo, const struct reqs *rq)
{
	struct fetch_ctx	*fx;
	size_t			 i, stage, left;
	int			 rc = 0;

	if ((fx = fetch_new(fo)) == NULL) {
		error_msg("%s", err_get());
		return -1;
	}
	for (i = 0; i < rq->find_pages.n && rc == 0; i++)
		rc = add_page(rs, fx, NULL, NULL, rq->find_pages.v[i],
		    "text/html");
	if (rc == 0 && rq->find_pages.n > 0 && (rc = run_pages(fx)) == 0)
		choose_from_links(rs);
	for (stage = 0; rc == 0 && stage < rs->indexes.n; stage++) {
		for (i = 0, left = 0; i < rs->n && rc == 0; i++) {
			if (rs->w[i].done || rs->w[i].stage != stage)
				continue;
			rc = add_project(rs, fx, &rs->w[i], NULL,
			    rs->indexes.v[stage], rs->w[i].q->name);
			left++;
		}
		if (rc == 0 && left > 0)
			rc = run_pages(fx);
	}
	fetch_free(fx);
	return rc;
}

/* ---- lock file wheels: the url, then the package's index ---------------- */

const struct index_file *
resolve_file_named(const struct index_page *pg, const char *filename,
    int *yanked)
{
	const struct index_file	*f = NULL;
	size_t			 i;

	for (i = 0; i < pg->n; i++) {
		if (strcmp(pg->files[i].filename, filename) != 0)
			continue;
		f = &pg->files[i];
		if (!f->yanked)
			break;
	}
	*yanked = f != NULL && f->yanked;
	return f;
}

char *
resolve_lock_page(const struct resolve_lock *lk, const char *page_url,
    const struct fetch_result *res)
{
	const struct index_file	*f;
	struct index_page	 pg;
	const char		*sha, *tried;
	char			*index = url_redact(lk->index), *url = NULL;
	char			*shown;
	int			 yanked;

	memset(&pg, 0, sizeof(pg));
	tried = lk->tried ? lk->tried : "the lock file gives no url";
	if (!res->ok)
		err_set("%s==%s: %s: the index %s cannot be read: %s (url: %s)",
		    lk->name, lk->version, lk->filename, index, res->error, tried);
	else if (read_page(res, &pg) != 0)
		err_set("%s==%s: %s: the index %s: %s: %s (url: %s)", lk->name,
		    lk->version, lk->filename, index, res->url, err_get(), tried);
	else if ((f = resolve_file_named(&pg, lk->filename, &yanked)) == NULL)
		err_set("%s==%s: %s is not on the index %s (%s lists %zu other "
		    "file%s; url: %s)", lk->name, lk->version, lk->filename, index,
		    res->url, pg.n, pg.n == 1 ? "" : "s", tried);
	else if (lk->sha256 != NULL &&
	    (sha = index_file_hash(f, "sha256")) != NULL &&
	    strcasecmp(sha, lk->sha256) != 0)
		err_set("%s==%s: %s on the index %s has sha256 %s; the lock file "
		    "(%s) says %s", lk->name, lk->version, lk->filename, index, sha,
		    lk->where, lk->sha256);
	else {
		url = with_cred(page_url, f->url);
		if (yanked) {
			shown = url_redact(url);
			warn_msg("%s==%s: %s is yanked%s%s", lk->name, lk->version,
			    shown, f->yanked_reason ? ": " : "", f->yanked_reason ?
			    f->yanked_reason : "");
			free(shown);
		}
	}
	index_page_free(&pg);
	free(index);
	return url;
}

int
resolve_lock_gone(const struct fetch_result *res, int retries)
{
	if (retries < 0)
		retries = 5;	/* as fetch.c */
	return res->status == 404 || res->status == 410 ||
	    (res->status == 0 && res->attempts > retries);
}

/* The page of a lock file wheel's package (no url) arrived (or failed):
 * take the file of that name, checked against the lock file's sha256. */
static void
lock_page_done(struct page_job *pj, const struct fetch_result *res)
{
	struct req		*q = pj->lw->q;
	struct resolve_lock	 lk;
	char			*where, *url;

	where = q->line > 0 ? xasprintf("%s:%u", q->file, q->line) :
	    xstrdup(q->file);
	lk.name = q->name;
	lk.version = q->version;
	lk.filename = q->filename;
	lk.index = q->index;
	lk.sha256 = q->sha256;
	lk.where = where;
	lk.tried = NULL;
	if ((url = resolve_lock_page(&lk, pj->url, res)) == NULL) {
		error_msg("%s", err_get());
		pj->lw->rs->bad = 1;
	} else {
		free(q->url);
		q->url = url;
		q->direct = 0;	/* from an index: no direct_url.json */
	}
	free(where);
}

/* A lock file wheel with an index: in the cache already, or to be tried
 * at its url (with an archive cache to keep it in), or to be looked up
 * on the index (no url).  --offline: the cache only, as for any url. */
static void
lock_want(struct resolver *rs, struct req *q, const struct fetch_opts *fo)
{
	char	*index;

	if (q->url != NULL) {	/* the engine falls back to the index */
		if (expect_sha(q, q->sha256, q->url) != 0)
			rs->bad = 1;
		return;
	}
	if (from_cache(q, rs->t, rs->o->cache_dir))
		return;
	if (rs->o->offline || fo->offline) {
		index = url_redact(q->index);
		error_msg("%s==%s: %s is not in the cache, and --offline "
		    "(the lock file gives no url; index %s)", q->name,
		    q->version, q->filename, index);
		free(index);
		rs->bad = 1;
		return;
	}
	rs->lw[rs->nlw].rs = rs;
	rs->lw[rs->nlw].q = q;
	rs->nlw++;
}

/* Read the index pages of the lock file wheels without a url.  0, -1 or
 * FETCH_STOPPED. */
static int
lock_lookup(struct resolver *rs, const struct fetch_opts *fo)
{
	struct fetch_ctx	*fx;
	size_t			 i;
	int			 rc = 0;

	if ((fx = fetch_new(fo)) == NULL) {
		error_msg("%s", err_get());
		return -1;
	}
	for (i = 0; i < rs->nlw && rc == 0; i++)
		rc = add_project(rs, fx, NULL, &rs->lw[i], rs->lw[i].q->index,
		    rs->lw[i].q->name);
	if (rc == 0 && rs->nlw > 0)
		rc = run_pages(fx);
	fetch_free(fx);
	return rc;
}

int
resolve_reqs(struct reqs *rq, const struct target *t,
    const struct fetch_opts *fo, const struct resolve_opts *o)
{
	struct resolver		 rs;
	struct wheelhouse	 h;
	struct distlist		 inst;
	struct dist		*d;
	size_t			 i;
	int			 rc = 0, scanned = 0;

	memset(&rs, 0, sizeof(rs));
	memset(&h, 0, sizeof(h));
	rs.t = t;
	rs.o = o;
	installed_scan(t, &inst);
	rs.w = xcalloc(rq->n ? rq->n : 1, sizeof(*rs.w));
	rs.lw = xcalloc(rq->n ? rq->n : 1, sizeof(*rs.lw));
	for (i = 0; i < rq->n; i++) {
		struct req	*q = &rq->v[i];

		d = installed_find(&inst, q->norm);
		if (d != NULL && !o->reinstall && version_pin_matches(q->version,
		    d->version))
			continue;
		if (q->path != NULL)
			continue;
		if (q->index != NULL) {	/* a lock file's, found by name */
			lock_want(&rs, q, fo);
			continue;
		}
		if (q->url != NULL) {	/* a direct reference */
			if (expect_sha(q, q->sha256, q->url) != 0)
				rs.bad = 1;
			continue;
		}
		if (from_cache(q, t, o->cache_dir))
			continue;
		if (rq->find_links.n > 0 && !scanned) {
			scanned = 1;
			if (wheelhouse_scan(&h, &rq->find_links) != 0) {
				error_msg("%s", err_get());
				rs.bad = 1;
			}
		}
		if (wheelhouse_choose(&h, &t->tags, t->tag_str, q->norm,
		    q->version) != NULL)
			continue;	/* plan.c takes it from the directory */
		if (o->index_url != NULL || rq->find_pages.n > 0)
			rs.w[rs.n++].q = q;
		/* else plan.c says what the directories hold */
	}
	distlist_free(&inst);
	wheelhouse_free(&h);
	if (o->index_url != NULL) {
		strv_push(&rs.indexes, o->index_url);
		for (i = 0; o->extra_index != NULL && i < o->extra_index->n; i++)
			strv_push(&rs.indexes, o->extra_index->v[i]);
	}
	if (rs.nlw > 0)
		rc = lock_lookup(&rs, fo);
	if (rc == 0 && rs.n > 0 && (rs.indexes.n > 0 || rq->find_pages.n > 0))
		rc = lookup(&rs, fo, rq);
	for (i = 0; rc == 0 && i < rs.n; i++) {
		if (rs.w[i].done)
			continue;
		if (rq->find_links.n > 0 || rq->find_pages.n > 0)
			error_msg("%s==%s: no compatible wheel in the --find-links "
			    "directories or pages%s", rs.w[i].q->name,
			    rs.w[i].q->version, rs.indexes.n ? " nor on the index" :
			    ", and --no-index");
		else
			error_msg("%s==%s: not in the cache, and --no-index with no "
			    "--find-links", rs.w[i].q->name, rs.w[i].q->version);
		rs.bad = 1;
	}
	for (i = 0; i < rs.nlinks; i++)
		index_page_free(&rs.links[i]);
	free(rs.links);
	free(rs.w);
	free(rs.lw);
	strv_free(&rs.indexes);
	if (rc != 0)
		return rc;
	return rs.bad ? -1 : 0;
}
