/*
 * fsutil.c: file system helpers.  write_all()/read_all() are the only
 * loops on short I/O in forklift.  rm_rf() walks with directory file
 * descriptors and O_NOFOLLOW, so a symlink planted in a tree being removed
 * is unlinked, never followed.  Nothing here knows about wheels.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"

int
write_all(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

ssize_t
read_all(int fd, void *p, size_t n)
{
	char	*c = p;
	size_t	 got = 0;
	ssize_t	 r;

	while (got < n) {
		r = read(fd, c + got, n - got);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

char *
path_join(const char *a, const char *b)
{
	size_t	la = strlen(a);

	if (la == 0)
		return xstrdup(b);
	if (a[la - 1] == '/')
		return xasprintf("%s%s", a, b);
	return xasprintf("%s/%s", a, b);
}

const char *
path_base(const char *p)
{
	const char	*s = strrchr(p, '/');

	return s ? s + 1 : p;
}

char *
path_abs(const char *p)
{
	struct strv	 parts = STRV_INIT;
	struct buf	 out = BUF_INIT;
	char		 cwd[PATH_MAX];
	char		*full, *tok, *save = NULL;
	size_t		 i;

	if (p[0] == '/')
		full = xstrdup(p);
	else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			die(1, "cannot get the current directory: %s", strerror(errno));
		full = path_join(cwd, p);
	}
	for (tok = strtok_r(full, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if (parts.n > 0)
				free(parts.v[--parts.n]);
			continue;
		}
		strv_push(&parts, tok);
	}
	for (i = 0; i < parts.n; i++)
		buf_addf(&out, "/%s", parts.v[i]);
	if (out.len == 0)
		buf_adds(&out, "/");
	strv_free(&parts);
	free(full);
	return buf_detach(&out);
}

int
path_inside(const char *path, const char *dir)
{
	size_t	ld = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	if (strncmp(path, dir, ld) != 0)
		return 0;
	return path[ld] == '\0' || path[ld] == '/';
}

/* The component of p at or after *s (slashes skipped): its start, and
 * its length in *len; NULL when there is none left.  *s is left after it. */
static const char *
next_comp(const char **s, size_t *len)
{
	const char	*p = *s, *e;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return NULL;
	for (e = p; *e != '\0' && *e != '/'; e++)
		;
	*len = (size_t)(e - p);
	*s = e;
	return p;
}

/* Add "../" for each component left in from, then to's remaining
 * components joined by '/'; "." when that is nothing. */
static void
rel_tail(struct buf *b, const char *from, const char *fc, const char *to,
    const char *tc, size_t tl)
{
	size_t	start = b->len, fl;

	for (; fc != NULL; fc = next_comp(&from, &fl))
		buf_add(b, "../", 3);
	for (; tc != NULL; tc = next_comp(&to, &tl)) {
		buf_add(b, tc, tl);
		buf_add(b, "/", 1);
	}
	if (b->len > start)
		b->p[--b->len] = '\0';
	else
		buf_add(b, ".", 1);
}

/* Walked component by component, in place: every RECORD line of a
 * wheel's files outside its root takes this path. */
char *
path_relative(const char *from, const char *to)
{
	struct buf	 b = BUF_INIT;
	const char	*fc, *tc;
	size_t		 fl = 0, tl = 0;

	for (;;) {
		fc = next_comp(&from, &fl);
		tc = next_comp(&to, &tl);
		if (fc == NULL || tc == NULL || fl != tl || memcmp(fc, tc, fl) != 0)
			break;
	}
	rel_tail(&b, from, fc, to, tc, tl);
	return buf_detach(&b);
}

void
path_rel_init(struct path_rel *r, const char *from, const char *dir)
{
	struct buf	 b = BUF_INIT;
	const char	*fc, *dc, *f = from, *d = dir;
	size_t		 fl = 0, dl = 0;

	memset(r, 0, sizeof(*r));
	r->from = from;
	r->dir = dir;
	for (;;) {
		fc = next_comp(&f, &fl);
		dc = next_comp(&d, &dl);
		if (fc == NULL || dc == NULL || fl != dl || memcmp(fc, dc, fl) != 0)
			break;
	}
	/* dir holds from: a path below dir may go on down from's way,
	 * where the prefix alone would climb up and back down. */
	if (dc == NULL && fc != NULL) {
		r->stop = fc;
		r->stop_len = fl;
	}
	rel_tail(&b, f, fc, d, dc, dl);
	if (strcmp(b.p, ".") == 0)
		buf_reset(&b);
	else
		buf_add(&b, "/", 1);
	r->prefix_len = b.len;
	r->prefix = buf_detach(&b);
}

void
path_rel_add(const struct path_rel *r, struct buf *b, const char *rest)
{
	const char	*slash = strchr(rest, '/');
	size_t		 first = slash ? (size_t)(slash - rest) : strlen(rest);
	char		*abs, *s;

	/* Empty components, or the first one on from's way: the long way. */
	if (*rest == '\0' || first == 0 || strstr(rest, "//") != NULL ||
	    rest[strlen(rest) - 1] == '/' || (r->stop != NULL &&
	    first == r->stop_len && memcmp(rest, r->stop, first) == 0)) {
		abs = path_join(r->dir, rest);
		s = path_relative(r->from, abs);
		buf_adds(b, s);
		free(s);
		free(abs);
		return;
	}
	buf_add(b, r->prefix, r->prefix_len);
	buf_adds(b, rest);
}

void
path_rel_free(struct path_rel *r)
{
	free(r->prefix);
	memset(r, 0, sizeof(*r));
}

int
mkdir_p(const char *path, mode_t mode)
{
	struct stat	 st;
	char		*p, *s;
	int		 rc = 0;

	if (*path == '\0')
		return err_set("cannot create a directory with an empty name");
	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char	c = *s;

			*s = '\0';
			if (mkdir(p, mode) != 0 && errno != EEXIST) {
				rc = err_set("cannot create directory '%s': %s", p, strerror(errno));
				break;
			}
			if (c == '\0' && errno == EEXIST && (stat(p, &st) != 0 ||
			    !S_ISDIR(st.st_mode))) {
				rc = err_set("cannot create directory '%s': %s", p,
				    strerror(ENOTDIR));
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

static int
rm_tree_fd(int dfd, const char *shown, volatile sig_atomic_t *stop)
{
	DIR		*d;
	struct dirent	*e;
	int		 rc = 0, fd;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return err_set("cannot read directory '%s': %s", shown, strerror(errno));
	}
	while ((e = readdir(d)) != NULL) {
		if (stop != NULL && *stop) {
			rc = err_set("'%s': stopped by a signal", shown);
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		/* A directory is tried as an empty one first: after a commit
		 * the staging area is mostly empty directories. */
		if (e->d_type == DT_DIR) {
			if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) == 0 ||
			    errno == ENOENT)
				continue;
		} else if (unlinkat(dirfd(d), e->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (e->d_type == DT_DIR ? errno != ENOTEMPTY && errno != EEXIST :
		    errno != EISDIR && errno != EPERM) {
			rc = err_set("cannot remove '%s/%s': %s", shown, e->d_name, strerror(errno));
			continue;
		}
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = err_set("cannot open '%s/%s': %s", shown, e->d_name, strerror(errno));
			continue;
		}
		if (rm_tree_fd(fd, shown, stop) != 0) {
			rc = -1;
			if (stop != NULL && *stop)
				break;
		}
		if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) != 0 && errno != ENOENT)
			rc = err_set("cannot remove '%s/%s': %s", shown, e->d_name, strerror(errno));
	}
	closedir(d);
	return rc;
}

static int
rm_rf_stop(int dirfd, const char *name, volatile sig_atomic_t *stop)
{
	int	fd;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return err_set("cannot remove '%s': %s", name, strerror(errno));
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set("cannot open '%s': %s", name, strerror(errno));
	if (rm_tree_fd(fd, name, stop) != 0)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		return err_set("cannot remove '%s': %s", name, strerror(errno));
	return 0;
}

int
rm_rf_at(int dirfd, const char *name)
{
	return rm_rf_stop(dirfd, name, NULL);
}

int
dir_names(const char *dir, const char *skip, struct strv *out)
{
	struct dirent	*e;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return err_set("cannot read '%s': %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    (skip == NULL || strcmp(e->d_name, skip) != 0))
			strv_push(out, e->d_name);
	closedir(d);
	return 0;
}

int
dir_each(int dirfd, const char *path,
    int (*fn)(void *, const char *, unsigned char), void *arg)
{
	union {
		struct dirent64	d;
		char		b[32768];
	}		 u;
	struct dirent64	*e;
	ssize_t		 n, off;
	int		 fd, saved, rc = 0;

	if ((fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	while (rc == 0) {
		if ((n = getdents64(fd, u.b, sizeof(u.b))) < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		for (off = 0; off < n && rc == 0; off += e->d_reclen) {
			e = (struct dirent64 *)(void *)(u.b + off);
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0 &&
			    fn(arg, e->d_name, e->d_type) != 0)
				rc = 1;
		}
	}
	close(fd);
	return rc;
}

int
rm_rf(const char *path)
{
	return rm_rf_stop(AT_FDCWD, path, NULL);
}

int
rm_rf_until(const char *path, volatile sig_atomic_t *stop)
{
	return rm_rf_stop(AT_FDCWD, path, stop);
}

int
read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat	 st;
	char		*p;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set("cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set("'%s' is not a regular file", path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return err_set("'%s' is larger than %zu bytes", path, max);
	}
	p = xmalloc((size_t)st.st_size + 1);
	n = read_all(fd, p, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(p);
		return err_set("cannot read '%s': %s", path, strerror(errno));
	}
	p[n] = '\0';
	*out = p;
	if (len)
		*len = (size_t)n;
	return 0;
}

int
write_file_atomic(const char *path, const void *data, size_t n, mode_t mode)
{
	char	*tmp = xasprintf("%s.tmp-%ld", path, (long)getpid());
	int	 fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		rc = err_set("cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, data, n) != 0) {
		rc = err_set("cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		rc = err_set("cannot rename '%s': %s", tmp, strerror(errno));
		unlink(tmp);
	}
out:
	free(tmp);
	return rc;
}

mode_t
current_umask(void)
{
	static int	 known;
	static mode_t	 mask;

	if (!known) {
		mask = umask(022);
		umask(mask);
		known = 1;
	}
	return mask;
}
