/*
 * html.c: a scanner for the HTML of package pages, not a parser.  It
 * finds start tags and reads their attributes as HTML5 tokenizes them
 * (names case-insensitive, values double-quoted, single-quoted or bare,
 * the first of duplicate attributes wins), decodes character references
 * in values, and skips comments, declarations, processing instructions
 * and the raw text of <script> and <style>, so that a '<' in those never
 * looks like a link.  It never builds a tree and never fails: any bytes
 * scan to some sequence of tags.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "util.h"

static void
add_utf8(struct buf *b, unsigned long c)
{
	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	buf_add_utf8(b, (uint32_t)c);
}

static const struct {
	const char	*name;
	unsigned long	 c;
} entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", 0xa0 },
};

/* One character reference at s[0] == '&': appends it and returns its
 * length, or returns 0 when it is none. */
static size_t
html_ref(const char *s, size_t n, struct buf *b)
{
	unsigned long	c = 0;
	size_t		i = 1, j, en, digits = 0;
	int		hex = 0, d;

	if (i < n && s[i] == '#') {
		i++;
		if (i < n && (s[i] == 'x' || s[i] == 'X')) {
			hex = 1;
			i++;
		}
		for (; i < n; i++, digits++) {
			d = (unsigned char)s[i];
			if (isdigit(d))
				c = c * (hex ? 16 : 10) + (unsigned long)(d - '0');
			else if (hex && isxdigit(d))
				c = c * 16 + (unsigned long)(tolower(d) - 'a' + 10);
			else
				break;
			if (c > 0x10ffff)
				c = 0x110000;
		}
		if (digits == 0 || i >= n || s[i] != ';')
			return 0;
		add_utf8(b, c);
		return i + 1;
	}
	for (j = 0; j < ARRAY_SIZE(entities); j++) {
		en = strlen(entities[j].name);
		if (1 + en < n && strncmp(s + 1, entities[j].name, en) == 0 &&
		    s[1 + en] == ';') {
			add_utf8(b, entities[j].c);
			return en + 2;
		}
	}
	return 0;
}

char *
html_unescape(const char *s, size_t n)
{
	struct buf	b = BUF_INIT;
	size_t		i, k;

	buf_grow(&b, n + 1);
	b.p[0] = '\0';
	for (i = 0; i < n; i++) {
		if (s[i] == '&' && (k = html_ref(s + i, n - i, &b)) > 0)
			i += k - 1;
		else
			buf_add(&b, &s[i], 1);
	}
	return buf_detach(&b);
}

void
html_tag_clear(struct html_tag *t)
{
	size_t	i;

	for (i = 0; i < t->nattr; i++) {
		free(t->attr[i]);
		free(t->val[i]);
	}
	memset(t, 0, sizeof(*t));
}

const char *
html_tag_attr(const struct html_tag *t, const char *name, int *present)
{
	size_t	i;

	for (i = 0; i < t->nattr; i++)
		if (strcmp(t->attr[i], name) == 0) {
			if (present != NULL)
				*present = 1;
			return t->val[i];
		}
	if (present != NULL)
		*present = 0;
	return NULL;
}

static const char *
find_ci(const char *p, const char *end, const char *needle)
{
	size_t	n = strlen(needle);

	for (; (size_t)(end - p) >= n; p++)
		if (strncasecmp(p, needle, n) == 0)
			return p;
	return end;
}

/* A tag or attribute name in lower case; a NUL becomes '?' (HTML makes it
 * U+FFFD), so such a name never equals one forklift looks for. */
static char *
lower_name(const char *s, size_t n)
{
	char	*out = xmalloc(n + 1);
	size_t	 i;

	for (i = 0; i < n; i++)
		out[i] = s[i] == '\0' ? '?' : (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	return out;
}

static void
tag_keep(struct html_tag *t, const char *name, size_t nn, const char *v,
    size_t vn, int has_value)
{
	size_t	i;

	if (t->nattr == HTML_MAX_ATTRS)
		return;
	for (i = 0; i < t->nattr; i++)
		if (strlen(t->attr[i]) == nn && strncasecmp(t->attr[i], name, nn) == 0 &&
		    memchr(name, '\0', nn) == NULL)
			return;
	t->attr[t->nattr] = lower_name(name, nn);
	t->val[t->nattr] = has_value ? html_unescape(v, vn) : NULL;
	t->nattr++;
}

/* One attribute at p (not space, not '>'); returns the end of it. */
static const char *
scan_attr(const char *p, const char *end, struct html_tag *t)
{
	const char	*nm = p++, *v = NULL;
	size_t		 nn, vn = 0;
	int		 has_value = 0;
	char		 q;

	/* A name may start with '=' or a quote: HTML allows it. */
	while (p < end && !isspace((unsigned char)*p) && *p != '>' &&
	    *p != '/' && *p != '=')
		p++;
	nn = (size_t)(p - nm);
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p < end && *p == '=') {
		p++;
		while (p < end && isspace((unsigned char)*p))
			p++;
		has_value = 1;
		if (p < end && (*p == '"' || *p == '\'')) {
			q = *p++;
			for (v = p; p < end && *p != q; p++)
				;
			vn = (size_t)(p - v);
			if (p < end)
				p++;
		} else {
			for (v = p; p < end && !isspace((unsigned char)*p) && *p != '>'; p++)
				;
			vn = (size_t)(p - v);
		}
	}
	tag_keep(t, nm, nn, v, vn, has_value);
	return p;
}

/* A tag after its '<'.  Returns where scanning goes on; t->name is empty
 * unless a start tag was read. */
static const char *
scan_tag(const char *p, const char *end, struct html_tag *t)
{
	size_t	i;
	int	closing = 0;

	if (end - p >= 3 && memcmp(p, "!--", 3) == 0) {
		p = find_ci(p + 3, end, "-->");
		return p == end ? end : p + 3;
	}
	if (p < end && (*p == '!' || *p == '?')) {
		while (p < end && *p != '>')
			p++;
		return p == end ? end : p + 1;
	}
	if (p < end && *p == '/') {
		closing = 1;
		p++;
	}
	if (p == end || !isalpha((unsigned char)*p))
		return p;
	for (i = 0; p < end && !isspace((unsigned char)*p) && *p != '>' && *p != '/'; p++)
		if (i < sizeof(t->name) - 1)
			t->name[i++] = *p == '\0' ? '?' : (char)tolower((unsigned char)*p);
	for (;;) {
		while (p < end && (isspace((unsigned char)*p) || *p == '/'))
			p++;
		if (p == end || *p == '>')
			break;
		p = scan_attr(p, end, t);
	}
	/* A tag cut off by the end of the page is no tag. */
	if (closing || p == end)
		html_tag_clear(t);
	return p == end ? end : p + 1;
}

const char *
html_next_tag(const char *p, const char *end, struct html_tag *t)
{
	memset(t, 0, sizeof(*t));
	while (p != NULL && p < end) {
		if ((p = memchr(p, '<', (size_t)(end - p))) == NULL)
			break;
		p = scan_tag(p + 1, end, t);
		if (t->name[0] == '\0')
			continue;
		/* Raw text: a '<' inside is no tag. */
		if (strcmp(t->name, "script") == 0)
			return find_ci(p, end, "</script");
		if (strcmp(t->name, "style") == 0)
			return find_ci(p, end, "</style");
		return p;
	}
	return NULL;
}
