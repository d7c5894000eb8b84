/*
 * toml.c: a TOML 1.0 reader, its grammar.  One pass of recursive descent
 * over a buffer already checked to be UTF-8 (toml_scalar.c reads the
 * scalars, toml_tree.c keeps the tree), building the value tree as it
 * goes; the first problem stops the parse with "FILE:LINE:COLUMN: what".
 *
 * Design notes.  Redefinition rules are kept by a kind on every table and
 * array:
 *   IMPLICIT  a table a header named on its way ([a.b] creates a): a later
 *             [a] may define it once.
 *   HEADER    a table defined by [x] or an element of [[x]]; never again.
 *   DOTTED    a table a dotted key created (a.b = 1 creates a): more
 *             dotted keys may extend it, a header may pass through it,
 *             but none may define it.
 *   INLINE    an inline table and everything under it: sealed.
 *   STATIC    an array written as a value: sealed.
 *   AOT       an array of tables: [[x]] appends, [x.y] enters the last.
 * Dotted keys pass only through DOTTED tables, so a section can never add
 * to a table another section defined.
 *
 * Bounds: the document size, the number of values and the nesting depth
 * (of tables and arrays together, however they were written) are limited,
 * so neither recursion here nor in a caller's walk can exhaust the stack.
 * Positions are computed by a cursor that moves forward while the tree is
 * built (back only over a key on its line), so they cost one pass over
 * the text.  Must never read past the buffer: the text need not be
 * NUL-terminated.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"
#include "toml_impl.h"
#include "util.h"

static struct toml_value *parse_value(struct parser *, unsigned int);

/* ---- positions and errors ---------------------------------------------- */

void
tp_locate(struct parser *P, const char *at, unsigned int *line, unsigned int *col)
{
	const char	*q, *e = at;
	size_t		 off = (size_t)(at - P->buf);

	if (off < P->cur_off) {
		/* Back over a key on the same line, or from the start. */
		for (q = P->buf + P->cur_off; q > e && q[-1] != '\n'; q--)
			if ((q[-1] & 0xc0) != 0x80)
				P->cur_col--;
		if (q > e) {
			P->cur_off = 0;
			P->cur_line = P->cur_col = 1;
		} else
			P->cur_off = off;
	}
	for (q = P->buf + P->cur_off; q < e; q++) {
		if (*q == '\n') {
			P->cur_line++;
			P->cur_col = 1;
		} else if ((*q & 0xc0) != 0x80)
			P->cur_col++;
	}
	P->cur_off = off;
	*line = P->cur_line;
	*col = P->cur_col;
}

int __attribute__((format(printf, 3, 4)))
tp_fail(struct parser *P, const char *at, const char *fmt, ...)
{
	char		 msg[512];
	unsigned int	 line, col;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tp_locate(P, at, &line, &col);
	return err_set("%s:%u:%u: %s", P->file, line, col, msg);
}

/* The character at p, for a message. */
const char *
tp_what(const struct parser *P, const char *p)
{
	static char	s[16];
	unsigned char	c;

	if (p >= P->end)
		return "end of file";
	c = (unsigned char)*p;
	if (c == '\n' || (c == '\r' && p + 1 < P->end && p[1] == '\n'))
		return "end of line";
	if (c < 0x20 || c == 0x7f)
		snprintf(s, sizeof(s), "U+%04X", c);
	else if (c >= 0x80)
		return "a non-ASCII character";
	else
		snprintf(s, sizeof(s), "'%c'", c);
	return s;
}

/* A key for a message: printable, quoted as the caller wants. */
static char *
key_text(const struct keypath *kp, size_t upto)
{
	struct buf	b = BUF_INIT;
	size_t		i, j;

	for (i = 0; i < upto; i++) {
		if (i > 0)
			buf_adds(&b, ".");
		for (j = 0; j < kp->v[i].len; j++) {
			unsigned char c = (unsigned char)kp->v[i].s[j];

			if (c < 0x20 || c == 0x7f)
				buf_addf(&b, "\\x%02x", c);
			else
				buf_add(&b, &c, 1);
		}
	}
	if (b.p == NULL)
		buf_adds(&b, "");
	return buf_detach(&b);
}

/* ---- white space, comments, line ends ---------------------------------- */

static void
skip_ws(struct parser *P)
{
	while (P->p < P->end && (*P->p == ' ' || *P->p == '\t'))
		P->p++;
}

int
tp_at_newline(const struct parser *P, const char *p)
{
	return p < P->end && (*p == '\n' ||
	    (*p == '\r' && p + 1 < P->end && p[1] == '\n'));
}

int
tp_is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int
skip_comment(struct parser *P)
{
	if (P->p >= P->end || *P->p != '#')
		return 0;
	for (P->p++; P->p < P->end && !tp_at_newline(P, P->p); P->p++)
		if (tp_is_control((unsigned char)*P->p))
			return tp_fail(P, P->p, "%s in a comment", tp_what(P, P->p));
	return 0;
}

/* White space, comments and line ends (between expressions, in arrays). */
static int
skip_blank(struct parser *P)
{
	for (;;) {
		skip_ws(P);
		if (skip_comment(P) == -1)
			return -1;
		if (!tp_at_newline(P, P->p))
			return 0;
		P->p += *P->p == '\r' ? 2 : 1;
	}
}

/* The end of an expression: a comment, then a line end or the end. */
static int
end_line(struct parser *P, const char *after)
{
	skip_ws(P);
	if (skip_comment(P) == -1)
		return -1;
	if (P->p == P->end)
		return 0;
	if (tp_at_newline(P, P->p)) {
		P->p += *P->p == '\r' ? 2 : 1;
		return 0;
	}
	return tp_fail(P, P->p, "expected the end of the line after %s, found %s",
	    after, tp_what(P, P->p));
}

/* ---- keys ---------------------------------------------------------------- */

static int
is_bare(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static void
keypath_free(struct keypath *kp)
{
	size_t	i;

	for (i = 0; i < kp->n; i++)
		free(kp->v[i].owned);
	kp->n = 0;
}

/* A simple or dotted key, and the white space after it. */
static int
parse_key(struct parser *P, struct keypath *kp)
{
	struct keypart	*k;
	const char	*q;

	kp->n = 0;
	for (;;) {
		skip_ws(P);
		if (kp->n == KEY_MAX_PARTS)
			return tp_fail(P, P->p, "key has more than %d parts", KEY_MAX_PARTS);
		k = &kp->v[kp->n];
		k->at = P->p;
		k->owned = NULL;
		if (P->p < P->end && (*P->p == '"' || *P->p == '\'')) {
			if (tp_parse_string(P, &P->sb, 0) == -1)
				return -1;
			k->owned = xmalloc(P->sb.len + 1);
			memcpy(k->owned, P->sb.p ? P->sb.p : "", P->sb.len + 1);
			k->s = k->owned;
			k->len = P->sb.len;
		} else {
			for (q = P->p; q < P->end && is_bare(*q); q++)
				;
			if (q == P->p)
				return tp_fail(P, P->p, "expected a key, found %s", tp_what(P, P->p));
			k->s = P->p;
			k->len = (size_t)(q - P->p);
			P->p = q;
		}
		kp->n++;
		skip_ws(P);
		if (P->p >= P->end || *P->p != '.')
			return 0;
		P->p++;
	}
}

/* ---- arrays, inline tables, key/value pairs ---------------------------- */

static int	keyval(struct parser *, struct toml_value *);

static struct toml_value *
parse_array(struct parser *P, unsigned int depth)
{
	struct toml_value	*a, *v;

	if ((a = tp_new_value(P, TOML_ARRAY, P->p, depth)) == NULL)
		return NULL;
	a->kind = K_STATIC;
	P->p++;
	for (;;) {
		if (skip_blank(P) == -1)
			return NULL;
		if (P->p < P->end && *P->p == ']')
			break;
		if ((v = parse_value(P, depth + 1)) == NULL)
			return NULL;
		tp_array_push(P, a, v);
		if (skip_blank(P) == -1)
			return NULL;
		if (P->p < P->end && *P->p == ',') {
			P->p++;
			continue;
		}
		if (P->p < P->end && *P->p == ']')
			break;
		tp_fail(P, P->p, "expected ',' or ']' in an array, found %s", tp_what(P, P->p));
		return NULL;
	}
	P->p++;
	return a;
}

static struct toml_value *
parse_inline(struct parser *P, unsigned int depth)
{
	struct toml_value	*t;

	if ((t = tp_new_value(P, TOML_TABLE, P->p, depth)) == NULL)
		return NULL;
	P->p++;
	skip_ws(P);
	if (P->p < P->end && *P->p == '}') {
		P->p++;
		t->kind = K_INLINE;
		return t;
	}
	for (;;) {
		if (keyval(P, t) == -1)
			return NULL;
		skip_ws(P);
		if (P->p < P->end && *P->p == ',') {
			P->p++;
			continue;
		}
		if (P->p < P->end && *P->p == '}')
			break;
		tp_fail(P, P->p, "expected ',' or '}' in an inline table, found %s",
		    tp_what(P, P->p));
		return NULL;
	}
	P->p++;
	tp_freeze(t);
	return t;
}

static struct toml_value *
parse_value(struct parser *P, unsigned int depth)
{
	struct toml_value	*v;
	const char		*s = P->p;

	if (s >= P->end)
		goto bad;
	switch (*s) {
	case '"':
	case '\'':
		if (tp_parse_string(P, &P->sb, 1) == -1 ||
		    (v = tp_new_value(P, TOML_STRING, s, depth)) == NULL)
			return NULL;
		v->u.s.len = P->sb.len;
		v->u.s.p = tp_strndup(P, P->sb.p, P->sb.len);
		return v;
	case 't':
	case 'f':
		if (P->end - s >= 4 && memcmp(s, "true", 4) == 0) {
			P->p += 4;
		} else if (P->end - s >= 5 && memcmp(s, "false", 5) == 0) {
			P->p += 5;
		} else
			goto bad;
		if ((v = tp_new_value(P, TOML_BOOL, s, depth)) != NULL)
			v->u.b = *s == 't';
		return v;
	case '[':
		return parse_array(P, depth);
	case '{':
		return parse_inline(P, depth);
	}
	if (P->end - s >= 3 && tp_is_digit(s[0]) && tp_is_digit(s[1]) &&
	    (s[2] == ':' || (P->end - s >= 5 && tp_is_digit(s[2]) && tp_is_digit(s[3]) &&
	    s[4] == '-')))
		return tp_parse_datetime(P, depth);
	if (tp_is_digit(*s) || *s == '+' || *s == '-' || *s == 'i' || *s == 'n')
		return tp_parse_number(P, depth);
bad:
	tp_fail(P, s, "expected a value, found %s", tp_what(P, s));
	return NULL;
}

/* key = value, into table t (a section's table or an inline table). */
static int
keyval(struct parser *P, struct toml_value *t)
{
	struct keypath		 kp;
	struct toml_value	*child, *v;
	struct keypart		*k = NULL;
	char			*name;
	size_t			 i;
	int			 rc = -1;

	if (parse_key(P, &kp) == -1)
		goto out;
	if (P->p >= P->end || *P->p != '=') {
		tp_fail(P, P->p, "expected '=' after a key, found %s", tp_what(P, P->p));
		goto out;
	}
	P->p++;
	skip_ws(P);
	for (i = 0; i + 1 < kp.n; i++) {
		k = &kp.v[i];
		if ((child = tp_table_find(t, k->s, k->len)) == NULL) {
			if ((child = tp_new_value(P, TOML_TABLE, k->at, t->depth + 1)) == NULL)
				goto out;
			child->kind = K_DOTTED;
			tp_table_add(P, t, k->s, k->len, child);
		} else if (child->type != TOML_TABLE || child->kind != K_DOTTED) {
			name = key_text(&kp, i + 1);
			tp_fail(P, k->at, "key '%s' is already defined as %s", name,
			    tp_described(child));
			free(name);
			goto out;
		}
		t = child;
	}
	k = &kp.v[kp.n - 1];
	if (tp_table_find(t, k->s, k->len) != NULL) {
		name = key_text(&kp, kp.n);
		tp_fail(P, k->at, "duplicate key '%s'", name);
		free(name);
		goto out;
	}
	if ((v = parse_value(P, t->depth + 1U)) == NULL)
		goto out;
	tp_table_add(P, t, k->s, k->len, v);
	rc = 0;
out:
	keypath_free(&kp);
	return rc;
}

/* [a.b] or [[a.b]]: find or make the table and make it the section's. */
static int
header(struct parser *P)
{
	struct keypath		 kp;
	struct toml_value	*t = P->root, *child = NULL, *a;
	struct keypart		*k = NULL;
	const char		*at = P->p;
	char			*name = NULL;
	size_t			 i;
	int			 aot, rc = -1;

	aot = P->end - P->p >= 2 && P->p[1] == '[';
	P->p += aot ? 2 : 1;
	kp.n = 0;
	if (parse_key(P, &kp) == -1)
		goto out;
	if (P->p >= P->end || *P->p != ']' ||
	    (aot && (P->end - P->p < 2 || P->p[1] != ']'))) {
		tp_fail(P, P->p, "expected '%s' to close a table header, found %s",
		    aot ? "]]" : "]", tp_what(P, P->p));
		goto out;
	}
	P->p += aot ? 2 : 1;
	for (i = 0; i < kp.n; i++) {
		k = &kp.v[i];
		child = tp_table_find(t, k->s, k->len);
		if (i + 1 == kp.n)
			break;
		if (child == NULL) {
			if ((child = tp_new_value(P, TOML_TABLE, k->at, t->depth + 1)) == NULL)
				goto out;
			child->kind = K_IMPLICIT;
			tp_table_add(P, t, k->s, k->len, child);
		} else if (child->type == TOML_ARRAY && child->kind == K_AOT) {
			child = child->u.a.v[child->u.a.n - 1];
		} else if (child->type != TOML_TABLE || child->kind == K_INLINE) {
			name = key_text(&kp, i + 1);
			tp_fail(P, k->at, "key '%s' is already defined as %s", name,
			    tp_described(child));
			goto out;
		}
		t = child;
	}
	name = key_text(&kp, kp.n);
	if (aot) {
		if (child == NULL) {
			if ((a = tp_new_value(P, TOML_ARRAY, at, t->depth + 1)) == NULL)
				goto out;
			a->kind = K_AOT;
			tp_table_add(P, t, k->s, k->len, a);
		} else if (child->type == TOML_ARRAY && child->kind == K_AOT) {
			a = child;
		} else {
			tp_fail(P, at, "key '%s' is already defined as %s", name,
			    tp_described(child));
			goto out;
		}
		if ((child = tp_new_value(P, TOML_TABLE, at, a->depth + 1)) == NULL)
			goto out;
		tp_array_push(P, a, child);
	} else if (child == NULL) {
		if ((child = tp_new_value(P, TOML_TABLE, at, t->depth + 1)) == NULL)
			goto out;
		tp_table_add(P, t, k->s, k->len, child);
	} else if (child->type == TOML_TABLE && child->kind == K_IMPLICIT) {
		tp_locate(P, at, &child->line, &child->col);
	} else if (child->type == TOML_TABLE && child->kind != K_INLINE) {
		tp_fail(P, at, "table '%s' is already defined", name);
		goto out;
	} else {
		tp_fail(P, at, "key '%s' is already defined as %s", name,
		    tp_described(child));
		goto out;
	}
	child->kind = K_HEADER;
	P->cur = child;
	rc = end_line(P, "a table header");
out:
	free(name);
	keypath_free(&kp);
	return rc;
}

/* ---- the document and the accessors ------------------------------------ */

struct toml_value *
toml_parse(const char *text, size_t len, const char *filename)
{
	struct parser	 P;
	int		 rc = 0;

	memset(&P, 0, sizeof(P));
	P.file = filename;
	P.cur_line = P.cur_col = 1;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	P.buf = P.p = text;
	P.end = text + len;
	if (len > TOML_MAX_SIZE) {
		err_set("%s: larger than %zu bytes", filename, TOML_MAX_SIZE);
		return NULL;
	}
	if (tp_check_utf8(&P) == -1)
		return NULL;
	P.doc = xcalloc(1, sizeof(*P.doc));
	P.root = &P.doc->root;
	P.root->type = TOML_TABLE;
	P.root->kind = K_HEADER;
	P.root->line = P.root->col = 1;
	P.cur = P.root;
	for (;;) {
		if ((rc = skip_blank(&P)) == -1 || P.p >= P.end)
			break;
		if (*P.p == '[')
			rc = header(&P);
		else if ((rc = keyval(&P, P.cur)) == 0)
			rc = end_line(&P, "a value");
		if (rc == -1)
			break;
	}
	buf_free(&P.sb);
	free(P.keys);
	if (rc == -1) {
		toml_free(P.root);
		return NULL;
	}
	return P.root;
}
