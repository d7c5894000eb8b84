/*
 * fuzz_index_json.c: libFuzzer target for PEP 691 JSON project pages
 * (index.c): any bytes as a page, read against a page URL, then the
 * choice of a wheel among its files for CPython 3.11 on x86_64 Linux,
 * which runs every file name through the wheel-name parser and every
 * requires-python through the specifier matcher.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "tags.h"
#include "target.h"
#include "util.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct taglist	tags;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char facts[] =
	    "implementation_name=cpython\nversion_major=3\nversion_minor=11\n"
	    "version_micro=7\npy_version_nodot=311\nplatform=linux-x86_64\n"
	    "libc=glibc\nlibc_version=2.36\npointer_bits=64\n"
	    "python_version=3.11\npython_full_version=3.11.7\n";
	struct pyinfo	env;

	(void)argc;
	(void)argv;
	if (pyinfo_parse(facts, sizeof(facts) - 1, &env) != 0 ||
	    tags_compute(&env, &tags) != 0)
		abort();
	pyinfo_free(&env);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct index_want	w = { "fz", "1.0", "3.11.7", "cp311" };
	struct index_page		pg;
	int				yanked;

	verbosity = -1;
	if (index_parse_json(&pg, "https://idx.example/simple/fz/", (const char *)data,
	    size) == 0) {
		(void)index_choose(&pg, &tags, &w, &yanked);
		index_page_free(&pg);
	}
	/* The same bytes as whatever the sniffer takes them for. */
	if (index_parse(&pg, NULL, "https://idx.example/simple/fz/", (const char *)data,
	    size) == 0)
		index_page_free(&pg);
	return 0;
}
