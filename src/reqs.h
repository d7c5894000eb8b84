/*
 * reqs.h: requirements files, the subset of pip's format that pinned
 * installs use: "name==version" and "name @ URL" lines (file, http or
 * https URLs of wheels) with extras (ignored), environment markers and
 * --hash options; comments, "\" continuations, -r/--requirement and
 * -c/--constraint includes, -f/--find-links (a directory or a page),
 * -i/--index-url, --extra-index-url, --no-index and --require-hashes.
 * Editable installs and sdists are refused.  Markers are evaluated while reading, so a
 * requirement whose marker is false is not in the set at all.
 */
#ifndef FORKLIFT_REQS_H
#define FORKLIFT_REQS_H

#include <stdint.h>

#include "util.h"

struct pyinfo;

struct req {
	char		*name;		/* as written */
	char		*norm;		/* normalized name */
	char		*version;	/* the pin, or the version in the wheel filename */
	char		*path;		/* the wheel of a direct reference, or NULL */
	char		*url;		/* an http(s) direct reference (maybe with
					 * user:password@), else the URL resolve.c
					 * chose; NULL: a local file */
	int		 direct;	/* url is the user's direct reference */
	char		*filename;	/* the wheel's name when url is set */
	char		*sha256;	/* expected when url is set (the pin's or
					 * the index's), 64 hex digits, or NULL */
	int64_t		 size;		/* the index's or the lock file's size,
					 * or 0: unknown */
	char		*found;		/* resolve.c: a local file found for the pin
					 * (cache or find-links), or NULL */
	int		 from_cache;	/* found is in the archive cache */
	char		*spec;		/* constraints only: the specifier set, or NULL */
	struct strv	 hashes;	/* "sha256:<lower-case hex>" and the like */
	int		 lock;		/* from a lock file: every hash and the
					 * size must match (lockfile_verify) */
	char		*index;		/* a lock file's package index (base URL):
					 * where filename is looked for when url
					 * is NULL (resolve.c) or fails (the
					 * engine); or NULL */
	char		*file;		/* where the line is */
	unsigned int	 line;		/* its first line (0 for a command-line wheel) */
};

struct reqs {
	struct req	*v;		/* the requirements, in file order */
	size_t		 n;
	struct req	*cons;		/* constraints (-c): they restrict, never add */
	size_t		 ncons;
	struct strv	 find_links;	/* absolute directories */
	struct strv	 find_pages;	/* -f http(s) URLs: pages of links */
	char		*index_url;	/* -i in a file (the last one), or NULL */
	struct strv	 extra_index;	/* --extra-index-url in files */
	int		 no_index;	/* --no-index in a file */
	struct strv	 errors;	/* "FILE:LINE: message", one per problem */
	int		 require_hashes; /* hash-checking mode */
	char		*hash_why;	/* what turned it on, for messages */
	const struct pyinfo *env;	/* marker environment */
	struct strv	 stack;		/* files being read, to refuse -r loops */
	size_t		 cap, capcons;
};

void	 reqs_init(struct reqs *, const struct pyinfo *env);
/* Read a requirements file (or, with constraint set, a constraints file)
 * and the files it includes.  Problems are collected in errors, every one
 * naming its file and line; returns -1 if there was any. */
int	 reqs_read(struct reqs *, const char *path, int constraint);
/* The same for text already in memory; name is used for messages and,
 * for relative -r, -c and -f paths, as the including file's path. */
int	 reqs_read_text(struct reqs *, const char *name, const char *text,
	    size_t len, int constraint);
/* A wheel file named on the command line, as "name @ file:///path"; a
 * URL (file, http, https) is taken as "name @ URL". */
int	 reqs_add_wheel(struct reqs *, const char *path);
/* A --find-links directory (relative to the current directory) or the
 * http(s) URL of a page of links. */
void	 reqs_add_find_links(struct reqs *, const char *dir);
/* After everything is read: merge duplicate pins, apply the constraints
 * and check hash-checking mode (every requirement has a --hash).  Adds to
 * errors; returns -1 if there is any error at all. */
int	 reqs_finish(struct reqs *);
/* The requirement for a normalized name, or NULL. */
const struct req *reqs_find(const struct reqs *, const char *norm);
void	 reqs_free(struct reqs *);

#endif
