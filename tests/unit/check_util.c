/*
 * check_util.c: the growable buffer, string vectors, the shared error
 * buffer (err_set/err_prefix), the string helpers, str_quote, xasprintf
 * and the stderr message formats.  die() and BUG() run only when Check
 * forks (they end the process).
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "testkit.h"

/* ---- struct buf ------------------------------------------------------- */

START_TEST(test_buf_add)
{
	struct buf	b = BUF_INIT;
	size_t		i;

	buf_adds(&b, "abc");
	ck_assert_uint_eq(b.len, 3);
	ck_assert_str_eq(b.p, "abc");
	buf_add(&b, "d\0e", 3);
	ck_assert_uint_eq(b.len, 6);
	ck_assert_int_eq(memcmp(b.p, "abcd\0e", 7), 0);
	ck_assert_int_eq(b.p[b.len], '\0');
	buf_add(&b, "", 0);
	ck_assert_uint_eq(b.len, 6);
	/* Growing past the first allocation keeps the contents. */
	buf_reset(&b);
	for (i = 0; i < 1000; i++)
		buf_add(&b, &"0123456789"[i % 10], 1);
	ck_assert_uint_eq(b.len, 1000);
	ck_assert_uint_gt(b.cap, b.len);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(b.p[i], '0' + (int)(i % 10));
	ck_assert_int_eq(b.p[1000], '\0');
	buf_free(&b);
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_buf_addf)
{
	struct buf	 b = BUF_INIT;
	char		 big[300];
	char		*s;

	buf_addf(&b, "%d-%s", 42, "x");
	ck_assert_str_eq(b.p, "42-x");
	ck_assert_uint_eq(b.len, 4);
	/* Larger than the first allocation in one call. */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_addf(&b, "[%s]", big);
	ck_assert_uint_eq(b.len, 4 + 2 + 299);
	ck_assert_int_eq(b.p[4], '[');
	ck_assert_int_eq(b.p[b.len - 1], ']');
	ck_assert_int_eq(b.p[b.len], '\0');
	/* An empty format on an empty buffer still gives a string. */
	buf_free(&b);
	buf_addf(&b, "%s", "");
	ck_assert_ptr_nonnull(b.p);
	ck_assert_str_eq(b.p, "");
	s = buf_detach(&b);
	ck_assert_str_eq(s, "");
	ck_assert_ptr_null(b.p);
	free(s);
}
END_TEST

START_TEST(test_buf_reset_detach)
{
	struct buf	 b = BUF_INIT;
	char		*s;

	buf_reset(&b);			/* no allocation yet: must not crash */
	ck_assert_ptr_null(b.p);
	s = buf_detach(&b);		/* never NULL */
	ck_assert_str_eq(s, "");
	free(s);
	buf_adds(&b, "hello");
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.p, "");
	buf_adds(&b, "again");
	s = buf_detach(&b);
	ck_assert_str_eq(s, "again");
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	free(s);
	buf_free(&b);			/* a detached buffer frees nothing */
}
END_TEST

/* ---- struct strv ------------------------------------------------------ */

START_TEST(test_strv)
{
	struct strv	 sv = STRV_INIT;
	char		 name[16];
	size_t		 i;

	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "s%02zu", 19 - i);
		if (i % 2)
			strv_push(&sv, name);
		else
			strv_push_owned(&sv, xstrdup(name));
		ck_assert_uint_eq(sv.n, i + 1);
		ck_assert_ptr_null(sv.v[sv.n]);	/* always NULL-terminated */
	}
	ck_assert_str_eq(sv.v[0], "s19");
	strv_sort(&sv);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "s%02zu", i);
		ck_assert_str_eq(sv.v[i], name);
	}
	ck_assert_ptr_null(sv.v[20]);
	ck_assert_int_eq(strv_has(&sv, "s07"), 1);
	ck_assert_int_eq(strv_has(&sv, "s7"), 0);
	ck_assert_int_eq(strv_has(&sv, "s070"), 0);
	ck_assert_uint_eq(str_hash("", 0), 0x811c9dc5u);	/* FNV-1a */
	ck_assert_uint_eq(str_hash("ab", 1), 0xe40c292cu);	/* "a" */
	ck_assert_uint_eq(str_hash("foobar", 6), 0xbf9cf968u);
	strv_free(&sv);
	ck_assert_int_eq(strv_has(&sv, "s07"), 0);
	ck_assert_ptr_null(sv.v);
	ck_assert_uint_eq(sv.n, 0);
	strv_sort(&sv);			/* empty: no-op */
	strv_free(&sv);			/* twice: no-op */
}
END_TEST

START_TEST(test_strv_push_copies)
{
	struct strv	sv = STRV_INIT;
	char		s[] = "abc";

	strv_push(&sv, s);
	s[0] = 'X';
	ck_assert_str_eq(sv.v[0], "abc");
	strv_free(&sv);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

START_TEST(test_err_set_prefix)
{
	ck_assert_int_eq(err_set("hash mismatch for '%s'", "six.py"), -1);
	ck_assert_str_eq(err_get(), "hash mismatch for 'six.py'");
	ck_assert_int_eq(err_prefix("RECORD"), -1);
	ck_assert_str_eq(err_get(), "RECORD: hash mismatch for 'six.py'");
	ck_assert_int_eq(err_prefix("%s-%d.whl", "six", 1), -1);
	ck_assert_str_eq(err_get(), "six-1.whl: RECORD: hash mismatch for 'six.py'");
	err_set("%s", "");
	ck_assert_str_eq(err_get(), "");
	err_prefix("a");
	ck_assert_str_eq(err_get(), "a: ");
}
END_TEST

START_TEST(test_err_long)
{
	char	 big[3000];
	size_t	 n;

	memset(big, 'd', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* A long detail is cut, never overflowed. */
	err_set("%s", big);
	n = strlen(err_get());
	ck_assert_uint_gt(n, 500);
	ck_assert_uint_lt(n, sizeof(big) - 1);
	/* A prefix on a full buffer keeps the prefix and a cut detail. */
	err_prefix("pre");
	ck_assert(str_starts(err_get(), "pre: ddd"));
	ck_assert_uint_eq(strlen(err_get()), n);
	/* A very long prefix is cut too, and the buffer stays a string. */
	big[2000] = '\0';
	err_set("tail");
	err_prefix("%s", big);
	ck_assert(str_starts(err_get(), "ddd"));
	ck_assert_uint_lt(strlen(err_get()), sizeof(big));
	err_set("x");
	ck_assert_str_eq(err_get(), "x");
}
END_TEST

/* ---- string helpers --------------------------------------------------- */

struct affix_case {
	const char	*s;
	const char	*affix;
	int		 starts;
	int		 ends;
};

static const struct affix_case affix_cases[] = {
	{ "six.py", "six", 1, 0 },
	{ "six.py", ".py", 0, 1 },
	{ "six.py", "six.py", 1, 1 },
	{ "six.py", "", 1, 1 },
	{ "", "", 1, 1 },
	{ "", "a", 0, 0 },
	{ "py", "six.py", 0, 0 },
	{ "abcabc", "abc", 1, 1 },
	{ "a.dist-info/RECORD", "a.dist-info/", 1, 0 },
	{ "RECORD.jws", "RECORD", 1, 0 },
};

START_TEST(test_affix)
{
	const struct affix_case *c = &affix_cases[_i];

	ck_assert_int_eq(str_starts(c->s, c->affix), c->starts);
	ck_assert_int_eq(str_ends(c->s, c->affix), c->ends);
}
END_TEST

struct quote_case {
	const char	*in;
	const char	*out;
};

static const struct quote_case quote_cases[] = {
	{ "six.py", "six.py" },
	{ "", "" },
	{ "a b~", "a b~" },
	{ "a\nb", "a\\x0ab" },
	{ "\t", "\\x09" },
	{ "\x1b[31m", "\\x1b[31m" },
	{ "\x7f", "\\x7f" },
	{ "\\", "\\x5c" },		/* so the output is unambiguous */
	{ "caf\xc3\xa9", "caf\\xc3\\xa9" },
	{ "\xff", "\\xff" },
};

START_TEST(test_str_quote)
{
	const struct quote_case *c = &quote_cases[_i];
	char	*q = str_quote(c->in);

	ck_assert_str_eq(q, c->out);
	free(q);
}
END_TEST

START_TEST(test_u64_put)
{
	char	b[80], *e;

	e = u64_put(b, 0, 10);
	*e = '\0';
	ck_assert_str_eq(b, "0");
	e = u64_put(b, 1234567890123ULL, 10);
	*e = '\0';
	ck_assert_str_eq(b, "1234567890123");
	e = u64_put(b, 0100644, 8);
	*e = '\0';
	ck_assert_str_eq(b, "100644");
	e = u64_put(b, UINT64_MAX, 10);
	*e = '\0';
	ck_assert_str_eq(b, "18446744073709551615");
	e = u64_put(b, UINT64_MAX, 2);
	ck_assert_uint_eq((size_t)(e - b), 64);
}
END_TEST

START_TEST(test_xalloc)
{
	char	*s, *t;
	int	*v;
	size_t	 i;

	s = xasprintf("%s-%05d-%c", "w", 42, 'z');
	ck_assert_str_eq(s, "w-00042-z");
	free(s);
	s = xasprintf("%s", "");
	ck_assert_str_eq(s, "");
	free(s);
	t = xstrndup("abcdef", 3);
	ck_assert_str_eq(t, "abc");
	free(t);
	t = xstrndup("ab", 10);
	ck_assert_str_eq(t, "ab");
	free(t);
	v = xcalloc(16, sizeof(*v));
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(v[i], 0);
	v = xreallocarray(v, 1000, sizeof(*v));
	v[999] = 7;
	ck_assert_int_eq(v[0], 0);
	free(v);
	/* Zero sizes still give a pointer that free() accepts. */
	free(xmalloc(0));
	free(xcalloc(0, 0));
	free(xrealloc(NULL, 0));
}
END_TEST

/* Big buffers: huge-page aligned from BIG_ALLOC_MIN on, zeroed when
 * asked, and kept by xbig_need while they are large enough. */
START_TEST(test_xbig)
{
	unsigned char	*p, *q;
	size_t		 cap = 0, i;

	p = xbig_alloc(100);
	p[99] = 1;
	free(p);
	p = xbig_alloc(BIG_ALLOC_MIN);
	ck_assert_uint_eq((uintptr_t)p % HUGE_ALLOC_MIN, 0);
	memset(p, 0xff, BIG_ALLOC_MIN);
	free(p);
	p = xbig_calloc(BIG_ALLOC_MIN / 8 + 1, 8);
	ck_assert_uint_eq((uintptr_t)p % HUGE_ALLOC_MIN, 0);
	for (i = 0; i < BIG_ALLOC_MIN + 8; i++)
		ck_assert_uint_eq(p[i], 0);
	free(p);
	p = xbig_calloc(3, 5);
	for (i = 0; i < 15; i++)
		ck_assert_uint_eq(p[i], 0);
	free(p);
	free(xbig_calloc(0, 0));

	p = xbig_need(NULL, &cap, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(cap, 0);
	p = xbig_need(p, &cap, 1000);
	ck_assert_uint_ge(cap, 1000);
	p[999] = 7;
	q = xbig_need(p, &cap, 10);		/* large enough: kept */
	ck_assert_ptr_eq(q, p);
	ck_assert_uint_eq(q[999], 7);
	p = xbig_need(q, &cap, 3 * HUGE_ALLOC_MIN + 1);
	ck_assert_uint_eq(cap, 4 * HUGE_ALLOC_MIN);	/* rounded up */
	ck_assert_uint_eq((uintptr_t)p % HUGE_ALLOC_MIN, 0);
	p[cap - 1] = 1;
	xbig_free(p, cap);
	/* Given back: the next big one that fits is the same memory, whole. */
	q = xbig_alloc(HUGE_ALLOC_MIN);
	ck_assert_ptr_eq(q, p);
	cap = BIG_ALLOC_MIN;
	p = xbig_get(&cap);			/* none kept now: a new one */
	ck_assert_ptr_ne(p, q);
	ck_assert_uint_eq(cap, HUGE_ALLOC_MIN);
	xbig_free(q, 4 * HUGE_ALLOC_MIN);
	cap = HUGE_ALLOC_MIN;
	ck_assert_ptr_eq(xbig_get(&cap), q);
	ck_assert_uint_eq(cap, 4 * HUGE_ALLOC_MIN);
	q[cap - 1] = 2;
	/* Zeroed when asked, kept memory or not. */
	xbig_free(q, cap);
	q = xbig_calloc(HUGE_ALLOC_MIN, 1);
	for (i = 0; i < HUGE_ALLOC_MIN; i++)
		ck_assert_uint_eq(q[i], 0);
	/* Nothing left kept for the next test (run in this process when
	 * CK_FORK=no). */
	free(q);
	free(p);
	/* Small ones and NULL are just freed. */
	xbig_free(xmalloc(10), 10);
	xbig_free(NULL, HUGE_ALLOC_MIN);
}
END_TEST

/* Kept up to a byte limit (32 MiB), the rest freed: the first two of
 * twenty 16 MiB buffers given back come back, each once. */
START_TEST(test_xbig_keep_limit)
{
	void	*v[20], *a, *b;
	size_t	 i, cap;

	for (i = 0; i < 20; i++)
		v[i] = xbig_alloc(8 * HUGE_ALLOC_MIN);
	for (i = 0; i < 20; i++)
		xbig_free(v[i], 8 * HUGE_ALLOC_MIN);
	cap = 8 * HUGE_ALLOC_MIN;
	a = xbig_get(&cap);
	cap = 8 * HUGE_ALLOC_MIN;
	b = xbig_get(&cap);
	ck_assert((a == v[0] && b == v[1]) || (a == v[1] && b == v[0]));
	free(a);
	free(b);
}
END_TEST

/* ---- messages --------------------------------------------------------- */

static char hooked[256];

static void
hook(const char *s)
{
	snprintf(hooked, sizeof(hooked), "%s", s);
}

START_TEST(test_messages)
{
	struct kit_capture	 c;
	char			*out;

	verbosity = 0;
	msg_color = 0;
	kit_cap_begin(&c);
	error_msg("'%s': bad", "x");
	warn_msg("careful %d", 1);
	note_msg("note");
	out = kit_cap_end(&c);
	ck_assert_str_eq(out, "forklift: error: 'x': bad\n"
	    "forklift: warning: careful 1\nforklift: note\n");
	free(out);

	/* -q silences warnings and notes, never errors. */
	verbosity = -1;
	kit_cap_begin(&c);
	warn_msg("hidden");
	note_msg("hidden");
	error_msg("shown");
	out = kit_cap_end(&c);
	ck_assert_str_eq(out, "forklift: error: shown\n");
	free(out);
	verbosity = 0;

	/* --color colors only the label. */
	msg_color = 1;
	kit_cap_begin(&c);
	error_msg("e");
	warn_msg("w");
	note_msg("n");
	out = kit_cap_end(&c);
	msg_color = 0;
	ck_assert_str_eq(out, "forklift: \033[1;31merror\033[0m: e\n"
	    "forklift: \033[1;33mwarning\033[0m: w\nforklift: n\n");
	free(out);

	/* In a worker the hook gets the bare text. */
	warn_hook = hook;
	kit_cap_begin(&c);
	warn_msg("from %s", "worker");
	out = kit_cap_end(&c);
	warn_hook = NULL;
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(hooked, "from worker");
	free(out);
}
END_TEST

START_TEST(test_die)
{
	close(STDERR_FILENO);
	die(3, "bye");
}
END_TEST

START_TEST(test_bug)
{
	close(STDERR_FILENO);
	BUG("broken %d", 1);
}
END_TEST

/* ---- utf8_len ---------------------------------------------------------- */

struct utf8_case {
	const char	*bytes;
	size_t		 n;
	size_t		 want;
};

static const struct utf8_case utf8_cases[] = {
	{ "a", 1, 1 },
	{ "\xc3\xa9", 2, 2 },			/* e acute */
	{ "\xc3\xa9", 1, 0 },			/* cut short */
	{ "\xc0\xaf", 2, 0 },			/* overlong '/' */
	{ "\xe0\x80\xaf", 3, 0 },		/* overlong, 3 bytes */
	{ "\xe2\x82\xac", 3, 3 },		/* euro sign */
	{ "\xed\xa0\x80", 3, 0 },		/* surrogate */
	{ "\xf0\x9f\x98\x80", 4, 4 },	/* emoji */
	{ "\xf4\x90\x80\x80", 4, 0 },	/* past U+10FFFF */
	{ "\xff", 1, 0 },
	{ "\x80", 1, 0 },			/* lone continuation */
	{ "\xe2\x28\xa1", 3, 0 },		/* bad continuation */
};

START_TEST(test_utf8_len)
{
	const struct utf8_case	*c = &utf8_cases[_i];

	ck_assert_uint_eq(utf8_len((const unsigned char *)c->bytes, c->n), c->want);
}
END_TEST

START_TEST(test_hex_digit)
{
	ck_assert_int_eq(hex_digit('0'), 0);
	ck_assert_int_eq(hex_digit('9'), 9);
	ck_assert_int_eq(hex_digit('a'), 10);
	ck_assert_int_eq(hex_digit('F'), 15);
	ck_assert_int_eq(hex_digit('g'), -1);
	ck_assert_int_eq(hex_digit('/'), -1);
	ck_assert_int_eq(hex_digit(-1), -1);
	ck_assert_int_eq(hex_digit(0xe9), -1);
}
END_TEST

START_TEST(test_buf_add_utf8)
{
	struct buf	b = BUF_INIT;

	buf_add_utf8(&b, 'A');
	buf_add_utf8(&b, 0xe9);
	buf_add_utf8(&b, 0x20ac);
	buf_add_utf8(&b, 0x1f600);
	ck_assert_uint_eq(b.len, 10);
	ck_assert(memcmp(b.p, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10) == 0);
	buf_free(&b);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc;

	tc = tcase_create("utf8");
	tcase_add_loop_test(tc, test_utf8_len, 0, ARRAY_SIZE(utf8_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("buf");
	tcase_add_test(tc, test_buf_add);
	tcase_add_test(tc, test_buf_addf);
	tcase_add_test(tc, test_buf_reset_detach);
	suite_add_tcase(s, tc);

	tc = tcase_create("strv");
	tcase_add_test(tc, test_strv);
	tcase_add_test(tc, test_hex_digit);
	tcase_add_test(tc, test_buf_add_utf8);
	tcase_add_test(tc, test_strv_push_copies);
	suite_add_tcase(s, tc);

	tc = tcase_create("err");
	tcase_add_test(tc, test_err_set_prefix);
	tcase_add_test(tc, test_err_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("str");
	tcase_add_loop_test(tc, test_affix, 0, ARRAY_SIZE(affix_cases));
	tcase_add_loop_test(tc, test_str_quote, 0, ARRAY_SIZE(quote_cases));
	tcase_add_test(tc, test_xalloc);
	tcase_add_test(tc, test_u64_put);
	tcase_add_test(tc, test_xbig);
	tcase_add_test(tc, test_xbig_keep_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("msg");
	tcase_add_test(tc, test_messages);
	/* die() and BUG() end the process: only run them in a forked test. */
	if (kit_forking()) {
		tcase_add_exit_test(tc, test_die, 3);
		tcase_add_test_raise_signal(tc, test_bug, SIGABRT);
	}
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(util_suite)
