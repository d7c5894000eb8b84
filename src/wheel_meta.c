/*
 * wheel_meta.c: the text of a wheel's WHEEL and METADATA files, as
 * RFC 822-style headers: WHEEL's version, generator and root flag, and
 * one METADATA field.  Pure parsing of bytes already read and bounded; it
 * never opens a file.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "version.h"
#include "wheel.h"

/* ---- WHEEL and METADATA ---------------------------------------------- */

/* Next line of [*pp, end) without its LF or CRLF; 0 at the end. */
static int
next_line(const char **pp, const char *end, const char **s, size_t *n)
{
	const char	*p = *pp, *nl;

	if (p >= end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	*s = p;
	*n = (size_t)((nl ? nl : end) - p);
	*pp = nl ? nl + 1 : end;
	if (*n > 0 && p[*n - 1] == '\r')
		(*n)--;
	return 1;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* "Key: value" on line [s, s+n): the value if the key is field. */
static int
header_is(const char *s, size_t n, const char *field, const char **v,
    size_t *vn)
{
	const char	*colon = memchr(s, ':', n), *k = s;
	size_t		 kn;

	if (colon == NULL || *s == ' ' || *s == '\t')
		return 0;
	kn = (size_t)(colon - s);
	trim(&k, &kn);
	if (kn != strlen(field) || strncasecmp(k, field, kn) != 0)
		return 0;
	*v = colon + 1;
	*vn = n - (size_t)(colon + 1 - s);
	trim(v, vn);
	return 1;
}

int
wheel_info_parse(const char *text, size_t len, const char *label,
    struct wheel_info *wi)
{
	const char	*p = text, *end = text + len, *s, *v, *ver = NULL;
	size_t		 n, vn, vl = 0;
	unsigned long	 maj, min = 0;
	char		*e, *copy;

	memset(wi, 0, sizeof(*wi));
	while (next_line(&p, end, &s, &n) && n > 0) {
		if (ver == NULL && header_is(s, n, "Wheel-Version", &v, &vn)) {
			ver = v;
			vl = vn;
		} else if (header_is(s, n, "Root-Is-Purelib", &v, &vn))
			wi->root_is_purelib = vn == 4 &&
			    strncasecmp(v, "true", 4) == 0;
	}
	if (ver == NULL)
		return err_set("WHEEL has no Wheel-Version");
	copy = xstrndup(ver, vl);
	maj = strtoul(copy, &e, 10);
	if (e != copy && *e == '.' && e[1] >= '0' && e[1] <= '9')
		min = strtoul(e + 1, &e, 10);
	while (e != copy && *e == '.' && e[1] >= '0' && e[1] <= '9')
		strtoul(e + 1, &e, 10);
	if (e == copy || *e != '\0' || copy[0] < '0' || copy[0] > '9' ||
	    maj > 9999 || min > 9999) {
		err_set("WHEEL: Wheel-Version '%s' is not a version", copy);
		free(copy);
		return -1;
	}
	if (maj >= 2) {
		err_set("Wheel-Version %s is not supported", copy);
		free(copy);
		return -1;
	}
	if (maj == 0)
		warn_msg("%s: Wheel-Version %s is older than 1.0; installing "
		    "anyway", label, copy);
	else if (min > 0)
		warn_msg("%s: Wheel-Version %s is newer than 1.0; installing "
		    "anyway", label, copy);
	wi->version_major = (int)maj;
	wi->version_minor = (int)min;
	free(copy);
	return 0;
}

char *
metadata_field(const char *text, size_t len, const char *field)
{
	const char	*p = text, *end = text + len, *s, *v;
	size_t		 n, vn;
	struct buf	 b = BUF_INIT;
	char		*r;
	int		 found = 0;

	while (next_line(&p, end, &s, &n) && n > 0) {
		if (found) {
			if (*s != ' ' && *s != '\t')
				break;
			buf_add(&b, s, n);	/* unfold: keep blanks */
		} else if (header_is(s, n, field, &v, &vn)) {
			buf_add(&b, v, vn);
			found = 1;
		}
	}
	if (!found)
		return NULL;
	s = b.p ? b.p : "";
	n = b.len;
	trim(&s, &n);
	r = xstrndup(s, n);
	buf_free(&b);
	return r;
}
