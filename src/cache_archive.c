/*
 * cache_archive.c: the archive cache and the page cache's directory
 * (cache_archive.h has the layout).  Files are published like unpacked
 * entries: built in tmp/, renamed in once verified, removed by renaming
 * them back into tmp/ first (cache_admin.c prunes them).
 *
 * It trusts its caller (fetch_xfer.c) to have checked a file's sha256
 * before publishing it under that hash; it checks only that the hash is
 * 64 hex digits and that the name cannot leave its directory.  It never
 * talks to the network.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache_archive.h"
#include "fsutil.h"
#include "util.h"

static int
is_sha256_hex(const char *s)
{
	size_t	i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static int
is_plain_name(const char *s)
{
	return *s && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0;
}

static char *
archive_dir(const char *cache_dir, const char *sha)
{
	return xasprintf("%s/v1/archives/%.2s/%s", cache_dir, sha, sha);
}

char *
cache_archive_lookup(const char *cache_dir, const char *sha256_hex,
    const char *filename)
{
	struct stat	 st;
	char		*dir, *p;

	if (!is_sha256_hex(sha256_hex) || !is_plain_name(filename))
		return NULL;
	dir = archive_dir(cache_dir, sha256_hex);
	p = path_join(dir, filename);
	if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(dir);
		free(p);
		return NULL;
	}
	utimensat(AT_FDCWD, dir, NULL, 0);	/* last use, for prune */
	free(dir);
	return p;
}

int
cache_archive_tmp(const char *cache_dir, char **path)
{
	char	*tmpdir = xasprintf("%s/v1/tmp", cache_dir);
	int	 fd;

	if (mkdir_p(tmpdir, 0755) != 0) {
		free(tmpdir);
		return -1;
	}
	*path = xasprintf("%s/dl-XXXXXX", tmpdir);
	free(tmpdir);
	if ((fd = mkostemp(*path, O_CLOEXEC)) < 0) {
		err_set("cannot create a file in the cache '%s': %s", cache_dir,
		    strerror(errno));
		free(*path);
		*path = NULL;
		return -1;
	}
	fchmod(fd, 0644);
	return fd;
}

int
cache_archive_publish(const char *cache_dir, const char *tmp,
    const char *sha256_hex, const char *filename, char **final)
{
	char	*dir;

	*final = NULL;
	if (!is_sha256_hex(sha256_hex) || !is_plain_name(filename))
		return err_set("'%s' cannot be stored in the cache", filename);
	dir = archive_dir(cache_dir, sha256_hex);
	if (mkdir_p(dir, 0755) != 0) {
		free(dir);
		return -1;
	}
	*final = path_join(dir, filename);
	free(dir);
	/* The same name and hash from another process is the same file:
	 * replacing it is harmless. */
	if (rename(tmp, *final) != 0) {
		err_set("cannot publish '%s': %s", *final, strerror(errno));
		free(*final);
		*final = NULL;
		return -1;
	}
	return 0;
}

char *
cache_page_path(const char *cache_dir, const char *key_hex)
{
	char	*dir = xasprintf("%s/v1/pages", cache_dir), *p;

	if (mkdir_p(dir, 0755) != 0) {
		free(dir);
		return NULL;
	}
	p = path_join(dir, key_hex);
	free(dir);
	return p;
}
