/*
 * engine.c: runs a plan, the one path every change to an environment
 * takes.  It hands the wheels to runner.c, which starts the largest first
 * on the pool's workers, each taking the next wheel whenever it is free,
 * so one big wheel starts first and the small ones fill in around it; it
 * turns what the workers report into progress.  Only after
 * every worker reported every wheel staged does it commit through txn.c:
 * replaced files move to the trash, staged trees are renamed in, each
 * wheel's dist-info last.  Any failure or stop signal before the end of
 * the commit leaves the environment exactly as it was.
 *
 * Workers run stage.c on their share and write only under the staging
 * directory and the cache; they never see the live environment.
 *
 * Wheels the plan knows by URL are downloaded while the workers unpack:
 * the runner forks the workers first, then its parent loop waits in
 * fetch_run_some() (curl's sockets and the worker pipes in one poll), and
 * each wheel is handed to a free worker as soon as its download is
 * complete and verified (runner_ready() with the verified file's sha256
 * and path, which the worker reads from the queue's shared page, opens,
 * and hashes again as it stages it: the bytes it unpacks are the ones
 * verified).  The fetch context is made only after the fork and freed before
 * anything else forks, so no curl state ever crosses a fork.  A wheel is
 * handed over whole: streaming one into a worker while it downloads would
 * save at most the shorter of its download and its unpack, at the price
 * of reading unverified bytes without the zip's central directory.
 *
 * The runner's items are units: a wheel, or a part of a big wheel
 * (engine_split_plan).  A downloaded wheel is split by the same rule when its
 * size is known before the fork (index, lock file or pin); its parts are
 * all made ready, with the same note, once it is verified, and each part
 * opens the verified file by that note.
 *
 * The downloads are engine_fetch.c's, the units and split wheels
 * engine_split.c's; this file has the workers' side, the commit and
 * engine_run().
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bytecode.h"
#include "cache.h"
#include "engine.h"
#include "engine_int.h"
#include "lockfile.h"
#include "fetch.h"
#include "fsutil.h"
#include "index.h"
#include "jobs.h"
#include "plan.h"
#include "progress.h"
#include "resolve.h"
#include "runner.h"
#include "sandbox.h"
#include "target.h"
#include "sig.h"
#include "stage.h"
#include "txn.h"
#include "unpack.h"
#include "url.h"
#include "util.h"

/* ---- in the worker -------------------------------------------------- */

static int
stage_open(const struct run *r, unsigned int i)
{
	char	*p = txn_stage_path(&r->x, i);
	int	 fd = -1;

	if (mkdir(p, 0777) != 0)
		err_set("cannot create the staging directory '%s': %s", p, strerror(errno));
	else if ((fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		err_set("cannot open '%s': %s", p, strerror(errno));
	free(p);
	return fd;
}

/* The worker's sandbox: it writes beneath its staging directory and the
 * cache's tmp/ and wheels/ (entries are renamed from one to the other and
 * hard-linked into staging).  wheels/ cannot be read-only: Landlock
 * refuses (EXDEV) a link that would give a file rights it lacks where it
 * comes from, and staging is writable; forklift(1)'s SECURITY section
 * says what that means for a shared cache.  A wheel known before the fork is read
 * through the descriptor the parent opened (plan.c), which Landlock does
 * not check; a wheel downloaded after the fork is opened by the worker by
 * the path in its note, so the worker may read, and only read, beneath
 * where downloads land: <cache>/v1/archives, or with --no-cache the
 * downloads directory in staging. */
static int
worker_confine(const struct run *r, int fd)
{
	struct sandbox_spec	sb;
	struct sandbox_report	rep;
	uint64_t		big = 0;
	size_t			i;
	int			rc;

	sandbox_spec_init(&sb, (enum sandbox_mode)r->o->sandbox);
	strv_push(&sb.write, r->x.dir);
	if (r->cache_dir != NULL) {
		strv_push_owned(&sb.write, xasprintf("%s/v1/tmp", r->cache_dir));
		strv_push_owned(&sb.write, xasprintf("%s/v1/wheels", r->cache_dir));
	}
	for (i = 0; i < r->p->nadd; i++)
		if (r->p->add[i].size > big)
			big = r->p->add[i].size;
	strv_push(&sb.read, "/etc/localtime");
	if (r->dl_read != NULL)
		strv_push(&sb.read, r->dl_read);
	/* No member is larger than --max-unpacked-size; RECORD and the
	 * manifest get some room on top.  The heap holds at most one
	 * member's compressed and uncompressed bytes at once. */
	sb.max_file = r->o->max_unpacked + (64 << 20);
	sb.max_data = r->o->max_unpacked + big + (256 << 20);
	sb.nofile = 256;
	sb.report_fd = fd;
	rc = sandbox_confine(&sb, &rep);
	sandbox_spec_free(&sb);
	return rc;
}

/* First thing in a worker, before it opens any wheel: confine it. */
static int
worker_init(void *arg)
{
	struct run	*r = arg;

	if (worker_confine(r, runner_worker_fd()) != 0)
		return -1;
	memset(&r->so, 0, sizeof(r->so));
	r->so.t = r->t;
	r->so.unpack.max_unpacked = r->o->max_unpacked;
	r->so.unpack.max_members = r->o->max_members;
	r->so.unpack.verify_record = r->o->verify_record;
	r->so.ignore_requires_python = r->o->ignore_requires_python;
	r->so.cache_dir = r->cache_dir;
	r->so.link = r->link;
	r->so.nosync = r->o->no_fsync;
	return 0;
}

#ifdef FAULT_INJECTION
/* FORKLIFT_FAULT_WORKER=W kills the worker taking wheel W (its part 0,
 * when split); W.P the one taking part P of wheel W. */
static void
fault_point(const struct unit *u)
{
	const char	*e = getenv("FORKLIFT_FAULT_WORKER");
	char		*end;
	unsigned long	 w, part;

	if (e == NULL || *e == '\0')
		return;
	w = strtoul(e, &end, 10);
	if (w != u->wheel)
		return;
	part = *end == '.' ? strtoul(end + 1, NULL, 10) : 0;
	if (part == u->part)
		raise(SIGKILL);
}
#endif

/* A wheel downloaded after the fork: the note the parent made it ready
 * with, "<sha256> <path>" of the file it verified.  The worker opens that
 * path once, reads only through the descriptor, and stage.c checks that
 * the sha256 it computes of it is the verified one. */
static int
open_delivered(size_t i, char sha[65], const char **path, int *indexed)
{
	const char	*note;
	struct stat	 st;
	int		 fd;

	if ((note = runner_note(i)) == NULL || strlen(note) < 66 ||
	    (note[64] != ' ' && note[64] != NOTE_INDEXED))
		return err_set("no verified file was delivered for it");
	memcpy(sha, note, 64);
	sha[64] = '\0';
	*path = note + 65;
	*indexed = note[64] == NOTE_INDEXED;
	if ((fd = plan_open_wheel(*path, &st)) < 0)
		return err_set("%s: %s", *path, fd == -1 ? strerror(errno) :
		    "not a regular file");
	return fd;
}

/* Part 0 of a downloaded split wheel: its sha256 (hashed now unless
 * stage_part() has) is the verified download's. */
static int
part_verified(struct run *r, const struct stage_split *sp, const char *path)
{
	if (sp->sh->sha256[0] == '\0' && cache_key_fd(r->so.unpack.wheel_fd,
	    NULL, sp->sh->sha256) != 0)
		return -1;
	if (strcmp(sp->sh->sha256, r->so.expect_sha256) != 0)
		return err_set("'%s' has sha256 %s, not the verified download's %s",
		    path, sp->sh->sha256, r->so.expect_sha256);
	return 0;
}

/* A part of a split wheel; the worker whose part completes the wheel
 * finishes it. */
static int
worker_part(struct run *r, const struct unit *u, const char *path, int sfd,
    struct stage_stats *st)
{
	const struct split	*s = &r->split[u->wheel];
	const struct split_dl	*d = &r->sdl[u->wheel];
	const char		*expect = r->so.expect_sha256;
	struct stage_split	 sp;
	struct stat		 fst;

	sp.part = u->part;
	sp.nparts = s->nparts;
	sp.sh = &r->sh[u->wheel];
	sp.dir = s->dir;
	sp.key = s->key[0] ? s->key : NULL;
	sp.tmp = s->tmp;
	if (expect != NULL) {	/* downloaded: what fetched() found */
		sp.key = d->key[0] ? d->key : NULL;
		sp.tmp = d->warm ? NULL : s->tmp;
		if (fstat(r->so.unpack.wheel_fd, &fst) != 0 ||
		    fst.st_dev != d->dev || fst.st_ino != d->ino)
			return err_set("%s: the file was replaced after it was "
			    "verified", path);
	}
	/* Part 0 checks that the bytes the parts read (the same file) are
	 * the verified ones before the wheel can finish.  It hashes them
	 * once: first, as stage_part() does when it wants the sha256 (the
	 * other parts take more chunks meanwhile), else after it. */
	if (expect != NULL && u->part == 0 && sp.key == NULL &&
	    !r->so.direct_url && part_verified(r, &sp, path) != 0)
		return -1;
	if (stage_part(path, sfd, &r->so, &sp, st) != 0)
		return -1;
	if (expect != NULL && u->part == 0 && part_verified(r, &sp, path) != 0)
		return -1;
	if (__atomic_sub_fetch(&sp.sh->left, 1, __ATOMIC_ACQ_REL) != 0)
		return 0;
	return stage_part_finish(path, sfd, &r->so, &sp, st);
}

static int
worker_wheel(void *arg, size_t k, struct runner_stats *rs)
{
	struct run		*r = arg;
	const struct unit	*u = &r->units[k];
	unsigned int		 i = u->wheel;
	struct stage_stats	 st;
	const char		*path;
	char			 sha[65];
	int			 sfd, wfd, own = 0, indexed = 0, rc;

#ifdef FAULT_INJECTION
	fault_point(u);
#endif
	r->so.requested = r->p->add[i].requested;
	r->so.direct_url = r->p->add[i].direct_url;
	r->so.url = r->urls != NULL ? r->urls[i] : NULL;
	r->so.expect_sha256 = NULL;
	/* Known before the fork: the descriptor plan.c opened (each part of
	 * a split wheel its own).  Downloaded after it: the file the parent
	 * verified, by the note made ready with this unit (each part opens
	 * it on its own). */
	path = r->p->add[i].path;
	if (path != NULL)
		wfd = r->split[i].nparts > 1 ? r->split[i].fds[u->part] :
		    r->p->add[i].fd;
	else {
		if ((wfd = open_delivered(k, sha, &path, &indexed)) < 0)
			return -1;
		own = 1;
		r->so.expect_sha256 = sha;
		if (indexed) {	/* not from its url: no direct_url.json */
			r->so.direct_url = 0;
			r->so.url = NULL;
		}
	}
	r->so.unpack.use_fd = 1;
	r->so.unpack.wheel_fd = wfd;
	if (r->split[i].nparts > 1)
		sfd = open(r->split[i].dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	else
		sfd = stage_open(r, i);
	if (sfd < 0) {
		rc = r->split[i].nparts > 1 ? err_set("cannot open '%s': %s",
		    r->split[i].dir, strerror(errno)) : -1;
	} else {
		if (r->split[i].nparts > 1)
			rc = worker_part(r, u, path, sfd, &st);
		else
			rc = stage_wheel(path, sfd, &r->so, &st);
		close(sfd);
	}
	if (own)
		close(wfd);
	r->so.expect_sha256 = NULL;
	if (rc != 0)
		return -1;
	rs->files = st.files;
	rs->bytes = st.bytes;
	rs->cached = (uint32_t)st.cached;
	return 0;
}

/* ---- in the parent -------------------------------------------------- */

static void
on_start(void *arg, size_t k)
{
	struct run	*r = arg;

	progress_update(&r->prog, r->done, "unpacking",
	    r->p->add[r->units[k].wheel].base, 0);
}

static int
on_done(void *arg, size_t k, const struct runner_stats *st)
{
	struct run	*r = arg;
	unsigned int	 i = r->units[k].wheel;

	r->files += st->files;
	r->bytes += st->bytes;
	r->cached += st->cached != 0;
	/* A split wheel is done with its last part: the worker that finished
	 * it (its left count reached 0) sends its DONE after finishing it. */
	if (r->split[i].nparts > 1 && ++r->split[i].got < r->split[i].nparts)
		return 0;
	r->done++;
	progress_update(&r->prog, r->done, "unpacked", r->p->add[i].base, 0);
	return 0;
}

static void
on_quiet(void *arg)
{
	struct run	*r = arg;

	progress_clear(&r->prog);
}

static const char *
wheel_label(void *arg, size_t k)
{
	struct run	*r = arg;

	if (r->units[k].label != NULL)
		return r->units[k].label;
	return r->p->add[r->units[k].wheel].base;
}

static const char *
key_dest(const struct target *t, const char *key)
{
	if (strcmp(key, "purelib") == 0)
		return t->purelib;
	if (strcmp(key, "platlib") == 0)
		return t->platlib;
	if (strcmp(key, "scripts") == 0)
		return t->scripts;
	if (strcmp(key, "data") == 0)
		return t->data;
	return t->include;
}

/* The installed distribution whose RECORD lists abs (txn's owner hook).
 * Only asked before overwriting a file, so reading RECORDs is fine. */
static char *
file_owner(void *arg, const char *abs)
{
	struct run	*r = arg;
	struct distlist	 l;
	struct strv	 files = STRV_INIT;
	char		*who = NULL;
	size_t		 i, j;

	installed_scan(r->t, &l);
	for (i = 0; i < l.n && who == NULL; i++) {
		if (installed_files(r->t, &l.v[i], &files) != 0)
			continue;
		for (j = 0; j < files.n && who == NULL; j++)
			if (strcmp(files.v[j], abs) == 0)
				who = xasprintf("%s %s", l.v[i].name, l.v[i].version);
		strv_free(&files);
	}
	distlist_free(&l);
	return who;
}

static int
remove_dist(struct run *r, const struct dist *d)
{
	struct strv	files = STRV_INIT;
	size_t		i;
	int		rc = 0;

	if (installed_files(r->t, d, &files) != 0)
		return -1;
	for (i = 0; i < files.n && rc == 0; i++)
		rc = txn_remove(&r->x, files.v[i]);
	strv_free(&files);
	return rc;
}

static int
commit(struct run *r)
{
	size_t		 i, k;
	const char	*who = NULL;

	if (txn_commit_begin(&r->x) != 0)
		goto fail;
	for (i = 0; i < r->p->nadd; i++) {
		who = r->p->add[i].base;
		if (r->p->add[i].old && remove_dist(r, r->p->add[i].old) != 0)
			goto fail;
	}
	for (i = 0; i < r->p->nremove; i++) {
		who = r->p->remove[i]->name;
		if (remove_dist(r, r->p->remove[i]) != 0)
			goto fail;
	}
	r->x.owner = file_owner;
	r->x.owner_arg = r;
	for (i = 0; i < r->p->nadd; i++) {
		int	staged[ARRAY_SIZE(unpack_keys)], rc;

		who = r->p->add[i].base;
		r->x.label = who;
		if (sig_stop)
			goto stopped;
		for (k = 0; k < ARRAY_SIZE(unpack_keys); k++) {
			if ((rc = txn_install(&r->x, (unsigned int)i, unpack_keys[k],
			    key_dest(r->t, unpack_keys[k]), k < 2 ? 0 : 2)) < 0)
				goto fail;
			staged[k] = rc == 0;
		}
		for (k = 0; k < 2; k++)
			if (staged[k] && txn_install(&r->x, (unsigned int)i,
			    unpack_keys[k], key_dest(r->t, unpack_keys[k]), 1) < 0)
				goto fail;
	}
	if (sig_stop)
		goto stopped;
	if (txn_commit_end(&r->x) != 0)
		goto fail;
	return 0;
fail:
	progress_clear(&r->prog);
	error_msg("%s%s%s", who ? who : "", who ? ": " : "", err_get());
stopped:
	if (txn_rollback(&r->x) != 0) {
		error_msg("the environment could not be restored; run forklift "
		    "verify (the next forklift run will retry)");
		return 4;	/* EXIT_UNRESTORED (cli.h) */
	}
	return sig_stop ? sig_status() : 1;
}

/* --compile-bytecode: .pyc files into every staged wheel's purelib and
 * platlib trees, listed in its RECORD, so they land with the commit. */
static int
compile_staged(struct run *r)
{
	struct bytecode_tree	*trees;
	struct bytecode_opts	 bo;
	struct bytecode_stats	 bs;
	size_t			 i;
	int			 rc;

	trees = xcalloc(r->p->nadd, sizeof(*trees));
	for (i = 0; i < r->p->nadd; i++) {
		trees[i].label = r->p->add[i].base;
		trees[i].stage = txn_stage_path(&r->x, (unsigned int)i);
	}
	bo.jobs = r->o->jobs;
	bo.levels = r->o->compile_levels;
	bo.stop = &sig_stop;
	bo.wake_fd = sig_wake_fd();
	bo.sandbox = r->o->sandbox;
	bo.stage_root = r->x.dir;
	progress_clear(&r->prog);
	rc = bytecode_compile(r->t, trees, r->p->nadd, &bo, &bs);
	if (rc == -1)
		error_msg("%s", err_get());
	else if (rc == 0 && verbosity > 0)
		note_msg("compiled %llu .pyc file%s%s", (unsigned long long)bs.compiled,
		    bs.compiled == 1 ? "" : "s", bs.failed ? " (some sources did not "
		    "compile)" : "");
	for (i = 0; i < r->p->nadd; i++)
		free((char *)trees[i].stage);
	free(trees);
	return rc;
}

/* Decide once, before forking, how cached files reach staging.  A cache
 * that cannot be used is a warning; an explicit --link-mode that does not
 * work is an error (the user asked for it). */
static int
choose_link(struct run *r, const struct engine_opts *o)
{
	enum link_mode	got;
	int		rc;

	rc = mkdir_p(o->cache_dir, 0755);
	if (rc == 0)
		rc = link_probe(o->cache_dir, r->x.dir, (enum link_mode)o->link_mode, &got);
	if (rc == -2) {
		error_msg("%s: %s", r->t->root, err_get());
		return -1;
	}
	if (rc != 0) {
		warn_msg("not using the cache: %s", err_get());
		return 0;
	}
	r->cache_dir = o->cache_dir;
	r->link = got;
	if (verbosity > 0 && (o->link_mode == LINK_AUTO && got != LINK_REFLINK))
		note_msg("cache '%s': reflinks do not work into '%s'; using %s",
		    o->cache_dir, r->t->root, link_mode_name(got));
	return 0;
}

static void
print_plan(const struct plan *p)
{
	size_t	i;

	for (i = 0; i < p->nadd; i++) {
		const struct plan_wheel *w = &p->add[i];

		if (w->old)
			printf("~ %s %s -> %s\n", w->fn.name, w->old->version, w->fn.version);
		else
			printf("+ %s %s\n", w->fn.name, w->fn.version);
	}
	for (i = 0; i < p->nremove; i++)
		printf("- %s %s\n", p->remove[i]->name, p->remove[i]->version);
}

int
engine_run(struct target *t, struct plan *p, const struct engine_opts *o)
{
	static const struct runner_ops ops = {
		.init = worker_init, .work = worker_wheel, .start = on_start,
		.done = on_done, .quiet = on_quiet, .label = wheel_label,
		.frame = sandbox_frame, .describe_exit = sandbox_describe_exit,
	};
	struct runner_opts ro = { o->jobs, "unpacking", "wheels", NULL };
	struct runner_feed feed = { NULL, engine_fetch_wait };
	struct run	 r;
	uint64_t	*sizes;
	unsigned long	 replaced = 0;
	size_t		 i;
	int		 rc;

	for (i = 0; i < p->unchanged.n; i++)
		note_msg("%s is already installed (--reinstall to install it again)",
		    p->unchanged.v[i]);
	if (o->dry_run) {
		print_plan(p);
		return 0;
	}
	if (p->nadd == 0 && p->nremove == 0) {
		note_msg("nothing to do");
		return 0;
	}
	if (p->nadd > 0 && sandbox_announce((enum sandbox_mode)o->sandbox) != 0) {
		error_msg("%s", err_get());
		return 1;
	}
	memset(&r, 0, sizeof(r));
	r.t = t;
	r.p = p;
	r.o = o;
	sizes = NULL;
	progress_start(&r.prog, p->nadd, o->progress);
	if (txn_begin(&r.x, t) != 0) {
		rc = 1;
		goto out;
	}
	if ((rc = engine_fetch_prepare(&r)) < 0) {
		txn_abort(&r.x);
		rc = 1;
		goto out;
	} else if (rc > 0)
		ro.feed = &feed;	/* its ready: per unit (engine_split_plan) */
	r.x.strict = o->strict;
	r.x.nosync = o->no_fsync;
	if (p->nadd > 0 && o->cache_dir != NULL && choose_link(&r, o) != 0) {
		txn_abort(&r.x);
		rc = 1;
		goto out;
	}
	if (p->nadd > 0 && verbosity > 0)
		note_msg("jobs: %s", jobs_describe(o->jobs));
	/* Largest unit first, so that the longest jobs start first and the
	 * short ones even out the end. */
	if (engine_split_plan(&r, &sizes) != 0) {
		engine_split_free(&r, 1);
		txn_abort(&r.x);
		rc = 1;
		goto out;
	}
	if (ro.feed != NULL)
		feed.ready = r.uready;
	rc = runner_run(sizes, r.nunits, &ops, &r, &ro);
	/* Before anything else forks (bytecode), and before the commit. */
	engine_fetch_end(&r);
	engine_split_free(&r, rc != 0 || sig_stop);
	if (rc != 0 || sig_stop) {
		progress_clear(&r.prog);
		txn_abort(&r.x);
		rc = sig_stop ? sig_status() : 1;
		goto out;
	}
	if (o->compile_levels && p->nadd > 0 &&
	    (compile_staged(&r) != 0 || sig_stop)) {
		txn_abort(&r.x);
		rc = sig_stop ? sig_status() : 1;
		goto out;
	}
	progress_update(&r.prog, r.done, "committing", "", 1);
	rc = commit(&r);
	progress_clear(&r.prog);
	if (rc == 0) {
		for (i = 0; i < p->nadd; i++)
			replaced += p->add[i].old != NULL;
		if (verbosity >= 0 && p->nadd == 0)
			fprintf(stderr, "Removed %zu package%s in %.2fs\n", p->nremove,
			    p->nremove == 1 ? "" : "s", progress_elapsed(&r.prog));
		else if (verbosity >= 0) {
			fprintf(stderr, "Installed %zu package%s in %.2fs", p->nadd,
			    p->nadd == 1 ? "" : "s", progress_elapsed(&r.prog));
			if (replaced)
				fprintf(stderr, " (%lu replaced)", replaced);
			if (p->nremove)
				fprintf(stderr, ", removed %zu", p->nremove);
			fprintf(stderr, "\n");
		}
		if (verbosity > 0)
			note_msg("%llu files, %llu bytes; %lu of %zu wheels from the cache%s%s",
			    (unsigned long long)r.files, (unsigned long long)r.bytes,
			    r.cached, p->nadd, r.cache_dir ? " by " : "",
			    r.cache_dir ? link_mode_name(r.link) : "");
	}
out:
	engine_fetch_end(&r);
	txn_free(&r.x);
	free(sizes);
	return rc;
}
