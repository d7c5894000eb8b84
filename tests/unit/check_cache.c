/*
 * check_cache.c: the cache of unpacked wheels without any wheel: manifest
 * round trips and damaged manifests, the key (XXH3-128, and the sha256
 * next to it, checked against sha256sum), building entries in tmp/ and
 * publishing them (a lost race keeps the winner), discarding, info, prune
 * by age and clean, and the link modes: parsing, probing on tmpfs and
 * across file systems, and link_file() in every mode.  Every test works
 * in its own temporary directory, removed afterwards.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/vfs.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "cache_admin.h"
#include "fsutil.h"
#include "record.h"
#include "util.h"
#include "testkit.h"

#define TMPFS_MAGIC_NUMBER	0x01021994

/* Every test runs in kit_tmp (testkit.h); shm is a directory on tmpfs
 * (/dev/shm) when there is one, else "".  main() removes it at the end,
 * even when a failed test skipped its teardown. */
static char	shm[PATH_MAX / 2];

static void
make_file(const char *path, const void *data, size_t len)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_msg(fd >= 0, "cannot create %s: %s", path, strerror(errno));
	ck_assert_int_eq(write_all(fd, data, len), 0);
	close(fd);
}

/* Entries of a directory (0 when it does not exist). */
static int
count_dir(const char *path)
{
	struct dirent	*e;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
set_age(const char *path, double days)
{
	struct timespec	ts[2];

	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - (time_t)(days * 86400.0);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* A manifest with n files of the given sizes, for entries and info. */
static void
fill_manifest(struct manifest *m, size_t n, uint64_t size)
{
	struct manifest_file	*f;
	char			 p[64];
	size_t			 i;

	memset(m, 0, sizeof(*m));
	m->distinfo = xstrdup("demo-1.0.dist-info");
	m->root = xstrdup("purelib");
	m->name = xstrdup("demo");
	snprintf(m->wheel_sha256, sizeof(m->wheel_sha256), "%064d", 7);
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "purelib/demo/f%zu.py", i);
		f = manifest_add(m, p);
		memset(f->sha256, (int)i + 1, 32);
		f->size = size;
		f->mode = 0644;
	}
}

/* A tmp/ directory holding a manifest of n files and a marker file
 * tree/who, ready to publish. */
static char *
build_tmp(const char *cache, size_t n, uint64_t size, const char *who)
{
	struct manifest	 m;
	char		*t, *p;

	t = cache_tmp(cache);
	ck_assert_msg(t != NULL, "cache_tmp: %s", err_get());
	fill_manifest(&m, n, size);
	p = path_join(t, "MANIFEST");
	ck_assert_msg(manifest_write(&m, p) == 0, "%s", err_get());
	free(p);
	manifest_free(&m);
	p = path_join(t, "tree/who");
	make_file(p, who, strlen(who));
	free(p);
	return t;
}

/* ---- manifests ----------------------------------------------------------- */

/* A file read back (r) as it was written (w): path and digest, and the
 * digest's text the manifest's, as RECORD wants it. */
static void
same_file(const struct manifest_file *r, const struct manifest_file *w)
{
	char	d[48];

	ck_assert_str_eq(r->path, w->path);
	ck_assert_mem_eq(r->sha256, w->sha256, 32);
	b64url_encode(w->sha256, 32, d);
	ck_assert_ptr_nonnull(r->sha256_text);
	ck_assert_mem_eq(r->sha256_text, d, 43);
}

START_TEST(test_manifest_round_trip)
{
	static const char *const paths[] = {
		"purelib/demo/__init__.py", "purelib/demo/caf\xc3\xa9 x,y.txt",
		"scripts/demo-run", "headers/demo/demo.h", "data/share/demo/a b"
	};
	struct manifest		 m, r;
	struct manifest_file	*f;
	char			*mp = kit_tpath("MANIFEST");
	size_t			 i;

	memset(&m, 0, sizeof(m));
	m.distinfo = xstrdup("demo-1.0.dist-info");
	m.root = xstrdup("platlib");
	m.name = xstrdup("Demo.Pkg");
	m.requires_python = xstrdup(">=3.8, !=3.9.*");
	snprintf(m.wheel_sha256, sizeof(m.wheel_sha256), "%s",
	    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		f = manifest_add(&m, paths[i]);
		memset(f->sha256, 0xa0 + (int)i, 32);
		f->sha256[31] = (unsigned char)i;
		f->size = i == 1 ? (uint64_t)5 << 32 : i * 1000;
		f->mode = i == 2 ? 0755 : 0644;
		/* A file from before 1970, and one without a time. */
		f->mtime_ns = i == 3 ? -1234567890123LL : i == 4 ? 0 :
		    1700000000123456789LL + (int64_t)i;
		f->rewrite = i == 2 || i == 4;
		f->exec = i == 1 || i == 4;
	}
	ck_assert_msg(manifest_write(&m, mp) == 0, "%s", err_get());
	ck_assert_msg(manifest_read(mp, &r) == 0, "%s", err_get());
	ck_assert_str_eq(r.distinfo, m.distinfo);
	ck_assert_str_eq(r.root, m.root);
	ck_assert_str_eq(r.name, m.name);
	ck_assert_str_eq(r.requires_python, m.requires_python);
	ck_assert_str_eq(r.wheel_sha256, m.wheel_sha256);
	ck_assert_uint_eq(r.n, m.n);
	for (i = 0; i < m.n; i++) {
		same_file(&r.v[i], &m.v[i]);
		ck_assert_uint_eq(r.v[i].size, m.v[i].size);
		ck_assert_uint_eq(r.v[i].mode, m.v[i].mode);
		ck_assert_int_eq(r.v[i].mtime_ns, m.v[i].mtime_ns);
		ck_assert_int_eq(r.v[i].rewrite, m.v[i].rewrite);
		ck_assert_int_eq(r.v[i].exec, m.v[i].exec);
	}
	manifest_free(&r);

	/* No Requires-Python and no files at all. */
	for (i = 0; i < m.n; i++)
		free(m.v[i].path);
	m.n = 0;
	free(m.requires_python);
	m.requires_python = NULL;
	ck_assert_int_eq(manifest_write(&m, mp), 0);
	ck_assert_msg(manifest_read(mp, &r) == 0, "%s", err_get());
	ck_assert_ptr_null(r.requires_python);
	ck_assert_uint_eq(r.n, 0);
	manifest_free(&r);
	manifest_free(&m);
	free(mp);
}
END_TEST

#define GOOD_HEAD "forklift-cache-manifest 2\ndistinfo\td-1.dist-info\n" \
	"root\tpurelib\nname\td\nwheel-sha256\tab\n"
#define ROW "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\t3\t644\t0\t0\tpurelib/d/x.py\n"

static const struct {
	const char	*text;
	const char	*why;
} damaged[] = {
	{ "", "not a forklift cache manifest" },
	{ "forklift-cache-manifest 3\n" "end\n", "not a forklift cache manifest" },
	/* Written by an older forklift, whose mode column meant another thing. */
	{ "forklift-cache-manifest 1\n" "end\n", "not a forklift cache manifest" },
	{ GOOD_HEAD "files\t1\n" ROW, "damaged" },		/* no end line */
	{ GOOD_HEAD "files\t2\n" ROW "end\n", "damaged" },	/* a row short */
	{ GOOD_HEAD "files\t0\n" ROW "end\n", "damaged" },	/* a row too many */
	{ GOOD_HEAD "files\t1\n" "!!\t3\t644\t0\t0\tpurelib/d/x.py\nend\n", "damaged" },
	{ GOOD_HEAD "files\t1\n" "AAAA\t3\t644\t0\t0\tpurelib/d/x.py\nend\n", "damaged" },
	{ GOOD_HEAD "files\t1\n" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\t3\t644\t0\t0\t\nend\n",
	  "damaged" },						/* empty path */
	{ GOOD_HEAD "files\t1\n" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\t3\t644\n"
	  "end\n", "damaged" },					/* fields missing */
	{ GOOD_HEAD "colour\tblue\nfiles\t0\nend\n", "damaged" },	/* unknown key */
	{ "forklift-cache-manifest 2\nroot\tpurelib\nname\td\nfiles\t0\nend\n",
	  "damaged" },						/* no distinfo */
	{ "forklift-cache-manifest 2\ndistinfo\td-1.dist-info\nname\td\nfiles\t0\nend\n",
	  "damaged" },						/* no root */
	{ "forklift-cache-manifest 2\ndistinfo\td-1.dist-info\nroot\tdata\nname\td\n"
	  "files\t0\nend\n", "damaged" },			/* bad root */
	{ "forklift-cache-manifest 2\ndistinfo\td-1.dist-info\nroot\tpurelib\n"
	  "files\t0\nend\n", "damaged" },			/* no name */
	{ GOOD_HEAD "files 0\nend\n", "damaged" },		/* no tab */
#define DIGEST "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	{ GOOD_HEAD "files\t1\n" DIGEST "\t3x\t644\t0\t0\tpurelib/d/x.py\nend\n",
	  "damaged" },						/* size */
	{ GOOD_HEAD "files\t1\n" DIGEST "\t\t644\t0\t0\tpurelib/d/x.py\nend\n",
	  "damaged" },						/* no size */
	{ GOOD_HEAD "files\t1\n" DIGEST "\t3\t648\t0\t0\tpurelib/d/x.py\nend\n",
	  "damaged" },						/* mode */
	{ GOOD_HEAD "files\t1\n" DIGEST "\t3\t644\t--1\t0\tpurelib/d/x.py\nend\n",
	  "damaged" },						/* mtime */
	{ GOOD_HEAD "files\t1\n" DIGEST "\t3\t644\t0\t4\tpurelib/d/x.py\nend\n",
	  "damaged" },						/* flags */
	{ GOOD_HEAD "files\t1\n" DIGEST "\t99999999999999999999\t644\t0\t0\t"
	  "purelib/d/x.py\nend\n", "damaged" },			/* size too large */
	{ GOOD_HEAD "files\t1\n" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB\t3\t644\t0\t"
	  "0\tpurelib/d/x.py\nend\n", "damaged" },		/* stray digest bits */
#undef DIGEST
};

START_TEST(test_manifest_damaged)
{
	struct manifest	 m;
	char		*mp = kit_tpath("MANIFEST");

	make_file(mp, damaged[_i].text, strlen(damaged[_i].text));
	memset(&m, 0xff, sizeof(m));
	ck_assert_msg(manifest_read(mp, &m) == -1, "case %d was accepted", _i);
	ck_assert_msg(strstr(err_get(), damaged[_i].why) != NULL,
	    "case %d: error '%s' does not say '%s'", _i, err_get(), damaged[_i].why);
	ck_assert_msg(strstr(err_get(), mp) != NULL, "case %d: '%s' names no file",
	    _i, err_get());
	ck_assert_ptr_null(m.v);
	ck_assert_ptr_null(m.distinfo);
	ck_assert_uint_eq(m.n, 0);
	free(mp);
}
END_TEST

/* A manifest of megabytes (a large wheel's) is written and read in
 * huge pages where the kernel gives them: the same text either way. */
START_TEST(test_manifest_large)
{
	struct manifest		 m, r;
	struct manifest_file	*f;
	char			*mp = kit_tpath("MANIFEST"), path[64];
	size_t			 i, n = 30000;

	memset(&m, 0, sizeof(m));
	m.distinfo = xstrdup("big-1.0.dist-info");
	m.root = xstrdup("purelib");
	m.name = xstrdup("big");
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "purelib/big/sub%zu/module_%zu.py",
		    i % 97, i);
		f = manifest_add(&m, path);
		memset(f->sha256, (int)(i & 0xff), 32);
		f->size = i;
		f->mode = 0644;
	}
	ck_assert_msg(manifest_write(&m, mp) == 0, "%s", err_get());
	ck_assert_msg(manifest_scan(mp, &r) == 0, "%s", err_get());
	ck_assert_uint_gt(r.text_len, (size_t)2 << 20);
	ck_assert_uint_eq(r.n, n);
	ck_assert_int_eq(manifest_fill(&r, 0, r.n), 0);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(r.v[i].path, m.v[i].path);
		ck_assert_mem_eq(r.v[i].sha256, m.v[i].sha256, 32);
		ck_assert_uint_eq(r.v[i].size, i);
	}
	manifest_free(&r);
	manifest_free(&m);
	free(mp);
}
END_TEST

START_TEST(test_manifest_good_text)
{
	struct manifest	 m;
	char		*mp = kit_tpath("MANIFEST");
	const char	*text = GOOD_HEAD "files\t1\n" ROW "end\n";

	/* The handwritten text the damaged cases start from is itself valid. */
	make_file(mp, text, strlen(text));
	ck_assert_msg(manifest_read(mp, &m) == 0, "%s", err_get());
	ck_assert_uint_eq(m.n, 1);
	ck_assert_str_eq(m.v[0].path, "purelib/d/x.py");
	ck_assert_uint_eq(m.v[0].size, 3);
	ck_assert_uint_eq(m.v[0].mode, 0644);
	manifest_free(&m);
	free(mp);
	ck_assert_int_eq(manifest_read("/nonexistent/MANIFEST", &m), -1);
}
END_TEST

/* A scanned manifest: its files' lines parsed only when asked for, each
 * as manifest_read() parses it; a damaged line is found then. */
START_TEST(test_manifest_scan)
{
	struct manifest	 m, r;
	char		*mp = kit_tpath("MANIFEST");
	const char	*bad = GOOD_HEAD "files\t3\n" ROW
	    "!!\t3\t644\t0\t0\tpurelib/d/y.py\n" ROW "end\n";
	size_t		 i;

	fill_manifest(&m, 300, 10);
	ck_assert_int_eq(manifest_write(&m, mp), 0);
	ck_assert_msg(manifest_read(mp, &r) == 0, "%s", err_get());
	manifest_free(&m);
	ck_assert_msg(manifest_scan(mp, &m) == 0, "%s", err_get());
	ck_assert_uint_eq(m.n, 300);
	ck_assert_str_eq(m.distinfo, r.distinfo);
	ck_assert_int_eq(manifest_fill(&m, 100, 164), 0);
	for (i = 0; i < m.n; i++)
		ck_assert_int_eq(m.v[i].path != NULL, i >= 100 && i < 164);
	ck_assert_int_eq(manifest_fill(&m, 0, 1000), 0);
	manifest_done(&m);
	for (i = 0; i < m.n; i++) {
		ck_assert_str_eq(m.v[i].path, r.v[i].path);
		ck_assert_mem_eq(m.v[i].sha256, r.v[i].sha256, 32);
		ck_assert_uint_eq(m.v[i].size, r.v[i].size);
		ck_assert_int_eq(m.v[i].mtime_ns, r.v[i].mtime_ns);
	}
	manifest_free(&m);
	manifest_free(&r);

	make_file(mp, bad, strlen(bad));
	ck_assert_msg(manifest_scan(mp, &m) == 0, "%s", err_get());
	ck_assert_int_eq(manifest_fill(&m, 2, 3), 0);
	ck_assert_int_eq(manifest_fill(&m, 0, 3), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "damaged"));
	ck_assert_ptr_nonnull(strstr(err_get(), mp));
	manifest_free(&m);
	free(mp);
}
END_TEST

/* Chunks of one manifest written apart and read back as one: the first's
 * header, every file in order with its digest's text, each warning once;
 * a missing or damaged chunk fails naming it. */
START_TEST(test_manifest_read_all)
{
	static const size_t	 sizes[] = { 5, 0, 300, 1 };
	struct manifest		 m, r, all;
	char			*mp[4], *bad = kit_tpath("BAD");
	size_t			 i, k, base = 0;

	fill_manifest(&all, 306, 10);
	for (i = 0; i < ARRAY_SIZE(sizes); base += sizes[i++]) {
		memset(&m, 0, sizeof(m));
		m.distinfo = xstrdup(i == 0 ? "demo-1.0.dist-info" : "other");
		m.root = xstrdup("purelib");
		m.name = xstrdup("demo");
		if (i == 0)
			m.requires_python = xstrdup(">=3.8");
		strv_push(&m.warnings, i == 2 ? "second" : "first");
		for (k = 0; k < sizes[i]; k++) {
			struct manifest_file *f = manifest_add(&m,
			    all.v[base + k].path);

			memcpy(f->sha256, all.v[base + k].sha256, 32);
			f->size = base + k;
			f->rewrite = k == 1;
		}
		mp[i] = kit_tpath(i == 0 ? "M0" : i == 1 ? "M1" : i == 2 ?
		    "M2" : "M3");
		ck_assert_int_eq(manifest_write(&m, mp[i]), 0);
		manifest_free(&m);
	}
	ck_assert_msg(manifest_read_all(mp, 4, &r) == 0, "%s", err_get());
	ck_assert_str_eq(r.distinfo, "demo-1.0.dist-info");
	ck_assert_str_eq(r.requires_python, ">=3.8");
	ck_assert_uint_eq(r.warnings.n, 2);
	ck_assert_str_eq(r.warnings.v[0], "first");
	ck_assert_str_eq(r.warnings.v[1], "second");
	ck_assert_uint_eq(r.n, 306);
	for (i = 0; i < r.n; i++) {
		same_file(&r.v[i], &all.v[i]);
		ck_assert_uint_eq(r.v[i].size, i);
	}
	ck_assert_int_eq(r.v[6].rewrite, 1);	/* chunk 2's second */
	manifest_free(&r);

	/* One chunk: the same as manifest_read. */
	ck_assert_msg(manifest_read_all(mp + 2, 1, &r) == 0, "%s", err_get());
	ck_assert_uint_eq(r.n, 300);
	ck_assert_str_eq(r.distinfo, "other");
	manifest_free(&r);

	/* A chunk gone, or damaged: the whole fails, naming it. */
	ck_assert_int_eq(unlink(mp[3]), 0);
	ck_assert_int_eq(manifest_read_all(mp, 4, &r), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), mp[3]));
	ck_assert_uint_eq(r.n, 0);
	make_file(bad, GOOD_HEAD "files\t2\n" ROW "end\n",
	    strlen(GOOD_HEAD "files\t2\n" ROW "end\n"));
	free(mp[3]);
	mp[3] = bad;
	ck_assert_int_eq(manifest_read_all(mp, 4, &r), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "damaged"));
	ck_assert_ptr_nonnull(strstr(err_get(), bad));
	for (i = 0; i < 4; i++)
		free(mp[i]);
	manifest_free(&all);
}
END_TEST

/* ---- the key ------------------------------------------------------------- */

static void
sha256sum_of(const char *path, char out[65])
{
	char	*cmd = xasprintf("sha256sum '%s'", path);
	FILE	*p = popen(cmd, "r");

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%64s", out), 1);
	pclose(p);
	free(cmd);
}

START_TEST(test_cache_key)
{
	char		*a = kit_tpath("a.whl"), *b = kit_tpath("renamed.whl"), *e = kit_tpath("empty");
	char		 ka[33], kb[33], kc[33], sa[65], sb[65], want[65];
	unsigned char	*data;
	size_t		 len = 3 * 1024 * 1024 + 17, i;

	data = xmalloc(len);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + i / 4099);
	make_file(a, data, len);
	make_file(b, data, len);
	ck_assert_msg(cache_key(a, ka, sa) == 0, "%s", err_get());
	ck_assert_int_eq(strlen(ka), 32);
	ck_assert_uint_eq(strspn(ka, "0123456789abcdef"), 32);
	sha256sum_of(a, want);
	ck_assert_str_eq(sa, want);

	/* Stable, and independent of the name; no sha256 asked is fine. */
	ck_assert_int_eq(cache_key(a, kb, NULL), 0);
	ck_assert_str_eq(ka, kb);
	ck_assert_int_eq(cache_key(b, kb, sb), 0);
	ck_assert_str_eq(ka, kb);
	ck_assert_str_eq(sa, sb);

	/* One byte changed, in the middle and at the end. */
	data[len / 2] ^= 1;
	make_file(b, data, len);
	ck_assert_int_eq(cache_key(b, kb, sb), 0);
	ck_assert_str_ne(ka, kb);
	ck_assert_str_ne(sa, sb);
	sha256sum_of(b, want);
	ck_assert_str_eq(sb, want);
	data[len / 2] ^= 1;
	data[len - 1] ^= 0x80;
	make_file(b, data, len);
	ck_assert_int_eq(cache_key(b, kc, NULL), 0);
	ck_assert_str_ne(ka, kc);
	ck_assert_str_ne(kb, kc);

	make_file(e, "", 0);
	ck_assert_int_eq(cache_key(e, kc, sb), 0);
	ck_assert_str_eq(sb, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	ck_assert_int_eq(cache_key("/nonexistent/x.whl", kc, NULL), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "cannot open"));
	free(data);
	free(a);
	free(b);
	free(e);
}
END_TEST

/* ---- tmp, publish, lookup, discard ------------------------------------------ */

START_TEST(test_tmp_publish_lookup)
{
	struct manifest	 m;
	char		*cache = kit_tpath("c"), *t, *tmproot, *e, *p;

	tmproot = path_join(cache, "v1/tmp");
	ck_assert_int_eq(cache_lookup(cache, "00112233445566778899aabbccddeeff", &m), -1);
	t = build_tmp(cache, 3, 10, "me");
	ck_assert_msg(path_inside(t, tmproot), "'%s' is not under tmp/", t);
	p = path_join(t, "tree");
	ck_assert(kit_exists(p));
	free(p);

	ck_assert_msg(cache_publish(cache, t, "00112233445566778899aabbccddeeff") == 0,
	    "%s", err_get());
	ck_assert(!kit_exists(t));
	ck_assert_int_eq(count_dir(tmproot), 0);
	e = cache_entry(cache, "00112233445566778899aabbccddeeff");
	p = path_join(e, "tree/who");
	ck_assert(kit_exists(p));
	free(p);
	ck_assert_msg(cache_lookup(cache, "00112233445566778899aabbccddeeff", &m) == 0,
	    "%s", err_get());
	ck_assert_uint_eq(m.n, 3);
	ck_assert_str_eq(m.distinfo, "demo-1.0.dist-info");
	manifest_free(&m);

	/* A broken manifest is not an entry, says why, and the entry goes, so
	 * that the next install can publish a good one in its place. */
	p = path_join(e, "MANIFEST");
	make_file(p, "junk\n", 5);
	ck_assert_int_eq(cache_lookup(cache, "00112233445566778899aabbccddeeff", &m), -1);
	ck_assert_ptr_nonnull(strstr(err_get(), "not a forklift cache manifest"));
	ck_assert_msg(!kit_exists(e), "the damaged entry '%s' was kept", e);
	free(p);

	free(e);
	free(t);
	free(tmproot);
	free(cache);
}
END_TEST

START_TEST(test_publish_lost_race)
{
	struct manifest	 m;
	char		*cache = kit_tpath("c"), *t1, *t2, *e, *who, *text, *tmproot;
	size_t		 len;

	t1 = build_tmp(cache, 1, 5, "first");
	t2 = build_tmp(cache, 2, 5, "second");
	ck_assert_int_eq(cache_publish(cache, t1, "aaaabbbbccccddddeeeeffff00001111"), 0);
	ck_assert_msg(cache_publish(cache, t2, "aaaabbbbccccddddeeeeffff00001111") == 0,
	    "a lost race is not an error: %s", err_get());
	ck_assert(!kit_exists(t1));
	ck_assert_msg(!kit_exists(t2), "the loser's directory '%s' was left", t2);
	tmproot = path_join(cache, "v1/tmp");
	ck_assert_int_eq(count_dir(tmproot), 0);
	e = cache_entry(cache, "aaaabbbbccccddddeeeeffff00001111");
	who = path_join(e, "tree/who");
	ck_assert_int_eq(read_file(who, 100, &text, &len), 0);
	ck_assert_str_eq(text, "first");
	free(text);
	ck_assert_int_eq(cache_lookup(cache, "aaaabbbbccccddddeeeeffff00001111", &m), 0);
	ck_assert_uint_eq(m.n, 1);
	manifest_free(&m);
	free(tmproot);
	free(who);
	free(e);
	free(t1);
	free(t2);
	free(cache);
}
END_TEST

START_TEST(test_discard)
{
	struct manifest	 m;
	char		*cache = kit_tpath("c"), *t, *e, *tmproot;

	t = build_tmp(cache, 2, 5, "x");
	ck_assert_int_eq(cache_publish(cache, t, "0123456789abcdef0123456789abcdef"), 0);
	ck_assert_int_eq(cache_discard(cache, "0123456789abcdef0123456789abcdef"), 0);
	e = cache_entry(cache, "0123456789abcdef0123456789abcdef");
	ck_assert(!kit_exists(e));
	tmproot = path_join(cache, "v1/tmp");
	ck_assert_int_eq(count_dir(tmproot), 0);
	ck_assert_int_eq(cache_lookup(cache, "0123456789abcdef0123456789abcdef", &m), -1);
	/* Discarding what is not there is fine. */
	ck_assert_msg(cache_discard(cache, "0123456789abcdef0123456789abcdef") == 0,
	    "%s", err_get());
	ck_assert_int_eq(count_dir(tmproot), 0);
	free(tmproot);
	free(e);
	free(t);
	free(cache);
}
END_TEST

/* ---- info, prune, clean --------------------------------------------------------- */

static void
publish_aged(const char *cache, const char *key, size_t n, uint64_t size, double days)
{
	char	*t = build_tmp(cache, n, size, key), *e;

	ck_assert_int_eq(cache_publish(cache, t, key), 0);
	e = cache_entry(cache, key);
	set_age(e, days);
	free(e);
	free(t);
}

START_TEST(test_info)
{
	struct cache_info	 ci;
	char			*cache = kit_tpath("c"), *broken, *t;
	time_t			 now = time(NULL);

	ck_assert_int_eq(cache_info(cache, &ci), 0);
	ck_assert_uint_eq(ci.entries, 0);
	ck_assert_uint_eq(ci.bytes, 0);
	ck_assert_int_eq(ci.oldest, 0);
	ck_assert_uint_eq(ci.tmp, 0);

	publish_aged(cache, "11111111111111111111111111111111", 3, 100, 2);
	publish_aged(cache, "22222222222222222222222222222222", 1, 7, 10);
	/* An entry without a manifest does not count; a tmp leftover does. */
	broken = cache_entry(cache, "33333333333333333333333333333333");
	ck_assert_int_eq(mkdir_p(broken, 0755), 0);
	t = build_tmp(cache, 1, 1, "left");
	ck_assert_int_eq(cache_info(cache, &ci), 0);
	ck_assert_uint_eq(ci.entries, 2);
	ck_assert_uint_eq(ci.bytes, 307);
	ck_assert_uint_eq(ci.tmp, 1);
	ck_assert_msg(llabs(ci.oldest - (long long)(now - 10 * 86400)) <= 2,
	    "oldest %lld, want about %lld", ci.oldest, (long long)(now - 10 * 86400));

	/* Using an entry makes it young again. */
	cache_touch(cache, "22222222222222222222222222222222");
	ck_assert_int_eq(cache_info(cache, &ci), 0);
	ck_assert_msg(llabs(ci.oldest - (long long)(now - 2 * 86400)) <= 2,
	    "oldest %lld after touch", ci.oldest);
	free(t);
	free(broken);
	free(cache);
}
END_TEST

START_TEST(test_prune)
{
	struct cache_info	 ci;
	unsigned long		 removed = 99;
	char			*cache = kit_tpath("c"), *old_tmp, *new_tmp, *e;

	publish_aged(cache, "40404040404040404040404040404040", 1, 1, 40);
	publish_aged(cache, "10101010101010101010101010101010", 1, 1, 10);
	publish_aged(cache, "00000000000000000000000000000000", 1, 1, 0);
	publish_aged(cache, "50505050505050505050505050505050", 1, 1, 50);
	cache_touch(cache, "50505050505050505050505050505050");
	old_tmp = build_tmp(cache, 1, 1, "old");
	set_age(old_tmp, 2.0 / 24);
	new_tmp = build_tmp(cache, 1, 1, "new");

	ck_assert_msg(cache_prune(cache, 30, &removed) == 0, "%s", err_get());
	ck_assert_uint_eq(removed, 1);
	e = cache_entry(cache, "40404040404040404040404040404040");
	ck_assert(!kit_exists(e));
	free(e);
	e = cache_entry(cache, "50505050505050505050505050505050");
	ck_assert_msg(kit_exists(e), "a used entry was pruned");
	free(e);
	ck_assert_msg(!kit_exists(old_tmp), "a temporary directory two hours old was left");
	ck_assert_msg(kit_exists(new_tmp), "a fresh temporary directory was removed");
	ck_assert_int_eq(cache_info(cache, &ci), 0);
	ck_assert_uint_eq(ci.entries, 3);
	ck_assert_uint_eq(ci.tmp, 1);

	ck_assert_int_eq(cache_prune(cache, 5, &removed), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert_int_eq(cache_prune(cache, 5, &removed), 0);
	ck_assert_uint_eq(removed, 0);
	ck_assert_int_eq(cache_info(cache, &ci), 0);
	ck_assert_uint_eq(ci.entries, 2);

	/* Used now: not older than 0 days.  Their use times are set a minute
	 * ahead, so that a second starting between the touch and the prune
	 * (a loaded machine) cannot make them a second old. */
	e = cache_entry(cache, "00000000000000000000000000000000");
	set_age(e, -60.0 / 86400);
	free(e);
	e = cache_entry(cache, "50505050505050505050505050505050");
	set_age(e, -60.0 / 86400);
	free(e);
	ck_assert_int_eq(cache_prune(cache, 0, &removed), 0);
	ck_assert_uint_eq(removed, 0);

	/* A cache that does not exist prunes to nothing. */
	free(cache);
	cache = kit_tpath("none");
	ck_assert_int_eq(cache_prune(cache, 30, &removed), 0);
	ck_assert_uint_eq(removed, 0);
	free(old_tmp);
	free(new_tmp);
	free(cache);
}
END_TEST

START_TEST(test_clean)
{
	struct cache_info	 ci;
	char			*cache = kit_tpath("c"), *t, *v1;

	publish_aged(cache, "abababababababababababababababab", 2, 3, 1);
	t = build_tmp(cache, 1, 1, "left");
	ck_assert_msg(cache_clean(cache) == 0, "%s", err_get());
	v1 = path_join(cache, "v1");
	ck_assert(!kit_exists(v1));
	ck_assert(kit_exists(cache));
	ck_assert_int_eq(count_dir(cache), 0);
	ck_assert_int_eq(cache_info(cache, &ci), 0);
	ck_assert_uint_eq(ci.entries, 0);
	ck_assert_int_eq(cache_clean(cache), 0);
	free(v1);
	free(t);
	free(cache);
}
END_TEST

/* ---- link modes ------------------------------------------------------------------ */

static const struct {
	const char	*name;
	int		 mode;
} modes[] = {
	{ "auto", LINK_AUTO }, { "reflink", LINK_REFLINK },
	{ "hardlink", LINK_HARDLINK }, { "copy", LINK_COPY },
	{ "", -1 }, { "Copy", -1 }, { "hard", -1 }, { "copy ", -1 }, { "symlink", -1 },
};

START_TEST(test_link_mode_parse)
{
	ck_assert_int_eq(link_mode_parse(modes[_i].name), modes[_i].mode);
	if (modes[_i].mode >= 0)
		ck_assert_str_eq(link_mode_name((enum link_mode)modes[_i].mode),
		    modes[_i].name);
}
END_TEST

static int
on_tmpfs(const char *path)
{
	struct statfs	sf;

	return statfs(path, &sf) == 0 && sf.f_type == TMPFS_MAGIC_NUMBER;
}

START_TEST(test_link_probe_tmpfs)
{
	enum link_mode	 got = LINK_COPY;
	char		 dir[PATH_MAX], *cache, *stage, *tmproot;

	if (!*shm)
		return;		/* no tmpfs here */
	snprintf(dir, sizeof(dir), "%s/p-XXXXXX", shm);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	cache = path_join(dir, "cache");
	stage = path_join(dir, "stage");
	ck_assert_int_eq(mkdir(stage, 0755), 0);
	tmproot = path_join(cache, "v1/tmp");

	/* tmpfs has no reflinks: auto settles on hard links. */
	ck_assert_msg(link_probe(cache, stage, LINK_AUTO, &got) == 0, "%s", err_get());
	ck_assert_str_eq(link_mode_name(got), "hardlink");
	ck_assert_int_eq(link_probe(cache, stage, LINK_HARDLINK, &got), 0);
	ck_assert_int_eq(got, LINK_HARDLINK);
	ck_assert_int_eq(link_probe(cache, stage, LINK_COPY, &got), 0);
	ck_assert_int_eq(got, LINK_COPY);

	got = LINK_AUTO;
	ck_assert_int_eq(link_probe(cache, stage, LINK_REFLINK, &got), -2);
	ck_assert_int_eq(got, LINK_AUTO);
	ck_assert_msg(strstr(err_get(), "--link-mode=reflink does not work") != NULL &&
	    strstr(err_get(), cache) != NULL, "unclear error: %s", err_get());

	/* Probing leaves nothing behind on either side. */
	ck_assert_int_eq(count_dir(stage), 0);
	ck_assert_int_eq(count_dir(tmproot), 0);
	free(tmproot);
	free(stage);
	free(cache);
	kit_rm_tree(dir);
}
END_TEST

START_TEST(test_link_probe_cross_fs)
{
	struct stat	 a, b;
	enum link_mode	 got = LINK_AUTO;
	char		 dir[PATH_MAX], *cache = kit_tpath("cache");

	if (!*shm || stat(kit_tmp, &a) != 0 || stat(shm, &b) != 0 || a.st_dev == b.st_dev) {
		free(cache);
		return;		/* needs two file systems */
	}
	snprintf(dir, sizeof(dir), "%s/x-XXXXXX", shm);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_msg(link_probe(cache, dir, LINK_AUTO, &got) == 0, "%s", err_get());
	ck_assert_int_eq(got, LINK_COPY);
	ck_assert_int_eq(link_probe(cache, dir, LINK_HARDLINK, &got), -2);
	ck_assert_msg(strstr(err_get(), "--link-mode=hardlink does not work") != NULL,
	    "unclear error: %s", err_get());
	ck_assert_int_eq(count_dir(dir), 0);
	ck_assert_msg(link_probe("/proc/no/such/cache", dir, LINK_AUTO, &got) == -1,
	    "a cache that cannot be written was probed fine");
	rmdir(dir);
	free(cache);
}
END_TEST

static const struct {
	enum link_mode	 mode;
	uint32_t	 perm;
	size_t		 size;
} link_cases[] = {
	{ LINK_COPY, 0644, 0 },
	{ LINK_COPY, 0644, 5 },
	{ LINK_COPY, 0755, 300000 },
	{ LINK_COPY, 0600, 70000 },
	{ LINK_HARDLINK, 0644, 300000 },
	{ LINK_HARDLINK, 0755, 1 },
	{ LINK_REFLINK, 0644, 4096 },
};

/* Bytes always, the inode for hard links, the given mode for copies (the
 * umask is 0 here); reflink may not work where TMPDIR is. */
START_TEST(test_link_file)
{
	struct stat	 ss, ds;
	unsigned char	*data;
	char		*text, *src = kit_tpath("src"), *dst = kit_tpath("d/dst");
	size_t		 i, len, n = link_cases[_i].size;
	mode_t		 old;
	int		 sfd, dfd, rc;

	data = xmalloc(n + 1);
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i ^ (i >> 9));
	make_file(src, data, n);
	ck_assert_int_eq(chmod(src, 0640), 0);
	text = kit_tpath("d");
	ck_assert_int_eq(mkdir(text, 0755), 0);
	dfd = open(text, O_RDONLY | O_DIRECTORY);
	free(text);
	sfd = open(kit_tmp, O_RDONLY | O_DIRECTORY);
	ck_assert(sfd >= 0 && dfd >= 0);

	old = umask(0);
	errno = 0;
	rc = link_file(sfd, "src", dfd, "dst", link_cases[_i].mode, link_cases[_i].perm);
	umask(old);
	if (link_cases[_i].mode == LINK_REFLINK && rc != 0) {
		/* No reflinks on this file system: the error is kept, no file left. */
		ck_assert_int_ne(errno, 0);
		ck_assert(!kit_exists(dst));
	} else {
		ck_assert_msg(rc == 0, "link_file %s: %s",
		    link_mode_name(link_cases[_i].mode), strerror(errno));
		ck_assert_int_eq(read_file(dst, n + 1, &text, &len), 0);
		ck_assert_uint_eq(len, n);
		ck_assert_mem_eq(text, data, n);
		free(text);
		ck_assert_int_eq(stat(src, &ss), 0);
		ck_assert_int_eq(stat(dst, &ds), 0);
		if (link_cases[_i].mode == LINK_HARDLINK) {
			ck_assert_uint_eq(ds.st_ino, ss.st_ino);
			ck_assert_uint_eq(ds.st_nlink, 2);
		} else {
			ck_assert_uint_ne(ds.st_ino, ss.st_ino);
			ck_assert_uint_eq(ss.st_nlink, 1);
			ck_assert_msg((ds.st_mode & 07777) == link_cases[_i].perm,
			    "mode %o, want %o", ds.st_mode & 07777, link_cases[_i].perm);
		}
		/* The destination is created exclusively: never replaced. */
		errno = 0;
		ck_assert_int_eq(link_file(sfd, "src", dfd, "dst", link_cases[_i].mode,
		    link_cases[_i].perm), -1);
		ck_assert_int_eq(errno, EEXIST);
		ck_assert_int_eq(read_file(dst, n + 1, &text, &len), 0);
		ck_assert_uint_eq(len, n);
		free(text);
	}
	/* A missing source is an error with errno, and creates nothing. */
	errno = 0;
	ck_assert_int_eq(link_file(sfd, "nope", dfd, "other", link_cases[_i].mode, 0644), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(faccessat(dfd, "other", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	close(sfd);
	close(dfd);
	free(data);
	free(src);
	free(dst);
}
END_TEST

static Suite *
cache_suite(void)
{
	Suite	*s = suite_create("cache");
	TCase	*tc;

	tc = tcase_create("manifest");
	tcase_add_checked_fixture(tc, kit_tmp_setup, kit_tmp_teardown);
	tcase_add_test(tc, test_manifest_round_trip);
	tcase_add_loop_test(tc, test_manifest_damaged, 0, (int)ARRAY_SIZE(damaged));
	tcase_add_test(tc, test_manifest_good_text);
	tcase_add_test(tc, test_manifest_scan);
	tcase_add_test(tc, test_manifest_read_all);
	tcase_add_test(tc, test_manifest_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("entries");
	tcase_add_checked_fixture(tc, kit_tmp_setup, kit_tmp_teardown);
	tcase_add_test(tc, test_cache_key);
	tcase_add_test(tc, test_tmp_publish_lookup);
	tcase_add_test(tc, test_publish_lost_race);
	tcase_add_test(tc, test_discard);
	tcase_add_test(tc, test_info);
	tcase_add_test(tc, test_prune);
	tcase_add_test(tc, test_clean);
	suite_add_tcase(s, tc);

	tc = tcase_create("link");
	tcase_add_checked_fixture(tc, kit_tmp_setup, kit_tmp_teardown);
	tcase_add_loop_test(tc, test_link_mode_parse, 0, (int)ARRAY_SIZE(modes));
	tcase_add_test(tc, test_link_probe_tmpfs);
	tcase_add_test(tc, test_link_probe_cross_fs);
	tcase_add_loop_test(tc, test_link_file, 0, (int)ARRAY_SIZE(link_cases));
	suite_add_tcase(s, tc);
	return s;
}

/* A directory on tmpfs for the cases that need one, when there is one. */
static int
make_shm(void)
{
	snprintf(shm, sizeof(shm), "/dev/shm/fk-cache-XXXXXX");
	if (!on_tmpfs("/dev/shm") || mkdtemp(shm) == NULL) {
		fprintf(stderr, "check_cache: no tmpfs at /dev/shm, tmpfs tests skipped\n");
		shm[0] = '\0';
	}
	return 0;
}

static void
remove_shm(void)
{
	if (*shm)
		kit_rm_tree(shm);
}

KIT_MAIN_AROUND(cache_suite, make_shm, remove_shm)
