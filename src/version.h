/*
 * version.h: PEP 503 name normalization and PEP 440 versions: parsing,
 * normalized form, ordering, and specifier sets such as
 * ">=3.8, !=3.9.*, <4" (Requires-Python, requirement pins).
 * Pure functions; no I/O.
 */
#ifndef FORKLIFT_VERSION_H
#define FORKLIFT_VERSION_H

#include <stddef.h>

/* "Foo.Bar_baz" -> "foo-bar-baz" (lower case, runs of -_. become one -). */
char	*name_normalize(const char *);
/* Nonzero if both names normalize to the same string. */
int	 name_eq(const char *, const char *);

#define VERSION_MAX_RELEASE 16

struct version {
	unsigned long	epoch;
	unsigned long	release[VERSION_MAX_RELEASE];
	size_t		nrelease;
	int		pre_kind;	/* 0 none, 'a', 'b', 'c' (rc) */
	unsigned long	pre;
	int		has_post;
	unsigned long	post;
	int		has_dev;
	unsigned long	dev;
	char		local[128];	/* normalized local label, "" if none */
};

/* Parse a PEP 440 version (leniently as PEP 440 allows: case, "-", "_", "v").
 * Returns 0, or -1 with err_set() on an invalid version. */
int	 version_parse(const char *, struct version *);
/* Canonical string ("1.0.0-RC1" -> "1.0.0rc1"); NULL if invalid. */
char	*version_normalize(const char *);
/* <0, 0, >0 as PEP 440 orders them. */
int	 version_cmp(const struct version *, const struct version *);
/* Compare two version strings; invalid ones sort by strcmp after valid ones. */
int	 version_strcmp(const char *, const char *);

/* Does the version satisfy the comma-separated specifier set?  Returns 1
 * yes, 0 no, -1 with err_set() if the specifier set or the version is
 * malformed.  Pre-releases are admitted (the version is the interpreter's
 * or a pin).  Semantics are packaging.specifiers': "<V" excludes
 * pre-releases of V, ">V" excludes post-releases and local versions of V. */
int	 version_spec_match(const char *specs, const char *version);

/* Does the version satisfy the pin "==pin" (PEP 440)?  1 yes, 0 no (a
 * malformed pin or version matches only itself, letter for letter). */
int	 version_pin_matches(const char *pin, const char *version);

#endif
