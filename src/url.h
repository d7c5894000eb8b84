/*
 * url.h: URLs as forklift meets them on an index: parsing an absolute URL
 * into its parts, resolving a relative reference against a base (RFC 3986
 * section 5), the project page of a simple index (PEP 503 normalized
 * name), credentials in the userinfo (split out, kept with the origin
 * they belong to, redacted for printing), hash fragments ("#sha256=...")
 * and a URL's file name.  Pure functions: no I/O, nothing printed.
 */
#ifndef FORKLIFT_URL_H
#define FORKLIFT_URL_H

#include <stddef.h>

struct url {
	char	*scheme;	/* lower case, never NULL */
	char	*user;		/* percent-decoded, or NULL when no userinfo */
	char	*password;	/* percent-decoded, or NULL when no ':' in userinfo */
	char	*host;		/* lower case; an IPv6 literal keeps its brackets;
				 * "" for "file:///x"; NULL without an authority */
	char	*port;		/* the digits after ':', or NULL */
	char	*path;		/* as written (still percent-encoded), maybe "" */
	char	*query;		/* after '?', or NULL when there is no '?' */
	char	*fragment;	/* after '#', or NULL when there is no '#' */
};

/* Parse an absolute URL ("scheme:..." with an optional authority).  0, or
 * -1 with err_set() saying what is wrong (the message does not repeat the
 * URL: it may hold a password).  url_free() is harmless after failure. */
int	 url_parse(const char *, struct url *);
void	 url_free(struct url *);

#define URL_NO_USERINFO	0x1	/* leave out user and password */
#define URL_NO_FRAGMENT	0x2	/* leave out the fragment */
#define URL_REDACT	0x4	/* password (or a lone user, a token) as "****" */
/* The URL again (user and password percent-encoded where needed). */
char	*url_format(const struct url *, int flags);

/* The port as a number: the explicit one, else the scheme's default (80
 * http, 443 https), else 0. */
unsigned int url_port_num(const struct url *);

/* Resolve a reference (relative or absolute) against an absolute base URL
 * as RFC 3986 section 5.2 says, dot segments removed.  NULL with err_set()
 * when the base has no scheme. */
char	*url_resolve(const char *base, const char *ref);

/* The project page of a simple index: "<index>/<normalized name>/" (one
 * slash between them whether or not the index URL ends in one). */
char	*url_project(const char *index, const char *name);

/* The URL with "user:password@" replaced: the password by "****", or a
 * lone user (a token) by "****".  Anything that is not a URL comes back
 * unchanged but for the same replacement in an "x://...@" prefix. */
char	*url_redact(const char *);

/* Credentials given in a URL, and the origin they may be sent to. */
struct url_cred {
	char		*user;		/* percent-decoded */
	char		*password;	/* percent-decoded, "" when none given */
	char		*scheme;	/* the origin: scheme, host, port */
	char		*host;
	unsigned int	 port;
};

/* Split the credentials out of an absolute URL: *clean gets the URL
 * without userinfo; cred gets user and password (both NULL when there were
 * none) and the origin.  0, or -1 with err_set() if the URL is invalid. */
int	 url_cred_split(const char *, char **clean, struct url_cred *);
void	 url_cred_free(struct url_cred *);
/* May these credentials go with a request for url (same scheme, host and
 * port)?  0 when the credentials are empty or the URL is invalid. */
int	 url_cred_applies(const struct url_cred *, const char *url);

/* Same origin: scheme, host and port (default ports filled in) equal.
 * Invalid URLs are never the same origin. */
int	 url_same_origin(const char *, const char *);

/* A hash fragment "alg=hexdigest" (with or without the leading '#'):
 * *alg gets the lower-case algorithm name, *hex the lower-case digest.
 * 1 when it is one, 0 when the fragment is something else (nothing set). */
int	 url_fragment_hash(const char *fragment, char **alg, char **hex);

/* The URL without its fragment. */
char	*url_strip_fragment(const char *);

/* The percent-decoded last path segment (no query, no fragment); "" when
 * the path ends in '/'. */
char	*url_filename(const char *);

/* Percent-decode n bytes ("%2F" -> "/"; a '%' not followed by two hex
 * digits stays as it is). */
char	*pct_decode(const char *, size_t);

#endif
