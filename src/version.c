/*
 * version.c: project names (PEP 503 normalization) and versions (PEP 440):
 * the lenient parser, the canonical spelling, the total order, and
 * specifier sets such as ">=3.8, !=3.9.*, <4".
 *
 * The rules follow packaging.version and packaging.specifiers exactly,
 * quirks included, because pip is what users compare forklift with: the
 * parser accepts what packaging's VERSION_PATTERN accepts, ordering is
 * dev < pre < release < post with local labels after the public version,
 * and "<V" / ">V" exclude pre-, post- and local releases of V itself.
 * Candidates are always allowed to be pre-releases (they are interpreter
 * versions or pins).  Pure functions: no I/O, nothing printed.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "version.h"

char *
name_normalize(const char *name)
{
	char	*out = xmalloc(strlen(name) + 1), *o = out;
	int	 sep = 0;

	for (; *name != '\0'; name++) {
		if (*name == '-' || *name == '_' || *name == '.') {
			sep = 1;
			continue;
		}
		if (sep)
			*o++ = '-';
		sep = 0;
		*o++ = tolower((unsigned char)*name);
	}
	if (sep)
		*o++ = '-';
	*o = '\0';
	return out;
}

int
name_eq(const char *a, const char *b)
{
	char	*na = name_normalize(a), *nb = name_normalize(b);
	int	 eq = strcmp(na, nb) == 0;

	free(na);
	free(nb);
	return eq;
}

/* ---- parsing ------------------------------------------------------- */

static int
is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

/* Read decimal digits at *sp into *out; 0 if none, -1 on overflow. */
static int
read_num(const char **sp, unsigned long *out)
{
	const char	*s = *sp;
	unsigned long	 v = 0;

	if (!isdigit((unsigned char)*s))
		return 0;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (ULONG_MAX - (unsigned long)(*s - '0')) / 10)
			return err_set("number too large");
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*sp = s;
	*out = v;
	return 1;
}

/* Match the first of the words that s starts with; return its length or 0.
 * The lists are ordered so that a longer word comes before its prefix. */
static size_t
match_word(const char *s, const char *const *words)
{
	size_t	 n;

	for (; *words != NULL; words++) {
		n = strlen(*words);
		if (strncmp(s, *words, n) == 0)
			return n;
	}
	return 0;
}

/* "[-_.]? WORD [-_.]? [0-9]*": the shape of pre, post and dev segments. */
static int
read_segment(const char **sp, const char *const *words, const char **word,
    unsigned long *num)
{
	const char	*s = *sp;
	size_t		 n;
	int		 r;

	if (is_sep(*s))
		s++;
	if ((n = match_word(s, words)) == 0)
		return 0;
	*word = s;
	s += n;
	if (is_sep(*s))
		s++;	/* even with no number: "1.0a." is 1.0a0 */
	*num = 0;
	if ((r = read_num(&s, num)) < 0)
		return -1;
	*sp = s;
	return 1;
}

static int
parse_local(const char *s, struct version *v)
{
	struct buf	 b = BUF_INIT;
	size_t		 n, d;

	for (;;) {
		n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789");
		if (n == 0 || (s[n] != '\0' && !is_sep(s[n]))) {
			buf_free(&b);
			return -2;
		}
		if (b.len > 0)
			buf_adds(&b, ".");
		d = strspn(s, "0");
		if (strspn(s, "0123456789") == n)	/* a number: 007 is 7 */
			d = d == n ? n - 1 : d;
		else
			d = 0;
		buf_add(&b, s + d, n - d);
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	if (b.len >= sizeof(v->local)) {
		buf_free(&b);
		return err_set("local version label longer than %zu bytes",
		    sizeof(v->local) - 1);
	}
	memcpy(v->local, b.p, b.len + 1);
	buf_free(&b);
	return 0;
}

static const char *const pre_words[] = {
	"alpha", "a", "beta", "b", "preview", "pre", "c", "rc", NULL
};
static const char *const post_words[] = { "post", "rev", "r", NULL };
static const char *const dev_words[] = { "dev", NULL };

static int
parse_lower(const char *s, struct version *v)
{
	const char	*w;
	unsigned long	 n;
	int		 r;

	memset(v, 0, sizeof(*v));
	if (*s == 'v')
		s++;
	if ((r = read_num(&s, &n)) <= 0)
		return r < 0 ? -1 : -2;
	if (*s == '!') {
		v->epoch = n;
		s++;
		if ((r = read_num(&s, &n)) <= 0)
			return r < 0 ? -1 : -2;
	}
	v->release[v->nrelease++] = n;
	while (*s == '.' && isdigit((unsigned char)s[1])) {
		s++;
		if (v->nrelease == VERSION_MAX_RELEASE)
			return err_set("more than %d release numbers",
			    VERSION_MAX_RELEASE);
		if (read_num(&s, &v->release[v->nrelease++]) < 0)
			return -1;
	}
	if ((r = read_segment(&s, pre_words, &w, &v->pre)) < 0)
		return -1;
	if (r > 0)
		v->pre_kind = w[0] == 'a' ? 'a' : (w[0] == 'b' ? 'b' : 'c');
	if (*s == '-' && isdigit((unsigned char)s[1])) {
		s++;
		if (read_num(&s, &v->post) < 0)
			return -1;
		v->has_post = 1;
	} else if ((r = read_segment(&s, post_words, &w, &v->post)) != 0) {
		if (r < 0)
			return -1;
		v->has_post = 1;
	}
	if ((r = read_segment(&s, dev_words, &w, &v->dev)) < 0)
		return -1;
	v->has_dev = r > 0;
	if (*s == '+')
		return parse_local(s + 1, v);
	return *s == '\0' ? 0 : -2;
}

int
version_parse(const char *text, struct version *v)
{
	const char	*s = text, *e;
	char		*low, *q;
	int		 r;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	low = xstrndup(s, (size_t)(e - s));
	for (q = low; *q != '\0'; q++)
		*q = tolower((unsigned char)*q);
	r = parse_lower(low, v);
	free(low);
	if (r == -2)
		return err_set("invalid version '%s'", text);
	if (r == -1)
		return err_prefix("invalid version '%s'", text);
	return 0;
}

/* ---- printing ------------------------------------------------------ */

static void
version_print(struct buf *b, const struct version *v, int with_local)
{
	size_t	 i;

	if (v->epoch != 0)
		buf_addf(b, "%lu!", v->epoch);
	for (i = 0; i < v->nrelease; i++)
		buf_addf(b, "%s%lu", i ? "." : "", v->release[i]);
	if (v->pre_kind != 0)
		buf_addf(b, "%s%lu", v->pre_kind == 'c' ? "rc" :
		    (v->pre_kind == 'a' ? "a" : "b"), v->pre);
	if (v->has_post)
		buf_addf(b, ".post%lu", v->post);
	if (v->has_dev)
		buf_addf(b, ".dev%lu", v->dev);
	if (with_local && v->local[0] != '\0')
		buf_addf(b, "+%s", v->local);
}

char *
version_normalize(const char *text)
{
	struct version	 v;
	struct buf	 b = BUF_INIT;

	if (version_parse(text, &v) == -1)
		return NULL;
	version_print(&b, &v, 1);
	return buf_detach(&b);
}

/* ---- ordering ------------------------------------------------------ */

#define CMP(a, b) ((a) < (b) ? -1 : ((a) > (b) ? 1 : 0))

static int
release_cmp(const struct version *a, const struct version *b)
{
	size_t		 i, n = a->nrelease > b->nrelease ? a->nrelease : b->nrelease;
	unsigned long	 x, y;

	if (a->epoch != b->epoch)
		return CMP(a->epoch, b->epoch);
	for (i = 0; i < n; i++) {
		x = i < a->nrelease ? a->release[i] : 0;
		y = i < b->nrelease ? b->release[i] : 0;
		if (x != y)
			return CMP(x, y);
	}
	return 0;
}

/* Rank of the pre-release part: dev-only releases sort before every
 * pre-release, plain releases after them. */
static int
pre_rank(const struct version *v)
{
	if (v->pre_kind == 0)
		return (!v->has_post && v->has_dev) ? 0 : 4;
	return v->pre_kind == 'a' ? 1 : (v->pre_kind == 'b' ? 2 : 3);
}

/* Local labels: segment by segment; numbers sort above strings, numbers
 * numerically, strings lexically; a label that is a prefix sorts first. */
static int
local_cmp(const char *a, const char *b)
{
	size_t	 la, lb, n;
	int	 na, nb, c;

	if (*a == '\0' || *b == '\0')
		return CMP(*a != '\0', *b != '\0');
	for (;;) {
		if (*a == '\0' || *b == '\0')
			return CMP(*a != '\0', *b != '\0');
		la = strcspn(a, ".");
		lb = strcspn(b, ".");
		na = strspn(a, "0123456789") >= la;
		nb = strspn(b, "0123456789") >= lb;
		if (na != nb)
			return CMP(na, nb);
		if (na && la != lb)	/* no leading zeros: length orders */
			return CMP(la, lb);
		n = la < lb ? la : lb;
		if ((c = memcmp(a, b, n)) != 0)
			return c < 0 ? -1 : 1;
		if (la != lb)
			return CMP(la, lb);
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
}

static int
public_cmp(const struct version *a, const struct version *b)
{
	int	 c;

	if ((c = release_cmp(a, b)) != 0)
		return c;
	if ((c = CMP(pre_rank(a), pre_rank(b))) != 0)
		return c;
	if (a->pre_kind != 0 && a->pre != b->pre)
		return CMP(a->pre, b->pre);
	if (a->has_post != b->has_post)
		return CMP(a->has_post, b->has_post);
	if (a->has_post && a->post != b->post)
		return CMP(a->post, b->post);
	if (a->has_dev != b->has_dev)
		return CMP(b->has_dev, a->has_dev);
	if (a->has_dev)
		return CMP(a->dev, b->dev);
	return 0;
}

int
version_cmp(const struct version *a, const struct version *b)
{
	int	 c;

	if ((c = public_cmp(a, b)) != 0)
		return c;
	return local_cmp(a->local, b->local);
}

int
version_strcmp(const char *a, const char *b)
{
	struct version	 va, vb;
	int		 oka = version_parse(a, &va) == 0;
	int		 okb = version_parse(b, &vb) == 0;
	int		 c;

	if (oka && okb)
		return version_cmp(&va, &vb);
	if (oka != okb)
		return oka ? -1 : 1;
	c = strcmp(a, b);
	return CMP(c, 0);
}

/* ---- specifiers ---------------------------------------------------- */

static int
is_prerelease(const struct version *v)
{
	return v->pre_kind != 0 || v->has_dev;
}

/*
 * Split a version string into comparison tokens as packaging does for
 * prefix matching: the epoch ("0" if none), then each '.'-separated item,
 * with "5rc1" style items cut into "5" and "rc1".
 */
static void
split_tokens(const char *s, struct strv *out)
{
	const char	*bang = strrchr(s, '!'), *p, *q;
	size_t		 n, d;

	if (bang != NULL) {
		strv_push_owned(out, xstrndup(s, (size_t)(bang - s)));
		s = bang + 1;
	} else
		strv_push(out, "0");
	for (p = s;; p = q + 1) {
		q = p + strcspn(p, ".");
		n = (size_t)(q - p);
		d = strspn(p, "0123456789");
		if (d > 0 && d < n) {
			const char	*r = p + d;
			size_t		 k = (r[0] == 'r' && r[1] == 'c') ? 2 :
			    ((r[0] == 'a' || r[0] == 'b' || r[0] == 'c') ? 1 : 0);

			if (k > 0 && d + k < n &&
			    strspn(r + k, "0123456789") == n - d - k) {
				strv_push_owned(out, xstrndup(p, d));
				strv_push_owned(out, xstrndup(r, n - d));
				goto next;
			}
		}
		strv_push_owned(out, xstrndup(p, n));
next:
		if (*q == '\0')
			break;
	}
}

static size_t
digit_run(const struct strv *t)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if (t->v[i][0] == '\0' ||
		    strspn(t->v[i], "0123456789") != strlen(t->v[i]))
			break;
	return i;
}

/* packaging's canonicalize_version: the normal form, or the text itself. */
static char *
canonical(const char *text, int with_local)
{
	struct version	 v;
	struct buf	 b = BUF_INIT;

	if (version_parse(text, &v) == -1)
		return xstrdup(text);
	version_print(&b, &v, with_local);
	return buf_detach(&b);
}

/* "==PREFIX.*": the candidate's tokens, zero-padded to the prefix's
 * release length, must start with the prefix's tokens. */
static int
prefix_match(const struct version *cand, const char *prefix)
{
	struct strv	 ct = STRV_INIT, st = STRV_INIT;
	struct buf	 b = BUF_INIT;
	char		*sc = canonical(prefix, 1);
	size_t		 i, j, cr, sr, pad;
	int		 ok = 1;

	version_print(&b, cand, 0);
	split_tokens(b.p, &ct);
	split_tokens(sc, &st);
	cr = digit_run(&ct);
	sr = digit_run(&st);
	pad = sr > cr ? sr - cr : 0;
	if (ct.n + pad < st.n)
		ok = 0;
	for (i = 0; ok && i < st.n; i++) {
		if (i < cr)
			j = i;
		else if (i < cr + pad) {
			ok = strcmp(st.v[i], "0") == 0;
			continue;
		} else
			j = i - pad;
		ok = strcmp(ct.v[j], st.v[i]) == 0;
	}
	strv_free(&ct);
	strv_free(&st);
	buf_free(&b);
	free(sc);
	return ok;
}

static int
starts_suffix(const char *t)
{
	return str_starts(t, "dev") || str_starts(t, "a") ||
	    str_starts(t, "b") || str_starts(t, "rc") || str_starts(t, "post");
}

/* "~=V": ">=V" and "==P.*" where P is V's leading items minus the last. */
static int
compatible_match(const struct version *cand, const struct version *spec,
    const char *text)
{
	struct version	 pub = *cand;
	struct strv	 t = STRV_INIT;
	struct buf	 b = BUF_INIT;
	size_t		 n, i;
	int		 ok;

	pub.local[0] = '\0';
	if (version_cmp(&pub, spec) < 0)
		return 0;
	split_tokens(text, &t);
	for (n = 0; n < t.n && (n == 0 || !starts_suffix(t.v[n])); n++)
		;
	buf_addf(&b, "%s!", t.v[0]);
	for (i = 1; i + 1 < n; i++)
		buf_addf(&b, "%s%s", i > 1 ? "." : "", t.v[i]);
	ok = prefix_match(cand, b.p);
	buf_free(&b);
	strv_free(&t);
	return ok;
}

static int
base_eq(const struct version *a, const struct version *b)
{
	return release_cmp(a, b) == 0;
}

/* Check the text of one specifier's version against its operator. */
static int
spec_check(const char *op, const char *text, int wild, struct version *sv)
{
	size_t	 i;

	if (text[strcspn(text, " \t\r\n\f\v")] != '\0')
		return -1;
	if (strcmp(op, "===") == 0)
		return text[strcspn(text, ";)")] == '\0' ? 0 : -1;
	if (version_parse(text, sv) == -1)
		return -1;
	if (wild && (sv->pre_kind || sv->has_post || sv->has_dev ||
	    sv->local[0] != '\0'))
		return -1;
	if (wild)	/* the regex allows only "v? (N!)? N(.N)*" before ".*" */
		for (i = 0; text[i] != '\0'; i++)
			if (!isdigit((unsigned char)text[i]) && text[i] != '.' &&
			    text[i] != '!' && !(i == 0 && (text[0] == 'v' ||
			    text[0] == 'V')))
				return -1;
	if (sv->local[0] != '\0' && strcmp(op, "==") != 0 &&
	    strcmp(op, "!=") != 0)
		return -1;
	if (strcmp(op, "~=") == 0 && sv->nrelease < 2)
		return -1;
	return 0;
}

static const char *const spec_ops[] = {
	"===", "~=", "==", "!=", "<=", ">=", "<", ">", NULL
};

/* One specifier, already stripped.  1 match, 0 no, -1 malformed. */
static int
spec_one(const char *spec, const struct version *cand)
{
	struct version	 sv, pub = *cand;
	struct buf	 b = BUF_INIT;
	const char	*op = NULL, *text;
	char		*vtext;
	size_t		 i, n;
	int		 wild = 0, r, c;

	for (i = 0; spec_ops[i] != NULL; i++)
		if (str_starts(spec, spec_ops[i])) {
			op = spec_ops[i];
			break;
		}
	if (op == NULL)
		return err_set("invalid specifier '%s': no operator", spec);
	for (text = spec + strlen(op); isspace((unsigned char)*text); text++)
		;
	vtext = xstrdup(text);
	n = strlen(vtext);
	if ((strcmp(op, "==") == 0 || strcmp(op, "!=") == 0) && n >= 2 &&
	    strcmp(vtext + n - 2, ".*") == 0) {
		wild = 1;
		vtext[n - 2] = '\0';
	}
	if (spec_check(op, vtext, wild, &sv) == -1) {
		free(vtext);
		return err_set("invalid specifier '%s'", spec);
	}
	pub.local[0] = '\0';
	if (strcmp(op, "===") == 0) {
		version_print(&b, cand, 1);
		r = strcasecmp(b.p, vtext) == 0;
		buf_free(&b);
	} else if (wild) {
		r = prefix_match(cand, vtext);
		if (op[0] == '!')
			r = !r;
	} else if (strcmp(op, "==") == 0 || strcmp(op, "!=") == 0) {
		r = version_cmp(sv.local[0] != '\0' ? cand : &pub, &sv) == 0;
		if (op[0] == '!')
			r = !r;
	} else if (strcmp(op, "~=") == 0)
		r = compatible_match(cand, &sv, vtext);
	else if (strcmp(op, "<=") == 0)
		r = version_cmp(&pub, &sv) <= 0;
	else if (strcmp(op, ">=") == 0)
		r = version_cmp(&pub, &sv) >= 0;
	else if (strcmp(op, "<") == 0) {
		c = version_cmp(cand, &sv);
		r = c < 0 && !(!is_prerelease(&sv) && is_prerelease(cand) &&
		    base_eq(cand, &sv));
	} else {
		c = version_cmp(cand, &sv);
		r = c > 0 && !(!sv.has_post && cand->has_post &&
		    base_eq(cand, &sv)) &&
		    !(cand->local[0] != '\0' && base_eq(cand, &sv));
	}
	free(vtext);
	return r;
}

int
version_spec_match(const char *specs, const char *version)
{
	struct version	 cand;
	const char	*p, *q, *s, *e;
	char		*one;
	int		 r, result = 1;

	if (version_parse(version, &cand) == -1)
		return -1;
	for (p = specs;; p = q + 1) {
		q = p + strcspn(p, ",");
		for (s = p; s < q && isspace((unsigned char)*s); s++)
			;
		for (e = q; e > s && isspace((unsigned char)e[-1]); e--)
			;
		if (e > s) {
			one = xstrndup(s, (size_t)(e - s));
			r = spec_one(one, &cand);
			free(one);
			if (r == -1)
				return -1;
			if (r == 0)
				result = 0;
		}
		if (*q == '\0')
			break;
	}
	return result;
}

int
version_pin_matches(const char *pin, const char *version)
{
	char	*spec;
	int	 r;

	if (version_strcmp(pin, version) == 0)
		return 1;
	spec = xasprintf("==%s", pin);
	r = version_spec_match(spec, version);
	free(spec);
	return r == 1;
}
