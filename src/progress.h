/*
 * progress.h: the one-line progress display on stderr (only on a terminal,
 * never with -q or --no-progress) and the elapsed time for the summary.
 */
#ifndef FORKLIFT_PROGRESS_H
#define FORKLIFT_PROGRESS_H

#include <time.h>

struct progress {
	int		 enabled;
	int		 drawn;
	unsigned long	 total;
	unsigned long	 done;
	struct timespec	 start;
	struct timespec	 last;
};

/* enabled: the caller's wish (not -q, not --no-progress); the line is
 * drawn only when stderr is also a terminal. */
void	 progress_start(struct progress *, unsigned long total, int enabled);
/* Redraw "[done/total] verb what", at most every 50 ms unless force. */
void	 progress_update(struct progress *, unsigned long done, const char *verb,
	    const char *what, int force);
/* Erase the line (before any other output on stderr). */
void	 progress_clear(struct progress *);
double	 progress_elapsed(const struct progress *);

#endif
