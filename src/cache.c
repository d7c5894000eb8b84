/*
 * cache.c: the content-addressed cache of unpacked wheels (cache.h has the
 * layout).  Entries are immutable once published: they are built in tmp/,
 * renamed into wheels/<key> in one step, and removed by first renaming them
 * back into tmp/, so a reader sees a whole entry or none.  No lock files;
 * rename(2) is the only synchronisation, which also holds on NFS.
 *
 * It never writes into an environment; linking into a staging tree is the
 * caller's, through link_file().
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cache.h"
#include "sig.h"
#include "fsutil.h"
#include "record.h"
#include "util.h"

/* Bumped whenever the manifest's meaning changes: an entry written by
 * another version reads as damaged and is rebuilt. */
#define MANIFEST_MAGIC "forklift-cache-manifest 2"

struct manifest_file *
manifest_add(struct manifest *m, const char *path)
{
	struct manifest_file	*f;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->v = xreallocarray(m->v, m->cap, sizeof(*m->v));
	}
	f = &m->v[m->n++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	return f;
}

void
manifest_free(struct manifest *m)
{
	size_t	i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	free(m->distinfo);
	free(m->root);
	free(m->name);
	free(m->requires_python);
	strv_free(&m->warnings);
	memset(m, 0, sizeof(*m));
}

/* Text, one field per tab; paths never hold tabs or newlines (wheel.c
 * refuses control characters in member names). */
int
manifest_write(const struct manifest *m, const char *path)
{
	struct buf	b = BUF_INIT;
	char		d[48];
	size_t		i;
	int		rc;

	buf_addf(&b, "%s\ndistinfo\t%s\nroot\t%s\nname\t%s\nwheel-sha256\t%s\n",
	    MANIFEST_MAGIC, m->distinfo, m->root, m->name, m->wheel_sha256);
	if (m->requires_python)
		buf_addf(&b, "requires-python\t%s\n", m->requires_python);
	for (i = 0; i < m->warnings.n; i++) {
		char	*w = xstrdup(m->warnings.v[i]), *p;

		for (p = w; *p; p++)
			if (*p == '\n' || *p == '\t' || *p == '\r')
				*p = ' ';
		buf_addf(&b, "warning\t%s\n", w);
		free(w);
	}
	buf_addf(&b, "files\t%zu\n", m->n);
	for (i = 0; i < m->n; i++) {
		const struct manifest_file *f = &m->v[i];

		b64url_encode(f->sha256, 32, d);
		buf_addf(&b, "%s\t%llu\t%o\t%lld\t%d\t%s\n", d,
		    (unsigned long long)f->size, f->mode, (long long)f->mtime_ns,
		    f->rewrite | f->exec << 1, f->path);
	}
	buf_adds(&b, "end\n");
	rc = write_file_atomic(path, b.p, b.len, 0644);
	buf_free(&b);
	return rc;
}

static char *
field(char **p)
{
	char	*s = *p, *t = strchr(s, '\t');

	if (t == NULL)
		return NULL;
	*t = '\0';
	*p = t + 1;
	return s;
}

int
manifest_read(const char *path, struct manifest *m)
{
	char		*text, *line, *save = NULL, *p, *f;
	size_t		 len, want = 0;
	int		 ended = 0, rc = -1;

	memset(m, 0, sizeof(*m));
	if (read_file(path, (size_t)1 << 30, &text, &len) != 0)
		return -1;
	line = strtok_r(text, "\n", &save);
	if (line == NULL || strcmp(line, MANIFEST_MAGIC) != 0) {
		err_set("'%s' is not a forklift cache manifest", path);
		goto out;
	}
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (strcmp(line, "end") == 0) {
			ended = 1;
			break;
		}
		p = line;
		if (want == 0 || m->n >= want) {
			if ((f = field(&p)) == NULL)
				goto bad;
			if (strcmp(f, "distinfo") == 0)
				m->distinfo = xstrdup(p);
			else if (strcmp(f, "root") == 0)
				m->root = xstrdup(p);
			else if (strcmp(f, "name") == 0)
				m->name = xstrdup(p);
			else if (strcmp(f, "requires-python") == 0)
				m->requires_python = xstrdup(p);
			else if (strcmp(f, "warning") == 0)
				strv_push(&m->warnings, p);
			else if (strcmp(f, "wheel-sha256") == 0)
				snprintf(m->wheel_sha256, sizeof(m->wheel_sha256), "%s", p);
			else if (strcmp(f, "files") == 0)
				want = strtoul(p, NULL, 10);
			else
				goto bad;
			continue;
		} else {
			struct manifest_file	*mf;
			char			*d, *sz, *mode, *mt, *rw;

			if ((d = field(&p)) == NULL || (sz = field(&p)) == NULL ||
			    (mode = field(&p)) == NULL || (mt = field(&p)) == NULL ||
			    (rw = field(&p)) == NULL || *p == '\0')
				goto bad;
			mf = manifest_add(m, p);
			if (b64url_decode(d, strlen(d), mf->sha256, 32) != 32)
				goto bad;
			mf->size = strtoull(sz, NULL, 10);
			mf->mode = (uint32_t)strtoul(mode, NULL, 8);
			mf->mtime_ns = strtoll(mt, NULL, 10);
			mf->rewrite = atoi(rw) & 1;
			mf->exec = (atoi(rw) & 2) != 0;
		}
	}
	if (!ended || m->n != want || !m->distinfo || !m->root || !m->name ||
	    (strcmp(m->root, "purelib") != 0 && strcmp(m->root, "platlib") != 0))
		goto bad;
	rc = 0;
	goto out;
bad:
	err_set("'%s' is damaged", path);
out:
	free(text);
	if (rc != 0)
		manifest_free(m);
	return rc;
}

int
cache_key(const char *path, char key[33], char *sha256_hex)
{
	int	fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set("cannot open: %s", strerror(errno));
	rc = cache_key_fd(fd, key, sha256_hex);
	close(fd);
	return rc;
}

int
cache_key_fd(int fd, char key[33], char *sha256_hex)
{
	XXH3_state_t	*st;
	XXH128_hash_t	 h;
	struct hasher	 sh;
	unsigned char	 d[32];
	char		*buf;
	ssize_t		 n = 0;
	off_t		 off = 0;
	int		 i;

	buf = xmalloc(1 << 20);
	if ((st = XXH3_createState()) == NULL)
		die(1, "out of memory");
	XXH3_128bits_reset(st);
	if (sha256_hex)
		hasher_init(&sh, HASH_SHA256);
	/* pread: the descriptor's offset is shared with the parent's. */
	while (!sig_stop && ((n = pread(fd, buf, 1 << 20, off)) > 0 ||
	    (n < 0 && errno == EINTR))) {
		if (n < 0) {
			n = 0;
			continue;
		}
		off += n;
		if (key)
			XXH3_128bits_update(st, buf, (size_t)n);
		if (sha256_hex)
			hasher_update(&sh, buf, (size_t)n);
	}
	free(buf);
	h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	if (sha256_hex) {
		hasher_final(&sh, d);
		hasher_free(&sh);
		for (i = 0; i < 32; i++)
			snprintf(sha256_hex + 2 * i, 3, "%02x", d[i]);
	}
	if (n < 0)
		return err_set("cannot read: %s", strerror(errno));
	if (sig_stop)
		return err_set("stopped by a signal");
	if (key)
		snprintf(key, 33, "%016llx%016llx", (unsigned long long)h.high64,
		    (unsigned long long)h.low64);
	return 0;
}

char *
cache_entry(const char *cache_dir, const char *key)
{
	return xasprintf("%s/v1/wheels/%s", cache_dir, key);
}

int
cache_lookup(const char *cache_dir, const char *key, struct manifest *m)
{
	char	*e = cache_entry(cache_dir, key), *mp;
	int	 rc;

	mp = path_join(e, "MANIFEST");
	if (access(mp, F_OK) != 0) {
		err_set("not cached");
		rc = -1;
	} else if ((rc = manifest_read(mp, m)) != 0) {
		/* Damaged, or written by another version: rebuild it. */
		if (verbosity > 0)
			note_msg("cache: %s: rebuilding the entry", err_get());
		cache_discard(cache_dir, key);
	}
	free(mp);
	free(e);
	return rc;
}

char *
cache_tmp(const char *cache_dir)
{
	char	*tmpdir = xasprintf("%s/v1/tmp", cache_dir), *t, *tree;

	if (mkdir_p(tmpdir, 0755) != 0) {
		free(tmpdir);
		return NULL;
	}
	t = xasprintf("%s/XXXXXX", tmpdir);
	free(tmpdir);
	if (mkdtemp(t) == NULL) {
		err_set("cannot create a directory in the cache: %s", strerror(errno));
		free(t);
		return NULL;
	}
	chmod(t, 0755);
	tree = path_join(t, "tree");
	if (mkdir(tree, 0755) != 0) {
		err_set("cannot create '%s': %s", tree, strerror(errno));
		free(tree);
		rm_rf(t);
		free(t);
		return NULL;
	}
	free(tree);
	return t;
}

int
cache_publish(const char *cache_dir, const char *tmp, const char *key)
{
	char	*wheels = xasprintf("%s/v1/wheels", cache_dir);
	char	*e = cache_entry(cache_dir, key);
	int	 rc = 0;

	if (mkdir_p(wheels, 0755) != 0)
		rc = -1;
	else if (rename(tmp, e) != 0) {
		if (errno == EEXIST || errno == ENOTEMPTY) {
			/* Another process published the same wheel first. */
			rm_rf(tmp);
		} else
			rc = err_set("cannot publish '%s': %s", e, strerror(errno));
	}
	free(wheels);
	free(e);
	return rc;
}

int
cache_discard(const char *cache_dir, const char *key)
{
	char	*e = cache_entry(cache_dir, key), *t;
	int	 rc = 0;

	t = cache_tmp(cache_dir);
	if (t == NULL) {
		free(e);
		return -1;
	}
	rm_rf(t);
	if (rename(e, t) != 0 && errno != ENOENT)
		rc = err_set("cannot remove '%s': %s", e, strerror(errno));
	rm_rf(t);
	free(t);
	free(e);
	return rc;
}

void
cache_touch(const char *cache_dir, const char *key)
{
	char	*e = cache_entry(cache_dir, key);

	utimensat(AT_FDCWD, e, NULL, 0);
	free(e);
}

static int
list_dir(const char *dir, struct strv *out)
{
	struct dirent	*e;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : err_set("cannot read '%s': %s", dir,
		    strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			strv_push(out, e->d_name);
	closedir(d);
	return 0;
}

int
cache_info(const char *cache_dir, struct cache_info *ci)
{
	struct strv	 names = STRV_INIT;
	struct manifest	 m;
	struct stat	 st;
	size_t		 i, j;
	char		*dir;

	memset(ci, 0, sizeof(*ci));
	dir = xasprintf("%s/v1/wheels", cache_dir);
	if (list_dir(dir, &names) != 0) {
		free(dir);
		return -1;
	}
	for (i = 0; i < names.n; i++) {
		char	*e = path_join(dir, names.v[i]), *mp = path_join(e, "MANIFEST");

		if (stat(e, &st) == 0 && manifest_read(mp, &m) == 0) {
			ci->entries++;
			for (j = 0; j < m.n; j++)
				ci->bytes += m.v[j].size;
			if (ci->oldest == 0 || st.st_mtime < ci->oldest)
				ci->oldest = st.st_mtime;
			manifest_free(&m);
		}
		free(mp);
		free(e);
	}
	free(dir);
	strv_free(&names);
	dir = xasprintf("%s/v1/tmp", cache_dir);
	list_dir(dir, &names);
	ci->tmp = names.n;
	strv_free(&names);
	free(dir);
	return 0;
}

int
cache_clean(const char *cache_dir)
{
	char	*v1 = path_join(cache_dir, "v1"), *t;
	int	 rc;

	/* Rename first, so concurrent readers see whole entries or none. */
	t = xasprintf("%s.removing-%ld", v1, (long)getpid());
	if (rename(v1, t) != 0) {
		rc = errno == ENOENT ? 0 : err_set("cannot remove '%s': %s", v1,
		    strerror(errno));
		free(t);
		free(v1);
		return rc;
	}
	rc = rm_rf_until(t, &sig_stop);
	free(t);
	free(v1);
	return rc;
}

int
cache_prune(const char *cache_dir, double days, unsigned long *removed)
{
	struct strv	 names = STRV_INIT;
	struct stat	 st;
	time_t		 now = time(NULL);
	size_t		 i;
	char		*dir;
	int		 rc = 0;

	*removed = 0;
	dir = xasprintf("%s/v1/wheels", cache_dir);
	if (list_dir(dir, &names) != 0)
		rc = -1;
	for (i = 0; i < names.n && !sig_stop; i++) {
		char	*e = path_join(dir, names.v[i]);

		if (stat(e, &st) == 0 && (double)(now - st.st_mtime) > days * 86400.0) {
			if (cache_discard(cache_dir, names.v[i]) == 0)
				(*removed)++;
			else
				rc = -1;
		}
		free(e);
	}
	strv_free(&names);
	free(dir);
	dir = xasprintf("%s/v1/tmp", cache_dir);
	list_dir(dir, &names);
	for (i = 0; i < names.n && !sig_stop; i++) {
		char	*t = path_join(dir, names.v[i]);

		if (lstat(t, &st) == 0 && now - st.st_mtime > 3600)
			rm_rf(t);
		free(t);
	}
	strv_free(&names);
	free(dir);
	if (sig_stop)
		return err_set("stopped by a signal");
	return rc;
}

const char *
link_mode_name(enum link_mode m)
{
	switch (m) {
	case LINK_AUTO:
		return "auto";
	case LINK_REFLINK:
		return "reflink";
	case LINK_HARDLINK:
		return "hardlink";
	case LINK_COPY:
		return "copy";
	}
	return "?";
}

int
link_mode_parse(const char *s)
{
	static const enum link_mode all[] = {
		LINK_AUTO, LINK_REFLINK, LINK_HARDLINK, LINK_COPY
	};
	size_t	i;

	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (strcmp(s, link_mode_name(all[i])) == 0)
			return (int)all[i];
	return -1;
}

static int
copy_fd(int in, int out)
{
	char	buf[1 << 16];
	ssize_t	n;

	for (;;) {
		n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);
		if (n > 0)
			continue;
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		break;		/* not supported here: plain copy */
	}
	while ((n = read_all(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) != 0)
			return -1;
	return n < 0 ? -1 : 0;
}

int
link_file(int src_dirfd, const char *src, int dst_dirfd, const char *dst,
    enum link_mode mode, uint32_t perm)
{
	int	in, out, rc, saved;

	if (mode == LINK_HARDLINK)
		return linkat(src_dirfd, src, dst_dirfd, dst, 0);
	if ((in = openat(src_dirfd, src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	out = openat(dst_dirfd, dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    (mode_t)perm);
	if (out < 0) {
		saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	if (mode == LINK_REFLINK)
		rc = ioctl(out, FICLONE, in);
	else
		rc = copy_fd(in, out);
	saved = errno;
	close(in);
	close(out);
	if (rc != 0) {
		unlinkat(dst_dirfd, dst, 0);
		errno = saved;
	}
	return rc;
}

int
link_probe(const char *cache_dir, const char *stage_dir, enum link_mode want,
    enum link_mode *got)
{
	static const enum link_mode order[] = { LINK_REFLINK, LINK_HARDLINK, LINK_COPY };
	char		*t, *src;
	size_t		 i;
	int		 sfd = -1, dfd = -1, fd, rc = -1, saved = 0;

	if ((t = cache_tmp(cache_dir)) == NULL)
		return -1;
	src = path_join(t, "probe");
	fd = open(src, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, "forklift\n", 9) != 0) {
		err_set("cannot write in the cache '%s': %s", cache_dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	sfd = open(t, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dfd = open(stage_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0 || dfd < 0) {
		err_set("cannot open '%s': %s", sfd < 0 ? t : stage_dir, strerror(errno));
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (want != LINK_AUTO && want != order[i])
			continue;
		if (link_file(sfd, "probe", dfd, ".link-probe", order[i], 0644) == 0) {
			unlinkat(dfd, ".link-probe", 0);
			*got = order[i];
			rc = 0;
			break;
		}
		saved = errno;
	}
	if (rc != 0 && want != LINK_AUTO) {
		err_set("--link-mode=%s does not work from the cache '%s' here: %s",
		    link_mode_name(want), cache_dir, strerror(saved));
		rc = -2;
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	free(src);
	rm_rf(t);
	free(t);
	return rc;
}

/*
 * The archive cache and the page cache (cache.h has the layout).  Files
 * are published like unpacked entries: built in tmp/, renamed in once
 * verified, removed by renaming them back into tmp/ first.
 */

static int
is_sha256_hex(const char *s)
{
	size_t	i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static int
is_plain_name(const char *s)
{
	return *s && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0;
}

static char *
archive_dir(const char *cache_dir, const char *sha)
{
	return xasprintf("%s/v1/archives/%.2s/%s", cache_dir, sha, sha);
}

char *
cache_archive_lookup(const char *cache_dir, const char *sha256_hex,
    const char *filename)
{
	struct stat	 st;
	char		*dir, *p;

	if (!is_sha256_hex(sha256_hex) || !is_plain_name(filename))
		return NULL;
	dir = archive_dir(cache_dir, sha256_hex);
	p = path_join(dir, filename);
	if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(dir);
		free(p);
		return NULL;
	}
	utimensat(AT_FDCWD, dir, NULL, 0);	/* last use, for prune */
	free(dir);
	return p;
}

int
cache_archive_tmp(const char *cache_dir, char **path)
{
	char	*tmpdir = xasprintf("%s/v1/tmp", cache_dir);
	int	 fd;

	if (mkdir_p(tmpdir, 0755) != 0) {
		free(tmpdir);
		return -1;
	}
	*path = xasprintf("%s/dl-XXXXXX", tmpdir);
	free(tmpdir);
	if ((fd = mkostemp(*path, O_CLOEXEC)) < 0) {
		err_set("cannot create a file in the cache '%s': %s", cache_dir,
		    strerror(errno));
		free(*path);
		*path = NULL;
		return -1;
	}
	fchmod(fd, 0644);
	return fd;
}

int
cache_archive_publish(const char *cache_dir, const char *tmp,
    const char *sha256_hex, const char *filename, char **final)
{
	char	*dir;

	*final = NULL;
	if (!is_sha256_hex(sha256_hex) || !is_plain_name(filename))
		return err_set("'%s' cannot be stored in the cache", filename);
	dir = archive_dir(cache_dir, sha256_hex);
	if (mkdir_p(dir, 0755) != 0) {
		free(dir);
		return -1;
	}
	*final = path_join(dir, filename);
	free(dir);
	/* The same name and hash from another process is the same file:
	 * replacing it is harmless. */
	if (rename(tmp, *final) != 0) {
		err_set("cannot publish '%s': %s", *final, strerror(errno));
		free(*final);
		*final = NULL;
		return -1;
	}
	return 0;
}

char *
cache_page_path(const char *cache_dir, const char *key_hex)
{
	char	*dir = xasprintf("%s/v1/pages", cache_dir), *p;

	if (mkdir_p(dir, 0755) != 0) {
		free(dir);
		return NULL;
	}
	p = path_join(dir, key_hex);
	free(dir);
	return p;
}

static void
fetch_info_add(struct cache_fetch_info *fi, const struct stat *st)
{
	if (fi->oldest == 0 || st->st_mtime < fi->oldest)
		fi->oldest = st->st_mtime;
}

int
cache_fetch_info(const char *cache_dir, struct cache_fetch_info *fi)
{
	struct strv	 fan = STRV_INIT, ents = STRV_INIT, files = STRV_INIT;
	struct stat	 st;
	size_t		 i, j, k;
	char		*dir;

	memset(fi, 0, sizeof(*fi));
	dir = xasprintf("%s/v1/archives", cache_dir);
	if (list_dir(dir, &fan) != 0) {
		free(dir);
		return -1;
	}
	for (i = 0; i < fan.n; i++) {
		char	*f = path_join(dir, fan.v[i]);

		list_dir(f, &ents);
		for (j = 0; j < ents.n; j++) {
			char	*e = path_join(f, ents.v[j]);

			if (stat(e, &st) == 0)
				fetch_info_add(fi, &st);
			list_dir(e, &files);
			for (k = 0; k < files.n; k++) {
				char	*p = path_join(e, files.v[k]);

				if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
					fi->archives++;
					fi->archive_bytes += (uint64_t)st.st_size;
				}
				free(p);
			}
			strv_free(&files);
			free(e);
		}
		strv_free(&ents);
		free(f);
	}
	strv_free(&fan);
	free(dir);
	dir = xasprintf("%s/v1/pages", cache_dir);
	list_dir(dir, &ents);
	for (i = 0; i < ents.n; i++) {
		char	*p = path_join(dir, ents.v[i]);

		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			fi->pages++;
			fi->page_bytes += (uint64_t)st.st_size;
			fetch_info_add(fi, &st);
		}
		free(p);
	}
	strv_free(&ents);
	free(dir);
	return 0;
}

/* Rename a path into tmp/ (so nobody sees it half removed), then delete. */
static int
discard_path(const char *cache_dir, const char *path)
{
	char	*t;
	int	 rc = 0;

	if ((t = cache_tmp(cache_dir)) == NULL)
		return -1;
	rm_rf(t);
	if (rename(path, t) != 0 && errno != ENOENT)
		rc = err_set("cannot remove '%s': %s", path, strerror(errno));
	rm_rf(t);
	free(t);
	return rc;
}

int
cache_fetch_prune(const char *cache_dir, double days, unsigned long *removed)
{
	struct strv	 fan = STRV_INIT, ents = STRV_INIT;
	struct stat	 st;
	time_t		 now = time(NULL);
	size_t		 i, j;
	char		*dir;
	int		 rc = 0;

	*removed = 0;
	dir = xasprintf("%s/v1/archives", cache_dir);
	if (list_dir(dir, &fan) != 0)
		rc = -1;
	for (i = 0; i < fan.n; i++) {
		char	*f = path_join(dir, fan.v[i]);

		list_dir(f, &ents);
		for (j = 0; j < ents.n; j++) {
			char	*e = path_join(f, ents.v[j]);

			if (stat(e, &st) == 0 &&
			    (double)(now - st.st_mtime) > days * 86400.0) {
				if (discard_path(cache_dir, e) == 0)
					(*removed)++;
				else
					rc = -1;
			}
			free(e);
		}
		strv_free(&ents);
		rmdir(f);	/* only when empty */
		free(f);
	}
	strv_free(&fan);
	free(dir);
	dir = xasprintf("%s/v1/pages", cache_dir);
	list_dir(dir, &ents);
	for (i = 0; i < ents.n; i++) {
		char	*p = path_join(dir, ents.v[i]);

		if (lstat(p, &st) == 0 && (double)(now - st.st_mtime) > days * 86400.0) {
			if (unlink(p) == 0)
				(*removed)++;
			else if (errno != ENOENT)
				rc = err_set("cannot remove '%s': %s", p, strerror(errno));
		}
		free(p);
	}
	strv_free(&ents);
	free(dir);
	return rc;
}
