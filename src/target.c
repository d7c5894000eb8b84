/*
 * target.c: the environment forklift changes.  It turns -p/--python,
 * --prefix, --target, $VIRTUAL_ENV and ./.venv into one interpreter and
 * one root directory, learns the interpreter's facts with a single
 * "python -I -c" query (cached, so a later run starts no Python), derives
 * the scheme paths and the supported tags, refuses a system interpreter
 * unless asked (PEP 668 included), and takes the environment's lock.
 *
 * The root is the directory that holds every scheme path, so staging under
 * <root>/.forklift stays on the file system the commit renames into.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "fsutil.h"
#include "spawn.h"
#include "target.h"
#include "util.h"

/* Run "python -I -c SCRIPT [prefix]" and capture its stdout.  Python 2.7
 * has no -I (it exits 2): it is asked with -E -s from "/" instead. */
static int
run_query(const char *python, const char *prefix, int legacy, struct buf *out)
{
	char	 chunk[4096], errtext[512];
	int	 fds[2], status, efd;
	pid_t	 pid;
	ssize_t	 n;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return err_set("pipe: %s", strerror(errno));
	/* The interpreter's stderr is kept for the error message. */
	if ((efd = memfd_create("forklift-query-stderr", MFD_CLOEXEC)) < 0)
		efd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if ((pid = spawn_fork(NULL, 0)) < 0) {
		close(fds[0]);
		close(fds[1]);
		if (efd >= 0)
			close(efd);
		return err_prefix("'%s'", python);
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		if (efd >= 0)
			dup2(efd, STDERR_FILENO);
		if (legacy) {
			if (chdir("/") != 0)
				_exit(127);
			execl(python, python, "-E", "-s", "-c", pyinfo_query_script,
			    prefix ? prefix : "", (char *)NULL);
		} else
			execl(python, python, "-I", "-c", pyinfo_query_script,
			    prefix ? prefix : "", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(out, chunk, (size_t)n);
	}
	close(fds[0]);
	if (spawn_wait(pid, &status) != 0) {
		if (efd >= 0)
			close(efd);
		return err_prefix("'%s'", python);
	}
	n = efd >= 0 ? pread(efd, errtext, sizeof(errtext) - 1, 0) : -1;
	errtext[n > 0 ? n : 0] = '\0';
	if (n > 0 && errtext[n - 1] == '\n')
		errtext[n - 1] = '\0';
	if (efd >= 0)
		close(efd);
	if (!legacy && WIFEXITED(status) && WEXITSTATUS(status) == 2 &&
	    out->len == 0)
		return run_query(python, prefix, 1, out);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set("'%s' failed to report its facts (exit %d)%s%s", python,
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		    *errtext ? ": " : "", errtext);
	return 0;
}

/* A wrapper script (a pyenv shim, say) may run another interpreter each
 * time: its facts are not cached. */
static int
is_script(const char *path)
{
	char	head[2];
	int	fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		r = read(fd, head, 2) == 2 && head[0] == '#' && head[1] == '!';
		close(fd);
	}
	return r;
}

/*
 * The cache file for an interpreter: keyed by its path as given (the
 * venv's bin/python: scheme paths follow from it), the real interpreter's
 * path, size and mtime, and the --prefix.  A venv made again at the same
 * path from the same Python (what CI jobs do every run) has the same
 * facts, so pyvenv.cfg is not part of the key; one made from another
 * Python links another real interpreter.
 */
static char *
query_cache_path(const char *cache_dir, const char *python, const char *prefix)
{
	struct stat	 st;
	struct buf	 key = BUF_INIT;
	char		 real[PATH_MAX], *path;
	XXH128_hash_t	 h;

	if (cache_dir == NULL || stat(python, &st) != 0 ||
	    realpath(python, real) == NULL || is_script(real))
		return NULL;
	buf_addf(&key, "v1|%s|%s|%lld|%lld.%09ld|%s", python, real,
	    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
	    st.st_mtim.tv_nsec, prefix ? prefix : "");
	h = XXH3_128bits(key.p, key.len);
	buf_free(&key);
	path = xasprintf("%s/v1/interp/%016llx%016llx", cache_dir,
	    (unsigned long long)h.high64, (unsigned long long)h.low64);
	return path;
}

static int
learn_facts(struct target *t, const char *python, const char *prefix,
    const char *cache_dir)
{
	struct buf	 out = BUF_INIT;
	char		*cpath, *text = NULL, *dir;
	size_t		 len;
	int		 rc;

	cpath = query_cache_path(cache_dir, python, prefix);
	if (cpath != NULL && read_file(cpath, 1 << 20, &text, &len) == 0) {
		rc = pyinfo_parse(text, len, &t->info);
		free(text);
		if (rc == 0) {
			free(cpath);
			return 0;
		}
		pyinfo_free(&t->info);
	}
	if (run_query(python, prefix, 0, &out) != 0 ||
	    pyinfo_parse(out.p ? out.p : "", out.len, &t->info) != 0) {
		buf_free(&out);
		free(cpath);
		return -1;
	}
	if (cpath != NULL) {
		dir = xstrdup(cpath);
		*strrchr(dir, '/') = '\0';
		if (mkdir_p(dir, 0755) != 0 ||
		    write_file_atomic(cpath, out.p, out.len, 0644) != 0) {
			if (verbosity > 0)
				note_msg("not caching interpreter facts: %s", err_get());
		}
		free(dir);
	}
	buf_free(&out);
	free(cpath);
	return 0;
}

/* Which interpreter: -p, $VIRTUAL_ENV, ./.venv, or python3 with --system. */
static char *
find_python(const struct target_opts *o)
{
	struct stat	 st;
	const char	*env, *given = o->python;
	char		*abs, *py;

	if (given == NULL && (env = getenv("VIRTUAL_ENV")) != NULL && *env)
		given = env;
	if (given == NULL && stat(".venv", &st) == 0 && S_ISDIR(st.st_mode))
		given = ".venv";
	if (given == NULL && o->system) {
		char	*path = getenv("PATH") ? xstrdup(getenv("PATH")) : xstrdup("/usr/bin");
		char	*tok, *save = NULL;

		py = NULL;
		for (tok = strtok_r(path, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
			char	*c = path_join(tok, "python3");

			if (access(c, X_OK) == 0) {
				py = path_abs(c);
				free(c);
				break;
			}
			free(c);
		}
		free(path);
		if (py == NULL)
			err_set("no python3 on PATH");
		return py;
	}
	if (given == NULL) {
		err_set("no virtual environment found: pass --python, set VIRTUAL_ENV, "
		    "or create one with 'python3 -m venv .venv'");
		return NULL;
	}
	abs = path_abs(given);
	if (stat(abs, &st) != 0) {
		err_set("'%s': %s", given, strerror(errno));
		free(abs);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		static const char *const names[] = { "bin/python", "bin/python3" };
		size_t	i;

		for (i = 0; i < ARRAY_SIZE(names); i++) {
			py = path_join(abs, names[i]);
			if (access(py, X_OK) == 0) {
				free(abs);
				return py;
			}
			free(py);
		}
		err_set("'%s' is not a virtual environment (no bin/python)", given);
		free(abs);
		return NULL;
	}
	if (access(abs, X_OK) != 0) {
		err_set("'%s' is not an executable interpreter", given);
		free(abs);
		return NULL;
	}
	return abs;
}

/* The deepest directory holding every path in v. */
static char *
common_root(const char *const *v, size_t n)
{
	char	*root = xstrdup(v[0]);
	size_t	 i;

	for (i = 1; i < n; i++) {
		while (!path_inside(v[i], root)) {
			char	*s = strrchr(root, '/');

			if (s == root) {
				root[1] = '\0';
				break;
			}
			*s = '\0';
		}
	}
	return root;
}

static int
externally_managed(const struct target *t)
{
	char	*p = path_join(pyinfo_get(&t->info, "stdlib"), "EXTERNALLY-MANAGED");
	int	 r = access(p, F_OK) == 0;

	free(p);
	return r;
}

int
target_open(struct target *t, const struct target_opts *o)
{
	const char	*keys[] = { "purelib", "platlib", "scripts", "data", "include" };
	char		**slots[] = { &t->purelib, &t->platlib, &t->scripts, &t->data, &t->include };
	char		*python, *prefix = NULL;
	size_t		 i;

	memset(t, 0, sizeof(*t));
	t->lock_fd = -1;
	if ((python = find_python(o)) == NULL) {
		error_msg("%s", err_get());
		return -1;
	}
	if (o->prefix)
		prefix = path_abs(o->prefix);
	if (learn_facts(t, python, prefix, o->cache_dir) != 0) {
		error_msg("%s", err_get());
		free(python);
		free(prefix);
		return -1;
	}
	t->python = path_abs(*pyinfo_get(&t->info, "executable") ?
	    pyinfo_get(&t->info, "executable") : python);
	free(python);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		*slots[i] = path_abs(pyinfo_get(&t->info, keys[i]));
	if (o->target) {
		char	*dir = path_abs(o->target);

		for (i = 0; i < ARRAY_SIZE(keys); i++)
			free(*slots[i]);
		t->purelib = xstrdup(dir);
		t->platlib = xstrdup(dir);
		t->data = xstrdup(dir);
		t->scripts = path_join(dir, "bin");
		t->include = path_join(dir, "include");
		t->root = dir;
		t->kind = TARGET_DIR;
	} else if (prefix) {
		t->root = xstrdup(prefix);
		t->kind = TARGET_PREFIX;
	} else {
		const char *const v[] = { t->purelib, t->platlib, t->scripts, t->data };

		t->root = common_root(v, ARRAY_SIZE(v));
		t->kind = strcmp(pyinfo_get(&t->info, "prefix"),
		    pyinfo_get(&t->info, "base_prefix")) != 0 ? TARGET_VENV : TARGET_SYSTEM;
	}
	free(prefix);
	if (t->kind == TARGET_SYSTEM && !o->system) {
		error_msg("'%s' is not in a virtual environment: create one with "
		    "'python3 -m venv .venv', or pass --system", t->python);
		return -1;
	}
	if (t->kind == TARGET_SYSTEM && externally_managed(t) && !o->break_system) {
		error_msg("'%s' is externally managed (PEP 668 EXTERNALLY-MANAGED): "
		    "use a virtual environment, or pass --break-system-packages", t->python);
		return -1;
	}
	if (tags_compute(&t->info, &t->tags) != 0) {
		error_msg("%s: %s", t->python, err_get());
		return -1;
	}
	if (t->tags.n > 0)
		t->tag_str = xasprintf("%s-%s-%s", t->tags.v[0].py, t->tags.v[0].abi,
		    t->tags.v[0].plat);
	else
		t->tag_str = xstrdup("(no tags)");
	return 0;
}

static int
read_holder(int fd)
{
	char	b[32];
	ssize_t	n = pread(fd, b, sizeof(b) - 1, 0);

	if (n <= 0)
		return 0;
	b[n] = '\0';
	return atoi(b);
}

/* "forklift (pid 4711)", or "another process" when the lock file names
 * no pid (someone else's flock). */
static const char *
holder_str(int fd)
{
	static char	s[48];
	int		pid = read_holder(fd);

	if (pid > 0)
		snprintf(s, sizeof(s), "forklift (pid %d)", pid);
	else
		snprintf(s, sizeof(s), "another process");
	return s;
}

/* Wait for flock(fd, op) up to timeout seconds: 0, -1, -2 or -3 as
 * target_lock() returns them. */
static int
lock_wait(struct target *t, int fd, int op, const char *path, double timeout)
{
	struct timespec	 start, now, nap = { 0, 50 * 1000 * 1000 };
	int		 said = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (flock(fd, op | LOCK_NB) != 0) {
		if (t->lock_stop != NULL && *t->lock_stop)
			return -3;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			error_msg("cannot lock '%s': %s", path, strerror(errno));
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) +
		    (double)(now.tv_nsec - start.tv_nsec) / 1e9 >= timeout) {
			error_msg("'%s' is still locked by %s after %g s (--lock-timeout)",
			    t->root, holder_str(fd), timeout);
			return -2;
		}
		if (!said) {
			note_msg("waiting for %s, which holds '%s'", holder_str(fd),
			    t->root);
			said = 1;
		}
		nanosleep(&nap, NULL);
	}
	return 0;
}

/* Take the exclusive lock on fd (the lock file at path, freed here) and
 * write our pid in it.  As target_lock() returns. */
static int
lock_exclusive(struct target *t, int fd, char *path, double timeout)
{
	char	pidtxt[32];
	int	n;

	if ((n = lock_wait(t, fd, LOCK_EX, path, timeout)) != 0) {
		close(fd);
		free(path);
		return n;
	}
	/* One fixed-width write over the old pid, never an empty file: a
	 * waiter reading at any moment finds a pid to name. */
	n = snprintf(pidtxt, sizeof(pidtxt), "%-20ld\n", (long)getpid());
	(void)!pwrite(fd, pidtxt, (size_t)n, 0);
	t->lock_fd = fd;
	free(path);
	return 0;
}

/* The read-only lock: shared, on a lock file opened read-only; none when
 * there is no lock file or it cannot be opened (a read-only image of an
 * environment no forklift ever changed, or one this user may not write). */
static int
lock_shared(struct target *t, double timeout)
{
	char	*path = xasprintf("%s/.forklift/lock", t->root);
	int	 fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR && errno != EACCES)
			warn_msg("cannot open '%s': %s; reading without the lock",
			    path, strerror(errno));
		free(path);
		return 0;
	}
	if ((rc = lock_wait(t, fd, LOCK_SH, path, timeout)) != 0)
		close(fd);
	else
		t->lock_fd = fd;
	free(path);
	return rc;
}

int
target_lock_upgrade(struct target *t, double timeout)
{
	char	*path = xasprintf("%s/.forklift/lock", t->root);
	int	 fd, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		n = errno == EACCES || errno == EROFS || errno == EPERM ? 1 : -1;
		if (n < 0)
			error_msg("cannot open '%s': %s", path, strerror(errno));
		free(path);
		return n;
	}
	/* flock locks belong to the open file: let go of the shared one
	 * first, or the exclusive one would wait for ourselves. */
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	t->lock_fd = -1;
	if ((n = lock_exclusive(t, fd, path, timeout)) == 0)
		t->readonly = 0;
	return n;
}

int
target_lock(struct target *t, double timeout)
{
	char		*dir, *path;
	int		 fd;

	if (t->readonly)
		return lock_shared(t, timeout);
	if ((t->kind == TARGET_DIR || t->kind == TARGET_PREFIX) &&
	    mkdir_p(t->root, 0777) != 0) {
		error_msg("%s", err_get());
		return -1;
	}
	dir = path_join(t->root, ".forklift");
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		error_msg("cannot create '%s': %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	path = path_join(dir, "lock");
	free(dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		error_msg("cannot open '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	return lock_exclusive(t, fd, path, timeout);
}

void
target_close(struct target *t)
{
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	free(t->root);
	free(t->python);
	free(t->purelib);
	free(t->platlib);
	free(t->scripts);
	free(t->data);
	free(t->include);
	free(t->tag_str);
	pyinfo_free(&t->info);
	taglist_free(&t->tags);
	memset(t, 0, sizeof(*t));
	t->lock_fd = -1;
}
