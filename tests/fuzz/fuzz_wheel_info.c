/*
 * fuzz_wheel_info.c: libFuzzer target for wheel_info_parse() (wheel.c):
 * any bytes as a WHEEL file, given with their exact length and no NUL.
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
	struct wheel_info	 wi;
	char			*copy = xmalloc(size ? size : 1);

	verbosity = -1;
	memcpy(copy, data, size);
	if (wheel_info_parse(copy, size, "WHEEL", &wi) == 0 &&
	    (wi.version_major < 0 || wi.version_major >= 2))
		abort();
	free(copy);
	return 0;
}
