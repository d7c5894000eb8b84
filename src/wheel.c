/*
 * wheel.c: opening a wheel and refusing it early.  It parses the
 * filename, reads the central directory (wheel_cd.c; libzip where it is
 * unusual), and checks every rule that the central
 * directory and the small dist-info files can decide: member names,
 * methods, the unpacked total, duplicates and file/directory clashes, the
 * one top-level .dist-info, .data keys, WHEEL, and that RECORD lists each
 * member with a hash and the right size (a split wheel's parts other than
 * part 0 match a member's row when they meet it: wheel_rows()).  It
 * reads only RECORD, WHEEL, METADATA and entry_points.txt; it never
 * inflates other members, never writes a file, and never prints anything
 * but warnings.  Where libzip reads the file from is wheel_source.c's;
 * the text of WHEEL and METADATA is parsed by wheel_meta.c.
 */
#include "config.h"

#include <sys/mman.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <libdeflate.h>

#include "record.h"
#include "tags.h"
#include "util.h"
#include "version.h"
#include "wheel.h"
#include "wheel_int.h"

#define SMALL_MAX	(16u << 20)	/* WHEEL, METADATA, entry_points */
#define RECORD_MAX	(256u << 20)

#define STR_(x)	#x
#define STR(x)	STR_(x)

static const char *data_keys[] = {
	"purelib", "platlib", "scripts", "data", "headers"
};

/* ---- member names ---------------------------------------------------- */

static int
name_err(const char *name, const char *what)
{
	char	*q = str_quote(name);

	err_set("member '%s' %s", q, what);
	free(q);
	return -1;
}

int
member_name_check(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t		 n = strlen(name), i, k, clen, depth;

	if (n == 0)
		return err_set("member with an empty name");
	for (i = 0; i < n; i += k) {
		if ((k = utf8_len(p + i, n - i)) == 0)
			return name_err(name, "is not valid UTF-8");
		if (p[i] < 0x20 || p[i] == 0x7f ||
		    (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0))
			return name_err(name, "contains a control character");
		if (p[i] == '\\')
			return name_err(name, "contains a backslash");
	}
	if (name[0] == '/')
		return name_err(name, "is an absolute path");
	for (i = 0, depth = 0; i < n; i += clen + 1) {
		clen = strcspn(name + i, "/");	/* a final '/' ends it */
		if (++depth > WHEEL_MAX_DEPTH)
			return name_err(name, "is nested more than "
			    STR(WHEEL_MAX_DEPTH) " directories deep");
		if (clen == 0)
			return name_err(name, "has an empty path component");
		if (clen == 2 && name[i] == '.' && name[i + 1] == '.')
			return name_err(name, "escapes the install tree");
		if (clen == 1 && name[i] == '.')
			return name_err(name, "has a '.' path component");
	}
	return 0;
}

static int
in_pycache(const char *name)
{
	const char	*p;

	for (p = name; (p = strstr(p, "__pycache__")) != NULL; p++) {
		if ((p == name || p[-1] == '/') && p[11] == '/')
			return 1;
	}
	return 0;
}

/* ---- the central directory ------------------------------------------- */

static const char *
method_name(zip_int32_t m)
{
	switch (m) {
	case ZIP_CM_BZIP2:
		return "bzip2";
	case ZIP_CM_DEFLATE64:
		return "deflate64";
	case ZIP_CM_LZMA:
		return "lzma";
	case ZIP_CM_XZ:
		return "xz";
	case 93:
		return "zstd";
	case ZIP_CM_IMPLODE:
		return "implode";
	}
	return NULL;
}

static int
open_error(const char *path, int code)
{
	zip_error_t	 ze;
	FILE		*f;
	char		 sig[4];
	int		 local = 0;

	switch (code) {
	case ZIP_ER_NOZIP:
		if ((f = fopen(path, "rb")) != NULL) {
			local = fread(sig, 1, 4, f) == 4 &&
			    memcmp(sig, "PK\3\4", 4) == 0;
			fclose(f);
		}
		return err_set(local ? "truncated archive (no end of "
		    "central directory)" : "not a zip archive");
	case ZIP_ER_INCONS:
		return err_set("damaged archive (a local header disagrees "
		    "with the central directory)");
	case ZIP_ER_MULTIDISK:
		return err_set("multi-disk archives are not supported");
	}
	zip_error_init_with_code(&ze, code);
	err_set("cannot open archive: %s", zip_error_strerror(&ze));
	zip_error_fini(&ze);
	return -1;
}

/* Member i, named name, from e: the checks every member passes. */
int
wheel_member_fill(struct wheel *w, size_t i, const char *name,
    const struct cd_ent *e, uint64_t max)
{
	struct wheel_member *m = &w->m[i];
	const char	*mn;
	mode_t		 mode;

	if (*name == '\0')
		return err_set("member with an empty name");
	if (!w->part_only && member_name_check(name) == -1)
		return -1;
	m->name = name;		/* libzip's or w->names, while w is open */
	m->index = i;
	if (e->encrypted)
		return err_set("member '%s' is encrypted", name);
	if (e->method != ZIP_CM_STORE && e->method != ZIP_CM_DEFLATE) {
		if ((mn = method_name(e->method)) != NULL)
			return err_set("member '%s' uses %s compression (only "
			    "stored and deflate are supported)", name, mn);
		return err_set("member '%s' uses compression method %d (only "
		    "stored and deflate are supported)", name, (int)e->method);
	}
	m->size = e->size;
	m->csize = e->csize;
	m->crc = e->crc;
	m->method = e->method;
	m->is_dir = name[strlen(name) - 1] == '/';
	m->skip = in_pycache(name);
	if (e->size > max - w->total_size)
		return err_set("members add up to more than %llu bytes "
		    "(--max-unpacked-size)", (unsigned long long)max);
	w->total_size += e->size;
	mode = (mode_t)(e->attr >> 16);
	m->is_symlink = !m->is_dir && S_ISLNK(mode);
	m->exec = !m->is_dir && S_ISREG(mode) && (mode & 0111);
	return 0;
}

static int
scan_member(struct wheel *w, zip_uint64_t i, uint64_t max)
{
	const zip_uint64_t need = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE |
	    ZIP_STAT_CRC | ZIP_STAT_COMP_METHOD;
	const char	*name;
	struct cd_ent	 e;
	zip_stat_t	 st;
	zip_uint8_t	 os;

	memset(&e, 0, sizeof(e));
	if ((name = zip_get_name(w->za, i, ZIP_FL_ENC_RAW)) == NULL ||
	    zip_stat_index(w->za, i, ZIP_FL_ENC_RAW, &st) == -1)
		return err_set("member %llu: %s", (unsigned long long)i,
		    zip_strerror(w->za));
	if ((st.valid & need) != need)
		return err_set("member '%s': incomplete central directory "
		    "entry", name);
	e.encrypted = (st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
	    st.encryption_method != ZIP_EM_NONE;
	e.method = (uint16_t)st.comp_method;
	if (st.comp_method != e.method)
		e.method = 0xffff;
	e.size = st.size;
	e.csize = st.comp_size;
	e.crc = st.crc;
	if (zip_file_get_external_attributes(w->za, i, 0, &os, &e.attr) != 0)
		e.attr = 0;
	return wheel_member_fill(w, (size_t)i, name, &e, max);
}

/* A member's name without its trailing '/', and which it was. */
struct clash_key {
	const char	*name;
	size_t		 len;
	int		 dir;
};

static int
cmp_key(const void *a, const void *b)
{
	const struct clash_key *x = a, *y = b;
	int		 c;

	c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * Duplicates and file/directory clashes.  Names are sorted without their
 * trailing '/', so "a" and "a/" meet; a file "a" clashes with any name
 * starting "a/", found by binary search.  The keys point into the names:
 * nothing is copied, whatever the number of members.
 */
static int
check_clashes(const struct wheel *w)
{
	struct clash_key *k = xreallocarray(NULL, w->n, sizeof(*k));
	size_t		 i, lo, hi, mid, len;
	int		 rc = 0, c;

	for (i = 0; i < w->n; i++) {
		k[i].name = w->m[i].name;
		k[i].dir = w->m[i].is_dir;
		k[i].len = strlen(k[i].name) - (k[i].dir ? 1 : 0);
	}
	qsort(k, w->n, sizeof(*k), cmp_key);
	for (i = 0; rc == 0 && i < w->n; i++) {
		len = k[i].len;
		if (i + 1 < w->n && cmp_key(&k[i], &k[i + 1]) == 0) {
			if (k[i].dir == k[i + 1].dir)
				rc = err_set("duplicate member '%.*s%s'", (int)len,
				    k[i].name, k[i].dir ? "/" : "");
			else
				rc = err_set("'%.*s' is both a file and a "
				    "directory", (int)len, k[i].name);
			break;
		}
		if (k[i].dir)
			continue;
		/* the first key >= k[i] + "/" */
		for (lo = i + 1, hi = w->n; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			c = memcmp(k[mid].name, k[i].name,
			    k[mid].len < len ? k[mid].len : len);
			if (c < 0 || (c == 0 && (k[mid].len <= len ||
			    (unsigned char)k[mid].name[len] < '/')))
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < w->n && k[lo].len > len &&
		    memcmp(k[lo].name, k[i].name, len) == 0 &&
		    k[lo].name[len] == '/')
			rc = err_set("'%.*s' is both a file and a directory "
			    "('%.*s')", (int)len, k[i].name, (int)k[lo].len,
			    k[lo].name);
	}
	free(k);
	return rc;
}

int
wheel_names(const struct wheel *w, size_t lo, size_t hi)
{
	size_t	i;

	for (i = lo; w->part_only && i < hi && i < w->n; i++)
		if (member_name_check(w->m[i].name) == -1)
			return -1;
	return 0;
}

static struct wheel_member *
find_member(const struct wheel *w, const char *dir, const char *file)
{
	size_t	i, dl = strlen(dir);

	for (i = 0; i < w->n; i++) {
		if (!w->m[i].is_dir && strncmp(w->m[i].name, dir, dl) == 0 &&
		    w->m[i].name[dl] == '/' &&
		    strcmp(w->m[i].name + dl + 1, file) == 0)
			return &w->m[i];
	}
	return NULL;
}

/* ---- dist-info and .data --------------------------------------------- */

static int
version_eq(const char *a, const char *b)
{
	char	*na = version_normalize(a), *nb = version_normalize(b);
	int	 eq;

	eq = na != NULL && nb != NULL ? strcmp(na, nb) == 0 :
	    strcasecmp(a, b) == 0;
	free(na);
	free(nb);
	return eq;
}

/* Does "name-version" match the filename?  Tries every '-' as the split. */
static int
distinfo_matches(const struct wheel *w, const char *stem)
{
	char		*name, *norm, *fnorm;
	const char	*d;
	int		 ok = 0;

	fnorm = name_normalize(w->fn.name);
	for (d = stem; !ok && (d = strchr(d, '-')) != NULL; d++) {
		name = xstrndup(stem, (size_t)(d - stem));
		norm = name_normalize(name);
		ok = strcmp(norm, fnorm) == 0 && version_eq(d + 1,
		    w->fn.version);
		free(norm);
		free(name);
	}
	free(fnorm);
	return ok;
}

static int
find_distinfo(struct wheel *w)
{
	struct strv	 found = STRV_INIT;
	struct buf	 b = BUF_INIT;
	const char	*name, *slash;
	size_t		 i, j, len;
	char		*top, *stem;

	for (i = 0; i < w->n; i++) {
		name = w->m[i].name;
		if ((slash = strchr(name, '/')) == NULL)
			continue;
		len = (size_t)(slash - name);
		if (len <= 10 || memcmp(slash - 10, ".dist-info", 10) != 0)
			continue;
		for (j = 0; j < found.n; j++) {
			if (strncmp(found.v[j], name, len) == 0 &&
			    found.v[j][len] == '\0')
				break;
		}
		if (j == found.n)
			strv_push_owned(&found, xstrndup(name, len));
	}
	if (found.n != 1) {
		strv_sort(&found);
		for (j = 0; j < found.n; j++)
			buf_addf(&b, "%s'%s'", j ? ", " : "", found.v[j]);
		if (found.n == 0)
			err_set("no .dist-info directory");
		else
			err_set("%zu .dist-info directories: %s", found.n, b.p);
		buf_free(&b);
		strv_free(&found);
		return -1;
	}
	top = found.v[0];
	stem = xstrndup(top, strlen(top) - 10);
	if (!distinfo_matches(w, stem)) {
		err_set("'%s' does not match the filename's name '%s' and "
		    "version '%s'", top, w->fn.name, w->fn.version);
		free(stem);
		strv_free(&found);
		return -1;
	}
	w->distinfo = xstrdup(top);
	w->datadir = xasprintf("%s.data", stem);
	free(stem);
	strv_free(&found);
	return 0;
}

static int
check_data(const struct wheel *w)
{
	size_t		 i, j, dl = strlen(w->datadir), kl;
	const char	*name, *rest;

	for (i = 0; i < w->n; i++) {
		name = w->m[i].name;
		if (strncmp(name, w->datadir, dl) != 0 || name[dl] != '/')
			continue;
		rest = name + dl + 1;
		if (*rest == '\0')
			continue;
		kl = strcspn(rest, "/");
		if (rest[kl] == '\0')
			return err_set("member '%s' is directly in '%s/' "
			    "(expected %s/KEY/...)", name, w->datadir,
			    w->datadir);
		for (j = 0; j < ARRAY_SIZE(data_keys); j++) {
			if (strlen(data_keys[j]) == kl &&
			    strncmp(rest, data_keys[j], kl) == 0)
				break;
		}
		if (j == ARRAY_SIZE(data_keys))
			return err_set("member '%s': unknown .data key '%.*s' "
			    "(expected purelib, platlib, scripts, data or "
			    "headers)", name, (int)kl, rest);
		/* Under purelib or platlib a top-level *.dist-info lands beside
		 * the wheel's own metadata and would shadow it, or another
		 * distribution's: refused. */
		if (j < 2) {
			const char	*top = rest + kl + 1;
			size_t		 tl = strcspn(top, "/");

			if (tl > 10 && strncmp(top + tl - 10, ".dist-info", 10) == 0)
				return err_set("member '%s': a .dist-info directory "
				    "under %s/%.*s would shadow installed metadata",
				    name, w->datadir, (int)kl, rest);
		}
	}
	return 0;
}

/* ---- RECORD coverage ------------------------------------------------- */

struct problems {
	int	 verify;
	size_t	 n;
	char	*first;
};

/* A RECORD problem (detail in err_get()): fatal, or noted for one warning. */
static int
record_problem(struct problems *pr)
{
	if (pr->verify)
		return err_prefix("RECORD");
	if (pr->n++ == 0)
		pr->first = xstrdup(err_get());
	return 0;
}

static int
record_exempt(const struct wheel *w, const struct wheel_member *m)
{
	size_t	dl = strlen(w->distinfo);

	if (m->is_dir || m->skip)
		return 1;
	if (strncmp(m->name, w->distinfo, dl) != 0 || m->name[dl] != '/')
		return 0;
	return strcmp(m->name + dl + 1, "RECORD") == 0 ||
	    strcmp(m->name + dl + 1, "RECORD.jws") == 0 ||
	    strcmp(m->name + dl + 1, "RECORD.p7s") == 0;
}

/* The row of m in w's RECORD (parsed), checked as check_record() does:
 * 0, or -1 with err_set() saying what is wrong. */
static int
match_row(struct wheel_member *m, struct record_row *row)
{
	if (row == NULL)
		return err_set("'%s' is not listed", m->name);
	row->seen = 1;
	m->row = row;
	if (row->algo == HASH_NONE)
		return err_set("no hash for '%s'", m->name);
	if (row->size >= 0 && (uint64_t)row->size != m->size)
		return err_set("size mismatch for '%s' (RECORD says %lld, the "
		    "archive %llu)", m->name, (long long)row->size,
		    (unsigned long long)m->size);
	return 0;
}

static int
check_record(struct wheel *w, const struct wheel_member *rm, int verify,
    int scan)
{
	struct problems	 pr = { verify, 0, NULL };
	struct wheel_member *m;
	char		*text;
	size_t		 len, i;
	int		 parsed;

	if (wheel_read_member(w, rm, RECORD_MAX, &text, &len) == -1)
		return -1;
	/* A part of a split wheel: only the rows of its members, matched as
	 * it meets them (wheel_rows()); part 0 checks the whole. */
	if (scan && verify && record_scan(text, len, &w->record) == 0) {
		w->record_scanned = 1;
		w->record_ok = 1;
		return 0;
	}
	parsed = record_parse(text, len, &w->record) == 0;
	xbig_free(text, len + 1);
	if (!parsed && record_problem(&pr) == -1)
		return -1;
	for (i = 0; parsed && i < w->n; i++) {
		m = &w->m[i];
		if (record_exempt(w, m))
			continue;
		if (match_row(m, record_find(&w->record, m->name)) == 0)
			continue;
		if (record_problem(&pr) == -1)
			return -1;
	}
	/* Each member holds its row now: the paths, a copy of every name,
	 * are not needed again; their memory goes to the manifest. */
	for (i = 0; parsed && i < w->record.n; i++) {
		free(w->record.rows[i].path);
		w->record.rows[i].path = NULL;
	}
	w->record_ok = pr.n == 0;
	if (pr.n > 0) {
		if (pr.n > 1)
			warn_msg("%s: RECORD: %s, and %zu more problem%s "
			    "(--no-verify-record)", w->base, pr.first,
			    pr.n - 1, pr.n > 2 ? "s" : "");
		else
			warn_msg("%s: RECORD: %s (--no-verify-record)",
			    w->base, pr.first);
	}
	free(pr.first);
	return 0;
}

int
wheel_rows(struct wheel *w, size_t lo, size_t hi)
{
	struct record_row *row;
	size_t		 i;

	for (i = lo; w->record_scanned && i < hi && i < w->n; i++) {
		if (w->m[i].row != NULL || record_exempt(w, &w->m[i]))
			continue;
		if (record_get(&w->record, w->m[i].name, &row) == 0 &&
		    match_row(&w->m[i], row) == 0)
			continue;
		/* A problem: RECORD is checked whole, as it is in a wheel
		 * not split, to say the same (its first problem). */
		record_free(&w->record);
		w->record_scanned = 0;
		for (i = 0; i < w->n; i++)
			w->m[i].row = NULL;
		return check_record(w, find_member(w, w->distinfo, "RECORD"),
		    1, 0);
	}
	return 0;
}

/* ---- opening --------------------------------------------------------- */

static int
read_distinfo(struct wheel *w, const struct wheel_open_opts *o)
{
	struct wheel_member *meta, *wh, *rec, *ep;
	char		*text;
	size_t		 len;
	int		 rc;

	meta = find_member(w, w->distinfo, "METADATA");
	wh = find_member(w, w->distinfo, "WHEEL");
	rec = find_member(w, w->distinfo, "RECORD");
	if (meta == NULL || wh == NULL || rec == NULL)
		return err_set("'%s' has no %s", w->distinfo, meta == NULL ?
		    "METADATA" : wh == NULL ? "WHEEL" : "RECORD");
	if (wheel_read_member(w, wh, SMALL_MAX, &text, &len) == -1)
		return -1;
	rc = wheel_info_parse(text, len, w->base, &w->info);
	free(text);
	if (rc == -1)
		return -1;
	if (wheel_read_member(w, meta, SMALL_MAX, &w->metadata,
	    &w->metadata_len) == -1)
		return -1;
	ep = find_member(w, w->distinfo, "entry_points.txt");
	if (ep != NULL && wheel_read_member(w, ep, SMALL_MAX,
	    &w->entry_points, &w->entry_points_len) == -1)
		return -1;
	return check_record(w, rec, o->verify_record, o->scan_record);
}


/*
 * libzip says only that some local header disagrees with the central
 * directory.  To name the member, walk the local headers in central
 * directory order (as every wheel writer lays them out) and compare name,
 * method, CRC and sizes.  Only runs on that error path.
 */
static int
explain_incons(struct wheel *w)
{
	const unsigned char	*map = w->map;
	zip_stat_t		 st;
	zip_int64_t		 n, i;
	const char		*raw, *what = NULL;
	size_t			 off = 0, namelen, extralen;
	zip_t			*za;
	uint16_t		 flags;
	int			 code;

	if ((za = wheel_source_open(w, ZIP_RDONLY, &code)) == NULL) {
		/* libzip refuses the central directory itself (a UTF-8 flagged
		 * name that is not UTF-8, say): check the local names in order. */
		while (off + 30 <= w->map_len && le32(map + off) == 0x04034b50) {
			char	*name;
			int	 bad;

			namelen = le16(map + off + 26);
			extralen = le16(map + off + 28);
			if (off + 30 + namelen > w->map_len)
				break;
			name = xstrndup((const char *)map + off + 30, namelen);
			if ((bad = memchr(map + off + 30, 0, namelen) != NULL))
				err_set("member name '%s' holds a NUL byte", name);
			else
				bad = member_name_check(name) != 0;
			free(name);
			if (bad)
				return -1;
			if (le16(map + off + 6) & 8)
				break;
			off += 30 + namelen + extralen + le32(map + off + 18);
		}
		return open_error(w->path, ZIP_ER_INCONS);
	}
	n = zip_get_num_entries(za, 0);
	for (i = 0; i < n && what == NULL; i++) {
		if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 ||
		    (raw = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW)) == NULL)
			break;
		namelen = strlen(raw);
		if (off + 30 > w->map_len || le32(map + off) != 0x04034b50) {
			what = "no local header where the archive's layout puts it";
			break;
		}
		flags = le16(map + off + 6);
		extralen = le16(map + off + 28);
		if (le16(map + off + 26) != namelen || off + 30 + namelen > w->map_len ||
		    memcmp(map + off + 30, raw, namelen) != 0)
			what = "its local header names another file";
		else if (le16(map + off + 8) != st.comp_method)
			what = "its local header gives another compression method";
		else if (!(flags & 8) && le32(map + off + 14) != st.crc)
			what = "its local header gives another CRC";
		else if (!(flags & 8) && st.comp_size < 0xffffffffu &&
		    (le32(map + off + 18) != st.comp_size ||
		    le32(map + off + 22) != st.size))
			what = "its local header gives other sizes";
		if (what != NULL)
			break;
		off += 30 + namelen + extralen + st.comp_size + ((flags & 8) ? 16 : 0);
	}
	if (what == NULL || i >= n) {
		/* Perhaps a name libzip could not compare: say which. */
		for (i = 0; i < n; i++) {
			raw = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
			if (raw != NULL && member_name_check(raw) != 0) {
				zip_discard(za);
				return -1;
			}
		}
		zip_discard(za);
		return open_error(w->path, ZIP_ER_INCONS);
	}
	err_set("damaged archive: member '%s': %s", st.name, what);
	zip_discard(za);
	return -1;
}

/* Forget what a failed way of opening found. */
static void
open_reset(struct wheel *w)
{
	if (w->za != NULL)
		zip_discard(w->za);
	w->za = NULL;
	xbig_free(w->m, w->n * sizeof(*w->m));
	w->m = NULL;
	free(w->names);
	w->names = NULL;
	w->n = 0;
	w->total_size = 0;
}

/*
 * The central directory read here (cd_read()), or where it is unusual, by
 * libzip: with checkcons, libzip compares every local header with the
 * central directory; without, wheel_member_check() does as members are
 * met.
 */
static int
open_archive(struct wheel *w, const struct wheel_open_opts *o, int checkcons)
{
	uint64_t	 max = o->max_unpacked ? o->max_unpacked : UINT64_MAX;
	zip_int64_t	 n;
	size_t		 i, skipped = 0;
	const char	*example = NULL;
	int		 code, dup = 0, rc;

	w->local_checked = checkcons;
	if (!checkcons) {
		if (wheel_source_load(w, &code) != 0)
			return open_error(w->path, code);
		if ((rc = wheel_cd_read(w, o, max)) == 0)
			goto scanned;
		if (rc == -1)
			return -1;
		open_reset(w);
	}
	w->za = wheel_source_open(w, ZIP_RDONLY |
	    (checkcons ? ZIP_CHECKCONS : 0), &code);
	if (w->za == NULL && code == ZIP_ER_EXISTS) {
		/* libzip refuses duplicate names; reopen to say which */
		if ((w->za = wheel_source_open(w, ZIP_RDONLY, &code)) == NULL)
			return open_error(w->path, code);
		dup = 1;
	}
	if (w->za == NULL && code == ZIP_ER_INCONS && w->map != NULL)
		return explain_incons(w);
	if (w->za == NULL)
		return open_error(w->path, code);
	if ((n = zip_get_num_entries(w->za, 0)) <= 0)
		return err_set("empty archive");
	if ((uint64_t)n > (o->max_members ? o->max_members : WHEEL_MAX_MEMBERS))
		return err_set("%lld members, more than the limit of %llu "
		    "(--max-members)", (long long)n, (unsigned long long)
		    (o->max_members ? o->max_members : WHEEL_MAX_MEMBERS));
	w->m = xcalloc((size_t)n, sizeof(*w->m));
	for (i = 0; i < (size_t)n; i++) {
		w->n = i + 1;
		if (scan_member(w, i, max) == -1)
			return -1;
	}
	if (!checkcons && (rc = wheel_cd_index(w)) != 0) {
		if (rc == -1)
			return -1;
		/* libzip may have chosen another central directory */
		open_reset(w);
		return open_archive(w, o, 1);
	}
scanned:
	for (i = 0; i < w->n; i++)
		if (w->m[i].skip && !w->m[i].is_dir && skipped++ == 0)
			example = w->m[i].name;
	if (!w->part_only && check_clashes(w) == -1)
		return -1;
	if (dup)
		return err_set("duplicate member names");
	if (skipped > 0)
		warn_msg("%s: skipping %zu __pycache__ member%s (stale "
		    "bytecode), e.g. '%s'", w->base, skipped,
		    skipped == 1 ? "" : "s", example);
	return 0;
}

zip_t *
wheel_zip(struct wheel *w, const struct wheel_member *m)
{
	zip_stat_t	 st;
	const char	*name;
	int		 code;

	if (w->za == NULL &&
	    (w->za = wheel_source_open(w, ZIP_RDONLY, &code)) == NULL) {
		open_error(w->path, code);
		return NULL;
	}
	if (w->local_checked)
		return w->za;
	/* libzip must see m as cd_read() did */
	if (zip_get_num_entries(w->za, 0) != (zip_int64_t)w->n ||
	    (name = zip_get_name(w->za, m->index, ZIP_FL_ENC_RAW)) == NULL ||
	    strcmp(name, m->name) != 0 ||
	    zip_stat_index(w->za, m->index, ZIP_FL_ENC_RAW, &st) != 0 ||
	    st.size != m->size || st.comp_size != m->csize ||
	    st.crc != m->crc || st.comp_method != m->method) {
		wheel_cd_disagrees();
		return NULL;
	}
	return w->za;
}

int
wheel_open(struct wheel *w, const char *path, const struct wheel_open_opts *o)
{
	const char	*slash;

	memset(w, 0, sizeof(*w));
	w->fd = o->use_fd ? o->fd : -1;
	w->path = xstrdup(path);
	slash = strrchr(w->path, '/');
	w->base = slash ? slash + 1 : w->path;
	if (wheel_name_parse(w->base, &w->fn) == -1) {
		memset(&w->fn, 0, sizeof(w->fn));
		goto fail;
	}
	w->part_only = o->part_only;
	if (open_archive(w, o, 0) == -1 || find_distinfo(w) == -1 ||
	    check_data(w) == -1 || read_distinfo(w, o) == -1)
		goto fail;
	return 0;
fail:
	wheel_close(w);
	return -1;
}

void
wheel_close(struct wheel *w)
{
	xbig_free(w->m, w->n * sizeof(*w->m));
	free(w->names);
	if (w->za != NULL)
		zip_discard(w->za);
	wheel_source_close(w);
	if (w->fn.name != NULL)
		wheel_name_free(&w->fn);
	record_free(&w->record);
	free(w->distinfo);
	free(w->datadir);
	free(w->metadata);
	free(w->entry_points);
	free(w->path);
	memset(w, 0, sizeof(*w));
}

/*
 * A whole member into p (m->size bytes, below max) without libzip: its
 * compressed bytes from the mapping or read once, inflated in one call
 * of libdeflate (twice zlib's speed: RECORD of a large wheel is
 * megabytes).  1 when done, 0 when libzip must read it, -1 with err_set().
 */
static int
read_whole(struct wheel *w, const struct wheel_member *m, size_t max, char *p)
{
	struct libdeflate_decompressor *d;
	enum libdeflate_result r;
	const unsigned char *in;
	unsigned char	*buf = NULL;
	size_t		 got;
	int		 rc;

	/* a deflated member is not much larger compressed than inflated */
	if (m->csize > (uint64_t)max + max / 8 + 65536)
		return 0;
	if (w->map == NULL && !w->local_checked)
		buf = xbig_alloc(m->csize ? (size_t)m->csize : 1);
	if ((rc = wheel_member_raw(w, m, buf, &in)) != 1)
		goto out;
	rc = -1;
	if (m->method == ZIP_CM_STORE) {
		if (m->csize != m->size) {
			err_set("member '%s' %s its declared size", m->name,
			    m->csize < m->size ? "is shorter than" :
			    "has more data than");
			goto out;
		}
		memcpy(p, in, (size_t)m->size);
	} else {
		if ((d = libdeflate_alloc_decompressor()) == NULL)
			die(1, "out of memory");
		r = libdeflate_deflate_decompress(d, in, (size_t)m->csize, p,
		    (size_t)m->size, &got);
		libdeflate_free_decompressor(d);
		if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
			err_set("member '%s' has more data than its declared "
			    "size", m->name);
			goto out;
		}
		if (r != LIBDEFLATE_SUCCESS) {
			err_set("member '%s' has damaged compressed data",
			    m->name);
			goto out;
		}
		if (got != m->size) {
			err_set("member '%s' is shorter than its declared size",
			    m->name);
			goto out;
		}
	}
	if ((uint32_t)libdeflate_crc32(0, p, (size_t)m->size) != m->crc) {
		err_set("CRC mismatch in member '%s'", m->name);
		goto out;
	}
	rc = 1;
out:
	free(buf);
	return rc;
}

int
wheel_read_member(struct wheel *w, const struct wheel_member *m,
    size_t max, char **out, size_t *outlen)
{
	zip_file_t	*zf;
	zip_uint64_t	 got = 0;
	zip_int64_t	 r;
	char		*p, extra;
	int		 whole;

	*out = NULL;
	*outlen = 0;
	if (m->size > max || m->size >= SIZE_MAX)
		return err_set("member '%s' is larger than %zu bytes",
		    m->name, max);
	if (wheel_member_check(w, m) == -1)
		return -1;
	p = xbig_alloc((size_t)m->size + 1);
	if ((whole = read_whole(w, m, max, p)) == 1)
		goto done;
	if (whole == -1) {
		free(p);
		return -1;
	}
	if (wheel_zip(w, m) == NULL) {
		free(p);
		return -1;
	}
	if ((zf = zip_fopen_index(w->za, m->index, 0)) == NULL) {
		free(p);
		return err_set("member '%s': %s", m->name, zip_strerror(w->za));
	}
	for (r = 1; got < m->size; got += (zip_uint64_t)r) {
		if ((r = zip_fread(zf, p + got, m->size - got)) <= 0)
			break;
	}
	if (got == m->size)
		r = zip_fread(zf, &extra, 1);
	if (r != 0 || got < m->size) {
		if (r > 0)
			err_set("member '%s' has more data than its declared "
			    "size", m->name);
		else if (r == 0)
			err_set("member '%s' is shorter than its declared size",
			    m->name);
		else if (zip_error_code_zip(zip_file_get_error(zf)) ==
		    ZIP_ER_CRC)
			err_set("CRC mismatch in member '%s'", m->name);
		else
			err_set("member '%s': %s", m->name,
			    zip_file_strerror(zf));
		zip_fclose(zf);
		free(p);
		return -1;
	}
	zip_fclose(zf);
done:
	p[m->size] = '\0';
	*out = p;
	*outlen = (size_t)m->size;
	return 0;
}
