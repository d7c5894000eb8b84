/*
 * curlfn.c: loads libcurl on first use (see curlfn.h for why).  It only
 * resolves the functions fetch.c calls; it never calls one itself.
 */
#include "config.h"

#include <dlfcn.h>
#include <string.h>

#include "curlfn.h"
#include "util.h"

struct curlfn curlfn;

#define SYM(field, name)	{ #name, offsetof(struct curlfn, field) }

static const struct {
	const char	*name;
	size_t		 off;
} syms[] = {
	SYM(global_init, curl_global_init),
	SYM(easy_init, curl_easy_init),
	SYM(easy_cleanup, curl_easy_cleanup),
	SYM(easy_setopt, curl_easy_setopt),
	SYM(easy_getinfo, curl_easy_getinfo),
	SYM(easy_strerror, curl_easy_strerror),
	SYM(slist_append, curl_slist_append),
	SYM(slist_free_all, curl_slist_free_all),
	SYM(multi_init, curl_multi_init),
	SYM(multi_cleanup, curl_multi_cleanup),
	SYM(multi_setopt, curl_multi_setopt),
	SYM(multi_add_handle, curl_multi_add_handle),
	SYM(multi_remove_handle, curl_multi_remove_handle),
	SYM(multi_perform, curl_multi_perform),
	SYM(multi_poll, curl_multi_poll),
	SYM(multi_info_read, curl_multi_info_read),
	SYM(share_init, curl_share_init),
	SYM(share_cleanup, curl_share_cleanup),
	SYM(share_setopt, curl_share_setopt),
};

int
curlfn_load(void)
{
	static int	 loaded;
	void		*h, *f;
	size_t		 i;

	if (loaded)
		return 0;
	if ((h = dlopen(CURLFN_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return err_set("cannot load libcurl (%s): %s", CURLFN_SONAME,
		    dlerror());
	for (i = 0; i < ARRAY_SIZE(syms); i++) {
		if ((f = dlsym(h, syms[i].name)) == NULL)
			return err_set("libcurl (%s) has no %s", CURLFN_SONAME,
			    syms[i].name);
		memcpy((char *)&curlfn + syms[i].off, &f, sizeof(f));
	}
	loaded = 1;
	return 0;
}
