/*
 * fuzz_toml.c: libFuzzer target for the TOML reader (toml*.c) and lock
 * file selection (pylock.c): any bytes as a document; an accepted one is
 * walked whole through the accessors (every key, element and scalar), so
 * a tree that breaks its own invariants shows up here and not in a
 * caller, and then read as a pylock.toml for a CPython 3.11 on Linux.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pylock.h"
#include "tags.h"
#include "target.h"
#include "toml.h"
#include "util.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct pyinfo	env;
static struct taglist	tags;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char facts[] =
	    "implementation_name=cpython\nversion_major=3\nversion_minor=11\n"
	    "version_micro=7\npy_version_nodot=311\nplatform=linux-x86_64\n"
	    "libc=glibc\nlibc_version=2.36\npointer_bits=64\n"
	    "python_version=3.11\npython_full_version=3.11.7\n"
	    "sys_platform=linux\nos_name=posix\nplatform_machine=x86_64\n"
	    "platform_system=Linux\nplatform_python_implementation=CPython\n"
	    "implementation_version=3.11.7\n";

	(void)argc;
	(void)argv;
	if (pyinfo_parse(facts, sizeof(facts) - 1, &env) != 0 ||
	    tags_compute(&env, &tags) != 0)
		abort();
	return 0;
}

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
	struct pylock_opts	 o = { &env, &tags, NULL, NULL };
	struct pylock		 lock;
	char			*copy;

	/* An exact-size copy, so reading one byte past the input is caught. */
	copy = xmalloc(size ? size : 1);
	memcpy(copy, data, size);
	root = toml_parse(copy, size, "fuzz.toml");
	if (root != NULL) {
		(void)walk(root, 0);
		if (pylock_select("pylock.toml", root, &o, &lock) == 0)
			pylock_free(&lock);
		toml_free(root);
	} else if (strncmp(err_get(), "fuzz.toml:", 10) != 0)
		abort();
	free(copy);
	return 0;
}
