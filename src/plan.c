/*
 * plan.c: turns the command line into a plan.  Every check that needs no
 * archive data happens here, before any process is forked: the filename
 * grammar, tag compatibility, duplicate distributions, the file being a
 * readable regular file; then each wheel is compared with what is
 * installed (same version: unchanged unless --reinstall; another version:
 * replaced in the same transaction).
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "plan.h"
#include "target.h"
#include "util.h"
#include "version.h"

int
plan_install(struct plan *p, const struct target *t, char *const *paths,
    size_t n, int reinstall)
{
	struct stat	 st;
	size_t		 i, j;
	int		 bad = 0;

	memset(p, 0, sizeof(*p));
	installed_scan(t, &p->installed);
	p->add = xcalloc(n, sizeof(*p->add));
	for (i = 0; i < n; i++) {
		struct plan_wheel	*w = &p->add[p->nadd];
		const char		*base = path_base(paths[i]);

		if (wheel_name_parse(base, &w->fn) != 0) {
			error_msg("%s: %s", base, err_get());
			bad = 1;
			continue;
		}
		if (stat(paths[i], &st) != 0 || !S_ISREG(st.st_mode)) {
			if (access(paths[i], F_OK) != 0)
				error_msg("%s: %s", paths[i], strerror(errno));
			else
				error_msg("%s: not a regular file", paths[i]);
			wheel_name_free(&w->fn);
			bad = 1;
			continue;
		}
		if (tags_rank(&t->tags, &w->fn) < 0) {
			error_msg("%s: not compatible with %s", base, t->tag_str);
			wheel_name_free(&w->fn);
			bad = 1;
			continue;
		}
		for (j = 0; j < p->nadd; j++) {
			if (strcmp(p->add[j].fn.norm, w->fn.norm) == 0) {
				error_msg("%s: %s is also given as %s: one version per "
				    "distribution", base, w->fn.name, p->add[j].base);
				bad = 1;
			}
		}
		w->path = xstrdup(paths[i]);
		w->base = path_base(w->path);
		w->size = (uint64_t)st.st_size;
		w->requested = 1;
		w->direct_url = 1;
		w->old = installed_find(&p->installed, w->fn.norm);
		if (w->old != NULL && !reinstall &&
		    version_strcmp(w->old->version, w->fn.version) == 0) {
			strv_push_owned(&p->unchanged, xasprintf("%s %s", w->old->name,
			    w->old->version));
			free(w->path);
			wheel_name_free(&w->fn);
			memset(w, 0, sizeof(*w));
			continue;
		}
		p->nadd++;
	}
	return bad ? -1 : 0;
}

void
plan_free(struct plan *p)
{
	size_t	i;

	for (i = 0; i < p->nadd; i++) {
		free(p->add[i].path);
		wheel_name_free(&p->add[i].fn);
	}
	free(p->add);
	free(p->remove);
	strv_free(&p->unchanged);
	distlist_free(&p->installed);
	memset(p, 0, sizeof(*p));
}
