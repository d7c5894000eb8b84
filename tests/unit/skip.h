/*
 * skip.h: how a Check case says it could not run.  SKIP_CASE prints one
 * line "SKIP: <case>: <reason>" on standard output and returns from the
 * case, which Check then counts as passed; scripts/test counts these lines
 * as skipped cases instead (the case proved nothing).  For cases that need
 * something the machine may not have (python3, a pyenv interpreter).
 */
#ifndef FL_TEST_SKIP_H
#define FL_TEST_SKIP_H

#include <stdio.h>

#define SKIP_CASE(reason) do {						\
	printf("SKIP: %s: %s\n", __func__, (reason));			\
	fflush(stdout);							\
	return;								\
} while (0)

#endif
