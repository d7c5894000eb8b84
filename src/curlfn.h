/*
 * curlfn.h: libcurl, loaded when the first download is about to start
 * (dlopen of its soname), not when forklift starts.  libcurl brings in some
 * thirty shared libraries (TLS, HTTP/2, IDN, Kerberos, LDAP, ...); mapping
 * and relocating them took about 14 ms of every forklift run here, most of
 * the time of a no-op sync or a 'list'.  Only the fetch files include
 * this file (through fetch_int.h): it names each libcurl function forklift
 * calls, and the macros below send their calls through the table that
 * curlfn_load() fills.
 */
#ifndef FORKLIFT_CURLFN_H
#define FORKLIFT_CURLFN_H

#define CURL_DISABLE_TYPECHECK 1	/* the checks are macros over the names */
#include <curl/curl.h>

#define CURLFN_SONAME	"libcurl.so.4"

struct curlfn {
	CURLcode	(*global_init)(long);
	CURL		*(*easy_init)(void);
	void		(*easy_cleanup)(CURL *);
	CURLcode	(*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	(*easy_getinfo)(CURL *, CURLINFO, ...);
	const char	*(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void		(*slist_free_all)(struct curl_slist *);
	CURLM		*(*multi_init)(void);
	CURLMcode	(*multi_cleanup)(CURLM *);
	CURLMcode	(*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode	(*multi_add_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_perform)(CURLM *, int *);
	CURLMcode	(*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int,
			    int, int *);
	CURLMsg		*(*multi_info_read)(CURLM *, int *);
	CURLSH		*(*share_init)(void);
	CURLSHcode	(*share_cleanup)(CURLSH *);
	CURLSHcode	(*share_setopt)(CURLSH *, CURLSHoption, ...);
};

extern struct curlfn curlfn;

/* Load libcurl once; 0, or -1 after err_set() naming the library. */
int	 curlfn_load(void);

#define curl_global_init	(*curlfn.global_init)
#define curl_easy_init		(*curlfn.easy_init)
#define curl_easy_cleanup	(*curlfn.easy_cleanup)
#undef curl_easy_setopt	/* curl.h makes these four macros */
#undef curl_easy_getinfo
#undef curl_multi_setopt
#undef curl_share_setopt
#define curl_easy_setopt	(*curlfn.easy_setopt)
#define curl_easy_getinfo	(*curlfn.easy_getinfo)
#define curl_easy_strerror	(*curlfn.easy_strerror)
#define curl_slist_append	(*curlfn.slist_append)
#define curl_slist_free_all	(*curlfn.slist_free_all)
#define curl_multi_init		(*curlfn.multi_init)
#define curl_multi_cleanup	(*curlfn.multi_cleanup)
#define curl_multi_setopt	(*curlfn.multi_setopt)
#define curl_multi_add_handle	(*curlfn.multi_add_handle)
#define curl_multi_remove_handle (*curlfn.multi_remove_handle)
#define curl_multi_perform	(*curlfn.multi_perform)
#define curl_multi_poll		(*curlfn.multi_poll)
#define curl_multi_info_read	(*curlfn.multi_info_read)
#define curl_share_init		(*curlfn.share_init)
#define curl_share_cleanup	(*curlfn.share_cleanup)
#define curl_share_setopt	(*curlfn.share_setopt)

#endif
