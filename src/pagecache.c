/*
 * pagecache.c: index pages stored with their validators (pagecache.h has
 * the format).  A page is written into the cache's tmp/ and renamed into
 * pages/, so a reader sees a whole page or the previous one.  It never
 * talks to the network; fetch.c decides when a stored page may be used.
 */
#include "config.h"

#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache_archive.h"
#include "fsutil.h"
#include "pagecache.h"
#include "record.h"
#include "util.h"

#define PAGE_MAGIC	"forklift-page 1"

char *
page_cache_path(const char *cache_dir, const char *url, const char *accept)
{
	struct hasher	 h;
	unsigned char	 d[32];
	char		 key[65];
	size_t		 i;

	hasher_init(&h, HASH_SHA256);
	hasher_update(&h, url, strlen(url));
	hasher_update(&h, "\n", 1);
	hasher_update(&h, accept, strlen(accept));
	hasher_final(&h, d);
	hasher_free(&h);
	for (i = 0; i < 32; i++)
		snprintf(key + 2 * i, 3, "%02x", d[i]);
	return cache_page_path(cache_dir, key);
}

void
page_copy_free(struct page_copy *pc)
{
	free(pc->text);
	memset(pc, 0, sizeof(*pc));
}

int
page_cache_read(const char *path, struct page_copy *pc)
{
	char	*p, *nl, *tab;
	size_t	 len;

	memset(pc, 0, sizeof(*pc));
	if (read_file(path, PAGE_MAX + 65536, &pc->text, &len) != 0)
		return -1;
	p = pc->text;
	if (strncmp(p, PAGE_MAGIC "\n", sizeof(PAGE_MAGIC)) != 0)
		goto bad;
	p += sizeof(PAGE_MAGIC);
	while ((nl = strchr(p, '\n')) != NULL && nl != p) {
		*nl = '\0';
		if ((tab = strchr(p, '\t')) == NULL)
			goto bad;
		*tab++ = '\0';
		if (strcmp(p, "etag") == 0)
			pc->etag = tab;
		else if (strcmp(p, "last-modified") == 0)
			pc->last_modified = tab;
		else if (strcmp(p, "content-type") == 0)
			pc->content_type = tab;
		else if (strcmp(p, "url") == 0)
			pc->url = tab;
		p = nl + 1;
	}
	if (nl == NULL || pc->url == NULL)
		goto bad;
	pc->body = nl + 1;
	pc->len = len - (size_t)(pc->body - pc->text);
	return 0;
bad:
	page_copy_free(pc);
	return err_set("'%s' is not a stored index page", path);
}

/* A header value as one line: no line breaks may reach the file. */
static void
add_field(struct buf *b, const char *key, const char *v)
{
	if (v == NULL || *v == '\0' || strpbrk(v, "\r\n"))
		return;
	buf_addf(b, "%s\t%s\n", key, v);
}

void
page_cache_write(const char *cache_dir, const char *path, const struct page_copy *pc)
{
	struct buf	 b = BUF_INIT;
	char		*tmp;
	int		 fd;

	if (pc->url == NULL || strpbrk(pc->url, "\r\n"))
		return;
	buf_addf(&b, "%s\n", PAGE_MAGIC);
	add_field(&b, "url", pc->url);
	add_field(&b, "etag", pc->etag);
	add_field(&b, "last-modified", pc->last_modified);
	add_field(&b, "content-type", pc->content_type);
	buf_adds(&b, "\n");
	buf_add(&b, pc->body, pc->len);
	if ((fd = cache_archive_tmp(cache_dir, &tmp)) >= 0) {
		fchmod(fd, 0600);
		if (write_all(fd, b.p, b.len) != 0 || rename(tmp, path) != 0)
			unlink(tmp);
		close(fd);
		free(tmp);
	}
	buf_free(&b);
}
