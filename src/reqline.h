/*
 * reqline.h: private to the requirements reader (reqs.c and reqline.c):
 * the parsing context of one file and what each half needs of the other.
 */
#ifndef FORKLIFT_REQLINE_H
#define FORKLIFT_REQLINE_H

struct reqs;
struct req;

struct reqline_ctx {
	struct reqs	*r;
	const char	*file;
	unsigned int	 line;		/* 0: not a line of a file */
	int		 constraint;	/* read with -c */
};

/* reqline.c */
/* Record a problem with file and line in r->errors. */
void	 reqline_err(const struct reqline_ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* A path named in file: relative to file's directory unless absolute. */
char	*reqline_relative(const char *file, const char *path);
int	 reqline_is_url(const char *);
/* "file:///abs/path", "file://localhost/abs/path" or "file:/abs/path",
 * percent-decoded; NULL if the URL is not one of those. */
char	*reqline_file_path(const char *url);
/* -f/--find-links VAL (a directory, a file:// URL of one, or the http(s)
 * URL of a page of links). */
void	 reqline_find_links(const struct reqline_ctx *, const char *val);
/* A URL named on the command line: "name @ URL" with the name from the
 * wheel's file name.  0, or -1 after reqline_err(). */
int	 reqline_url_arg(const struct reqline_ctx *, const char *url);

/* reqs.c */
/* A new, zeroed requirement (or constraint) at the end of r's list. */
struct req *reqs_new_req(struct reqs *, int constraint);
/* Free what one requirement holds. */
void	 reqs_req_free(struct req *);
/* -r or -c VAL on a line of c's file: read that file too. */
void	 reqs_include(const struct reqline_ctx *, const char *val, int constraint);

#endif
