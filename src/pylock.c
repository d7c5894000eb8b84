/*
 * pylock.c: PEP 751 lock files.  Validates a parsed pylock.toml (lock
 * version, required keys, environments, requires-python) and selects, for
 * one interpreter, the packages whose markers hold (with the lock file's
 * "extras" and "dependency_groups" sets) and for each the one wheel to
 * install, best by tag priority (a wheel without path or url is allowed
 * when its package names an index).  Source distributions, VCS checkouts
 * and directories are refused when selected: forklift installs wheels
 * only.
 *
 * Pure: works on the TOML tree and the interpreter facts it is given;
 * never fetches, opens a file or prints.  Every error names the file,
 * the line and column of the value, and the key.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "markers.h"
#include "pylock.h"
#include "tags.h"
#include "target.h"
#include "toml.h"
#include "util.h"
#include "version.h"

struct ctx {
	const char			*file;
	const struct pylock_opts	*o;
	int				 strict;	/* lock-version 1.0: no unknown keys */
	struct strv			 extras;	/* the sets markers see */
	struct strv			 groups;
	struct pylock			*out;
	const char			*index;		/* the package's */
};

static const char *const top_keys[] = {
	"lock-version", "environments", "requires-python", "extras",
	"dependency-groups", "default-groups", "created-by", "packages", "tool"
};
static const char *const package_keys[] = {
	"name", "version", "marker", "requires-python", "dependencies", "vcs",
	"directory", "archive", "index", "sdist", "wheels",
	"attestation-identities", "tool"
};
static const char *const file_keys[] = {
	"name", "upload-time", "url", "path", "size", "hashes", "subdirectory"
};

static int __attribute__((format(printf, 4, 5)))
kerr(const struct ctx *c, const struct toml_value *at, const char *key,
    const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set("%s:%u:%u: key '%s': %s", c->file, toml_line(at),
	    toml_column(at), key, msg);
}

/* The string at key (NULL when absent), or -1 when it is no string. */
static int
get_str(const struct ctx *c, const struct toml_value *t, const char *key,
    int required, const char **out)
{
	const struct toml_value	*v = toml_get(t, key);

	*out = NULL;
	if (v == NULL)
		return required ? kerr(c, t, key, "required, missing") : 0;
	if ((*out = toml_str(v)) == NULL)
		return kerr(c, v, key, "expected a string, found %s",
		    toml_type_name(toml_type(v)));
	return 0;
}

/* An array of strings at key into sv (left empty when absent). */
static int
get_strs(const struct ctx *c, const struct toml_value *t, const char *key,
    struct strv *sv)
{
	const struct toml_value	*v = toml_get(t, key), *e;
	size_t			 i;

	if (v == NULL)
		return 0;
	if (toml_type(v) != TOML_ARRAY)
		return kerr(c, v, key, "expected an array of strings, found %s",
		    toml_type_name(toml_type(v)));
	for (i = 0; i < toml_len(v); i++) {
		e = toml_at(v, i);
		if (toml_str(e) == NULL)
			return kerr(c, e, key, "expected a string, found %s",
			    toml_type_name(toml_type(e)));
		strv_push(sv, toml_str(e));
	}
	return 0;
}

static int
check_keys(const struct ctx *c, const struct toml_value *t, const char *what,
    const char *const *known, size_t nknown)
{
	struct toml_value	*v;
	const char		*key;
	size_t			 i, j;

	for (i = 0; i < toml_len(t); i++) {
		key = toml_key_at(t, i, &v, NULL);
		for (j = 0; j < nknown && strcmp(key, known[j]) != 0; j++)
			;
		if (j < nknown)
			continue;
		if (c->strict)
			return kerr(c, v, key, "unknown key in %s", what);
		strv_push_owned(&c->out->warnings, xasprintf("%s:%u:%u: key '%s': "
		    "unknown key in %s ignored", c->file, toml_line(v),
		    toml_column(v), key, what));
	}
	return 0;
}

static int
check_python(const struct ctx *c, const struct toml_value *t, const char *who)
{
	const char	*spec, *py = pyinfo_get(c->o->env, "python_full_version");
	int		 r;

	if (get_str(c, t, "requires-python", 0, &spec) == -1)
		return -1;
	if (spec == NULL)
		return 0;
	if ((r = version_spec_match(spec, py)) == -1)
		return kerr(c, toml_get(t, "requires-python"), "requires-python",
		    "%s", err_get());
	if (r == 0)
		return kerr(c, toml_get(t, "requires-python"), "requires-python",
		    "%s needs Python %s, the target is %s", who, spec, py);
	return 0;
}

static int
check_header(struct ctx *c, const struct toml_value *doc)
{
	struct strv	 envs = STRV_INIT, names = STRV_INIT;
	const char	*s;
	char		*end;
	long		 major, minor;
	size_t		 i, j;
	int		 r, ok = 0;

	if (get_str(c, doc, "lock-version", 1, &s) == -1)
		return -1;
	major = strtol(s, &end, 10);
	if (end == s || *end != '.' || end[1] < '0' || end[1] > '9' ||
	    (minor = strtol(end + 1, &end, 10), *end != '\0'))
		return kerr(c, toml_get(doc, "lock-version"), "lock-version",
		    "'%s' is no MAJOR.MINOR version", s);
	if (major != 1)
		return kerr(c, toml_get(doc, "lock-version"), "lock-version",
		    "version %s is not supported (forklift reads 1.x)", s);
	c->strict = minor == 0;
	if (minor > 0)
		strv_push_owned(&c->out->warnings, xasprintf("%s: lock-version %s is "
		    "newer than 1.0: unknown keys are ignored", c->file, s));
	if (get_str(c, doc, "created-by", 1, &s) == -1 ||
	    check_keys(c, doc, "the lock file", top_keys, ARRAY_SIZE(top_keys)) == -1 ||
	    check_python(c, doc, "the lock file") == -1 ||
	    get_strs(c, doc, "environments", &envs) == -1)
		goto bad;
	for (i = 0; i < envs.n && !ok; i++) {
		if ((r = marker_eval(envs.v[i], c->o->env, "")) == -1) {
			kerr(c, toml_at(toml_get(doc, "environments"), i), "environments",
			    "'%s': %s", envs.v[i], err_get());
			goto bad;
		}
		ok = r;
	}
	if (envs.n > 0 && !ok) {
		kerr(c, toml_get(doc, "environments"), "environments", "the target "
		    "matches none of them (%s'%s' is false)", envs.n > 1 ?
		    "the last, " : "", envs.v[envs.n - 1]);
		goto bad;
	}
	/* Extras and groups asked for must be ones the lock file offers. */
	if (get_strs(c, doc, "extras", &names) == -1)
		goto bad;
	for (i = 0; c->o->extras != NULL && i < c->o->extras->n; i++) {
		for (j = 0; j < names.n && !name_eq(names.v[j], c->o->extras->v[i]); j++)
			;
		if (j == names.n) {
			err_set("%s: extra '%s' is not in the lock file's extras",
			    c->file, c->o->extras->v[i]);
			goto bad;
		}
		strv_push(&c->extras, c->o->extras->v[i]);
	}
	strv_free(&names);
	if (get_strs(c, doc, "dependency-groups", &names) == -1)
		goto bad;
	if (c->o->groups == NULL) {
		if (get_strs(c, doc, "default-groups", &c->groups) == -1)
			goto bad;
	} else {
		for (i = 0; i < c->o->groups->n; i++) {
			for (j = 0; j < names.n &&
			    !name_eq(names.v[j], c->o->groups->v[i]); j++)
				;
			if (j == names.n) {
				err_set("%s: group '%s' is not in the lock file's "
				    "dependency-groups", c->file, c->o->groups->v[i]);
				goto bad;
			}
			strv_push(&c->groups, c->o->groups->v[i]);
		}
	}
	strv_free(&names);
	strv_free(&envs);
	return 0;
bad:
	strv_free(&names);
	strv_free(&envs);
	return -1;
}

/* The last component of a path or URL (query and fragment dropped). */
static char *
base_name(const char *s)
{
	const char	*b = s, *p;
	size_t		 n = strcspn(s, "?#");

	for (p = s; p < s + n; p++)
		if (*p == '/')
			b = p + 1;
	return xstrndup(b, (size_t)(s + n - b));
}

/* A file table (a wheel or an archive): its location, size and hashes. */
static int
read_file_entry(const struct ctx *c, const struct toml_value *f, const char *key,
    struct pylock_pick *p)
{
	const struct toml_value	*h, *v;
	const char		*name, *path, *url, *alg;
	size_t			 i;

	if (toml_type(f) != TOML_TABLE)
		return kerr(c, f, key, "expected a table, found %s",
		    toml_type_name(toml_type(f)));
	if (check_keys(c, f, key, file_keys, ARRAY_SIZE(file_keys)) == -1 ||
	    get_str(c, f, "name", 0, &name) == -1 ||
	    get_str(c, f, "path", 0, &path) == -1 ||
	    get_str(c, f, "url", 0, &url) == -1)
		return -1;
	/* A wheel may have neither when its package names an index: the
	 * file is then looked up there by its name. */
	if (path == NULL && url == NULL) {
		if (strcmp(key, "wheels") != 0)
			return kerr(c, f, key, "neither 'path' nor 'url' is "
			    "given");
		if (c->index == NULL)
			return kerr(c, f, key, "neither 'path' nor 'url' is "
			    "given, and the package has no 'index'");
		if (name == NULL)
			return kerr(c, f, "name", "required when neither 'path' "
			    "nor 'url' is given");
	}
	p->path = path ? xstrdup(path) : NULL;
	p->url = url ? xstrdup(url) : NULL;
	p->filename = name ? xstrdup(name) : base_name(path ? path : url);
	p->size = -1;
	if ((v = toml_get(f, "size")) != NULL &&
	    (toml_int(v, &p->size) == -1 || p->size < 0))
		return kerr(c, v, "size", "expected a non-negative integer");
	if ((h = toml_get(f, "hashes")) == NULL)
		return kerr(c, f, "hashes", "required, missing");
	if (toml_type(h) != TOML_TABLE || toml_len(h) == 0)
		return kerr(c, h, "hashes", "expected a table of at least one hash");
	for (i = 0; i < toml_len(h); i++) {
		alg = toml_key_at(h, i, (struct toml_value **)&v, NULL);
		if (toml_str(v) == NULL || toml_str_len(v) == 0)
			return kerr(c, v, alg, "expected a hash as a hex string");
		strv_push_owned(&p->hashes, xasprintf("%s:%s", alg, toml_str(v)));
	}
	return 0;
}

static void
pick_free(struct pylock_pick *p)
{
	free(p->name);
	free(p->version);
	free(p->filename);
	free(p->path);
	free(p->url);
	free(p->index);
	strv_free(&p->hashes);
}

/* The best compatible wheel of a package, into p; 0 when none is. */
static int
pick_wheel(const struct ctx *c, const struct toml_value *wheels, struct pylock_pick *p,
    struct buf *offered)
{
	struct pylock_pick	 w;
	struct wheel_name	 wn;
	long			 rank, best = -1;
	size_t			 i, j;

	if (toml_type(wheels) != TOML_ARRAY)
		return kerr(c, wheels, "wheels", "expected an array of tables");
	for (i = 0; i < toml_len(wheels); i++) {
		memset(&w, 0, sizeof(w));
		if (read_file_entry(c, toml_at(wheels, i), "wheels", &w) == -1)
			goto bad;
		if (wheel_name_parse(w.filename, &wn) == -1) {
			kerr(c, toml_at(wheels, i), "wheels", "%s", err_get());
			goto bad;
		}
		rank = tags_rank(c->o->tags, &wn);
		for (j = 0; j < wn.py.n * wn.abi.n * wn.plat.n && offered->len < 400; j++)
			buf_addf(offered, "%s%s-%s-%s", offered->len ? ", " : "",
			    wn.py.v[j / (wn.abi.n * wn.plat.n)],
			    wn.abi.v[j / wn.plat.n % wn.abi.n], wn.plat.v[j % wn.plat.n]);
		wheel_name_free(&wn);
		if (rank >= 0 && (best < 0 || rank < best)) {
			best = rank;
			pick_free(p);
			*p = w;
		} else
			pick_free(&w);
	}
	return best >= 0;
bad:
	pick_free(&w);
	return -1;
}

/* One [[packages]] entry: skipped, selected into c->out, or refused. */
static int
package(struct ctx *c, const struct toml_value *t)
{
	struct pylock_pick	 p;
	struct wheel_name	 wn;
	struct buf		 offered = BUF_INIT;
	const struct toml_value	*v;
	const char		*name, *version, *marker, *index, *kind;
	char			*who;
	size_t			 i;
	int			 r;

	if (toml_type(t) != TOML_TABLE)
		return kerr(c, t, "packages", "expected an array of tables");
	if (check_keys(c, t, "a package", package_keys, ARRAY_SIZE(package_keys)) == -1 ||
	    get_str(c, t, "name", 1, &name) == -1 ||
	    get_str(c, t, "version", 0, &version) == -1 ||
	    get_str(c, t, "marker", 0, &marker) == -1 ||
	    get_str(c, t, "index", 0, &index) == -1)
		return -1;
	if (marker != NULL) {
		r = marker_eval_sets(marker, c->o->env, "", &c->extras, &c->groups);
		if (r == -1)
			return kerr(c, toml_get(t, "marker"), "marker", "%s", err_get());
		if (r == 0)
			return 0;
	}
	who = xasprintf("package '%s'", name);
	for (i = 0; i < c->out->n; i++) {
		if (name_eq(c->out->v[i].name, name)) {
			kerr(c, t, "name", "%s is selected twice (also at line %u)",
			    who, c->out->v[i].line);
			free(who);
			return -1;
		}
	}
	r = check_python(c, t, who);
	free(who);
	if (r == -1)
		return -1;
	memset(&p, 0, sizeof(p));
	p.size = -1;
	c->index = index;
	if ((v = toml_get(t, "wheels")) != NULL &&
	    (r = pick_wheel(c, v, &p, &offered)) != 0) {
		if (r == -1)
			goto bad;
	} else if ((v = toml_get(t, "archive")) != NULL) {
		if (read_file_entry(c, v, "archive", &p) == -1)
			goto bad;
		if (!str_ends(p.filename, ".whl")) {
			kerr(c, v, "archive", "package '%s': '%s' is no wheel "
			    "(forklift installs wheels only)", name, p.filename);
			goto bad;
		}
		if (wheel_name_parse(p.filename, &wn) == -1) {
			kerr(c, v, "archive", "%s", err_get());
			goto bad;
		}
		r = tags_rank(c->o->tags, &wn) >= 0;
		wheel_name_free(&wn);
		if (!r) {
			kerr(c, v, "archive", "package '%s': %s does not match the "
			    "target's tags", name, p.filename);
			goto bad;
		}
	} else {
		kind = toml_get(t, "wheels") ? NULL : toml_get(t, "sdist") ? "sdist" :
		    toml_get(t, "vcs") ? "vcs" : toml_get(t, "directory") ?
		    "directory" : NULL;
		if (toml_get(t, "wheels") != NULL)
			kerr(c, toml_get(t, "wheels"), "wheels", "package '%s': no wheel "
			    "matches the target (offered: %s)", name, offered.p ?
			    offered.p : "none");
		else if (kind != NULL)
			kerr(c, toml_get(t, kind), kind, "package '%s' is selected but "
			    "has only a%s %s source (forklift installs wheels only)",
			    name, kind[0] == 's' ? "n" : "", kind);
		else
			kerr(c, t, "name", "package '%s' has no wheels, archive, "
			    "sdist, vcs or directory", name);
		goto bad;
	}
	p.name = xstrdup(name);
	p.version = version ? xstrdup(version) : NULL;
	p.index = index ? xstrdup(index) : NULL;
	p.line = toml_line(t);
	c->out->v = xreallocarray(c->out->v, c->out->n + 1, sizeof(*c->out->v));
	c->out->v[c->out->n++] = p;
	buf_free(&offered);
	return 0;
bad:
	pick_free(&p);
	buf_free(&offered);
	return -1;
}

int
pylock_select(const char *file, const struct toml_value *doc,
    const struct pylock_opts *o, struct pylock *out)
{
	struct ctx		 c;
	const struct toml_value	*pk;
	size_t			 i;
	int			 rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.file = file;
	c.o = o;
	c.out = out;
	if (check_header(&c, doc) == -1)
		goto done;
	if ((pk = toml_get(doc, "packages")) == NULL) {
		kerr(&c, doc, "packages", "required, missing");
		goto done;
	}
	if (toml_type(pk) != TOML_ARRAY) {
		kerr(&c, pk, "packages", "expected an array of tables");
		goto done;
	}
	for (i = 0; i < toml_len(pk); i++)
		if (package(&c, toml_at(pk, i)) == -1)
			goto done;
	rc = 0;
done:
	strv_free(&c.extras);
	strv_free(&c.groups);
	if (rc == -1)
		pylock_free(out);
	return rc;
}

void
pylock_free(struct pylock *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		pick_free(&l->v[i]);
	free(l->v);
	strv_free(&l->warnings);
	memset(l, 0, sizeof(*l));
}
