/*
 * tags.c: wheel filenames and compatibility tags.  It parses
 * "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl", computes
 * the list of tags an interpreter supports from its facts (struct pyinfo),
 * and ranks a wheel against that list.
 *
 * The list must equal packaging.tags.sys_tags() for the same interpreter,
 * in content and order, because that is what pip installs by: CPython
 * gets its own ABIs, abi3 (down to cp32) and "none"; other
 * implementations get the ABI named by their extension suffix; then come
 * the pyXY tags, interpreter-none-any and pyXY-none-any.  On Linux the
 * platforms are manylinux_2_Y (glibc version down to 2_5 on x86, 2_17
 * elsewhere, with the legacy manylinux1/2010/2014 aliases right after
 * 2_5/2_12/2_17), musllinux_1_Y on musl, then linux_<arch>.  Nothing here
 * runs Python or reads files: every fact comes from the pyinfo.
 *
 * Each tag's three strings live in one allocation owned by tag.py.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tags.h"
#include "pyinfo.h"
#include "util.h"
#include "version.h"

/* ---- wheel filenames ----------------------------------------------- */

static int
bad_name(const char *basename, const char *why)
{
	char	*q = str_quote(basename);

	err_set("invalid wheel filename: '%s': %s", q, why);
	free(q);
	return -1;
}

int
wheel_name_parse(const char *basename, struct wheel_name *wn)
{
	struct version	 v;
	char		*stem, *part[6], *p;
	size_t		 len = strlen(basename), i, n, dashes = 0;
	struct strv	*sets[3];
	const char	*why = NULL;
	char		 detail[256];
	unsigned long	 num;

	memset(wn, 0, sizeof(*wn));
	if (len <= 4 || strcmp(basename + len - 4, ".whl") != 0)
		return bad_name(basename, "expected a '.whl' suffix");
	stem = xstrndup(basename, len - 4);
	for (p = stem; *p != '\0'; p++)
		dashes += *p == '-';
	if (dashes != 4 && dashes != 5) {
		free(stem);
		return bad_name(basename, "expected {name}-{version}"
		    "(-{build})?-{python}-{abi}-{platform}.whl");
	}
	for (i = 0, p = stem; i <= dashes; i++) {
		part[i] = p;
		p += strcspn(p, "-");
		if (*p == '-')
			*p++ = '\0';
		if (part[i][0] == '\0')
			why = "empty field";
	}
	if (why == NULL && (strspn(part[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._") != strlen(part[0]) ||
	    strstr(part[0], "__") != NULL || !isalnum((unsigned char)part[0][0]) ||
	    !isalnum((unsigned char)part[0][strlen(part[0]) - 1])))
		why = "invalid project name (letters, digits, '.', '_')";
	if (why == NULL && version_parse(part[1], &v) == -1) {
		snprintf(detail, sizeof(detail), "%s", err_get());
		why = detail;
	}
	if (why == NULL && dashes == 5) {
		if (!isdigit((unsigned char)part[2][0])) {
			snprintf(detail, sizeof(detail), "build tag '%.64s' "
			    "does not start with a digit", part[2]);
			why = detail;
		} else {
			num = 0;
			for (p = part[2]; isdigit((unsigned char)*p); p++) {
				if (num > (ULONG_MAX - (unsigned long)(*p - '0')) / 10) {
					why = "build number too large";
					break;
				}
				num = num * 10 + (unsigned long)(*p - '0');
			}
			wn->build = xstrdup(part[2]);
			wn->build_num = num;
			wn->build_rest = wn->build + (p - part[2]);
		}
	}
	sets[0] = &wn->py;
	sets[1] = &wn->abi;
	sets[2] = &wn->plat;
	for (i = 0; why == NULL && i < 3; i++) {
		for (p = part[dashes - 2 + i];; p += n + 1) {
			n = strcspn(p, ".");
			if (n == 0 || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789_") < n) {
				snprintf(detail, sizeof(detail), "invalid "
				    "compatibility tag '%.64s'", part[dashes - 2 + i]);
				why = detail;
				break;
			}
			strv_push_owned(sets[i], xstrndup(p, n));
			if (p[n] == '\0')
				break;
		}
	}
	if (why != NULL) {
		free(stem);
		wheel_name_free(wn);
		return bad_name(basename, why);
	}
	wn->name = xstrdup(part[0]);
	wn->norm = name_normalize(part[0]);
	wn->version = xstrdup(part[1]);
	free(stem);
	return 0;
}

void
wheel_name_free(struct wheel_name *wn)
{
	free(wn->name);
	free(wn->norm);
	free(wn->version);
	free(wn->build);
	strv_free(&wn->py);
	strv_free(&wn->abi);
	strv_free(&wn->plat);
	memset(wn, 0, sizeof(*wn));
}

int
wheel_build_cmp(const struct wheel_name *a, const struct wheel_name *b)
{
	int	 c;

	if (a->build == NULL || b->build == NULL)
		return (a->build != NULL) - (b->build != NULL);
	if (a->build_num != b->build_num)
		return a->build_num < b->build_num ? -1 : 1;
	c = strcmp(a->build_rest, b->build_rest);
	return (c > 0) - (c < 0);
}

/* ---- the supported-tag list ---------------------------------------- */

struct tagbuild {
	struct taglist	*tl;
	size_t		 cap;
};

static void
add_tag(struct tagbuild *tb, const char *py, const char *abi,
    const char *plat)
{
	struct taglist	*tl = tb->tl;
	size_t		 lp = strlen(py) + 1, la = strlen(abi) + 1;
	char		*blk = xmalloc(lp + la + strlen(plat) + 1);

	if (tl->n == tb->cap) {
		tb->cap = tb->cap ? tb->cap * 2 : 256;
		tl->v = xreallocarray(tl->v, tb->cap, sizeof(*tl->v));
	}
	memcpy(blk, py, lp);
	memcpy(blk + lp, abi, la);
	strcpy(blk + lp + la, plat);
	tl->v[tl->n].py = blk;
	tl->v[tl->n].abi = blk + lp;
	tl->v[tl->n].plat = blk + lp + la;
	tl->n++;
}

static void
add_plats(struct tagbuild *tb, const char *py, const char *abi,
    const struct strv *plats)
{
	size_t	 i;

	for (i = 0; i < plats->n; i++)
		add_tag(tb, py, abi, plats->v[i]);
}

/* packaging's _normalize_string: '.', '-' and ' ' become '_'. */
static char *
normalize_plat(const char *s)
{
	char	*out = xstrdup(s), *p;

	for (p = out; *p != '\0'; p++)
		if (*p == '.' || *p == '-' || *p == ' ')
			*p = '_';
	return out;
}

/* "2.36", "2.36.1", "1.2.4": the leading "X.Y", or -1. */
static int
parse_xy(const char *s, int *x, int *y)
{
	char	*end;
	long	 a, b;

	if (!isdigit((unsigned char)*s))
		return -1;
	a = strtol(s, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return -1;
	b = strtol(end + 1, &end, 10);
	if (a > 1000 || b > 1000)
		return -1;
	*x = (int)a;
	*y = (int)b;
	return 0;
}

/*
 * manylinux tags need glibc and an architecture the manylinux policies
 * cover.  A 32-bit ARM interpreter is taken to be hard-float (armhf) and
 * an i686 one to be a 32-bit x86 binary; the facts do not say otherwise.
 */
static void
manylinux_plats(const struct pyinfo *info, const struct strv *archs,
    struct strv *out)
{
	static const char *const allowed[] = { "x86_64", "aarch64", "ppc64",
	    "ppc64le", "s390x", "loongarch64", "riscv64", NULL };
	int		 major, minor, gmaj, gmin, lo, m, ok = 0;
	size_t		 i, j;

	if (strcmp(pyinfo_get(info, "libc"), "glibc") != 0 ||
	    parse_xy(pyinfo_get(info, "libc_version"), &major, &minor) == -1)
		return;
	if (strv_has(archs, "armv7l"))
		ok = 1;
	else if (strv_has(archs, "i686"))
		ok = strcmp(pyinfo_get(info, "pointer_bits"), "64") != 0;
	else
		for (i = 0; i < archs->n; i++)
			for (j = 0; allowed[j] != NULL; j++)
				ok |= strcmp(archs->v[i], allowed[j]) == 0;
	if (!ok)
		return;
	lo = (strv_has(archs, "x86_64") || strv_has(archs, "i686")) ? 4 : 16;
	for (i = 0; i < archs->n; i++) {
		/* the running glibc, then X.50 for every older major X >= 2 */
		for (gmaj = major; gmaj == major || gmaj >= 2; gmaj--) {
			gmin = gmaj == major ? minor : 50;
			for (m = gmin; m > (gmaj == 2 ? lo : -1); m--) {
				strv_push_owned(out, xasprintf("manylinux_%d_%d_%s",
				    gmaj, m, archs->v[i]));
				if (gmaj != 2)
					continue;
				if (m == 17)
					strv_push_owned(out, xasprintf(
					    "manylinux2014_%s", archs->v[i]));
				else if (m == 12)
					strv_push_owned(out, xasprintf(
					    "manylinux2010_%s", archs->v[i]));
				else if (m == 5)
					strv_push_owned(out, xasprintf(
					    "manylinux1_%s", archs->v[i]));
			}
		}
	}
}

static void
musllinux_plats(const struct pyinfo *info, const struct strv *archs,
    struct strv *out)
{
	int	 major, minor, m;
	size_t	 i;

	if (strcmp(pyinfo_get(info, "libc"), "musl") != 0 ||
	    parse_xy(pyinfo_get(info, "libc_version"), &major, &minor) == -1)
		return;
	for (i = 0; i < archs->n; i++)
		for (m = minor; m >= 0; m--)
			strv_push_owned(out, xasprintf("musllinux_%d_%d_%s",
			    major, m, archs->v[i]));
}

static int
platform_list(const struct pyinfo *info, struct strv *out)
{
	const char	*system = pyinfo_get(info, "platform_system");
	char		*plat = normalize_plat(pyinfo_get(info, "platform"));
	const char	*arch;
	struct strv	 archs = STRV_INIT;
	size_t		 i;

	if (strcmp(system, "Darwin") == 0) {
		free(plat);
		return err_set("macOS platform tags are not supported");
	}
	if (plat[0] == '\0') {
		free(plat);
		return err_set("interpreter facts lack 'platform'");
	}
	if ((strcmp(system, "Linux") != 0 && system[0] != '\0') ||
	    !str_starts(plat, "linux_")) {
		strv_push_owned(out, plat);
		return 0;
	}
	arch = plat + strlen("linux_");
	if (strcmp(pyinfo_get(info, "pointer_bits"), "32") == 0) {
		if (strcmp(arch, "x86_64") == 0)
			arch = "i686";
		else if (strcmp(arch, "aarch64") == 0)
			arch = "armv8l";
	}
	strv_push(&archs, arch);
	if (strcmp(arch, "armv8l") == 0)
		strv_push(&archs, "armv7l");
	manylinux_plats(info, &archs, out);
	musllinux_plats(info, &archs, out);
	for (i = 0; i < archs.n; i++)
		strv_push_owned(out, xasprintf("linux_%s", archs.v[i]));
	strv_free(&archs);
	free(plat);
	return 0;
}

/* packaging's _cpython_abis: "cp311", "cp38d" + "cp38", "cp37m", "cp313t". */
static void
cpython_abis(const struct pyinfo *info, struct strv *abis)
{
	const char	*dbg = pyinfo_get(info, "py_debug");
	const char	*pym = pyinfo_get(info, "with_pymalloc");
	const char	*ucs = pyinfo_get(info, "py_unicode_size");
	int		 ver = info->major * 100 + info->minor;
	int		 debug, threaded;
	const char	*pymalloc = "", *ucs4 = "";

	if (dbg[0] != '\0')
		debug = strcmp(dbg, "0") != 0;
	else
		debug = strcmp(pyinfo_get(info, "has_totalrefcount"), "1") == 0;
	threaded = ver >= 313 &&
	    strcmp(pyinfo_get(info, "py_gil_disabled"), "1") == 0;
	if (ver < 308) {
		if (strcmp(pym, "0") != 0)
			pymalloc = "m";
		if (ver < 303 && strcmp(ucs, "2") != 0)
			ucs4 = "u";
	}
	strv_push_owned(abis, xasprintf("cp%d%d%s%s%s%s", info->major,
	    info->minor, threaded ? "t" : "", debug ? "d" : "", pymalloc,
	    ucs4));
	if (ver >= 308 && debug)
		strv_push_owned(abis, xasprintf("cp%d%d%s", info->major,
		    info->minor, threaded ? "t" : ""));
}

static void
cpython_tags(const struct pyinfo *info, const struct strv *plats,
    struct tagbuild *tb)
{
	struct strv	 abis = STRV_INIT;
	char		*interp, *older;
	const char	*flags;
	size_t		 i;
	int		 use_abi3, m;

	interp = xasprintf("cp%d%d", info->major, info->minor);
	cpython_abis(info, &abis);
	for (i = 0; i < abis.n; i++)
		add_plats(tb, interp, abis.v[i], plats);
	flags = abis.v[0] + 2 + strspn(abis.v[0] + 2, "0123456789");
	use_abi3 = info->major * 100 + info->minor >= 302 &&
	    strchr(flags, 't') == NULL;
	if (use_abi3)
		add_plats(tb, interp, "abi3", plats);
	add_plats(tb, interp, "none", plats);
	for (m = info->minor - 1; use_abi3 && m > 1; m--) {
		older = xasprintf("cp%d%d", info->major, m);
		add_plats(tb, older, "abi3", plats);
		free(older);
	}
	strv_free(&abis);
	free(interp);
}

/* packaging's _generic_abi: the ABI named by EXT_SUFFIX. */
static int
generic_abis(const struct pyinfo *info, struct strv *abis)
{
	const char	*ext = pyinfo_get(info, "ext_suffix"), *dot;
	char		*soabi, *abi, *p;
	size_t		 keep, i;

	if (ext[0] != '.')
		return err_set("interpreter facts: invalid ext_suffix '%s'",
		    ext);
	if ((dot = strchr(ext + 1, '.')) == NULL) {
		cpython_abis(info, abis);
		return 0;
	}
	soabi = xstrndup(ext + 1, (size_t)(dot - ext - 1));
	keep = 0;	/* how many '-'-separated fields name the ABI */
	if (str_starts(soabi, "cpython"))
		keep = 2;
	else if (str_starts(soabi, "cp"))
		keep = 1;
	else if (str_starts(soabi, "pypy"))
		keep = 2;
	else if (str_starts(soabi, "graalpy"))
		keep = 3;
	if (keep > 0) {
		for (p = soabi, i = 0; *p != '\0'; p++)
			if (*p == '-' && ++i == keep) {
				*p = '\0';
				break;
			}
	}
	if (str_starts(soabi, "cpython")) {
		p = strchr(soabi, '-');
		abi = xasprintf("cp%s", p ? p + 1 : "");
	} else
		abi = xstrdup(soabi);
	free(soabi);
	if (abi[0] == '\0') {
		free(abi);
		return 0;
	}
	strv_push_owned(abis, normalize_plat(abi));
	free(abi);
	return 0;
}

static const char *
short_name(const char *impl)
{
	if (strcmp(impl, "cpython") == 0)
		return "cp";
	if (strcmp(impl, "pypy") == 0)
		return "pp";
	if (strcmp(impl, "python") == 0)
		return "py";
	if (strcmp(impl, "ironpython") == 0)
		return "ip";
	if (strcmp(impl, "jython") == 0)
		return "jy";
	return impl;
}

static char *
interpreter_version(const struct pyinfo *info)
{
	const char	*nodot = pyinfo_get(info, "py_version_nodot");

	if (nodot[0] != '\0')
		return xstrdup(nodot);
	return xasprintf("%d%d", info->major, info->minor);
}

static void
compatible_tags(const struct pyinfo *info, const char *interp,
    const struct strv *plats, struct tagbuild *tb)
{
	struct strv	 pys = STRV_INIT;
	size_t		 i;
	int		 m;

	strv_push_owned(&pys, xasprintf("py%d%d", info->major, info->minor));
	strv_push_owned(&pys, xasprintf("py%d", info->major));
	for (m = info->minor - 1; m >= 0; m--)
		strv_push_owned(&pys, xasprintf("py%d%d", info->major, m));
	for (i = 0; i < pys.n; i++)
		add_plats(tb, pys.v[i], "none", plats);
	if (interp != NULL)
		add_tag(tb, interp, "none", "any");
	for (i = 0; i < pys.n; i++)
		add_tag(tb, pys.v[i], "none", "any");
	strv_free(&pys);
}

/* ---- lookup -------------------------------------------------------- */

/* Open addressing over tag positions + 1 (0 is an empty slot). */
struct tagindex {
	size_t	 mask;
	size_t	*slot;
};

static size_t
tag_hash(const char *py, const char *abi, const char *plat)
{
	const char	*parts[3] = { py, abi, plat };
	const char	*p;
	size_t		 h = 1469598103934665603ULL & SIZE_MAX;
	size_t		 i;

	for (i = 0; i < 3; i++) {
		for (p = parts[i]; *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * (size_t)1099511628211ULL;
		h = (h ^ '-') * (size_t)1099511628211ULL;
	}
	return h;
}

static int
tag_is(const struct tag *t, const char *py, const char *abi,
    const char *plat)
{
	return strcmp(t->plat, plat) == 0 && strcmp(t->abi, abi) == 0 &&
	    strcmp(t->py, py) == 0;
}

static void
index_build(struct taglist *tl)
{
	struct tagindex	*ix = xmalloc(sizeof(*ix));
	size_t		 size = 64, i, h;
	struct tag	*t;

	while (size < tl->n * 2)
		size *= 2;
	ix->mask = size - 1;
	ix->slot = xcalloc(size, sizeof(*ix->slot));
	for (i = 0; i < tl->n; i++) {
		t = &tl->v[i];
		for (h = tag_hash(t->py, t->abi, t->plat) & ix->mask;
		    ix->slot[h] != 0; h = (h + 1) & ix->mask)
			if (tag_is(&tl->v[ix->slot[h] - 1], t->py, t->abi,
			    t->plat))
				break;	/* a repeat keeps its first place */
		if (ix->slot[h] == 0)
			ix->slot[h] = i + 1;
	}
	tl->index = ix;
}

long
tags_find(const struct taglist *tl, const char *py, const char *abi,
    const char *plat)
{
	const struct tagindex *ix = tl->index;
	size_t		 h;

	if (ix == NULL)
		return -1;
	for (h = tag_hash(py, abi, plat) & ix->mask; ix->slot[h] != 0;
	    h = (h + 1) & ix->mask)
		if (tag_is(&tl->v[ix->slot[h] - 1], py, abi, plat))
			return (long)(ix->slot[h] - 1);
	return -1;
}

long
tags_rank(const struct taglist *tl, const struct wheel_name *wn)
{
	size_t	 i, j, k;
	long	 best = -1, r;

	for (i = 0; i < wn->py.n; i++)
		for (j = 0; j < wn->abi.n; j++)
			for (k = 0; k < wn->plat.n; k++) {
				r = tags_find(tl, wn->py.v[i], wn->abi.v[j],
				    wn->plat.v[k]);
				if (r >= 0 && (best < 0 || r < best))
					best = r;
			}
	return best;
}

int
tags_compute(const struct pyinfo *info, struct taglist *tl)
{
	struct tagbuild	 tb = { tl, 0 };
	struct strv	 plats = STRV_INIT, abis = STRV_INIT;
	const char	*name = short_name(pyinfo_get(info,
			    "implementation_name"));
	char		*interp, *ver;
	size_t		 i;

	memset(tl, 0, sizeof(*tl));
	if (info->major <= 0 || info->minor < 0)
		return err_set("interpreter facts lack the Python version");
	if (platform_list(info, &plats) == -1)
		return -1;
	if (strcmp(name, "cp") == 0) {
		cpython_tags(info, &plats, &tb);
		ver = interpreter_version(info);
		interp = xasprintf("cp%s", ver);
		free(ver);
	} else {
		if (generic_abis(info, &abis) == -1) {
			strv_free(&plats);
			return -1;
		}
		if (!strv_has(&abis, "none"))
			strv_push(&abis, "none");
		ver = interpreter_version(info);
		interp = xasprintf("%s%s", name, ver);
		free(ver);
		for (i = 0; i < abis.n; i++)
			add_plats(&tb, interp, abis.v[i], &plats);
		free(interp);
		interp = strcmp(name, "pp") == 0 ? xstrdup("pp3") : NULL;
	}
	compatible_tags(info, interp, &plats, &tb);
	free(interp);
	strv_free(&plats);
	strv_free(&abis);
	index_build(tl);
	return 0;
}

void
taglist_free(struct taglist *tl)
{
	struct tagindex	*ix = tl->index;
	size_t		 i;

	for (i = 0; i < tl->n; i++)
		free(tl->v[i].py);
	free(tl->v);
	if (ix != NULL) {
		free(ix->slot);
		free(ix);
	}
	memset(tl, 0, sizeof(*tl));
}
