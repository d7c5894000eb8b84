/*
 * wheel_int.h: what wheel.c, wheel_cd.c and wheel_source.c ask of each
 * other.  Not an interface:
 * nothing but the wheel files includes it.
 */
#ifndef FORKLIFT_WHEEL_INT_H
#define FORKLIFT_WHEEL_INT_H

#include <stdint.h>
#include <zip.h>

#include "wheel.h"

/* Read w's file: into the heap (below 64 KiB), as a private mapping, or
 * (above 64 MiB) through a window refilled with pread.  0, or -1 with
 * *code set to a libzip error code. */
int	 wheel_source_load(struct wheel *w, int *code);
/* libzip's archive over what wheel_source_load() read (loading it first);
 * NULL with *code set to libzip's error code. */
zip_t	*wheel_source_open(struct wheel *w, int flags, int *code);
/* n (at most 256 KiB) bytes of the file at off, read where libzip reads
 * next; valid until libzip reads again.  NULL: not in the file. */
const unsigned char *wheel_source_at(struct wheel *w, uint64_t off, size_t n);
/* Copy n bytes of the file at off into buf: 0, or -1 with errno set. */
int	 wheel_source_copy(struct wheel *w, void *buf, size_t n, uint64_t off);
/* Release what wheel_source_open read the file into (w->map). */
void	 wheel_source_close(struct wheel *w);

static inline uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static inline uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* One central directory entry: as the file spells it (cd_entry()), or
 * as libzip gives it (scan_member()). */
struct cd_ent {
	const unsigned char *name;
	size_t		 nl;
	size_t		 len;		/* of the whole entry */
	uint16_t	 version, flags, method;	/* version needed */
	uint32_t	 dostime, crc, attr;
	uint64_t	 size, csize, lh;
	int		 encrypted;
};

/* Member i, named name, from e: the checks every member passes (wheel.c).
 * 0, or -1 with err_set(). */
int	 wheel_member_fill(struct wheel *w, size_t i, const char *name,
	    const struct cd_ent *e, uint64_t max);

/* The central directory read without libzip: 0, 1 where it is unusual
 * (libzip is to open the archive), or -1 with err_set(). */
int	 wheel_cd_read(struct wheel *w, const struct wheel_open_opts *o,
	    uint64_t max);
/* After libzip read it: where each member's local header is; 0, 1 when
 * libzip may have read another directory, or -1 with err_set(). */
int	 wheel_cd_index(struct wheel *w);
/* err_set(): the directory reads differently two ways; -1. */
int	 wheel_cd_disagrees(void);

#endif
