/*
 * toml.c: a TOML 1.0 reader.  One pass of recursive descent over a buffer
 * already checked to be UTF-8, building the value tree as it goes; the
 * first problem stops the parse with "FILE:LINE:COLUMN: what".
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
 * The nodes, keys and strings of a document are carved from one arena the
 * root owns, so building the tree costs few allocations and freeing it
 * fewer.  Positions are computed by a cursor that only moves forward while the
 * tree is built, so they cost one pass over the text.  Must never read
 * past the buffer: the text need not be NUL-terminated.
 */
#include "config.h"

#include <sys/mman.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"
#include "util.h"

enum kind { K_NONE, K_IMPLICIT, K_HEADER, K_DOTTED, K_INLINE, K_STATIC, K_AOT };

struct toml_kv {
	char			*key;
	size_t			 keylen;
	struct toml_value	*val;
};

struct toml_value {
	unsigned char	 type;
	unsigned char	 kind;
	unsigned short	 depth;
	unsigned int	 line;
	unsigned int	 col;
	union {
		struct {
			char			*p;
			size_t			 len;
			struct toml_datetime	*dt;
		} s;
		int64_t	 i;
		double	 f;
		int	 b;
		struct {
			struct toml_value	**v;
			size_t			  n, cap;
		} a;
		struct {
			struct toml_kv	*kv;
			size_t		 n, cap;
			uint32_t	*idx;	/* hash index (n >= IDX_MIN) */
			size_t		 nidx;	/* its size, a power of two */
		} t;
	} u;
};

#define IDX_MIN	16

/* Every node, key and string of a document lives in its arena. */
#define CHUNK_MIN	((size_t)64 << 10)
#define CHUNK_MAX	((size_t)4 << 20)

struct chunk {
	struct chunk	*next;
	size_t		 used, size;
	int		 mapped;
	max_align_t	 data[];
};

struct toml_doc {
	struct toml_value	 root;	/* first: a root is its document */
	struct chunk		*chunks;
};

struct keypart {
	const char	*at;
	const char	*s;
	size_t		 len;
	char		*owned;
};

#define KEY_MAX_PARTS	32

struct keypath {
	struct keypart	 v[KEY_MAX_PARTS];
	size_t		 n;
};

struct parser {
	struct toml_doc		*doc;
	const char		*buf, *p, *end;
	const char		*file;
	size_t			 cur_off;	/* the position cursor */
	unsigned int		 cur_line, cur_col;
	size_t			 nvalues;
	struct toml_value	*root;
	struct toml_value	*cur;		/* the table of this section */
	struct buf		 sb;
	struct toml_kv		*keys;		/* interned keys (val unused) */
	size_t			 nkeys, keycap;	/* keycap: a power of two */
};

static struct toml_value *parse_value(struct parser *, unsigned int);

/* ---- positions and errors ---------------------------------------------- */

static void
locate(struct parser *P, const char *at, unsigned int *line, unsigned int *col)
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

static int __attribute__((format(printf, 3, 4)))
fail(struct parser *P, const char *at, const char *fmt, ...)
{
	char		 msg[512];
	unsigned int	 line, col;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	locate(P, at, &line, &col);
	return err_set("%s:%u:%u: %s", P->file, line, col, msg);
}

/* The character at p, for a message. */
static const char *
what(const struct parser *P, const char *p)
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

static int
check_utf8(struct parser *P)
{
	const unsigned char	*s = (const unsigned char *)P->buf;
	const unsigned char	*e = (const unsigned char *)P->end;
	uint32_t		 cp, min;
	int			 n, i;

	while (s < e) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			n = 1, cp = *s & 0x1f, min = 0x80;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 2, cp = *s & 0x0f, min = 0x800;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 3, cp = *s & 0x07, min = 0x10000;
		} else
			goto bad;
		if (e - s <= n)
			goto bad;
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		s += n + 1;
	}
	return 0;
bad:
	return fail(P, (const char *)s, "invalid UTF-8 (byte 0x%02x)", *s);
}

/* ---- values and tables --------------------------------------------------- */

/*
 * Chunks are mapped with their pages populated at once: touching fresh
 * memory a page at a time costs more than the parse where page faults are
 * dear (virtual machines).
 */
static struct chunk *
chunk_new(size_t size)
{
	struct chunk	*c;

	c = mmap(NULL, sizeof(*c) + size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (c == MAP_FAILED) {
		c = xmalloc(sizeof(*c) + size);
		c->mapped = 0;
	} else
		c->mapped = 1;
	c->size = size;
	return c;
}

static void
chunk_free(struct chunk *c)
{
	if (c->mapped)
		munmap(c, sizeof(*c) + c->size);
	else
		free(c);
}

/* n bytes aligned to align (a power of two). */
static void *
arena_get(struct parser *P, size_t n, size_t align)
{
	struct chunk	*c = P->doc->chunks;
	size_t		 size;
	void		*p;

	if (c != NULL)
		c->used = (c->used + align - 1) & ~(align - 1);
	if (c == NULL || c->used > c->size || c->size - c->used < n) {
		/* Chunks double: a large document makes few of them. */
		size = c == NULL ? CHUNK_MIN : c->size * 2 > CHUNK_MAX ?
		    CHUNK_MAX : c->size * 2;
		if (size < n)
			size = n;
		c = chunk_new(size);
		c->used = 0;
		c->next = P->doc->chunks;
		P->doc->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

static void *
arena_alloc(struct parser *P, size_t n)
{
	return arena_get(P, n, sizeof(void *) > sizeof(double) ?
	    sizeof(void *) : sizeof(double));
}

static void *
arena_grow(struct parser *P, void *old, size_t oldn, size_t n, size_t size)
{
	void	*p = arena_alloc(P, n * size);

	if (oldn > 0)
		memcpy(p, old, oldn * size);
	return p;
}

static char *
arena_strndup(struct parser *P, const char *s, size_t len)
{
	char	*p = arena_get(P, len + 1, 1);

	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static struct toml_value *
new_value(struct parser *P, enum toml_type type, const char *at, unsigned int depth)
{
	struct toml_value	*v;

	if (depth > TOML_MAX_DEPTH) {
		fail(P, at, "nested more than %d levels deep", TOML_MAX_DEPTH);
		return NULL;
	}
	if (++P->nvalues > TOML_MAX_VALUES) {
		fail(P, at, "more than %zu values", TOML_MAX_VALUES);
		return NULL;
	}
	v = arena_alloc(P, sizeof(*v));
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->depth = depth;
	locate(P, at, &v->line, &v->col);
	return v;
}

static uint32_t
hash_key(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;

	while (len-- > 0)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The document's one copy of a key: keys repeat in every table. */
static char *
intern(struct parser *P, const char *key, size_t len)
{
	struct toml_kv	*k, *old = P->keys;
	size_t		 i, j, n = P->keycap;

	if (P->nkeys * 2 >= P->keycap) {
		P->keycap = n ? n * 2 : 256;
		P->keys = xcalloc(P->keycap, sizeof(*P->keys));
		for (i = 0; i < n; i++) {
			if (old[i].key == NULL)
				continue;
			j = hash_key(old[i].key, old[i].keylen) & (P->keycap - 1);
			while (P->keys[j].key != NULL)
				j = (j + 1) & (P->keycap - 1);
			P->keys[j] = old[i];
		}
		free(old);
	}
	for (j = hash_key(key, len) & (P->keycap - 1); P->keys[j].key != NULL;
	    j = (j + 1) & (P->keycap - 1)) {
		k = &P->keys[j];
		if (k->keylen == len && memcmp(k->key, key, len) == 0)
			return k->key;
	}
	P->nkeys++;
	P->keys[j].keylen = len;
	return P->keys[j].key = arena_strndup(P, key, len);
}

static void
index_put(struct toml_value *t, size_t i)
{
	size_t	mask = t->u.t.nidx - 1;
	size_t	j = hash_key(t->u.t.kv[i].key, t->u.t.kv[i].keylen) & mask;

	while (t->u.t.idx[j] != 0)
		j = (j + 1) & mask;
	t->u.t.idx[j] = (uint32_t)i + 1;
}

static struct toml_value *
table_find(const struct toml_value *t, const char *key, size_t len)
{
	const struct toml_kv	*kv;
	size_t			 i, j, mask;

	if (t->u.t.idx == NULL) {
		for (i = 0; i < t->u.t.n; i++) {
			kv = &t->u.t.kv[i];
			if (kv->keylen == len && memcmp(kv->key, key, len) == 0)
				return kv->val;
		}
		return NULL;
	}
	mask = t->u.t.nidx - 1;
	for (j = hash_key(key, len) & mask; t->u.t.idx[j] != 0; j = (j + 1) & mask) {
		kv = &t->u.t.kv[t->u.t.idx[j] - 1];
		if (kv->keylen == len && memcmp(kv->key, key, len) == 0)
			return kv->val;
	}
	return NULL;
}

static void
table_add(struct parser *P, struct toml_value *t, const char *key, size_t len, struct toml_value *val)
{
	struct toml_kv	*kv;
	size_t		 i;

	if (t->u.t.n == t->u.t.cap) {
		t->u.t.cap = t->u.t.cap ? t->u.t.cap * 2 : 4;
		t->u.t.kv = arena_grow(P, t->u.t.kv, t->u.t.n, t->u.t.cap,
		    sizeof(*kv));
	}
	kv = &t->u.t.kv[t->u.t.n++];
	kv->key = intern(P, key, len);
	kv->keylen = len;
	kv->val = val;
	if (t->u.t.n < IDX_MIN)
		return;
	if (t->u.t.n * 2 > t->u.t.nidx) {
		t->u.t.nidx = t->u.t.nidx ? t->u.t.nidx * 2 : 4 * IDX_MIN;
		t->u.t.idx = arena_alloc(P, t->u.t.nidx * sizeof(*t->u.t.idx));
		memset(t->u.t.idx, 0, t->u.t.nidx * sizeof(*t->u.t.idx));
		for (i = 0; i < t->u.t.n; i++)
			index_put(t, i);
	} else
		index_put(t, t->u.t.n - 1);
}

static void
array_push(struct parser *P, struct toml_value *a, struct toml_value *v)
{
	if (a->u.a.n == a->u.a.cap) {
		a->u.a.cap = a->u.a.cap ? a->u.a.cap * 2 : 4;
		a->u.a.v = arena_grow(P, a->u.a.v, a->u.a.n, a->u.a.cap,
		    sizeof(*a->u.a.v));
	}
	a->u.a.v[a->u.a.n++] = v;
}

/* What a value is, for a message: "a table", "an array of tables"... */
static const char *
described(const struct toml_value *v)
{
	switch (v->type) {
	case TOML_TABLE:
		return v->kind == K_INLINE ? "an inline table" : "a table";
	case TOML_ARRAY:
		return v->kind == K_AOT ? "an array of tables" : "an array";
	case TOML_INTEGER:
		return "an integer";
	case TOML_DATETIME:
		return "an offset date-time";
	default:
		return v->type == TOML_STRING ? "a string" : v->type == TOML_FLOAT ?
		    "a float" : v->type == TOML_BOOL ? "a boolean" : "a date-time";
	}
}

/* Seal the tables dotted keys created inside an inline table. */
static void
freeze(struct toml_value *t)
{
	size_t	i;

	t->kind = K_INLINE;
	for (i = 0; i < t->u.t.n; i++) {
		struct toml_value *v = t->u.t.kv[i].val;

		if (v->type == TOML_TABLE && v->kind == K_DOTTED)
			freeze(v);
	}
}

/* ---- white space, comments, line ends ---------------------------------- */

static void
skip_ws(struct parser *P)
{
	while (P->p < P->end && (*P->p == ' ' || *P->p == '\t'))
		P->p++;
}

static int
at_newline(const struct parser *P, const char *p)
{
	return p < P->end && (*p == '\n' ||
	    (*p == '\r' && p + 1 < P->end && p[1] == '\n'));
}

static int
is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int
skip_comment(struct parser *P)
{
	if (P->p >= P->end || *P->p != '#')
		return 0;
	for (P->p++; P->p < P->end && !at_newline(P, P->p); P->p++)
		if (is_control((unsigned char)*P->p))
			return fail(P, P->p, "%s in a comment", what(P, P->p));
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
		if (!at_newline(P, P->p))
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
	if (at_newline(P, P->p)) {
		P->p += *P->p == '\r' ? 2 : 1;
		return 0;
	}
	return fail(P, P->p, "expected the end of the line after %s, found %s",
	    after, what(P, P->p));
}

/* ---- strings ------------------------------------------------------------- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
put_utf8(struct buf *b, uint32_t cp)
{
	unsigned char	u[4];
	size_t		n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = 0xc0 | cp >> 6, u[1] = 0x80 | (cp & 0x3f), n = 2;
	} else if (cp < 0x10000) {
		u[0] = 0xe0 | cp >> 12, u[1] = 0x80 | (cp >> 6 & 0x3f);
		u[2] = 0x80 | (cp & 0x3f), n = 3;
	} else {
		u[0] = 0xf0 | cp >> 18, u[1] = 0x80 | (cp >> 12 & 0x3f);
		u[2] = 0x80 | (cp >> 6 & 0x3f), u[3] = 0x80 | (cp & 0x3f), n = 4;
	}
	buf_add(b, u, n);
}

/* After the backslash of a basic string. */
static int
escape(struct parser *P, struct buf *b, int ml)
{
	static const char	from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char		*bs = P->p - 1, *q, *c;
	uint32_t		 cp = 0;
	int			 n, i, h;

	if (P->p < P->end && *P->p != '\0' && (c = strchr(from, *P->p)) != NULL) {
		buf_add(b, &to[c - from], 1);
		P->p++;
		return 0;
	}
	if (P->p < P->end && (*P->p == 'u' || *P->p == 'U')) {
		n = *P->p == 'u' ? 4 : 8;
		if (P->end - P->p <= n)
			return fail(P, bs, "incomplete \\%c escape", *P->p);
		for (i = 1; i <= n; i++) {
			if ((h = hexval(P->p[i])) < 0)
				return fail(P, bs, "invalid \\%c escape", *P->p);
			cp = cp << 4 | (uint32_t)h;
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return fail(P, bs, "escape \\%c%.*s is no Unicode scalar value",
			    *P->p, n, P->p + 1);
		put_utf8(b, cp);
		P->p += n + 1;
		return 0;
	}
	if (ml) {
		/* A line-ending backslash eats white space and line ends. */
		for (q = P->p; q < P->end && (*q == ' ' || *q == '\t'); q++)
			;
		if (at_newline(P, q)) {
			P->p = q;
			while (P->p < P->end) {
				if (*P->p == ' ' || *P->p == '\t')
					P->p++;
				else if (at_newline(P, P->p))
					P->p += *P->p == '\r' ? 2 : 1;
				else
					break;
			}
			return 0;
		}
	}
	if (P->p < P->end && *P->p > 0x20 && *P->p < 0x7f)
		return fail(P, bs, "invalid escape sequence '\\%c'", *P->p);
	return fail(P, bs, "invalid escape sequence");
}

/*
 * A string at P->p (its opening quote) into b.  Keys pass ml_ok 0: there
 * a quote pair is an empty string.
 */
static int
parse_string(struct parser *P, struct buf *b, int ml_ok)
{
	const char	*start = P->p, *q;
	char		 quote = *P->p;
	int		 ml = 0, n;

	buf_reset(b);
	if (ml_ok && P->end - P->p >= 3 && P->p[1] == quote && P->p[2] == quote) {
		ml = 1;
		P->p += 3;
		if (at_newline(P, P->p))
			P->p += *P->p == '\r' ? 2 : 1;
	} else
		P->p++;
	for (;;) {
		if (P->p >= P->end)
			return fail(P, start, "unterminated string");
		if (*P->p == quote) {
			if (!ml) {
				P->p++;
				return 0;
			}
			for (n = 0; P->p + n < P->end && P->p[n] == quote; n++)
				;
			if (n >= 3) {
				if (n > 5)
					return fail(P, P->p, "too many quotes closing a string");
				buf_add(b, P->p, (size_t)n - 3);
				P->p += n;
				return 0;
			}
			buf_add(b, P->p, (size_t)n);
			P->p += n;
		} else if (*P->p == '\\' && quote == '"') {
			P->p++;
			if (escape(P, b, ml) == -1)
				return -1;
		} else if (*P->p == '\n' || *P->p == '\r') {
			if (!ml)
				return fail(P, P->p, "line end in a single-line string");
			if (!at_newline(P, P->p))
				return fail(P, P->p, "carriage return without a line feed");
			buf_add(b, "\n", 1);
			P->p += *P->p == '\r' ? 2 : 1;
		} else if (is_control((unsigned char)*P->p)) {
			return fail(P, P->p, "%s in a string", what(P, P->p));
		} else {
			for (q = P->p; q < P->end && *q != quote && *q != '\\' &&
			    !is_control((unsigned char)*q); q++)
				;
			if (q == P->p)	/* a backslash in a literal string */
				q++;
			buf_add(b, P->p, (size_t)(q - P->p));
			P->p = q;
		}
	}
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
			return fail(P, P->p, "key has more than %d parts", KEY_MAX_PARTS);
		k = &kp->v[kp->n];
		k->at = P->p;
		k->owned = NULL;
		if (P->p < P->end && (*P->p == '"' || *P->p == '\'')) {
			if (parse_string(P, &P->sb, 0) == -1)
				return -1;
			k->owned = xmalloc(P->sb.len + 1);
			memcpy(k->owned, P->sb.p ? P->sb.p : "", P->sb.len + 1);
			k->s = k->owned;
			k->len = P->sb.len;
		} else {
			for (q = P->p; q < P->end && is_bare(*q); q++)
				;
			if (q == P->p)
				return fail(P, P->p, "expected a key, found %s", what(P, P->p));
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

/* ---- numbers and date-times ------------------------------------------- */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Digits of a radix, underscores only between two digits. */
static const char *
scan_digits(const char *s, const char *end, int base)
{
	if (s >= end || hexval(*s) < 0 || hexval(*s) >= base)
		return NULL;
	for (s++; s < end; s++) {
		if (*s == '_') {
			if (s + 1 >= end || hexval(s[1]) < 0 || hexval(s[1]) >= base)
				return NULL;
		} else if (hexval(*s) < 0 || hexval(*s) >= base)
			break;
	}
	return s;
}

/* Accumulate digits (underscores skipped) of base into *out, at most max. */
static int
digits_value(const char *s, const char *e, int base, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0, d;

	for (; s < e; s++) {
		if (*s == '_')
			continue;
		d = (uint64_t)hexval(*s);
		if (v > (max - d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return 0;
}

static struct toml_value *
parse_number(struct parser *P, unsigned int depth)
{
	struct toml_value	*v;
	const char		*start = P->p, *s = P->p, *e, *digits;
	int			 neg = 0, sign = 0, isfloat = 0, base;
	uint64_t		 mag;
	char			*end;

	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		sign = 1;
		s++;
	}
	if (P->end - s >= 3 && (memcmp(s, "inf", 3) == 0 || memcmp(s, "nan", 3) == 0)) {
		if ((v = new_value(P, TOML_FLOAT, start, depth)) == NULL)
			return NULL;
		v->u.f = *s == 'i' ? (neg ? -INFINITY : INFINITY) : (neg ? -NAN : NAN);
		P->p = s + 3;
		return v;
	}
	if (!sign && P->end - s >= 2 && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		digits = s + 2;
		if ((e = scan_digits(digits, P->end, base)) == NULL) {
			fail(P, start, "invalid %s integer",
			    base == 16 ? "hexadecimal" : base == 8 ? "octal" : "binary");
			return NULL;
		}
		if (digits_value(digits, e, base, INT64_MAX, &mag) == -1) {
			fail(P, start, "integer does not fit in 64 bits");
			return NULL;
		}
		if ((v = new_value(P, TOML_INTEGER, start, depth)) == NULL)
			return NULL;
		v->u.i = (int64_t)mag;
		P->p = e;
		return v;
	}
	digits = s;
	if ((e = scan_digits(s, P->end, 10)) == NULL) {
		fail(P, start, "invalid number");
		return NULL;
	}
	if (*s == '0' && e - s > 1) {
		fail(P, start, "leading zero in a number");
		return NULL;
	}
	s = e;
	if (s < P->end && *s == '.') {
		if ((s = scan_digits(s + 1, P->end, 10)) == NULL) {
			fail(P, start, "invalid float: digits must follow '.'");
			return NULL;
		}
		isfloat = 1;
	}
	if (s < P->end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < P->end && (*s == '+' || *s == '-'))
			s++;
		if ((s = scan_digits(s, P->end, 10)) == NULL) {
			fail(P, start, "invalid float exponent");
			return NULL;
		}
		isfloat = 1;
	}
	if (isfloat) {
		buf_reset(&P->sb);
		for (e = start; e < s; e++)
			if (*e != '_')
				buf_add(&P->sb, e, 1);
		if ((v = new_value(P, TOML_FLOAT, start, depth)) == NULL)
			return NULL;
		v->u.f = strtod(P->sb.p, &end);
		P->p = s;
		return v;
	}
	if (digits_value(digits, e, 10, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX,
	    &mag) == -1) {
		fail(P, start, "integer does not fit in 64 bits");
		return NULL;
	}
	if ((v = new_value(P, TOML_INTEGER, start, depth)) == NULL)
		return NULL;
	v->u.i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	P->p = e;
	return v;
}

/* n decimal digits at s, within the buffer. */
static int
num(const struct parser *P, const char *s, int n, int *out)
{
	int	v = 0;

	if (P->end - s < n)
		return -1;
	while (n-- > 0) {
		if (!is_digit(*s))
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	*out = v;
	return 0;
}

static int
days_in(int year, int month)
{
	static const int	days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return days[month - 1];
}

/* HH:MM:SS[.frac] at *sp. */
static int
parse_time(struct parser *P, const char **sp, struct toml_datetime *dt)
{
	const char	*s = *sp;
	long		 scale = 100000000;

	if (P->end - s < 8 || num(P, s, 2, &dt->hour) == -1 || s[2] != ':' ||
	    num(P, s + 3, 2, &dt->minute) == -1 || s[5] != ':' ||
	    num(P, s + 6, 2, &dt->second) == -1)
		return fail(P, s, "invalid time: expected HH:MM:SS");
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
		return fail(P, s, "invalid time: %.8s is out of range", s);
	s += 8;
	if (s < P->end && *s == '.') {
		if (s + 1 >= P->end || !is_digit(s[1]))
			return fail(P, s, "invalid time: digits must follow '.'");
		for (s++; s < P->end && is_digit(*s); s++) {
			dt->nanosecond += (*s - '0') * scale;
			scale /= 10;
		}
	}
	*sp = s;
	return 0;
}

static struct toml_value *
parse_datetime(struct parser *P, unsigned int depth)
{
	struct toml_datetime	 dt;
	struct toml_value	*v;
	enum toml_type		 type;
	const char		*s = P->p;
	char			*c;
	int			 oh, om;

	memset(&dt, 0, sizeof(dt));
	if (P->end - s >= 5 && s[4] == '-') {
		if (num(P, s, 4, &dt.year) == -1 || num(P, s + 5, 2, &dt.month) == -1 ||
		    P->end - s < 8 || s[7] != '-' || num(P, s + 8, 2, &dt.day) == -1) {
			fail(P, s, "invalid date: expected YYYY-MM-DD");
			return NULL;
		}
		if (dt.month < 1 || dt.month > 12 || dt.day < 1 ||
		    dt.day > days_in(dt.year, dt.month)) {
			fail(P, s, "invalid date: %.10s does not exist", s);
			return NULL;
		}
		s += 10;
		type = TOML_DATE_LOCAL;
		if (s < P->end && (*s == 'T' || *s == 't' ||
		    (*s == ' ' && s + 1 < P->end && is_digit(s[1])))) {
			s++;
			if (parse_time(P, &s, &dt) == -1)
				return NULL;
			type = TOML_DATETIME_LOCAL;
			if (s < P->end && (*s == 'Z' || *s == 'z')) {
				s++;
				type = TOML_DATETIME;
			} else if (s < P->end && (*s == '+' || *s == '-')) {
				if (num(P, s + 1, 2, &oh) == -1 || P->end - s < 6 ||
				    s[3] != ':' || num(P, s + 4, 2, &om) == -1 ||
				    oh > 23 || om > 59) {
					fail(P, s, "invalid time offset: expected +HH:MM");
					return NULL;
				}
				dt.offset = (*s == '-' ? -1 : 1) * (oh * 60 + om);
				s += 6;
				type = TOML_DATETIME;
			}
		}
	} else {
		if (parse_time(P, &s, &dt) == -1)
			return NULL;
		type = TOML_TIME_LOCAL;
	}
	if ((v = new_value(P, type, P->p, depth)) == NULL)
		return NULL;
	v->u.s.dt = arena_alloc(P, sizeof(dt));
	*v->u.s.dt = dt;
	v->u.s.len = (size_t)(s - P->p);
	v->u.s.p = arena_strndup(P, P->p, v->u.s.len);
	for (c = v->u.s.p; *c != '\0'; c++) {
		if (*c == 't' || *c == ' ')
			*c = 'T';
		else if (*c == 'z')
			*c = 'Z';
	}
	P->p = s;
	return v;
}

/* ---- arrays, inline tables, key/value pairs ---------------------------- */

static int	keyval(struct parser *, struct toml_value *);

static struct toml_value *
parse_array(struct parser *P, unsigned int depth)
{
	struct toml_value	*a, *v;

	if ((a = new_value(P, TOML_ARRAY, P->p, depth)) == NULL)
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
		array_push(P, a, v);
		if (skip_blank(P) == -1)
			return NULL;
		if (P->p < P->end && *P->p == ',') {
			P->p++;
			continue;
		}
		if (P->p < P->end && *P->p == ']')
			break;
		fail(P, P->p, "expected ',' or ']' in an array, found %s", what(P, P->p));
		return NULL;
	}
	P->p++;
	return a;
}

static struct toml_value *
parse_inline(struct parser *P, unsigned int depth)
{
	struct toml_value	*t;

	if ((t = new_value(P, TOML_TABLE, P->p, depth)) == NULL)
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
		fail(P, P->p, "expected ',' or '}' in an inline table, found %s",
		    what(P, P->p));
		return NULL;
	}
	P->p++;
	freeze(t);
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
		if (parse_string(P, &P->sb, 1) == -1 ||
		    (v = new_value(P, TOML_STRING, s, depth)) == NULL)
			return NULL;
		v->u.s.len = P->sb.len;
		v->u.s.p = arena_strndup(P, P->sb.p, P->sb.len);
		return v;
	case 't':
	case 'f':
		if (P->end - s >= 4 && memcmp(s, "true", 4) == 0) {
			P->p += 4;
		} else if (P->end - s >= 5 && memcmp(s, "false", 5) == 0) {
			P->p += 5;
		} else
			goto bad;
		if ((v = new_value(P, TOML_BOOL, s, depth)) != NULL)
			v->u.b = *s == 't';
		return v;
	case '[':
		return parse_array(P, depth);
	case '{':
		return parse_inline(P, depth);
	}
	if (P->end - s >= 3 && is_digit(s[0]) && is_digit(s[1]) &&
	    (s[2] == ':' || (P->end - s >= 5 && is_digit(s[2]) && is_digit(s[3]) &&
	    s[4] == '-')))
		return parse_datetime(P, depth);
	if (is_digit(*s) || *s == '+' || *s == '-' || *s == 'i' || *s == 'n')
		return parse_number(P, depth);
bad:
	fail(P, s, "expected a value, found %s", what(P, s));
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
		fail(P, P->p, "expected '=' after a key, found %s", what(P, P->p));
		goto out;
	}
	P->p++;
	skip_ws(P);
	for (i = 0; i + 1 < kp.n; i++) {
		k = &kp.v[i];
		if ((child = table_find(t, k->s, k->len)) == NULL) {
			if ((child = new_value(P, TOML_TABLE, k->at, t->depth + 1)) == NULL)
				goto out;
			child->kind = K_DOTTED;
			table_add(P, t, k->s, k->len, child);
		} else if (child->type != TOML_TABLE || child->kind != K_DOTTED) {
			name = key_text(&kp, i + 1);
			fail(P, k->at, "key '%s' is already defined as %s", name,
			    described(child));
			free(name);
			goto out;
		}
		t = child;
	}
	k = &kp.v[kp.n - 1];
	if (table_find(t, k->s, k->len) != NULL) {
		name = key_text(&kp, kp.n);
		fail(P, k->at, "duplicate key '%s'", name);
		free(name);
		goto out;
	}
	if ((v = parse_value(P, t->depth + 1U)) == NULL)
		goto out;
	table_add(P, t, k->s, k->len, v);
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
		fail(P, P->p, "expected '%s' to close a table header, found %s",
		    aot ? "]]" : "]", what(P, P->p));
		goto out;
	}
	P->p += aot ? 2 : 1;
	for (i = 0; i < kp.n; i++) {
		k = &kp.v[i];
		child = table_find(t, k->s, k->len);
		if (i + 1 == kp.n)
			break;
		if (child == NULL) {
			if ((child = new_value(P, TOML_TABLE, k->at, t->depth + 1)) == NULL)
				goto out;
			child->kind = K_IMPLICIT;
			table_add(P, t, k->s, k->len, child);
		} else if (child->type == TOML_ARRAY && child->kind == K_AOT) {
			child = child->u.a.v[child->u.a.n - 1];
		} else if (child->type != TOML_TABLE || child->kind == K_INLINE) {
			name = key_text(&kp, i + 1);
			fail(P, k->at, "key '%s' is already defined as %s", name,
			    described(child));
			goto out;
		}
		t = child;
	}
	name = key_text(&kp, kp.n);
	if (aot) {
		if (child == NULL) {
			if ((a = new_value(P, TOML_ARRAY, at, t->depth + 1)) == NULL)
				goto out;
			a->kind = K_AOT;
			table_add(P, t, k->s, k->len, a);
		} else if (child->type == TOML_ARRAY && child->kind == K_AOT) {
			a = child;
		} else {
			fail(P, at, "key '%s' is already defined as %s", name,
			    described(child));
			goto out;
		}
		if ((child = new_value(P, TOML_TABLE, at, a->depth + 1)) == NULL)
			goto out;
		array_push(P, a, child);
	} else if (child == NULL) {
		if ((child = new_value(P, TOML_TABLE, at, t->depth + 1)) == NULL)
			goto out;
		table_add(P, t, k->s, k->len, child);
	} else if (child->type == TOML_TABLE && child->kind == K_IMPLICIT) {
		locate(P, at, &child->line, &child->col);
	} else if (child->type == TOML_TABLE && child->kind != K_INLINE) {
		fail(P, at, "table '%s' is already defined", name);
		goto out;
	} else {
		fail(P, at, "key '%s' is already defined as %s", name,
		    described(child));
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
	if (check_utf8(&P) == -1)
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

void
toml_free(struct toml_value *root)
{
	struct toml_doc	*doc = (struct toml_doc *)root;
	struct chunk	*c, *next;

	if (root == NULL)
		return;
	if (root->depth != 0)
		BUG("toml_free of a value that is no document");
	for (c = doc->chunks; c != NULL; c = next) {
		next = c->next;
		chunk_free(c);
	}
	free(doc);
}

enum toml_type
toml_type(const struct toml_value *v)
{
	return (enum toml_type)v->type;
}

const char *
toml_type_name(enum toml_type t)
{
	static const char *const names[] = {
		"table", "array", "string", "integer", "float", "boolean",
		"offset date-time", "local date-time", "local date", "local time"
	};

	return (size_t)t < ARRAY_SIZE(names) ? names[t] : "?";
}

unsigned int
toml_line(const struct toml_value *v)
{
	return v->line;
}

unsigned int
toml_column(const struct toml_value *v)
{
	return v->col;
}

size_t
toml_len(const struct toml_value *v)
{
	if (v->type == TOML_TABLE)
		return v->u.t.n;
	if (v->type == TOML_ARRAY)
		return v->u.a.n;
	return 0;
}

struct toml_value *
toml_get(const struct toml_value *t, const char *key)
{
	if (t == NULL || t->type != TOML_TABLE)
		return NULL;
	return table_find(t, key, strlen(key));
}

const char *
toml_key_at(const struct toml_value *t, size_t i, struct toml_value **val,
    size_t *keylen)
{
	if (t->type != TOML_TABLE || i >= t->u.t.n)
		return NULL;
	if (val != NULL)
		*val = t->u.t.kv[i].val;
	if (keylen != NULL)
		*keylen = t->u.t.kv[i].keylen;
	return t->u.t.kv[i].key;
}

struct toml_value *
toml_at(const struct toml_value *a, size_t i)
{
	if (a->type != TOML_ARRAY || i >= a->u.a.n)
		return NULL;
	return a->u.a.v[i];
}

const char *
toml_str(const struct toml_value *v)
{
	return v != NULL && v->type == TOML_STRING ? v->u.s.p : NULL;
}

size_t
toml_str_len(const struct toml_value *v)
{
	return v != NULL && v->type == TOML_STRING ? v->u.s.len : 0;
}

int
toml_int(const struct toml_value *v, int64_t *out)
{
	if (v == NULL || v->type != TOML_INTEGER)
		return -1;
	*out = v->u.i;
	return 0;
}

int
toml_float(const struct toml_value *v, double *out)
{
	if (v == NULL || v->type != TOML_FLOAT)
		return -1;
	*out = v->u.f;
	return 0;
}

int
toml_bool(const struct toml_value *v, int *out)
{
	if (v == NULL || v->type != TOML_BOOL)
		return -1;
	*out = v->u.b;
	return 0;
}

const struct toml_datetime *
toml_datetime(const struct toml_value *v, const char **text)
{
	if (v == NULL || v->type < TOML_DATETIME)
		return NULL;
	if (text != NULL)
		*text = v->u.s.p;
	return v->u.s.dt;
}
