#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "cleanup.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* openat2 answers EAGAIN when a rename raced with its ".." checks; after a
 * few tries the walk, which does not care, takes over. */
#define OPENAT2_TRIES 4

static atomic_int force_walk;
static atomic_int no_openat2; /* the kernel (or a seccomp filter) lacks it */

void c_path_test_force_walk(int on)
{
	force_walk = on;
}

/* The next component of *p, skipping slashes; NULL at the end.  *p is left
 * just past the component, on a '/' or the terminating NUL. */
static const char *next_comp(const char **p, size_t *len)
{
	const char *s = *p;

	while (*s == '/')
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	*len = strcspn(s, "/");
	*p = s + *len;
	return s;
}

static bool is_dot(const char *c, size_t n)
{
	return n == 1 && c[0] == '.';
}

static bool is_dotdot(const char *c, size_t n)
{
	return n == 2 && c[0] == '.' && c[1] == '.';
}

/* Only slashes left: the component before was followed by a trailing slash. */
static bool only_slashes(const char *p)
{
	return p[strspn(p, "/")] == '\0';
}

int c_path_clean(const char *name, char **out, c_err **err)
{
	const char *p = name, *c;
	size_t n, len = 0;
	char *buf;

	/* The result is never longer than the name, or "." */
	buf = malloc(strlen(name) + 2);
	if (!buf)
		return c_err_sys(err, "clean path", name);
	while ((c = next_comp(&p, &n))) {
		if (is_dot(c, n))
			continue;
		if (is_dotdot(c, n)) {
			while (len > 0 && buf[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			continue;
		}
		if (len > 0)
			buf[len++] = '/';
		memcpy(buf + len, c, n);
		len += n;
	}
	if (len == 0)
		buf[len++] = '.';
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int c_path_join_under(const char *root, const char *name, char **out, c_err **err)
{
	_cleanup_free_ char *rel = NULL;
	size_t rlen = strlen(root);
	char *joined;
	int r;

	if (rlen == 0)
		return c_err_new(err, C_EXIT_FAIL, EINVAL, "join path: %s: empty root", name);
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (c_path_clean(name, &rel, err) < 0)
		return -1;
	if (strcmp(rel, ".") == 0)
		r = asprintf(&joined, "%.*s", (int)rlen, root);
	else
		r = asprintf(&joined, "%.*s%s%s", (int)rlen, root,
			     root[rlen - 1] == '/' ? "" : "/", rel);
	if (r < 0) {
		errno = ENOMEM;
		return c_err_sys(err, "join path", name);
	}
	*out = joined;
	return 0;
}

int c_path_check_no_dotdot(const char *name, c_err **err)
{
	const char *p = name, *c;
	size_t n;

	while ((c = next_comp(&p, &n)))
		if (is_dotdot(c, n))
			return c_err_new(err, C_EXIT_DATA, 0,
					 "refuse path: %s: '..' components are not allowed", name);
	return 0;
}

static bool creates(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* The fd, or -1 with errno set. */
static int open_openat2(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned int)(flags | O_CLOEXEC),
		.mode = creates(flags) ? mode : 0, /* else EINVAL */
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = -1;
	int i;

	for (i = 0; i < OPENAT2_TRIES; i++) {
		fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return (int)fd;
}

/*
 * The component walk, for kernels without openat2.  Every component is
 * opened O_PATH|O_NOFOLLOW relative to the directory reached so far, so the
 * kernel never follows a symlink for us: we read it and splice its text into
 * what is left of the path, starting again from the root when it is
 * absolute.  ".." pops back to the directory we came from, never above the
 * root.  Internal functions return -errno.
 */
struct walk {
	int *dirs;     /* O_PATH fds: dirs[0] the root, dirs[depth - 1] the current */
	size_t depth, cap;
	char *path;    /* owns the text that p points into */
	const char *p; /* what is left to resolve */
	int links;
};

static void walk_free(struct walk *w)
{
	while (w->depth > 0)
		close(w->dirs[--w->depth]);
	free(w->dirs);
	free(w->path);
}

static int walk_cur(const struct walk *w)
{
	return w->dirs[w->depth - 1];
}

/* Takes fd, closing it on failure. */
static int walk_push(struct walk *w, int fd)
{
	if (w->depth == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		int *dirs = realloc(w->dirs, cap * sizeof *dirs);

		if (!dirs) {
			close(fd);
			return -ENOMEM;
		}
		w->dirs = dirs;
		w->cap = cap;
	}
	w->dirs[w->depth++] = fd;
	return 0;
}

static void walk_up(struct walk *w)
{
	if (w->depth > 1)
		close(w->dirs[--w->depth]);
}

static int walk_init(struct walk *w, int rootfd, const char *path)
{
	int fd;

	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	w->path = strdup(path);
	if (!w->path)
		return -ENOMEM;
	w->p = w->path;
	fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return walk_push(w, fd);
}

/* Replaces the symlink name (in dirfd) just taken from w->p by its target. */
static int walk_follow(struct walk *w, int dirfd, const char *name)
{
	char target[PATH_MAX];
	ssize_t n;
	char *path;

	if (++w->links > C_PATH_MAX_SYMLINKS)
		return -ELOOP;
	n = readlinkat(dirfd, name, target, sizeof target);
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof target)
		return -ENAMETOOLONG;
	if (n == 0)
		return -ENOENT; /* as the kernel treats an empty symlink */
	if (asprintf(&path, "%.*s%s", (int)n, target, w->p) < 0)
		return -ENOMEM;
	free(w->path);
	w->path = path;
	w->p = path;
	if (target[0] == '/')
		while (w->depth > 1)
			walk_up(w);
	return 0;
}

/* Moves into directory name, following it if it is a symlink; with mkdirs,
 * creates it when missing.  at_end: it is the last component (written with a
 * trailing slash) of an open with flags. */
static int walk_step(struct walk *w, const char *name, int flags, bool at_end,
		     bool mkdirs, mode_t mode)
{
	struct stat st;
	int fd, r;

	fd = openat(walk_cur(w), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && mkdirs) {
		if (mkdirat(walk_cur(w), name, mode) < 0 && errno != EEXIST)
			return -errno;
		fd = openat(walk_cur(w), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		/* openat("missing/", O_CREAT) will not make a directory */
		if (errno == ENOENT && at_end && (flags & O_CREAT))
			return -EISDIR;
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (S_ISDIR(st.st_mode))
		return walk_push(w, fd);
	r = S_ISLNK(st.st_mode) ? walk_follow(w, fd, "") : -ENOTDIR;
	close(fd);
	return r;
}

/* Opens the last component.  Returns 0 with *fd set, 1 when it was a symlink
 * to follow (now spliced into w->p), or -errno. */
static int walk_last(struct walk *w, const char *name, int flags, mode_t mode, int *fd)
{
	bool follow = !(flags & O_NOFOLLOW);
	struct stat st;
	int r, e;

	*fd = openat(walk_cur(w), name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (*fd >= 0) {
		/* O_PATH|O_NOFOLLOW opens a symlink rather than failing */
		if (!follow || !(flags & O_PATH))
			return 0;
		if (fstat(*fd, &st) < 0) {
			r = -errno;
		} else {
			if (!S_ISLNK(st.st_mode))
				return 0;
			r = walk_follow(w, *fd, "");
		}
		close(*fd);
		*fd = -1;
		return r < 0 ? r : 1;
	}
	e = errno;
	/* A symlink under O_NOFOLLOW fails with ELOOP, or ENOTDIR if O_DIRECTORY */
	if (!follow || (e != ELOOP && e != ENOTDIR))
		return -e;
	r = walk_follow(w, walk_cur(w), name);
	if (r == -EINVAL) /* not a symlink: the open's own error stands */
		return -e;
	return r < 0 ? r : 1;
}

/* The fd of path under rootfd, or -errno.  mkdirs: create missing directories
 * and return the O_PATH fd of the last one; flags and mode are then unused. */
static int walk_open(int rootfd, const char *path, int flags, mode_t mode, bool mkdirs)
{
	struct walk w = { 0 };
	char name[NAME_MAX + 1];
	const char *c;
	size_t n;
	int r, fd = -1;

	r = walk_init(&w, rootfd, path);
	while (r >= 0) {
		c = next_comp(&w.p, &n);
		if (!c) {
			if (mkdirs) {
				fd = w.dirs[--w.depth];
			} else {
				fd = openat(walk_cur(&w), ".", flags | O_CLOEXEC, mode);
				if (fd < 0)
					r = -errno;
			}
			break;
		}
		if (is_dot(c, n))
			continue;
		if (is_dotdot(c, n)) {
			walk_up(&w);
			continue;
		}
		if (n > NAME_MAX) {
			r = -ENAMETOOLONG;
			break;
		}
		memcpy(name, c, n);
		name[n] = '\0';
		if (!mkdirs && *w.p == '\0') {
			r = walk_last(&w, name, flags, mode, &fd);
			if (r == 0)
				break;
		} else {
			r = walk_step(&w, name, flags, only_slashes(w.p), mkdirs, mode);
		}
	}
	walk_free(&w);
	return r < 0 ? r : fd;
}

int c_path_open_in_root(int rootfd, const char *path, int flags, mode_t mode, c_err **err)
{
	int fd;

	if (!*path) {
		errno = ENOENT;
		return c_err_sys(err, "open", path);
	}
	if (!force_walk && !no_openat2) {
		fd = open_openat2(rootfd, path, flags, mode);
		if (fd >= 0)
			return fd;
		if (errno == ENOSYS || errno == E2BIG)
			no_openat2 = 1;
		else if (errno != EINVAL && errno != EAGAIN)
			return c_err_sys(err, "open", path);
	}
	fd = walk_open(rootfd, path, flags, mode, false);
	if (fd < 0) {
		errno = -fd;
		return c_err_sys(err, "open", path);
	}
	return fd;
}

int c_path_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, c_err **err)
{
	int fd;

	if (!*path) {
		errno = ENOENT;
		return c_err_sys(err, "mkdir", path);
	}
	fd = walk_open(rootfd, path, 0, mode, true);
	if (fd < 0) {
		errno = -fd;
		return c_err_sys(err, "mkdir", path);
	}
	return fd;
}
