/*
 * url.c: the URL arithmetic of fetching.  A URL is split into its five
 * RFC 3986 components by the generic syntax (appendix B) before anything
 * else looks at it, so parsing, resolution and redaction agree on where
 * the authority ends; relative references are resolved by the algorithm
 * of section 5.2 with dot segments removed as 5.2.4 says.
 *
 * Credentials: userinfo is percent-decoded when split out and remembered
 * with the origin (scheme, host, port) it came with; url_cred_applies()
 * is the one place that decides whether they may go with a request.
 * Nothing here prints a URL, and no error message repeats one: a URL may
 * hold a password, and only url_redact()'s output is fit to print.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"
#include "util.h"
#include "version.h"

/* The five components of a reference, as spans of the original string. */
struct span {
	const char	*p;	/* NULL: the component is undefined */
	size_t		 n;
};

struct uref {
	struct span	 scheme;
	struct span	 auth;
	struct span	 path;	/* always defined, maybe empty */
	struct span	 query;
	struct span	 frag;
};

static void
uref_split(const char *s, struct uref *r)
{
	const char	*p = s, *e;

	memset(r, 0, sizeof(*r));
	if (isalpha((unsigned char)*p)) {
		for (e = p + 1; isalnum((unsigned char)*e) || *e == '+' ||
		    *e == '-' || *e == '.'; e++)
			;
		if (*e == ':') {
			r->scheme.p = p;
			r->scheme.n = (size_t)(e - p);
			p = e + 1;
		}
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		r->auth.p = p;
		r->auth.n = strcspn(p, "/?#");
		p += r->auth.n;
	}
	r->path.p = p;
	r->path.n = strcspn(p, "?#");
	p += r->path.n;
	if (*p == '?') {
		r->query.p = ++p;
		r->query.n = strcspn(p, "#");
		p += r->query.n;
	}
	if (*p == '#') {
		r->frag.p = ++p;
		r->frag.n = strlen(p);
	}
}

char *
pct_decode(const char *s, size_t n)
{
	char	*out = xmalloc(n + 1), *o = out;
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		/* "%00" stays encoded: a decoded string never holds a NUL. */
		if (s[i] == '%' && i + 2 < n &&
		    (hi = hex_digit((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_digit((unsigned char)s[i + 2])) >= 0 && (hi | lo) != 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* Append bytes, percent-encoding space, controls and non-ASCII (as a
 * browser does with an href) and, when extra is given, those characters. */
static void
add_encoded(struct buf *b, const char *s, size_t n, const char *extra)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || (extra != NULL && strchr(extra, c) != NULL))
			buf_addf(b, "%%%02X", c);
		else
			buf_add(b, &s[i], 1);
	}
}

static char *
lower_dup(const char *s, size_t n)
{
	char	*out = xstrndup(s, n);
	char	*p;

	for (p = out; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

void
url_free(struct url *u)
{
	free(u->scheme);
	free(u->user);
	free(u->password);
	free(u->host);
	free(u->port);
	free(u->path);
	free(u->query);
	free(u->fragment);
	memset(u, 0, sizeof(*u));
}

static int
parse_authority(struct url *u, const char *a, size_t n)
{
	const char	*at = NULL, *h, *end = a + n, *colon, *p;
	unsigned long	 port = 0;

	for (p = a; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		colon = memchr(a, ':', (size_t)(at - a));
		if (colon != NULL) {
			u->user = pct_decode(a, (size_t)(colon - a));
			u->password = pct_decode(colon + 1, (size_t)(at - colon - 1));
		} else
			u->user = pct_decode(a, (size_t)(at - a));
	}
	h = at != NULL ? at + 1 : a;
	if (h < end && *h == '[') {
		if ((p = memchr(h, ']', (size_t)(end - h))) == NULL)
			return err_set("unterminated IPv6 address in URL");
		for (colon = h + 1; colon < p; colon++)
			if (!isxdigit((unsigned char)*colon) && *colon != ':' &&
			    *colon != '.')
				return err_set("invalid IPv6 address in URL");
		colon = p + 1;
		if (colon < end && *colon != ':')
			return err_set("invalid character after the IPv6 address in URL");
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		if (colon == NULL)
			colon = end;
	}
	u->host = lower_dup(h, (size_t)(colon - h));
	for (p = u->host + (*u->host == '['); *p != '\0' && *p != ']'; p++)
		if (strchr("@[]\\/", *p) != NULL)
			return err_set("invalid character '%c' in the host of a URL", *p);
	if (colon < end && colon + 1 < end) {
		for (p = colon + 1; p < end; p++) {
			if (!isdigit((unsigned char)*p))
				return err_set("invalid port in URL");
			port = port * 10 + (unsigned long)(*p - '0');
			if (port > 65535)
				return err_set("port out of range in URL");
		}
		u->port = xstrndup(colon + 1, (size_t)(end - colon - 1));
	}
	return 0;
}

int
url_parse(const char *s, struct url *u)
{
	struct uref	 r;
	const char	*p;

	memset(u, 0, sizeof(*u));
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return err_set("URL contains a space or control character");
	uref_split(s, &r);
	if (r.scheme.p == NULL)
		return err_set("not an absolute URL (no scheme)");
	u->scheme = lower_dup(r.scheme.p, r.scheme.n);
	if (r.auth.p != NULL && parse_authority(u, r.auth.p, r.auth.n) == -1) {
		url_free(u);
		return -1;
	}
	if (r.auth.p != NULL && *u->host == '\0' && strcmp(u->scheme, "file") != 0) {
		url_free(u);
		return err_set("URL has no host");
	}
	u->path = xstrndup(r.path.p, r.path.n);
	if (r.query.p != NULL)
		u->query = xstrndup(r.query.p, r.query.n);
	if (r.frag.p != NULL)
		u->fragment = xstrndup(r.frag.p, r.frag.n);
	return 0;
}

char *
url_format(const struct url *u, int flags)
{
	struct buf	b = BUF_INIT;

	buf_addf(&b, "%s:", u->scheme);
	if (u->host != NULL) {
		buf_adds(&b, "//");
		if (u->user != NULL && !(flags & URL_NO_USERINFO)) {
			if ((flags & URL_REDACT) && u->password == NULL)
				buf_adds(&b, "****");
			else
				add_encoded(&b, u->user, strlen(u->user), ":@/?#[]%");
			if (u->password != NULL) {
				buf_adds(&b, ":");
				if (flags & URL_REDACT)
					buf_adds(&b, "****");
				else
					add_encoded(&b, u->password,
					    strlen(u->password), ":@/?#[]%");
			}
			buf_adds(&b, "@");
		}
		buf_adds(&b, u->host);
		if (u->port != NULL)
			buf_addf(&b, ":%s", u->port);
	}
	buf_adds(&b, u->path);
	if (u->query != NULL)
		buf_addf(&b, "?%s", u->query);
	if (u->fragment != NULL && !(flags & URL_NO_FRAGMENT))
		buf_addf(&b, "#%s", u->fragment);
	return buf_detach(&b);
}

unsigned int
url_port_num(const struct url *u)
{
	if (u->port != NULL && *u->port != '\0')
		return (unsigned int)strtoul(u->port, NULL, 10);
	if (strcmp(u->scheme, "http") == 0)
		return 80;
	if (strcmp(u->scheme, "https") == 0)
		return 443;
	return 0;
}

/* Remove the last segment and its preceding '/' from the output. */
static void
drop_last_segment(struct buf *out)
{
	while (out->len > 0 && out->p[out->len - 1] != '/')
		out->len--;
	if (out->len > 0)
		out->len--;
	out->p[out->len] = '\0';
}

/* RFC 3986 5.2.4: remove_dot_segments, appending the result to out. */
static void
remove_dots(struct buf *out, const char *in, size_t n)
{
	const char	*p = in, *end = in + n, *seg;
	struct buf	 o = BUF_INIT;

	buf_grow(&o, n + 1);
	o.p[0] = '\0';
#define REST(s) ((size_t)(end - p) >= sizeof(s) - 1 && memcmp(p, s, sizeof(s) - 1) == 0)
#define IS(s) ((size_t)(end - p) == sizeof(s) - 1 && memcmp(p, s, sizeof(s) - 1) == 0)
	while (p < end) {
		if (REST("../"))
			p += 3;
		else if (REST("./"))
			p += 2;
		else if (REST("/./"))
			p += 2;
		else if (IS("/.")) {
			buf_adds(&o, "/");
			p = end;
		} else if (REST("/../")) {
			p += 3;
			drop_last_segment(&o);
		} else if (IS("/..")) {
			drop_last_segment(&o);
			buf_adds(&o, "/");
			p = end;
		} else if (IS(".") || IS(".."))
			p = end;
		else {
			seg = p;
			if (*p == '/')
				p++;
			while (p < end && *p != '/')
				p++;
			buf_add(&o, seg, (size_t)(p - seg));
		}
	}
#undef REST
#undef IS
	buf_add(out, o.p, o.len);
	buf_free(&o);
}

/* The target path of 5.2.2 for a reference without scheme, into out. */
static void
target_path(struct buf *out, const struct uref *b, const struct uref *r)
{
	struct buf	 m = BUF_INIT;
	size_t		 i, keep = 0;

	if (r->auth.p != NULL || (r->path.n > 0 && r->path.p[0] == '/')) {
		remove_dots(out, r->path.p, r->path.n);
		return;
	}
	if (r->path.n == 0) {
		buf_add(out, b->path.p, b->path.n);
		return;
	}
	/* 5.2.3 merge: the base path up to its last '/', then the reference. */
	if (b->auth.p != NULL && b->path.n == 0)
		buf_adds(&m, "/");
	else {
		for (i = 0; i < b->path.n; i++)
			if (b->path.p[i] == '/')
				keep = i + 1;
		buf_add(&m, b->path.p, keep);
	}
	buf_add(&m, r->path.p, r->path.n);
	remove_dots(out, m.p, m.len);
	buf_free(&m);
}

static void
add_scheme(struct buf *out, const struct span *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		buf_addf(out, "%c", tolower((unsigned char)s->p[i]));
	buf_adds(out, ":");
}

char *
url_resolve(const char *base, const char *ref)
{
	struct uref	 b, r;
	struct buf	 out = BUF_INIT, path = BUF_INIT;
	const struct span *auth, *query;
	char		*trim;
	size_t		 n;

	uref_split(base, &b);
	if (b.scheme.p == NULL) {
		err_set("base URL is not absolute");
		return NULL;
	}
	/* An href loses its leading and trailing white space first (HTML). */
	ref += strspn(ref, " \t\n\r\f");
	for (n = strlen(ref); n > 0 && strchr(" \t\n\r\f", ref[n - 1]) != NULL; n--)
		;
	trim = xstrndup(ref, n);
	uref_split(trim, &r);
	if (r.scheme.p != NULL) {
		add_scheme(&out, &r.scheme);
		auth = &r.auth;
		query = &r.query;
		remove_dots(&path, r.path.p, r.path.n);
	} else {
		add_scheme(&out, &b.scheme);
		auth = r.auth.p != NULL ? &r.auth : &b.auth;
		query = r.auth.p == NULL && r.path.n == 0 && r.query.p == NULL ?
		    &b.query : &r.query;
		target_path(&path, &b, &r);
	}
	if (auth->p != NULL) {
		buf_adds(&out, "//");
		add_encoded(&out, auth->p, auth->n, NULL);
	}
	add_encoded(&out, path.p, path.len, NULL);
	if (query->p != NULL) {
		buf_adds(&out, "?");
		add_encoded(&out, query->p, query->n, NULL);
	}
	if (r.frag.p != NULL) {
		buf_adds(&out, "#");
		add_encoded(&out, r.frag.p, r.frag.n, NULL);
	}
	buf_free(&path);
	free(trim);
	return buf_detach(&out);
}

char *
url_project(const char *index, const char *name)
{
	char	*norm = name_normalize(name), *out;
	size_t	 n = strlen(index);

	out = xasprintf("%s%s%s/", index, n > 0 && index[n - 1] == '/' ? "" : "/",
	    norm);
	free(norm);
	return out;
}

char *
url_redact(const char *s)
{
	const char	*p, *auth, *at = NULL, *colon;
	size_t		 n;
	struct buf	 b = BUF_INIT;

	if ((p = strstr(s, "://")) == NULL)
		return xstrdup(s);
	auth = p + 3;
	n = strcspn(auth, "/?#");
	for (p = auth; p < auth + n; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return xstrdup(s);
	buf_add(&b, s, (size_t)(auth - s));
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon != NULL) {
		buf_add(&b, auth, (size_t)(colon - auth));
		buf_adds(&b, ":****");
	} else
		buf_adds(&b, "****");
	buf_adds(&b, at);
	return buf_detach(&b);
}

int
url_cred_split(const char *s, char **clean, struct url_cred *c)
{
	struct url	u;

	memset(c, 0, sizeof(*c));
	*clean = NULL;
	if (url_parse(s, &u) == -1)
		return -1;
	*clean = url_format(&u, URL_NO_USERINFO);
	if (u.user != NULL) {
		c->user = u.user;
		c->password = u.password != NULL ? u.password : xstrdup("");
		u.user = u.password = NULL;
	}
	c->scheme = u.scheme;
	c->host = u.host != NULL ? u.host : xstrdup("");
	c->port = url_port_num(&u);
	u.scheme = u.host = NULL;
	url_free(&u);
	return 0;
}

void
url_cred_free(struct url_cred *c)
{
	free(c->user);
	free(c->password);
	free(c->scheme);
	free(c->host);
	memset(c, 0, sizeof(*c));
}

int
url_cred_applies(const struct url_cred *c, const char *s)
{
	struct url	u;
	int		ok;

	if (c->user == NULL || c->scheme == NULL || url_parse(s, &u) == -1)
		return 0;
	ok = u.host != NULL && strcmp(u.scheme, c->scheme) == 0 &&
	    strcmp(u.host, c->host) == 0 && url_port_num(&u) == c->port;
	url_free(&u);
	return ok;
}

int
url_same_origin(const char *a, const char *b)
{
	struct url	ua, ub;
	int		same = 0;

	if (url_parse(a, &ua) == -1)
		return 0;
	if (url_parse(b, &ub) == 0) {
		same = ua.host != NULL && ub.host != NULL &&
		    strcmp(ua.scheme, ub.scheme) == 0 &&
		    strcmp(ua.host, ub.host) == 0 &&
		    url_port_num(&ua) == url_port_num(&ub);
		url_free(&ub);
	}
	url_free(&ua);
	return same;
}

/* The hash algorithms an index may name (those hashlib always has). */
static const char *const hash_algs[] = {
	"md5", "sha1", "sha224", "sha256", "sha384", "sha512",
	"blake2b", "blake2s", "sha3_224", "sha3_256", "sha3_384", "sha3_512",
};

int
url_fragment_hash(const char *frag, char **alg, char **hex)
{
	const char	*eq, *h;
	size_t		 i, n, an;

	if (*frag == '#')
		frag++;
	if ((eq = strchr(frag, '=')) == NULL)
		return 0;
	an = (size_t)(eq - frag);
	for (i = 0; i < ARRAY_SIZE(hash_algs); i++)
		if (strlen(hash_algs[i]) == an && strncasecmp(frag, hash_algs[i], an) == 0)
			break;
	if (i == ARRAY_SIZE(hash_algs))
		return 0;
	h = eq + 1;
	for (n = 0; isxdigit((unsigned char)h[n]); n++)
		;
	if (n == 0 || (h[n] != '\0' && h[n] != '&'))
		return 0;
	*alg = xstrdup(hash_algs[i]);
	*hex = lower_dup(h, n);
	return 1;
}

char *
url_strip_fragment(const char *s)
{
	return xstrndup(s, strcspn(s, "#"));
}

char *
url_filename(const char *s)
{
	struct uref	 r;
	const char	*p, *last;

	uref_split(s, &r);
	last = r.path.p;
	for (p = r.path.p; p < r.path.p + r.path.n; p++)
		if (*p == '/')
			last = p + 1;
	return pct_decode(last, (size_t)(r.path.p + r.path.n - last));
}
