#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

int c_lock_at(int dirfd, const char *path, int flags, c_err **err)
{
	int op = (flags & C_LOCK_SHARED) ? LOCK_SH : LOCK_EX;
	int fd;

	if (flags & C_LOCK_NOWAIT)
		op |= LOCK_NB;
	fd = openat(dirfd, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return c_err_sys(err, "open lock", path);
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			c_err_new(err, C_EXIT_FAIL, 0, "lock: %s: held by another process", path);
		else
			c_err_sys(err, "lock", path);
		close(fd);
		return -1;
	}
	return fd;
}

int c_lock(const char *path, int flags, c_err **err)
{
	return c_lock_at(AT_FDCWD, path, flags, err);
}

void c_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
