/*
 * toml_tree.c: the value tree of a TOML document.  Every node, key and
 * string lives in one arena the root owns (chunks mapped with their pages
 * populated, doubling in size), so building costs few allocations and
 * toml_free() a handful of munmaps; tables keep their keys in document
 * order with a hash index once they grow, and keys are interned.  The
 * accessors here are the whole public view of a tree.
 */
#include "config.h"

#include <sys/mman.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"
#include "toml_impl.h"
#include "util.h"

#define IDX_MIN		16
#define CHUNK_MIN	((size_t)64 << 10)
#define CHUNK_MAX	((size_t)4 << 20)
#define HUGE_PAGE	((size_t)2 << 20)
#define TREE_PER_BYTE	5	/* tree bytes per document byte, about */

/* ---- values and tables --------------------------------------------------- */

/*
 * Chunks are mapped with their pages populated at once: touching fresh
 * memory a page at a time costs more than the parse where page faults are
 * dear (virtual machines).  A large document gets one chunk sized from its
 * length, aligned to and asked for in transparent huge pages: then a fault
 * maps HUGE_PAGE bytes (a 1 MB lock file needs ~4 MB of tree, 1,000 small
 * page faults that cost more than the parse on such machines), and the
 * part of the chunk never touched costs nothing.
 */
static struct chunk *
chunk_huge(size_t size)
{
	struct chunk	*c;
	size_t		 len, head;
	char		*m;

	len = (sizeof(*c) + size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	m = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	head = (HUGE_PAGE - ((uintptr_t)m & (HUGE_PAGE - 1))) & (HUGE_PAGE - 1);
	if (head > 0)
		munmap(m, head);
	munmap(m + head + len, HUGE_PAGE - head);
	c = (struct chunk *)(void *)(m + head);
#ifdef MADV_HUGEPAGE
	(void)madvise(c, len, MADV_HUGEPAGE);
#endif
	c->mapped = 1;
	c->size = len - sizeof(*c);
	return c;
}

static struct chunk *
chunk_new(size_t size)
{
	struct chunk	*c;

	if (size >= HUGE_PAGE && (c = chunk_huge(size)) != NULL)
		return c;
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
		/* Chunks double: a large document makes few of them; its
		 * first one is sized for all of it. */
		size = c == NULL ? CHUNK_MIN : c->size * 2 > CHUNK_MAX ?
		    CHUNK_MAX : c->size * 2;
		if (c == NULL && (size_t)(P->end - P->buf) * TREE_PER_BYTE >= HUGE_PAGE)
			size = (size_t)(P->end - P->buf) * TREE_PER_BYTE;
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

void *
tp_alloc(struct parser *P, size_t n)
{
	return arena_get(P, n, sizeof(void *) > sizeof(double) ?
	    sizeof(void *) : sizeof(double));
}

static void *
arena_grow(struct parser *P, void *old, size_t oldn, size_t n, size_t size)
{
	void	*p = tp_alloc(P, n * size);

	if (oldn > 0)
		memcpy(p, old, oldn * size);
	return p;
}

char *
tp_strndup(struct parser *P, const char *s, size_t len)
{
	char	*p = arena_get(P, len + 1, 1);

	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

struct toml_value *
tp_new_value(struct parser *P, enum toml_type type, const char *at, unsigned int depth)
{
	struct toml_value	*v;

	if (depth > TOML_MAX_DEPTH) {
		tp_fail(P, at, "nested more than %d levels deep", TOML_MAX_DEPTH);
		return NULL;
	}
	if (++P->nvalues > TOML_MAX_VALUES) {
		tp_fail(P, at, "more than %zu values", TOML_MAX_VALUES);
		return NULL;
	}
	v = tp_alloc(P, sizeof(*v));
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->depth = depth;
	tp_locate(P, at, &v->line, &v->col);
	return v;
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
			j = str_hash(old[i].key, old[i].keylen) & (P->keycap - 1);
			while (P->keys[j].key != NULL)
				j = (j + 1) & (P->keycap - 1);
			P->keys[j] = old[i];
		}
		free(old);
	}
	for (j = str_hash(key, len) & (P->keycap - 1); P->keys[j].key != NULL;
	    j = (j + 1) & (P->keycap - 1)) {
		k = &P->keys[j];
		if (k->keylen == len && memcmp(k->key, key, len) == 0)
			return k->key;
	}
	P->nkeys++;
	P->keys[j].keylen = len;
	return P->keys[j].key = tp_strndup(P, key, len);
}

static void
index_put(struct toml_value *t, size_t i)
{
	size_t	mask = t->u.t.nidx - 1;
	size_t	j = str_hash(t->u.t.kv[i].key, t->u.t.kv[i].keylen) & mask;

	while (t->u.t.idx[j] != 0)
		j = (j + 1) & mask;
	t->u.t.idx[j] = (uint32_t)i + 1;
}

struct toml_value *
tp_table_find(const struct toml_value *t, const char *key, size_t len)
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
	for (j = str_hash(key, len) & mask; t->u.t.idx[j] != 0; j = (j + 1) & mask) {
		kv = &t->u.t.kv[t->u.t.idx[j] - 1];
		if (kv->keylen == len && memcmp(kv->key, key, len) == 0)
			return kv->val;
	}
	return NULL;
}

void
tp_table_add(struct parser *P, struct toml_value *t, const char *key, size_t len, struct toml_value *val)
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
		t->u.t.idx = tp_alloc(P, t->u.t.nidx * sizeof(*t->u.t.idx));
		memset(t->u.t.idx, 0, t->u.t.nidx * sizeof(*t->u.t.idx));
		for (i = 0; i < t->u.t.n; i++)
			index_put(t, i);
	} else
		index_put(t, t->u.t.n - 1);
}

void
tp_array_push(struct parser *P, struct toml_value *a, struct toml_value *v)
{
	if (a->u.a.n == a->u.a.cap) {
		a->u.a.cap = a->u.a.cap ? a->u.a.cap * 2 : 4;
		a->u.a.v = arena_grow(P, a->u.a.v, a->u.a.n, a->u.a.cap,
		    sizeof(*a->u.a.v));
	}
	a->u.a.v[a->u.a.n++] = v;
}

/* What a value is, for a message: "a table", "an array of tables"... */
const char *
tp_described(const struct toml_value *v)
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
void
tp_freeze(struct toml_value *t)
{
	size_t	i;

	t->kind = K_INLINE;
	for (i = 0; i < t->u.t.n; i++) {
		struct toml_value *v = t->u.t.kv[i].val;

		if (v->type == TOML_TABLE && v->kind == K_DOTTED)
			tp_freeze(v);
	}
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
	return tp_table_find(t, key, strlen(key));
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
