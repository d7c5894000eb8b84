/*
 * tomldump.c: test helper, the decoder toml-test drives.  Reads one TOML
 * document on standard input and prints it as toml-test's tagged JSON (a
 * table is an object, an array an array, a scalar {"type": T, "value": S});
 * an invalid document exits 1 with the reader's message on stderr.  It
 * only reads standard input and writes standard output.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "toml.h"
#include "util.h"

static void
json_str(const char *s, size_t len)
{
	size_t	i;

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
scalar(const char *type, const char *value)
{
	printf("{\"type\":\"%s\",\"value\":\"%s\"}", type, value);
}

static void
dump(const struct toml_value *v)
{
	struct toml_value	*e;
	const char		*key, *text;
	char			 num[64];
	size_t			 i, len;
	int64_t			 n;
	double			 f;
	int			 b;

	switch (toml_type(v)) {
	case TOML_TABLE:
		putchar('{');
		for (i = 0; i < toml_len(v); i++) {
			key = toml_key_at(v, i, &e, &len);
			if (i > 0)
				putchar(',');
			json_str(key, len);
			putchar(':');
			dump(e);
		}
		putchar('}');
		break;
	case TOML_ARRAY:
		putchar('[');
		for (i = 0; i < toml_len(v); i++) {
			if (i > 0)
				putchar(',');
			dump(toml_at(v, i));
		}
		putchar(']');
		break;
	case TOML_STRING:
		printf("{\"type\":\"string\",\"value\":");
		json_str(toml_str(v), toml_str_len(v));
		putchar('}');
		break;
	case TOML_INTEGER:
		(void)toml_int(v, &n);
		snprintf(num, sizeof(num), "%" PRId64, n);
		scalar("integer", num);
		break;
	case TOML_FLOAT:
		(void)toml_float(v, &f);
		if (isnan(f))
			snprintf(num, sizeof(num), "nan");
		else if (isinf(f))
			snprintf(num, sizeof(num), "%sinf", f < 0 ? "-" : "");
		else
			snprintf(num, sizeof(num), "%.17g", f);
		scalar("float", num);
		break;
	case TOML_BOOL:
		(void)toml_bool(v, &b);
		scalar("bool", b ? "true" : "false");
		break;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		(void)toml_datetime(v, &text);
		scalar(toml_type(v) == TOML_DATETIME ? "datetime" :
		    toml_type(v) == TOML_DATETIME_LOCAL ? "datetime-local" :
		    toml_type(v) == TOML_DATE_LOCAL ? "date-local" : "time-local", text);
		break;
	}
}

int
main(void)
{
	struct toml_value	*root;
	struct buf		 in = BUF_INIT;
	char			 chunk[65536];
	size_t			 n;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_add(&in, chunk, n);
	if (ferror(stdin)) {
		fprintf(stderr, "tomldump: cannot read standard input\n");
		return 1;
	}
	if ((root = toml_parse(in.p ? in.p : "", in.len, "<stdin>")) == NULL) {
		fprintf(stderr, "tomldump: %s\n", err_get());
		buf_free(&in);
		return 1;
	}
	dump(root);
	putchar('\n');
	toml_free(root);
	buf_free(&in);
	return fflush(stdout) == 0 ? 0 : 1;
}
