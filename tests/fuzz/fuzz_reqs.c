/*
 * fuzz_reqs.c: libFuzzer target for requirements files (reqs.c) and
 * environment markers (markers.c): any bytes as a requirements file, read
 * from memory and finished, and the first line as a marker expression.
 * Includes (-r, -c) resolve against an empty temporary directory; standard
 * input is /dev/null so an include of /dev/stdin cannot block.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "markers.h"
#include "reqs.h"
#include "target.h"
#include "util.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct pyinfo	env;
static char		dir[] = "/tmp/fuzz_reqs.XXXXXX";

static void
remove_dir(void)
{
	(void)rm_rf(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char facts[] =
	    "implementation_name=cpython\nimplementation_version=3.11.7\n"
	    "python_version=3.11\npython_full_version=3.11.7\n"
	    "sys_platform=linux\nos_name=posix\nplatform_machine=x86_64\n"
	    "platform_system=Linux\nplatform_release=6.1.0\n"
	    "platform_version=#1 SMP\nplatform_python_implementation=CPython\n";
	int	fd;

	(void)argc;
	(void)argv;
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	if (mkdtemp(dir) == NULL || chdir(dir) != 0)
		abort();
	atexit(remove_dir);
	pyinfo_parse(facts, sizeof(facts) - 1, &env);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reqs	 rq;
	const char	*nl = memchr(data, '\n', size);
	char		*first;

	verbosity = -1;
	reqs_init(&rq, &env);
	if (reqs_read_text(&rq, "fuzz-requirements.txt", (const char *)data, size, 0) == 0)
		(void)reqs_finish(&rq);
	reqs_free(&rq);
	first = xstrndup((const char *)data, nl ? (size_t)(nl - (const char *)data) : size);
	(void)marker_eval(first, &env, "test");
	free(first);
	return 0;
}
