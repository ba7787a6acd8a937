#include "file.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "rand.h"

int c_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int c_read_fd(int fd, const char *path, size_t max, char **out, size_t *len, c_err **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t have = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (cap - have < 2) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nbuf;

			/* One byte past max tells a file of max bytes from a larger one. */
			if (ncap > max + 2)
				ncap = max + 2;
			nbuf = realloc(buf, ncap);
			if (!nbuf)
				return c_err_sys(err, "read", path);
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + have, cap - have - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return c_err_sys(err, "read", path);
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > max)
			return c_err_new(err, C_EXIT_DATA, 0, "read: %s: larger than %zu bytes", path,
					 max);
	}
	if (!buf && !(buf = malloc(1)))
		return c_err_sys(err, "read", path);
	buf[have] = '\0';
	*out = c_steal_ptr(&buf);
	if (len)
		*len = have;
	return 0;
}

int c_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		   c_err **err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return c_err_sys(err, "open", path);
	return c_read_fd(fd, path, max, out, len, err);
}

int c_read_file(const char *path, size_t max, char **out, size_t *len, c_err **err)
{
	return c_read_file_at(AT_FDCWD, path, max, out, len, err);
}

int c_open_temp_at(int dirfd, const char *name, mode_t mode, char **tmpname, c_err **err)
{
	const char *base = strrchr(name, '/');
	size_t dirlen = base ? (size_t)(base - name + 1) : 0;

	base = base ? base + 1 : name;
	for (int tries = 0; tries < 100; tries++) {
		char rnd[9];
		char *tmp;
		int fd;

		if (c_rand_hex(rnd, 4) < 0)
			return c_err_sys(err, "getrandom", NULL);
		if (asprintf(&tmp, "%.*s.%s.tmp-%s", (int)dirlen, name, base, rnd) < 0)
			return c_err_sys(err, "temp name for", name);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			if (fchmod(fd, mode) < 0) {
				c_err_sys(err, "chmod", tmp);
				unlinkat(dirfd, tmp, 0);
				close(fd);
				free(tmp);
				return -1;
			}
			*tmpname = tmp;
			return fd;
		}
		if (errno != EEXIST) {
			c_err_sys(err, "create", tmp);
			free(tmp);
			return -1;
		}
		free(tmp);
	}
	return c_err_new(err, C_EXIT_FAIL, EEXIST, "create temp file for %s", name);
}

int c_fsync_dir_at(int dirfd, const char *path, c_err **err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return c_err_sys(err, "open directory", path);
	if (fsync(fd) < 0)
		return c_err_sys(err, "fsync", path);
	return 0;
}

static char *parent_of(const char *name)
{
	char *copy = strdup(name), *dir;

	if (!copy)
		return NULL;
	dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

/* The rename, after an fsync and followed by one of the directory when
 * durable. */
static int commit_temp(int dirfd, int fd, const char *tmpname, const char *name, bool durable,
		       c_err **err)
{
	_cleanup_free_ char *dir = NULL;

	if (durable && fsync(fd) < 0) {
		c_err_sys(err, "fsync", tmpname);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		c_err_sys(err, "close", tmpname);
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmpname, dirfd, name) < 0) {
		c_err_sys(err, "rename to", name);
		goto fail;
	}
	if (!durable)
		return 0;
	dir = parent_of(name);
	if (!dir)
		return c_err_sys(err, "fsync directory of", name);
	return c_fsync_dir_at(dirfd, dir, err);
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmpname, 0);
	return -1;
}

int c_commit_temp_at(int dirfd, int fd, const char *tmpname, const char *name, c_err **err)
{
	return commit_temp(dirfd, fd, tmpname, name, true, err);
}

static int write_file(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		      bool durable, c_err **err)
{
	_cleanup_free_ char *tmp = NULL;
	int fd = c_open_temp_at(dirfd, name, mode, &tmp, err);

	if (fd < 0)
		return -1;
	if (c_write_all(fd, data, len) < 0) {
		c_err_sys(err, "write", tmp);
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return commit_temp(dirfd, fd, tmp, name, durable, err);
}

int c_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len,
			   mode_t mode, c_err **err)
{
	return write_file(dirfd, name, data, len, mode, true, err);
}

int c_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			c_err **err)
{
	return write_file(AT_FDCWD, path, data, len, mode, true, err);
}

int c_write_file_volatile(const char *path, const void *data, size_t len, mode_t mode,
			  c_err **err)
{
	return write_file(AT_FDCWD, path, data, len, mode, false, err);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void c_remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int c_mkdir_p(const char *path, mode_t mode, c_err **err)
{
	_cleanup_free_ char *p = strdup(path);
	struct stat st;
	char *q;

	if (!p)
		return c_err_sys(err, "create directory", path);
	for (q = p + 1;; q++) {
		bool last = *q == '\0' || (*q == '/' && q[strspn(q, "/")] == '\0');
		char c = *q;

		if (c != '/' && c != '\0')
			continue;
		*q = '\0';
		if (mkdir(p, last ? 0700 : 0755) == 0) {
			/* the mode as given, whatever the umask */
			if (last && chmod(p, mode) < 0)
				return c_err_sys(err, "chmod", p);
		} else if (errno != EEXIST || stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
			if (errno == EEXIST)
				errno = ENOTDIR;
			return c_err_sys(err, "create directory", p);
		}
		if (last)
			return 0;
		*q = c;
	}
}
