/*
 * toml.h: a TOML 1.0 reader.  toml_parse() turns a whole document into a
 * tree of values that a caller walks with the accessors below; tables keep
 * their keys in document order and every value remembers the line and
 * column (1-based, counted in characters) where it was written, so a
 * reader of a format built on TOML can say "FILE:LINE:COLUMN: key 'x': ...".
 *
 * Strings are UTF-8 and NUL-terminated, but a TOML string may contain
 * U+0000: toml_str_len() gives the full length.  The tree is read-only
 * for callers and lives until toml_free() of its root releases it whole.
 */
#ifndef FORKLIFT_TOML_H
#define FORKLIFT_TOML_H

#include <stddef.h>
#include <stdint.h>

/* Limits that keep hostile input from exhausting the stack or memory. */
#define TOML_MAX_SIZE	((size_t)16 << 20)	/* bytes in a document */
#define TOML_MAX_DEPTH	100			/* nested tables and arrays */
#define TOML_MAX_VALUES	((size_t)1 << 20)	/* values in a document */

enum toml_type {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,		/* offset date-time */
	TOML_DATETIME_LOCAL,
	TOML_DATE_LOCAL,
	TOML_TIME_LOCAL
};

struct toml_datetime {
	int	year, month, day;	/* 0 for a local time */
	int	hour, minute, second;	/* 0 for a local date */
	long	nanosecond;		/* fraction, truncated to 9 digits */
	int	offset;			/* minutes east of UTC (offset date-time) */
};

struct toml_value;

/* Parse a document (a BOM and CRLF line ends accepted).  Returns the root
 * table, or NULL with err_set() "FILE:LINE:COLUMN: what". */
struct toml_value *toml_parse(const char *buf, size_t len, const char *filename);
/* Release a document: only a root toml_parse() returned may be passed. */
void	 toml_free(struct toml_value *);

enum toml_type	 toml_type(const struct toml_value *);
/* "table", "array", "string", "integer", "float", "boolean", "datetime"... */
const char	*toml_type_name(enum toml_type);
unsigned int	 toml_line(const struct toml_value *);
unsigned int	 toml_column(const struct toml_value *);

/* Tables and arrays: number of keys or elements (0 for scalars). */
size_t		 toml_len(const struct toml_value *);
/* The value of key in a table, or NULL when absent or v is no table. */
struct toml_value *toml_get(const struct toml_value *, const char *key);
/* The i-th key of a table in document order; its value in *val.  The key
 * may contain U+0000; its length goes to *keylen when that is not NULL. */
const char	*toml_key_at(const struct toml_value *, size_t i,
		    struct toml_value **val, size_t *keylen);
/* The i-th element of an array, or NULL. */
struct toml_value *toml_at(const struct toml_value *, size_t i);

/* Scalars; each returns NULL / -1 when v has another type. */
const char	*toml_str(const struct toml_value *);
size_t		 toml_str_len(const struct toml_value *);
int		 toml_int(const struct toml_value *, int64_t *);
int		 toml_float(const struct toml_value *, double *);
int		 toml_bool(const struct toml_value *, int *);
/* A date-time's fields; its text as written ('T' and 'Z' upper case, a
 * space separator written as 'T') goes to *text when that is not NULL. */
const struct toml_datetime *toml_datetime(const struct toml_value *,
		    const char **text);

#endif
