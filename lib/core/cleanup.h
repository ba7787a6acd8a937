/* cleanup.h — scope-bound release of memory, fds and JSON, as crun does it,
 * so early returns on error paths cannot leak. */
#ifndef C_CLEANUP_H
#define C_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void c_freep(void *p)
{
	free(*(void **)p);
}

static inline void c_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void c_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ __attribute__((cleanup(c_freep)))
#define _cleanup_close_ __attribute__((cleanup(c_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(c_fclosep)))

/* Hand a resource out of a cleanup-guarded variable. */
static inline void *c_steal_ptr(void *pp)
{
	void **p = pp, *v = *p;

	*p = NULL;
	return v;
}

static inline int c_steal_fd(int *fd)
{
	int v = *fd;

	*fd = -1;
	return v;
}

#endif
