/*
 * reqs.c: the set of requirements read from requirements files: reading
 * files (refusing an -r loop), the wheels named on the command line, and,
 * after reading, merging duplicates and applying constraints.  What one
 * line says is reqline.c's business.
 *
 * Every problem is collected with its file and line, so one run reports
 * them all; nothing is printed here, and no wheel is opened (a direct
 * reference's version comes from its file name).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsutil.h"
#include "reqline.h"
#include "reqs.h"
#include "tags.h"
#include "url.h"
#include "util.h"
#include "version.h"

#define REQS_MAX_FILE	((size_t)64 << 20)

static char *
where(const struct req *q)
{
	return q->line > 0 ? xasprintf("%s:%u", q->file, q->line) :
	    xstrdup(q->file);
}

void
reqs_init(struct reqs *r, const struct pyinfo *env)
{
	memset(r, 0, sizeof(*r));
	r->env = env;
}

void
reqs_req_free(struct req *q)
{
	free(q->name);
	free(q->norm);
	free(q->version);
	free(q->path);
	free(q->url);
	free(q->filename);
	free(q->sha256);
	free(q->found);
	free(q->spec);
	free(q->file);
	free(q->index);
	strv_free(&q->hashes);
}

void
reqs_free(struct reqs *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		reqs_req_free(&r->v[i]);
	for (i = 0; i < r->ncons; i++)
		reqs_req_free(&r->cons[i]);
	free(r->v);
	free(r->cons);
	strv_free(&r->find_links);
	strv_free(&r->find_pages);
	free(r->index_url);
	strv_free(&r->extra_index);
	strv_free(&r->errors);
	strv_free(&r->stack);
	free(r->hash_why);
	memset(r, 0, sizeof(*r));
}

struct req *
reqs_new_req(struct reqs *r, int constraint)
{
	struct req	**v = constraint ? &r->cons : &r->v;
	size_t		 *n = constraint ? &r->ncons : &r->n;
	size_t		 *cap = constraint ? &r->capcons : &r->cap;
	struct req	 *q;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	q = &(*v)[(*n)++];
	memset(q, 0, sizeof(*q));
	return q;
}


/* Read a file, refusing one that is already being read (an -r loop). */
static int
read_path(struct reqs *r, const char *path, int constraint, const struct reqline_ctx *from)
{
	char	*abs = path_abs(path), *text;
	size_t	 i, len;
	int	 rc;

	for (i = 0; i < r->stack.n; i++) {
		if (strcmp(r->stack.v[i], abs) == 0) {
			reqline_err(from, "'%s' includes itself", path);
			free(abs);
			return -1;
		}
	}
	if (read_file(path, REQS_MAX_FILE, &text, &len) != 0) {
		if (from != NULL)
			reqline_err(from, "%s", err_get());
		else
			strv_push_owned(&r->errors, xstrdup(err_get()));
		free(abs);
		return -1;
	}
	strv_push_owned(&r->stack, abs);
	rc = reqs_read_text(r, path, text, len, constraint);
	free(r->stack.v[--r->stack.n]);
	r->stack.v[r->stack.n] = NULL;
	free(text);
	return rc;
}

void
reqs_include(const struct reqline_ctx *c, const char *val, int constraint)
{
	char	*path;

	if (reqline_is_url(val)) {
		reqline_err(c, "'%s': forklift reads local requirements files only", val);
		return;
	}
	path = reqline_relative(c->file, val);
	(void)read_path(c->r, path, constraint, c);
	free(path);
}

int
reqs_read(struct reqs *r, const char *path, int constraint)
{
	(void)read_path(r, path, constraint, NULL);
	return r->errors.n > 0 ? -1 : 0;
}

int
reqs_add_wheel(struct reqs *r, const char *path)
{
	struct wheel_name	 fn;
	struct req		*q;

	if (reqline_is_url(path) || strncasecmp(path, "file:", 5) == 0) {
		struct reqline_ctx	 c = { r, path, 0, 0 };

		return reqline_url_arg(&c, path);
	}
	if (wheel_name_parse(path_base(path), &fn) != 0) {
		strv_push_owned(&r->errors, xasprintf("%s: %s", path, err_get()));
		return -1;
	}
	q = reqs_new_req(r, 0);
	q->name = xstrdup(fn.name);
	q->norm = xstrdup(fn.norm);
	q->version = xstrdup(fn.version);
	q->path = xstrdup(path);
	q->file = xstrdup(path);
	wheel_name_free(&fn);
	return 0;
}

void
reqs_add_find_links(struct reqs *r, const char *dir)
{
	struct reqline_ctx	c = { r, "--find-links", 0, 0 };

	reqline_find_links(&c, dir);
}

/* ---- after reading -------------------------------------------------- */

static void
req_error(struct reqs *r, const struct req *q, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
req_error(struct reqs *r, const struct req *q, const char *fmt, ...)
{
	struct reqline_ctx	c = { r, q->file, q->line, 0 };
	char		msg[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reqline_err(&c, "%s", msg);
}

/* Both NULL, or equal strings. */
static int
str_same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* What a requirement asks for, for messages: its file, its URL without
 * a password, or its version. */
static char *
req_shown(const struct req *q)
{
	if (q->path != NULL)
		return xstrdup(q->path);
	if (q->url != NULL)
		return url_redact(q->url);
	return xstrdup(q->version);
}

/* The same distribution twice: the same pin merges, another conflicts. */
static void
merge_duplicates(struct reqs *r)
{
	size_t	i, j, k, n = 0;
	char	*at;

	for (i = 0; i < r->n; i++) {
		struct req	*q = &r->v[i];

		for (j = 0; j < n; j++)
			if (strcmp(r->v[j].norm, q->norm) == 0)
				break;
		if (j == n) {
			if (n != i)
				r->v[n] = *q;
			n++;
			continue;
		}
		at = where(&r->v[j]);
		if (version_strcmp(r->v[j].version, q->version) != 0 ||
		    !str_same(r->v[j].path, q->path) ||
		    !str_same(r->v[j].url, q->url)) {
			char	*a = req_shown(q), *b = req_shown(&r->v[j]);

			req_error(r, q, "'%s' %s conflicts with %s %s at %s", q->name,
			    a, r->v[j].name, b, at);
			free(a);
			free(b);
		}
		for (k = 0; k < q->hashes.n; k++)
			if (!strv_has(&r->v[j].hashes, q->hashes.v[k]))
				strv_push(&r->v[j].hashes, q->hashes.v[k]);
		free(at);
		reqs_req_free(q);
	}
	r->n = n;
}

static void
apply_constraint(struct reqs *r, struct req *q, const struct req *k)
{
	struct strv	 keep = STRV_INIT;
	char		*at = where(k);
	size_t		 i;

	if (k->spec != NULL && *k->spec != '\0' &&
	    version_spec_match(k->spec, q->version) != 1)
		req_error(r, q, "'%s' %s does not satisfy the constraint '%s%s' "
		    "at %s", q->name, q->version, k->name, k->spec, at);
	if (k->hashes.n > 0) {
		if (q->hashes.n == 0) {
			for (i = 0; i < k->hashes.n; i++)
				strv_push(&q->hashes, k->hashes.v[i]);
		} else {
			for (i = 0; i < q->hashes.n; i++)
				if (strv_has(&k->hashes, q->hashes.v[i]))
					strv_push(&keep, q->hashes.v[i]);
			if (keep.n == 0)
				req_error(r, q, "no --hash of '%s' is also a --hash of "
				    "its constraint at %s", q->name, at);
			strv_free(&q->hashes);
			q->hashes = keep;
		}
	}
	free(at);
}

int
reqs_finish(struct reqs *r)
{
	size_t	i, j;

	merge_duplicates(r);
	for (i = 0; i < r->n; i++)
		for (j = 0; j < r->ncons; j++)
			if (strcmp(r->v[i].norm, r->cons[j].norm) == 0)
				apply_constraint(r, &r->v[i], &r->cons[j]);
	if (r->require_hashes)
		for (i = 0; i < r->n; i++)
			if (r->v[i].hashes.n == 0)
				req_error(r, &r->v[i], "'%s' has no --hash, and "
				    "hash-checking mode is on (%s)", r->v[i].name,
				    r->hash_why);
	return r->errors.n > 0 ? -1 : 0;
}

const struct req *
reqs_find(const struct reqs *r, const char *norm)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].norm, norm) == 0)
			return &r->v[i];
	return NULL;
}
