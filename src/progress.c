/*
 * progress.c: a single progress line on stderr, redrawn in place with \r
 * and erased before anything else is printed.  Off unless stderr is a
 * terminal, so logs and pipes never see control characters.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "progress.h"

static double
diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
progress_start(struct progress *p, unsigned long total, int enabled)
{
	memset(p, 0, sizeof(*p));
	p->enabled = enabled && isatty(STDERR_FILENO);
	p->total = total;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
}

void
progress_update(struct progress *p, unsigned long done, const char *verb,
    const char *what, int force)
{
	struct winsize	ws;
	struct timespec	now;
	int		width = 80;

	p->done = done;
	if (!p->enabled)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && p->drawn && diff(&p->last, &now) < 0.05)
		return;
	p->last = now;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		width = ws.ws_col;
	fprintf(stderr, "\r\033[K%.*s", width - 1, "");
	fprintf(stderr, "\r[%lu/%lu] %s %.*s", done, p->total, verb,
	    width > 40 ? width - 30 : 10, what ? what : "");
	fflush(stderr);
	p->drawn = 1;
}

void
progress_clear(struct progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->drawn = 0;
	}
}

double
progress_elapsed(const struct progress *p)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return diff(&p->start, &now);
}
