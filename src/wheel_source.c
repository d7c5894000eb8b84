/*
 * wheel_source.c: where a wheel is read from, by wheel.c and unpack.c
 * (wheel_source_at(), wheel_source_copy()) and, when it is opened, by
 * libzip.  A wheel below 64 KiB is read into the heap with one pread; one
 * up to 64 MiB is mapped read-only (members are read out of memory, no
 * system call per member); a larger one is read through a window
 * refilled with pread, which belongs to the wheel, so seeks never reach
 * the kernel and a part of a split wheel can share its descriptor.  It
 * reads the file only; it never checks what the archive holds (wheel.c
 * does).
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "wheel.h"
#include "wheel_int.h"

/*
 * Open the archive from a read-only mapping of the file: libzip then reads
 * members out of memory, with no lseek/read system calls per member (a
 * large share of the syscalls of an install of many small files).
 */
#define MAP_MAX	((off_t)64 << 20)

/* The archive of src (NULL: its creation failed, ze says why). */
static zip_t *
open_source(zip_source_t *src, zip_error_t *ze, int flags, int *code)
{
	zip_t	*za = NULL;

	if (src == NULL)
		*code = zip_error_code_zip(ze);
	else if ((za = zip_open_from_source(src, flags, ze)) == NULL) {
		*code = zip_error_code_zip(ze);
		zip_source_free(src);
	}
	zip_error_fini(ze);
	return za;
}

/*
 * A file too large to map is read through a window of WIN_SIZE bytes
 * refilled with pread: members come in file order, so one pread serves
 * many members and their local headers, with no lseek at all (a stdio
 * stream cost four system calls a member).  Reads of half a window or
 * more go straight to the caller's buffer.  Memory stays one window.
 */
#define WIN_SIZE	((size_t)256 << 10)

struct window {
	int		 fd;
	uint64_t	 size;		/* of the file */
	uint64_t	 off;		/* where the next read starts */
	unsigned char	*buf;
	uint64_t	 buf_off;	/* file offset of buf[0] */
	size_t		 buf_len;
	zip_error_t	 error;
};

/* Up to n bytes at off into p; fewer only at the end of the file. */
static zip_int64_t
window_pread(struct window *wn, void *p, size_t n, uint64_t off)
{
	size_t	got = 0;
	ssize_t	r;

	while (got < n) {
		r = pread(wn->fd, (char *)p + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			zip_error_set(&wn->error, ZIP_ER_READ, errno);
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (zip_int64_t)got;
}

static zip_int64_t
window_read(struct window *wn, unsigned char *p, zip_uint64_t len)
{
	zip_uint64_t	 n, k, done = 0;
	zip_int64_t	 r;

	n = wn->off >= wn->size ? 0 : wn->size - wn->off;
	if (len < n)
		n = len;
	while (done < n) {
		if (wn->off >= wn->buf_off && wn->off < wn->buf_off + wn->buf_len) {
			k = wn->buf_off + wn->buf_len - wn->off;
			if (k > n - done)
				k = n - done;
			memcpy(p + done, wn->buf + (wn->off - wn->buf_off), (size_t)k);
		} else if (n - done >= WIN_SIZE / 2) {
			if ((r = window_pread(wn, p + done, (size_t)(n - done),
			    wn->off)) < 0)
				return -1;
			k = (zip_uint64_t)r;
		} else {
			if ((r = window_pread(wn, wn->buf, WIN_SIZE, wn->off)) < 0)
				return -1;
			wn->buf_off = wn->off;
			wn->buf_len = (size_t)r;
			continue;
		}
		if (k == 0)
			break;	/* the file shrank */
		done += k;
		wn->off += k;
	}
	return (zip_int64_t)done;
}

static zip_int64_t
window_cb(void *arg, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct window	*wn = arg;
	zip_stat_t	*st;
	zip_int64_t	 off;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		wn->off = 0;
		return 0;
	case ZIP_SOURCE_READ:
		return window_read(wn, data, len);
	case ZIP_SOURCE_CLOSE:
		return 0;
	case ZIP_SOURCE_STAT:
		if (len < sizeof(*st)) {
			zip_error_set(&wn->error, ZIP_ER_INVAL, 0);
			return -1;
		}
		st = data;
		zip_stat_init(st);
		st->size = wn->size;
		st->valid |= ZIP_STAT_SIZE;
		return sizeof(*st);
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&wn->error, data, len);
	case ZIP_SOURCE_FREE:
		return 0;	/* the wheel's: wheel_source_close() */
	case ZIP_SOURCE_SEEK:
		off = zip_source_seek_compute_offset(wn->off, wn->size, data, len,
		    &wn->error);
		if (off < 0)
			return -1;
		wn->off = (uint64_t)off;
		return 0;
	case ZIP_SOURCE_TELL:
		return (zip_int64_t)wn->off;
	case ZIP_SOURCE_SUPPORTS:
		return ZIP_SOURCE_SUPPORTS_SEEKABLE;
	default:
		zip_error_set(&wn->error, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

/* fd (taken over), of size bytes, read through a window. */
static void
open_window(struct wheel *w, int fd, uint64_t size)
{
	struct window	*wn = xcalloc(1, sizeof(*wn));

	wn->fd = fd;
	wn->size = size;
	wn->buf = xmalloc(WIN_SIZE);
	zip_error_init(&wn->error);
	w->win = wn;
	w->size = size;
}

/*
 * A wheel below SMALL_MAX bytes is read with one pread into the heap:
 * mapping it cost six system calls (dup, fstat, mmap, close, madvise,
 * munmap), a large share of the cost of a one-file wheel.  A short read
 * of a regular file is its end; a read that fills the buffer falls back
 * to the mapping.  1 when w->map holds the whole file, 0 when the file
 * is not that small (or not readable so: the mapping path says why).
 */
#define SMALL_MAX	((size_t)64 << 10)

static int
read_small(struct wheel *w, int fd)
{
	unsigned char	*buf = xmalloc(SMALL_MAX);
	ssize_t		 n;

	while ((n = pread(fd, buf, SMALL_MAX, 0)) < 0 && errno == EINTR)
		;
	if (n <= 0 || (size_t)n >= SMALL_MAX) {
		free(buf);
		return 0;
	}
	w->map = buf;
	w->map_len = (size_t)n;
	w->map_heap = 1;
	return 1;
}

/*
 * n bytes at off, from the mapping or the window (refilled there: libzip,
 * reading the member next, finds them in it).  Valid until libzip reads
 * again; NULL when the file is shorter or cannot be read.
 */
const unsigned char *
wheel_source_at(struct wheel *w, uint64_t off, size_t n)
{
	struct window	*wn = w->win;
	zip_int64_t	 r;

	if (off > w->size || n > w->size - off)
		return NULL;
	if (w->map != NULL)
		return (const unsigned char *)w->map + off;
	if (wn == NULL || n > WIN_SIZE)
		return NULL;
	if (off < wn->buf_off || off + n > wn->buf_off + wn->buf_len) {
		if ((r = window_pread(wn, wn->buf, WIN_SIZE, off)) < 0 ||
		    (size_t)r < n)
			return NULL;
		wn->buf_off = off;
		wn->buf_len = (size_t)r;
	}
	return wn->buf + (off - wn->buf_off);
}

int
wheel_source_copy(struct wheel *w, void *buf, size_t n, uint64_t off)
{
	const unsigned char *p;
	zip_int64_t	 r;

	if (off > w->size || n > w->size - off) {
		errno = EIO;
		return -1;
	}
	if (n <= WIN_SIZE / 2 || w->map != NULL) {
		if ((p = wheel_source_at(w, off, n)) == NULL) {
			errno = EIO;
			return -1;
		}
		memcpy(buf, p, n);
		return 0;
	}
	if ((r = window_pread(w->win, buf, n, off)) < 0)
		return -1;
	if ((size_t)r != n) {
		errno = EIO;
		return -1;
	}
	return 0;
}

void
wheel_source_close(struct wheel *w)
{
	struct window	*wn = w->win;

	if (wn != NULL) {
		close(wn->fd);
		free(wn->buf);
		zip_error_fini(&wn->error);
		free(wn);
		w->win = NULL;
	}
	if (w->map == NULL)
		return;
	if (w->map_heap)
		free(w->map);
	else
		munmap(w->map, w->map_len);
	w->map = NULL;
}

int
wheel_source_load(struct wheel *w, int *code)
{
	struct stat	 st;
	int		 fd;

	if (w->map != NULL || w->win != NULL)
		return 0;
	if (w->fd >= 0 && read_small(w, w->fd))	/* the descriptor the parent hashed */
		goto buffer;
	if (w->fd >= 0)
		fd = dup(w->fd);
	else
		fd = open(w->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*code = ZIP_ER_OPEN;
		return -1;
	}
	if (w->fd < 0 && read_small(w, fd)) {
		close(fd);
		goto buffer;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		*code = ZIP_ER_NOZIP;
		return -1;
	}
	if (st.st_size > MAP_MAX) {
		/* A mapping's pages count in the worker's RSS as it reads
		 * them: a large wheel is read through a window instead. */
		open_window(w, fd, (uint64_t)st.st_size);
		return 0;
	}
	w->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (w->map == MAP_FAILED) {
		w->map = NULL;
		*code = ZIP_ER_READ;
		return -1;
	}
	w->map_len = (size_t)st.st_size;
	madvise(w->map, w->map_len, MADV_WILLNEED);
buffer:
	w->size = w->map_len;
	return 0;
}

zip_t *
wheel_source_open(struct wheel *w, int flags, int *code)
{
	zip_source_t	*src;
	zip_error_t	 ze;

	if (wheel_source_load(w, code) != 0)
		return NULL;
	zip_error_init(&ze);
	if (w->win != NULL)
		src = zip_source_function_create(window_cb, w->win, &ze);
	else
		src = zip_source_buffer_create(w->map, w->map_len, 0, &ze);
	return open_source(src, &ze, flags, code);
}
