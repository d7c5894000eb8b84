/*
 * check_wheel.c: unit tests for wheel.c.  Each case builds a real zip
 * with libzip in a temporary directory (chosen member names, data,
 * compression methods and Unix modes, RECORD generated or given),
 * optionally patches bytes of the archive, and checks that wheel_open()
 * accepts it or refuses it with the expected message and warnings.
 * Nothing is written outside the temporary directory, which is removed.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "record.h"
#include "util.h"
#include "wheel.h"
#include "testkit.h"

/* ---- building archives ----------------------------------------------- */

#define AUTO	((const char *)1)	/* RECORD made from the other members */

#define F_UNLISTED	1		/* leave out of the generated RECORD */
#define F_NOHASH	2		/* listed without hash and size */
#define F_BADSIZE	4		/* listed with a wrong size */
#define F_CRLFQ		8		/* (RECORD) CRLF, every field quoted */
#define F_ABSENT	16		/* in the generated RECORD, not in the archive */

struct ment {
	const char	*name;
	const char	*data;		/* NULL: directory member */
	int		 method;	/* ZIP_CM_STORE (0) unless given */
	unsigned	 flags;
	uint32_t	 mode;		/* Unix mode, 0: libzip's default */
};

#define NMEMB 12

static struct buf	 warnings = BUF_INIT;

static void
capture(const char *msg)
{
	buf_addf(&warnings, "%s\n", msg);
}

static void
setup(void)
{
	kit_tmp_setup();
	warn_hook = capture;
	buf_reset(&warnings);
}

static void
teardown(void)
{
	kit_tmp_teardown();
	buf_free(&warnings);
}

static void
csv_add(struct buf *b, const char *s, int quote)
{
	if (!quote && strpbrk(s, ",\"\r\n") == NULL) {
		buf_adds(b, s);
		return;
	}
	buf_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			buf_add(b, "\"", 1);
		buf_add(b, s, 1);
	}
	buf_add(b, "\"", 1);
}

static char *
gen_record(const struct ment *m, const struct ment *self)
{
	struct buf	 b = BUF_INIT;
	const char	*nl = self->flags & F_CRLFQ ? "\r\n" : "\n";
	int		 q = (self->flags & F_CRLFQ) != 0;
	unsigned char	 d[32];
	char		 t[48], num[32];

	for (; m->name != NULL; m++) {
		if (m == self || m->data == NULL || (m->flags & F_UNLISTED))
			continue;
		csv_add(&b, m->name, q);
		buf_add(&b, ",", 1);
		if (m->flags & F_NOHASH) {
			buf_adds(&b, ",");
			buf_adds(&b, nl);
			continue;
		}
		sha256_buf(m->data, strlen(m->data), d);
		b64url_encode(d, 32, t);
		buf_adds(&b, "sha256=");
		buf_adds(&b, t);
		buf_add(&b, ",", 1);
		snprintf(num, sizeof(num), "%zu", strlen(m->data) +
		    ((m->flags & F_BADSIZE) ? 1 : 0));
		csv_add(&b, num, q);
		buf_adds(&b, nl);
	}
	csv_add(&b, self->name, q);
	buf_adds(&b, q ? ",\"\",\"\"" : ",,");
	buf_adds(&b, nl);
	return buf_detach(&b);
}

/* The whole file at path, and its length. */
static char *
file_load(const char *path, long *n)
{
	FILE	*f = fopen(path, "rb");
	char	*data;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	*n = ftell(f);
	rewind(f);
	data = xmalloc((size_t)*n);
	ck_assert_int_eq(fread(data, 1, (size_t)*n, f), *n);
	fclose(f);
	return data;
}

/* Write data back over path, and free it. */
static void
file_store(const char *path, char *data, long n)
{
	FILE	*f = fopen(path, "r+b");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(data, 1, (size_t)n, f), n);
	fclose(f);
	free(data);
}

static void
patch(const char *path, const char *from, const char *to, int once)
{
	char	*data, *p;
	long	 n;
	size_t	 fl = strlen(from);

	data = file_load(path, &n);
	ck_assert_uint_eq(strlen(to), fl);
	for (p = data; (p = memmem(p, (size_t)(data + n - p), from, fl)) != NULL;
	    p += fl) {
		memcpy(p, to, fl);
		if (once)
			break;
	}
	file_store(path, data, n);
}

static char *
build(const char *file, const struct ment *m)
{
	char		*path = xasprintf("%s/%s", kit_tmp, file), *gen[NMEMB];
	zip_t		*za;
	zip_source_t	*src;
	zip_int64_t	 idx;
	const char	*data;
	size_t		 i, ngen = 0;
	int		 err;

	za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
	ck_assert_ptr_nonnull(za);
	for (i = 0; m[i].name != NULL; i++) {
		if (m[i].flags & F_ABSENT)
			continue;
		if (m[i].data == NULL) {
			idx = zip_dir_add(za, m[i].name, ZIP_FL_ENC_GUESS);
			ck_assert_msg(idx >= 0, "%s", zip_strerror(za));
			continue;
		}
		data = m[i].data;
		if (data == AUTO)
			data = gen[ngen++] = gen_record(m, &m[i]);
		src = zip_source_buffer(za, data, strlen(data), 0);
		ck_assert_ptr_nonnull(src);
		idx = zip_file_add(za, m[i].name, src, ZIP_FL_ENC_GUESS);
		ck_assert_msg(idx >= 0, "%s: %s", m[i].name, zip_strerror(za));
		ck_assert_int_eq(zip_set_file_compression(za, (zip_uint64_t)idx,
		    m[i].method, 0), 0);
		if (m[i].mode)
			ck_assert_int_eq(zip_file_set_external_attributes(za,
			    (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
			    m[i].mode << 16), 0);
	}
	ck_assert_msg(zip_close(za) == 0, "%s", zip_strerror(za));
	while (ngen > 0)
		free(gen[--ngen]);
	return path;
}

/* ---- whole wheels ---------------------------------------------------- */

#define W	"demo-1.0-py3-none-any.whl"
#define DI	"demo-1.0.dist-info/"
#define META	{ DI "METADATA", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n" \
		    "Requires-Python: >=3.8\n\nbody\n", 0, 0, 0 }
#define WHL(v)	{ DI "WHEEL", "Wheel-Version: " v "\nGenerator: test\n" \
		    "Root-Is-Purelib: true\nTag: py3-none-any\n", 0, 0, 0 }
#define REC	{ DI "RECORD", AUTO, 0, 0, 0 }
#define PKG	{ "demo/__init__.py", "x = 1\n", ZIP_CM_DEFLATE, 0, 0 }
#define BASE	META, WHL("1.0"), REC, PKG
#define FILE_(n) { n, "data\n", 0, 0, 0 }
#define E256	"sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"	/* of "" */

struct wcase {
	const char	*file;
	struct ment	 m[NMEMB];
	const char	*err;		/* NULL: accepted */
	const char	*warn;		/* expected in the warnings; NULL: none */
	int		 noverify;
	uint64_t	 max;
	const char	*from, *to;	/* patch the archive (same length) */
	int		 once;		/* only the first occurrence */
};

static const struct wcase cases[] = {
	/* 0 */ { W, { BASE, { "demo/", NULL, 0, 0, 0 } }, NULL, NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("../x") }, "member '../x' escapes the install tree", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("demo/../../x") }, "escapes the install tree", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("/abs") }, "member '/abs' is an absolute path", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("a//b") }, "member 'a//b' has an empty path component", NULL, 0, 0, NULL, NULL, 0 },
	/* 5 */ { W, { BASE, FILE_("a/./b") }, "member 'a/./b' has a '.' path component", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("a\\b") }, "member 'a\\x5cb' contains a backslash", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("a\x01" "b") }, "member 'a\\x01b' contains a control character", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("a\xff" "b") }, "member 'a\\xffb' is not valid UTF-8", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("a\xc0\xaf" "b") }, "is not valid UTF-8", NULL, 0, 0, NULL, NULL, 0 },
	/* 10 */ { W, { BASE, FILE_("demo/\xc3\xa9t\xc3\xa9.py") }, NULL, NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("demo/a.py"), FILE_("demo/b.py") }, "duplicate member 'demo/a.py'", NULL, 0, 0, "demo/b.py", "demo/a.py", 0 },
	{ W, { BASE, FILE_("demo/x"), FILE_("demo/x/y.py") }, "'demo/x' is both a file and a directory ('demo/x/y.py')", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("demo/x"), { "demo/x/", NULL, 0, 0, 0 } }, "'demo/x' is both a file and a directory", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("demo/x"), FILE_("demo/x-1"), FILE_("demo/x.y"), FILE_("demo/x0") }, NULL, NULL, 0, 0, NULL, NULL, 0 },
	/* 15 */ { W, { BASE, { "demo/b.py", "data\n", ZIP_CM_BZIP2, 0, 0 } }, "member 'demo/b.py' uses bzip2 compression", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE }, "members add up to more than 100 bytes (--max-unpacked-size)", NULL, 0, 100, NULL, NULL, 0 },
	{ W, { PKG }, "no .dist-info directory", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("other-1.0.dist-info/METADATA") }, "2 .dist-info directories: 'demo-1.0.dist-info', 'other-1.0.dist-info'", NULL, 0, 0, NULL, NULL, 0 },
	{ "demo-2.0-py3-none-any.whl", { BASE }, "'demo-1.0.dist-info' does not match the filename's name 'demo' and version '2.0'", NULL, 0, 0, NULL, NULL, 0 },
	/* 20 */ { "other-1.0-py3-none-any.whl", { BASE }, "does not match", NULL, 0, 0, NULL, NULL, 0 },
	{ "Demo-1.0-py3-none-any.whl", { BASE }, NULL, NULL, 0, 0, NULL, NULL, 0 },
	{ W, { WHL("1.0"), REC, PKG }, "'demo-1.0.dist-info' has no METADATA", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { META, REC, PKG }, "'demo-1.0.dist-info' has no WHEEL", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { META, WHL("1.0"), PKG }, "'demo-1.0.dist-info' has no RECORD", NULL, 0, 0, NULL, NULL, 0 },
	/* 25 */ { W, { META, WHL("0.1"), REC, PKG }, NULL, "Wheel-Version 0.1 is older than 1.0", 0, 0, NULL, NULL, 0 },
	{ W, { META, WHL("1.9"), REC, PKG }, NULL, "Wheel-Version 1.9 is newer than 1.0", 0, 0, NULL, NULL, 0 },
	{ W, { META, WHL("2.0"), REC, PKG }, "Wheel-Version 2.0 is not supported", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { META, { DI "WHEEL", "Generator: x\n", 0, 0, 0 }, REC, PKG }, "WHEEL has no Wheel-Version", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("demo/a,\"b\".py") }, NULL, NULL, 0, 0, NULL, NULL, 0 },
	/* 30 */ { W, { META, WHL("1.0"), { DI "RECORD", AUTO, 0, F_CRLFQ, 0 }, PKG, FILE_("demo/a,b.py") }, NULL, NULL, 0, 0, NULL, NULL, 0 },
	{ W, { META, WHL("1.0"), PKG, { DI "RECORD", "demo/__init__.py,sha256=!!!,6\n", 0, 0, 0 } }, "RECORD: line 1: 'demo/__init__.py': sha256 digest '!!!' is not URL-safe base64", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { META, WHL("1.0"), PKG, { DI "RECORD", "demo/__init__.py,md5=1B2M2Y8AsgTpgAmY7PhCfg,6\n", 0, 0, 0 } }, "RECORD: line 1: 'demo/__init__.py': hash algorithm 'md5' is too weak", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { META, WHL("1.0"), PKG, { DI "RECORD", "demo/__init__.py,sha1=2jmj7l5rSw0yVb_vlWAYkK_YBwk,6\n", 0, 0, 0 } }, "hash algorithm 'sha1' is too weak", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, { "demo/extra.py", "y\n", 0, F_UNLISTED, 0 } }, "RECORD: 'demo/extra.py' is not listed", NULL, 0, 0, NULL, NULL, 0 },
	/* 35 */ { W, { BASE, { "demo/extra.py", "y\n", 0, F_NOHASH, 0 } }, "RECORD: no hash for 'demo/extra.py'", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, { "demo/extra.py", "y\n", 0, F_BADSIZE, 0 } }, "RECORD: size mismatch for 'demo/extra.py' (RECORD says 3, the archive 2)", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, { DI "RECORD.jws", "sig", 0, F_UNLISTED, 0 }, { DI "RECORD.p7s", "sig", 0, F_UNLISTED, 0 } }, NULL, NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, { "demo/extra.py", "y\n", 0, F_UNLISTED, 0 }, { "demo/more.py", "z\n", 0, F_NOHASH, 0 } }, NULL, "RECORD: 'demo/extra.py' is not listed, and 1 more problem (--no-verify-record)", 1, 0, NULL, NULL, 0 },
	{ W, { META, WHL("1.0"), PKG, { DI "RECORD", "demo/__init__.py,md5=1B2M2Y8AsgTpgAmY7PhCfg,6\n", 0, 0, 0 } }, NULL, "RECORD: line 1: 'demo/__init__.py': hash algorithm 'md5' is too weak (sha256, sha384 or sha512 expected) (--no-verify-record)", 1, 0, NULL, NULL, 0 },
	/* 40 */ { W, { BASE, FILE_("demo-1.0.data/bogus/x") }, "member 'demo-1.0.data/bogus/x': unknown .data key 'bogus'", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("demo-1.0.data/x") }, "member 'demo-1.0.data/x' is directly in 'demo-1.0.data/'", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, { "demo-1.0.data/", NULL, 0, 0, 0 }, FILE_("demo-1.0.data/scripts/run"), FILE_("demo-1.0.data/headers/a.h"), FILE_("demo-1.0.data/data/share/x") }, NULL, NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, FILE_("demo/_vendor/other-2.0.dist-info/METADATA"), FILE_("demo-1.0.dist-info/licenses/LICENSE") }, NULL, NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, { "demo/__pycache__/x.cpython-311.pyc", "\x01", 0, F_UNLISTED, 0 }, { "__pycache__/y.pyc", "\x01", 0, F_UNLISTED, 0 } }, NULL, "skipping 2 __pycache__ members (stale bytecode), e.g. 'demo/__pycache__/x.cpython-311.pyc'", 0, 0, NULL, NULL, 0 },
	/* 45 */ { W, { PKG, META, WHL("1.0"), REC }, "damaged archive", NULL, 0, 0, "demo/__init__.py", "demo/__init__.pz", 1 },
	{ W, { BASE }, "CRC mismatch in member 'demo-1.0.dist-info/METADATA'", NULL, 0, 0, "Name: demo", "Name: dema", 1 },
	{ "demo-1.0.whl", { BASE }, "invalid wheel filename", NULL, 0, 0, NULL, NULL, 0 },
	{ W, { BASE, { "demo/gone.py", "g\n", 0, F_ABSENT, 0 } }, NULL, NULL, 0, 0, NULL, NULL, 0 },
	{ W, { META, WHL("1.0"), PKG, { DI "RECORD", "demo/__init__.py," E256 ",6\n"
	    DI "METADATA,,\ndemo/__init__.py," E256 ",6\n", 0, 0, 0 } },
	    "RECORD: 'demo/__init__.py' is listed twice", NULL, 0, 0, NULL, NULL, 0 },
	/* 50 */ { W, { META, WHL("1.0"), PKG, { DI "RECORD", "demo/__init__.py," E256 "\n",
	    0, 0, 0 } }, "RECORD: line 1: expected 3 fields, found 2", NULL, 0, 0, NULL, NULL, 0 },
	/* a second end-of-directory signature near the end: libzip compares
	 * the local headers itself, and the message names the member */
	{ W, { PKG, META, WHL("1.0"), REC, { "demo/sig.bin", "PK\5\6", 0, 0, 0 } },
	    "damaged archive: member 'demo/__init__.py': its local header names "
	    "another file", NULL, 0, 0, "demo/__init__.py", "demo/__init__.pz", 1 },
	{ W, { BASE, { "demo/sig.bin", "PK\5\6", 0, 0, 0 } }, NULL, NULL, 0, 0, NULL, NULL, 0 },
};

/* wheel_open(), then every member's local header, as an install checks
 * them before the wheel succeeds (wheel_member_check()). */
static int
open_checked(struct wheel *w, const char *path, const struct wheel_open_opts *o)
{
	size_t	i;

	if (wheel_open(w, path, o) != 0)
		return -1;
	for (i = 0; i < w->n; i++) {
		if (wheel_member_check(w, &w->m[i]) != 0) {
			wheel_close(w);
			return -1;
		}
	}
	return 0;
}

START_TEST(test_wheel_case)
{
	const struct wcase *c = &cases[_i];
	struct wheel_open_opts o = { .max_unpacked = c->max,
	    .verify_record = !c->noverify };
	struct wheel	 w;
	char		*path;
	int		 rc;

	path = build(c->file, c->m);
	if (c->from != NULL)
		patch(path, c->from, c->to, c->once);
	rc = open_checked(&w, path, &o);
	if (c->err == NULL) {
		ck_assert_msg(rc == 0, "case %d: rejected: %s", _i, err_get());
		ck_assert_int_eq(w.record_ok, !c->noverify);
		wheel_close(&w);
	} else {
		ck_assert_msg(rc == -1, "case %d: accepted", _i);
		ck_assert_msg(strstr(err_get(), c->err) != NULL,
		    "case %d: error '%s', expected '%s'", _i, err_get(), c->err);
		ck_assert_ptr_null(w.m);
		wheel_close(&w);	/* harmless after a failure */
	}
	if (c->warn == NULL)
		ck_assert_msg(warnings.len == 0, "case %d: warned '%s'", _i,
		    warnings.p);
	else
		ck_assert_msg(warnings.p && strstr(warnings.p, c->warn) != NULL,
		    "case %d: warnings '%s', expected '%s'", _i,
		    warnings.p ? warnings.p : "", c->warn);
	free(path);
}
END_TEST

/* A split wheel's part other than 0 scans RECORD and matches the rows
 * of the members it meets (here one at a time, from the last): it fails,
 * or not, saying what wheel_open() says of the whole wheel, and gives
 * each member the same row. */
START_TEST(test_wheel_case_scanned)
{
	const struct wcase *c = &cases[_i];
	struct wheel_open_opts o = { .max_unpacked = c->max,
	    .verify_record = !c->noverify };
	struct wheel	 w, s;
	const struct record_row *a, *b;
	char		*path, *want = NULL;
	size_t		 i;
	int		 rc, rs;

	path = build(c->file, c->m);
	if (c->from != NULL)
		patch(path, c->from, c->to, c->once);
	if ((rc = open_checked(&w, path, &o)) != 0)
		want = xstrdup(err_get());
	o.scan_record = 1;
	rs = open_checked(&s, path, &o);
	for (i = s.n; rs == 0 && i > 0; i--)
		rs = wheel_rows(&s, i - 1, i);
	if (rc != 0) {
		ck_assert_msg(rs == -1, "case %d: accepted when scanned", _i);
		ck_assert_str_eq(err_get(), want);
	} else {
		ck_assert_msg(rs == 0, "case %d: rejected when scanned: %s", _i,
		    err_get());
		ck_assert_uint_eq(s.n, w.n);
		for (i = 0; i < w.n; i++) {
			a = w.m[i].row;
			b = s.m[i].row;
			ck_assert_msg((a == NULL) == (b == NULL), "case %d: "
			    "member %zu: a row only one way", _i, i);
			if (a == NULL)
				continue;
			ck_assert_int_eq(a->algo, b->algo);
			ck_assert_int_eq(a->size, b->size);
			ck_assert_mem_eq(a->digest, b->digest, HASH_MAX);
		}
		wheel_close(&w);
	}
	wheel_close(&s);
	free(want);
	free(path);
}
END_TEST

/* One byte of a built wheel changed: in its end-of-directory record (at
 * from the record's start) or its first local header. */
static const struct {
	int		 eocd;
	long		 at;
	unsigned char	 value;
	const char	*err;		/* NULL: accepted */
} edits[] = {
	{ 1, 12, 0, NULL },		/* unchanged */
	{ 1, 12, 1, "damaged archive" },	/* directory size + 1 */
	{ 1, 20, 1, "damaged archive" },	/* a comment past the end */
	{ 1, 8, 1, "" },		/* entries on this disk + 1 */
	{ 0, 5, 0x3f, "needs a later version" },
	{ 0, 28, 2, "" },		/* extra field length */
};

START_TEST(test_wheel_edit)
{
	struct ment	 m[NMEMB] = { BASE };
	struct wheel_open_opts o = { .verify_record = 1 };
	struct wheel	 w;
	char		*path = build(W, m), *data;
	long		 n, at;
	int		 rc;

	data = file_load(path, &n);
	at = edits[_i].eocd ? n - 22 + edits[_i].at : edits[_i].at;
	ck_assert_int_eq(memcmp(data + n - 22, "PK\5\6", 4), 0);
	/* a change: added to the byte there; 0 leaves it */
	data[at] = (char)((unsigned char)data[at] + edits[_i].value);
	file_store(path, data, n);
	rc = open_checked(&w, path, &o);
	if (edits[_i].err == NULL) {
		ck_assert_msg(rc == 0, "edit %d: %s", _i, err_get());
		wheel_close(&w);
	} else {
		ck_assert_msg(rc == -1, "edit %d: accepted", _i);
		ck_assert_msg(strstr(err_get(), edits[_i].err) != NULL,
		    "edit %d: error '%s', expected '%s'", _i, err_get(),
		    edits[_i].err);
	}
	free(path);
}
END_TEST

/* Local headers: compared by libzip only where the central directory is
 * ambiguous (two end-of-directory signatures), else member by member. */
START_TEST(test_wheel_local_checked)
{
	struct ment	 a[NMEMB] = { BASE }, b[NMEMB] = { BASE,
	    { "demo/sig.bin", "xPK\5\6", 0, 0, 0 } };
	struct wheel_open_opts o = { .verify_record = 1 };
	struct wheel	 w;
	char		*pa = build(W, a), *pb;

	ck_assert_msg(wheel_open(&w, pa, &o) == 0, "%s", err_get());
	ck_assert_int_eq(w.local_checked, 0);
	ck_assert_uint_gt(w.m[w.n - 1].lh_end, w.m[w.n - 1].lh_off);
	wheel_close(&w);
	pb = build(W, b);
	ck_assert_msg(wheel_open(&w, pb, &o) == 0, "%s", err_get());
	ck_assert_int_eq(w.local_checked, 1);
	wheel_close(&w);
	free(pa);
	free(pb);
}
END_TEST

/* The last central directory entry of data (n bytes): its offset. */
static long
last_entry(const char *data, long n)
{
	const unsigned char *e = (const unsigned char *)data + n - 22;
	long		 off = (long)(e[16] | e[17] << 8 | e[18] << 16 |
			    (unsigned long)e[19] << 24), last = off;
	const unsigned char *p;

	while (off < n - 22) {
		p = (const unsigned char *)data + off;
		ck_assert_int_eq(memcmp(p, "PK\1\2", 4), 0);
		last = off;
		off += 46 + (p[28] | p[29] << 8) + (p[30] | p[31] << 8) +
		    (p[32] | p[33] << 8);
	}
	return last;
}

static void
put16(char *p, unsigned v)
{
	p[0] = (char)(v & 0xff);
	p[1] = (char)(v >> 8 & 0xff);
}

static void
put64(char *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = (char)(v >> 8 * i & 0xff);
}

/* An end record counting one entry fewer than the directory holds: the
 * last member hidden from the walk, where every reader going through the
 * whole directory sees it. */
START_TEST(test_wheel_cd_hidden)
{
	struct ment	 m[NMEMB] = { BASE,
	    { "demo/hidden.py", "import os\n", 0, F_UNLISTED, 0 } };
	struct wheel_open_opts o = { .verify_record = 1 };
	struct wheel	 w;
	char		*path = build(W, m), *data;
	long		 n;
	unsigned	 count;

	data = file_load(path, &n);
	count = (unsigned char)data[n - 12] | (unsigned char)data[n - 11] << 8;
	put16(data + n - 14, count - 1);
	put16(data + n - 12, count - 1);
	file_store(path, data, n);
	if (open_checked(&w, path, &o) == 0) {
		ck_assert_msg(0, "accepted, %zu members", w.n);
		wheel_close(&w);
	}
	free(path);
}
END_TEST

/*
 * A zip64 end record placed after the end record (in its comment), its
 * size field wrapping around to put it before the locator, and the last
 * entry's comment covering the locator and the end record: a directory
 * that holds its own end records.
 */
START_TEST(test_wheel_zip64_wrap)
{
	struct ment	 m[NMEMB] = { BASE };
	struct wheel_open_opts o = { .verify_record = 1 };
	struct wheel	 w;
	char		*path = build(W, m), *data, *out, *p;
	long		 n, e, cd, last;
	unsigned	 count;
	FILE		*f;

	data = file_load(path, &n);
	e = n - 22;
	count = (unsigned char)data[e + 10] | (unsigned char)data[e + 11] << 8;
	cd = (long)((unsigned char)data[e + 16] |
	    (unsigned char)data[e + 17] << 8 |
	    (unsigned char)data[e + 18] << 16);
	last = last_entry(data, n);
	ck_assert_int_eq(data[last + 32] | data[last + 33], 0);
	put16(data + last + 32, 42);	/* the comment: locator, end record */
	out = xcalloc(1, (size_t)n + 20 + 56);
	memcpy(out, data, (size_t)e);
	p = out + e;			/* the locator */
	memcpy(p, "PK\6\7", 4);
	put64(p + 8, (uint64_t)e + 42);
	p[16] = 1;
	p += 20;			/* the end record */
	memcpy(p, data + e, 22);
	put16(p + 20, 56);
	p += 22;			/* the zip64 end record */
	memcpy(p, "PK\6\6", 4);
	put64(p + 4, (uint64_t)0 - 54);
	put64(p + 24, count);
	put64(p + 32, count);
	put64(p + 40, (uint64_t)(e + 42 - cd));
	put64(p + 48, (uint64_t)cd);
	free(data);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(out, 1, (size_t)n + 20 + 56, f), n + 20 + 56);
	fclose(f);
	free(out);
	if (open_checked(&w, path, &o) == 0) {
		ck_assert_msg(w.local_checked, "its directory read");
		wheel_close(&w);
	}
	free(path);
}
END_TEST

/* Names that reach an error before their checks are quoted: a NUL byte
 * in one (what precedes it shown), two sharing a local header (in a
 * part of a split wheel, where names are checked as members are met). */
START_TEST(test_wheel_name_quoted)
{
	struct ment	 m[NMEMB] = { BASE,
	    { "demo/e\033[2JZ.py", "x\n", 0, F_UNLISTED, 0 },
	    { "demo/f\033[2J.py", "y\n", 0, F_UNLISTED, 0 } };
	struct wheel_open_opts o = { .verify_record = 1 };
	struct wheel	 w;
	char		*path = build(W, m), *data, *p;
	long		 n, last, first;

	data = file_load(path, &n);
	for (p = data; (p = memmem(p, (size_t)(data + n - p),
	    "\033[2JZ", 5)) != NULL; p += 5)
		p[4] = '\0';
	file_store(path, data, n);
	ck_assert_int_eq(open_checked(&w, path, &o), -1);
	ck_assert_msg(strstr(err_get(), "NUL byte") != NULL, "%s", err_get());
	ck_assert_msg(strchr(err_get(), '\033') == NULL, "raw: %s", err_get());
	free(path);

	m[4].name = "demo/e.py";
	path = build(W, m);
	data = file_load(path, &n);
	last = last_entry(data, n);
	first = (long)((unsigned char)data[n - 6] |
	    (unsigned char)data[n - 5] << 8);
	memcpy(data + last + 42, data + first + 42, 4);
	file_store(path, data, n);
	o.part_only = 1;
	ck_assert_int_eq(open_checked(&w, path, &o), -1);
	ck_assert_msg(strstr(err_get(), "share one local header") != NULL,
	    "%s", err_get());
	ck_assert_msg(strchr(err_get(), '\033') == NULL, "raw: %s", err_get());
	free(path);
}
END_TEST

static const struct wheel_member *
member(const struct wheel *w, const char *name)
{
	size_t	i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->m[i].name, name) == 0)
			return &w->m[i];
	ck_abort_msg("no member %s", name);
	return NULL;
}

START_TEST(test_wheel_members)
{
	struct ment	 m[NMEMB] = {
		BASE,
		{ "demo/", NULL, 0, 0, 0 },
		{ "demo-1.0.data/scripts/run", "#!python\n", 0, 0, 0100755 },
		{ "demo/link", "target", 0, 0, 0120777 },
		{ "demo/plain.txt", "t\n", ZIP_CM_DEFLATE, 0, 0100644 },
		{ DI "entry_points.txt", "[console_scripts]\nrun = demo:main\n", 0, 0, 0 },
		{ "demo/__pycache__/a.pyc", "x", 0, F_UNLISTED, 0 },
	};
	struct wheel_open_opts o = { .verify_record = 1 };
	const struct wheel_member *x;
	struct wheel	 w;
	char		*path = build("Demo-1.0-py3-none-any.whl", m), *rp;
	uint64_t	 sum;
	size_t		 i;

	ck_assert_msg(wheel_open(&w, path, &o) == 0, "%s", err_get());
	ck_assert_str_eq(w.base, "Demo-1.0-py3-none-any.whl");
	ck_assert_str_eq(w.distinfo, "demo-1.0.dist-info");
	ck_assert_str_eq(w.datadir, "demo-1.0.data");
	ck_assert_int_eq(w.info.version_major, 1);
	ck_assert_int_eq(w.info.root_is_purelib, 1);
	ck_assert_int_eq(w.record_ok, 1);
	ck_assert_uint_eq(w.n, 10);
	ck_assert_ptr_nonnull(w.entry_points);
	ck_assert_str_eq(w.entry_points, "[console_scripts]\nrun = demo:main\n");
	rp = metadata_field(w.metadata, w.metadata_len, "requires-python");
	ck_assert_str_eq(rp, ">=3.8");
	free(rp);
	x = member(&w, "demo/");
	ck_assert(x->is_dir && x->row == NULL && !x->skip);
	x = member(&w, "demo-1.0.data/scripts/run");
	ck_assert(x->exec && !x->is_symlink && !x->is_dir);
	ck_assert_ptr_nonnull(x->row);
	ck_assert_int_eq(x->row->size, 9);
	ck_assert(x->row->seen);
	x = member(&w, "demo/link");
	ck_assert(x->is_symlink && !x->exec);
	x = member(&w, "demo/plain.txt");
	ck_assert(!x->exec && !x->is_symlink);
	ck_assert_uint_eq(x->method, ZIP_CM_DEFLATE);
	ck_assert_uint_eq(x->size, 2);
	x = member(&w, "demo/__pycache__/a.pyc");
	ck_assert(x->skip && x->row == NULL);
	x = member(&w, DI "RECORD");
	ck_assert_ptr_null(x->row);
	for (i = 0, sum = 0; i < w.n; i++)
		sum += w.m[i].size;
	ck_assert_uint_eq(w.total_size, sum);
	ck_assert_uint_gt(sum, 100);
	ck_assert_ptr_nonnull(strstr(warnings.p, "skipping 1 __pycache__ member "));
	wheel_close(&w);
	free(path);
}
END_TEST

START_TEST(test_not_zip)
{
	struct wheel_open_opts o = { .verify_record = 1 };
	struct ment	 m[NMEMB] = { BASE };
	struct wheel	 w;
	char		*path;
	struct stat	 st;
	FILE		*f;

	path = xasprintf("%s/" W, kit_tmp);
	f = fopen(path, "w");
	fputs("This is not a zip file at all, just text.\n", f);
	fclose(f);
	ck_assert_int_eq(wheel_open(&w, path, &o), -1);
	ck_assert_str_eq(err_get(), "not a zip archive");
	free(path);

	path = build(W, m);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(truncate(path, st.st_size * 2 / 3), 0);
	ck_assert_int_eq(wheel_open(&w, path, &o), -1);
	ck_assert_msg(strstr(err_get(), "truncated archive") != NULL, "%s",
	    err_get());
	free(path);

	path = xasprintf("%s/missing-1.0-py3-none-any.whl", kit_tmp);
	ck_assert_int_eq(wheel_open(&w, path, &o), -1);
	ck_assert_msg(strstr(err_get(), "cannot open archive") != NULL, "%s",
	    err_get());
	free(path);
}
END_TEST

/* ---- names ----------------------------------------------------------- */

static const struct {
	const char	*name;
	const char	*err;		/* NULL: valid */
} names[] = {
	{ "a", NULL }, { "a/b/c.py", NULL }, { "a/", NULL }, { "a/b/", NULL },
	{ "..a/b..", NULL }, { ".hidden", NULL }, { "\xe2\x82\xac", NULL },
	{ "\xf0\x9f\x90\x8d.py", NULL }, { "a b", NULL },
	{ "", "empty name" }, { "/", "is an absolute path" },
	{ "/a", "is an absolute path" }, { "a//", "empty path component" },
	{ "//a", "is an absolute path" }, { "a/../b", "escapes" },
	{ "..", "escapes" }, { "../", "escapes" }, { ".", "'.' path component" },
	{ "./a", "'.' path component" }, { "a/.", "'.' path component" },
	{ "a\\b", "backslash" }, { "C:\\x", "backslash" },
	{ "a\tb", "control character" }, { "a\x7f", "control character" },
	{ "a\xc2\x85", "control character" }, { "a\x1b[0m", "control character" },
	{ "\xed\xa0\x80", "not valid UTF-8" }, { "\xc0\x80", "not valid UTF-8" },
	{ "\xe2\x82", "not valid UTF-8" }, { "\xf4\x90\x80\x80", "not valid UTF-8" },
	{ "\x80", "not valid UTF-8" },
};

START_TEST(test_member_name)
{
	int	rc = member_name_check(names[_i].name);

	if (names[_i].err == NULL)
		ck_assert_msg(rc == 0, "'%s': %s", names[_i].name, err_get());
	else {
		ck_assert_msg(rc == -1, "'%s' accepted", names[_i].name);
		ck_assert_msg(strstr(err_get(), names[_i].err) != NULL,
		    "'%s': %s", names[_i].name, err_get());
	}
}
END_TEST

/* ---- WHEEL and METADATA ---------------------------------------------- */

static const struct {
	const char	*text;
	int		 rc, major, minor, purelib;
	const char	*msg;		/* error, or expected warning */
} infos[] = {
	{ "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n", 0, 1, 0, 1, NULL },
	{ "wheel-version:1.0\r\nRoot-Is-Purelib: True\r\n", 0, 1, 0, 1, NULL },
	{ "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n", 0, 1, 0, 0, NULL },
	{ "Wheel-Version: 1.0\nRoot-Is-Purelib: truest\n", 0, 1, 0, 0, NULL },
	{ "Wheel-Version: 1\n", 0, 1, 0, 0, NULL },
	{ "Wheel-Version: 0.1\n", 0, 0, 1, 0, "t.whl: Wheel-Version 0.1 is older than 1.0" },
	{ "Wheel-Version: 1.9\n", 0, 1, 9, 0, "t.whl: Wheel-Version 1.9 is newer than 1.0" },
	{ "Wheel-Version: 2.0\n", -1, 0, 0, 0, "Wheel-Version 2.0 is not supported" },
	{ "Wheel-Version: 10.0\n", -1, 0, 0, 0, "Wheel-Version 10.0 is not supported" },
	{ "Generator: x\n", -1, 0, 0, 0, "WHEEL has no Wheel-Version" },
	{ "Generator: x\n\nWheel-Version: 1.0\n", -1, 0, 0, 0, "WHEEL has no Wheel-Version" },
	{ "Wheel-Version: one\n", -1, 0, 0, 0, "Wheel-Version 'one' is not a version" },
	{ "Wheel-Version: 1.x\n", -1, 0, 0, 0, "is not a version" },
	{ "Wheel-Version: -1.0\n", -1, 0, 0, 0, "is not a version" },
	{ "", -1, 0, 0, 0, "WHEEL has no Wheel-Version" },
};

START_TEST(test_wheel_info)
{
	struct wheel_info wi;
	int		 rc;

	warn_hook = capture;
	buf_reset(&warnings);
	rc = wheel_info_parse(infos[_i].text, strlen(infos[_i].text), "t.whl",
	    &wi);
	ck_assert_msg(rc == infos[_i].rc, "case %d: %s", _i, err_get());
	if (rc == 0) {
		ck_assert_int_eq(wi.version_major, infos[_i].major);
		ck_assert_int_eq(wi.version_minor, infos[_i].minor);
		ck_assert_int_eq(wi.root_is_purelib, infos[_i].purelib);
		if (infos[_i].msg)
			ck_assert_ptr_nonnull(strstr(warnings.p, infos[_i].msg));
		else
			ck_assert_uint_eq(warnings.len, 0);
	} else
		ck_assert_msg(strstr(err_get(), infos[_i].msg) != NULL,
		    "case %d: %s", _i, err_get());
	buf_free(&warnings);
}
END_TEST

#define MD	"Metadata-Version: 2.1\r\nName: demo\r\n" \
		"requires-python: >=3.8,\r\n  <4\r\nSummary: first\r\n" \
		"Summary: second\r\nKeywords:\r\nLicense: a\n\tb\n\n" \
		"Body-Only: x\nRequires-Python: body\n"

static const struct {
	const char	*text, *field, *want;
} fields[] = {
	{ MD, "Requires-Python", ">=3.8,  <4" },
	{ MD, "NAME", "demo" },
	{ MD, "Summary", "first" },
	{ MD, "Keywords", "" },
	{ MD, "License", "a\tb" },
	{ MD, "Body-Only", NULL },
	{ MD, "Version", NULL },
	{ MD, "Name:", NULL },
	{ "", "Name", NULL },
	{ "Name: x", "Name", "x" },
	{ "Name :  spaced  \n", "name", "spaced" },
};

START_TEST(test_metadata_field)
{
	char	*v = metadata_field(fields[_i].text, strlen(fields[_i].text),
	    fields[_i].field);

	if (fields[_i].want == NULL)
		ck_assert_ptr_null(v);
	else {
		ck_assert_ptr_nonnull(v);
		ck_assert_str_eq(v, fields[_i].want);
	}
	free(v);
}
END_TEST

static Suite *
wheel_suite(void)
{
	Suite	*s = suite_create("wheel");
	TCase	*tc;

	tc = tcase_create("archive");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_wheel_case, 0, ARRAY_SIZE(cases));
	tcase_add_loop_test(tc, test_wheel_case_scanned, 0, ARRAY_SIZE(cases));
	tcase_add_test(tc, test_wheel_members);
	tcase_add_test(tc, test_wheel_local_checked);
	tcase_add_loop_test(tc, test_wheel_edit, 0, ARRAY_SIZE(edits));
	tcase_add_test(tc, test_wheel_cd_hidden);
	tcase_add_test(tc, test_wheel_zip64_wrap);
	tcase_add_test(tc, test_wheel_name_quoted);
	tcase_add_test(tc, test_not_zip);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_loop_test(tc, test_member_name, 0, ARRAY_SIZE(names));
	tcase_add_loop_test(tc, test_wheel_info, 0, ARRAY_SIZE(infos));
	tcase_add_loop_test(tc, test_metadata_field, 0, ARRAY_SIZE(fields));
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(wheel_suite)
