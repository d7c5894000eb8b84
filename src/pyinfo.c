/*
 * pyinfo.c: the interpreter query script and the parser of what it
 * prints.  It runs nothing and reads no file: target.c runs the script
 * and hands the text here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pyinfo.h"
#include "util.h"

/* Runs on CPython 2.7 and 3.x; prints key=value lines (see target.h).
 * On CPython 3 the marker facts come from sys and os.uname(), as the
 * platform module computes them: importing it (and re, enum,
 * collections with it) was a third of the query's time. */
const char pyinfo_query_script[] =
"import os, sys, sysconfig, struct\n"
"def out(k, v):\n"
"    sys.stdout.write('%s=%s\\n' % (k, str(v).replace('\\n', ' ')))\n"
"def flag(name):\n"
"    v = sysconfig.get_config_var(name)\n"
"    return '' if v is None else ('1' if v else '0')\n"
"impl = getattr(sys, 'implementation', None)\n"
"if impl is not None and impl.name == 'cpython' and hasattr(os, 'uname'):\n"
"    pi = 'CPython'\n"
"    pv = ''\n"
"    for c in sys.version:\n"
"        if not (c.isalnum() or c in '._+'):\n"
"            break\n"
"        pv += c\n"
"    if pv.count('.') == 1:\n"
"        pv += '.0'\n"
"    un = os.uname()\n"
"    un = (un[0], un[2], un[3], un[4])\n"
"else:\n"
"    import platform\n"
"    pi = platform.python_implementation()\n"
"    pv = platform.python_version()\n"
"    un = (platform.system(), platform.release(), platform.version(),\n"
"        platform.machine())\n"
"out('implementation_name', impl.name if impl else pi.lower())\n"
"if impl:\n"
"    iv = impl.version\n"
"    s = '%d.%d.%d' % (iv[0], iv[1], iv[2])\n"
"    if iv[3] != 'final':\n"
"        s += iv[3][0] + str(iv[4])\n"
"else:\n"
"    s = '0'\n"
"out('implementation_version', s)\n"
"vi = sys.version_info\n"
"out('python_version', '%d.%d' % (vi[0], vi[1]))\n"
"out('python_full_version', pv)\n"
"out('version_major', vi[0])\n"
"out('version_minor', vi[1])\n"
"out('version_micro', vi[2])\n"
"cv = sysconfig.get_config_var\n"
"out('py_version_nodot', cv('py_version_nodot') or '%d%d' % (vi[0], vi[1]))\n"
"out('abiflags', getattr(sys, 'abiflags', ''))\n"
"out('soabi', cv('SOABI') or '')\n"
"out('ext_suffix', cv('EXT_SUFFIX') or cv('SO') or '')\n"
"out('platform', sysconfig.get_platform())\n"
"out('py_debug', flag('Py_DEBUG'))\n"
"out('py_gil_disabled', flag('Py_GIL_DISABLED'))\n"
"out('with_pymalloc', flag('WITH_PYMALLOC'))\n"
"out('has_totalrefcount', '1' if hasattr(sys, 'gettotalrefcount') else '0')\n"
"libc, lv = '', ''\n"
"try:\n"
"    g = os.confstr('CS_GNU_LIBC_VERSION')\n"
"    if g and g.split()[0] == 'glibc':\n"
"        libc, lv = 'glibc', g.split()[1]\n"
"except Exception:\n"
"    pass\n"
"if not libc:\n"
"    import glob, subprocess\n"
"    for ld in glob.glob('/lib/ld-musl-*.so.1'):\n"
"        try:\n"
"            p = subprocess.Popen([ld], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
"            err = p.communicate()[1].decode('utf-8', 'replace')\n"
"        except Exception:\n"
"            continue\n"
"        for line in err.splitlines():\n"
"            if line.startswith('Version '):\n"
"                libc, lv = 'musl', line.split()[1]\n"
"        break\n"
"out('libc', libc)\n"
"out('libc_version', lv)\n"
"out('pointer_bits', struct.calcsize('P') * 8)\n"
"out('sys_platform', sys.platform)\n"
"out('os_name', os.name)\n"
"out('platform_machine', un[3])\n"
"out('platform_system', un[0])\n"
"out('platform_release', un[1])\n"
"out('platform_version', un[2])\n"
"out('platform_python_implementation', pi)\n"
"out('executable', sys.executable)\n"
"out('prefix', sys.prefix)\n"
"bp = getattr(sys, 'base_prefix', getattr(sys, 'real_prefix', sys.prefix))\n"
"out('base_prefix', bp)\n"
"if len(sys.argv) > 1 and sys.argv[1]:\n"
"    d = sys.argv[1]\n"
"    paths = sysconfig.get_paths('posix_prefix', vars={'base': d, 'platbase': d,\n"
"        'installed_base': d, 'installed_platbase': d})\n"
"else:\n"
"    paths = sysconfig.get_paths()\n"
"    if sys.prefix != bp:\n"
"        paths['include'] = os.path.join(sys.prefix, 'include', 'site',\n"
"            'python%d.%d' % (vi[0], vi[1]))\n"
"out('stdlib', sysconfig.get_paths()['stdlib'])\n"
"for k in ('purelib', 'platlib', 'scripts', 'data', 'include'):\n"
"    out(k, paths[k])\n";

int
pyinfo_parse(const char *text, size_t len, struct pyinfo *pi)
{
	const char	*p = text, *end = text + len, *nl, *eq;

	memset(pi, 0, sizeof(*pi));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq == NULL) {
			if (nl > p)
				return err_set("malformed interpreter fact '%.*s'",
				    (int)(nl - p), p);
		} else {
			strv_push_owned(&pi->keys, xstrndup(p, (size_t)(eq - p)));
			strv_push_owned(&pi->vals, xstrndup(eq + 1, (size_t)(nl - eq - 1)));
		}
		p = nl + 1;
	}
	pi->major = atoi(pyinfo_get(pi, "version_major"));
	pi->minor = atoi(pyinfo_get(pi, "version_minor"));
	pi->micro = atoi(pyinfo_get(pi, "version_micro"));
	if (pi->major == 0)
		return err_set("interpreter facts lack the Python version");
	return 0;
}

const char *
pyinfo_get(const struct pyinfo *pi, const char *key)
{
	size_t	i;

	for (i = 0; i < pi->keys.n; i++)
		if (strcmp(pi->keys.v[i], key) == 0)
			return pi->vals.v[i];
	return "";
}

void
pyinfo_free(struct pyinfo *pi)
{
	strv_free(&pi->keys);
	strv_free(&pi->vals);
}
