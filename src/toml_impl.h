/*
 * toml_impl.h: what the three files of the TOML reader share and no one
 * else may use: the value tree's layout, the parser's state, and the
 * functions one file lends the others.  toml.c reads the grammar
 * (keys, tables, arrays, inline tables); toml_scalar.c the scalars
 * (strings, numbers, date-times) and checks UTF-8; toml_tree.c owns the
 * tree (its arena, tables with their index, the public accessors).
 */
#ifndef FORKLIFT_TOML_IMPL_H
#define FORKLIFT_TOML_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "toml.h"
#include "util.h"

enum kind { K_NONE, K_IMPLICIT, K_HEADER, K_DOTTED, K_INLINE, K_STATIC, K_AOT };

struct toml_kv {
	char			*key;
	size_t			 keylen;
	struct toml_value	*val;
};

struct toml_value {
	unsigned char	 type;
	unsigned char	 kind;
	unsigned short	 depth;
	unsigned int	 line;
	unsigned int	 col;
	union {
		struct {
			char			*p;
			size_t			 len;
			struct toml_datetime	*dt;
		} s;
		int64_t	 i;
		double	 f;
		int	 b;
		struct {
			struct toml_value	**v;
			size_t			  n, cap;
		} a;
		struct {
			struct toml_kv	*kv;
			size_t		 n, cap;
			uint32_t	*idx;	/* hash index (n >= IDX_MIN) */
			size_t		 nidx;	/* its size, a power of two */
		} t;
	} u;
};


/* Every node, key and string of a document lives in its arena. */
struct chunk {
	struct chunk	*next;
	size_t		 used, size;
	int		 mapped;
	max_align_t	 data[];
};

struct toml_doc {
	struct toml_value	 root;	/* first: a root is its document */
	struct chunk		*chunks;
};

struct keypart {
	const char	*at;
	const char	*s;
	size_t		 len;
	char		*owned;
};

#define KEY_MAX_PARTS	32

struct keypath {
	struct keypart	 v[KEY_MAX_PARTS];
	size_t		 n;
};

struct parser {
	struct toml_doc		*doc;
	const char		*buf, *p, *end;
	const char		*file;
	size_t			 cur_off;	/* the position cursor */
	unsigned int		 cur_line, cur_col;
	size_t			 nvalues;
	struct toml_value	*root;
	struct toml_value	*cur;		/* the table of this section */
	struct buf		 sb;
	struct toml_kv		*keys;		/* interned keys (val unused) */
	size_t			 nkeys, keycap;	/* keycap: a power of two */
};

/* toml.c */
void	 tp_locate(struct parser *, const char *, unsigned int *, unsigned int *);
int	 tp_fail(struct parser *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
const char *tp_what(const struct parser *, const char *);
int	 tp_at_newline(const struct parser *, const char *);
int	 tp_is_control(unsigned char);

/* toml_scalar.c */
int	 tp_check_utf8(struct parser *);
int	 tp_is_digit(int);
int	 tp_parse_string(struct parser *, struct buf *, int ml_ok);
struct toml_value *tp_parse_number(struct parser *, unsigned int depth);
struct toml_value *tp_parse_datetime(struct parser *, unsigned int depth);

/* toml_tree.c */
void	*tp_alloc(struct parser *, size_t);
char	*tp_strndup(struct parser *, const char *, size_t);
struct toml_value *tp_new_value(struct parser *, enum toml_type, const char *at,
	    unsigned int depth);
struct toml_value *tp_table_find(const struct toml_value *, const char *, size_t);
void	 tp_table_add(struct parser *, struct toml_value *, const char *, size_t,
	    struct toml_value *);
void	 tp_array_push(struct parser *, struct toml_value *, struct toml_value *);
void	 tp_freeze(struct toml_value *);
const char *tp_described(const struct toml_value *);

#endif
