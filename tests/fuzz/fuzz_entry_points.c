/*
 * fuzz_entry_points.c: libFuzzer target for entry_points_parse()
 * (scripts.c): any bytes as entry_points.txt, exact length, no NUL.  Every
 * accepted launcher name must be one path component that does not replace
 * the interpreter, and must give a launcher text.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scripts.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entry_points	 eps;
	char			*copy = xmalloc(size ? size : 1), *sb, *text;
	size_t			 i;

	verbosity = -1;
	memcpy(copy, data, size);
	if (entry_points_parse(copy, size, &eps) == 0) {
		sb = shebang_for("/fuzz env/bin/python");
		for (i = 0; i < eps.n; i++) {
			const char *n = eps.v[i].name;

			if (*n == '\0' || strchr(n, '/') != NULL || strcmp(n, ".") == 0 ||
			    strcmp(n, "..") == 0 || launcher_name_reserved(n))
				abort();
			text = launcher_text(sb, &eps.v[i]);
			free(text);
			(void)script_is_ep_wrapper(n, &eps);
		}
		free(sb);
		entry_points_free(&eps);
	}
	free(copy);
	return 0;
}
