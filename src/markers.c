/*
 * markers.c: PEP 508 environment markers.  A small recursive-descent
 * parser over the marker grammar (variables, quoted strings, comparison
 * operators, "in", "not in", "and", "or", parentheses) that evaluates as
 * it parses, following packaging.markers: "and" binds tighter than "or",
 * every comparison is evaluated (an error anywhere is an error, even
 * where the result was already decided), "extra" compares normalized
 * names, and a comparison whose operator and right-hand side form a valid
 * version specifier is a version comparison with pre-releases admitted,
 * anything else a string comparison.  Pure: reads only the interpreter
 * facts it is given, prints nothing.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "markers.h"
#include "pyinfo.h"
#include "util.h"
#include "version.h"

struct mparse {
	const char		*s;	/* the whole expression */
	const char		*p;	/* the next character */
	const struct pyinfo	*env;
	const char		*extra;
	const struct strv	*extras;	/* lock files only (PEP 751) */
	const struct strv	*groups;
};

static int	parse_or(struct mparse *);

static int
is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static void
skip_ws(struct mparse *m)
{
	while (*m->p == ' ' || *m->p == '\t')
		m->p++;
}

/* Is the keyword w at the current position, on word boundaries? */
static int
keyword(const struct mparse *m, const char *w)
{
	size_t	n = strlen(w);

	if (m->p > m->s && is_word(m->p[-1]))
		return 0;
	return strncmp(m->p, w, n) == 0 && !is_word(m->p[n]);
}

static int
syntax(const struct mparse *m, const char *what)
{
	return err_set("expected %s at column %d", what, (int)(m->p - m->s) + 1);
}

/* The marker variables, as spelled in a marker, and their names. */
static const char *const variables[][2] = {
	{ "python_version", "python_version" },
	{ "python_full_version", "python_full_version" },
	{ "os_name", "os_name" },
	{ "os.name", "os_name" },
	{ "sys_platform", "sys_platform" },
	{ "sys.platform", "sys_platform" },
	{ "platform_release", "platform_release" },
	{ "platform_system", "platform_system" },
	{ "platform_version", "platform_version" },
	{ "platform.version", "platform_version" },
	{ "platform_machine", "platform_machine" },
	{ "platform.machine", "platform_machine" },
	{ "platform_python_implementation", "platform_python_implementation" },
	{ "platform.python_implementation", "platform_python_implementation" },
	{ "python_implementation", "platform_python_implementation" },
	{ "implementation_name", "implementation_name" },
	{ "implementation_version", "implementation_version" },
	{ "extra", "extra" },
	{ "extras", "extras" },
	{ "dependency_groups", "dependency_groups" },
};

/* The set-valued variables of lock files: only "'x' in extras". */
static int
is_set(const char *var)
{
	return var != NULL && (strcmp(var, "extras") == 0 ||
	    strcmp(var, "dependency_groups") == 0);
}

static char *
variable_value(const struct mparse *m, const char *name)
{
	const char	*v;
	size_t		 n;

	if (strcmp(name, "extra") == 0)
		return xstrdup(m->extra);
	v = pyinfo_get(m->env, name);
	n = strlen(v);
	/* As packaging does for a Python built from an untagged checkout. */
	if (strcmp(name, "python_full_version") == 0 && n > 0 && v[n - 1] == '+')
		return xasprintf("%slocal", v);
	return xstrdup(v);
}

/* A variable or a quoted string: its value, and in *var the variable's
 * name (NULL for a string).  NULL with err_set() on a syntax error. */
static char *
parse_value(struct mparse *m, const char **var)
{
	const char	*start = m->p, *end;
	size_t		 n, i;

	*var = NULL;
	if (*m->p == '\'' || *m->p == '"') {
		if ((end = strchr(m->p + 1, *m->p)) == NULL) {
			syntax(m, "a closing quote");
			return NULL;
		}
		m->p = end + 1;
		return xstrndup(start + 1, (size_t)(end - start - 1));
	}
	if (!(m->p > m->s && is_word(m->p[-1])))
		while (is_word(*m->p) || *m->p == '.')
			m->p++;
	n = (size_t)(m->p - start);
	for (i = 0; n > 0 && i < ARRAY_SIZE(variables); i++) {
		if (strlen(variables[i][0]) == n &&
		    strncmp(variables[i][0], start, n) == 0 &&
		    (!is_set(variables[i][1]) || m->extras != NULL)) {
			*var = variables[i][1];
			if (is_set(*var))
				return xstrdup("");
			return variable_value(m, *var);
		}
	}
	m->p = start;
	syntax(m, "a marker variable or quoted string");
	return NULL;
}

static const char *const operators[] = {
	"===", "==", "~=", "!=", "<=", ">=", "<", ">"
};

static const char *
parse_op(struct mparse *m)
{
	size_t	i;

	if (keyword(m, "in")) {
		m->p += 2;
		return "in";
	}
	if (keyword(m, "not")) {
		m->p += 3;
		if (*m->p != ' ' && *m->p != '\t')
			return syntax(m, "whitespace after 'not'"), NULL;
		skip_ws(m);
		if (!keyword(m, "in"))
			return syntax(m, "'in' after 'not'"), NULL;
		m->p += 2;
		return "not in";
	}
	for (i = 0; i < ARRAY_SIZE(operators); i++) {
		if (str_starts(m->p, operators[i])) {
			m->p += strlen(operators[i]);
			return operators[i];
		}
	}
	syntax(m, "a marker operator (<=, <, !=, ==, >=, >, ~=, ===, in, not in)");
	return NULL;
}

/* Is op+rhs a valid version specifier, as packaging's Specifier parses it? */
static int
is_specifier(const char *op, const char *rhs, char **spec)
{
	if (strcmp(op, "in") == 0 || strcmp(op, "not in") == 0 ||
	    strchr(rhs, ',') != NULL)
		return 0;
	*spec = xasprintf("%s%s", op, rhs);
	if (version_spec_match(*spec, "0") == -1) {
		free(*spec);
		return 0;
	}
	return 1;
}

static int
compare(const char *lhs, const char *op, const char *rhs)
{
	char	*spec;
	int	 c, r;

	if (is_specifier(op, rhs, &spec)) {
		r = version_spec_match(spec, lhs);
		free(spec);
		if (r == -1)
			return err_set("'%s' is not a valid version (compared with "
			    "'%s%s')", lhs, op, rhs);
		return r;
	}
	if (strcmp(op, "in") == 0)
		return strstr(rhs, lhs) != NULL;
	if (strcmp(op, "not in") == 0)
		return strstr(rhs, lhs) == NULL;
	if (strcmp(op, "~=") == 0 || strcmp(op, "===") == 0)
		return err_set("undefined comparison '%s' between '%s' and '%s'",
		    op, lhs, rhs);
	c = strcmp(lhs, rhs);
	if (strcmp(op, "==") == 0)
		return c == 0;
	if (strcmp(op, "!=") == 0)
		return c != 0;
	if (strcmp(op, "<") == 0)
		return c < 0;
	if (strcmp(op, "<=") == 0)
		return c <= 0;
	if (strcmp(op, ">") == 0)
		return c > 0;
	return c >= 0;
}

/* 'name' in extras / dependency_groups: names compare normalized. */
static int
set_test(const struct mparse *m, const char *lhs, const char *lvar,
    const char *op, const char *rvar)
{
	const struct strv	*set;
	size_t			 i;
	int			 found = 0;

	if (lvar != NULL || !is_set(rvar) ||
	    (strcmp(op, "in") != 0 && strcmp(op, "not in") != 0))
		return err_set("'%s' is a set of names: only 'NAME' in %s and "
		    "'NAME' not in %s apply", is_set(lvar) ? lvar : rvar,
		    is_set(lvar) ? lvar : rvar, is_set(lvar) ? lvar : rvar);
	set = strcmp(rvar, "extras") == 0 ? m->extras : m->groups;
	for (i = 0; set != NULL && i < set->n && !found; i++)
		found = name_eq(lhs, set->v[i]);
	return strcmp(op, "in") == 0 ? found : !found;
}

/* item := value op value */
static int
parse_item(struct mparse *m)
{
	const char	*lvar, *rvar, *op;
	char		*lhs, *rhs, *t;
	int		 r = -1;

	if ((lhs = parse_value(m, &lvar)) == NULL)
		return -1;
	skip_ws(m);
	if ((op = parse_op(m)) == NULL) {
		free(lhs);
		return -1;
	}
	skip_ws(m);
	if ((rhs = parse_value(m, &rvar)) == NULL) {
		free(lhs);
		return -1;
	}
	if (is_set(lvar) || is_set(rvar)) {
		r = set_test(m, lhs, lvar, op, rvar);
		free(lhs);
		free(rhs);
		return r;
	}
	/*
	 * As packaging does: the variable decides, a left-hand variable takes
	 * a right-hand one by its name, and two strings are no comparison.
	 */
	if (lvar == NULL && rvar == NULL) {
		err_set("'%s' %s '%s' compares two strings, not a marker variable",
		    lhs, op, rhs);
		free(lhs);
		free(rhs);
		return -1;
	}
	if (lvar != NULL && rvar != NULL) {
		free(rhs);
		rhs = xstrdup(rvar);
	}
	/* PEP 685: extra names compare normalized. */
	if (strcmp(lvar ? lvar : rvar, "extra") == 0) {
		t = name_normalize(lhs);
		free(lhs);
		lhs = t;
		t = name_normalize(rhs);
		free(rhs);
		rhs = t;
	}
	r = compare(lhs, op, rhs);
	free(lhs);
	free(rhs);
	return r;
}

/* atom := '(' or ')' | item, with white space around */
static int
parse_atom(struct mparse *m)
{
	int	r;

	skip_ws(m);
	if (*m->p == '(') {
		m->p++;
		skip_ws(m);
		if ((r = parse_or(m)) == -1)
			return -1;
		skip_ws(m);
		if (*m->p != ')')
			return syntax(m, "')'");
		m->p++;
	} else if ((r = parse_item(m)) == -1)
		return -1;
	skip_ws(m);
	return r;
}

/* or := atom (('and' | 'or') atom)*, "and" binding tighter */
static int
parse_or(struct mparse *m)
{
	int	any = 0, all, r;

	if ((all = parse_atom(m)) == -1)
		return -1;
	for (;;) {
		if (keyword(m, "and")) {
			m->p += 3;
			if ((r = parse_atom(m)) == -1)
				return -1;
			all = all && r;
		} else if (keyword(m, "or")) {
			m->p += 2;
			any = any || all;
			if ((all = parse_atom(m)) == -1)
				return -1;
		} else
			break;
	}
	return any || all;
}

int
marker_eval(const char *expr, const struct pyinfo *env, const char *extra)
{
	return marker_eval_sets(expr, env, extra, NULL, NULL);
}

int
marker_eval_sets(const char *expr, const struct pyinfo *env, const char *extra,
    const struct strv *extras, const struct strv *groups)
{
	static const struct strv	empty = STRV_INIT;
	struct mparse			m;
	int				r;

	m.s = expr;
	m.p = expr;
	m.env = env;
	m.extra = extra != NULL ? extra : "";
	m.extras = extras;
	m.groups = groups;
	if (extras != NULL && groups == NULL)
		m.groups = &empty;
	if ((r = parse_or(&m)) == -1)
		return -1;
	if (*m.p != '\0')
		return syntax(&m, "the end of the marker");
	return r;
}
