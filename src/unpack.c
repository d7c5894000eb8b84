/*
 * unpack.c: one wheel into one tree, in one pass over its members.
 *
 * Each member is inflated, hashed (for the wheel's RECORD and for the
 * manifest at once) and written in a single streaming pass; no member is
 * read twice and none is held whole in memory.  Every file is created with
 * openat(O_CREAT|O_EXCL|O_NOFOLLOW) relative to a directory descriptor
 * inside the staging tree, from dirtab.c, which makes directories with
 * mkdirat and opens them with O_NOFOLLOW one component at a time, so
 * nothing outside the tree can be reached whatever the archive says
 * (wheel.c has already refused "..", absolute and other bad names).
 *
 * Scripts are written as shipped; those starting with "#!python" are
 * marked in the manifest for stage.c to rewrite.  It never touches the
 * live environment and knows nothing about processes.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>

#include "cache.h"
#include "dirtab.h"
#include "fsutil.h"
#include "record.h"
#include "scripts.h"
#include "unpack.h"
#include "util.h"
#include "wheel.h"

const char *const unpack_keys[5] = {
	"purelib", "platlib", "scripts", "data", "headers"
};

#define CHUNK		(256 * 1024)
#define WHOLE_MAX	(8 * 1024 * 1024)	/* inflated in one call up to this */

struct unpack {
	const struct unpack_opts *o;
	struct wheel		 w;
	struct dirtab		*dt;		/* the tree's directories */
	struct manifest		*m;
	struct entry_points	 eps;
	struct hasher		 vh[4];		/* verification, by algo (archive RECORD) */
	struct hasher		 sh;		/* sha256 for the manifest */
	unsigned char		*chunk;
	unsigned char		*raw;		/* a whole compressed member */
	size_t			 rawcap;
	unsigned char		*out;		/* a whole inflated member */
	size_t			 outcap;
	struct libdeflate_decompressor *inflater;
	int			 mismatch_warned;
};

/* Create the file at tree path rel ("purelib/pkg/x.py"). */
static int
file_create(struct unpack *u, const char *rel, mode_t mode)
{
	const char	*slash = strrchr(rel, '/');
	int		 dfd, fd;

	if ((dfd = dirtab_open(u->dt, rel, (size_t)(slash - rel))) < 0)
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
 * Bytes of a member as they come: hashed for the wheel's RECORD and for
 * the manifest, CRC'ed when libzip does not (raw reads), and written.
 */
struct sink {
	struct unpack		*u;
	const struct wheel_member *m;
	const char		*rel;
	enum hash_algo		 va;
	int			 fd;		/* -1: verify only */
	int			 same;		/* the RECORD hash is sha256 */
	int			 crc;		/* compute the CRC here */
	uint32_t		 crcval;
	uint64_t		 total;
	char			 head[8];
	size_t			 nhead;
};

static int
sink(struct sink *s, const void *p, size_t n)
{
	struct unpack	*u = s->u;

	if (n == 0)
		return 0;	/* p may be NULL (an empty member's buffer) */
	s->total += n;
	if (s->total > s->m->size)
		return err_set("'%s' holds more data than its declared size %llu",
		    s->m->name, (unsigned long long)s->m->size);
	if (s->nhead < sizeof(s->head)) {
		size_t	k = sizeof(s->head) - s->nhead < n ? sizeof(s->head) - s->nhead : n;

		memcpy(s->head + s->nhead, p, k);
		s->nhead += k;
	}
	if (s->va != HASH_NONE)
		hasher_update(&u->vh[s->va], p, n);
	if (!s->same && s->fd >= 0)
		hasher_update(&u->sh, p, n);
	if (s->crc)
		s->crcval = (uint32_t)libdeflate_crc32(s->crcval, p, n);
	if (s->fd >= 0 && write_all(s->fd, p, n) != 0)
		return err_set("cannot write '%s': %s", s->rel, strerror(errno));
	return 0;
}

/* Read a member's raw (compressed) bytes whole into u->raw. */
static int
read_raw(struct unpack *u, zip_file_t *zf, const struct wheel_member *m)
{
	zip_int64_t	n;
	uint64_t	got = 0;

	while (got < m->csize) {
		n = zip_fread(zf, u->raw + got, m->csize - got);
		if (n < 0)
			return err_set("cannot read '%s': %s", m->name, zip_file_strerror(zf));
		if (n == 0)
			break;
		got += (uint64_t)n;
	}
	if (got != m->csize)
		return err_set("'%s' is truncated", m->name);
	return 0;
}

/* A deflated member of at most WHOLE_MAX bytes, in one call. */
static int
inflate_whole(struct unpack *u, const struct wheel_member *m,
    const unsigned char *in, struct sink *s)
{
	enum libdeflate_result	 r;
	size_t			 got;

	u->out = xbig_need(u->out, &u->outcap, (size_t)m->size);
	r = libdeflate_deflate_decompress(u->inflater, in, m->csize, u->out,
	    m->size, &got);
	if (r == LIBDEFLATE_INSUFFICIENT_SPACE)
		return err_set("'%s' holds more data than its declared size %llu",
		    m->name, (unsigned long long)m->size);
	if (r != LIBDEFLATE_SUCCESS)
		return err_set("'%s' has damaged compressed data", m->name);
	return sink(s, u->out, got);
}

/* The member through libzip: a large deflated one (zlib streams it and
 * checks the CRC), or any where wheel.c cannot say where its data are. */
static int
member_zip(struct unpack *u, const struct wheel_member *m, struct sink *s,
    int whole)
{
	zip_file_t	*zf;
	zip_int64_t	 n;
	int		 raw = whole || m->method == ZIP_CM_STORE, rc = -1;

	if (wheel_zip(&u->w, m) == NULL)
		return -1;
	zf = zip_fopen_index(u->w.za, m->index, raw ? ZIP_FL_COMPRESSED : 0);
	if (zf == NULL)
		return err_set("cannot read '%s': %s", m->name, zip_strerror(u->w.za));
	/* libzip checks the CRC of stored members even when read raw. */
	s->crc = whole;
	if (whole) {
		if (read_raw(u, zf, m) == 0 && inflate_whole(u, m, u->raw, s) == 0)
			rc = 0;
		goto out;
	}
	for (;;) {
		n = zip_fread(zf, u->chunk, CHUNK);
		if (n < 0) {
			err_set("cannot read '%s': %s", m->name, zip_file_strerror(zf));
			goto out;
		}
		if (n == 0)
			break;
		if (sink(s, u->chunk, (size_t)n) != 0)
			goto out;
	}
	rc = 0;
out:
	zip_fclose(zf);
	return rc;
}

/* How much of m's compressed data to take from pos: a chunk at most. */
static size_t
chunk_at(const struct wheel_member *m, uint64_t pos)
{
	return m->csize - pos < CHUNK ? (size_t)(m->csize - pos) : CHUNK;
}

/*
 * A member too large to inflate whole, or stored, a chunk at a time:
 * compressed bytes from the mapping or read through the window, inflated
 * by zlib (CRC'ed by the sink).  1, 0 when only libzip can read it (no
 * byte was sunk), or -1.
 */
static int
member_stream(struct unpack *u, const struct wheel_member *m, struct sink *s)
{
	const unsigned char	*in;
	z_stream		 z;
	uint64_t		 pos = 0;
	size_t			 n;
	int			 r, zr = Z_OK, rc = -1;

	u->raw = xbig_need(u->raw, &u->rawcap, CHUNK);
	n = chunk_at(m, 0);
	if ((r = wheel_member_at(&u->w, m, 0, n, u->raw, &in)) != 1)
		return r;
	s->crc = 1;
	if (m->method == ZIP_CM_STORE) {
		for (;;) {
			if (sink(s, in, n) != 0)
				return -1;
			if ((pos += n) == m->csize)
				return 1;
			n = chunk_at(m, pos);
			if (wheel_member_at(&u->w, m, pos, n, u->raw, &in) != 1)
				return -1;
		}
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
		die(1, "out of memory");
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	pos = n;
	while (zr != Z_STREAM_END) {
		/* with every byte taken, zlib may still hold output (a match
		 * past the last chunk): it says Z_BUF_ERROR when it does not */
		if (z.avail_in == 0 && pos < m->csize) {
			n = chunk_at(m, pos);
			if (wheel_member_at(&u->w, m, pos, n, u->raw, &in) != 1)
				goto out;
			z.next_in = (unsigned char *)(uintptr_t)in;
			z.avail_in = (uInt)n;
			pos += n;
		}
		z.next_out = u->chunk;
		z.avail_out = CHUNK;
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_BUF_ERROR && z.avail_in == 0) {
			err_set("'%s' has damaged compressed data (it ends "
			    "early)", m->name);
			goto out;
		}
		if (zr != Z_OK && zr != Z_STREAM_END) {
			err_set("'%s' has damaged compressed data", m->name);
			goto out;
		}
		if (sink(s, u->chunk, CHUNK - z.avail_out) != 0)
			goto out;
	}
	rc = 1;
out:
	inflateEnd(&z);
	return rc;
}

/*
 * The data of one member into the sink.  A deflated member whose sizes
 * add up to WHOLE_MAX at most is inflated in one call of libdeflate
 * (about twice as fast as zlib's streaming inflate, and its CRC-32 uses
 * the CPU's carry-less multiply), from the mapped wheel itself or read
 * whole (memory: WHOLE_MAX at most); others stream a chunk at a time
 * (member_stream()), so memory stays bounded whatever the member size.
 * libzip reads only the members of an archive it opened itself.
 */
static int
member_data(struct unpack *u, const struct wheel_member *m, struct sink *s)
{
	const unsigned char	*in = NULL;
	int			 whole, r;

	/* its buffers: the output, and the input unless the wheel is mapped */
	whole = m->method == ZIP_CM_DEFLATE && m->size <= WHOLE_MAX &&
	    m->csize <= WHOLE_MAX - m->size;
	if (whole)
		u->raw = xbig_need(u->raw, &u->rawcap, (size_t)m->csize);
	if (whole && (r = wheel_member_raw(&u->w, m, u->raw, &in)) == 1) {
		s->crc = 1;
		if (inflate_whole(u, m, in, s) != 0)
			return -1;
	} else if (!whole)
		r = member_stream(u, m, s);
	if (r == -1)
		return -1;
	if (r == 0 && member_zip(u, m, s, whole) != 0)
		return -1;
	if (s->total != m->size)
		return err_set("'%s' holds %llu bytes, its header declares %llu",
		    m->name, (unsigned long long)s->total,
		    (unsigned long long)m->size);
	if (s->crc && s->crcval != m->crc)
		return err_set("'%s' fails its CRC check (damaged archive)",
		    m->name);
	return 0;
}

/* One member: inflate, hash, write (unless write_it is 0: a member that is
 * verified but not installed). */
static int
copy_member(struct unpack *u, const struct wheel_member *m, const char *rel,
    int write_it, int script)
{
	unsigned char		 vd[HASH_MAX];
	struct manifest_file	*mf;
	struct stat		 st;
	struct sink		 s;
	mode_t			 mode;
	int			 rc = -1;

	memset(&s, 0, sizeof(s));
	s.u = u;
	s.m = m;
	s.rel = rel;
	s.va = m->row ? m->row->algo : HASH_NONE;
	s.same = s.va == HASH_SHA256;
	s.fd = -1;
	mode = (m->exec && !m->is_symlink) || script ? 0777 : 0666;
	if (write_it && (s.fd = file_create(u, rel, mode)) < 0)
		return -1;
	if (member_data(u, m, &s) != 0)
		goto out;
	if (s.va != HASH_NONE)
		hasher_final(&u->vh[s.va], vd);
	if (check_row(u, m, vd, s.total) != 0)
		goto out;
	if (write_it) {
		mf = manifest_add(u->m, rel);
		if (s.same)
			memcpy(mf->sha256, vd, 32);
		else
			hasher_final(&u->sh, mf->sha256);
		mf->size = s.total;
		mf->exec = mode == 0777;
		mf->mode = mode & ~current_umask() & 07777;
		mf->rewrite = script && s.nhead >= 8 && memcmp(s.head, "#!python", 8) == 0;
		if (u->o->want_mtime && fstat(s.fd, &st) == 0) {
			mf->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
			    st.st_mtim.tv_nsec;
			mf->mode = st.st_mode & 07777;	/* default ACLs may differ */
		}
	}
	rc = 0;
out:
	if (s.fd >= 0)
		close(s.fd);
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
	char		*trel;
	int		 rc, write_it = 1, script = 0;

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
		script = 1;
	}
	if (generated_name(u, m->name))
		write_it = 0;
	if (strcmp(key, "headers") == 0)
		trel = xasprintf("headers/%s/%s", u->m->name, rel);
	else
		trel = xasprintf("%s/%s", key, rel);
	rc = copy_member(u, m, trel, write_it, script);
	free(trel);
	return rc;
}

size_t
unpack_chunk(size_t n, unsigned int nparts)
{
	size_t	c = n / ((size_t)nparts * 8);

	return c < 64 ? 64 : c;
}

unsigned int
unpack_nchunks(size_t n, unsigned int nparts)
{
	size_t	c = unpack_chunk(n, nparts);

	return (unsigned int)((n + c - 1) / c);
}

/* Members lo..hi-1. */
static int
members(struct unpack *u, size_t lo, size_t hi)
{
	size_t	i;

	if (wheel_names(&u->w, lo, hi) != 0 || wheel_rows(&u->w, lo, hi) != 0)
		return -1;
	for (i = lo; i < hi && i < u->w.n; i++) {
		const struct wheel_member *wm = &u->w.m[i];

		/* every member, the ones not installed too, before any of
		 * it is written */
		if (wheel_member_check(&u->w, wm) != 0)
			return -1;
		if (wm->is_dir || wm->skip)
			continue;
		if (member(u, wm) != 0)
			return -1;
	}
	return 0;
}

/* A split wheel's chunks (unpack.h).  Creating a file costs about what
 * inflating and hashing 7 KB does: an estimate from the site corpus
 * (28,582 files, 212 MB). */
#define CHUNK_FILE	((uint64_t)8192)
#define CHUNK_BIG	((uint64_t)1 << 40)	/* a member's cost at most */

struct chunk_cost {
	uint64_t	cost;
	unsigned int	c;
};

static int
cmp_cost(const void *a, const void *b)
{
	const struct chunk_cost	*x = a, *y = b;

	if (x->cost != y->cost)
		return x->cost > y->cost ? -1 : 1;
	return x->c < y->c ? -1 : x->c > y->c;
}

static uint64_t
member_cost(const struct wheel_member *wm)
{
	return (wm->size < CHUNK_BIG ? wm->size : CHUNK_BIG) + CHUNK_FILE;
}

void
unpack_plan(const struct wheel_member *m, size_t n, unsigned int nparts,
    struct unpack_plan *p)
{
	struct chunk_cost	*cc;
	uint64_t		 total = 0, left = 0, big, least, want, cost, c;
	size_t			 i, cap = 16;

	for (i = 0; i < n; i++)
		total += member_cost(&m[i]);
	/* A member above an eighth of a part's share is a chunk of its own
	 * (no chunk is planned larger); the others' cost still to plan sets
	 * the next chunk's, so that small ones end the plan even when a big
	 * one comes last in the archive. */
	big = total / ((uint64_t)nparts * 8);
	least = total / ((uint64_t)nparts * 64) + 1;
	for (i = 0; i < n; i++)
		if ((c = member_cost(&m[i])) <= big)
			left += c;
	p->lo = xreallocarray(NULL, cap + 1, sizeof(*p->lo));
	cc = xreallocarray(NULL, cap, sizeof(*cc));
	p->n = 0;
	for (i = 0; i < n; ) {
		want = left / ((uint64_t)nparts * 8);
		if (want < least)
			want = least;
		if (p->n == cap) {
			cap *= 2;
			p->lo = xreallocarray(p->lo, cap + 1, sizeof(*p->lo));
			cc = xreallocarray(cc, cap, sizeof(*cc));
		}
		p->lo[p->n] = i;
		cost = 0;
		do
			cost += member_cost(&m[i++]);
		while (i < n && cost + member_cost(&m[i]) <= want);
		cc[p->n].cost = cost;
		cc[p->n].c = p->n;
		p->n++;
		if (cost <= big)	/* else a big member alone */
			left -= cost;
	}
	p->lo[p->n] = n;
	qsort(cc, p->n, sizeof(*cc), cmp_cost);
	p->order = xreallocarray(NULL, p->n ? p->n : 1, sizeof(*p->order));
	for (i = 0; i < p->n; i++)
		p->order[i] = cc[i].c;
	free(cc);
}

/* A split wheel's part: chunks as long as there are any. */
static int
chunks(struct unpack *u)
{
	struct unpack_plan	p;
	unsigned int		k, c;
	int			rc = 0;

	unpack_plan(u->w.m, u->w.n, u->o->nparts, &p);
	__atomic_store_n(u->o->nchunks, p.n, __ATOMIC_RELEASE);
	while (rc == 0 &&
	    (k = __atomic_fetch_add(u->o->next, 1, __ATOMIC_ACQ_REL)) < p.n) {
		c = p.order[k];
		if (members(u, p.lo[c], p.lo[c + 1]) != 0 ||
		    u->o->chunk_done(u->o->chunk_arg, c, u->m) != 0)
			rc = -1;
	}
	unpack_plan_free(&p);
	return rc;
}

void
unpack_plan_free(struct unpack_plan *p)
{
	free(p->lo);
	free(p->order);
	memset(p, 0, sizeof(*p));
}

int
unpack_extract(const char *path, int tree_fd, const struct unpack_opts *o,
    struct manifest *m)
{
	struct wheel_open_opts	 wo = { o->max_unpacked, o->verify_record,
	    o->max_members, o->use_fd, o->wheel_fd, o->next != NULL &&
	    o->part != 0, o->next != NULL && o->part != 0 };
	struct unpack		 u;
	size_t			 i;
	char			*name;
	int			 rc = -1;

	memset(&u, 0, sizeof(u));
	u.o = o;
	u.m = m;
	if (wheel_open(&u.w, path, &wo) != 0)
		return -1;
	u.dt = o->dt != NULL ? o->dt : dirtab_new(tree_fd, 1, 0);
	if (u.w.entry_points != NULL &&
	    entry_points_parse(u.w.entry_points, u.w.entry_points_len, &u.eps) != 0)
		goto out;
	/* Headers go to include/.../<name>/, named as pip names them: the
	 * filename's name with '_' read back as '-'.  The filename grammar
	 * keeps it one safe path component. */
	name = xstrdup(u.w.fn.name);
	for (i = 0; name[i]; i++)
		if (name[i] == '_')
			name[i] = '-';
	m->name = name;
	m->distinfo = xstrdup(u.w.distinfo);
	m->root = xstrdup(u.w.info.root_is_purelib ? "purelib" : "platlib");
	m->requires_python = metadata_field(u.w.metadata, u.w.metadata_len,
	    "Requires-Python");
	u.chunk = xmalloc(CHUNK);
	if ((u.inflater = libdeflate_alloc_decompressor()) == NULL)
		die(1, "out of memory");
	for (i = HASH_SHA256; i <= HASH_SHA512; i++)
		hasher_init(&u.vh[i], (enum hash_algo)i);
	hasher_init(&u.sh, HASH_SHA256);
	if ((o->next ? chunks(&u) : members(&u, 0, u.w.n)) != 0)
		goto out;
	rc = 0;
out:
	if (u.dt != o->dt)
		dirtab_free(u.dt);
	free(u.chunk);
	xbig_free(u.raw, u.rawcap);
	xbig_free(u.out, u.outcap);
	if (u.inflater != NULL)
		libdeflate_free_decompressor(u.inflater);
	for (i = HASH_SHA256; i <= HASH_SHA512; i++)
		hasher_free(&u.vh[i]);
	hasher_free(&u.sh);
	entry_points_free(&u.eps);
	wheel_close(&u.w);
	return rc;
}
