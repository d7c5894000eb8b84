/*
 * reqline.c: one requirements file's text, line by line, the way pip
 * reads the lines pinned installs need.  Physical lines ending
 * in "\\" are joined (the joined line keeps the number of its first line),
 * comments start at a "#" that opens the line or follows white space, and
 * a line is either a requirement with per-requirement options (--hash) or
 * a line of global options (-r, -c, -f, -i, --extra-index-url,
 * --no-index, --require-hashes).  Paths in -r, -c and -f are relative to
 * the file that names them (an -f URL is a page of links);
 * environment markers are evaluated here, against the target's
 * interpreter facts.  Files named by -r and -c are read by reqs.c.
 * Problems are collected with file and line; nothing is printed.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsutil.h"
#include "markers.h"
#include "reqline.h"
#include "reqs.h"
#include "tags.h"
#include "url.h"
#include "util.h"
#include "version.h"

void
reqline_err(const struct reqline_ctx *c, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->line > 0)
		strv_push_owned(&c->r->errors, xasprintf("%s:%u: %s", c->file,
		    c->line, msg));
	else
		strv_push_owned(&c->r->errors, xasprintf("%s: %s", c->file, msg));
}

/* A path named in file: relative to file's directory unless absolute. */
char *
reqline_relative(const char *file, const char *path)
{
	const char	*base = path_base(file);

	if (path[0] == '/' || base == file)
		return xstrdup(path);
	return xasprintf("%.*s%s", (int)(base - file), file, path);
}

char *
reqline_file_path(const char *url)
{
	const char	*p;
	struct buf	 b = BUF_INIT;

	if (strncasecmp(url, "file:", 5) != 0)
		return NULL;
	p = url + 5;
	if (strncmp(p, "//", 2) == 0) {
		p += 2;
		if (strncasecmp(p, "localhost/", 10) == 0)
			p += 9;
		if (*p != '/')
			return NULL;
	} else if (*p != '/')
		return NULL;
	for (; *p != '\0'; p++) {
		if (*p == '%' && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0 &&
		    (hex_digit(p[1]) | hex_digit(p[2])) != 0) {
			char	c = (char)(hex_digit(p[1]) * 16 + hex_digit(p[2]));

			buf_add(&b, &c, 1);
			p += 2;
		} else if (*p == '%' || *p == '?' || *p == '#') {
			buf_free(&b);
			return NULL;
		} else
			buf_add(&b, p, 1);
	}
	return buf_detach(&b);
}

int
reqline_is_url(const char *s)
{
	return strstr(s, "://") != NULL;
}

static int
is_http_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

/* ---- options ---------------------------------------------------------- */

enum opt_kind {
	OPT_REQUIREMENT, OPT_CONSTRAINT, OPT_FIND_LINKS, OPT_REQUIRE_HASHES,
	OPT_HASH, OPT_IGNORED, OPT_INDEX_URL, OPT_EXTRA_INDEX_URL, OPT_NO_INDEX,
	OPT_EDITABLE, OPT_NO_BINARY
};

static const struct {
	char		 short_name;
	const char	*long_name;
	int		 has_arg;
	enum opt_kind	 kind;
} options[] = {
	{ 'r', "requirement", 1, OPT_REQUIREMENT },
	{ 'c', "constraint", 1, OPT_CONSTRAINT },
	{ 'f', "find-links", 1, OPT_FIND_LINKS },
	{ 0, "require-hashes", 0, OPT_REQUIRE_HASHES },
	{ 0, "hash", 1, OPT_HASH },
	{ 0, "no-index", 0, OPT_NO_INDEX },
	{ 0, "pre", 0, OPT_IGNORED },
	{ 0, "prefer-binary", 0, OPT_IGNORED },
	{ 0, "only-binary", 1, OPT_IGNORED },
	{ 0, "trusted-host", 1, OPT_IGNORED },
	{ 'i', "index-url", 1, OPT_INDEX_URL },
	{ 0, "extra-index-url", 1, OPT_EXTRA_INDEX_URL },
	{ 'e', "editable", 1, OPT_EDITABLE },
	{ 0, "no-binary", 1, OPT_NO_BINARY },
};

static int
add_hash(const struct reqline_ctx *c, const char *val, struct strv *hashes)
{
	static const struct { const char *algo; size_t hexlen; } algos[] = {
		{ "sha256", 64 }, { "sha384", 96 }, { "sha512", 128 },
	};
	const char	*colon = strchr(val, ':');
	char		*h;
	size_t		 i, k, n;

	for (i = 0; colon != NULL && i < ARRAY_SIZE(algos); i++) {
		n = strlen(algos[i].algo);
		if ((size_t)(colon - val) != n || strncmp(val, algos[i].algo, n) != 0)
			continue;
		if (strlen(colon + 1) != algos[i].hexlen)
			break;
		h = xstrdup(val);
		for (k = n + 1; h[k] != '\0'; k++) {
			if (hex_digit((unsigned char)h[k]) < 0)
				break;
			h[k] = (char)tolower((unsigned char)h[k]);
		}
		if (h[k] != '\0') {
			free(h);
			break;
		}
		strv_push_owned(hashes, h);
		if (!c->r->require_hashes) {
			c->r->require_hashes = 1;
			c->r->hash_why = c->line > 0 ?
			    xasprintf("%s:%u has a --hash", c->file, c->line) :
			    xasprintf("%s has a --hash", c->file);
		}
		return 0;
	}
	reqline_err(c, "--hash '%s' is not sha256:, sha384: or sha512: followed by "
	    "the digest in hexadecimal", val);
	return -1;
}

void
reqline_find_links(const struct reqline_ctx *c, const char *val)
{
	char	*dir, *abs, *shown;
	size_t	 i;

	if (strncasecmp(val, "file:", 5) == 0) {
		if ((dir = reqline_file_path(val)) == NULL) {
			reqline_err(c, "--find-links '%s' is not a file:// URL of a directory", val);
			return;
		}
	} else if (is_http_url(val)) {
		if (!strv_has(&c->r->find_pages, val))
			strv_push(&c->r->find_pages, val);
		return;
	} else if (reqline_is_url(val)) {
		shown = url_redact(val);
		reqline_err(c, "--find-links '%s': not a directory, nor an http(s) "
		    "or file URL", shown);
		free(shown);
		return;
	} else
		dir = reqline_relative(c->file, val);
	abs = path_abs(dir);
	free(dir);
	for (i = 0; i < c->r->find_links.n; i++)
		if (strcmp(c->r->find_links.v[i], abs) == 0)
			break;
	if (i < c->r->find_links.n)
		free(abs);
	else
		strv_push_owned(&c->r->find_links, abs);
}

/*
 * Handle the option tokens tok[0..n).  On a requirement line (hashes set)
 * only --hash is allowed; on an option line everything else.
 */
static int
parse_options(const struct reqline_ctx *c, char **tok, size_t n, struct strv *hashes)
{
	const char	*name, *val;
	size_t		 i, k, nlen;
	int		 rc = 0;

	for (i = 0; i < n; i++) {
		const char	*t = tok[i];

		if (t[0] != '-' || t[1] == '\0') {
			reqline_err(c, "unexpected '%s' (options and requirements go on "
			    "separate lines)", t);
			return -1;
		}
		val = NULL;
		if (t[1] == '-') {
			name = t + 2;
			nlen = strcspn(name, "=");
			if (name[nlen] == '=')
				val = name + nlen + 1;
		} else {
			name = t + 1;
			nlen = 1;
			if (t[2] != '\0')
				val = t + 2;
		}
		for (k = 0; k < ARRAY_SIZE(options); k++) {
			if (t[1] == '-' ? strlen(options[k].long_name) == nlen &&
			    strncmp(options[k].long_name, name, nlen) == 0 :
			    options[k].short_name == name[0])
				break;
		}
		if (k == ARRAY_SIZE(options)) {
			reqline_err(c, "unknown option '%s'", t);
			return -1;
		}
		if (options[k].has_arg && val == NULL) {
			if (i + 1 == n) {
				reqline_err(c, "option '%s' needs a value", t);
				return -1;
			}
			val = tok[++i];
		} else if (!options[k].has_arg && val != NULL) {
			reqline_err(c, "option '--%s' takes no value", options[k].long_name);
			return -1;
		}
		if ((options[k].kind == OPT_HASH) != (hashes != NULL)) {
			if (hashes == NULL)
				reqline_err(c, "--hash belongs on the line of its requirement");
			else
				reqline_err(c, "'%s' is not allowed on a requirement line", t);
			return -1;
		}
		switch (options[k].kind) {
		case OPT_REQUIREMENT:
		case OPT_CONSTRAINT:
			reqs_include(c, val, options[k].kind == OPT_CONSTRAINT);
			break;
		case OPT_FIND_LINKS:
			reqline_find_links(c, val);
			break;
		case OPT_REQUIRE_HASHES:
			if (!c->r->require_hashes) {
				c->r->require_hashes = 1;
				c->r->hash_why = xasprintf("--require-hashes in %s:%u",
				    c->file, c->line);
			}
			break;
		case OPT_HASH:
			if (add_hash(c, val, hashes) != 0)
				rc = -1;
			break;
		case OPT_IGNORED:
			break;
		case OPT_INDEX_URL:
		case OPT_EXTRA_INDEX_URL:
			if (!is_http_url(val)) {
				char	*shown = url_redact(val);

				reqline_err(c, "--%s '%s': an index is an http or https "
				    "URL", options[k].long_name, shown);
				free(shown);
				return -1;
			}
			if (options[k].kind == OPT_EXTRA_INDEX_URL) {
				if (!strv_has(&c->r->extra_index, val))
					strv_push(&c->r->extra_index, val);
			} else {
				free(c->r->index_url);
				c->r->index_url = xstrdup(val);
			}
			break;
		case OPT_NO_INDEX:
			c->r->no_index = 1;
			break;
		case OPT_EDITABLE:
			reqline_err(c, "'%s': editable installs are not supported", t);
			return -1;
		case OPT_NO_BINARY:
			reqline_err(c, "'%s': forklift installs wheels only", t);
			return -1;
		}
	}
	return rc;
}

/* ---- requirement lines ---------------------------------------------- */

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static char *
trim(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

/* "==V" (white space and enclosing parentheses allowed): V, else NULL;
 * *invalid is set when V is there but is not a PEP 440 version. */
static char *
pinned_version(const char *spec, int *invalid)
{
	struct version	 v;
	char		*s = xstrdup(spec), *p = s, *ver;
	size_t		 n = strlen(s);

	if (n >= 2 && s[0] == '(' && s[n - 1] == ')') {
		s[n - 1] = '\0';
		p = s + 1;
	}
	p = (char *)skip_ws(p);
	if (strncmp(p, "==", 2) != 0 || p[2] == '=') {
		free(s);
		return NULL;
	}
	ver = trim(p + 2, strlen(p + 2));
	free(s);
	if (*ver == '\0' || ver[strcspn(ver, " \t,*")] != '\0' ||
	    version_parse(ver, &v) != 0) {
		*invalid = *ver != '\0' && ver[strcspn(ver, " \t,*")] == '\0';
		free(ver);
		return NULL;
	}
	return ver;
}

/* Where a direct reference points: the wheel's path and version. */
static int
direct_reference(const struct reqline_ctx *c, struct req *q, const char *url)
{
	struct wheel_name	 fn;
	struct url		 u;
	char			*shown = url_redact(url), *alg, *hex;
	int			 rc = -1;

	memset(&fn, 0, sizeof(fn));
	memset(&u, 0, sizeof(u));
	if (is_http_url(url)) {
		if (url_parse(url, &u) != 0) {
			reqline_err(c, "'%s @ %s': %s", q->name, shown, err_get());
			goto out;
		}
		q->url = url_strip_fragment(url);
		q->direct = 1;
		q->filename = url_filename(url);
		/* "#sha256=..." says what the file must hash to. */
		if (u.fragment != NULL && url_fragment_hash(u.fragment, &alg, &hex)) {
			if (strcmp(alg, "sha256") == 0 && strlen(hex) == 64)
				q->sha256 = hex;
			else
				free(hex);
			free(alg);
		}
	} else if ((q->path = reqline_file_path(url)) == NULL) {
		if (reqline_is_url(url) || strncasecmp(url, "file:", 5) == 0)
			reqline_err(c, "'%s @ %s': not a file, http or https URL of a "
			    "wheel", q->name, shown);
		else
			reqline_err(c, "'%s @ %s': not a URL (write file:///path/to.whl)",
			    q->name, shown);
		goto out;
	}
	if (wheel_name_parse(q->url ? q->filename : path_base(q->path), &fn) != 0) {
		reqline_err(c, "'%s @ %s': %s", q->name, shown, err_get());
		goto out;
	}
	if (q->name == NULL) {		/* a URL on the command line */
		q->name = xstrdup(fn.name);
		q->norm = xstrdup(fn.norm);
	} else if (strcmp(fn.norm, q->norm) != 0) {
		reqline_err(c, "'%s @ %s': the wheel is of '%s', not '%s'", q->name,
		    shown, fn.name, q->name);
		goto out;
	}
	q->version = xstrdup(fn.version);
	rc = 0;
out:
	wheel_name_free(&fn);
	url_free(&u);
	free(shown);
	return rc;
}

int
reqline_url_arg(const struct reqline_ctx *c, const char *url)
{
	struct req	q, *nq;

	memset(&q, 0, sizeof(q));
	if (direct_reference(c, &q, url) != 0) {
		reqs_req_free(&q);
		return -1;
	}
	q.file = xstrdup(c->file);
	nq = reqs_new_req(c->r, 0);
	*nq = q;
	return 0;
}

/*
 * name [extras] (==version | @ url) [; marker]; for constraints any
 * specifier set.  Returns 1 (added), 0 (marker false), -1 (error).
 */
static int
parse_requirement(const struct reqline_ctx *c, const char *text, struct strv *hashes)
{
	struct req	 q;
	const char	*p = text, *start, *semi, *marker = NULL;
	char		*spec = NULL;
	int		 r, invalid = 0;

	memset(&q, 0, sizeof(q));
	start = p;
	while (isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-')
		p++;
	if (p == start || !isalnum((unsigned char)*start) ||
	    !isalnum((unsigned char)p[-1])) {
		reqline_err(c, "'%s' is not a requirement (name==version)", text);
		return -1;
	}
	q.name = xstrndup(start, (size_t)(p - start));
	q.norm = name_normalize(q.name);
	p = skip_ws(p);
	if (*p == '[') {
		if ((p = strchr(p, ']')) == NULL) {
			reqline_err(c, "'%s': extras without a closing ']'", text);
			goto bad;
		}
		p = skip_ws(p + 1);
	}
	if (*p == '@') {
		char	*url;

		p = skip_ws(p + 1);
		start = p;
		p += strcspn(p, " \t");
		url = xstrndup(start, (size_t)(p - start));
		p = skip_ws(p);
		if (*p == ';')
			marker = p + 1;
		else if (*p != '\0') {
			reqline_err(c, "'%s': unexpected '%s' after the URL", text, p);
			free(url);
			goto bad;
		}
		if (c->constraint) {
			reqline_err(c, "'%s': direct references are not supported in "
			    "constraints files", text);
			free(url);
			goto bad;
		}
		r = direct_reference(c, &q, url);
		free(url);
		if (r != 0)
			goto bad;
	} else {
		semi = strchr(p, ';');
		spec = trim(p, semi ? (size_t)(semi - p) : strlen(p));
		if (semi)
			marker = semi + 1;
		if (c->constraint) {
			if (*spec != '\0' && version_spec_match(spec, "0") == -1) {
				reqline_err(c, "'%s': %s", text, err_get());
				goto bad;
			}
			q.spec = spec;
			spec = NULL;
		} else if ((q.version = pinned_version(spec, &invalid)) == NULL) {
			if (invalid)
				reqline_err(c, "'%s': the version is not a valid PEP 440 "
				    "version", text);
			else
				reqline_err(c, "'%s' is not pinned: forklift installs exact "
				    "pins (name==version or name @ file:///path/to.whl)",
				    text);
			goto bad;
		}
	}
	if (marker != NULL) {
		char	*m = trim(marker, strlen(marker));

		r = marker_eval(m, c->r->env, "");
		if (r == -1)
			reqline_err(c, "marker '%s': %s", m, err_get());
		free(m);
		if (r == -1)
			goto bad;
		if (r == 0) {
			reqs_req_free(&q);
			free(spec);
			return 0;
		}
	}
	free(spec);
	q.file = xstrdup(c->file);
	q.line = c->line;
	q.hashes = *hashes;
	memset(hashes, 0, sizeof(*hashes));
	*reqs_new_req(c->r, c->constraint) = q;
	return 1;
bad:
	reqs_req_free(&q);
	free(spec);
	return -1;
}

/* One logical line, continuations joined. */
static void
parse_line(struct reqline_ctx *c, char *line)
{
	struct strv	 tok = STRV_INIT, hashes = STRV_INIT;
	struct buf	 args = BUF_INIT;
	char		*p, *s;
	size_t		 k;

	/* A comment starts at a '#' that opens the line or follows white space. */
	for (p = line; *p != '\0'; p++)
		if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t'))
			break;
	*p = '\0';
	for (s = strtok(line, " \t\f\v"); s != NULL; s = strtok(NULL, " \t\f\v"))
		strv_push(&tok, s);
	if (tok.n == 0)
		goto out;
	for (k = 0; k < tok.n && tok.v[k][0] != '-'; k++)
		buf_addf(&args, "%s%s", k ? " " : "", tok.v[k]);
	if (k == 0)
		(void)parse_options(c, tok.v, tok.n, NULL);
	else if (parse_options(c, tok.v + k, tok.n - k, &hashes) == 0)
		(void)parse_requirement(c, args.p, &hashes);
out:
	strv_free(&hashes);
	strv_free(&tok);
	buf_free(&args);
}

static int
is_comment_line(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	return i < n && s[i] == '#';
}

int
reqs_read_text(struct reqs *r, const char *name, const char *text, size_t len,
    int constraint)
{
	struct reqline_ctx	 c = { r, name, 0, constraint };
	struct buf	 joined = BUF_INIT;
	const char	*p = text, *end = text + len, *nl;
	unsigned int	 n = 0, first = 0;
	size_t		 ll, b;
	int		 joining = 0;
	char		*one;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		ll = (size_t)((nl ? nl : end) - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		n++;
		if (ll == 0 || p[ll - 1] != '\\' || is_comment_line(p, ll)) {
			if (joining) {
				if (is_comment_line(p, ll))
					buf_adds(&joined, " ");
				buf_add(&joined, p, ll);
				c.line = first;
				parse_line(&c, joined.p);
				buf_reset(&joined);
				joining = 0;
			} else {
				one = xstrndup(p, ll);
				c.line = n;
				parse_line(&c, one);
				free(one);
			}
		} else {
			if (!joining)
				first = n;
			joining = 1;
			/* Backslashes go from both ends, as pip strips them. */
			for (b = 0; b < ll && p[b] == '\\'; b++)
				;
			while (ll > b && p[ll - 1] == '\\')
				ll--;
			buf_add(&joined, p + b, ll - b);
		}
		p = nl ? nl + 1 : end;
	}
	if (joining) {
		c.line = first;
		parse_line(&c, joined.p);
	}
	buf_free(&joined);
	return r->errors.n > 0 ? -1 : 0;
}
