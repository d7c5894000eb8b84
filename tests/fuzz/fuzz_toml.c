/*
 * fuzz_toml.c: libFuzzer target for the TOML reader (toml.c): any bytes
 * as a document; an accepted one is walked whole through the accessors
 * (every key, element and scalar), so a tree that breaks its own
 * invariants shows up here and not in a caller.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t
walk(const struct toml_value *v, unsigned int depth)
{
	struct toml_value	*e;
	const char		*key, *text;
	size_t			 i, len, n = 1;
	int64_t			 iv;
	double			 f;
	int			 b;

	if (depth > TOML_MAX_DEPTH || toml_line(v) == 0 || toml_column(v) == 0)
		abort();
	switch (toml_type(v)) {
	case TOML_TABLE:
		for (i = 0; i < toml_len(v); i++) {
			key = toml_key_at(v, i, &e, &len);
			if (key == NULL || key[len] != '\0')
				abort();
			/* A key without U+0000 is found again by name. */
			if (strlen(key) == len && toml_get(v, key) != e)
				abort();
			n += walk(e, depth + 1);
		}
		break;
	case TOML_ARRAY:
		for (i = 0; i < toml_len(v); i++)
			n += walk(toml_at(v, i), depth + 1);
		break;
	case TOML_STRING:
		if (toml_str(v)[toml_str_len(v)] != '\0')
			abort();
		break;
	case TOML_INTEGER:
		(void)toml_int(v, &iv);
		break;
	case TOML_FLOAT:
		(void)toml_float(v, &f);
		break;
	case TOML_BOOL:
		(void)toml_bool(v, &b);
		break;
	default:
		if (toml_datetime(v, &text) == NULL || text == NULL)
			abort();
		break;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_value	*root;
	char			*copy;

	/* An exact-size copy, so reading one byte past the input is caught. */
	copy = xmalloc(size ? size : 1);
	memcpy(copy, data, size);
	root = toml_parse(copy, size, "fuzz.toml");
	if (root != NULL) {
		(void)walk(root, 0);
		toml_free(root);
	} else if (strncmp(err_get(), "fuzz.toml:", 10) != 0)
		abort();
	free(copy);
	return 0;
}
