/*
 * fsutil.h: file system helpers every layer uses: exact reads and writes
 * that retry EINTR and short transfers (the only loops on short I/O in
 * forklift), path joins and relative paths, mkdir -p, recursive removal
 * that never follows a symlink, directory listings, whole-file reads and
 * atomic writes.
 */
#ifndef FORKLIFT_FSUTIL_H
#define FORKLIFT_FSUTIL_H

#include <signal.h>

#include <sys/types.h>
#include <stddef.h>

/* Write exactly n bytes; 0 or -1 (errno set). */
int	 write_all(int, const void *, size_t);
/* Read up to n bytes, stopping early only at EOF; returns bytes read or -1. */
ssize_t	 read_all(int, void *, size_t);

/* "a" + "b" -> "a/b" (no doubled slash). */
char	*path_join(const char *, const char *);
/* Absolute, lexically normalized (".", "..", "//" folded); symlinks kept. */
char	*path_abs(const char *);
/* The path of "to" relative to directory "from" (both absolute, normalized):
 * ("/v/lib/site", "/v/bin/x") -> "../../bin/x". */
char	*path_relative(const char *from, const char *to);
/* path_relative(from, dir + "/" + rest) for many rests below one dir
 * (each a relative path): path_rel_init() works out once what all of
 * them share, path_rel_add() appends one's to b.  from and dir must
 * outlive r. */
struct buf;
struct path_rel {
	const char	*from;
	const char	*dir;
	char		*prefix;	/* from dir to from, "/" ended; or "" */
	size_t		 prefix_len;
	const char	*stop;		/* dir holds from: from's component
					   below dir, else NULL */
	size_t		 stop_len;
};
void	 path_rel_init(struct path_rel *, const char *from, const char *dir);
void	 path_rel_add(const struct path_rel *, struct buf *b, const char *rest);
void	 path_rel_free(struct path_rel *);
/* Last component (points into the argument). */
const char *path_base(const char *);
/* Is path (absolute, normalized) dir or inside dir?  Component-wise. */
int	 path_inside(const char *path, const char *dir);

/* mkdir -p; 0 or -1 with err_set(). */
int	 mkdir_p(const char *, mode_t);
/* Remove a file or a tree without following symlinks; ENOENT is success.
 * 0 or -1 with err_set(). */
int	 rm_rf(const char *);
int	 rm_rf_at(int dirfd, const char *name);
/* rm_rf() that gives up, leaving the rest, once *stop becomes nonzero
 * (for removals a user may interrupt, never for a rollback). */
int	 rm_rf_until(const char *, volatile sig_atomic_t *stop);

/* Append the names in dir but ".", ".." and skip (NULL: none) to out, in
 * the order readdir(3) gives them.  0, or -1 with err_set() if dir cannot
 * be opened. */
struct strv;
int	 dir_names(const char *dir, const char *skip, struct strv *out);

/* Call fn(arg, name, type) for each entry of the directory path
 * (relative to dirfd) but "." and "..", in the order getdents64(2) gives
 * them, type as it gives it (DT_UNKNOWN where the file system does not
 * say), until fn returns nonzero.  Reads the directory itself, without
 * the fstat(2) opendir(3) adds.  0, 1 when fn stopped it, or -1 with
 * errno set if path cannot be opened or read. */
int	 dir_each(int dirfd, const char *path,
	    int (*fn)(void *, const char *, unsigned char), void *arg);

/* Read a whole file (at most max bytes, else error). NUL-terminated. */
int	 read_file(const char *, size_t max, char **out, size_t *len);
/* Write via a temporary file in the same directory and rename(2). */
int	 write_file_atomic(const char *, const void *, size_t, mode_t);

/* The process umask, read once. */
mode_t	 current_umask(void);

#endif
