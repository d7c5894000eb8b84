/*
 * util.c: allocation that cannot fail (it exits), the shared error buffer,
 * stderr messages, and small string and buffer helpers.  Nothing here
 * knows about wheels or processes.
 */
#include "config.h"

#include <sys/mman.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int verbosity;
int msg_color;
void (*warn_hook)(const char *);

static char errbuf[1024];

static void __attribute__((noreturn))
oom(void)
{
	static const char msg[] = "forklift: error: out of memory\n";

	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

void *
xmalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		oom();
	return xrealloc(p, n * size);
}

void *
xhuge_alloc(size_t *cap)
{
	void	*p;

	if (*cap > SIZE_MAX - HUGE_ALLOC_MIN)
		oom();
	*cap = (*cap + HUGE_ALLOC_MIN - 1) & ~(HUGE_ALLOC_MIN - 1);
	if (posix_memalign(&p, HUGE_ALLOC_MIN, *cap) != 0)
		oom();
	(void)madvise(p, *cap, MADV_HUGEPAGE);
	return p;
}

/* Big buffers given back, to be used again: at most BIG_KEEP of them,
 * BIG_KEEP_BYTES in all. */
#define BIG_KEEP	8
#define BIG_KEEP_BYTES	((size_t)32 << 20)
static struct {
	void	*p;
	size_t	 cap;
} big_kept[BIG_KEEP];
static size_t	big_nkept, big_kept_bytes;

void *
xbig_get(size_t *cap)
{
	size_t	i, best = BIG_KEEP;
	void	*p;

	for (i = 0; i < big_nkept; i++)
		if (big_kept[i].cap >= *cap && (best == BIG_KEEP ||
		    big_kept[i].cap < big_kept[best].cap))
			best = i;
	if (best == BIG_KEEP)
		return xhuge_alloc(cap);
	p = big_kept[best].p;
	*cap = big_kept[best].cap;
	big_kept_bytes -= *cap;
	big_kept[best] = big_kept[--big_nkept];
	return p;
}

void
xbig_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	if (n < BIG_ALLOC_MIN || big_nkept == BIG_KEEP ||
	    n > BIG_KEEP_BYTES - big_kept_bytes) {
		free(p);
		return;
	}
	big_kept[big_nkept].p = p;
	big_kept[big_nkept++].cap = n;
	big_kept_bytes += n;
}

void *
xbig_alloc(size_t n)
{
	return n < BIG_ALLOC_MIN ? xmalloc(n) : xbig_get(&n);
}

void *
xbig_calloc(size_t count, size_t size)
{
	void	*p;
	size_t	 n, cap;

	if (size != 0 && count > SIZE_MAX / size)
		oom();
	n = count * size;
	if (n < BIG_ALLOC_MIN)
		return xcalloc(count ? count : 1, size ? size : 1);
	cap = n;
	p = xbig_get(&cap);
	memset(p, 0, n);
	return p;
}

void *
xbig_need(void *p, size_t *cap, size_t n)
{
	if (n <= *cap && p != NULL)
		return p;
	xbig_free(p, *cap);
	p = n < BIG_ALLOC_MIN ? xmalloc(n) : xbig_get(&n);
	*cap = n;
	return p;
}

char *
u64_put(char *p, uint64_t v, unsigned int base)
{
	char	t[64];
	size_t	n = 0;

	do
		t[n++] = (char)('0' + v % base);
	while ((v /= base) != 0);
	while (n > 0)
		*p++ = t[--n];
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p = strndup(s, n);

	if (p == NULL)
		oom();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	va_end(ap);
	return p;
}

int
err_set(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return -1;
}

int
err_prefix(const char *fmt, ...)
{
	char	pre[512], old[sizeof(errbuf)];
	size_t	n, len;
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, errbuf, sizeof(old));
	n = strlen(pre);
	if (n > sizeof(errbuf) - 3)
		n = sizeof(errbuf) - 3;
	memcpy(errbuf, pre, n);
	memcpy(errbuf + n, ": ", 2);
	n += 2;
	len = strlen(old);
	if (len > sizeof(errbuf) - 1 - n)
		len = sizeof(errbuf) - 1 - n;
	memcpy(errbuf + n, old, len);
	errbuf[n + len] = '\0';
	return -1;
}

const char *
err_get(void)
{
	return errbuf;
}

static void
vmsg(const char *kind, const char *fmt, va_list ap)
{
	char	line[2048];
	int	n;

	if (msg_color && *kind)
		n = snprintf(line, sizeof(line), "forklift: \033[1;%sm%.*s\033[0m: ",
		    kind[0] == 'e' ? "31" : "33", (int)strlen(kind) - 2, kind);
	else
		n = snprintf(line, sizeof(line), "forklift: %s", kind);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	fflush(stdout);
	fprintf(stderr, "%s\n", line);
}

void
error_msg(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void
warn_msg(const char *fmt, ...)
{
	va_list	ap;

	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	if (warn_hook != NULL) {
		char	line[1024];

		vsnprintf(line, sizeof(line), fmt, ap);
		warn_hook(line);
	} else
		vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void
note_msg(const char *fmt, ...)
{
	va_list	ap;

	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void
die(int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
	exit(code);
}

void
bug_at(const char *file, int line, const char *fmt, ...)
{
	va_list	ap;
	char	msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "forklift: BUG: %s:%d: %s\n", file, line, msg);
	abort();
}

void
buf_grow(struct buf *b, size_t extra)
{
	size_t	need;

	if (extra > SIZE_MAX - b->len - 1)
		oom();
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
	b->p = xrealloc(b->p, b->cap);
}

void
buf_add(struct buf *b, const void *data, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_add_utf8(struct buf *b, uint32_t cp)
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

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		BUG("bad format %s", fmt);
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *
buf_detach(struct buf *b)
{
	char	*p;

	if (b->p == NULL)
		return xstrdup("");
	p = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
strv_push_owned(struct strv *sv, char *s)
{
	if (sv->n + 1 >= sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = xreallocarray(sv->v, sv->cap, sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
strv_push(struct strv *sv, const char *s)
{
	strv_push_owned(sv, xstrdup(s));
}

void
strv_free(struct strv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strv_sort(struct strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
}

/* FNV-1a of len bytes at s, for the open-addressing tables. */
uint32_t
str_hash(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;

	while (len-- > 0)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Whether sv holds a string equal to s. */
int
strv_has(const struct strv *sv, const char *s)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

int
str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
str_ends(const char *s, const char *suffix)
{
	size_t	ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
str_quote(const char *s)
{
	struct buf	b = BUF_INIT;
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			buf_add(&b, p, 1);
		else
			buf_addf(&b, "\\x%02x", *p);
	}
	return buf_detach(&b);
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 if
 * there is none: no overlong forms, surrogates or code points past
 * U+10FFFF. */
size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned long	cp;
	size_t		len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}
