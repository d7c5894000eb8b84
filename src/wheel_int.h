/*
 * wheel_int.h: what wheel.c asks of wheel_source.c.  Not an interface:
 * nothing but the wheel files includes it.
 */
#ifndef FORKLIFT_WHEEL_INT_H
#define FORKLIFT_WHEEL_INT_H

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

#endif
