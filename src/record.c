/*
 * record.c: everything about RECORD files that is pure data.  It names
 * and checks hash algorithms, hashes through libcrypto's EVP interface
 * (each digest fetched once per process), encodes and decodes the
 * unpadded URL-safe base64 digests, parses a wheel's RECORD into rows
 * with a path index (or scans it, for a reader of a few of its rows),
 * and writes the installed RECORD sorted with LF line ends.  It never
 * opens, reads or creates files: the only I/O is writing to the
 * descriptor record_out_write() is given.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fsutil.h"
#include "record.h"
#include "sig.h"
#include "util.h"

/* ---- hash algorithms ------------------------------------------------- */

static const struct {
	const char	*name;		/* RECORD spelling */
	const char	*evp;		/* OpenSSL fetch name */
	size_t		 len;
} algos[] = {
	[HASH_NONE] = { "", NULL, 0 },
	[HASH_SHA256] = { "sha256", "SHA2-256", 32 },
	[HASH_SHA384] = { "sha384", "SHA2-384", 48 },
	[HASH_SHA512] = { "sha512", "SHA2-512", 64 },
};

static EVP_MD	*fetched[ARRAY_SIZE(algos)];

int
hash_algo_parse(const char *name, size_t len, enum hash_algo *out)
{
	size_t	i;

	for (i = HASH_SHA256; i < ARRAY_SIZE(algos); i++) {
		if (strlen(algos[i].name) == len &&
		    strncasecmp(name, algos[i].name, len) == 0) {
			*out = (enum hash_algo)i;
			return 0;
		}
	}
	if ((len == 3 && strncasecmp(name, "md5", 3) == 0) ||
	    (len == 4 && strncasecmp(name, "sha1", 4) == 0))
		return err_set("hash algorithm '%.*s' is too weak "
		    "(sha256, sha384 or sha512 expected)", (int)len, name);
	return err_set("unknown hash algorithm '%.*s' "
	    "(sha256, sha384 or sha512 expected)", (int)len, name);
}

const char *
hash_algo_name(enum hash_algo a)
{
	if ((size_t)a >= ARRAY_SIZE(algos))
		BUG("hash algorithm %d", (int)a);
	return algos[a].name;
}

size_t
hash_algo_len(enum hash_algo a)
{
	if ((size_t)a >= ARRAY_SIZE(algos))
		BUG("hash algorithm %d", (int)a);
	return algos[a].len;
}

static const EVP_MD *
md_get(enum hash_algo a)
{
	if (a == HASH_NONE || (size_t)a >= ARRAY_SIZE(algos))
		BUG("hash algorithm %d", (int)a);
	if (fetched[a] == NULL) {
		fetched[a] = EVP_MD_fetch(NULL, algos[a].evp, NULL);
		if (fetched[a] == NULL)
			BUG("libcrypto has no %s", algos[a].evp);
	}
	return fetched[a];
}

void
hasher_init(struct hasher *h, enum hash_algo a)
{
	EVP_MD_CTX	*ctx;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || !EVP_DigestInit_ex2(ctx, md_get(a), NULL))
		BUG("cannot start a %s digest", hash_algo_name(a));
	h->ctx = ctx;
	h->algo = a;
}

void
hasher_update(struct hasher *h, const void *p, size_t n)
{
	if (n && !EVP_DigestUpdate(h->ctx, p, n))
		BUG("digest update failed");
}

void
hasher_final(struct hasher *h, unsigned char *out)
{
	unsigned int	len;

	if (!EVP_DigestFinal_ex(h->ctx, out, &len) ||
	    len != hash_algo_len(h->algo))
		BUG("digest final failed");
	if (!EVP_DigestInit_ex2(h->ctx, md_get(h->algo), NULL))
		BUG("cannot restart a %s digest", hash_algo_name(h->algo));
}

/* Feed h from fd: from its offset with read(2) when off < 0, else with
 * pread(2) from off on, leaving the descriptor's offset alone. */
static int
hasher_feed(struct hasher *h, int fd, off_t off)
{
	unsigned char	buf[65536];
	ssize_t		n;

	for (;;) {
		if (sig_stop) {
			errno = EINTR;
			return -1;
		}
		if (off < 0)
			n = read_all(fd, buf, sizeof(buf));
		else if ((n = pread(fd, buf, sizeof(buf), off)) < 0 &&
		    errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		hasher_update(h, buf, (size_t)n);
		if (off >= 0)
			off += n;
	}
}

int
hasher_fd(struct hasher *h, int fd)
{
	return hasher_feed(h, fd, -1);
}

int
hasher_pread(struct hasher *h, int fd)
{
	return hasher_feed(h, fd, 0);
}

void
hasher_free(struct hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void
sha256_buf(const void *p, size_t n, unsigned char out[32])
{
	unsigned int	len;

	if (!EVP_Digest(p, n, out, &len, md_get(HASH_SHA256), NULL) ||
	    len != 32)
		BUG("sha256 failed");
}

/* ---- unpadded URL-safe base64 ---------------------------------------- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
b64url_encode(const unsigned char *in, size_t n, char *out)
{
	size_t		i, o = 0;
	uint32_t	v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = b64chars[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

/* Each byte's value as a base64 digit plus one (0: not a digit): a large
 * wheel's RECORD and manifest hold tens of thousands of digests. */
static const unsigned char b64tab[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27,
	['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37,
	['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47,
	['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62,
	['-'] = 63, ['_'] = 64
};

long
b64url_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, o = 0, pad = 0;
	uint32_t		 a, b, c, d;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n % 4 == 1 || (pad && (n + pad) % 4 != 0) || n / 4 * 3 +
	    (n % 4 ? n % 4 - 1 : 0) > cap)
		return -1;
	/* Four digits to three bytes.  The table's values are one more:
	 * a byte that is no digit becomes a value above 63, checked once. */
	for (i = 0; i + 4 <= n; i += 4) {
		a = (uint32_t)b64tab[u[i]] - 1;
		b = (uint32_t)b64tab[u[i + 1]] - 1;
		c = (uint32_t)b64tab[u[i + 2]] - 1;
		d = (uint32_t)b64tab[u[i + 3]] - 1;
		if ((a | b | c | d) > 63)
			return -1;
		a = a << 18 | b << 12 | c << 6 | d;
		out[o++] = (unsigned char)(a >> 16);
		out[o++] = (unsigned char)(a >> 8);
		out[o++] = (unsigned char)a;
	}
	if (n - i >= 2) {
		a = b64tab[u[i]];
		b = b64tab[u[i + 1]];
		c = n - i == 3 ? b64tab[u[i + 2]] : 1;
		if (!a || !b || !c)
			return -1;
		a = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6;
		/* The bits left over must be zero: only one text encodes a
		 * digest. */
		if (a & (n - i == 3 ? 0xff : 0xffff))
			return -1;
		out[o++] = (unsigned char)(a >> 16);
		if (n - i == 3)
			out[o++] = (unsigned char)(a >> 8);
	}
	return (long)o;
}

/* ---- the path index: open addressing over row numbers ---------------- */

struct rindex {
	size_t	 cap;			/* a power of two */
	size_t	*slot;		/* row number + 1, 0 when empty */
};

/* The slot holding path, or the empty slot where it belongs. */
static size_t *
rindex_slot(const struct rindex *ix, const struct record_row *rows,
    const char *path)
{
	size_t	i, mask = ix->cap - 1;

	for (i = str_hash(path, strlen(path)) & mask;; i = (i + 1) & mask) {
		if (ix->slot[i] == 0 ||
		    strcmp(rows[ix->slot[i] - 1].path, path) == 0)
			return &ix->slot[i];
	}
}

/* ---- RECORD parsing -------------------------------------------------- */

#define RECORD_FIELDS 3

/*
 * Split one CSV record starting at *pp into at most RECORD_FIELDS fields
 * (owned strings in f[]).  Returns the number of fields, 0 for a blank
 * line, or -1 with err_set().  *pp is left after the line end.
 */
static int
csv_line(const char **pp, const char *end, char **f)
{
	const char	*p = *pp, *q;
	struct buf	 b = BUF_INIT;
	int		 nf = 0, quoted;

	if (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end &&
	    p[1] == '\n'))) {
		*pp = p + (*p == '\r' ? 2 : 1);
		return 0;
	}
	for (;;) {
		buf_reset(&b);
		quoted = p < end && *p == '"';
		/* Runs of plain bytes are copied at once: a large wheel's
		 * RECORD has tens of thousands of lines, read by every part
		 * of a split wheel. */
		if (quoted) {
			for (p++;; p += 2) {
				q = p < end ? memchr(p, '"', (size_t)(end - p)) :
				    NULL;
				if (q == NULL) {
					buf_free(&b);
					return err_set("unterminated quoted "
					    "field");
				}
				buf_add(&b, p, (size_t)(q - p));
				p = q;
				if (p + 1 >= end || p[1] != '"')
					break;
				buf_add(&b, p, 1);
			}
			p++;
		} else {
			for (q = p; p < end && *p != ',' && *p != '\n' &&
			    *p != '\r'; p++)
				;
			buf_add(&b, q, (size_t)(p - q));
		}
		if (nf == RECORD_FIELDS) {
			buf_free(&b);
			return err_set("more than %d fields", RECORD_FIELDS);
		}
		f[nf++] = buf_detach(&b);
		if (p >= end)
			break;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\n') {
			p++;
			break;
		}
		if (*p == '\r' && p + 1 < end && p[1] == '\n') {
			p += 2;
			break;
		}
		if (*p == '\r')
			return err_set("stray carriage return");
		return err_set("text after a closing quote");
	}
	*pp = p;
	return nf;
}

static int
parse_hash(const char *s, struct record_row *row)
{
	const char	*eq;
	long		 n;

	row->algo = HASH_NONE;
	if (*s == '\0')
		return 0;
	if ((eq = strchr(s, '=')) == NULL)
		return err_set("hash '%s' is not algorithm=digest", s);
	if (hash_algo_parse(s, (size_t)(eq - s), &row->algo) == -1)
		return -1;
	n = b64url_decode(eq + 1, strlen(eq + 1), row->digest,
	    sizeof(row->digest));
	if (n < 0)
		return err_set("%s digest '%s' is not URL-safe base64",
		    hash_algo_name(row->algo), eq + 1);
	if ((size_t)n != hash_algo_len(row->algo))
		return err_set("%s digest has %ld bytes, expected %zu",
		    hash_algo_name(row->algo), n, hash_algo_len(row->algo));
	return 0;
}

static int
parse_size(const char *s, int64_t *out)
{
	int64_t	v = 0;

	*out = -1;
	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return err_set("size is not a decimal number");
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

static void
record_index(struct record *r)
{
	struct rindex	*ix = xcalloc(1, sizeof(*ix));

	ix->cap = 16;
	while (ix->cap < r->n * 2)
		ix->cap *= 2;
	ix->slot = xbig_calloc(ix->cap, sizeof(*ix->slot));
	r->index = ix;
}

/* At most how many lines the text has: its arrays are sized once, in
 * fresh memory (xbig_calloc), not grown by copying. */
static size_t
count_lines(const char *p, size_t len)
{
	const char	*end = p + len;
	size_t		 n = 1;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		n++;
	}
	return n;
}

/*
 * One line's row at *pp: 1 and *row filled (its path owned), 0 for a
 * blank line, -1 with err_set() naming the line.  *pp is left after it.
 */
static int
parse_row(const char **pp, const char *end, size_t line,
    struct record_row *row)
{
	char	*f[RECORD_FIELDS];
	size_t	 i;
	int	 nf;

	memset(f, 0, sizeof(f));
	memset(row, 0, sizeof(*row));
	nf = csv_line(pp, end, f);
	if (nf == 0)
		return 0;
	if (nf > 0 && nf != RECORD_FIELDS)
		nf = err_set("expected %d fields, found %d", RECORD_FIELDS, nf);
	if (nf > 0 && *f[0] == '\0')
		nf = err_set("empty path");
	if (nf > 0) {
		row->path = f[0];
		f[0] = NULL;
		if (parse_hash(f[1], row) == -1 ||
		    parse_size(f[2], &row->size) == -1)
			nf = err_prefix("'%s'", row->path);
	}
	for (i = 0; i < RECORD_FIELDS; i++)
		free(f[i]);
	if (nf < 0) {
		free(row->path);
		row->path = NULL;
		return err_prefix("line %zu", line);
	}
	return 1;
}

int
record_parse(const char *text, size_t len, struct record *r)
{
	const char	*p = text, *end = text + len;
	struct record_row row;
	size_t		 line = 0, *slot, i;
	int		 rc;

	memset(r, 0, sizeof(*r));
	r->rows = xbig_calloc(count_lines(text, len), sizeof(*r->rows));
	while (p < end) {
		if ((rc = parse_row(&p, end, ++line, &row)) == 0)
			continue;
		if (rc < 0) {
			record_free(r);
			return -1;
		}
		r->rows[r->n++] = row;
	}
	record_index(r);
	for (i = 0; i < r->n; i++) {
		slot = rindex_slot(r->index, r->rows, r->rows[i].path);
		if (*slot != 0) {
			err_set("'%s' is listed twice", r->rows[i].path);
			record_free(r);
			return -1;
		}
		*slot = i + 1;
	}
	return 0;
}

/* ---- RECORD scanned, rows parsed when asked for ---------------------- */

/* A line of a scanned RECORD: where it starts and its path. */
struct rline {
	size_t		 off;		/* of the line in the text */
	size_t		 line;		/* its number, for messages */
	const char	*path;		/* into the text: not NUL-terminated */
	size_t		 plen;
	int		 parsed;	/* its row is filled in */
};

struct rscan {
	char		*text;
	size_t		 len;
	struct rline	*lines;
	size_t		 cap;		/* of the index: a power of two */
	size_t		*slot;		/* line number + 1, 0 when empty */
};

static size_t
mem_hash(const char *s, size_t n)
{
	uint64_t	h = 14695981039346656037ULL;	/* FNV-1a */

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)(h ^ h >> 32);
}

static size_t *
rscan_slot(const struct rscan *sc, const char *path, size_t plen)
{
	size_t			 i, mask = sc->cap - 1;
	const struct rline	*l;

	for (i = mem_hash(path, plen) & mask;; i = (i + 1) & mask) {
		if (sc->slot[i] == 0)
			return &sc->slot[i];
		l = &sc->lines[sc->slot[i] - 1];
		if (l->plen == plen && memcmp(l->path, path, plen) == 0)
			return &sc->slot[i];
	}
}

static void
rscan_free(struct rscan *sc)
{
	if (sc == NULL)
		return;
	xbig_free(sc->text, sc->len);
	free(sc->lines);
	xbig_free(sc->slot, sc->cap * sizeof(*sc->slot));
	free(sc);
}

int
record_scan(char *text, size_t len, struct record *r)
{
	struct rscan	*sc = xcalloc(1, sizeof(*sc));
	const char	*p = text, *end = text + len, *nl, *q;
	size_t		 n = 0, line = 0, *slot, i;

	memset(r, 0, sizeof(*r));
	sc->text = text;
	sc->len = len;
	sc->lines = xbig_calloc(count_lines(text, len), sizeof(*sc->lines));
	for (; p < end; p = nl < end ? nl + 1 : end) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (p == nl || (nl - p == 1 && *p == '\r'))
			continue;	/* blank */
		/* Quotes, or not three fields plainly written: for the full
		 * parse to judge. */
		q = memchr(p, ',', (size_t)(nl - p));
		if (q == NULL || q == p || memchr(p, '"', (size_t)(nl - p)) != NULL)
			goto whole;
		sc->lines[n].off = (size_t)(p - text);
		sc->lines[n].line = line;
		sc->lines[n].path = p;
		sc->lines[n].plen = (size_t)(q - p);
		sc->lines[n].parsed = 0;
		n++;
	}
	for (sc->cap = 16; sc->cap < n * 2; sc->cap *= 2)
		;
	sc->slot = xbig_calloc(sc->cap, sizeof(*sc->slot));
	for (i = 0; i < n; i++) {
		slot = rscan_slot(sc, sc->lines[i].path, sc->lines[i].plen);
		if (*slot != 0)
			goto whole;	/* listed twice */
		*slot = i + 1;
	}
	r->rows = xbig_calloc(n ? n : 1, sizeof(*r->rows));
	r->n = n;
	r->scan = sc;
	return 0;
whole:
	sc->text = NULL;
	rscan_free(sc);
	return -1;
}

int
record_get(struct record *r, const char *path, struct record_row **rowp)
{
	struct rscan	*sc = r->scan;
	struct rline	*l;
	const char	*p;
	size_t		*slot;

	*rowp = NULL;
	slot = rscan_slot(sc, path, strlen(path));
	if (*slot == 0)
		return 0;
	l = &sc->lines[*slot - 1];
	if (!l->parsed) {
		p = sc->text + l->off;
		if (parse_row(&p, sc->text + sc->len, l->line,
		    &r->rows[*slot - 1]) != 1)
			return -1;
		/* The path is the text's, which the row outlives not. */
		free(r->rows[*slot - 1].path);
		r->rows[*slot - 1].path = NULL;
		l->parsed = 1;
	}
	*rowp = &r->rows[*slot - 1];
	return 0;
}

struct record_row *
record_find(const struct record *r, const char *path)
{
	size_t	*slot;

	if (r->index == NULL)
		return NULL;	/* scanned: record_get() */
	slot = rindex_slot(r->index, r->rows, path);
	return *slot ? &r->rows[*slot - 1] : NULL;
}

void
record_free(struct record *r)
{
	struct rindex	*ix = r->index;
	size_t		 i;

	/* A scanned RECORD's rows keep no path (record_get() frees it), and
	 * most of them were never touched: reading them here would fault in
	 * megabytes of zero pages for a large wheel (10 ms here). */
	if (r->scan == NULL)
		for (i = 0; i < r->n; i++)
			free(r->rows[i].path);
	xbig_free(r->rows, r->n * sizeof(*r->rows));
	rscan_free(r->scan);
	if (ix != NULL) {
		xbig_free(ix->slot, ix->cap * sizeof(*ix->slot));
		free(ix);
	}
	memset(r, 0, sizeof(*r));
}

/* ---- the installed RECORD -------------------------------------------- */

/*
 * The entries follow one another in o->p: the raw path, a NUL, then the
 * rest of the CSV line after the path's comma ("sha256=...,123" or ","),
 * a NUL.  They sort by path when written, and the path is quoted then,
 * only where it must be.  A large wheel has tens of thousands of them:
 * no allocation, no formatting call per line.
 */
static char *
out_room(struct record_out *o, size_t n)
{
	size_t	 cap;
	void	*np;

	if (n > SIZE_MAX / 4 - o->len)
		die(1, "out of memory");
	if (o->len + n <= o->cap)
		return o->p + o->len;
	for (cap = o->cap ? o->cap : 4096; cap < o->len + n; cap *= 2)
		;
	if (cap < HUGE_ALLOC_MIN)
		o->p = xrealloc(o->p, cap);
	else {
		/* A large wheel's: in huge pages where the kernel gives them. */
		np = xbig_get(&cap);
		if (o->len > 0)
			memcpy(np, o->p, o->len);
		xbig_free(o->p, o->cap);
		o->p = np;
	}
	o->cap = cap;
	return o->p + o->len;
}

void
record_out_reserve(struct record_out *o, size_t n)
{
	if (n > 0)	/* nothing yet: o->p may be NULL */
		out_room(o, n);
}

void
record_out_add(struct record_out *o, const char *path,
    const unsigned char sha256[32], uint64_t size)
{
	char	d[48];

	b64url_encode(sha256, 32, d);
	record_out_add_text(o, path, d, size);
}

void
record_out_add_text(struct record_out *o, const char *path,
    const char *sha256, uint64_t size)
{
	size_t	 lp = strlen(path);
	char	*p = out_room(o, lp + 80);

	memcpy(p, path, lp + 1);
	p += lp + 1;
	memcpy(p, "sha256=", 7);
	memcpy(p + 7, sha256, 43);
	p += 50;
	*p++ = ',';
	p = u64_put(p, size, 10);
	*p++ = '\0';
	o->len = (size_t)(p - o->p);
	o->n++;
}

void
record_out_add_bare(struct record_out *o, const char *path)
{
	size_t	 lp = strlen(path);
	char	*p = out_room(o, lp + 3);

	memcpy(p, path, lp + 1);
	memcpy(p + lp + 1, ",", 2);
	o->len += lp + 3;
	o->n++;
}

/*
 * Merge the sorted runs v[lo..mid-1] and v[mid..hi-1] in place, through
 * tmp, stably.  What already is where it belongs (the left run's head,
 * the right run's tail) is found by bisection and left alone: a wheel's
 * members come nearly sorted, in long runs that merely follow each
 * other.
 */
static void
merge_runs(const char **v, size_t lo, size_t mid, size_t hi, const char **tmp)
{
	size_t	a, b, m, i, j, k, nl;

	if (strcmp(v[mid - 1], v[mid]) <= 0)
		return;
	for (a = lo, b = mid; a < b;) {		/* first left one > v[mid] */
		m = a + (b - a) / 2;
		if (strcmp(v[m], v[mid]) <= 0)
			a = m + 1;
		else
			b = m;
	}
	lo = a;
	for (a = mid, b = hi; a < b;) {		/* first right one >= v[mid-1] */
		m = a + (b - a) / 2;
		if (strcmp(v[m], v[mid - 1]) < 0)
			a = m + 1;
		else
			b = m;
	}
	hi = a;
	nl = mid - lo;
	memcpy(tmp, v + lo, nl * sizeof(*v));
	for (i = 0, j = mid, k = lo; i < nl && j < hi;)
		v[k++] = strcmp(v[j], tmp[i]) < 0 ? v[j++] : tmp[i++];
	memcpy(v + k, tmp + i, (nl - i) * sizeof(*v));
}

/* Sort the strings v[0..n-1] (stably: a path given twice keeps its
 * order): the runs already in order, merged pairwise. */
static void
sort_paths(const char **v, size_t n)
{
	const char	**tmp;
	size_t		 *run, nr = 1, i, j;

	if (n < 2)
		return;
	run = xreallocarray(NULL, n + 1, sizeof(*run));
	run[0] = 0;
	for (i = 1; i < n; i++)
		if (strcmp(v[i - 1], v[i]) > 0)
			run[nr++] = i;
	run[nr] = n;
	tmp = nr > 1 ? xreallocarray(NULL, n, sizeof(*tmp)) : NULL;
	while (nr > 1) {
		for (i = j = 0; i + 1 < nr; i += 2, j++) {
			merge_runs(v, run[i], run[i + 1], run[i + 2], tmp);
			run[j] = run[i];
		}
		if (i < nr)
			run[j++] = run[i];
		run[j] = n;
		nr = j;
	}
	free(tmp);
	free(run);
}

static void
csv_field(struct buf *b, const char *s)
{
	const char	*p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		buf_adds(b, s);
		return;
	}
	buf_add(b, "\"", 1);
	for (p = s; *p; p++) {
		if (*p == '"')
			buf_add(b, "\"", 1);
		buf_add(b, p, 1);
	}
	buf_add(b, "\"", 1);
}

/* Written through a small buffer, not built whole: a large wheel's
 * RECORD is megabytes, and fresh memory costs a page fault a page. */
#define OUT_FLUSH	(64 * 1024)

int
record_out_write(struct record_out *o, int fd)
{
	struct buf	  b = BUF_INIT;
	const char	**v, *e, *r, *end;
	size_t		  n = 0, i, lp, lr;
	int		  rc = 0;

	/* No entry yet: o->p is NULL, and NULL + 0 is undefined. */
	end = o->len > 0 ? o->p + o->len : o->p;
	v = xbig_calloc(o->n ? o->n : 1, sizeof(*v));
	for (e = o->p; e < end && n < o->n; e = r + strlen(r) + 1) {
		v[n++] = e;
		r = e + strlen(e) + 1;
	}
	sort_paths(v, n);
	buf_grow(&b, OUT_FLUSH);
	for (i = 0; i < n && rc == 0; i++) {
		e = v[i];
		lp = strlen(e);
		r = e + lp + 1;
		lr = strlen(r);
		if (b.len > 0 && b.len + 2 * lp + lr + 4 > OUT_FLUSH) {
			rc = write_all(fd, b.p, b.len);
			b.len = 0;
		}
		if (strpbrk(e, ",\"\r\n") != NULL) {
			csv_field(&b, e);
			buf_add(&b, ",", 1);
			buf_add(&b, r, lr);
			buf_add(&b, "\n", 1);
			continue;
		}
		/* "path\0rest\0" is "path,rest\n" but for two bytes. */
		buf_add(&b, e, lp + lr + 2);
		b.p[b.len - lr - 2] = ',';
		b.p[b.len - 1] = '\n';
	}
	if (rc == 0 && b.len > 0)
		rc = write_all(fd, b.p, b.len);
	if (rc == -1)
		err_set("RECORD: write: %s", strerror(errno));
	xbig_free(v, o->n * sizeof(*v));
	buf_free(&b);
	return rc;
}

void
record_out_free(struct record_out *o)
{
	xbig_free(o->p, o->cap);
	memset(o, 0, sizeof(*o));
}
