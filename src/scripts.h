/*
 * scripts.h: console and GUI launchers and script shebangs.
 * entry_points.txt parsing (console_scripts and gui_scripts only),
 * launcher text, the shebang line for a target interpreter, "#!python"
 * detection, and the setuptools-era wrapper names a launcher replaces.
 * Pure functions; the caller writes the files.
 */
#ifndef FORKLIFT_SCRIPTS_H
#define FORKLIFT_SCRIPTS_H

#include <stddef.h>

struct entry_point {
	char	*name;		/* launcher file name */
	char	*module;	/* "pkg.mod" */
	char	*attr;		/* "main" or "cli.main" */
	int	 gui;		/* from gui_scripts */
};

struct entry_points {
	struct entry_point *v;
	size_t		    n;
};

/* Parse entry_points.txt.  Only [console_scripts] and [gui_scripts] are
 * kept.  Rejects (-1, err_set naming the entry) an entry without ":attr",
 * an invalid module or attribute path, a name that is not one path
 * component or that would replace the interpreter (python, python3,
 * python3.N, pythonw*, pypy*). */
int	 entry_points_parse(const char *, size_t, struct entry_points *);
void	 entry_points_free(struct entry_points *);
/* Nonzero if name is not allowed as a launcher name (see above). */
int	 launcher_name_reserved(const char *);

/* The shebang for an interpreter: "#!<path>\n" when the path has no white
 * space and the line is at most 127 bytes, else the portable sh form
 * "#!/bin/sh\n'''exec' '<path>' \"$0\" \"$@\"\n' '''\n". */
char	*shebang_for(const char *interpreter);

/* The whole launcher file for an entry point. */
char	*launcher_text(const char *shebang, const struct entry_point *);

/* If buf (the start of a script) begins with "#!python" (this includes
 * "#!pythonw"), return the length of its first line including the LF or
 * CRLF; 0 if it does not begin so; -1 if no line end is within len. */
long	 script_python_shebang_len(const char *buf, size_t len);

/* Nonzero if a .data/scripts file of this name is a setuptools-era wrapper
 * for one of the entry points: EP, EP.exe, EP-script.py, EP.pya (suffix
 * case-insensitive).  EP-script.pyw is installed as shipped, as pip does. */
int	 script_is_ep_wrapper(const char *filename, const struct entry_points *);

#endif
