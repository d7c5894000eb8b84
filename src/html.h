/*
 * html.h: the little of HTML forklift reads (simple-index and find-links
 * pages): start tags with their attributes, character references,
 * comments and raw-text elements skipped.  No tree, no I/O.
 */
#ifndef FORKLIFT_HTML_H
#define FORKLIFT_HTML_H

#include <stddef.h>

#define HTML_MAX_ATTRS 32	/* more attributes on one tag are ignored */

struct html_tag {
	char	 name[16];		/* lower case, truncated */
	size_t	 nattr;
	char	*attr[HTML_MAX_ATTRS];	/* lower case; the first of duplicates */
	char	*val[HTML_MAX_ATTRS];	/* references decoded; NULL: no value */
};

/* The next start tag at or after p: fills t and returns where to go on,
 * or returns NULL (t empty) when there is none.  End tags, comments,
 * declarations and the content of <script> and <style> are skipped. */
const char *html_next_tag(const char *p, const char *end, struct html_tag *t);
void	 html_tag_clear(struct html_tag *);
/* An attribute's value (NULL if absent or given without a value);
 * *present (when not NULL) says whether it was there at all. */
const char *html_tag_attr(const struct html_tag *, const char *name, int *present);

/* Decode character references (&amp; &lt; &gt; &quot; &apos; &nbsp;
 * &#NN; &#xHH;); unknown or unterminated ones stay as written. */
char	*html_unescape(const char *, size_t);

#endif
