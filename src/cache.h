/*
 * cache.h: the content-addressed cache of unpacked wheels.
 *
 *   <cache>/v1/wheels/<key>/MANIFEST   what the tree holds (see below)
 *   <cache>/v1/wheels/<key>/tree/      the verified tree in staging layout
 *   <cache>/v1/tmp/<random>/           entries being built
 *   <cache>/v1/interp/                 interpreter facts (target.c)
 *
 * The key is XXH3-128 of the wheel file's bytes.  An entry is built in
 * tmp/ and renamed into place; when another process won that race, its
 * entry is used.  No lock files: any number of processes, on one machine
 * or several sharing the cache, may fill and read it at once.
 *
 * The manifest lists every file with its sha256, size, mode and mtime, so
 * a warm install hashes nothing but the wheel file itself, and an entry
 * whose files were changed (say, through a hard link from an environment)
 * is noticed and rebuilt.
 *
 * Downloads have their own part of the cache (cache_archive.h); looking
 * after the whole of it (info, prune, clean) is cache_admin.h's.
 */
#ifndef FORKLIFT_CACHE_H
#define FORKLIFT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct manifest_file {
	char		*path;		/* tree-relative: "purelib/pkg/mod.py" */
	unsigned char	 sha256[32];
	const char	*sha256_text;	/* the same as the manifest's text has
					   it (43 digits), or NULL */
	uint64_t	 size;
	uint32_t	 mode;		/* permission bits of the cached file */
	int64_t		 mtime_ns;	/* as written; 0 when not recorded */
	int		 rewrite;	/* a script starting with "#!python" */
	int		 exec;		/* installed executable (0777 & ~umask) */
};

struct manifest {
	char		*distinfo;	/* "six-1.16.0.dist-info" */
	char		*root;		/* "purelib" or "platlib": where dist-info lives */
	char		*name;		/* distribution name (headers/<name>/) */
	char		*requires_python; /* or NULL */
	char		 wheel_sha256[65]; /* hex digest of the wheel file */
	struct strv	 warnings;	/* given when it was unpacked, said again on use */
	struct manifest_file *v;
	size_t		 n;
	size_t		 cap;
	/* manifest_scan()'s: the file's text, where each file's line is in
	 * it (v[i].path is NULL until the line is parsed), its path.  A
	 * parsed line's path points into the text, which is freed with the
	 * manifest. */
	char		*text;
	size_t		 text_len;
	size_t		*off;
	char		*src;
};

struct manifest_file *manifest_add(struct manifest *, const char *path);
void	 manifest_free(struct manifest *);
int	 manifest_write(const struct manifest *, const char *path);
int	 manifest_read(const char *path, struct manifest *);
/* The np manifests at paths as one: the first's header, every file in
 * order, each warning once (a split wheel's chunks). */
int	 manifest_read_all(char *const *paths, size_t np, struct manifest *);
/* For a reader of a few of its files (a part of a split wheel): read the
 * manifest, its files' lines found but not parsed; manifest_fill()
 * parses those of v[lo..hi-1] not parsed yet (0, or -1 with err_set()
 * saying the manifest is damaged).  manifest_done() drops what only
 * parsing needs once every line is parsed (manifest_free() does too). */
int	 manifest_scan(const char *path, struct manifest *);
int	 manifest_fill(struct manifest *, size_t lo, size_t hi);
void	 manifest_done(struct manifest *);

/* XXH3-128 of a file as 32 hex digits (unless key is NULL), and its
 * sha256 (hex) in the same pass when sha256_hex is not NULL. */
int	 cache_key(const char *path, char key[33], char *sha256_hex);
/* The same from an open descriptor (read with pread, not closed). */
int	 cache_key_fd(int fd, char key[33], char *sha256_hex);

/* Path of an entry directory. */
char	*cache_entry(const char *cache_dir, const char *key);
/* Look an entry up: 0 and its manifest when present and complete, -1 when
 * absent (err_get() says why when it is broken rather than missing). */
int	 cache_lookup(const char *cache_dir, const char *key, struct manifest *);
/* The same, the manifest scanned (manifest_scan()). */
int	 cache_scan(const char *cache_dir, const char *key, struct manifest *);
/* A new empty directory under tmp/ for building an entry (tree/ inside). */
char	*cache_tmp(const char *cache_dir);
/* Move a built entry into place; a lost race removes ours.  0 or -1. */
int	 cache_publish(const char *cache_dir, const char *tmp, const char *key);
/* Move an entry out of the way and delete it (stale, or on request). */
int	 cache_discard(const char *cache_dir, const char *key);
/* Rename a path in the cache into tmp/ (so nobody sees it half removed),
 * then delete it.  0 (also when it is gone already), or -1. */
int	 cache_discard_path(const char *cache_dir, const char *path);
/* Record that an entry was used (for prune). */
void	 cache_touch(const char *cache_dir, const char *key);

/* How cached files reach a staging tree. */
enum link_mode { LINK_AUTO, LINK_REFLINK, LINK_HARDLINK, LINK_COPY };
const char *link_mode_name(enum link_mode);
/* "auto", "reflink", "hardlink", "copy" -> the mode; -1 if none of them. */
int	 link_mode_parse(const char *);
/* Decide, for auto, what works from the cache to the staging directory:
 * reflink, else hardlink, else copy.  Returns 0; -1 when the cache cannot
 * be used at all; -2 when an explicit mode does not work (err_set). */
int	 link_probe(const char *cache_dir, const char *stage_dir, enum link_mode want,
	    enum link_mode *got);
/* Make dst (relative to dst_dirfd, created O_EXCL) the same file as src
 * (relative to src_dirfd) by the given mode.  0 or -1 (errno kept). */
int	 link_file(int src_dirfd, const char *src, int dst_dirfd, const char *dst,
	    enum link_mode, uint32_t mode);

#endif
