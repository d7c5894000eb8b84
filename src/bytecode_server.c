/*
 * bytecode_server.c: the compile servers of --compile-bytecode.
 *
 * A compile server is a process of the target interpreter running the
 * small program below, which reads lines
 *
 *   <staged path> TAB <final path> TAB <level> LF
 *
 * on stdin and answers each with one line on stdout, in order:
 *
 *   ok <pyc path relative to the source's directory> LF
 *   error: <why> LF
 *
 * The program calls py_compile with the final path as dfile (so
 * co_filename, tracebacks and __file__ name the installed location) and
 * writes the .pyc where importlib's cache_from_source() puts it for the
 * final path, but inside the staging tree; the source's mtime and size
 * survive the rename, so the bytes equal what "compileall -d" writes and
 * an import never rewrites them.  py_compile picks checked-hash pycs when
 * SOURCE_DATE_EPOCH is set, as compileall does.
 *
 * marshal flags an object for back-references when its reference count
 * is above one, so the bytes of a .pyc also depend on what else the
 * compiling process holds (an interned name, a constant shared with a
 * loaded module): the program first imports what "python -m compileall"
 * has loaded when it compiles, so that the bytes are the same.
 *
 * The parent hands out work in the order bytecode.c planned (largest file
 * first), a few lines ahead per server, and polls every server's pipes; a
 * slow big file thus never holds up the rest.  A server that dies is
 * restarted once and its unanswered lines go to the front of the queue; a
 * second death of that server, or of any server on a file that already
 * killed one, fails the run.
 *
 * It owns the servers' processes and pipes.  It never chooses what is
 * compiled and never writes a file itself: the servers, confined to the
 * staging root, write only .pyc files inside the staging trees.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytecode.h"
#include "bytecode_impl.h"
#include "fsutil.h"
#include "sandbox.h"
#include "pool.h"
#include "spawn.h"
#include "target.h"
#include "util.h"

/* Runs under Python 2.7 and 3.x; Python 2 writes mod.pyc next to mod.py. */
const char bytecode_program[] =
"import os, sys, warnings\n"
"warnings.simplefilter('ignore')\n"
"import py_compile\n"
"try:\n"
"    import runpy, compileall, argparse\n"
"except ImportError:\n"
"    pass\n"
"try:\n"
"    from importlib.util import cache_from_source\n"
"except ImportError:\n"
"    cache_from_source = None\n"
"rd = getattr(sys.stdin, 'buffer', sys.stdin)\n"
"wr = getattr(sys.stdout, 'buffer', sys.stdout)\n"
"dec = getattr(os, 'fsdecode', str)\n"
"enc = getattr(os, 'fsencode', str)\n"
"def why(e):\n"
"    v = getattr(e, 'exc_value', e)\n"
"    if isinstance(v, SyntaxError):\n"
"        m = '%s: %s (line %s)' % (type(v).__name__, v.msg, v.lineno)\n"
"    else:\n"
"        m = '%s: %s' % (type(v).__name__, v)\n"
"    m = ' '.join(m.split())[:900]\n"
"    if not isinstance(m, bytes):\n"
"        m = m.encode('utf-8', 'replace')\n"
"    return b'error: ' + m\n"
"for line in iter(rd.readline, b''):\n"
"    try:\n"
"        src, final, opt = line.rstrip(b'\\n').split(b'\\t')\n"
"        src, final, opt = dec(src), dec(final), int(opt)\n"
"        if cache_from_source is None:\n"
"            rel = os.path.basename(final) + 'c'\n"
"            py_compile.compile(src, src + 'c', final, True)\n"
"        else:\n"
"            rel = os.path.relpath(cache_from_source(final,\n"
"                optimization=opt or ''), os.path.dirname(final))\n"
"            py_compile.compile(src, os.path.join(os.path.dirname(src), rel),\n"
"                final, True, opt)\n"
"        r = b'ok ' + enc(rel)\n"
"    except Exception as e:\n"
"        r = why(e)\n"
"    wr.write(r + b'\\n')\n"
"    wr.flush()\n";

#define ANSWER_MAX	8192	/* longest answer line accepted */

/* ---- the compile servers ------------------------------------------------ */

/* Make from the descriptor to (kept across exec). */
static void
move_fd(int from, int to)
{
	if (from == to)
		fcntl(to, F_SETFD, 0);
	else
		dup2(from, to);
}

/* In a new server, before exec: write only beneath staging, no network,
 * no new privileges (sandbox.c); no system call filter, since the
 * interpreter needs too much. */
static int
server_confine(const struct bc_run *r)
{
	struct sandbox_spec	sb;
	struct sandbox_report	rep;
	int			rc;

	if (r->o->stage_root == NULL)
		return 0;
	sandbox_spec_init(&sb, (enum sandbox_mode)r->o->sandbox);
	strv_push(&sb.write, r->o->stage_root);
	sb.restrict_read = 0;
	sb.seccomp = 0;
	rc = sandbox_confine(&sb, &rep);
	sandbox_spec_free(&sb);
	return rc;
}

static int
server_start(struct bc_run *r, struct bc_server *s)
{
	const char	*py = r->t->python;
	int		 in[2], out[2];

	if (pipe2(in, O_CLOEXEC) != 0)
		return err_set("pipe: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		return err_set("pipe: %s", strerror(errno));
	}
	if ((s->errfd = memfd_create("forklift-bytecode-stderr", MFD_CLOEXEC)) < 0)
		s->errfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if ((s->pid = spawn_fork(NULL, 0)) < 0) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		if (s->errfd >= 0)
			close(s->errfd);
		s->errfd = -1;
		return -1;
	}
	if (s->pid == 0) {
		move_fd(in[0], STDIN_FILENO);
		move_fd(out[1], STDOUT_FILENO);
		if (s->errfd >= 0)
			move_fd(s->errfd, STDERR_FILENO);
		if (server_confine(r) != 0) {
			dprintf(STDERR_FILENO, "%s\n", err_get());
			_exit(127);
		}
		if (r->legacy) {
			if (chdir("/") != 0)
				_exit(127);
			execl(py, py, "-E", "-s", "-c", bytecode_program, (char *)NULL);
		} else
			execl(py, py, "-I", "-c", bytecode_program, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->in = in[1];
	s->out = out[0];
	fcntl(s->in, F_SETFL, fcntl(s->in, F_GETFL) | O_NONBLOCK);
	buf_reset(&s->wq);
	buf_reset(&s->rq);
	s->woff = 0;
	s->head = s->count = 0;
	return 0;
}

/* Close a server's pipes and reap it; returns its wait status. */
static int
server_reap(struct bc_server *s, int sig)
{
	int	status = 0;

	if (s->pid <= 0)
		return 0;
	if (sig)
		kill(s->pid, sig);
	if (s->in >= 0)
		close(s->in);
	if (s->out >= 0)
		close(s->out);
	s->in = s->out = -1;
	if (spawn_wait(s->pid, &status) != 0)
		status = POOL_STATUS_LOST;
	s->pid = -1;
	return status;
}

/* The last line the server wrote on stderr, for an error message. */
static void
server_stderr(struct bc_server *s, char *out, size_t cap)
{
	char	 text[2048], *p, *last;
	off_t	 size;
	ssize_t	 n;

	out[0] = '\0';
	if (s->errfd < 0 || (size = lseek(s->errfd, 0, SEEK_END)) <= 0)
		return;
	size = size > (off_t)sizeof(text) - 1 ? size - (off_t)sizeof(text) + 1 : 0;
	if ((n = pread(s->errfd, text, sizeof(text) - 1, size)) <= 0)
		return;
	text[n] = '\0';
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	last = (p = strrchr(text, '\n')) != NULL ? p + 1 : text;
	snprintf(out, cap, "%s%.400s", *last ? ": " : "", last);
}

static size_t
next_item(struct bc_run *r)
{
	if (r->nretry > 0)
		return r->retry[--r->nretry];
	if (r->next < r->nitems)
		return r->order[r->next++];
	return (size_t)-1;
}

/* Hand out lines until DEPTH are unanswered, then write what fits. */
static void
feed(struct bc_run *r, struct bc_server *s)
{
	const struct bc_file	*f;
	size_t			 it;
	ssize_t			 n;

	while (s->count < DEPTH && (it = next_item(r)) != (size_t)-1) {
		f = &r->files[r->items[it].file];
		buf_addf(&s->wq, "%s\t%s\t%u\n", f->staged, f->final, r->items[it].level);
		s->ring[(s->head + s->count++) % DEPTH] = it;
	}
	while (s->woff < s->wq.len) {
		n = write(s->in, s->wq.p + s->woff, s->wq.len - s->woff);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* Dead (EPIPE): its stdout's EOF follows, and the
			 * unanswered lines are handed out again then. */
			s->woff = s->wq.len;
			break;
		}
		s->woff += (size_t)n;
	}
	if (s->woff == s->wq.len) {
		buf_reset(&s->wq);
		s->woff = 0;
	}
}

/* A server hit EOF: restart it once, else fail the run. */
static int
server_died(struct bc_run *r, struct bc_server *s)
{
	struct bc_item	*oldest = s->count ? &r->items[s->ring[s->head]] : NULL;
	const struct bc_file *f = oldest ? &r->files[oldest->file] : NULL;
	char		 errtext[600];
	pid_t		 pid = s->pid;
	int		 status;
	size_t		 k;

	status = server_reap(s, 0);
	server_stderr(s, errtext, sizeof(errtext));
	if (s->restarted || (oldest && oldest->crashes > 0)) {
		if (f)
			return err_set("%s: bytecode compiler %u (pid %ld) %s while "
			    "compiling '%s'%s", r->trees[f->tree].label, s->id, (long)pid,
			    pool_status_str(status), f->final, errtext);
		return err_set("bytecode compiler %u (pid %ld) %s%s", s->id, (long)pid,
		    pool_status_str(status), errtext);
	}
	if (verbosity > 0)
		note_msg("bytecode compiler %u (pid %ld) %s%s; restarting it", s->id,
		    (long)pid, pool_status_str(status), errtext);
	if (oldest)
		oldest->crashes++;
	/* Give back its unanswered lines, oldest to be handed out first. */
	for (k = s->count; k > 0; k--)
		r->retry[r->nretry++] = s->ring[(s->head + k - 1) % DEPTH];
	s->restarted = 1;
	if (s->errfd >= 0)
		close(s->errfd);
	s->errfd = -1;
	return server_start(r, s);
}

static int
answer(struct bc_run *r, struct bc_server *s, const char *line)
{
	struct bc_item		*it;
	struct bc_file		*f;
	struct bc_tree		*t;
	const char		*rel = line + 3, *base;
	char			*abs;

	if (s->count == 0)
		return err_set("bytecode compiler %u answered more lines than it "
		    "was given", s->id);
	it = &r->items[s->ring[s->head]];
	s->head = (s->head + 1) % DEPTH;
	s->count--;
	r->answered++;
	f = &r->files[it->file];
	t = &r->bt[f->tree];
	if (str_starts(line, "error: ")) {
		if (!f->warned)
			warn_msg("%s: cannot compile '%s': %s", r->trees[f->tree].label,
			    f->final, line + 7);
		if (!f->warned)
			r->st->failed++;
		f->warned = 1;
		return 0;
	}
	if (!str_starts(line, "ok ") || *rel == '\0' || *rel == '/' ||
	    strcmp(rel, "..") == 0 || str_starts(rel, "../") ||
	    strstr(rel, "/../") != NULL || str_ends(rel, "/.."))
		return err_set("bytecode compiler %u: unexpected answer for '%s'",
		    s->id, f->final);
	base = path_base(f->final);
	abs = xasprintf("%.*s%s", (int)(base - f->final), f->final, rel);
	strv_push_owned(&t->pycs, path_relative(t->home, abs));
	free(abs);
	r->st->compiled++;
	return 0;
}

/* Read what a server said; -1 fails the run. */
static int
server_read(struct bc_run *r, struct bc_server *s)
{
	char	 chunk[8192], *nl;
	size_t	 start;
	ssize_t	 n;

	n = read(s->out, chunk, sizeof(chunk));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 :
		    err_set("bytecode compiler %u: read: %s", s->id, strerror(errno));
	if (n == 0)
		return server_died(r, s);
	buf_add(&s->rq, chunk, (size_t)n);
	start = 0;
	while ((nl = memchr(s->rq.p + start, '\n', s->rq.len - start)) != NULL) {
		*nl = '\0';
		if (answer(r, s, s->rq.p + start) != 0)
			return -1;
		start = (size_t)(nl - s->rq.p) + 1;
	}
	if (s->rq.len - start > ANSWER_MAX)
		return err_set("bytecode compiler %u: answer too long", s->id);
	memmove(s->rq.p, s->rq.p + start, s->rq.len - start);
	s->rq.len -= start;
	s->rq.p[s->rq.len] = '\0';
	return 0;
}

/* The loop: start, feed, wait, collect, until every item is answered. */
int
bytecode_serve(struct bc_run *r)
{
	struct pollfd	*pfd;
	unsigned int	 i;
	nfds_t		 np;
	int		 rc = 0;

	pfd = xcalloc(2 * r->nsrv + 1, sizeof(*pfd));
	for (i = 0; i < r->nsrv && rc == 0; i++) {
		r->srv[i].id = i + 1;
		r->srv[i].pid = -1;
		r->srv[i].in = r->srv[i].out = r->srv[i].errfd = -1;
		rc = server_start(r, &r->srv[i]);
	}
	while (rc == 0 && r->answered < r->nitems) {
		if (r->o->stop && *r->o->stop) {
			rc = -2;
			break;
		}
		for (i = 0; i < r->nsrv; i++)
			feed(r, &r->srv[i]);
		pfd[0].fd = r->o->wake_fd;
		pfd[0].events = POLLIN;
		for (np = 1, i = 0; i < r->nsrv; i++) {
			pfd[np].fd = r->srv[i].out;
			pfd[np++].events = POLLIN;
			pfd[np].fd = r->srv[i].wq.len > r->srv[i].woff ? r->srv[i].in : -1;
			pfd[np++].events = POLLOUT;
		}
		if (poll(pfd, np, -1) < 0) {
			if (errno != EINTR)
				rc = err_set("poll: %s", strerror(errno));
			continue;
		}
		for (i = 0; i < r->nsrv && rc == 0; i++)
			if (pfd[1 + 2 * i].revents & (POLLIN | POLLHUP | POLLERR))
				rc = server_read(r, &r->srv[i]);
	}
	if (rc == -1 && r->o->stop && *r->o->stop)
		rc = -2;	/* the servers saw the signal too */
	/* Done: EOF on stdin ends each server.  Else they are killed. */
	for (i = 0; i < r->nsrv; i++) {
		server_reap(&r->srv[i], rc == 0 ? 0 : SIGKILL);
		if (r->srv[i].errfd >= 0)
			close(r->srv[i].errfd);
		buf_free(&r->srv[i].wq);
		buf_free(&r->srv[i].rq);
	}
	free(pfd);
	return rc;
}
