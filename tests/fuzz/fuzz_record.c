/*
 * fuzz_record.c: libFuzzer target for record_parse() (record.c): any
 * bytes as a RECORD file, exact length, no NUL.  Every parsed row must be
 * found again by its path, and the installed-RECORD writer must accept
 * every parsed path.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record		 rec;
	struct record_out	 out;
	unsigned char		 zero[32] = { 0 };
	char			*copy = xmalloc(size ? size : 1);
	size_t			 i;
	FILE			*f;

	verbosity = -1;
	memcpy(copy, data, size);
	if (record_parse(copy, size, &rec) == 0) {
		memset(&out, 0, sizeof(out));
		for (i = 0; i < rec.n; i++) {
			if (record_find(&rec, rec.rows[i].path) != &rec.rows[i])
				abort();
			if (rec.rows[i].algo != HASH_NONE && hash_algo_len(rec.rows[i].algo) == 0)
				abort();
			record_out_add(&out, rec.rows[i].path, zero, 0);
		}
		if ((f = tmpfile()) != NULL) {
			(void)record_out_write(&out, fileno(f));
			fclose(f);
		}
		record_out_free(&out);
		record_free(&rec);
	}
	free(copy);
	return 0;
}
