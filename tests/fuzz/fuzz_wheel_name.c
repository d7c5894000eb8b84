/*
 * fuzz_wheel_name.c: libFuzzer target for wheel_name_parse() (tags.c):
 * any byte string as a wheel file's base name.  A parsed name must have
 * its parts filled and compare equal to itself by build tag.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tags.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wheel_name	 fn;
	char			*s = xstrndup((const char *)data, size);

	verbosity = -1;
	if (wheel_name_parse(s, &fn) == 0) {
		if (fn.name == NULL || fn.norm == NULL || fn.version == NULL ||
		    fn.py.n == 0 || fn.abi.n == 0 || fn.plat.n == 0)
			abort();
		if (wheel_build_cmp(&fn, &fn) != 0)
			abort();
		wheel_name_free(&fn);
	}
	free(s);
	return 0;
}
