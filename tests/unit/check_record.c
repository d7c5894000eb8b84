/*
 * check_record.c: unit tests for record.c: hash algorithm names, SHA-2
 * digests against known answers, URL-safe base64 both ways, RECORD
 * parsing (quoting, line ends, digests, duplicates) and the installed
 * RECORD writer.  Writes only under a temporary directory it removes.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "util.h"
#include "testkit.h"

#define ABC256	"ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
#define ABC384	"ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP_W-2AhgcroefMI1i67KE0yCWn"
#define ABC512	"3a81oZNherrMQXNJriBBMRLm-k6JqX6iCp7u5ktV05ohkpkqJ0_BqDa6PCOj_uu9RU1EI2Q86A4qmslPpUyknw"
#define EMPTY256 "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"

/* ---- algorithms ------------------------------------------------------ */

static const struct {
	const char	*name;
	int		 rc;
	enum hash_algo	 algo;
	const char	*err;
} algo_cases[] = {
	{ "sha256", 0, HASH_SHA256, NULL },
	{ "sha384", 0, HASH_SHA384, NULL },
	{ "sha512", 0, HASH_SHA512, NULL },
	{ "SHA256", 0, HASH_SHA256, NULL },
	{ "md5", -1, HASH_NONE, "hash algorithm 'md5' is too weak" },
	{ "sha1", -1, HASH_NONE, "hash algorithm 'sha1' is too weak" },
	{ "sha224", -1, HASH_NONE, "unknown hash algorithm 'sha224'" },
	{ "sha2566", -1, HASH_NONE, "unknown hash algorithm 'sha2566'" },
	{ "", -1, HASH_NONE, "unknown hash algorithm ''" },
};

START_TEST(test_algo_parse)
{
	enum hash_algo	 a = HASH_NONE;
	const char	*n = algo_cases[_i].name;

	ck_assert_int_eq(hash_algo_parse(n, strlen(n), &a), algo_cases[_i].rc);
	if (algo_cases[_i].rc == 0)
		ck_assert_int_eq(a, algo_cases[_i].algo);
	else
		ck_assert_msg(strstr(err_get(), algo_cases[_i].err) != NULL,
		    "error '%s'", err_get());
}
END_TEST

START_TEST(test_algo_names)
{
	ck_assert_str_eq(hash_algo_name(HASH_SHA256), "sha256");
	ck_assert_str_eq(hash_algo_name(HASH_SHA512), "sha512");
	ck_assert_uint_eq(hash_algo_len(HASH_SHA256), 32);
	ck_assert_uint_eq(hash_algo_len(HASH_SHA384), 48);
	ck_assert_uint_eq(hash_algo_len(HASH_SHA512), 64);
}
END_TEST

/* ---- digests --------------------------------------------------------- */

static const struct {
	enum hash_algo	 algo;
	const char	*b64;
} abc_cases[] = {
	{ HASH_SHA256, ABC256 },
	{ HASH_SHA384, ABC384 },
	{ HASH_SHA512, ABC512 },
};

START_TEST(test_hasher_known)
{
	struct hasher	 h;
	unsigned char	 d[HASH_MAX];
	char		 t[100];

	hasher_init(&h, abc_cases[_i].algo);
	hasher_update(&h, "a", 1);
	hasher_update(&h, "", 0);
	hasher_update(&h, "bc", 2);
	hasher_final(&h, d);
	b64url_encode(d, hash_algo_len(abc_cases[_i].algo), t);
	ck_assert_str_eq(t, abc_cases[_i].b64);
	/* final resets: the same hasher hashes the next file */
	hasher_update(&h, "abc", 3);
	hasher_final(&h, d);
	b64url_encode(d, hash_algo_len(abc_cases[_i].algo), t);
	ck_assert_str_eq(t, abc_cases[_i].b64);
	hasher_free(&h);
}
END_TEST

START_TEST(test_sha256_buf)
{
	unsigned char	 d[32];
	char		 t[48];
	char		*big = xmalloc(1000000);

	sha256_buf("", 0, d);
	b64url_encode(d, 32, t);
	ck_assert_str_eq(t, EMPTY256);
	memset(big, 'a', 1000000);
	sha256_buf(big, 1000000, d);
	b64url_encode(d, 32, t);
	ck_assert_str_eq(t, "zcduXJkU-5KBocfihNc-Z_GAmkiklyAOBG05zMcRLNA");
	free(big);
}
END_TEST

/* ---- base64 ---------------------------------------------------------- */

START_TEST(test_b64_roundtrip)
{
	unsigned char	 in[70], out[70];
	char		 t[100];
	size_t		 n = (size_t)_i, i, tl;

	for (i = 0; i < n; i++)
		in[i] = (unsigned char)(i * 37 + n * 11 + 250);
	tl = b64url_encode(in, n, t);
	ck_assert_uint_eq(tl, strlen(t));
	ck_assert_uint_eq(tl, (n * 4 + 2) / 3);
	ck_assert_ptr_null(strpbrk(t, "+/="));
	ck_assert_int_eq(b64url_decode(t, tl, out, sizeof(out)), (long)n);
	ck_assert(memcmp(in, out, n) == 0);
	if (n > 0)
		ck_assert_int_eq(b64url_decode(t, tl, out, n - 1), -1);
}
END_TEST

static const struct {
	const char	*text;
	long		 len;		/* -1: rejected */
	const char	*bytes;
} dec_cases[] = {
	{ "YWJj", 3, "abc" },
	{ "YQ", 1, "a" },
	{ "YQ==", 1, "a" },		/* padding tolerated */
	{ "YWI", 2, "ab" },
	{ "YWI=", 2, "ab" },
	{ "", 0, "" },
	{ "YQ=", -1, NULL },		/* wrong padding */
	{ "YWJj=", -1, NULL },
	{ "Y", -1, NULL },
	{ "YR", -1, NULL },		/* non-zero leftover bits */
	{ "+/8A", -1, NULL },		/* standard, not URL-safe */
	{ "-_8A", 3, "\xfb\xff\x00" },
	{ "YW J", -1, NULL },
	{ "YW!j", -1, NULL },
	{ "Y=Q=", -1, NULL },
};

START_TEST(test_b64_decode)
{
	unsigned char	 out[16];
	long		 n;

	n = b64url_decode(dec_cases[_i].text, strlen(dec_cases[_i].text),
	    out, sizeof(out));
	ck_assert_int_eq(n, dec_cases[_i].len);
	if (n > 0)
		ck_assert(memcmp(out, dec_cases[_i].bytes, (size_t)n) == 0);
}
END_TEST

/* ---- RECORD parsing -------------------------------------------------- */

static const struct {
	const char	*text;
	int		 rc;
	size_t		 n;
	const char	*err;		/* substring of the error */
} parse_cases[] = {
	{ "six.py,sha256=" ABC256 ",3\nsix-1.0.dist-info/RECORD,,\n", 0, 2, NULL },
	{ "six.py,sha256=" ABC256 ",3\r\nx/RECORD,,\r\n", 0, 2, NULL },
	{ "\n\nsix.py,sha256=" ABC256 ",3\n\r\n\nx/RECORD,,", 0, 2, NULL },
	{ "\"a,\"\"b\"\".py\",sha256=" ABC256 ",3\n", 0, 1, NULL },
	{ "a.py,\"sha256=" ABC256 "\",\"3\"\n", 0, 1, NULL },
	{ "\"a\nb\",,\n", 0, 1, NULL },
	{ "a.py,sha384=" ABC384 ",3\nb.py,sha512=" ABC512 ",3\n", 0, 2, NULL },
	{ "a.pyc,,\n", 0, 1, NULL },
	{ "a.py,sha256=" ABC256 "=,3\n", 0, 1, NULL },	/* padded */
	{ "", 0, 0, NULL },
	{ "a.py,sha256=" ABC256 "==,3\n", -1, 0, "not URL-safe base64" },
	{ "a.py,sha256=" ABC384 ",3\n", -1, 0, "48 bytes, expected 32" },
	{ "a.py,sha256=abc+def,3\n", -1, 0, "not URL-safe base64" },
	{ "a.py,md5=1B2M2Y8AsgTpgAmY7PhCfg,0\n", -1, 0, "'md5' is too weak" },
	{ "a.py,sha1=2jmj7l5rSw0yVb_vlWAYkK_YBwk,0\n", -1, 0,
	    "line 1: 'a.py': hash algorithm 'sha1' is too weak" },
	{ "a.py,whirlpool=AAAA,0\n", -1, 0, "unknown hash algorithm 'whirlpool'" },
	{ "a.py," ABC256 ",3\n", -1, 0, "not algorithm=digest" },
	{ "ok,,\na.py,sha256=" ABC256 "\n", -1, 0, "line 2: expected 3 fields, found 2" },
	{ "a.py,,,\n", -1, 0, "more than 3 fields" },
	{ "a,,\nb,,\na,,\n", -1, 0, "'a' is listed twice" },
	{ "a.py,sha256=" ABC256 ",12a\n", -1, 0, "size is not a decimal" },
	{ "a.py,sha256=" ABC256 ",-1\n", -1, 0, "size is not a decimal" },
	{ "a.py,sha256=" ABC256 ",99999999999999999999\n", -1, 0, "not a decimal" },
	{ "\"a.py,,\n", -1, 0, "unterminated quoted field" },
	{ "\"a\"x,,\n", -1, 0, "text after a closing quote" },
	{ ",,\n", -1, 0, "empty path" },
	{ "a\rb,,\n", -1, 0, "stray carriage return" },
};

START_TEST(test_record_parse)
{
	struct record	 r;
	const char	*t = parse_cases[_i].text;
	int		 rc;

	rc = record_parse(t, strlen(t), &r);
	ck_assert_msg(rc == parse_cases[_i].rc, "case %d: rc %d (%s)", _i,
	    rc, rc ? err_get() : "");
	if (rc == 0) {
		ck_assert_uint_eq(r.n, parse_cases[_i].n);
		record_free(&r);
	} else {
		ck_assert_msg(strstr(err_get(), parse_cases[_i].err) != NULL,
		    "case %d: error '%s'", _i, err_get());
		ck_assert_ptr_null(r.rows);
	}
}
END_TEST

/* A scanned RECORD: record_scan() leaves to record_parse() what it
 * cannot judge, and each path's row, parsed when asked for, is the one
 * record_parse() gives, or the error it gives for that line. */
START_TEST(test_record_scan)
{
	struct record	 r, s;
	struct record_row *a, *b;
	const char	*t = parse_cases[_i].text, *p, *nl, *q;
	char		*path, *want = NULL, *text = xstrdup(t);
	int		 rc, failed = 0;

	rc = record_parse(t, strlen(t), &r);
	if (rc != 0)
		want = xstrdup(err_get());
	/* the text is the scan's, unless it fails */
	if (record_scan(text, strlen(t), &s) != 0) {
		free(text);
		ck_assert(strchr(t, '"') != NULL || rc != 0);
		goto out;
	}
	for (p = t; *p; p = *nl ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		if ((q = memchr(p, ',', (size_t)(nl - p))) == NULL)
			continue;
		path = xstrndup(p, (size_t)(q - p));
		if (record_get(&s, path, &b) != 0) {
			ck_assert_msg(rc != 0, "case %d: %s", _i, err_get());
			ck_assert_str_eq(err_get(), want);
			failed = 1;
		} else if (rc == 0) {
			a = record_find(&r, path);
			ck_assert_ptr_nonnull(b);
			ck_assert_ptr_nonnull(a);
			ck_assert_int_eq(a->algo, b->algo);
			ck_assert_int_eq(a->size, b->size);
			ck_assert_mem_eq(a->digest, b->digest, HASH_MAX);
		}
		free(path);
	}
	ck_assert_msg(rc == 0 || failed, "case %d: scanned, '%s' unnoticed",
	    _i, want);
	ck_assert_int_eq(record_get(&s, "not/listed", &b), 0);
	ck_assert_ptr_null(b);
	record_free(&s);
out:
	if (rc == 0)
		record_free(&r);
	free(want);
}
END_TEST

START_TEST(test_record_find)
{
	struct record	 r;
	struct record_row *row;
	struct buf	 b = BUF_INIT;
	unsigned char	 d[32];
	char		 name[32];
	int		 i;

	buf_adds(&b, "\"we,ird\"\"\",sha256=" ABC256 ",3\r\nx/RECORD,,\n");
	for (i = 0; i < 500; i++)
		buf_addf(&b, "pkg/m%d.py,sha256=" EMPTY256 ",%d\n", i, i);
	ck_assert_int_eq(record_parse(b.p, b.len, &r), 0);
	ck_assert_uint_eq(r.n, 502);
	row = record_find(&r, "we,ird\"");
	ck_assert_ptr_nonnull(row);
	ck_assert_int_eq(row->algo, HASH_SHA256);
	ck_assert_int_eq(row->size, 3);
	sha256_buf("abc", 3, d);
	ck_assert(memcmp(row->digest, d, 32) == 0);
	row = record_find(&r, "x/RECORD");
	ck_assert_ptr_nonnull(row);
	ck_assert_int_eq(row->algo, HASH_NONE);
	ck_assert_int_eq(row->size, -1);
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "pkg/m%d.py", i);
		row = record_find(&r, name);
		ck_assert_ptr_nonnull(row);
		ck_assert_str_eq(row->path, name);
		ck_assert_int_eq(row->size, i);
	}
	ck_assert_ptr_null(record_find(&r, "pkg/m500.py"));
	ck_assert_ptr_null(record_find(&r, "x"));
	ck_assert_ptr_null(record_find(&r, ""));
	record_free(&r);
	ck_assert_ptr_null(record_find(&r, "x/RECORD"));
	buf_free(&b);
}
END_TEST

/* ---- the installed RECORD -------------------------------------------- */

static char *
write_and_read(struct record_out *o)
{
	char	*p = xasprintf("%s/RECORD", kit_tmp), *text;
	int	 fd;
	FILE	*f;
	long	 n;

	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(record_out_write(o, fd), 0);
	close(fd);
	f = fopen(p, "rb");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = xmalloc((size_t)n + 1);
	ck_assert_int_eq(fread(text, 1, (size_t)n, f), n);
	text[n] = '\0';
	fclose(f);
	free(p);
	return text;
}

START_TEST(test_record_out)
{
	struct record_out o = { NULL, 0, 0, 0 };
	struct record	 r;
	unsigned char	 d[32];
	char		*text;

	sha256_buf("abc", 3, d);
	record_out_add(&o, "six.py", d, 3);
	record_out_add_bare(&o, "six-1.0.dist-info/RECORD");
	record_out_add(&o, "../../../bin/six", d, 3);
	record_out_add(&o, "a,b.py", d, 3);
	record_out_add(&o, "q\"uote.py", d, 3);
	record_out_add_bare(&o, "__pycache__/six.cpython-311.pyc");
	record_out_add(&o, "Zed.py", d, 12345678901ULL);
	record_out_add(&o, "\xc3\xa9t\xc3\xa9.py", d, 3);
	record_out_add_text(&o, "text.py", ABC256 "trailing", 7);
	text = write_and_read(&o);
	ck_assert_str_eq(text,
	    "../../../bin/six,sha256=" ABC256 ",3\n"
	    "Zed.py,sha256=" ABC256 ",12345678901\n"
	    "__pycache__/six.cpython-311.pyc,,\n"
	    "\"a,b.py\",sha256=" ABC256 ",3\n"
	    "\"q\"\"uote.py\",sha256=" ABC256 ",3\n"
	    "six-1.0.dist-info/RECORD,,\n"
	    "six.py,sha256=" ABC256 ",3\n"
	    "text.py,sha256=" ABC256 ",7\n"
	    "\xc3\xa9t\xc3\xa9.py,sha256=" ABC256 ",3\n");
	/* what we write, we read back */
	ck_assert_int_eq(record_parse(text, strlen(text), &r), 0);
	ck_assert_uint_eq(r.n, 9);
	ck_assert_ptr_nonnull(record_find(&r, "q\"uote.py"));
	ck_assert_ptr_nonnull(record_find(&r, "a,b.py"));
	record_free(&r);
	free(text);
	record_out_free(&o);
	text = write_and_read(&o);
	ck_assert_str_eq(text, "");
	free(text);
}
END_TEST

/* Entries written sorted by path, whatever order they came in: runs in
 * order, runs reversed, random, and paths given twice (kept in the order
 * they came, told apart by their sizes). */
struct sort_ent {
	char	path[16];
	size_t	seq;
};

static int
cmp_sort_ent(const void *a, const void *b)
{
	const struct sort_ent	*x = a, *y = b;
	int			 c = strcmp(x->path, y->path);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

START_TEST(test_record_out_sorted)
{
	struct record_out o = { NULL, 0, 0, 0 };
	struct sort_ent	*e;
	struct buf	 want = BUF_INIT;
	unsigned char	 d[32];
	unsigned int	 seed = (unsigned int)_i + 1;
	size_t		 n = _i == 0 ? 1 : (size_t)_i * 97, i, k;
	char		*text, b64[48];

	sha256_buf("abc", 3, d);
	b64url_encode(d, 32, b64);
	/* Room reserved, as for a large wheel, or grown line by line. */
	if (_i % 4 == 3)
		record_out_reserve(&o, (size_t)_i << 17);
	e = xcalloc(n, sizeof(*e));
	for (i = 0; i < n; i++) {
		if (_i % 3 == 0)		/* runs, each in order */
			k = (i % 50) * 1000 + i / 50;
		else if (_i % 3 == 1)		/* descending */
			k = n - i;
		else				/* random, with repeats */
			k = (size_t)rand_r(&seed) % (n / 2 + 1);
		snprintf(e[i].path, sizeof(e[i].path), "p/%zu%s", k,
		    k % 7 == 0 ? ",q" : "");
		e[i].seq = i;
		record_out_add(&o, e[i].path, d, i);
	}
	qsort(e, n, sizeof(*e), cmp_sort_ent);
	for (i = 0; i < n; i++) {
		if (strchr(e[i].path, ','))
			buf_addf(&want, "\"%s\"", e[i].path);
		else
			buf_adds(&want, e[i].path);
		buf_addf(&want, ",sha256=%s,%zu\n", b64, e[i].seq);
	}
	text = write_and_read(&o);
	ck_assert_str_eq(text, want.p);
	free(text);
	free(e);
	buf_free(&want);
	record_out_free(&o);
}
END_TEST

START_TEST(test_record_out_bad_fd)
{
	struct record_out o = { NULL, 0, 0, 0 };
	int		 fd = open("/dev/null", O_RDONLY);

	record_out_add_bare(&o, "x");
	ck_assert_int_eq(record_out_write(&o, fd), -1);
	ck_assert_msg(strstr(err_get(), "RECORD: write: ") != NULL, "%s",
	    err_get());
	close(fd);
	record_out_free(&o);
}
END_TEST

static Suite *
record_suite(void)
{
	Suite	*s = suite_create("record");
	TCase	*tc;

	tc = tcase_create("algo");
	tcase_add_loop_test(tc, test_algo_parse, 0, ARRAY_SIZE(algo_cases));
	tcase_add_test(tc, test_algo_names);
	tcase_add_loop_test(tc, test_hasher_known, 0, ARRAY_SIZE(abc_cases));
	tcase_add_test(tc, test_sha256_buf);
	suite_add_tcase(s, tc);

	tc = tcase_create("base64");
	tcase_add_loop_test(tc, test_b64_roundtrip, 0, 70);
	tcase_add_loop_test(tc, test_b64_decode, 0, ARRAY_SIZE(dec_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_record_parse, 0, ARRAY_SIZE(parse_cases));
	tcase_add_test(tc, test_record_find);
	tcase_add_loop_test(tc, test_record_scan, 0, ARRAY_SIZE(parse_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_checked_fixture(tc, kit_tmp_setup, kit_tmp_teardown);
	tcase_add_test(tc, test_record_out);
	tcase_add_test(tc, test_record_out_bad_fd);
	tcase_add_loop_test(tc, test_record_out_sorted, 0, 40);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(record_suite)
