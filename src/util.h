/*
 * util.h: memory wrappers that never return NULL, the error conventions
 * every module shares, and a growable byte buffer.
 *
 * Library code reports a failure by calling err_set() (which formats the
 * detail into one per-process buffer) and returning -1; the caller that
 * knows the wheel prefixes it: "six-1.16.0-py2.py3-none-any.whl: <detail>".
 * die() is for the command-line layer only.  BUG() marks a broken
 * invariant.  Workers are separate processes, so one buffer is enough.
 */
#ifndef FORKLIFT_UTIL_H
#define FORKLIFT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
/* Large memory (at least *cap bytes; *cap is rounded up to 2 MiB),
 * aligned and advised for transparent huge pages: a page fault per
 * 2 MiB, not per 4 KiB, where the kernel gives them.  Freed with free(). */
#define HUGE_ALLOC_MIN	((size_t)2 << 20)
void	*xhuge_alloc(size_t *cap);
/*
 * A buffer of n bytes (zeroed by xbig_calloc) that the caller is about to
 * fill: from malloc when small, else in huge pages, and then one that
 * xbig_free() gave back if one is large enough.  On this kind of machine
 * first touching a page of fresh memory costs 10-25 us (measured), so a
 * buffer of BIG_ALLOC_MIN or more costs less in one huge page, even half
 * empty, and less again in memory this process has touched already: a
 * worker finishing a big wheel reuses what unpacking it used.
 */
#define BIG_ALLOC_MIN	((size_t)512 << 10)
void	*xbig_alloc(size_t n);
void	*xbig_calloc(size_t count, size_t size);
/* At least *cap bytes, *cap set to what the buffer holds. */
void	*xbig_get(size_t *cap);
/* p (of *cap bytes, from xbig_alloc or NULL), or a new buffer that
 * holds n; what p held is not kept. */
void	*xbig_need(void *p, size_t *cap, size_t n);
/* Free p, of at least n bytes (from any of the above, or malloc): a big
 * one is kept for the next big buffer, up to a few. */
void	 xbig_free(void *p, size_t n);
char	*xstrdup(const char *);
/* v's digits in base (2 to 10) at p, no NUL; returns the end. */
char	*u64_put(char *p, uint64_t v, unsigned int base);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Record a failure's detail and return -1. */
int	 err_set(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Prefix the current detail: err_prefix("RECORD") turns "x" into "RECORD: x". */
int	 err_prefix(const char *, ...) __attribute__((format(printf, 1, 2)));
const char *err_get(void);

/* Messages on stderr: "forklift: error: ...", "forklift: warning: ...". */
void	 error_msg(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 warn_msg(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 note_msg(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 die(int, const char *, ...) __attribute__((noreturn, format(printf, 2, 3)));
#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
void	 bug_at(const char *, int, const char *, ...)
	    __attribute__((noreturn, format(printf, 3, 4)));

/* When set (in workers), warnings go here instead of stderr; the text has
 * no "forklift: warning: " prefix and no newline. */
extern void (*warn_hook)(const char *);

/* Color the "error:" and "warning:" labels (--color). */
extern int msg_color;

/* -q / -v: 0 normal, <0 quiet, >0 verbose. */
extern int verbosity;

/* A growable buffer; always NUL-terminated after its len bytes. */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};
#define BUF_INIT { NULL, 0, 0 }
void	 buf_grow(struct buf *, size_t);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
/* Append code point cp (at most 0x10ffff) encoded as UTF-8. */
void	 buf_add_utf8(struct buf *, uint32_t cp);
void	 buf_addf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);
char	*buf_detach(struct buf *);

/* A vector of owned strings. */
struct strv {
	char	**v;
	size_t	  n;
	size_t	  cap;
};
#define STRV_INIT { NULL, 0, 0 }
void	 strv_push(struct strv *, const char *);
void	 strv_push_owned(struct strv *, char *);
void	 strv_free(struct strv *);
void	 strv_sort(struct strv *);
int	 strv_has(const struct strv *, const char *);
uint32_t str_hash(const char *, size_t);

int	 str_starts(const char *, const char *);
int	 str_ends(const char *, const char *);
/* The value of a hex digit (either case), or -1 if c is none. */
int	 hex_digit(int c);
/* Quote a string for a message: printable ASCII as is, others as \xNN. */
char	*str_quote(const char *);

/* Length of the well-formed UTF-8 sequence at s (at most n >= 1 bytes),
 * 0 if there is none: no overlong forms, surrogates or code points past
 * U+10FFFF. */
size_t	 utf8_len(const unsigned char *s, size_t n);

#endif
