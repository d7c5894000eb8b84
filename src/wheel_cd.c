/*
 * wheel_cd.c: a wheel's central directory and local headers, read from
 * the file (wheel_source.c) without libzip.  It finds the end record,
 * reads the entries (wheel_cd_read(); wheel.c checks each member), or,
 * where libzip read them, what libzip does not say (wheel_cd_index()),
 * and compares each member's local header with its entry when the member
 * is met (wheel_member_check()).  It never writes and never inflates.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wheel.h"
#include "wheel_int.h"

/*
 * Local headers.  libzip can compare every local header with the central
 * directory when it opens the archive (ZIP_CHECKCONS), but that reads
 * each one a second time with an allocation and a time conversion per
 * member, most of the cost of opening a large wheel.  Instead the central
 * directory is walked here once for what libzip does not say (where each
 * local header is, the raw flags and time), and each member's local
 * header is compared when the member is read or skipped
 * (wheel_member_check()).  The walk must read the very directory libzip
 * read: with more than one end-of-directory signature in the last 64 KiB
 * libzip may choose another, so such an archive is opened the old way;
 * and each entry's name, method, CRC and sizes must be libzip's.
 */
#define EOCD_TAIL	(65536 + 22 + 20)
#define U32_MAX		0xffffffffu

static int
local_err(const struct wheel_member *m, const char *what)
{
	char	*q = str_quote(m->name);

	err_set("damaged archive: member '%s': %s", q, what);
	free(q);
	return -1;
}

/* A name that holds a NUL byte (what precedes it, quoted). */
static int
nul_err(const char *name)
{
	char	*q = str_quote(name);

	err_set("member name '%s' holds a NUL byte", q);
	free(q);
	return -1;
}

int
wheel_cd_disagrees(void)
{
	return err_set("damaged archive (its central directory cannot be read "
	    "consistently)");
}

/* Where the central directory is, how long, and how many entries it
 * holds: 0, or 1 when libzip may read another one or it cannot be read
 * so. */
static int
cd_find(struct wheel *w, uint64_t *off, uint64_t *len, uint64_t *count)
{
	const unsigned char *t, *p;
	uint64_t	 tail = w->size < EOCD_TAIL ? w->size : EOCD_TAIL, base;
	uint64_t	 end, z;
	size_t		 i, found = 0, at = 0;

	*off = *len = *count = 0;
	base = w->size - tail;
	if ((t = wheel_source_at(w, base, (size_t)tail)) == NULL)
		return 1;
	for (i = 0; i + 4 <= tail; i++) {
		if (t[i] == 'P' && memcmp(t + i, "PK\5\6", 4) == 0) {
			found++;
			at = i;
		}
	}
	/* one disk, the record ending the file, the directory ending where
	 * the record (or its zip64 form) starts: as libzip's whole-archive
	 * check wants it */
	if (found != 1 || at + 22 > tail || le16(t + at + 4) != 0 ||
	    le16(t + at + 6) != 0 || le16(t + at + 8) != le16(t + at + 10) ||
	    at + 22 + le16(t + at + 20) != tail)
		return 1;
	*count = le16(t + at + 10);
	*len = le32(t + at + 12);
	*off = le32(t + at + 16);
	end = base + at;
	if (at >= 20 && memcmp(t + at - 20, "PK\6\7", 4) == 0) {
		/* the zip64 record ends where its locator starts (its size
		 * compared by subtraction: a sum could wrap) */
		z = le64(t + at - 12);
		if (le32(t + at - 16) != 0 || le32(t + at - 4) != 1 ||
		    z > base + at - 20 || base + at - 20 - z < 56 ||
		    (p = wheel_source_at(w, z, 56)) == NULL ||
		    memcmp(p, "PK\6\6", 4) != 0 ||
		    le64(p + 4) != base + at - 20 - z - 12 ||
		    le32(p + 16) != 0 || le32(p + 20) != 0 ||
		    le64(p + 24) != le64(p + 32))
			return 1;
		*count = le64(p + 32);
		*len = le64(p + 40);
		*off = le64(p + 48);
		end = z;
	}
	if (*off > end || *len != end - *off)
		return 1;
	return 0;
}

/* A central directory entry's 64-bit values from its zip64 extra field:
 * those whose 32-bit field is all ones, in the order the format gives. */
static int
cd_zip64(const unsigned char *ex, size_t len, uint64_t *v[3])
{
	const unsigned char *q;
	size_t		 i, k, fl;

	for (i = 0; i + 4 <= len; i += 4 + fl) {
		fl = le16(ex + i + 2);
		if (i + 4 + fl > len)
			break;
		if (le16(ex + i) != 0x0001)
			continue;
		for (k = 0, q = ex + i + 4; k < 3; k++) {
			if (*v[k] != U32_MAX)
				continue;
			if (q + 8 > ex + i + 4 + fl)
				return -1;
			*v[k] = le64(q);
			q += 8;
		}
		return 0;
	}
	return -1;
}

/* Do the extra fields of len bytes at ex fill them exactly (or leave
 * zeros, as aligning tools pad)? */
static int
ef_valid(const unsigned char *ex, size_t len)
{
	size_t	i;

	for (i = 0; i + 4 <= len; i += 4 + le16(ex + i + 2))
		if (i + 4 + le16(ex + i + 2) > len)
			return 0;
	for (; i < len; i++)
		if (ex[i] != 0)
			return 0;
	return 1;
}

static int
cmp_off(const void *a, const void *b)
{
	const uint64_t	*x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The entry at off, ending before end: 0, or 1 when it cannot be read
 * so.  e->name points into the source until it is read again. */
static int
cd_entry(struct wheel *w, uint64_t off, uint64_t end, struct cd_ent *e)
{
	const unsigned char *p;
	size_t		 el, cl;
	uint16_t	 disk;

	if (off > end || end - off < 46 ||
	    (p = wheel_source_at(w, off, 46)) == NULL || le32(p) != 0x02014b50)
		return 1;
	e->nl = le16(p + 28);
	el = le16(p + 30);
	cl = le16(p + 32);
	e->len = 46 + e->nl + el + cl;
	e->version = le16(p + 6);
	e->flags = le16(p + 8);
	e->method = le16(p + 10);
	e->dostime = le32(p + 12);
	e->crc = le32(p + 16);
	e->csize = le32(p + 20);
	e->size = le32(p + 24);
	disk = le16(p + 34);
	e->attr = le32(p + 38);
	e->lh = le32(p + 42);
	e->encrypted = e->flags & 1;
	if (end - off < e->len ||
	    (p = wheel_source_at(w, off, 46 + e->nl + el)) == NULL)
		return 1;
	e->name = p + 46;
	/* a UTF-8 comment libzip would check: left to it */
	if (disk != 0 || !ef_valid(p + 46 + e->nl, el) ||
	    ((e->flags & 0x800) && cl > 0))
		return 1;
	if (e->size == U32_MAX || e->csize == U32_MAX || e->lh == U32_MAX) {
		uint64_t	*v[3] = { &e->size, &e->csize, &e->lh };

		if (cd_zip64(p + 46 + e->nl, el, v) != 0)
			return 1;
	}
	return 0;
}

/* The end each member's data must keep within: the next local header, or
 * the central directory at start for the last. */
static int
set_ends(struct wheel *w, uint64_t start)
{
	uint64_t	*o;
	size_t		 i;
	char		*a, *b;
	int		 sorted = 1;

	for (i = 0; i < w->n; i++) {
		if (w->m[i].lh_off >= start)
			return local_err(&w->m[i], "its local header is not "
			    "before the central directory");
		if (i > 0 && w->m[i].lh_off <= w->m[i - 1].lh_off)
			sorted = 0;
	}
	if (sorted) {
		for (i = 0; i < w->n; i++)
			w->m[i].lh_end = i + 1 < w->n ? w->m[i + 1].lh_off : start;
		return 0;
	}
	o = xreallocarray(NULL, w->n, 2 * sizeof(*o));
	for (i = 0; i < w->n; i++) {
		o[2 * i] = w->m[i].lh_off;
		o[2 * i + 1] = i;
	}
	qsort(o, w->n, 2 * sizeof(*o), cmp_off);
	for (i = 0; i < w->n; i++) {
		if (i + 1 < w->n && o[2 * i] == o[2 * i + 2]) {
			a = str_quote(w->m[o[2 * i + 1]].name);
			b = str_quote(w->m[o[2 * i + 3]].name);
			err_set("damaged archive: members '%s' and '%s' share "
			    "one local header", a, b);
			free(a);
			free(b);
			free(o);
			return -1;
		}
		w->m[o[2 * i + 1]].lh_end = i + 1 < w->n ? o[2 * i + 2] : start;
	}
	free(o);
	return 0;
}

/* What of e libzip does not say, for the local header's check. */
static void
cd_raw(struct wheel_member *m, const struct cd_ent *e)
{
	m->flags = e->flags;
	m->version = e->version;
	m->dostime = e->dostime;
	m->lh_off = e->lh;
}

/* After libzip read the central directory: each member's local header,
 * raw flags and time, from the same directory (every entry's name,
 * method, CRC and sizes must be libzip's).  0, 1 (libzip may have read
 * another directory), or -1. */
int
wheel_cd_index(struct wheel *w)
{
	struct wheel_member *m;
	struct cd_ent	 e;
	uint64_t	 off, start, len, count;
	size_t		 i;

	if (cd_find(w, &start, &len, &count) != 0)
		return 1;
	if (count != w->n)
		return wheel_cd_disagrees();
	for (i = 0, off = start; i < w->n; i++, off += e.len) {
		m = &w->m[i];
		if (cd_entry(w, off, w->size, &e) != 0)
			return wheel_cd_disagrees();
		if (memchr(e.name, 0, e.nl) != NULL)
			return nul_err(m->name);
		if (strlen(m->name) != e.nl ||
		    memcmp(e.name, m->name, e.nl) != 0 ||
		    e.size != m->size || e.csize != m->csize ||
		    e.method != m->method || e.crc != m->crc)
			return wheel_cd_disagrees();
		cd_raw(m, &e);
	}
	return set_ends(w, start);
}

/*
 * The central directory read here, libzip not opened: its allocations and
 * time conversions per member were most of the cost of opening a large
 * wheel.  Anything unusual (several end-of-directory signatures, an entry
 * that cannot be read, zip64 fields missing, a disk other than the first)
 * is left to libzip: 1, and libzip opens the archive and says what is
 * wrong.  0, or -1 with err_set() for what is refused either way.
 */
int
wheel_cd_read(struct wheel *w, const struct wheel_open_opts *o, uint64_t max)
{
	uint64_t	 off, start, len, count;
	struct cd_ent	 e;
	size_t		 i, used = 0;
	char		*name;

	if (cd_find(w, &start, &len, &count) != 0 || count == 0 ||
	    count > (o->max_members ? o->max_members : WHEEL_MAX_MEMBERS) ||
	    count > len / 46)
		return 1;
	/* every entry takes 46 bytes and its name: the names fit in len */
	w->names = xbig_alloc((size_t)len + 1);
	w->m = xbig_calloc((size_t)count, sizeof(*w->m));
	for (i = 0, off = start; i < count; i++, off += e.len) {
		if (cd_entry(w, off, start + len, &e) != 0)
			return 1;
		name = w->names + used;
		memcpy(name, e.name, e.nl);
		name[e.nl] = '\0';
		used += e.nl + 1;
		w->n = i + 1;
		if (memchr(name, 0, e.nl) != NULL)
			return nul_err(name);
		if (wheel_member_fill(w, i, name, &e, max) == -1)
			return -1;
		cd_raw(&w->m[i], &e);
	}
	/* entries the count leaves out would be hidden from the walk while
	 * other readers see them: the count must fill the directory */
	if (off != start + len)
		return 1;
	return set_ends(w, start);
}

int
wheel_member_check(struct wheel *w, const struct wheel_member *m)
{
	const unsigned char *p;
	uint64_t	 size, csize, data;
	size_t		 nl = strlen(m->name), el;
	uint16_t	 flags;

	if (w->local_checked)
		return 0;
	if (m->lh_off > m->lh_end || m->lh_end - m->lh_off < 30 ||
	    (p = wheel_source_at(w, m->lh_off, 30)) == NULL ||
	    le32(p) != 0x04034b50)
		return local_err(m, "no local header where the central "
		    "directory puts it");
	flags = le16(p + 6);
	el = le16(p + 28);
	csize = le32(p + 18);
	size = le32(p + 22);
	if (le16(p + 26) != nl ||
	    (p = wheel_source_at(w, m->lh_off, 30 + nl + el)) == NULL ||
	    memcmp(p + 30, m->name, nl) != 0)
		return local_err(m, "its local header names another file");
	if (le16(p + 8) != m->method)
		return local_err(m, "its local header gives another "
		    "compression method");
	if ((flags ^ m->flags) & 0x0009)
		return local_err(m, "its local header gives other flags");
	if (le16(p + 4) > m->version)
		return local_err(m, "its local header needs a later version "
		    "of the format");
	if (!ef_valid(p + 30 + nl, el))
		return local_err(m, "its local header has damaged extra "
		    "fields");
	if (le32(p + 10) != m->dostime)
		return local_err(m, "its local header gives another time");
	if ((flags & 8) && le32(p + 14) == 0 && csize == 0 && size == 0)
		;	/* a data descriptor holds them */
	else if (le32(p + 14) != m->crc)
		return local_err(m, "its local header gives another CRC");
	else {
		if (size == U32_MAX || csize == U32_MAX) {
			uint64_t	 none = 0, *v[3] = { &size, &csize, &none };

			size = csize = U32_MAX;
			if (cd_zip64(p + 30 + nl, el, v) != 0)
				return local_err(m, "its local header gives "
				    "other sizes");
		}
		if (size != m->size || csize != m->csize)
			return local_err(m, "its local header gives other "
			    "sizes");
	}
	data = m->lh_off + 30 + nl + el;
	if (data > m->lh_end || m->csize > m->lh_end - data)
		return local_err(m, "its data overlap another member or the "
		    "central directory");
	return 0;
}

int
wheel_member_at(struct wheel *w, const struct wheel_member *m, uint64_t pos,
    size_t n, unsigned char *buf, const unsigned char **out)
{
	const unsigned char *p;
	uint64_t	 data;

	if (w->local_checked || (w->map == NULL && buf == NULL))
		return 0;
	if ((p = wheel_source_at(w, m->lh_off, 30)) == NULL)
		return local_err(m, "no local header where the central "
		    "directory puts it");
	data = m->lh_off + 30 + le16(p + 26) + le16(p + 28);
	if (data > m->lh_end || m->csize > m->lh_end - data)
		return local_err(m, "its data overlap another member or the "
		    "central directory");
	if (pos > m->csize || n > m->csize - pos)
		BUG("member '%s': bytes %llu+%zu of %llu", m->name,
		    (unsigned long long)pos, n, (unsigned long long)m->csize);
	if (w->map != NULL) {
		*out = (const unsigned char *)w->map + data + pos;
		return 1;
	}
	if (wheel_source_copy(w, buf, n, data + pos) != 0)
		return err_set("cannot read '%s': %s", m->name, strerror(errno));
	*out = buf;
	return 1;
}

int
wheel_member_raw(struct wheel *w, const struct wheel_member *m,
    unsigned char *buf, const unsigned char **out)
{
	return wheel_member_at(w, m, 0, (size_t)m->csize, buf, out);
}
