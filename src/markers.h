/*
 * markers.h: PEP 508 environment markers ("python_version < '3.11' and
 * sys_platform == 'linux'") evaluated against the interpreter facts of a
 * target, with the semantics of packaging.markers: a comparison whose
 * right-hand side forms a valid version specifier compares versions
 * (pre-releases admitted), any other compares strings.
 */
#ifndef FORKLIFT_MARKERS_H
#define FORKLIFT_MARKERS_H

struct pyinfo;
struct strv;

/* Evaluate the marker expression; extra is the value of the "extra"
 * variable ("" for none).  Returns 1 true, 0 false, or -1 with err_set()
 * on a syntax error, an undefined comparison (such as "~=" on strings) or
 * a version comparison with something that is not a version. */
int	 marker_eval(const char *expr, const struct pyinfo *, const char *extra);
/* The same with the set-valued variables of lock files (PEP 751):
 * "'name' in extras" and "'name' in dependency_groups" test membership
 * (names normalized).  With extras NULL those variables are unknown, as
 * in marker_eval(). */
int	 marker_eval_sets(const char *expr, const struct pyinfo *, const char *extra,
	    const struct strv *extras, const struct strv *groups);

#endif
