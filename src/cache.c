/*
 * cache.c: the content-addressed cache of unpacked wheels (cache.h has the
 * layout).  Entries are immutable once published: they are built in tmp/,
 * renamed into wheels/<key> in one step, and removed by first renaming them
 * back into tmp/, so a reader sees a whole entry or none.  No lock files;
 * rename(2) is the only synchronisation, which also holds on NFS.
 *
 * It never writes into an environment; linking into a staging tree is the
 * caller's, through link_file().  Downloaded archives are
 * cache_archive.c's; info, prune and clean are cache_admin.c's.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		if (m->text == NULL || (uintptr_t)m->v[i].path -
		    (uintptr_t)m->text >= m->text_len)
			free(m->v[i].path);
	xbig_free(m->v, m->cap * sizeof(*m->v));
	xbig_free(m->text, m->text_len);
	free(m->distinfo);
	free(m->root);
	free(m->name);
	free(m->requires_python);
	strv_free(&m->warnings);
	manifest_done(m);
	memset(m, 0, sizeof(*m));
}

/* Text, one field per tab; paths never hold tabs or newlines (wheel.c
 * refuses control characters in member names). */
int
manifest_write(const struct manifest *m, const char *path)
{
	struct buf	b = BUF_INIT;
	size_t		i, need = 4096;
	int		rc;

	for (i = 0; i < m->n; i++)
		need += strlen(m->v[i].path) + 100;
	if (need >= HUGE_ALLOC_MIN) {
		b.cap = need;
		b.p = xhuge_alloc(&b.cap);
	}
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
	/* By hand: a large wheel has tens of thousands of lines, and a split
	 * one's parts write them all once more. */
	for (i = 0; i < m->n; i++) {
		const struct manifest_file *f = &m->v[i];
		size_t			 pl = strlen(f->path);
		char			*p;

		buf_grow(&b, 48 + 4 * 24 + pl + 2);
		p = b.p + b.len;
		if (f->sha256_text != NULL) {
			memcpy(p, f->sha256_text, 43);
			p += 43;
		} else
			p += b64url_encode(f->sha256, 32, p);
		*p++ = '\t';
		p = u64_put(p, f->size, 10);
		*p++ = '\t';
		p = u64_put(p, f->mode, 8);
		*p++ = '\t';
		if (f->mtime_ns < 0)
			*p++ = '-';
		p = u64_put(p, f->mtime_ns < 0 ? -(uint64_t)f->mtime_ns :
		    (uint64_t)f->mtime_ns, 10);
		*p++ = '\t';
		*p++ = (char)('0' + (f->rewrite | f->exec << 1));
		*p++ = '\t';
		memcpy(p, f->path, pl);
		p += pl;
		*p++ = '\n';
		b.len = (size_t)(p - b.p);
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

/* The next line of the text at *p (NUL-terminated in place), skipping
 * empty ones; NULL at the end. */
static char *
next_line(char **p, char *end)
{
	char	*s, *nl;

	while (*p < end && **p == '\n')
		(*p)++;
	if (*p >= end)
		return NULL;
	s = *p;
	if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		nl = end;
	*nl = '\0';
	*p = nl < end ? nl + 1 : end;
	return s;
}

/* The number in base (8 or 10) at *p, ended by a tab (skipped); -1
 * when it is not one. */
static int
get_num(const char **p, unsigned int base, uint64_t *v)
{
	const char	*s = *p;
	uint64_t	 n = 0;

	if (*s == '\t')
		return -1;
	for (; *s != '\t'; s++) {
		if (*s < '0' || *s >= (char)('0' + base) ||
		    n > (UINT64_MAX - 9) / base)
			return -1;
		n = n * base + (uint64_t)(*s - '0');
	}
	*v = n;
	*p = s + 1;
	return 0;
}

/* A file's line, parsed in place into v[i], by hand: a large wheel's
 * manifest has tens of thousands, and a split wheel's finisher reads
 * them all. */
static int
file_line(struct manifest *m, size_t i)
{
	struct manifest_file	*mf = &m->v[i];
	const char		*p = m->text + m->off[i];
	uint64_t		 size, mode, mt, rw;
	int			 neg;

	if (strnlen(p, 44) < 44 || p[43] != '\t' ||
	    b64url_decode(p, 43, mf->sha256, 32) != 32)
		return err_set("'%s' is damaged", m->src);
	mf->sha256_text = p;
	p += 44;
	if (get_num(&p, 10, &size) != 0 || get_num(&p, 8, &mode) != 0 ||
	    mode > 07777)
		return err_set("'%s' is damaged", m->src);
	if ((neg = *p == '-'))
		p++;
	if (get_num(&p, 10, &mt) != 0 || mt > INT64_MAX ||
	    get_num(&p, 10, &rw) != 0 || rw > 3 || *p == '\0')
		return err_set("'%s' is damaged", m->src);
	mf->path = (char *)p;		/* NUL-terminated in the text */
	mf->size = size;
	mf->mode = (uint32_t)mode;
	mf->mtime_ns = neg ? -(int64_t)mt : (int64_t)mt;
	mf->rewrite = rw & 1;
	mf->exec = (rw & 2) != 0;
	return 0;
}

/* The size of the manifest at path (open at fd, or -1): a regular file
 * below 1 GiB. */
static int
manifest_size(const char *path, int fd, size_t *size)
{
	struct stat	st;

	if ((fd >= 0 ? fstat(fd, &st) : stat(path, &st)) != 0)
		return err_set("cannot open '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size >= (uint64_t)1 << 30)
		return err_set("'%s' is not a regular file of less than 1 GiB",
		    path);
	*size = (size_t)st.st_size;
	return 0;
}

/* The manifest's text, NUL-terminated.  A large wheel's is megabytes,
 * read by each part of it: in huge pages where the kernel gives them
 * (a page fault per 2 MiB, not per 4 KiB). */
static int
manifest_text(const char *path, char **text, size_t *len)
{
	size_t		 size;
	ssize_t		 n;
	char		*p;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set("cannot open '%s': %s", path, strerror(errno));
	if (manifest_size(path, fd, &size) != 0) {
		close(fd);
		return -1;
	}
	p = xbig_alloc(size + 1);
	n = read_all(fd, p, size);
	close(fd);
	if (n < 0) {
		xbig_free(p, size + 1);
		return err_set("cannot read '%s': %s", path, strerror(errno));
	}
	p[n] = '\0';
	*text = p;
	*len = (size_t)n;
	return 0;
}

/* The file at path, of size bytes, into p, NUL-terminated. */
static int
read_exact(const char *path, char *p, size_t size)
{
	size_t	now;
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set("cannot open '%s': %s", path, strerror(errno));
	if (manifest_size(path, fd, &now) != 0 || now != size)
		n = -2;
	else
		n = read_all(fd, p, size);
	close(fd);
	if (n == -1)
		return err_set("cannot read '%s': %s", path, strerror(errno));
	if (n != (ssize_t)size)
		return err_set("'%s' changed while it was read", path);
	p[size] = '\0';
	return 0;
}

/* The text at m->text (of m->text_len bytes, from m->src): its header
 * parsed, its files' lines found (m->n of them, at m->off; m->v is left
 * to the caller).  On failure (-1, err_set) the caller frees m. */
static int
scan_text(struct manifest *m)
{
	char		*text = m->text, *line, *p, *end, *f;
	size_t		 len = m->text_len, want = 0, i;
	int		 ended = 0, files = 0;

	p = text;
	end = text + len;
	line = next_line(&p, end);
	if (line == NULL || strcmp(line, MANIFEST_MAGIC) != 0)
		return err_set("'%s' is not a forklift cache manifest", m->src);
	while ((line = next_line(&p, end)) != NULL) {
		if (strcmp(line, "end") == 0) {
			ended = 1;
			break;
		}
		if ((f = field(&line)) == NULL)
			goto bad;
		if (strcmp(f, "distinfo") == 0)
			m->distinfo = xstrdup(line);
		else if (strcmp(f, "root") == 0)
			m->root = xstrdup(line);
		else if (strcmp(f, "name") == 0)
			m->name = xstrdup(line);
		else if (strcmp(f, "requires-python") == 0)
			m->requires_python = xstrdup(line);
		else if (strcmp(f, "warning") == 0)
			strv_push(&m->warnings, line);
		else if (strcmp(f, "wheel-sha256") == 0)
			snprintf(m->wheel_sha256, sizeof(m->wheel_sha256), "%s", line);
		else if (strcmp(f, "files") == 0 && !files++) {
			/* Its files' lines follow: found, not parsed. */
			want = strtoul(line, NULL, 10);
			if (want > len / 8)
				goto bad;
			m->off = xreallocarray(NULL, want ? want : 1,
			    sizeof(*m->off));
			for (i = 0; i < want; i++) {
				if ((line = next_line(&p, end)) == NULL)
					goto bad;
				m->off[i] = (size_t)(line - text);
			}
			m->n = want;	/* m->v is the caller's to make */
		} else
			goto bad;
	}
	if (!ended || !m->distinfo || !m->root || !m->name ||
	    (strcmp(m->root, "purelib") != 0 && strcmp(m->root, "platlib") != 0))
		goto bad;
	return 0;
bad:
	return err_set("'%s' is damaged", m->src);
}

int
manifest_scan(const char *path, struct manifest *m)
{
	memset(m, 0, sizeof(*m));
	if (manifest_text(path, &m->text, &m->text_len) != 0)
		return -1;
	m->src = xstrdup(path);
	if (scan_text(m) != 0) {
		m->n = 0;
		manifest_free(m);
		return -1;
	}
	m->v = xbig_calloc(m->n ? m->n : 1, sizeof(*m->v));
	m->cap = m->n;
	return 0;
}

/*
 * The np manifests at paths read as one: the header of the first, the
 * files of all in order, each warning once.  Their texts go into one
 * buffer and their files into one array, both sized first (paths and
 * digests point into the text, as in a scanned manifest): a large split
 * wheel's finisher reads dozens, and small buffers one after another
 * cost a page fault per 4 KiB.
 */
int
manifest_read_all(char *const *paths, size_t np, struct manifest *m)
{
	struct manifest	*pm = xcalloc(np ? np : 1, sizeof(*pm));
	size_t		 total = 1, off = 0, n = 0, base, i, k;
	int		 rc = 0;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < np && rc == 0; i++)
		if ((rc = manifest_size(paths[i], -1, &pm[i].text_len)) == 0)
			total += pm[i].text_len + 1;
	if (rc == 0)
		m->text = xbig_alloc(total);
	for (i = 0; i < np && rc == 0; i++) {
		pm[i].text = m->text + off;
		pm[i].src = xstrdup(paths[i]);
		off += pm[i].text_len + 1;
		if ((rc = read_exact(paths[i], pm[i].text, pm[i].text_len)) == 0 &&
		    (rc = scan_text(&pm[i])) == 0)
			n += pm[i].n;
	}
	m->text_len = off;
	if (rc == 0)
		m->v = xbig_calloc(n ? n : 1, sizeof(*m->v));
	for (i = 0, base = 0; i < np && rc == 0; base += pm[i++].n) {
		pm[i].v = m->v + base;
		if ((rc = manifest_fill(&pm[i], 0, pm[i].n)) != 0)
			break;
		if (i == 0) {
			m->distinfo = pm[0].distinfo;
			m->root = pm[0].root;
			m->name = pm[0].name;
			m->requires_python = pm[0].requires_python;
			pm[0].distinfo = pm[0].root = pm[0].name = NULL;
			pm[0].requires_python = NULL;
		}
		for (k = 0; k < pm[i].warnings.n; k++)
			if (!strv_has(&m->warnings, pm[i].warnings.v[k]))
				strv_push(&m->warnings, pm[i].warnings.v[k]);
	}
	if (rc == 0)
		m->n = m->cap = n;
	/* Their texts and files are m's. */
	for (i = 0; i < np; i++) {
		pm[i].n = 0;
		pm[i].v = NULL;
		pm[i].text = NULL;
		manifest_free(&pm[i]);
	}
	free(pm);
	if (rc != 0)
		manifest_free(m);
	return rc;
}

int
manifest_fill(struct manifest *m, size_t lo, size_t hi)
{
	size_t	i;

	for (i = lo; m->off != NULL && i < hi && i < m->n; i++)
		if (m->v[i].path == NULL && file_line(m, i) != 0)
			return -1;
	return 0;
}

int
manifest_read(const char *path, struct manifest *m)
{
	if (manifest_scan(path, m) != 0)
		return -1;
	if (manifest_fill(m, 0, m->n) != 0) {
		manifest_free(m);
		return -1;
	}
	manifest_done(m);
	return 0;
}

void
manifest_done(struct manifest *m)
{
	free(m->off);
	free(m->src);
	m->off = NULL;
	m->src = NULL;
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

static int
lookup(const char *cache_dir, const char *key, struct manifest *m, int scan)
{
	char	*e = cache_entry(cache_dir, key), *mp;
	int	 rc;

	mp = path_join(e, "MANIFEST");
	if (access(mp, F_OK) != 0) {
		err_set("not cached");
		rc = -1;
	} else if ((rc = (scan ? manifest_scan : manifest_read)(mp, m)) != 0) {
		/* Damaged, or written by another version: rebuild it. */
		if (verbosity > 0)
			note_msg("cache: %s: rebuilding the entry", err_get());
		cache_discard(cache_dir, key);
	}
	free(mp);
	free(e);
	return rc;
}

int
cache_lookup(const char *cache_dir, const char *key, struct manifest *m)
{
	return lookup(cache_dir, key, m, 0);
}

int
cache_scan(const char *cache_dir, const char *key, struct manifest *m)
{
	return lookup(cache_dir, key, m, 1);
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
	char	*e = cache_entry(cache_dir, key);
	int	 rc;

	rc = cache_discard_path(cache_dir, e);
	free(e);
	return rc;
}

/* Rename a path into tmp/ (so nobody sees it half removed), then delete. */
int
cache_discard_path(const char *cache_dir, const char *path)
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

void
cache_touch(const char *cache_dir, const char *key)
{
	char	*e = cache_entry(cache_dir, key);

	utimensat(AT_FDCWD, e, NULL, 0);
	free(e);
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
