/*
 * index.c: what a simple index says about one project.  A page is read
 * into a flat list of files (name, absolute URL without fragment, hashes,
 * requires-python, yanked, size) whichever form it came in: PEP 691 JSON
 * through jansson, or PEP 503 HTML (also a find-links page) through a
 * small scanner that knows tags, attributes, character references,
 * comments and raw-text elements and nothing else of HTML.  Unknown JSON
 * keys and unknown HTML attributes are ignored; a simple-API major
 * version other than 1 is refused, a newer minor is flagged for the
 * caller to warn about.
 *
 * index_choose() picks the wheel for a pin among those files.  Nothing
 * here fetches, prints or touches a file: the bytes come from the caller,
 * and a message that needs the page's URL gets it from the caller too.
 */
#include "config.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "index.h"
#include "tags.h"
#include "url.h"
#include "util.h"
#include "version.h"

/* The newest minor version of simple API 1.x whose fields forklift knows
 * (1.1 size, later ones add fields forklift does not need). */
#define INDEX_API_MINOR 4

static struct index_file *
page_add(struct index_page *pg)
{
	struct index_file	*f;

	pg->files = xreallocarray(pg->files, pg->n + 1, sizeof(*pg->files));
	f = &pg->files[pg->n++];
	memset(f, 0, sizeof(*f));
	f->size = -1;
	return f;
}

static void
file_add_hash(struct index_file *f, const char *alg, const char *hex)
{
	char	*p;

	if (index_file_hash(f, alg) != NULL)
		return;
	f->hashes = xreallocarray(f->hashes, f->nhashes + 1, sizeof(*f->hashes));
	f->hashes[f->nhashes].alg = xstrdup(alg);
	f->hashes[f->nhashes].hex = xstrdup(hex);
	for (p = f->hashes[f->nhashes].alg; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	for (p = f->hashes[f->nhashes].hex; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	f->nhashes++;
}

/* Resolve href against base, keep it without fragment, take a hash from
 * the fragment, and the file name from the path. */
static int
file_set_url(struct index_file *f, const char *base, const char *href)
{
	char	*abs, *frag, *alg, *hex;

	if ((abs = url_resolve(base, href)) == NULL)
		return -1;
	if ((frag = strchr(abs, '#')) != NULL &&
	    url_fragment_hash(frag + 1, &alg, &hex)) {
		file_add_hash(f, alg, hex);
		free(alg);
		free(hex);
	}
	f->url = url_strip_fragment(abs);
	f->filename = url_filename(f->url);
	free(abs);
	return 0;
}

const char *
index_file_hash(const struct index_file *f, const char *alg)
{
	size_t	i;

	for (i = 0; i < f->nhashes; i++)
		if (strcasecmp(f->hashes[i].alg, alg) == 0)
			return f->hashes[i].hex;
	return NULL;
}

void
index_page_free(struct index_page *pg)
{
	size_t	i, j;

	for (i = 0; i < pg->n; i++) {
		struct index_file	*f = &pg->files[i];

		free(f->filename);
		free(f->url);
		for (j = 0; j < f->nhashes; j++) {
			free(f->hashes[j].alg);
			free(f->hashes[j].hex);
		}
		free(f->hashes);
		free(f->requires_python);
		free(f->yanked_reason);
	}
	free(pg->files);
	memset(pg, 0, sizeof(*pg));
}

/* "1.0" -> api_major, api_minor; a major other than 1 is refused. */
static int
api_version(struct index_page *pg, const char *v)
{
	char		*end;
	unsigned long	 major, minor;

	if (!isdigit((unsigned char)*v))
		return err_set("invalid api-version '%s'", v);
	major = strtoul(v, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return err_set("invalid api-version '%s'", v);
	minor = strtoul(end + 1, &end, 10);
	if (*end != '\0' || major > 1000 || minor > 1000)
		return err_set("invalid api-version '%s'", v);
	if (major != 1)
		return err_set("simple API version %s is not supported "
		    "(forklift reads version 1.x)", v);
	pg->api_major = (int)major;
	pg->api_minor = (int)minor;
	pg->newer_minor = minor > INDEX_API_MINOR;
	return 0;
}

static int
content_type_is(const char *ct, size_t n, const char *what)
{
	return strlen(what) == n && strncasecmp(ct, what, n) == 0;
}

int
index_format_of(const char *ct)
{
	static const char simple[] = "application/vnd.pypi.simple.";
	size_t	n;

	if (ct == NULL)
		return INDEX_SNIFF;
	ct += strspn(ct, " \t");
	n = strcspn(ct, "; \t");
	if (content_type_is(ct, n, "text/html") ||
	    content_type_is(ct, n, "application/vnd.pypi.simple.v1+html") ||
	    content_type_is(ct, n, "application/vnd.pypi.simple.latest+html"))
		return INDEX_HTML;
	if (content_type_is(ct, n, "application/vnd.pypi.simple.v1+json") ||
	    content_type_is(ct, n, "application/vnd.pypi.simple.latest+json"))
		return INDEX_JSON;
	if (n > sizeof(simple) - 1 && strncasecmp(ct, simple, sizeof(simple) - 1) == 0)
		return err_set("unsupported simple API content type '%.*s' "
		    "(forklift reads version 1)", (int)n, ct);
	return INDEX_SNIFF;
}

int
index_parse(struct index_page *pg, const char *ct, const char *page_url,
    const char *body, size_t len)
{
	size_t	i = 0;
	int	fmt;

	memset(pg, 0, sizeof(*pg));
	if ((fmt = index_format_of(ct)) == -1)
		return -1;
	if (fmt == INDEX_SNIFF) {
		if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
			i = 3;
		while (i < len && isspace((unsigned char)body[i]))
			i++;
		fmt = i < len && body[i] == '{' ? INDEX_JSON : INDEX_HTML;
	}
	if (fmt == INDEX_JSON)
		return index_parse_json(pg, page_url, body, len);
	return index_parse_html(pg, page_url, body, len);
}

/* ---- PEP 691 JSON --------------------------------------------------- */

static int
json_file(struct index_page *pg, const char *page_url, json_t *o)
{
	struct index_file	*f;
	json_t			*fn, *u, *h, *v;
	const char		*key;

	fn = json_object_get(o, "filename");
	u = json_object_get(o, "url");
	if (!json_is_string(fn) || !json_is_string(u) ||
	    json_string_length(fn) == 0) {
		pg->nbad++;
		return 0;
	}
	f = page_add(pg);
	if ((h = json_object_get(o, "hashes")) != NULL && json_is_object(h))
		json_object_foreach(h, key, v)
			if (json_is_string(v) && *key != '\0' && json_string_length(v) > 0)
				file_add_hash(f, key, json_string_value(v));
	if (file_set_url(f, page_url, json_string_value(u)) == -1)
		return -1;
	/* The name the index gives wins over the URL's last segment. */
	free(f->filename);
	f->filename = xstrdup(json_string_value(fn));
	if ((v = json_object_get(o, "requires-python")) != NULL && json_is_string(v))
		f->requires_python = xstrdup(json_string_value(v));
	if ((v = json_object_get(o, "yanked")) != NULL) {
		if (json_is_true(v))
			f->yanked = 1;
		else if (json_is_string(v)) {
			f->yanked = 1;
			if (json_string_length(v) > 0)
				f->yanked_reason = xstrdup(json_string_value(v));
		}
	}
	if ((v = json_object_get(o, "size")) != NULL && json_is_integer(v) &&
	    json_integer_value(v) >= 0)
		f->size = (int64_t)json_integer_value(v);
	return 0;
}

int
index_parse_json(struct index_page *pg, const char *page_url, const char *body,
    size_t len)
{
	json_error_t	 je;
	json_t		*root, *meta, *v, *files;
	size_t		 i;
	int		 rc = -1;

	memset(pg, 0, sizeof(*pg));
	pg->api_major = 1;
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
		body += 3;
		len -= 3;
	}
	if ((root = json_loadb(body, len, 0, &je)) == NULL)
		return err_set("invalid JSON at line %d: %s", je.line, je.text);
	if (!json_is_object(root)) {
		err_set("JSON page is not an object");
		goto out;
	}
	if ((meta = json_object_get(root, "meta")) != NULL && json_is_object(meta) &&
	    (v = json_object_get(meta, "api-version")) != NULL) {
		if (!json_is_string(v)) {
			err_set("meta.api-version is not a string");
			goto out;
		}
		if (api_version(pg, json_string_value(v)) == -1)
			goto out;
	}
	if ((files = json_object_get(root, "files")) == NULL || !json_is_array(files)) {
		err_set("JSON page has no \"files\" list");
		goto out;
	}
	for (i = 0; i < json_array_size(files); i++) {
		v = json_array_get(files, i);
		if (!json_is_object(v))
			pg->nbad++;
		else if (json_file(pg, page_url, v) == -1)
			goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc == -1)
		index_page_free(pg);
	return rc;
}

/* ---- PEP 503 HTML --------------------------------------------------- */

struct html_link {
	char	*href;
	char	*requires_python;
	int	 yanked;
	char	*reason;
};

int
index_parse_html(struct index_page *pg, const char *page_url, const char *body,
    size_t len)
{
	const char		*p = body, *end = body + len, *v;
	struct html_tag		 t;
	struct html_link	*links = NULL, *l;
	size_t			 nlinks = 0, i;
	char			*base = NULL, *abs;
	int			 rc = 0, present;

	memset(pg, 0, sizeof(*pg));
	pg->api_major = 1;
	while ((p = html_next_tag(p, end, &t)) != NULL) {
		if (strcmp(t.name, "a") == 0 && (v = html_tag_attr(&t, "href", NULL)) != NULL) {
			links = xreallocarray(links, nlinks + 1, sizeof(*links));
			l = &links[nlinks++];
			memset(l, 0, sizeof(*l));
			l->href = xstrdup(v);
			if ((v = html_tag_attr(&t, "data-requires-python", NULL)) != NULL)
				l->requires_python = xstrdup(v);
			v = html_tag_attr(&t, "data-yanked", &present);
			l->yanked = present;
			if (v != NULL && *v != '\0')
				l->reason = xstrdup(v);
		} else if (strcmp(t.name, "base") == 0 && base == NULL &&
		    (v = html_tag_attr(&t, "href", NULL)) != NULL)
			base = xstrdup(v);
		else if (strcmp(t.name, "meta") == 0 && rc == 0 &&
		    (v = html_tag_attr(&t, "name", NULL)) != NULL &&
		    strcasecmp(v, "pypi:repository-version") == 0 &&
		    (v = html_tag_attr(&t, "content", NULL)) != NULL)
			rc = api_version(pg, v);
		html_tag_clear(&t);
	}
	/* The first <base href> applies to the whole page, wherever it is. */
	if (rc == 0 && base != NULL) {
		abs = url_resolve(page_url, base);
		free(base);
		if ((base = abs) == NULL)
			rc = -1;
	}
	for (i = 0; i < nlinks; i++) {
		l = &links[i];
		if (rc == 0 && *l->href != '\0') {
			struct index_file	*f = page_add(pg);

			rc = file_set_url(f, base != NULL ? base : page_url, l->href);
			f->requires_python = l->requires_python;
			f->yanked = l->yanked;
			f->yanked_reason = l->reason;
		} else {
			free(l->requires_python);
			free(l->reason);
		}
		free(l->href);
	}
	free(links);
	free(base);
	if (rc == -1)
		index_page_free(pg);
	return rc;
}

/* ---- choosing the wheel for a pin ------------------------------------ */

static const char *const sdist_exts[] = { ".tar.gz", ".zip", ".tar.bz2", ".tgz",
	".tar.xz", ".tar" };

/* Is the file an sdist of norm at a version matching the pin? */
static int
is_sdist_of(const char *filename, const char *norm, const char *pin)
{
	char	*stem = NULL, *dash, *n;
	size_t	 i, fl = strlen(filename), el;
	int	 yes = 0;

	for (i = 0; i < ARRAY_SIZE(sdist_exts) && stem == NULL; i++) {
		el = strlen(sdist_exts[i]);
		if (fl > el && strcasecmp(filename + fl - el, sdist_exts[i]) == 0)
			stem = xstrndup(filename, fl - el);
	}
	if (stem == NULL)
		return 0;
	if ((dash = strrchr(stem, '-')) != NULL) {
		*dash = '\0';
		n = name_normalize(stem);
		yes = strcmp(n, norm) == 0 && version_pin_matches(pin, dash + 1);
		free(n);
	}
	free(stem);
	return yes;
}

static void
tags_of(struct buf *b, const struct wheel_name *wn)
{
	size_t	i;

	for (i = 0; i < wn->py.n; i++)
		buf_addf(b, "%s%s", i ? "." : "", wn->py.v[i]);
	buf_adds(b, "-");
	for (i = 0; i < wn->abi.n; i++)
		buf_addf(b, "%s%s", i ? "." : "", wn->abi.v[i]);
	buf_adds(b, "-");
	for (i = 0; i < wn->plat.n; i++)
		buf_addf(b, "%s%s", i ? "." : "", wn->plat.v[i]);
}

#define WHY_MAX 8	/* files named in a "no compatible wheel" message */

struct choice {
	const struct index_file	*f;
	struct wheel_name	 fn;
	long			 rank;
};

/* Is c better than best: not yanked over yanked, then the tag priority,
 * then the higher build tag. */
static int
better(const struct choice *c, const struct choice *best)
{
	if (best->f == NULL)
		return 1;
	if (c->f->yanked != best->f->yanked)
		return !c->f->yanked;
	if (c->rank != best->rank)
		return c->rank < best->rank;
	return wheel_build_cmp(&c->fn, &best->fn) > 0;
}

/* A version seen besides the pin, once each (for the message). */
static void
other_version(struct strv *vers, const char *v)
{
	if (!strv_has(vers, v))
		strv_push(vers, v);
}

const struct index_file *
index_choose(const struct index_page *pg, const struct taglist *tags,
    const struct index_want *w, int *yanked)
{
	struct choice	 best, c;
	struct buf	 why = BUF_INIT, t = BUF_INIT;
	struct strv	 vers = STRV_INIT;
	char		*norm = name_normalize(w->project);
	size_t		 i, nwhy = 0, seen = 0;

	memset(&best, 0, sizeof(best));
	*yanked = 0;
	for (i = 0; i < pg->n; i++) {
		memset(&c, 0, sizeof(c));
		c.f = &pg->files[i];
		if (!str_ends(c.f->filename, ".whl")) {
			if (is_sdist_of(c.f->filename, norm, w->version)) {
				seen++;
				if (nwhy++ < WHY_MAX)
					buf_addf(&why, "; %s is an sdist (forklift "
					    "installs wheels only)", c.f->filename);
			}
			continue;
		}
		if (wheel_name_parse(c.f->filename, &c.fn) == -1)
			continue;
		if (strcmp(c.fn.norm, norm) != 0)
			goto next;
		seen++;
		if (!version_pin_matches(w->version, c.fn.version)) {
			other_version(&vers, c.fn.version);
			goto next;
		}
		if (c.f->requires_python != NULL && w->python_version != NULL &&
		    version_spec_match(c.f->requires_python, w->python_version) == 0) {
			if (nwhy++ < WHY_MAX)
				buf_addf(&why, "; %s requires python %s",
				    c.f->filename, c.f->requires_python);
			goto next;
		}
		if ((c.rank = tags_rank(tags, &c.fn)) < 0) {
			buf_reset(&t);
			tags_of(&t, &c.fn);
			if (nwhy++ < WHY_MAX)
				buf_addf(&why, "; %s is for %s", c.f->filename, t.p);
			goto next;
		}
		if (better(&c, &best)) {
			wheel_name_free(&best.fn);
			best = c;
			continue;
		}
next:
		wheel_name_free(&c.fn);
	}
	if (best.f != NULL)
		*yanked = best.f->yanked;
	else if (seen == 0)
		err_set("%s %s: the index lists no file of '%s'", w->project,
		    w->version, norm);
	else if (why.len == 0) {
		strv_sort(&vers);
		buf_reset(&t);
		for (i = 0; i < vers.n && i < WHY_MAX * 2; i++)
			buf_addf(&t, "%s%s", i ? ", " : "", vers.v[i]);
		err_set("%s %s: no file of version %s (found %s%s)", w->project,
		    w->version, w->version, t.p, vers.n > WHY_MAX * 2 ? ", ..." : "");
	}
	else
		err_set("%s %s: no wheel compatible with %s%s%s", w->project,
		    w->version, w->tag_str, why.p, nwhy > WHY_MAX ?
		    "; and more" : "");
	wheel_name_free(&best.fn);
	buf_free(&why);
	strv_free(&vers);
	buf_free(&t);
	free(norm);
	return best.f;
}
