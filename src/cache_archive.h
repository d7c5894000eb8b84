/*
 * cache_archive.h: the archive cache (filled by fetch.c): downloaded
 * files by their sha256, and index pages with their validators
 * (pagecache.h has their format).
 *
 *   <cache>/v1/archives/<sha256[0:2]>/<sha256>/<filename>
 *   <cache>/v1/pages/<sha256 of url and accept header>
 *   <cache>/v1/tmp/                    downloads under way
 *
 * A download is written to a file in tmp/ and renamed in only after its
 * hash checked out, so an archive under archives/ is always whole and
 * verified; a lookup needs no network.
 */
#ifndef FORKLIFT_CACHE_ARCHIVE_H
#define FORKLIFT_CACHE_ARCHIVE_H

/* The cached file's path, or NULL when absent (or the name is unsafe). */
char	*cache_archive_lookup(const char *cache_dir, const char *sha256_hex,
	    const char *filename);
/* A new empty file under tmp/ for a download: its descriptor, and *path. */
int	 cache_archive_tmp(const char *cache_dir, char **path);
/* Rename a verified download in; *final gets the path.  0 or -1. */
int	 cache_archive_publish(const char *cache_dir, const char *tmp,
	    const char *sha256_hex, const char *filename, char **final);
/* Path of the stored page for a key (hex), and its directory made. */
char	*cache_page_path(const char *cache_dir, const char *key_hex);

#endif
