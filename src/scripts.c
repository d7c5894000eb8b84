/*
 * scripts.c: entry_points.txt (console_scripts and gui_scripts only), the
 * text of a launcher, the shebang line for a target interpreter, "#!python"
 * detection and the names of setuptools-era wrappers.
 *
 * Everything here is a pure function of its arguments: this file never
 * touches the file system, never runs a process and never decides where a
 * launcher is written.  It must never let an entry point produce a
 * launcher whose name leaves the scripts directory or replaces the
 * environment's interpreter, and never emit Python text that could be
 * anything but "import this, call that".
 *
 * entry_points.txt rules (the PyPA entry points specification, read the
 * way Python's configparser reads it with "=" as the only delimiter and
 * case-sensitive keys):
 *  - The file must be UTF-8 (a leading BOM is skipped); a NUL byte or an
 *    invalid sequence anywhere rejects it.  Lines end with LF, CRLF or CR.
 *  - After stripping white space, an empty line or one starting with '#'
 *    or ';' is ignored; one starting with '[' must end with ']' and names
 *    a section, compared exactly (no case folding, no inner stripping).
 *  - Only [console_scripts] and [gui_scripts] are read; lines of other
 *    sections and lines before the first section are not examined.  A
 *    section may appear more than once; its entries add up.
 *  - An entry is "name = module:attr.path [extras]"; the first '=' splits
 *    it, so a ':' in the name is part of the name.  Spaces around the
 *    colon and before the extras are ignored; the extras are checked for
 *    balanced brackets and otherwise ignored.
 *  - Duplicates: pip keeps the last of two same-named entries, while a
 *    strict configparser (pypa/installer) rejects the file.  forklift
 *    keeps one launcher when both entries name the same module and
 *    attribute (on POSIX a console and a gui launcher are the same bytes),
 *    and rejects the file when they differ: picking one of two different
 *    programs behind the user's back is never the safe answer.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scripts.h"
#include "util.h"

#define EP_FILE		"entry_points.txt"

/*
 * The longest "#!<interpreter>" line, without its newline, that forklift
 * writes as is.  Linux before 5.1 read 128 bytes of a script and kept 127
 * of them, so a line of 127 bytes still reaches its end; newer Linux
 * (256) and macOS (512) allow more.  pip and installer count the newline
 * too and so switch to the sh form one byte earlier.
 */
#define SHEBANG_MAX	127

#ifndef NAME_MAX
#define NAME_MAX	255
#endif

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* A quoted copy of n bytes for a message. */
static char *
quote_n(const char *s, size_t n)
{
	char	*raw, *q;

	raw = xstrndup(s, n);
	q = str_quote(raw);
	free(raw);
	return q;
}

/*
 * A dotted Python name: identifiers separated by single dots.  ASCII
 * identifiers follow Python's rules exactly.  Any well-formed non-ASCII
 * character is accepted as an identifier character: Python 3 allows
 * letters of every script (XID_Start/XID_Continue after NFKC), and
 * forklift carries no Unicode tables to tell which.  Being lenient is
 * harmless here: non-ASCII bytes cannot form a quote, newline or other
 * ASCII syntax, so the worst a bad character does is make the launcher
 * stop with a SyntaxError when it is run.  (The whole file has already
 * been checked to be well-formed UTF-8.)
 */
static int
dotted_name_ok(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t	i = 0, k;
	int	start = 1;

	while (i < n) {
		if (u[i] == '.') {
			if (start)
				return 0;
			start = 1;
			i++;
			continue;
		}
		if (u[i] >= 0x80) {
			if ((k = utf8_len(u + i, n - i)) == 0)
				return 0;
			i += k;
		} else if (u[i] == '_' || is_alpha(u[i]))
			i++;
		else if (is_digit(u[i]) && !start)
			i++;
		else
			return 0;
		start = 0;
	}
	return n > 0 && !start;
}

/* Record "entry_points.txt: <section>: '<name>': <detail>". */
static int __attribute__((format(printf, 3, 4)))
entry_error(const char *section, const char *name, const char *fmt, ...)
{
	char	 detail[768];
	char	*qname;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	qname = str_quote(name);
	err_set("%s: %s: '%s': %s", EP_FILE, section, qname, detail);
	free(qname);
	return -1;
}

/* Nonzero if name is an interpreter's: "python", "python2*", "python3",
 * "python3.N" (with ABI flags such as the "t" of "python3.13t"),
 * "pythonw*", "pypy*".  "python2*" is included because a 2.7 environment
 * holds those.  Case is ignored: on a case-insensitive file system
 * (macOS) "Python3" still overwrites "python3". */
static int
name_is_interpreter(const char *name)
{
	const char	*p;
	char		 low[8];
	size_t		 i;

	for (i = 0; i < sizeof(low) - 1 && name[i] != '\0'; i++)
		low[i] = (char)ascii_lower((unsigned char)name[i]);
	low[i] = '\0';
	if (strncmp(low, "pypy", 4) == 0 || strncmp(low, "pythonw", 7) == 0)
		return 1;
	if (strncmp(low, "python", 6) != 0)
		return 0;
	p = name + 6;
	if (*p == '\0')
		return 1;
	if (!is_digit((unsigned char)*p))
		return 0;
	while (is_digit((unsigned char)*p) || *p == '.')
		p++;
	while (*p != '\0' && strchr("dmtu", ascii_lower((unsigned char)*p)))
		p++;
	return *p == '\0';
}

/* Why name cannot be a file in the scripts directory, or NULL. */
static const char *
name_path_problem(const char *name)
{
	const unsigned char *u;

	if (*name == '\0')
		return "empty launcher name";
	for (u = (const unsigned char *)name; *u != '\0'; u++)
		if (*u < 0x20 || *u == 0x7f)
			return "control character in launcher name";
	if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return "launcher name must be one path component";
	/* Leave room for the longest wrapper name, "<name>-script.pyw". */
	if (strlen(name) > NAME_MAX - 11)
		return "launcher name too long";
	return NULL;
}

int
launcher_name_reserved(const char *name)
{
	return name_path_problem(name) != NULL || name_is_interpreter(name);
}

static int
check_name(const char *section, const char *name)
{
	const char	*why;

	if ((why = name_path_problem(name)) != NULL)
		return entry_error(section, name, "%s", why);
	if (name_is_interpreter(name))
		return entry_error(section, name,
		    "launcher name would replace the Python interpreter");
	return 0;
}

/*
 * Split an object reference "module:attr.path [extras]" (already stripped)
 * into its module and attribute path, both checked.
 */
static int
parse_value(const char *section, const char *name, const char *v, size_t n,
    char **module, char **attr)
{
	const char	*colon, *m_end, *a, *a_end, *p, *end = v + n;
	char		*qv, *qp;
	int		 rc = -1;

	qv = quote_n(v, n);
	if (n == 0) {
		entry_error(section, name, "empty object reference");
		goto out;
	}
	if ((colon = memchr(v, ':', n)) == NULL) {
		entry_error(section, name, "no ':attr' in '%s'", qv);
		goto out;
	}
	for (m_end = colon; m_end > v && is_space((unsigned char)m_end[-1]);
	    m_end--)
		;
	for (a = colon + 1; a < end && is_space((unsigned char)*a); a++)
		;
	for (a_end = a; a_end < end && *a_end != '[' &&
	    !is_space((unsigned char)*a_end); a_end++)
		;
	if (!dotted_name_ok(v, (size_t)(m_end - v))) {
		qp = quote_n(v, (size_t)(m_end - v));
		entry_error(section, name, "invalid module '%s' in '%s'", qp,
		    qv);
		free(qp);
		goto out;
	}
	if (a == a_end) {
		entry_error(section, name, "no ':attr' in '%s'", qv);
		goto out;
	}
	if (!dotted_name_ok(a, (size_t)(a_end - a))) {
		qp = quote_n(a, (size_t)(a_end - a));
		entry_error(section, name, "invalid attribute '%s' in '%s'",
		    qp, qv);
		free(qp);
		goto out;
	}
	/* What follows is nothing, or "[extras]" with nothing after it. */
	for (p = a_end; p < end && is_space((unsigned char)*p); p++)
		;
	if (p < end) {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (*p != '[' || close == NULL || close != end - 1 ||
		    memchr(p + 1, '[', (size_t)(close - p - 1)) != NULL) {
			entry_error(section, name,
			    "expected '[extras]' or the end after the "
			    "attribute in '%s'", qv);
			goto out;
		}
	}
	*module = xstrndup(v, (size_t)(m_end - v));
	*attr = xstrndup(a, (size_t)(a_end - a));
	rc = 0;
out:
	free(qv);
	return rc;
}

/* Add an entry, applying the duplicate rule described at the top. */
static int
add_entry(struct entry_points *eps, const char *section, char *name,
    char *module, char *attr, int gui)
{
	struct entry_point	*old;
	size_t			 i;

	for (i = 0; i < eps->n; i++) {
		old = &eps->v[i];
		if (strcmp(old->name, name) != 0)
			continue;
		if (strcmp(old->module, module) != 0 ||
		    strcmp(old->attr, attr) != 0) {
			entry_error(section, name, "already defined in %s as "
			    "'%s:%s', now '%s:%s'",
			    old->gui ? "gui_scripts" : "console_scripts",
			    old->module, old->attr, module, attr);
			free(name);
			free(module);
			free(attr);
			return -1;
		}
		free(name);
		free(module);
		free(attr);
		return 0;
	}
	eps->v = xreallocarray(eps->v, eps->n + 1, sizeof(*eps->v));
	eps->v[eps->n].name = name;
	eps->v[eps->n].module = module;
	eps->v[eps->n].attr = attr;
	eps->v[eps->n].gui = gui;
	eps->n++;
	return 0;
}

/* One stripped, non-empty, non-comment line of a section we keep. */
static int
parse_entry(struct entry_points *eps, const char *section, int gui,
    size_t lineno, const char *s, size_t n)
{
	const char	*eq, *k_end, *v;
	char		*name, *module, *attr, *q;

	if ((eq = memchr(s, '=', n)) == NULL) {
		q = quote_n(s, n);
		err_set("%s: %s: line %zu: expected 'name = object "
		    "reference', found '%s'", EP_FILE, section, lineno, q);
		free(q);
		return -1;
	}
	for (k_end = eq; k_end > s && is_space((unsigned char)k_end[-1]);
	    k_end--)
		;
	for (v = eq + 1; v < s + n && is_space((unsigned char)*v); v++)
		;
	name = xstrndup(s, (size_t)(k_end - s));
	if (check_name(section, name) == -1 ||
	    parse_value(section, name, v, (size_t)(s + n - v), &module,
	    &attr) == -1) {
		free(name);
		return -1;
	}
	return add_entry(eps, section, name, module, attr, gui);
}

/* The file is UTF-8 without NUL bytes, or it is rejected. */
static int
check_encoding(const char *buf, size_t len)
{
	const unsigned char *u = (const unsigned char *)buf;
	size_t	i = 0, k, lineno = 1;

	while (i < len) {
		if (u[i] == '\0')
			return err_set("%s: line %zu: NUL byte", EP_FILE,
			    lineno);
		if ((k = utf8_len(u + i, len - i)) == 0)
			return err_set("%s: line %zu: not valid UTF-8",
			    EP_FILE, lineno);
		if (u[i] == '\n' || (u[i] == '\r' &&
		    (i + 1 == len || u[i + 1] != '\n')))
			lineno++;
		i += k;
	}
	return 0;
}

int
entry_points_parse(const char *buf, size_t len, struct entry_points *eps)
{
	const char	*p, *end, *eol, *s, *e;
	char		*q;
	size_t		 lineno = 0;
	int		 keep = 0, gui = 0;
	const char	*section = NULL;

	eps->v = NULL;
	eps->n = 0;
	if (len == 0)
		return 0;
	if (check_encoding(buf, len) == -1)
		return -1;
	p = buf;
	end = buf + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		for (eol = p; eol < end && *eol != '\n' && *eol != '\r'; eol++)
			;
		lineno++;
		for (s = p, e = eol; s < e && is_space((unsigned char)*s); s++)
			;
		while (e > s && is_space((unsigned char)e[-1]))
			e--;
		p = eol;
		if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n')
			p += 2;
		else if (p < end)
			p++;

		if (s == e || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (e[-1] != ']' || e - s < 2) {
				q = quote_n(s, (size_t)(e - s));
				err_set("%s: line %zu: malformed section "
				    "header '%s'", EP_FILE, lineno, q);
				free(q);
				goto fail;
			}
			section = NULL;
			if ((size_t)(e - s) == 17 &&
			    memcmp(s, "[console_scripts]", 17) == 0)
				section = "console_scripts";
			else if ((size_t)(e - s) == 13 &&
			    memcmp(s, "[gui_scripts]", 13) == 0)
				section = "gui_scripts";
			keep = section != NULL;
			gui = keep && section[0] == 'g';
			continue;
		}
		if (!keep)
			continue;
		if (parse_entry(eps, section, gui, lineno, s,
		    (size_t)(e - s)) == -1)
			goto fail;
	}
	return 0;
fail:
	entry_points_free(eps);
	return -1;
}

void
entry_points_free(struct entry_points *eps)
{
	size_t	i;

	for (i = 0; i < eps->n; i++) {
		free(eps->v[i].name);
		free(eps->v[i].module);
		free(eps->v[i].attr);
	}
	free(eps->v);
	eps->v = NULL;
	eps->n = 0;
}

/*
 * Quote for sh inside the two-line shebang.  A single quote becomes
 * '"'"' and a backslash '\\': sh reads \\ outside quotes as one
 * backslash, and Python, which sees the same bytes inside its ''' string,
 * reads a valid escape instead of a possibly malformed one such as \N or
 * \x.  No three quotes ever end up adjacent, so the Python string cannot
 * close early.  (A path that is not UTF-8 cannot be made into Python 3
 * source at all; it is written as is.)
 */
static void
sh_quote(struct buf *b, const char *s)
{
	buf_adds(b, "'");
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_adds(b, "'\"'\"'");
		else if (*s == '\\')
			buf_adds(b, "'\\\\'");
		else
			buf_add(b, s, 1);
	}
	buf_adds(b, "'");
}

char *
shebang_for(const char *interpreter)
{
	struct buf	 b = BUF_INIT;
	const char	*p;
	int		 simple;

	simple = 2 + strlen(interpreter) <= SHEBANG_MAX;
	for (p = interpreter; simple && *p != '\0'; p++)
		if (is_space((unsigned char)*p))
			simple = 0;
	if (simple)
		return xasprintf("#!%s\n", interpreter);
	/*
	 * sh runs the second line: ''exec' is "exec".  Python sees a
	 * comment, then one string statement from ''' to ''' that it
	 * evaluates and drops.
	 */
	buf_adds(&b, "#!/bin/sh\n'''exec' ");
	sh_quote(&b, interpreter);
	buf_adds(&b, " \"$0\" \"$@\"\n' '''\n");
	return buf_detach(&b);
}

/*
 * The launcher: import the first attribute component from the module
 * under a private alias (so an attribute named "sys" cannot shadow the
 * module the launcher uses), drop a ".exe" or "-script.pyw" suffix from
 * argv[0] the way pip's launchers do, and exit with what the callable
 * returns.  Valid on Python 2.7 and every Python 3.
 */
char *
launcher_text(const char *shebang, const struct entry_point *ep)
{
	struct buf	 b = BUF_INIT;
	const char	*dot;
	size_t		 first;

	dot = strchr(ep->attr, '.');
	first = dot != NULL ? (size_t)(dot - ep->attr) : strlen(ep->attr);
	buf_adds(&b, shebang);
	if (b.len == 0 || b.p[b.len - 1] != '\n')
		buf_adds(&b, "\n");
	buf_addf(&b,
	    "# -*- coding: utf-8 -*-\n"
	    "import sys\n"
	    "\n"
	    "from %s import %.*s as _forklift_entry\n"
	    "\n"
	    "if __name__ == \"__main__\":\n"
	    "    if sys.argv[0].endswith(\".exe\"):\n"
	    "        sys.argv[0] = sys.argv[0][:-4]\n"
	    "    elif sys.argv[0].endswith(\"-script.pyw\"):\n"
	    "        sys.argv[0] = sys.argv[0][:-11]\n"
	    "    sys.exit(_forklift_entry%s())\n",
	    ep->module, (int)first, ep->attr, dot != NULL ? dot : "");
	return buf_detach(&b);
}

long
script_python_shebang_len(const char *buf, size_t len)
{
	const char	*nl;

	if (len < 8 || memcmp(buf, "#!python", 8) != 0)
		return 0;
	if ((nl = memchr(buf, '\n', len)) == NULL)
		return -1;
	return (long)(nl - buf) + 1;
}

int
script_is_ep_wrapper(const char *filename, const struct entry_points *eps)
{
	/*
	 * The wrappers setuptools wrote before launchers existed.  The suffix
	 * is matched without regard to case; "-script.pyw" is not among them:
	 * such a file is installed as shipped, as pip installs it.
	 */
	static const char *const suffixes[] = { ".exe", "-script.py", ".pya" };
	size_t	i, j, n, len = strlen(filename), stem = len;

	for (j = 0; j < ARRAY_SIZE(suffixes); j++) {
		n = strlen(suffixes[j]);
		if (len > n && strcasecmp(filename + len - n, suffixes[j]) == 0) {
			stem = len - n;
			break;
		}
	}
	for (i = 0; i < eps->n; i++)
		if (strlen(eps->v[i].name) == stem &&
		    strncmp(filename, eps->v[i].name, stem) == 0)
			return 1;
	return 0;
}
