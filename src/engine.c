/*
 * engine.c: runs a plan, the one path every change to an environment
 * takes.  It orders the wheels largest first and lets pool.c fork the
 * workers, which take the next wheel of that order whenever they are free
 * (a counter in a shared page), so one big wheel starts first and the
 * small ones fill in around it; it turns the workers' messages into
 * progress, warnings and errors.  Only after
 * every worker reported every wheel staged does it commit through txn.c:
 * replaced files move to the trash, staged trees are renamed in, each
 * wheel's dist-info last.  Any failure or stop signal before the end of
 * the commit leaves the environment exactly as it was.
 *
 * Workers run stage.c on their share and write only under the staging
 * directory and the cache; they never see the live environment.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytecode.h"
#include "engine.h"
#include "fsutil.h"
#include "plan.h"
#include "pool.h"
#include "progress.h"
#include "proto.h"
#include "target.h"
#include "txn.h"
#include "stage.h"
#include "unpack.h"
#include "util.h"

volatile sig_atomic_t engine_signal;
static int wake[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int	saved = errno;

	if (engine_signal == 0)
		engine_signal = sig;
	if (wake[1] >= 0)
		(void)!write(wake[1], "", 1);
	errno = saved;
}

void
engine_signals(void)
{
	struct sigaction	sa;

	if (wake[0] < 0 && pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
		wake[0] = wake[1] = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int
engine_signal_status(void)
{
	return 128 + engine_signal;
}

struct run {
	struct target		*t;
	struct plan		*p;
	const struct engine_opts *o;
	struct txn		 x;
	unsigned int		 nworkers;
	struct pool_queue	*queue;		/* the wheels, largest first */
	unsigned char		*started;	/* wheel -> STARTed already */
	int			*current;	/* worker -> wheel it STARTed, -1 */
	int			*bye;		/* worker -> wheels it says it did, -1 */
	unsigned int		*donecount;	/* worker -> DONEs received */
	unsigned long		 done;
	uint64_t		 files;
	uint64_t		 bytes;
	int			 failed;	/* an error was already printed */
	struct progress		 prog;
	int			 wfd;		/* in a worker: its pipe */
	const char		*cache_dir;	/* NULL: no cache */
	enum link_mode		 link;
	unsigned long		 cached;	/* wheels served from the cache */
};

/* ---- in the worker -------------------------------------------------- */

static struct run *worker_run;

static void
worker_warn(const char *text)
{
	uint32_t	wheel = 0;

	if (proto_send_text(worker_run->wfd, MSG_WARN, wheel, text) != 0)
		_exit(1);
}

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

static int
worker_work(void *arg, unsigned int id, int fd)
{
	struct run		*r = arg;
	struct stage_opts	 so;
	struct stage_stats	 st;
	struct msg_done		 d;
	struct msg_bye		 bye;
	size_t			 i;
	int			 sfd;

	(void)id;		/* every worker takes from the same queue */
	worker_run = r;
	r->wfd = fd;
	warn_hook = worker_warn;
	memset(&so, 0, sizeof(so));
	so.t = r->t;
	so.unpack.max_unpacked = r->o->max_unpacked;
	so.unpack.max_members = r->o->max_members;
	so.unpack.verify_record = r->o->verify_record;
	so.ignore_requires_python = r->o->ignore_requires_python;
	so.cache_dir = r->cache_dir;
	so.link = r->link;
	so.nosync = r->o->no_fsync;
	bye.count = 0;
	for (;;) {
		struct msg_start	s;
		long			k;

		if ((k = pool_queue_next(r->queue)) < 0)
			break;
		i = (size_t)k;
		s.wheel = (uint32_t)i;
		if (proto_send(fd, MSG_START, &s, sizeof(s)) != 0)
			return 1;
#ifdef FAULT_INJECTION
		if (getenv("FORKLIFT_FAULT_WORKER") &&
		    strtoul(getenv("FORKLIFT_FAULT_WORKER"), NULL, 10) == i)
			raise(SIGKILL);
#endif
		so.requested = r->p->add[i].requested;
		so.unpack.use_fd = 1;
		so.unpack.wheel_fd = r->p->add[i].fd;
		so.direct_url = r->p->add[i].direct_url;
		if ((sfd = stage_open(r, (unsigned int)i)) < 0 ||
		    stage_wheel(r->p->add[i].path, sfd, &so, &st) != 0) {
			proto_send_text(fd, MSG_FAIL, (uint32_t)i, err_get());
			return 1;
		}
		close(sfd);
		memset(&d, 0, sizeof(d));
		d.wheel = (uint32_t)i;
		d.files = st.files;
		d.bytes = st.bytes;
		d.cached = (uint32_t)st.cached;
		if (proto_send(fd, MSG_DONE, &d, sizeof(d)) != 0)
			return 1;
		bye.count++;
	}
	return proto_send(fd, MSG_BYE, &bye, sizeof(bye)) == 0 ? 0 : 1;
}

/* ---- in the parent -------------------------------------------------- */

static int
on_message(void *arg, unsigned int id, pid_t pid, uint32_t type,
    const void *payload, uint32_t len)
{
	struct run		*r = arg;
	struct msg_start	 s;
	struct msg_done		 d;
	const struct msg_text	*m = payload;
	struct msg_bye		 b;
	uint32_t		 wheel;

	(void)pid;
	switch (type) {
	case MSG_START:
		memcpy(&s, payload, sizeof(s));
		if (s.wheel >= r->p->nadd || r->started[s.wheel] || r->current[id] >= 0) {
			error_msg("worker %u started a wheel twice, or two at once", id + 1);
			return -1;
		}
		r->started[s.wheel] = 1;
		r->current[id] = (int)s.wheel;
		progress_update(&r->prog, r->done, "unpacking", r->p->add[s.wheel].base, 0);
		return 0;
	case MSG_DONE:
		memcpy(&d, payload, sizeof(d));
		if (d.wheel >= r->p->nadd || (int)d.wheel != r->current[id]) {
			error_msg("worker %u reported a wheel it had not started", id + 1);
			return -1;
		}
		r->current[id] = -1;
		r->donecount[id]++;
		r->done++;
		r->files += d.files;
		r->bytes += d.bytes;
		r->cached += d.cached != 0;
		progress_update(&r->prog, r->done, "unpacked", r->p->add[d.wheel].base, 0);
		return 0;
	case MSG_FAIL:
		memcpy(&wheel, &m->wheel, sizeof(wheel));
		progress_clear(&r->prog);
		error_msg("%s: %.*s", wheel < r->p->nadd ? r->p->add[wheel].base : "?",
		    (int)(len - sizeof(uint32_t)), m->text);
		r->failed = 1;
		return -1;
	case MSG_WARN:
		progress_clear(&r->prog);
		warn_msg("%.*s", (int)(len - sizeof(uint32_t)), m->text);
		return 0;
	case MSG_BYE:
		memcpy(&b, payload, sizeof(b));
		r->bye[id] = (int)b.count;
		return 0;
	}
	return -1;
}

static int
on_finished(void *arg, unsigned int id, pid_t pid, int status)
{
	struct run	*r = arg;

	if (status == 0 && r->bye[id] >= 0 && (unsigned int)r->bye[id] == r->donecount[id])
		return 0;
	if (r->failed)
		return -1;
	progress_clear(&r->prog);
	if (r->current[id] >= 0)
		error_msg("%s: worker %u (pid %ld) %s while unpacking it",
		    r->p->add[r->current[id]].base, id + 1, (long)pid,
		    pool_status_str(status));
	else
		error_msg("worker %u (pid %ld) %s after %u wheels%s", id + 1,
		    (long)pid, pool_status_str(status), r->donecount[id],
		    r->bye[id] < 0 ? ", without saying it was done" : "");
	r->failed = 1;
	return -1;
}

static void
on_broken(void *arg, unsigned int id, pid_t pid)
{
	struct run	*r = arg;

	(void)id;
	(void)pid;
	progress_clear(&r->prog);
	error_msg("%s", err_get());
	r->failed = 1;
}

static int
cmp_size_desc(const void *a, const void *b, void *arg)
{
	const struct plan	*p = arg;
	size_t			 x = *(const size_t *)a, y = *(const size_t *)b;

	if (p->add[x].size != p->add[y].size)
		return p->add[x].size < p->add[y].size ? 1 : -1;
	return x < y ? -1 : x > y;
}

/* Largest wheel first: the order the workers take them in, so that the
 * longest jobs start first and the short ones even out the end. */
static struct pool_queue *
queue_wheels(const struct plan *p)
{
	struct pool_queue	*q;
	size_t			*order = xcalloc(p->nadd ? p->nadd : 1, sizeof(*order));
	size_t			 i;

	for (i = 0; i < p->nadd; i++)
		order[i] = i;
	qsort_r(order, p->nadd, sizeof(*order), cmp_size_desc, (void *)p);
	q = pool_queue_new(order, p->nadd);
	free(order);
	return q;
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
		who = r->p->add[i].base;
		r->x.label = who;
		if (engine_signal)
			goto stopped;
		for (k = 0; k < ARRAY_SIZE(unpack_keys); k++)
			if (txn_install(&r->x, (unsigned int)i, unpack_keys[k],
			    key_dest(r->t, unpack_keys[k]), k < 2 ? 0 : 2) != 0)
				goto fail;
		for (k = 0; k < 2; k++)
			if (txn_install(&r->x, (unsigned int)i, unpack_keys[k],
			    key_dest(r->t, unpack_keys[k]), 1) != 0)
				goto fail;
	}
	if (engine_signal)
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
		return 4;	/* EXIT_UNRESTORED */
	}
	return engine_signal ? engine_signal_status() : 1;
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
	bo.stop = &engine_signal;
	bo.wake_fd = wake[0];
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
	struct pool_ops	 ops = { worker_work, on_message, on_finished, on_broken };
	struct run	 r;
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
	memset(&r, 0, sizeof(r));
	r.t = t;
	r.p = p;
	r.o = o;
	r.nworkers = o->jobs < p->nadd ? o->jobs : (unsigned int)p->nadd;
	if (r.nworkers == 0)
		r.nworkers = 1;
	r.started = xcalloc(p->nadd ? p->nadd : 1, 1);

	r.current = xcalloc(r.nworkers, sizeof(*r.current));
	r.bye = xcalloc(r.nworkers, sizeof(*r.bye));
	r.donecount = xcalloc(r.nworkers, sizeof(*r.donecount));
	for (i = 0; i < r.nworkers; i++)
		r.current[i] = r.bye[i] = -1;
	r.queue = queue_wheels(p);
	progress_start(&r.prog, p->nadd, o->progress);
	if (txn_begin(&r.x, t) != 0) {
		rc = 1;
		goto out;
	}
	r.x.strict = o->strict;
	r.x.nosync = o->no_fsync;
	if (p->nadd > 0 && o->cache_dir != NULL && choose_link(&r, o) != 0) {
		txn_abort(&r.x);
		rc = 1;
		goto out;
	}
	rc = 0;
	if (p->nadd > 0)
		rc = pool_run(r.nworkers, &ops, &r, &engine_signal, wake[0]);
	if (rc == 0 && r.done != p->nadd) {
		error_msg("the workers unpacked %lu of %zu wheels", r.done, p->nadd);
		r.failed = 1;
		rc = -1;
	}
	if (rc != 0 || engine_signal) {
		progress_clear(&r.prog);
		if (rc == -1 && !r.failed)
			error_msg("%s", err_get());
		txn_abort(&r.x);
		rc = engine_signal ? engine_signal_status() : 1;
		goto out;
	}
	if (o->compile_levels && p->nadd > 0 &&
	    (compile_staged(&r) != 0 || engine_signal)) {
		txn_abort(&r.x);
		rc = engine_signal ? engine_signal_status() : 1;
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
	txn_free(&r.x);
	pool_queue_free(r.queue);
	free(r.started);
	free(r.current);
	free(r.bye);
	free(r.donecount);
	return rc;
}
