/*
 * index.h: the project pages of a simple index (PEP 691 JSON, PEP 503
 * HTML with PEP 592 yanking) and find-links pages, read into a list of
 * files, and the choice of the wheel for a pinned version among them.
 * Pure functions over bytes already fetched: no I/O, nothing printed.
 */
#ifndef FORKLIFT_INDEX_H
#define FORKLIFT_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct taglist;

struct index_hash {
	char	*alg;		/* lower case: "sha256" */
	char	*hex;		/* lower case */
};

struct index_file {
	char		 *filename;	/* percent-decoded */
	char		 *url;		/* absolute, without fragment */
	struct index_hash *hashes;
	size_t		  nhashes;
	char		 *requires_python; /* entity-decoded, or NULL */
	int		  yanked;
	char		 *yanked_reason;   /* or NULL (yanked without reason) */
	int64_t		  size;		/* bytes, -1 when not given */
};

struct index_page {
	struct index_file *files;
	size_t		  n;
	int		  api_major;	/* 1 (also when the page does not say) */
	int		  api_minor;
	int		  newer_minor;	/* the page speaks a newer 1.x: warn */
	size_t		  nbad;		/* JSON entries skipped (no filename or url) */
};

enum index_format {
	INDEX_SNIFF,			/* decide by the first bytes */
	INDEX_JSON,
	INDEX_HTML,
};

/* The Accept header to send for a project page. */
#define INDEX_ACCEPT "application/vnd.pypi.simple.v1+json, " \
	"application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

/* The format a Content-Type header (or NULL) names: JSON or HTML for the
 * simple-API types and text/html, INDEX_SNIFF for anything else.  -1 with
 * err_set() for a simple-API type of an unsupported major version. */
int	 index_format_of(const char *content_type);

/* Read a page fetched from page_url (the URL after redirects: relative
 * links resolve against it; give it without credentials, as
 * url_cred_split() leaves it, so that the files' URLs carry none).
 * content_type may be NULL.  0, or -1 with err_set() (the caller names
 * the URL); the page is empty then. */
int	 index_parse(struct index_page *, const char *content_type,
	    const char *page_url, const char *body, size_t len);
int	 index_parse_json(struct index_page *, const char *page_url,
	    const char *body, size_t len);
/* HTML of a project page or of a find-links page: every <a href>. */
int	 index_parse_html(struct index_page *, const char *page_url,
	    const char *body, size_t len);
void	 index_page_free(struct index_page *);

/* The file's digest for an algorithm, or NULL. */
const char *index_file_hash(const struct index_file *, const char *alg);

struct index_want {
	const char	*project;	/* as the user spelled it, for messages */
	const char	*version;	/* the pin (==) */
	const char	*python_version; /* "3.11.7", for requires-python */
	const char	*tag_str;	/* the interpreter's best tag, for messages */
};

/* The wheel for project==version among the page's files: wheels of that
 * project and version only, requires-python satisfied (a requires-python
 * that does not parse does not exclude a file), compatible with
 * the tags, the best tag priority then the highest build tag; a yanked
 * file only when no other qualifies (*yanked set: the caller warns).  NULL
 * with err_set() naming the project, the version and what was found (only
 * an sdist, wheels for other platforms with their tags, other versions). */
const struct index_file *index_choose(const struct index_page *,
	    const struct taglist *, const struct index_want *, int *yanked);

#endif
