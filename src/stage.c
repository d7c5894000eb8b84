/*
 * stage.c: one wheel's staging tree, complete.
 *
 * Without a cache the wheel is unpacked straight into the staging tree and
 * finished in place.  With one, the tree is looked up by the wheel's
 * XXH3-128 (built by unpacking into the cache's tmp/ and publishing it on
 * a miss), and every file is linked into staging (reflink, hardlink or
 * copy, as link_probe() decided), after checking its size and mtime
 * against the manifest: an entry changed behind the cache's back is
 * discarded and rebuilt (a tree this process has just built and
 * published is not checked: FIN_OWN).  Directories on both sides are
 * opened through dirtab.c.  Files that are different per target are never
 * linked: "#!python" scripts are rewritten into fresh files, launchers and
 * the installer's dist-info files are generated, and RECORD is written
 * from the manifest's digests, so a warm install hashes nothing but the
 * wheel file itself.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "dirtab.h"
#include "fsutil.h"
#include "record.h"
#include "scripts.h"
#include "stage.h"
#include "stage_int.h"
#include "target.h"
#include "txn.h"
#include "unpack.h"
#include "util.h"
#include "version.h"

#define SCRIPT_MAX	(64 * 1024 * 1024)

struct finish {
	const struct stage_opts	*o;
	const struct manifest	*m;
	struct record_out	 rec;
	struct stage_stats	*stats;
	const char		*home;		/* final dir holding the dist-info */
	struct dirtab		*src;		/* cache tree, or staging itself */
	struct dirtab		*dst;		/* staging tree */
	const char		*path;		/* the wheel file */
	int			 own;		/* FIN_OWN: src's files unchecked */
	int			 place_only;	/* a split wheel's part: the
						   finisher records the files */
	int			 placed;	/* FIN_PLACED: in staging already */
	struct path_rel		 keys[ARRAY_SIZE(unpack_keys)]; /* home to each
						   staging key's directory */
	struct buf		 line;		/* a RECORD path being made */
};

static const char *
key_dir(const struct target *t, const char *key)
{
	if (strcmp(key, "purelib") == 0)
		return t->purelib;
	if (strcmp(key, "platlib") == 0)
		return t->platlib;
	if (strcmp(key, "scripts") == 0)
		return t->scripts;
	if (strcmp(key, "data") == 0)
		return t->data;
	if (strcmp(key, "headers") == 0)
		return t->include;
	BUG("unknown staging key '%s'", key);
}

/* RECORD path of a tree path ("scripts/x" -> "../../../bin/x"), in
 * f->line.  What the paths below one key share is worked out once. */
static void
record_path(struct finish *f, const char *rel)
{
	const char	*slash = strchr(rel, '/');
	size_t		 k, len = slash ? (size_t)(slash - rel) : 0;

	for (k = 0; k < ARRAY_SIZE(f->keys); k++)
		if (strlen(unpack_keys[k]) == len &&
		    memcmp(unpack_keys[k], rel, len) == 0)
			break;
	if (k == ARRAY_SIZE(f->keys))
		BUG("unknown staging key in '%s'", rel);
	if (f->keys[k].dir == NULL)
		path_rel_init(&f->keys[k], f->home, key_dir(f->o->t, unpack_keys[k]));
	buf_reset(&f->line);
	path_rel_add(&f->keys[k], &f->line, slash + 1);
}

/* A file's RECORD entry, its sha256 as RECORD writes it (43 digits), or
 * NULL for none. */
static void
record(struct finish *f, const char *rel, const char *sha256, uint64_t size)
{
	record_path(f, rel);
	if (sha256)
		record_out_add_text(&f->rec, f->line.p, sha256, size);
	else
		record_out_add_bare(&f->rec, f->line.p);
	f->stats->files++;
	f->stats->bytes += size;
}

/* A file of the manifest: its digest as the manifest's text has it,
 * when it does (not decoded and encoded again). */
static void
record_file(struct finish *f, const struct manifest_file *mf)
{
	char	d[48];

	if (mf->sha256_text == NULL)
		b64url_encode(mf->sha256, 32, d);
	record(f, mf->path, mf->sha256_text ? mf->sha256_text : d, mf->size);
}

/* Write a new file into staging.  Created under its own name when
 * nothing is there (the usual case: one system call fewer); a file that
 * is there (replace, or EEXIST: a member of the same name) is replaced
 * through a temporary name and renameat. */
static int
write_new(struct finish *f, const char *rel, const void *data, size_t len,
    mode_t mode, int replace)
{
	unsigned char	 sha[32];
	const char	*base = path_base(rel);
	char		*tmp = NULL, d[48];
	int		 dfd, fd = -1;

	if ((dfd = dirtab_parent(f->dst, rel)) < 0)
		return -1;
	if (!replace)
		fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
	if (fd < 0 && (replace || errno == EEXIST)) {
		tmp = xasprintf(".%s.forklift-new", base);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
	}
	if (fd < 0 || write_all(fd, data, len) != 0) {
		err_set("cannot write '%s': %s", rel, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return -1;
	}
	close(fd);
	if (tmp != NULL && renameat(dfd, tmp, dfd, base) != 0) {
		err_set("cannot write '%s': %s", rel, strerror(errno));
		free(tmp);
		return -1;
	}
	free(tmp);
	sha256_buf(data, len, sha);
	b64url_encode(sha, 32, d);
	record(f, rel, d, len);
	return 0;
}

/* A "#!python" script: the first line becomes the target's shebang. */
static int
rewrite_script(struct finish *f, const struct manifest_file *mf)
{
	struct buf	 b = BUF_INIT;
	char		*data, *sb;
	size_t		 len;
	long		 skip;
	int		 sfd, fd, rc;
	ssize_t		 n;

	if ((sfd = dirtab_parent(f->src, mf->path)) < 0)
		return -1;
	fd = openat(sfd, path_base(mf->path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set("cannot read '%s': %s", mf->path, strerror(errno));
	if (mf->size > SCRIPT_MAX) {
		close(fd);
		return err_set("script '%s' is larger than %d bytes", mf->path, SCRIPT_MAX);
	}
	data = xmalloc(mf->size + 1);
	n = read_all(fd, data, mf->size + 1);
	close(fd);
	if (n < 0 || (uint64_t)n != mf->size) {
		free(data);
		if (n < 0)
			return err_set("cannot read '%s': %s", mf->path, strerror(errno));
		err_set("'%s' changed since it was cached", mf->path);
		return STALE;
	}
	len = (size_t)n;
	skip = script_python_shebang_len(data, len);
	if (skip < 0)
		skip = (long)len;	/* "#!python" and no line end */
	sb = shebang_for(f->o->t->python);
	buf_adds(&b, sb);
	buf_add(&b, data + skip, len - (size_t)skip);
	rc = write_new(f, mf->path, b.p, b.len, 0777, f->placed);
	free(sb);
	free(data);
	buf_free(&b);
	return rc;
}

/* Link one cached file into staging, after checking it is unchanged. */
static int
link_one(struct finish *f, const struct manifest_file *mf)
{
	struct stat	 st;
	const char	*base = path_base(mf->path);
	enum link_mode	 how;
	mode_t		 want;
	int		 sfd, dfd;

	if ((sfd = dirtab_parent(f->src, mf->path)) < 0)
		return STALE;
	if (!f->own && (fstatat(sfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || (uint64_t)st.st_size != mf->size ||
	    (st.st_mode & 07777) != mf->mode || (int64_t)st.st_mtim.tv_sec *
	    1000000000 + st.st_mtim.tv_nsec != mf->mtime_ns)) {
		err_set("'%s' changed since it was cached", mf->path);
		return STALE;
	}
	if ((dfd = dirtab_parent(f->dst, mf->path)) < 0)
		return -1;
	/* A hard link shares the cached file's mode, which was made under the
	 * umask of whoever filled the cache: when that is not what this
	 * process's umask gives, the file is copied instead. */
	want = (mf->exec ? 0777 : 0666) & ~current_umask();
	how = f->o->link;
	if (how == LINK_HARDLINK && mf->mode != want)
		how = LINK_COPY;
	if (link_file(sfd, base, dfd, base, how, want) != 0)
		return err_set("cannot %s '%s' from the cache: %s",
		    f->o->link == LINK_COPY ? "copy" : "link", mf->path, strerror(errno));
	if (!f->place_only)
		record_file(f, mf);
	return 0;
}

static int
generate(struct finish *f)
{
	const struct manifest	*m = f->m;
	struct entry_points	 eps;
	char			*ep_rel, *text = NULL, *rel, *shebang, *abs, *url;
	size_t			 len, i;
	int			 rc = 0, fd;

	memset(&eps, 0, sizeof(eps));
	ep_rel = xasprintf("%s/%s/entry_points.txt", m->root, m->distinfo);
	/* The manifest lists every file of the tree: no entry there, no
	 * file to look for.  From the end: a wheel's dist-info comes last. */
	for (i = m->n; i > 0 && strcmp(m->v[i - 1].path, ep_rel) != 0; i--)
		;
	if (i > 0 && (fd = dirtab_parent(f->src, ep_rel)) >= 0 &&
	    (fd = openat(fd, "entry_points.txt", O_RDONLY | O_CLOEXEC)) >= 0) {
		struct buf	b = BUF_INIT;
		char		chunk[8192];
		ssize_t		n;

		while ((n = read_all(fd, chunk, sizeof(chunk))) > 0)
			buf_add(&b, chunk, (size_t)n);
		close(fd);
		len = b.len;
		text = buf_detach(&b);
		rc = entry_points_parse(text, len, &eps);
	}
	free(ep_rel);
	free(text);
	if (rc != 0)
		return -1;
	shebang = shebang_for(f->o->t->python);
	for (i = 0; i < eps.n && rc == 0; i++) {
		rel = xasprintf("scripts/%s", eps.v[i].name);
		text = launcher_text(shebang, &eps.v[i]);
		rc = write_new(f, rel, text, strlen(text), 0777, 0);
		free(text);
		free(rel);
	}
	free(shebang);
	entry_points_free(&eps);
	if (rc != 0)
		return -1;
	rel = xasprintf("%s/%s/INSTALLER", m->root, m->distinfo);
	rc = write_new(f, rel, "forklift\n", 9, 0666, 0);
	free(rel);
	if (rc == 0 && f->o->requested) {
		rel = xasprintf("%s/%s/REQUESTED", m->root, m->distinfo);
		rc = write_new(f, rel, "", 0, 0666, 0);
		free(rel);
	}
	if (rc == 0 && f->o->direct_url) {
		struct buf		 b = BUF_INIT;
		const unsigned char	*p;

		/* PEP 610 wants a URL: percent-encode all but unreserved and '/'
		 * (a downloaded wheel's URL: '"' and '\\' would break the JSON). */
		if (f->o->url == NULL) {
			buf_adds(&b, "file://");
			abs = path_abs(f->path);
		} else
			abs = xstrdup(f->o->url);
		for (p = (const unsigned char *)abs; *p; p++) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) ||
			    (f->o->url != NULL && *p > ' ' && *p < 0x7f &&
			    !strchr("\"\\", *p)))
				buf_add(&b, p, 1);
			else
				buf_addf(&b, "%%%02X", *p);
		}
		free(abs);
		url = buf_detach(&b);
		text = xasprintf("{\"url\": \"%s\", \"archive_info\": {\"hashes\": "
		    "{\"sha256\": \"%s\"}%s%s%s}}\n", url, m->wheel_sha256,
		    f->o->url ? ", \"hash\": \"sha256=" : "",
		    f->o->url ? m->wheel_sha256 : "", f->o->url ? "\"" : "");
		rel = xasprintf("%s/%s/direct_url.json", m->root, m->distinfo);
		rc = write_new(f, rel, text, strlen(text), 0666, 0);
		free(rel);
		free(text);
		free(url);
	}
	return rc;
}

static int	finish_links(const char *, struct stage_links *, unsigned int,
		    const struct manifest *, const struct stage_opts *,
		    struct stage_stats *);

static int
check_requires_python(const struct finish *f)
{
	const char	*have = pyinfo_get(&f->o->t->info, "python_full_version");
	const char	*spec = f->m->requires_python;
	int		 r;

	if (spec == NULL || f->o->ignore_requires_python)
		return 0;
	r = version_spec_match(spec, have);
	if (r < 0)
		return err_prefix("METADATA: invalid Requires-Python '%s'", spec);
	if (r == 0)
		return err_set("requires Python '%s', but the interpreter is %s "
		    "(--ignore-requires-python to install anyway)", spec, have);
	return 0;
}

void
stage_links_open(struct stage_links *l, int src_fd, int stage_fd)
{
	/* In place: one table serves both (the directories exist). */
	l->dst = dirtab_new(stage_fd, 1, 0);
	l->src = src_fd == stage_fd ? l->dst : dirtab_new(src_fd, 0, 0);
}

void
stage_links_close(struct stage_links *l)
{
	if (l->src != l->dst)
		dirtab_free(l->src);
	dirtab_free(l->dst);
	l->src = l->dst = NULL;
}

static void
finish_init(struct finish *f, const char *path, struct stage_links *l,
    unsigned int how, const struct manifest *m, const struct stage_opts *o,
    struct stage_stats *st)
{
	memset(f, 0, sizeof(*f));
	f->own = (how & FIN_OWN) != 0;
	f->placed = (how & FIN_PLACED) != 0;
	f->o = o;
	f->m = m;
	f->stats = st;
	f->path = path;
	f->home = strcmp(m->root, "purelib") == 0 ? o->t->purelib : o->t->platlib;
	f->src = l->src;
	f->dst = l->dst;
}

static void
finish_free(struct finish *f)
{
	size_t	k;

	for (k = 0; k < ARRAY_SIZE(f->keys); k++)
		if (f->keys[k].dir != NULL)
			path_rel_free(&f->keys[k]);
	buf_free(&f->line);
	record_out_free(&f->rec);
}

/* Complete the staging tree from the tree at src_fd (the staging tree
 * itself when unpacked in place).  FIN_PLACED: every file but the scripts
 * to rewrite is in staging already (in place, or linked by a wheel's
 * parts); FIN_OWN: the tree is one this process has just built. */
int
stage_finish(const char *path, int src_fd, int stage_fd, unsigned int how,
    const struct manifest *m, const struct stage_opts *o, struct stage_stats *st)
{
	struct stage_links	 l;
	int			 rc;

	stage_links_open(&l, src_fd, stage_fd);
	rc = finish_links(path, &l, how, m, o, st);
	stage_links_close(&l);
	return rc;
}

/* stage_finish() through the open directories l. */
static int
finish_links(const char *path, struct stage_links *l, unsigned int how,
    const struct manifest *m, const struct stage_opts *o, struct stage_stats *st)
{
	struct finish		 f;
	size_t			 i;
	char			*rel;
	int			 rc = 0, fd;

	finish_init(&f, path, l, how, m, o, st);
	if (check_requires_python(&f) != 0)
		return -1;
	record_out_reserve(&f.rec, m->n * 112);
	for (i = 0; i < m->n && rc == 0; i++) {
		const struct manifest_file *mf = &m->v[i];

		if (mf->rewrite)
			rc = rewrite_script(&f, mf);
		else if (how & FIN_PLACED)
			record_file(&f, mf);
		else
			rc = link_one(&f, mf);
	}
	if (rc == 0)
		rc = generate(&f);
	if (rc == 0) {
		rel = xasprintf("%s/%s/RECORD", m->root, m->distinfo);
		if ((fd = dirtab_parent(f.dst, rel)) < 0 ||
		    (fd = openat(fd, "RECORD", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0666)) < 0)
			rc = err_set("cannot create '%s': %s", rel, strerror(errno));
		else {
			record(&f, rel, NULL, 0);
			rc = record_out_write(&f.rec, fd);
			close(fd);
		}
		free(rel);
	}
	finish_free(&f);
	return rc;
}

/* Empty a staging tree after a stale cache entry, to start again. */
static void
empty_stage(int stage_fd)
{
	size_t	k;

	for (k = 0; k < ARRAY_SIZE(unpack_keys); k++)
		rm_rf_at(stage_fd, unpack_keys[k]);
}

int
stage_open_tree(const char *dir)
{
	int	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		err_set("cannot open '%s': %s", dir, strerror(errno));
	return fd;
}

/* Warnings given while an entry is built are kept in its manifest, so a
 * warm install says them again. */
static struct manifest	*capture;
static void		(*capture_next)(const char *);

static void
capture_warning(const char *text)
{
	strv_push(&capture->warnings, text);
	if (capture_next != NULL)
		capture_next(text);
	else
		fprintf(stderr, "forklift: warning: %s\n", text);
}

void
stage_capture_begin(struct manifest *m)
{
	capture = m;
	capture_next = warn_hook;
	warn_hook = capture_warning;
}

void
stage_capture_end(void)
{
	warn_hook = capture_next;
	capture = NULL;
}

/* Is a cache entry fit to stand for the wheel whose sha256 is sha?  It
 * must have been built from those very bytes, and its files must add up
 * to no more than --max-unpacked-size. */
static int
entry_fits(const struct manifest *m, const char *sha, const struct stage_opts *o)
{
	uint64_t	total = 0;
	size_t		i;

	if (strcmp(m->wheel_sha256, sha) != 0)
		return err_set("the cache entry was built from other bytes "
		    "(sha256 %.12s..., the wheel's is %.12s...)",
		    m->wheel_sha256[0] ? m->wheel_sha256 : "unknown", sha);
	for (i = 0; i < m->n; i++)
		total += m->v[i].size;
	if (o->unpack.max_unpacked && total > o->unpack.max_unpacked)
		return err_set("unpacks to %llu bytes, more than "
		    "--max-unpacked-size (%llu)", (unsigned long long)total,
		    (unsigned long long)o->unpack.max_unpacked);
	return 0;
}

/* Build the cache entry for the wheel (a miss); *built: the tree's
 * directory, which publishing renames (st_ino 0 when unknown). */
static int
populate(const char *path, const char *key, const char *sha_hex,
    const struct stage_opts *o, struct stat *built)
{
	struct unpack_opts	 uo = o->unpack;
	struct manifest		 m;
	char			*tmp, *tree, *mp;
	int			 fd, rc;

	if ((tmp = cache_tmp(o->cache_dir)) == NULL)
		return -1;
	tree = path_join(tmp, "tree");
	memset(&m, 0, sizeof(m));
	memset(built, 0, sizeof(*built));
	uo.want_mtime = 1;
	rc = -1;
	if ((fd = stage_open_tree(tree)) >= 0) {
		stage_capture_begin(&m);
		rc = unpack_extract(path, fd, &uo, &m);
		stage_capture_end();
		if (fstat(fd, built) != 0)
			built->st_ino = 0;
		close(fd);
	}
	if (rc == 0) {
		snprintf(m.wheel_sha256, sizeof(m.wheel_sha256), "%s", sha_hex);
		mp = path_join(tmp, "MANIFEST");
		rc = manifest_write(&m, mp);
		free(mp);
	}
	/* The entry's files are durable before its name is: a power cut
	 * must not leave a published entry of zero-filled files. */
	if (rc == 0 && !o->nosync && txn_flush(tmp, 1) != 0)
		rc = -1;
	if (rc == 0)
		rc = cache_publish(o->cache_dir, tmp, key);
	else
		rm_rf(tmp);
	manifest_free(&m);
	free(tree);
	free(tmp);
	return rc;
}

/* The wheel's cache key (key NULL: none) and sha256, hashed once through
 * the descriptor when there is one; the sha256 must be the expected one. */
static int
wheel_hash(const char *path, char key[33], char sha[65],
    const struct stage_opts *o)
{
	if ((o->unpack.use_fd ? cache_key_fd(o->unpack.wheel_fd, key, sha) :
	    cache_key(path, key, sha)) != 0)
		return -1;
	if (o->expect_sha256 != NULL && strcmp(o->expect_sha256, sha) != 0)
		return err_set("'%s' has sha256 %s, not the verified download's %s",
		    path, sha, o->expect_sha256);
	return 0;
}

static int
stage_cached(const char *path, int stage_fd, const struct stage_opts *o,
    struct stage_stats *st)
{
	struct manifest	 m;
	struct stat	 built, sb;
	char		 key[33], sha[65], *entry, *tree;
	unsigned int	 how;
	int		 tries, fd, hit, rc = -1;

	if (wheel_hash(path, key, sha, o) != 0)
		return -1;
	for (tries = 0; tries < 3; tries++) {
		hit = cache_lookup(o->cache_dir, key, &m) == 0;
		if (hit && strcmp(m.wheel_sha256, sha) != 0) {
			/* Same XXH3 key, other bytes: never trusted. */
			warn_msg("%s: the cache entry %s was built from other bytes "
			    "(sha256 %.12s...): rebuilding it", path_base(path), key,
			    m.wheel_sha256[0] ? m.wheel_sha256 : "unknown");
			manifest_free(&m);
			cache_discard(o->cache_dir, key);
			hit = 0;
		}
		if (!hit && (populate(path, key, sha, o, &built) != 0 ||
		    cache_lookup(o->cache_dir, key, &m) != 0))
			return -1;
		if (entry_fits(&m, sha, o) != 0) {
			manifest_free(&m);
			return -1;
		}
		entry = cache_entry(o->cache_dir, key);
		tree = path_join(entry, "tree");
		fd = stage_open_tree(tree);
		free(tree);
		free(entry);
		memset(st, 0, sizeof(*st));
		st->cached = hit;
		if (hit) {
			size_t	i;

			for (i = 0; i < m.warnings.n; i++)
				warn_msg("%s", m.warnings.v[i]);
		}
		/* The entry's tree is the very directory this process just
		 * unpacked (not one another process published first): its
		 * files are as its manifest says, no need to stat them. */
		how = !hit && fd >= 0 && built.st_ino != 0 && fstat(fd, &sb) == 0 &&
		    sb.st_dev == built.st_dev && sb.st_ino == built.st_ino ? FIN_OWN : 0;
		rc = fd < 0 ? STALE : stage_finish(path, fd, stage_fd, how, &m, o, st);
		if (fd >= 0)
			close(fd);
		manifest_free(&m);
		if (rc != STALE) {
			if (rc == 0)
				cache_touch(o->cache_dir, key);
			return rc;
		}
		warn_msg("%s: the cache entry was changed (%s): rebuilding it",
		    path_base(path), err_get());
		empty_stage(stage_fd);
		cache_discard(o->cache_dir, key);
	}
	return err_set("the cache entry keeps changing while it is used");
}

int
stage_wheel(const char *path, int stage_fd, const struct stage_opts *o,
    struct stage_stats *st)
{
	struct unpack_opts	 uo = o->unpack;
	struct stage_links	 l;
	struct manifest		 m;
	int			 rc;

	memset(st, 0, sizeof(*st));
	/* The cache holds verified trees only: --no-verify-record bypasses it. */
	if (o->cache_dir != NULL && o->unpack.verify_record)
		return stage_cached(path, stage_fd, o, st);
	memset(&m, 0, sizeof(m));
	rc = 0;
	if (o->direct_url || o->expect_sha256 != NULL)
		rc = wheel_hash(path, NULL, m.wheel_sha256, o);
	/* One table of directories for unpacking and finishing: the
	 * dist-info directory is made and opened once. */
	stage_links_open(&l, stage_fd, stage_fd);
	uo.dt = l.dst;
	if (rc == 0)
		rc = unpack_extract(path, stage_fd, &uo, &m);
	if (rc == 0)
		rc = finish_links(path, &l, FIN_PLACED, &m, o, st);
	stage_links_close(&l);
	manifest_free(&m);
	return rc;
}

/* Link entries lo..hi-1 of m (but the scripts to rewrite) from l's
 * tree into staging.  0, -1, or STALE. */
int
stage_link_range(const char *path, struct stage_links *l, const struct manifest *m,
    size_t lo, size_t hi, unsigned int how, const struct stage_opts *o)
{
	struct finish		f;
	struct stage_stats	st;
	size_t			i;
	int			rc = 0;

	finish_init(&f, path, l, how, m, o, &st);
	f.place_only = 1;
	for (i = lo; i < hi && rc == 0; i++)
		if (!m->v[i].rewrite)
			rc = link_one(&f, &m->v[i]);
	finish_free(&f);
	return rc;
}
