/*
 * testkit.h: what the unit tests of the install path share: a private
 * temporary directory (removed by kit_done()), wheels built at test time
 * by tests/mkwheel.py (found through $SRCDIR, which Makefile.am sets; run
 * with python3, standard library only), and a fake target: a CPython 3.11
 * glibc 2.36 x86_64 scheme under a directory, with its tags computed from
 * those facts, so that plan, stage and engine run without any interpreter.
 * Header-only: each check program includes it once.
 */
#ifndef FL_TESTKIT_H
#define FL_TESTKIT_H

#include <sys/stat.h>
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "tags.h"
#include "target.h"
#include "util.h"

static char	*kit_dir;	/* the private temporary directory */
static int	 kit_seq;	/* numbers the wheel output directories */
static char	*kit_python;	/* python3's sys.executable (kit_can_mkwheel) */

static void
kit_init(void)
{
	const char	*t = getenv("TMPDIR");
	char		*tmpl;

	tmpl = xasprintf("%s/forklift-unit.XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(tmpl) == NULL) {
		perror(tmpl);
		exit(99);
	}
	kit_dir = tmpl;
}

static void
kit_done(void)
{
	char	*cmd;

	if (kit_dir == NULL)
		return;
	cmd = xasprintf("chmod -R u+rwx '%s' 2>/dev/null", kit_dir);
	if (system(cmd) != 0 || rm_rf(kit_dir) != 0)
		fprintf(stderr, "cannot remove %s\n", kit_dir);
	free(cmd);
	free(kit_dir);
	kit_dir = NULL;
}

/* A path under the temporary directory (caller frees). */
static char *
kit_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *
kit_path(const char *fmt, ...)
{
	va_list	 ap;
	char	*rel, *p;

	va_start(ap, fmt);
	if (vasprintf(&rel, fmt, ap) < 0)
		abort();
	va_end(ap);
	p = path_join(kit_dir, rel);
	free(rel);
	return p;
}

static __attribute__((unused)) void
kit_write(const char *path, const char *text)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* Does tests/mkwheel.py run here?  (python3 and $SRCDIR)  Resolves
 * python3 to the real interpreter once (sys.executable): a version
 * manager's shim on PATH can cost seconds per start. */
static __attribute__((unused)) int
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
static __attribute__((unused)) char *
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

/* Run the suite; the exit status for main(). */
static __attribute__((unused)) int
kit_run(Suite *s)
{
	SRunner	*sr;
	int	 nf;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
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
static __attribute__((unused)) void
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
static __attribute__((unused)) void
kit_setup(void)
{
	char	*root;

	kit_init();
	root = kit_path("venv");
	kit_target(&T, root);
	free(root);
}

static __attribute__((unused)) void
kit_teardown(void)
{
	target_close(&T);
	kit_done();
}

#endif
