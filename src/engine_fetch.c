/*
 * engine_fetch.c: the downloads of a run, pipelined into its workers.
 * Before the fork it decides which wheels need a download and where they
 * land; after the fork, in the runner's wait, it makes the fetch context,
 * queues every download (largest first) and, as each one is complete and
 * verified, makes its units ready with a note naming the verified file.
 * A lock file wheel whose url is gone is looked for on its package's
 * index in the same loop.  The fetch context lives only in the parent and
 * is freed before anything else forks; it never opens a wheel to unpack
 * it and never touches the environment.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine_int.h"
#include "fsutil.h"
#include "index.h"
#include "lockfile.h"
#include "resolve.h"
#include "runner.h"
#include "sig.h"
#include "url.h"
#include "util.h"

/* ---- downloads, pipelined into the workers ---------------------------- */

/* Whether every digest in check is "sha256:" followed by sha. */
static int
only_sha256(const struct strv *check, const char *sha)
{
	size_t	i;

	for (i = 0; i < check->n; i++)
		if (strncmp(check->v[i], "sha256:", 7) != 0 ||
		    strcasecmp(check->v[i] + 7, sha) != 0)
			return 0;
	return 1;
}

static void	fetched(void *, const struct fetch_result *);

/* Queue unit dl's wheel from its url, into the downloads' destination. */
static int
dl_add(struct run *r, struct dl *dl)
{
	struct plan_wheel	*w = &r->p->add[dl->i];
	struct fetch_req	 req;

	memset(&req, 0, sizeof(req));
	req.url = w->url;
	req.filename = w->base;
	req.sha256 = w->sha256;
	req.size = w->size > 0 ? (int64_t)w->size : -1;
	req.dest_dir = r->dl_dest;
	req.on_done = fetched;
	req.user = dl;
	return fetch_add(r->fx, &req);
}

/* A lock file wheel's project page arrived: the same file from the
 * index, queued for the same unit, size, hashes and destination. */
static void
index_page_got(void *arg, const struct fetch_result *res)
{
	struct dl		*dl = arg;
	struct run		*r = dl->r;
	struct plan_wheel	*w = &r->p->add[dl->i];
	struct resolve_lock	 lk;
	char			*url;

	lk.name = w->fn.name;
	lk.version = w->fn.version;
	lk.filename = w->filename;
	lk.index = w->index;
	lk.sha256 = w->sha256;
	lk.where = w->lock_at;
	lk.tried = dl->tried;
	if ((url = resolve_lock_page(&lk, dl->page, res)) == NULL) {
		if (r->fetch_err == NULL)
			r->fetch_err = xstrdup(err_get());
		return;
	}
	free(w->url);
	w->url = url;
	dl->indexed = 1;
	if (dl_add(r, dl) != 0 && r->fetch_err == NULL)
		r->fetch_err = xasprintf("%s: %s", w->base, err_get());
}

/* A lock file wheel's download failed: when its url is gone (404, 410)
 * or its host unreachable after the retries, and the lock file names
 * its package's index, look for the same file there, asynchronously in
 * this loop (the workers keep unpacking the others).  1 when asked. */
static int
index_fallback(struct dl *dl, const struct fetch_result *res)
{
	struct run		*r = dl->r;
	struct plan_wheel	*w = &r->p->add[dl->i];
	char			*index;

	if (w->index == NULL || dl->indexed ||
	    !resolve_lock_gone(res, r->o->fetch->retries))
		return 0;
	index = url_redact(w->index);
	warn_msg("%s==%s: %s; looking for %s on the index %s", w->fn.name,
	    w->fn.version, res->error, w->filename, index);
	free(index);
	dl->tried = xstrdup(res->error);
	dl->page = url_project(w->index, w->fn.name);
	if (fetch_add_page(r->fx, dl->page, INDEX_ACCEPT, index_page_got,
	    dl) != 0) {
		if (r->fetch_err == NULL)
			r->fetch_err = xasprintf("%s: %s", w->base, err_get());
	}
	return 1;
}

static void
fetched(void *arg, const struct fetch_result *res)
{
	struct dl		*dl = arg;
	struct run		*r = dl->r;
	struct plan_wheel	*w = &r->p->add[dl->i];
	struct stat		 st;
	uint64_t		 want;
	char			*note;
	unsigned int		 k;
	int			 fd, rc;

	r->fetched++;
	if (!res->ok) {
		if (index_fallback(dl, res))
			return;
		if (r->fetch_err == NULL)
			r->fetch_err = xasprintf("%s: %s", w->base, res->error);
		return;
	}
	w->path = xstrdup(res->path);
	w->base = path_base(w->path);
	w->bytes = res->bytes;
	want = w->size;
	w->from_cache = res->from_cache;
	/* Opened once, as plan.c opens a local wheel: the size is checked
	 * through this descriptor, and a lock file's digests other than the
	 * download's sha256 (the name is not trusted between the download,
	 * or the cache, and now).  The workers were forked before, so the
	 * worker opens the file by its path and checks that its sha256 is
	 * the one verified (the note: "<sha256> <path>"). */
	if ((fd = plan_open_wheel(w->path, &st)) < 0) {
		if (r->fetch_err == NULL)
			r->fetch_err = xasprintf("%s (%s): %s", w->path, res->url,
			    fd == -1 ? strerror(errno) : "not a regular file");
		return;
	}
	w->size = (uint64_t)st.st_size;
	if (w->check.n == 0)
		strv_push_owned(&w->check, xasprintf("sha256:%s", res->sha256));
	/* The sha256 was computed as the bytes arrived, and the worker
	 * checks it again through its own descriptor before it unpacks:
	 * a third pass here only when a pin names another digest. */
	if (only_sha256(&w->check, res->sha256))
		rc = want > 0 && w->size != want ? err_set("%s: size mismatch: "
		    "expected %llu bytes, the file has %llu", w->base,
		    (unsigned long long)want, (unsigned long long)w->size) : 0;
	else
		rc = lockfile_verify(fd, w->path, want > 0 ? (int64_t)want : -1,
		    &w->check);
	if (rc == 0 && r->split[dl->i].nparts > 1)
		rc = engine_split_delivered(r, dl->i, fd, &st);
	close(fd);
	if (rc != 0) {
		if (r->fetch_err == NULL)
			r->fetch_err = xasprintf("%s (%s)", err_get(), res->url);
		return;
	}
	note = xasprintf("%s%c%s", res->sha256, dl->indexed ? NOTE_INDEXED : ' ',
	    w->path);
	/* Every part at once, with the same note. */
	for (k = 0, rc = 0; k < r->split[dl->i].nparts && rc == 0; k++)
		rc = runner_ready(r->wunit[dl->i] + k, note);
	free(note);
	if (rc != 0) {
		if (r->fetch_err == NULL)
			r->fetch_err = xasprintf("%s: %s", w->base, err_get());
		return;
	}
	if (verbosity > 0) {
		progress_clear(&r->prog);
		note_msg("%s: %llu bytes %s %s", w->base, (unsigned long long)res->bytes,
		    res->from_cache ? "from the cache, for" : "downloaded from",
		    res->url);
	}
}

/*
 * Before the fork: which wheels need a download (the others are ready at
 * once), their direct_url.json URLs (workers inherit them), and with
 * --no-cache the directory in staging the downloads go to.  0 when there
 * is nothing to download, 1 when there is, -1 on failure (printed).
 */
int
engine_fetch_prepare(struct run *r)
{
	struct url_cred	 cred;
	char		*clean;
	size_t		 i, n = 0;

	r->ready = xcalloc(r->p->nadd ? r->p->nadd : 1, 1);
	for (i = 0; i < r->p->nadd; i++) {
		struct plan_wheel	*w = &r->p->add[i];

		r->ready[i] = w->url == NULL || w->path != NULL;
		n += !r->ready[i];
		if (w->from_cache && w->url == NULL) {	/* found by resolve.c */
			w->bytes = w->size;
			if (verbosity > 0)
				note_msg("%s: %llu bytes from the cache", w->base,
				    (unsigned long long)w->size);
		}
	}
	if (n == 0)
		return 0;
	if (r->o->fetch == NULL)
		BUG("a wheel to download and no fetch options");
	r->urls = xcalloc(r->p->nadd, sizeof(*r->urls));
	for (i = 0; i < r->p->nadd; i++) {
		struct plan_wheel	*w = &r->p->add[i];

		if (!r->ready[i] && w->direct_url &&
		    url_cred_split(w->url, &clean, &cred) == 0) {
			r->urls[i] = clean;
			url_cred_free(&cred);
		}
	}
	if (r->o->fetch->cache_dir == NULL) {
		r->dl_dest = path_join(r->x.dir, "downloads");
		if (mkdir(r->dl_dest, 0700) != 0) {
			error_msg("cannot create '%s': %s", r->dl_dest, strerror(errno));
			return -1;
		}
		r->dl_read = xstrdup(r->dl_dest);
	} else {
		/* A Landlock rule needs its directory to exist. */
		r->dl_read = xasprintf("%s/v1/archives", r->o->fetch->cache_dir);
		if (mkdir_p(r->dl_read, 0755) != 0) {
			error_msg("%s", err_get());
			return -1;
		}
	}
	return 1;
}

/* "[staged/wheels] downloading 12.3/45.6 MB" on the progress line. */
static void
show_bytes(struct run *r)
{
	struct fetch_stats	st;
	char			what[64];

	if (!r->prog.enabled)
		return;
	fetch_get_stats(r->fx, &st);
	if (st.bytes_expected >= st.bytes_received)
		snprintf(what, sizeof(what), "%.1f/%.1f MB",
		    (double)st.bytes_received / 1e6, (double)st.bytes_expected / 1e6);
	else
		snprintf(what, sizeof(what), "%.1f MB",
		    (double)st.bytes_received / 1e6);
	progress_update(&r->prog, r->done, "downloading", what, 0);
}

/* After the fork (the first wait): the fetch context, every download
 * queued (fetch.c starts the largest first).  0, or -1 after err_set(). */
static int
fetch_start(struct run *r)
{
	struct fetch_opts	 fo;
	size_t			 i;

	fo = *r->o->fetch;
	fo.stop = &sig_stop;
	fo.wake_fd = sig_wake_fd();
	if ((r->fx = fetch_new(&fo)) == NULL)
		return -1;
	r->dls = xcalloc(r->p->nadd, sizeof(*r->dls));
	for (i = 0; i < r->p->nadd; i++) {
		struct plan_wheel	*w = &r->p->add[i];

		if (r->ready[i])
			continue;
		r->dls[i].r = r;
		r->dls[i].i = i;
		if (dl_add(r, &r->dls[i]) != 0)
			return err_prefix("%s", w->base);
	}
	return 0;
}

/* The runner's wait while wheels are still downloading: curl's sockets
 * and the worker pipes in one poll; each verified wheel is made ready. */
int
engine_fetch_wait(void *arg, struct pollfd *fds, size_t nfds, int timeout_ms)
{
	struct run	*r = arg;
	int		 rc;

	if (r->fx == NULL && fetch_start(r) != 0)
		return -1;
	rc = fetch_run_some(r->fx, timeout_ms, fds, nfds);
	if (rc == FETCH_STOPPED)
		return -2;
	if (rc < 0)
		return -1;
	/* One failed download fails the run: nothing commits. */
	if (r->fetch_err != NULL)
		return err_set("%s", r->fetch_err);
	show_bytes(r);
	return 0;
}

void
engine_fetch_end(struct run *r)
{
	size_t	i;

	/* Aborts what still runs and removes its partial files. */
	if (r->fx != NULL)
		fetch_free(r->fx);
	r->fx = NULL;
	for (i = 0; r->dls != NULL && i < r->p->nadd; i++) {
		free(r->dls[i].tried);
		free(r->dls[i].page);
	}
	free(r->dls);
	free(r->dl_dest);
	free(r->dl_read);
	free(r->ready);
	free(r->fetch_err);
	for (i = 0; r->urls != NULL && i < r->p->nadd; i++)
		free(r->urls[i]);
	free(r->urls);
	r->dls = NULL;
	r->dl_dest = NULL;
	r->dl_read = NULL;
	r->ready = NULL;
	r->fetch_err = NULL;
	r->urls = NULL;
}
