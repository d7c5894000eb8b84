/*
 * fuzz_metadata.c: libFuzzer target for metadata_field() (wheel.c): any
 * bytes as METADATA, exact length, no NUL; a few fields looked up,
 * including a name given by the input's first line.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wheel.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = {
		"Name", "Version", "Requires-Python", "Metadata-Version", ""
	};
	const char	*nl = memchr(data, '\n', size);
	char		*copy = xmalloc(size ? size : 1), *v, *first;
	size_t		 i;

	verbosity = -1;
	memcpy(copy, data, size);
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		v = metadata_field(copy, size, fields[i]);
		free(v);
	}
	first = xstrndup((const char *)data, nl ? (size_t)(nl - (const char *)data) : 0);
	free(metadata_field(copy, size, first));
	free(first);
	free(copy);
	return 0;
}
