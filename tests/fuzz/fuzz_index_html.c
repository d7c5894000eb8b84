/*
 * fuzz_index_html.c: libFuzzer target for the HTML of index and
 * find-links pages (html.c, index.c) and the URL arithmetic its links go
 * through (url.c): any bytes as a page, read against a page URL; the
 * first line also as a reference to resolve, a URL to parse, format,
 * redact and split credentials from.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "index.h"
#include "url.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
urls(const char *line)
{
	struct url_cred	 c;
	struct url	 u;
	char		*s, *clean, *alg, *hex;

	if ((s = url_resolve("https://u:p@idx.example:8443/simple/six/?q#f", line)) != NULL) {
		(void)url_same_origin(s, "https://idx.example:8443/");
		free(s);
	}
	if (url_parse(line, &u) == 0) {
		free(url_format(&u, 0));
		free(url_format(&u, URL_REDACT | URL_NO_FRAGMENT));
		url_free(&u);
	}
	if (url_cred_split(line, &clean, &c) == 0) {
		(void)url_cred_applies(&c, line);
		free(clean);
	}
	url_cred_free(&c);
	free(url_redact(line));
	free(url_filename(line));
	if (url_fragment_hash(line, &alg, &hex)) {
		free(alg);
		free(hex);
	}
	free(url_project("https://idx.example/simple", line));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct index_page	 pg;
	const char		*d = (const char *)data;
	const char		*nl = memchr(d, '\n', size);
	char			*line;

	verbosity = -1;
	if (index_parse_html(&pg, "https://idx.example/simple/six/", d, size) == 0)
		index_page_free(&pg);
	free(html_unescape(d, size));
	line = xstrndup(d, nl != NULL ? (size_t)(nl - d) : size);
	urls(line);
	free(line);
	return 0;
}
