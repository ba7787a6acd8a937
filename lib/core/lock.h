/* lock.h — advisory whole-file locks (flock) on lock files, for the writes
 * two programs may race on (the image store's index, container names).
 * The lock is held by an open fd: it goes away when the fd is closed, and so
 * when the process dies, which is what keeps a crash from wedging the store.
 * A forked child shares the lock through the inherited fd until it execs
 * (O_CLOEXEC) or closes it. */
#ifndef C_LOCK_H
#define C_LOCK_H

#include "err.h"

enum {
	C_LOCK_SHARED = 1 << 0,    /* readers; default is exclusive */
	C_LOCK_NOWAIT = 1 << 1,    /* fail at once (EWOULDBLOCK) instead of waiting */
};

/* Create path if needed and lock it.  Returns the fd holding the lock
 * (O_CLOEXEC, so children do not inherit it), or -1. */
int c_lock_at(int dirfd, const char *path, int flags, c_err **err);
int c_lock(const char *path, int flags, c_err **err);

/* Release by closing; tolerates -1. */
void c_unlock(int fd);

#endif
