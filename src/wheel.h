/*
 * wheel.h: opening a wheel archive (its central directory read by
 * wheel.c, or by libzip where it is unusual) and checking everything
 * that can be checked without inflating member data: the filename, the
 * central directory (methods, sizes against --max-unpacked-size, member
 * names, duplicates, file-versus-directory clashes), the one top-level
 * .dist-info directory, WHEEL, and that RECORD lists every member.  It
 * reads RECORD, WHEEL, METADATA and entry_points.txt into memory.
 * Streaming member data (inflate, hash, write) is unpack.c's job.
 */
#ifndef FORKLIFT_WHEEL_H
#define FORKLIFT_WHEEL_H

#include <stddef.h>
#include <stdint.h>
#include <zip.h>

#include "record.h"
#include "tags.h"

struct wheel_member {
	const char	*name;		/* validated UTF-8 relative path (libzip's,
					 * or in wheel.names) */
	zip_uint64_t	 index;		/* libzip index */
	uint64_t	 size;		/* uncompressed size (central directory) */
	uint64_t	 csize;		/* compressed size */
	uint32_t	 crc;
	uint16_t	 method;	/* ZIP_CM_STORE or ZIP_CM_DEFLATE */
	uint16_t	 flags;		/* general purpose flags (central directory) */
	uint16_t	 version;	/* version needed to extract (same) */
	uint32_t	 dostime;	/* DOS time and date (central directory) */
	uint64_t	 lh_off;	/* its local header's offset in the file */
	uint64_t	 lh_end;	/* the next local header's, or the central
					 * directory's: its data must end there */
	int		 is_dir;	/* name ends in '/' */
	int		 is_symlink;	/* Unix mode says symlink: written as a plain file */
	int		 exec;		/* Unix mode: regular file with an execute bit */
	int		 skip;		/* __pycache__ member: not installed (warned once) */
	struct record_row *row;		/* its RECORD row; NULL for RECORD, .jws, .p7s,
					 * dirs, skipped members, and (only when
					 * record_ok == 0) members RECORD lacks */
};

struct wheel_info {			/* the WHEEL file */
	int	 version_major;
	int	 version_minor;
	int	 root_is_purelib;
};

struct wheel {
	char		*path;		/* as given */
	const char	*base;		/* basename of path (points into path) */
	struct wheel_name fn;
	zip_t		*za;		/* NULL until a member needs libzip */
	char		*names;		/* the members' names, when libzip did
					 * not read the central directory */
	int		 fd;		/* wheel_open_opts.fd, or -1: by path */
	void		*map;		/* the file, mapped read-only */
	size_t		 map_len;
	int		 map_heap;	/* map is a heap copy, not a mapping */
	void		*win;		/* or the window it is read through */
	uint64_t	 size;		/* of the file */
	int		 local_checked;	/* libzip compared every local header */
	int		 part_only;	/* wheel_open_opts.part_only */
	struct wheel_member *m;
	size_t		 n;
	uint64_t	 total_size;	/* sum of uncompressed sizes */
	char		*distinfo;	/* "six-1.16.0.dist-info" as spelled in the archive */
	char		*datadir;	/* "six-1.16.0.data" (same spelling) */
	struct wheel_info info;
	struct record	 record;	/* the archive's RECORD (rows only: their
					 * paths are freed once matched) */
	int		 record_ok;	/* RECORD parsed and covers every member */
	int		 record_scanned; /* wheel_open_opts.scan_record: rows are
					 * matched by wheel_rows() */
	char		*metadata;	/* METADATA text, NUL-terminated */
	size_t		 metadata_len;
	char		*entry_points;	/* entry_points.txt or NULL */
	size_t		 entry_points_len;
};

/* Limits on what an archive may hold. */
#define WHEEL_MAX_MEMBERS	1000000	/* default of --max-members */
#define WHEEL_MAX_DEPTH		256	/* path components of a member name */

struct wheel_open_opts {
	uint64_t max_unpacked;		/* reject when members add up to more (0: no limit) */
	int	 verify_record;		/* 0: RECORD problems are one warning */
	uint64_t max_members;		/* 0: WHEEL_MAX_MEMBERS */
	int	 use_fd;		/* read the archive through fd (mmap or */
	int	 fd;			/* a dup), never by its path */
	/* A split wheel's parts other than part 0: duplicates and clashes
	 * between names, and the names themselves, are part 0's to check
	 * (the wheel commits only when every part succeeded); a part
	 * checks the name of each member it meets (wheel_names()). */
	int	 part_only;
	/* With verify_record, they also leave RECORD's rows unparsed and
	 * unmatched until wheel_rows() asks for them. */
	int	 scan_record;
};

/* Open and check.  Returns 0, or -1 with err_set() holding a detail that
 * names the member or field (the caller adds the wheel's name); on failure
 * everything is released already (wheel_close() is then harmless).  Warnings
 * (old Wheel-Version, --no-verify-record mismatches, skipped __pycache__)
 * go through warn_msg() prefixed with the wheel's name. */
int	 wheel_open(struct wheel *, const char *path, const struct wheel_open_opts *);
void	 wheel_close(struct wheel *);

/* After wheel_open() with scan_record: match members lo..hi-1 with
 * their RECORD rows, checked as wheel_open() checks them.  On a problem
 * the whole RECORD is checked, to fail with what wheel_open() would have
 * said.  0 (a no-op without scan_record), or -1 with err_set(). */
int	 wheel_rows(struct wheel *, size_t lo, size_t hi);

/* Does m's local header agree with the central directory (name, method,
 * encryption and data descriptor flags, time, CRC and sizes unless a data
 * descriptor holds them), and do its data end before the next local
 * header?  wheel_open() checks only the members it reads: the caller
 * checks every other member before it writes anything of it, and before
 * the wheel succeeds.  0, or -1 with err_set() naming the member. */
int	 wheel_member_check(struct wheel *, const struct wheel_member *);

/* Where m's compressed bytes are, once wheel_member_check() passed: 1
 * with *p pointing into the mapped wheel, or (buf not NULL) to buf
 * holding them (m->csize bytes); 0 when only libzip knows (the archive
 * was opened with its whole-archive check, or it is read through a
 * window and buf is NULL); -1 with err_set(). */
int	 wheel_member_raw(struct wheel *, const struct wheel_member *,
	    unsigned char *buf, const unsigned char **p);

/* The same for n bytes of them from pos (within m->csize). */
int	 wheel_member_at(struct wheel *, const struct wheel_member *,
	    uint64_t pos, size_t n, unsigned char *buf, const unsigned char **p);

/* libzip's archive, opened on first use (a member of an archive libzip
 * opened with its whole-archive check), having checked that it sees m as wheel_open() did; NULL
 * with err_set(). */
zip_t	*wheel_zip(struct wheel *, const struct wheel_member *);

/* After wheel_open() with part_only: check the names of members lo..hi-1
 * (member_name_check()).  0, or -1 with err_set(). */
int	 wheel_names(const struct wheel *, size_t lo, size_t hi);

/* Read a whole member (at most max bytes; more is an error), checking size
 * and CRC.  *out is NUL-terminated and owned by the caller. */
int	 wheel_read_member(struct wheel *, const struct wheel_member *,
	    size_t max, char **out, size_t *outlen);

/* Parse WHEEL text.  Rejects a missing or unparsable Wheel-Version and
 * major >= 2; warns (through warn_msg with the given label) for 0.x and
 * minor > 0 of major 1. */
int	 wheel_info_parse(const char *, size_t, const char *label, struct wheel_info *);

/* The first value of an RFC 822 header field in METADATA (case-insensitive
 * name, headers end at the first blank line, continuation lines joined).
 * NULL when absent.  Caller frees. */
char	*metadata_field(const char *, size_t, const char *field);

/* Check a member name: UTF-8, relative, no empty, "." or ".." component,
 * no backslash, no NUL or control character.  A trailing '/' (directory)
 * is allowed.  Returns 0 or -1 with err_set() saying what is wrong. */
int	 member_name_check(const char *);

#endif
