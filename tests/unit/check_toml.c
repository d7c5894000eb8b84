/*
 * check_toml.c: the TOML reader beyond the toml-test cases: the exact
 * position and wording of errors, the limits on depth, size and values,
 * the 64-bit integer edges, CRLF, a BOM and bad UTF-8, and the tree API
 * (key order, positions of values, typed accessors).
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"
#include "util.h"
#include "testkit.h"

static struct toml_value *
parse(const char *text)
{
	return toml_parse(text, strlen(text), "t.toml");
}

/* Each document must be refused with exactly this message. */
static const struct {
	const char	*doc;
	const char	*msg;
} errors[] = {
	{ "a = 1\nb = 2\nc = 0x", "t.toml:3:5: invalid hexadecimal integer" },
	{ "a = \"x\\q\"", "t.toml:1:7: invalid escape sequence '\\q'" },
	{ "a = \"\\ud800\"", "t.toml:1:6: escape \\ud800 is no Unicode scalar value" },
	{ "x = 9223372036854775808", "t.toml:1:5: integer does not fit in 64 bits" },
	{ "x = -9223372036854775809", "t.toml:1:5: integer does not fit in 64 bits" },
	{ "x = 0x8000000000000000", "t.toml:1:5: integer does not fit in 64 bits" },
	{ "x = 0o1000000000000000000000", "t.toml:1:5: integer does not fit in 64 bits" },
	{ "x = 0b1000000000000000000000000000000000000000000000000000000000000000",
	  "t.toml:1:5: integer does not fit in 64 bits" },
	{ "x = 1__0", "t.toml:1:5: invalid number" },
	{ "x = 01", "t.toml:1:5: leading zero in a number" },
	{ "[a]\nb = 1\n[a]", "t.toml:3:1: table 'a' is already defined" },
	{ "a.b = 1\n[a]", "t.toml:2:1: table 'a' is already defined" },
	{ "a = {b = 1}\na.c = 2", "t.toml:2:1: key 'a' is already defined as an inline table" },
	{ "a = {b = 1}\n[a.c]", "t.toml:2:2: key 'a' is already defined as an inline table" },
	{ "[[a]]\n[a]", "t.toml:2:1: key 'a' is already defined as an array of tables" },
	{ "a = []\n[[a]]", "t.toml:2:1: key 'a' is already defined as an array" },
	{ "[a.b.c]\n[a]\nb.c.d = 1", "t.toml:3:1: key 'b' is already defined as a table" },
	{ "a = 1\n  a = 2", "t.toml:2:3: duplicate key 'a'" },
	{ "x.\"y\\u0001\" = 1\nx.\"y\\u0001\" = 2", "t.toml:2:3: duplicate key 'x.y\\x01'" },
	{ "a = [1,\n  2\n  3]", "t.toml:3:3: expected ',' or ']' in an array, found '3'" },
	{ "a = {b = 1,}", "t.toml:1:12: expected a key, found '}'" },
	{ "a = {b = 1\n}", "t.toml:1:11: expected ',' or '}' in an inline table, found end of line" },
	{ "a = 1979-02-29", "t.toml:1:5: invalid date: 1979-02-29 does not exist" },
	{ "a = 24:00:00", "t.toml:1:5: invalid time: 24:00:00 is out of range" },
	/* Found by fuzz_toml: a time cut short at the end of the text. */
	{ "d = 07:32", "t.toml:1:5: invalid time: expected HH:MM:SS" },
	{ "d = [1979-05-27 07", "t.toml:1:17: invalid time: expected HH:MM:SS" },
	{ "a = 1 b = 2", "t.toml:1:7: expected the end of the line after a value, found 'b'" },
	{ "[a] x", "t.toml:1:5: expected the end of the line after a table header, found 'x'" },
	{ "a = 1\rb = 2", "t.toml:1:6: expected the end of the line after a value, found U+000D" },
	{ "a = 1 # \x7f", "t.toml:1:9: U+007F in a comment" },
	{ "a = \"\xc3\xa9\xc3\xa9\xff\"", "t.toml:1:8: invalid UTF-8 (byte 0xff)" },
	{ "\n\nk = \"\xed\xa0\x80\"", "t.toml:3:6: invalid UTF-8 (byte 0xed)" },
	{ "k = \"\xc0\xaf\"", "t.toml:1:6: invalid UTF-8 (byte 0xc0)" },
	{ "k = \"\xe2\x82\"", "t.toml:1:6: invalid UTF-8 (byte 0xe2)" },
	{ "\xc3\xa9 = 1", "t.toml:1:1: expected a key, found a non-ASCII character" },
	{ "k = \"\xc3\xa9\xc3\xa9\" x", "t.toml:1:10: expected the end of the line after a value, found 'x'" },
	{ "k = \"abc", "t.toml:1:5: unterminated string" },
	{ "k = '''a\n\nb", "t.toml:1:5: unterminated string" },
	{ "k = \"\"\"a\"\"\"\"\"\"", "t.toml:1:9: too many quotes closing a string" },
	{ "k = \"a\nb\"", "t.toml:1:7: line end in a single-line string" },
	{ "k =", "t.toml:1:4: expected a value, found end of file" },
	{ "k", "t.toml:1:2: expected '=' after a key, found end of file" },
	{ "[a", "t.toml:1:3: expected ']' to close a table header, found end of file" },
	{ "[[a]", "t.toml:1:4: expected ']]' to close a table header, found ']'" },
	{ "[[a]]]", "t.toml:1:6: expected the end of the line after a table header, found ']'" },
	{ "\xef\xbb\xbf\xef\xbb\xbf", "t.toml:1:1: expected a key, found a non-ASCII character" },
	{ "\r\n\r\nx = 1\r\ny = 1\rz", "t.toml:4:6: expected the end of the line after a value, found U+000D" },
};

START_TEST(test_errors)
{
	struct toml_value	*v = parse(errors[_i].doc);

	ck_assert_msg(v == NULL, "accepted %s", errors[_i].doc);
	ck_assert_str_eq(err_get(), errors[_i].msg);
}
END_TEST

START_TEST(test_int_edges)
{
	static const struct {
		const char	*doc;
		int64_t		 want;
	} cases[] = {
		{ "x = 9223372036854775807", INT64_MAX },
		{ "x = -9223372036854775808", INT64_MIN },
		{ "x = +9_223_372_036_854_775_807", INT64_MAX },
		{ "x = 0x7FFF_FFFF_FFFF_FFFF", INT64_MAX },
		{ "x = 0o777777777777777777777", INT64_MAX },
		{ "x = 0b0111111111111111111111111111111111111111111111111111111111111111", INT64_MAX },
		{ "x = -0", 0 },
		{ "x = 0x00ff", 255 },
	};
	struct toml_value	*v;
	size_t			 i;
	int64_t			 n;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		v = parse(cases[i].doc);
		ck_assert_msg(v != NULL, "%s: %s", cases[i].doc, err_get());
		ck_assert_int_eq(toml_int(toml_get(v, "x"), &n), 0);
		ck_assert_msg(n == cases[i].want, "%s gave %lld", cases[i].doc, (long long)n);
		toml_free(v);
	}
}
END_TEST

START_TEST(test_depth)
{
	struct buf		 b = BUF_INIT;
	struct toml_value	*v;
	int			 i;

	/* Arrays: a value at depth TOML_MAX_DEPTH is fine, one more is not. */
	buf_adds(&b, "a = ");
	for (i = 0; i < TOML_MAX_DEPTH; i++)
		buf_adds(&b, "[");
	for (i = 0; i < TOML_MAX_DEPTH; i++)
		buf_adds(&b, "]");
	v = parse(b.p);
	ck_assert_msg(v != NULL, "%s", err_get());
	toml_free(v);
	buf_reset(&b);
	buf_adds(&b, "a = ");
	for (i = 0; i <= TOML_MAX_DEPTH; i++)
		buf_adds(&b, "[");
	v = parse(b.p);
	ck_assert_ptr_null(v);
	ck_assert_str_eq(err_get(), "t.toml:1:105: nested more than 100 levels deep");

	/* Inline tables nest in the same count, whatever the notation. */
	buf_reset(&b);
	buf_adds(&b, "[a.b.c]\nd = ");
	for (i = 0; i < 200000; i++)
		buf_adds(&b, "{x=[");
	v = parse(b.p);
	ck_assert_ptr_null(v);
	ck_assert(strstr(err_get(), "nested more than 100 levels deep") != NULL);

	/* Dotted keys: more than 32 parts refused, hostile or not. */
	buf_reset(&b);
	for (i = 0; i < 40; i++)
		buf_adds(&b, "a.");
	buf_adds(&b, "z = 1");
	v = parse(b.p);
	ck_assert_ptr_null(v);
	ck_assert_str_eq(err_get(), "t.toml:1:65: key has more than 32 parts");

	/* Headers, dotted keys and arrays add up: the header's table is at
	 * depth 30, x at 31, y (the outer array) at 32. */
	for (int n = 69; n <= 70; n++) {
		buf_reset(&b);
		buf_adds(&b, "[k");
		for (i = 1; i < 30; i++)
			buf_adds(&b, ".k");
		buf_adds(&b, "]\nx.y = ");
		for (i = 0; i < n; i++)
			buf_adds(&b, "[");
		for (i = 0; i < n; i++)
			buf_adds(&b, "]");
		v = parse(b.p);
		if (n == 69) {
			ck_assert_msg(v != NULL, "%s", err_get());
			toml_free(v);
		} else {
			ck_assert_ptr_null(v);
			ck_assert_str_eq(err_get(), "t.toml:2:76: nested more than 100 levels deep");
		}
	}
	buf_free(&b);
}
END_TEST

START_TEST(test_size_and_values)
{
	struct toml_value	*v;
	char			*big;
	size_t			 n = TOML_MAX_SIZE + 1, i;

	big = xmalloc(n);
	memset(big, '\n', n);
	v = toml_parse(big, n, "big.toml");
	ck_assert_ptr_null(v);
	ck_assert_str_eq(err_get(), "big.toml: larger than 16777216 bytes");

	/* Too many values within the size limit: "a=[0,0,0,...]". */
	n = 4 + 2 * (TOML_MAX_VALUES + 1) + 1;
	ck_assert(n <= TOML_MAX_SIZE);
	memcpy(big, "a=[", 3);
	for (i = 0; i <= TOML_MAX_VALUES; i++)
		memcpy(big + 3 + 2 * i, "0,", 2);
	big[3 + 2 * i] = ']';
	v = toml_parse(big, 4 + 2 * i, "many.toml");
	ck_assert_ptr_null(v);
	ck_assert(strstr(err_get(), "more than 1048576 values") != NULL);
	free(big);
}
END_TEST

START_TEST(test_crlf_bom)
{
	static const char doc[] = "\xef\xbb\xbf# c\r\nk = \"\xc3\xa9\" # \xc3\xa9\r\n"
	    "m = \"\"\"\r\na\r\nb\\\r\n  c\"\"\"\r\n[t]\r\nx = 1";
	struct toml_value	*v;

	v = toml_parse(doc, sizeof(doc) - 1, "t.toml");
	ck_assert_msg(v != NULL, "%s", err_get());
	ck_assert_str_eq(toml_str(toml_get(v, "k")), "\xc3\xa9");
	ck_assert_str_eq(toml_str(toml_get(v, "m")), "a\nbc");
	/* The BOM takes no column. */
	ck_assert_uint_eq(toml_line(toml_get(v, "k")), 2);
	ck_assert_uint_eq(toml_column(toml_get(v, "k")), 5);
	ck_assert_uint_eq(toml_line(toml_get(toml_get(v, "t"), "x")), 8);
	toml_free(v);
}
END_TEST

START_TEST(test_tree)
{
	static const char doc[] =
	    "zeta = 1\nalpha = \"a\\u0000b\"\n"
	    "[[p]]\nname = \"one\"\n"
	    "[[p]]\nname = \"two\"\nw = [ {n = \"x\"}, 2.5, true, 1979-05-27T07:32:00-08:00 ]\n"
	    "[t]\n\"\xc3\xa9t\xc3\xa9\".k = 'v'\n";
	struct toml_value	*v, *p, *w, *e;
	const struct toml_datetime *dt;
	const char		*text;
	size_t			 len, i;
	double			 f;
	int			 b;
	int64_t			 n;

	v = parse(doc);
	ck_assert_msg(v != NULL, "%s", err_get());
	ck_assert_int_eq(toml_type(v), TOML_TABLE);
	ck_assert_uint_eq(toml_len(v), 4);
	/* Document order, not sorted. */
	ck_assert_str_eq(toml_key_at(v, 0, &e, NULL), "zeta");
	ck_assert_str_eq(toml_key_at(v, 1, &e, &len), "alpha");
	ck_assert_uint_eq(toml_str_len(e), 3);
	ck_assert_int_eq(memcmp(toml_str(e), "a\0b", 4), 0);
	ck_assert_ptr_null(toml_key_at(v, 4, &e, NULL));
	ck_assert_ptr_null(toml_get(v, "missing"));
	ck_assert_ptr_null(toml_get(toml_get(v, "zeta"), "x"));

	p = toml_get(v, "p");
	ck_assert_int_eq(toml_type(p), TOML_ARRAY);
	ck_assert_uint_eq(toml_len(p), 2);
	ck_assert_str_eq(toml_str(toml_get(toml_at(p, 1), "name")), "two");
	ck_assert_uint_eq(toml_line(toml_at(p, 1)), 5);
	ck_assert_uint_eq(toml_column(toml_at(p, 1)), 1);
	ck_assert_ptr_null(toml_at(p, 2));

	w = toml_get(toml_at(p, 1), "w");
	ck_assert_uint_eq(toml_len(w), 4);
	e = toml_at(w, 0);
	ck_assert_uint_eq(toml_line(e), 7);
	ck_assert_uint_eq(toml_column(e), 7);
	ck_assert_uint_eq(toml_column(toml_get(e, "n")), 12);
	ck_assert_int_eq(toml_float(toml_at(w, 1), &f), 0);
	ck_assert(f == 2.5);
	ck_assert_int_eq(toml_bool(toml_at(w, 2), &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(toml_int(toml_at(w, 2), &n), -1);
	ck_assert_ptr_null(toml_str(toml_at(w, 2)));
	dt = toml_datetime(toml_at(w, 3), &text);
	ck_assert_ptr_nonnull(dt);
	ck_assert_str_eq(text, "1979-05-27T07:32:00-08:00");
	ck_assert_int_eq(dt->year, 1979);
	ck_assert_int_eq(dt->second, 0);
	ck_assert_int_eq(dt->offset, -480);
	ck_assert_int_eq(toml_type(toml_at(w, 3)), TOML_DATETIME);
	ck_assert_str_eq(toml_type_name(TOML_DATETIME), "offset date-time");

	/* Columns count characters, not bytes. */
	e = toml_get(toml_get(toml_get(v, "t"), "\xc3\xa9t\xc3\xa9"), "k");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(toml_column(e), 11);

	/* Many keys in one table (the hash index). */
	toml_free(v);
	{
		struct buf d = BUF_INIT;

		for (i = 0; i < 1000; i++)
			buf_addf(&d, "k%zu = %zu\n", i, i);
		v = parse(d.p);
		ck_assert_msg(v != NULL, "%s", err_get());
		for (i = 0; i < 1000; i++) {
			char k[16];

			snprintf(k, sizeof(k), "k%zu", i);
			ck_assert_int_eq(toml_int(toml_get(v, k), &n), 0);
			ck_assert_int_eq(n, (int64_t)i);
			ck_assert_str_eq(toml_key_at(v, i, NULL, NULL), k);
		}
		buf_reset(&d);
		buf_adds(&d, "k1 = 0\n");
		for (i = 0; i < 100; i++)
			buf_addf(&d, "k%zu = %zu\n", i + 2, i);
		buf_adds(&d, "k1 = 1\n");
		toml_free(v);
		v = parse(d.p);
		ck_assert_ptr_null(v);
		ck_assert_str_eq(err_get(), "t.toml:102:1: duplicate key 'k1'");
		buf_free(&d);
	}
}
END_TEST

static Suite *
toml_suite(void)
{
	Suite	*s = suite_create("toml");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_errors, 0, ARRAY_SIZE(errors));
	tcase_add_test(tc, test_int_edges);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_size_and_values);
	tcase_add_test(tc, test_crlf_bom);
	tcase_add_test(tc, test_tree);
	suite_add_tcase(s, tc);
	return s;
}

KIT_MAIN(toml_suite)
