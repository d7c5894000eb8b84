/*
 * record.h: the RECORD file (binary distribution format, "recording
 * installed projects"): CSV parsing, digests in unpadded URL-safe base64,
 * streaming SHA-2 through libcrypto, and writing the installed RECORD.
 * Pure data handling; no file system access except the fd given to
 * record_out_write().
 */
#ifndef FORKLIFT_RECORD_H
#define FORKLIFT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define HASH_MAX 64		/* sha512 */

enum hash_algo { HASH_NONE = 0, HASH_SHA256, HASH_SHA384, HASH_SHA512 };

/* "sha256" -> HASH_SHA256.  md5, sha1 and unknown names -> -1 with err_set(). */
int	 hash_algo_parse(const char *name, size_t len, enum hash_algo *);
const char *hash_algo_name(enum hash_algo);
size_t	 hash_algo_len(enum hash_algo);

/* A streaming hash (libcrypto EVP, using the CPU's SHA instructions). */
struct hasher {
	void		*ctx;		/* EVP_MD_CTX */
	enum hash_algo	 algo;
};
void	 hasher_init(struct hasher *, enum hash_algo);
void	 hasher_update(struct hasher *, const void *, size_t);
/* Writes hash_algo_len() bytes and resets for the next use with the same algo. */
void	 hasher_final(struct hasher *, unsigned char *out);
void	 hasher_free(struct hasher *);
/* Feed h everything left in fd, checking for a stop signal (sig.h)
 * between chunks, so hashing a large file honours Ctrl-C.  0, or -1 with
 * errno set (EINTR: stopped). */
int	 hasher_fd(struct hasher *, int fd);
/* The same for the whole file from offset 0, read with pread(2): the
 * descriptor's offset (shared with other processes) is not moved. */
int	 hasher_pread(struct hasher *, int fd);
/* One-shot sha256. */
void	 sha256_buf(const void *, size_t, unsigned char out[32]);

/* Unpadded URL-safe base64.  encode writes a NUL-terminated string into
 * out (room for 4*ceil(n/3)+1 bytes) and returns its length. */
size_t	 b64url_encode(const unsigned char *, size_t, char *out);
/* Returns the decoded length, or -1 if the text is not unpadded (or
 * padded) URL-safe base64 or does not fit cap. */
long	 b64url_decode(const char *, size_t, unsigned char *out, size_t cap);

struct record_row {
	char		*path;		/* as written in RECORD (UTF-8) */
	enum hash_algo	 algo;		/* HASH_NONE when the field is empty */
	unsigned char	 digest[HASH_MAX];
	int64_t		 size;		/* -1 when the field is empty */
	int		 seen;		/* set by the caller when the member was found */
};

struct record {
	struct record_row *rows;
	size_t		 n;
	void		*index;		/* private: path -> row lookup */
	struct rscan	*scan;		/* private: record_scan()'s */
};

/* Parse RECORD text: CSV with ',' and '"' quoting, LF or CRLF, three fields.
 * Rejects (-1, err_set) malformed lines, duplicate paths, bad digests,
 * md5/sha1/unknown algorithms, sizes that are not decimal. */
int	 record_parse(const char *, size_t, struct record *);
struct record_row *record_find(const struct record *, const char *path);
/* Scan RECORD text for its lines and paths only, for a reader that needs
 * a few of its rows: takes text (malloc'd) on success.  -1 (no error
 * set) when the text needs record_parse() to judge it: a quote, a line
 * not plainly three fields, a path listed twice.  Rows are then parsed
 * by record_get(): 0 and *row (NULL: not listed; its path is NULL), or
 * -1 with err_set() as record_parse() says it. */
int	 record_scan(char *text, size_t len, struct record *);
int	 record_get(struct record *, const char *path, struct record_row **row);
void	 record_free(struct record *);

/* The installed RECORD, built up and written sorted with LF line ends. */
struct record_out {
	char	*p;		/* private: the entries, one after another */
	size_t	 len;
	size_t	 cap;
	size_t	 n;		/* how many */
};
/* Room for n bytes of entries (a path and about 70 bytes each), when
 * their number is known: a large wheel's are megabytes. */
void	 record_out_reserve(struct record_out *, size_t n);
/* A file with its sha256 and size. */
void	 record_out_add(struct record_out *, const char *path,
	    const unsigned char sha256[32], uint64_t size);
/* The same with the sha256 as RECORD writes it (43 base64 digits). */
void	 record_out_add_text(struct record_out *, const char *path,
	    const char *sha256, uint64_t size);
/* A file without hash and size (RECORD itself, .pyc). */
void	 record_out_add_bare(struct record_out *, const char *path);
/* Sort, quote as CSV where needed, and write; 0 or -1 with err_set(). */
int	 record_out_write(struct record_out *, int fd);
void	 record_out_free(struct record_out *);

#endif
