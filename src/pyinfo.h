/*
 * pyinfo.h: the facts of one Python interpreter, as the query script
 * prints them.  A plain table: the layers that need facts (tags, markers,
 * requirements) include this and not target.h.
 */
#ifndef FORKLIFT_PYINFO_H
#define FORKLIFT_PYINFO_H

#include <stddef.h>

#include "util.h"

/*
 * Interpreter facts, as key=value lines from the query.  Keys:
 *   implementation_name      sys.implementation.name ("cpython", "pypy")
 *   implementation_version   PEP 508 form of sys.implementation.version
 *   python_version           "3.11" (PEP 508)
 *   python_full_version      platform.python_version() ("3.11.7")
 *   version_major, version_minor, version_micro
 *   py_version_nodot         sysconfig py_version_nodot ("311")
 *   abiflags                 sys.abiflags or ""
 *   soabi                    sysconfig SOABI or ""
 *   ext_suffix               sysconfig EXT_SUFFIX or ""
 *   platform                 sysconfig.get_platform() ("linux-x86_64")
 *   py_debug                 sysconfig Py_DEBUG: "1", "0", or "" when unset
 *   py_gil_disabled          sysconfig Py_GIL_DISABLED: "1", "0" or ""
 *   with_pymalloc            sysconfig WITH_PYMALLOC: "1", "0" or ""
 *   has_totalrefcount        "1" if sys.gettotalrefcount exists (debug build)
 *   libc                     "glibc", "musl" or ""
 *   libc_version             "2.36" or ""
 *   pointer_bits             "64" or "32"
 *   sys_platform, os_name, platform_machine, platform_system,
 *   platform_release, platform_version, platform_python_implementation
 *                            the PEP 508 marker variables
 *   executable               sys.executable
 *   prefix, base_prefix      sys.prefix, sys.base_prefix (or real_prefix)
 *   stdlib                   sysconfig stdlib path (EXTERNALLY-MANAGED lives there)
 *   purelib, platlib, scripts, data, include
 *                            scheme paths for the chosen scheme
 */
struct pyinfo {
	struct strv	 keys;
	struct strv	 vals;
	int		 major;
	int		 minor;
	int		 micro;
};

/* Parse key=value lines (values run to the end of the line). */
int	 pyinfo_parse(const char *, size_t, struct pyinfo *);
/* The value of a key, "" when absent. */
const char *pyinfo_get(const struct pyinfo *, const char *);
void	 pyinfo_free(struct pyinfo *);
/* The query script run as "python -I -c SCRIPT [PREFIX]". */
extern const char pyinfo_query_script[];

#endif
