/*
 * installkit.h: what the unit tests of the install path share on top of
 * testkit.h (kit_tmp is each case's directory): wheels built at test time
 * by tests/mkwheel.py (found through $SRCDIR, which Makefile.am sets; run
 * with python3, standard library only), and a fake target: a CPython 3.11
 * glibc 2.36 x86_64 scheme under a directory, with its tags computed from
 * those facts, so that plan, stage and engine run without any interpreter.
 * Header-only: each check program includes it once.
 */
#ifndef FL_INSTALLKIT_H
#define FL_INSTALLKIT_H

#include <sys/stat.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "tags.h"
#include "target.h"
#include "util.h"
#include "testkit.h"

static int	 kit_seq;	/* numbers the wheel output directories */
static char	*kit_python;	/* python3's sys.executable (kit_can_mkwheel) */

/* Does tests/mkwheel.py run here?  (python3 and $SRCDIR)  Resolves
 * python3 to the real interpreter once (sys.executable): a version
 * manager's shim on PATH can cost seconds per start. */
static KIT_UNUSED int
kit_can_mkwheel(void)
{
	const char	*src = getenv("SRCDIR");
	char		*cmd, line[4096];
	FILE		*f;
	size_t		 n;
	int		 ok;

	if (src == NULL)
		return 0;
	cmd = xasprintf("test -f '%s/tests/mkwheel.py' && "
	    "python3 -c 'import sys; print(sys.executable)' 2>/dev/null", src);
	f = popen(cmd, "r");
	free(cmd);
	if (f == NULL)
		return 0;
	ok = fgets(line, sizeof(line), f) != NULL;
	if (pclose(f) != 0 || !ok)
		return 0;
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n == 0 || strchr(line, '\'') != NULL)
		return 0;
	kit_python = xstrdup(line);
	return 1;
}

/* Build the wheel a mkwheel spec (JSON, no single quotes) describes into a
 * directory of its own; its path (caller frees), or NULL. */
static KIT_UNUSED char *
kit_wheel(const char *spec)
{
	char	*out, *cmd, line[4096];
	FILE	*f;
	size_t	 n;

	out = kit_path("w%d", kit_seq++);
	cmd = xasprintf("'%s' '%s/tests/mkwheel.py' -o '%s' '%s'",
	    kit_python, getenv("SRCDIR"), out, spec);
	free(out);
	if ((f = popen(cmd, "r")) == NULL) {
		free(cmd);
		return NULL;
	}
	free(cmd);
	if (fgets(line, sizeof(line), f) == NULL) {
		pclose(f);
		return NULL;
	}
	if (pclose(f) != 0)
		return NULL;
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return xstrdup(line);
}

#define KIT_FACTS \
	"implementation_name=cpython\nimplementation_version=3.11.7\n" \
	"python_version=3.11\npython_full_version=3.11.7\n" \
	"version_major=3\nversion_minor=11\nversion_micro=7\n" \
	"py_version_nodot=311\nabiflags=\nsoabi=cpython-311-x86_64-linux-gnu\n" \
	"ext_suffix=.cpython-311-x86_64-linux-gnu.so\nplatform=linux-x86_64\n" \
	"libc=glibc\nlibc_version=2.36\npointer_bits=64\n" \
	"sys_platform=linux\nos_name=posix\nplatform_machine=x86_64\n" \
	"platform_system=Linux\nplatform_python_implementation=CPython\n"

/* A venv-shaped target at root (made here), from fixed facts. */
static KIT_UNUSED void
kit_target(struct target *t, const char *root)
{
	memset(t, 0, sizeof(*t));
	t->lock_fd = -1;
	t->kind = TARGET_VENV;
	t->root = xstrdup(root);
	t->python = path_join(root, "bin/python");
	t->purelib = path_join(root, "lib/python3.11/site-packages");
	t->platlib = xstrdup(t->purelib);
	t->scripts = path_join(root, "bin");
	t->data = xstrdup(root);
	t->include = path_join(root, "include/site/python3.11");
	if (mkdir_p(t->purelib, 0755) != 0 || mkdir_p(t->scripts, 0755) != 0 ||
	    pyinfo_parse(KIT_FACTS, strlen(KIT_FACTS), &t->info) != 0 ||
	    tags_compute(&t->info, &t->tags) != 0) {
		fprintf(stderr, "kit_target: %s\n", err_get());
		abort();
	}
	t->tag_str = xasprintf("%s-%s-%s", t->tags.v[0].py, t->tags.v[0].abi,
	    t->tags.v[0].plat);
}

static struct target	 T;	/* the fixture's fake target */

/* The fixture of most cases: a fresh directory with a fake target in it. */
static KIT_UNUSED void
kit_setup(void)
{
	char	*root;

	kit_tmp_setup();
	root = kit_path("venv");
	kit_target(&T, root);
	free(root);
}

static KIT_UNUSED void
kit_teardown(void)
{
	target_close(&T);
	kit_tmp_teardown();
}

#endif
