/*
 * unpack.c: one wheel into one staging tree, in one pass over its members.
 *
 * Each member is inflated, hashed (for the wheel's RECORD and for the
 * installed RECORD at once) and written in a single streaming pass; no
 * member is read twice and none is held whole in memory except scripts
 * whose "#!python" line is rewritten.  Every file is created with
 * openat(O_CREAT|O_EXCL|O_NOFOLLOW) relative to a directory descriptor
 * inside the staging tree; directories are created with mkdirat and
 * opened with O_NOFOLLOW one component at a time, so nothing outside the
 * tree can be reached whatever the archive says (wheel.c has already
 * refused "..", absolute and other bad names).
 *
 * It never touches the live environment and knows nothing about
 * processes: the worker that calls it reports over its pipe.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "record.h"
#include "scripts.h"
#include "target.h"
#include "unpack.h"
#include "util.h"
#include "version.h"
#include "wheel.h"

const char *const unpack_keys[5] = {
	"purelib", "platlib", "scripts", "data", "headers"
};

#define CHUNK		(256 * 1024)
#define SCRIPT_MAX	(64 * 1024 * 1024)

/* The directory that is open for writing, cached across members. */
struct dircache {
	int		 stage_fd;
	int		 fd;		/* open directory, or -1 */
	char		*path;		/* its path under the staging tree */
};

struct unpack {
	const struct unpack_opts *o;
	struct wheel		 w;
	struct dircache		 dc;
	struct record_out	 rec;
	struct entry_points	 eps;
	char			*name;		/* distribution name for headers */
	const char		*home;		/* final dir of the dist-info's parent */
	struct hasher		 vh[4];		/* verification, by algo (archive RECORD) */
	struct hasher		 sh;		/* sha256 of the bytes written */
	unsigned char		*chunk;
	int			 mismatch_warned;
	struct unpack_stats	*stats;
};

/* Final directory of a staging key. */
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
	BUG("unknown key %s", key);
}

/* Open (creating as needed) the directory dir under the staging tree. */
static int
dir_open(struct dircache *dc, const char *dir)
{
	char	*copy, *comp, *save = NULL;
	int	 fd, next;

	if (dc->fd >= 0 && strcmp(dc->path, dir) == 0)
		return dc->fd;
	if (dc->fd >= 0)
		close(dc->fd);
	free(dc->path);
	dc->fd = -1;
	dc->path = NULL;
	if ((fd = dup(dc->stage_fd)) < 0)
		return err_set("dup: %s", strerror(errno));
	copy = xstrdup(dir);
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		if (mkdirat(fd, comp, 0777) != 0 && errno != EEXIST) {
			err_set("cannot create directory '%s' in '%s': %s", comp, dir,
			    strerror(errno));
			goto fail;
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			err_set("'%s' is both a file and a directory in '%s'", comp, dir);
			goto fail;
		}
		close(fd);
		fd = next;
	}
	free(copy);
	dc->fd = fd;
	dc->path = xstrdup(dir);
	return fd;
fail:
	free(copy);
	close(fd);
	return -1;
}

/* Create the file at staging path rel ("purelib/pkg/x.py"). */
static int
file_create(struct unpack *u, const char *rel, mode_t mode)
{
	const char	*slash = strrchr(rel, '/');
	char		*dir;
	int		 dfd, fd;

	dir = xstrndup(rel, (size_t)(slash - rel));
	dfd = dir_open(&u->dc, dir);
	free(dir);
	if (dfd < 0)
		return -1;
	fd = openat(dfd, slash + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		if (errno == EEXIST)
			return err_set("'%s' is written twice", rel);
		return err_set("cannot create '%s': %s", rel, strerror(errno));
	}
	return fd;
}

/* Add a staged file to the installed RECORD under its final path. */
static void
record_add(struct unpack *u, const char *key, const char *rel,
    const unsigned char *sha, uint64_t size)
{
	char	*abs, *r;

	abs = path_join(key_dir(u->o->t, key), rel);
	r = path_relative(u->home, abs);
	if (sha)
		record_out_add(&u->rec, r, sha, size);
	else
		record_out_add_bare(&u->rec, r);
	free(abs);
	free(r);
}

/* Write a generated file (launcher, INSTALLER, ...) and record it. */
static int
write_generated(struct unpack *u, const char *key, const char *rel,
    const void *data, size_t len, mode_t mode)
{
	unsigned char	 sha[32];
	char		*spath = xasprintf("%s/%s", key, rel);
	int		 fd;

	fd = file_create(u, spath, mode);
	free(spath);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) != 0) {
		close(fd);
		return err_set("cannot write '%s': %s", rel, strerror(errno));
	}
	close(fd);
	sha256_buf(data, len, sha);
	record_add(u, key, rel, sha, len);
	u->stats->files++;
	u->stats->bytes += len;
	return 0;
}

/* Compare what was read with the member's RECORD row. */
static int
check_row(struct unpack *u, const struct wheel_member *m,
    const unsigned char *digest, uint64_t size)
{
	const struct record_row	*row = m->row;

	if (row == NULL || row->algo == HASH_NONE)
		return 0;
	if (memcmp(row->digest, digest, hash_algo_len(row->algo)) == 0 &&
	    (row->size < 0 || (uint64_t)row->size == size))
		return 0;
	if (!u->o->verify_record) {
		/* One RECORD warning per wheel: wheel.c may have given it. */
		if (!u->mismatch_warned && u->w.record_ok)
			warn_msg("%s: RECORD: hash mismatch for '%s' (ignored: "
			    "--no-verify-record)", u->w.base, m->name);
		u->mismatch_warned = 1;
		return 0;
	}
	if (memcmp(row->digest, digest, hash_algo_len(row->algo)) != 0)
		return err_set("RECORD: hash mismatch for '%s'", m->name);
	return err_set("RECORD: size mismatch for '%s': RECORD says %lld, "
	    "the archive holds %llu", m->name, (long long)row->size,
	    (unsigned long long)size);
}

/*
 * Stream one member: inflate, hash, write.  With rewrite set (a script),
 * the whole member is read first so its "#!python" line can be replaced.
 */
static int
copy_member(struct unpack *u, const struct wheel_member *m, const char *key,
    const char *rel, int write_it, int rewrite)
{
	unsigned char	 vd[HASH_MAX], sd[32];
	enum hash_algo	 va = m->row ? m->row->algo : HASH_NONE;
	struct buf	 whole = BUF_INIT;
	zip_file_t	*zf;
	zip_int64_t	 n;
	uint64_t	 total = 0, written = 0;
	mode_t		 mode;
	char		*spath;
	int		 fd = -1, rc = -1, same = va == HASH_SHA256;

	mode = (m->exec && !m->is_symlink) || strcmp(key, "scripts") == 0 ? 0777 : 0666;
	if (write_it) {
		spath = xasprintf("%s/%s", key, rel);
		fd = file_create(u, spath, mode);
		free(spath);
		if (fd < 0)
			return -1;
	}
	if ((zf = zip_fopen_index(u->w.za, m->index, 0)) == NULL) {
		err_set("cannot read '%s': %s", m->name, zip_strerror(u->w.za));
		goto out;
	}
	for (;;) {
		n = zip_fread(zf, u->chunk, CHUNK);
		if (n < 0) {
			err_set("cannot read '%s': %s", m->name, zip_file_strerror(zf));
			goto out_zf;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > m->size) {
			err_set("'%s' holds more data than its declared size %llu",
			    m->name, (unsigned long long)m->size);
			goto out_zf;
		}
		if (va != HASH_NONE)
			hasher_update(&u->vh[va], u->chunk, (size_t)n);
		if (rewrite) {
			if (total > SCRIPT_MAX) {
				err_set("script '%s' is larger than %d bytes", m->name,
				    SCRIPT_MAX);
				goto out_zf;
			}
			buf_add(&whole, u->chunk, (size_t)n);
			continue;
		}
		if (!same)
			hasher_update(&u->sh, u->chunk, (size_t)n);
		if (fd >= 0 && write_all(fd, u->chunk, (size_t)n) != 0) {
			err_set("cannot write '%s': %s", rel, strerror(errno));
			goto out_zf;
		}
		written += (uint64_t)n;
	}
	if (total != m->size) {
		err_set("'%s' holds %llu bytes, its header declares %llu", m->name,
		    (unsigned long long)total, (unsigned long long)m->size);
		goto out_zf;
	}
	if (va != HASH_NONE)
		hasher_final(&u->vh[va], vd);
	if (check_row(u, m, vd, total) != 0)
		goto out_zf;
	if (rewrite) {
		const char	*body = whole.p ? whole.p : "";
		long		 skip = script_python_shebang_len(body, whole.len);
		char		*sb = NULL;

		if (skip < 0)
			skip = (long)whole.len;	/* "#!python" and no line end */
		if (skip > 0) {
			sb = shebang_for(u->o->t->python);
			hasher_update(&u->sh, sb, strlen(sb));
			hasher_update(&u->sh, body + skip, whole.len - (size_t)skip);
		} else
			hasher_update(&u->sh, body, whole.len);
		if (fd >= 0 && ((sb && write_all(fd, sb, strlen(sb)) != 0) ||
		    write_all(fd, body + skip, whole.len - (size_t)skip) != 0)) {
			err_set("cannot write '%s': %s", rel, strerror(errno));
			free(sb);
			goto out_zf;
		}
		written = (sb ? strlen(sb) : 0) + whole.len - (size_t)skip;
		free(sb);
		hasher_final(&u->sh, sd);
	} else if (same)
		memcpy(sd, vd, 32);
	else
		hasher_final(&u->sh, sd);
	if (write_it) {
		record_add(u, key, rel, sd, written);
		u->stats->files++;
		u->stats->bytes += written;
	}
	rc = 0;
out_zf:
	zip_fclose(zf);
out:
	if (fd >= 0)
		close(fd);
	buf_free(&whole);
	return rc;
}

/* Files the installer writes itself; the archive's copies are not installed. */
static int
generated_name(const struct unpack *u, const char *name)
{
	static const char *const gen[] = {
		"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"
	};
	size_t	 i, dl = strlen(u->w.distinfo);

	if (strncmp(name, u->w.distinfo, dl) != 0 || name[dl] != '/')
		return 0;
	for (i = 0; i < ARRAY_SIZE(gen); i++)
		if (strcmp(name + dl + 1, gen[i]) == 0)
			return 1;
	return 0;
}

static int
member(struct unpack *u, const struct wheel_member *m)
{
	const char	*root = u->w.info.root_is_purelib ? "purelib" : "platlib";
	size_t		 dl = strlen(u->w.datadir);
	char		 key[16];
	const char	*rel = m->name, *slash;
	char		*hrel = NULL;
	int		 rc, write_it = 1, rewrite = 0;

	if (strncmp(m->name, u->w.datadir, dl) == 0 && m->name[dl] == '/') {
		rel = m->name + dl + 1;
		slash = strchr(rel, '/');
		if (slash == NULL || (size_t)(slash - rel) >= sizeof(key))
			BUG("wheel.c let '%s' through", m->name);
		memcpy(key, rel, (size_t)(slash - rel));
		key[slash - rel] = '\0';
		rel = slash + 1;
	} else
		snprintf(key, sizeof(key), "%s", root);
	if (strcmp(key, "scripts") == 0) {
		if (strchr(rel, '/') == NULL && script_is_ep_wrapper(rel, &u->eps))
			write_it = 0;
		rewrite = 1;
	} else if (strcmp(key, "headers") == 0) {
		hrel = xasprintf("%s/%s", u->name, rel);
		rel = hrel;
	}
	if (generated_name(u, m->name))
		write_it = 0;
	rc = copy_member(u, m, key, rel, write_it, rewrite && write_it);
	free(hrel);
	return rc;
}

/* PEP 610 needs a URL: percent-encode all but unreserved characters and '/'. */
static char *
file_url(const char *abs)
{
	struct buf		 b = BUF_INIT;
	const unsigned char	*p;

	buf_adds(&b, "file://");
	for (p = (const unsigned char *)abs; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			buf_add(&b, p, 1);
		else
			buf_addf(&b, "%%%02X", *p);
	}
	return buf_detach(&b);
}

static int
file_sha256_hex(const char *path, char hex[65])
{
	unsigned char	 d[32];
	struct hasher	 h;
	char		*buf;
	ssize_t		 n;
	int		 fd, i;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set("cannot open: %s", strerror(errno));
	buf = xmalloc(CHUNK);
	hasher_init(&h, HASH_SHA256);
	while ((n = read_all(fd, buf, CHUNK)) > 0)
		hasher_update(&h, buf, (size_t)n);
	close(fd);
	free(buf);
	if (n < 0) {
		hasher_free(&h);
		return err_set("cannot read: %s", strerror(errno));
	}
	hasher_final(&h, d);
	hasher_free(&h);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return 0;
}

/* INSTALLER, REQUESTED, direct_url.json, launchers, then RECORD. */
static int
finish(struct unpack *u, const char *path)
{
	const char	*root = u->w.info.root_is_purelib ? "purelib" : "platlib";
	char		*rel, *shebang, *text, *abs, *url, hex[65];
	size_t		 i;
	int		 fd, rc;

	shebang = shebang_for(u->o->t->python);
	for (i = 0; i < u->eps.n; i++) {
		text = launcher_text(shebang, &u->eps.v[i]);
		rc = write_generated(u, "scripts", u->eps.v[i].name, text, strlen(text), 0777);
		free(text);
		if (rc != 0) {
			free(shebang);
			return -1;
		}
	}
	free(shebang);
	rel = xasprintf("%s/INSTALLER", u->w.distinfo);
	rc = write_generated(u, root, rel, "forklift\n", 9, 0666);
	free(rel);
	if (rc == 0 && u->o->requested) {
		rel = xasprintf("%s/REQUESTED", u->w.distinfo);
		rc = write_generated(u, root, rel, "", 0, 0666);
		free(rel);
	}
	if (rc == 0 && u->o->direct_url) {
		if (file_sha256_hex(path, hex) != 0)
			return -1;
		abs = path_abs(path);
		url = file_url(abs);
		text = xasprintf("{\"url\": \"%s\", \"archive_info\": {\"hashes\": "
		    "{\"sha256\": \"%s\"}}}\n", url, hex);
		rel = xasprintf("%s/direct_url.json", u->w.distinfo);
		rc = write_generated(u, root, rel, text, strlen(text), 0666);
		free(rel);
		free(text);
		free(url);
		free(abs);
	}
	if (rc != 0)
		return -1;
	rel = xasprintf("%s/%s/RECORD", root, u->w.distinfo);
	fd = file_create(u, rel, 0666);
	free(rel);
	if (fd < 0)
		return -1;
	rel = xasprintf("%s/RECORD", u->w.distinfo);
	record_add(u, root, rel, NULL, 0);
	free(rel);
	rc = record_out_write(&u->rec, fd);
	close(fd);
	u->stats->files++;
	return rc;
}

static int
check_requires_python(struct unpack *u)
{
	const char	*have = pyinfo_get(&u->o->t->info, "python_full_version");
	char		*spec;
	int		 r;

	spec = metadata_field(u->w.metadata, u->w.metadata_len, "Requires-Python");
	if (spec == NULL || u->o->ignore_requires_python) {
		free(spec);
		return 0;
	}
	r = version_spec_match(spec, have);
	if (r < 0)
		err_prefix("METADATA: invalid Requires-Python '%s'", spec);
	else if (r == 0)
		err_set("requires Python '%s', but the interpreter is %s "
		    "(--ignore-requires-python to install anyway)", spec, have);
	free(spec);
	return r == 1 ? 0 : -1;
}

int
unpack_wheel(const char *path, int stage_fd, const struct unpack_opts *o,
    struct unpack_stats *stats)
{
	struct wheel_open_opts	 wo = { o->max_unpacked, o->verify_record };
	struct unpack		 u;
	size_t			 i;
	int			 rc = -1;

	memset(&u, 0, sizeof(u));
	memset(stats, 0, sizeof(*stats));
	u.o = o;
	u.stats = stats;
	u.dc.stage_fd = stage_fd;
	u.dc.fd = -1;
	if (wheel_open(&u.w, path, &wo) != 0)
		return -1;
	if (check_requires_python(&u) != 0)
		goto out;
	if (u.w.entry_points != NULL &&
	    entry_points_parse(u.w.entry_points, u.w.entry_points_len, &u.eps) != 0)
		goto out;
	u.name = metadata_field(u.w.metadata, u.w.metadata_len, "Name");
	if (u.name == NULL || strchr(u.name, '/') || u.name[0] == '.' || !*u.name) {
		free(u.name);
		u.name = xstrdup(u.w.fn.name);
	}
	u.home = u.w.info.root_is_purelib ? o->t->purelib : o->t->platlib;
	u.chunk = xmalloc(CHUNK);
	for (i = HASH_SHA256; i <= HASH_SHA512; i++)
		hasher_init(&u.vh[i], (enum hash_algo)i);
	hasher_init(&u.sh, HASH_SHA256);
	for (i = 0; i < u.w.n; i++) {
		const struct wheel_member *m = &u.w.m[i];

		if (m->is_dir || m->skip)
			continue;
		if (member(&u, m) != 0)
			goto out;
	}
	rc = finish(&u, path);
out:
	if (u.dc.fd >= 0)
		close(u.dc.fd);
	free(u.dc.path);
	free(u.chunk);
	free(u.name);
	for (i = HASH_SHA256; i <= HASH_SHA512; i++)
		hasher_free(&u.vh[i]);
	hasher_free(&u.sh);
	record_out_free(&u.rec);
	entry_points_free(&u.eps);
	wheel_close(&u.w);
	return rc;
}
