/*
 * sandbox_impl.h: the seccomp half of a worker's sandbox (seccomp.c), as
 * sandbox.c uses it.  Nothing else includes it.
 */
#ifndef FORKLIFT_SANDBOX_IMPL_H
#define FORKLIFT_SANDBOX_IMPL_H

struct sandbox_spec;

/* In the parent, before forking workers whose signals Landlock scopes:
 * compile the filter once, so that they inherit it; on any failure they
 * compile their own. */
void	 sandbox_seccomp_prebuild(void);
/* In a worker, last: the SIGSYS handler (reporting to s->report_fd),
 * then the filter; scoped: Landlock already confines its signals.  0, or
 * -1 with err_set(). */
int	 sandbox_seccomp_apply(const struct sandbox_spec *, int scoped);

#endif
