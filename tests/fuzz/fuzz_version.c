/*
 * fuzz_version.c: libFuzzer target for version.c: the input's first line
 * is a version, the second a specifier set.  version_parse(),
 * version_normalize() (whose result must parse to an equal version),
 * version_spec_match() and name_normalize() on both.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "version.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*nl = memchr(data, '\n', size);
	size_t		 n1 = nl ? (size_t)(nl - (const char *)data) : size;
	char		*ver = xstrndup((const char *)data, n1);
	char		*spec = nl ? xstrndup(nl + 1, size - n1 - 1) : xstrdup("");
	char		*norm;
	struct version	 a, b;

	verbosity = -1;
	if (version_parse(ver, &a) == 0) {
		if ((norm = version_normalize(ver)) == NULL)
			abort();
		if (version_parse(norm, &b) != 0 || version_cmp(&a, &b) != 0)
			abort();
		if (version_strcmp(ver, norm) != 0)
			abort();
		free(norm);
	}
	(void)version_spec_match(spec, ver);
	(void)version_strcmp(ver, spec);
	free(name_normalize(ver));
	free(name_normalize(spec));
	free(ver);
	free(spec);
	return 0;
}
