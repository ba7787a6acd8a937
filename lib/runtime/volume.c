#include "volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "rand.h"
#include "file.h"
#include "lock.h"
#include "path.h"

#define FILL_PREFIX ".fill-"

/* ---- the tree copy ------------------------------------------------------------ */

/* A file with more than one link, by its source inode, and where its first
 * copy went (relative to the top of the copy). */
struct link {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct copier {
	bool root;	 /* chown, device nodes, every xattr namespace */
	dev_t dev;	 /* the top's filesystem: no other is entered */
	int dsttop;	 /* the new top directory, for hardlinks */
	void *links;	 /* tsearch tree of struct link */
	const char *what; /* the top in messages */
	char rel[PATH_MAX]; /* the entry being copied, relative to the top */
	char msg[PATH_MAX + 256]; /* what/rel, for messages */
};

static int link_cmp(const void *a, const void *b)
{
	const struct link *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void link_free(void *p)
{
	struct link *l = p;

	free(l->path);
	free(l);
}

/* The entry in messages: "what/rel". */
static const char *shown(struct copier *c)
{
	snprintf(c->msg, sizeof c->msg, "%s%s%s", c->what, c->rel[0] ? "/" : "", c->rel);
	return c->msg;
}

static int fail(struct copier *c, c_err **err, const char *verb)
{
	return c_err_sys(err, verb, shown(c));
}

static bool xattr_wanted(const struct copier *c, const char *name)
{
	if (!strncmp(name, "trusted.overlay.", 16) || !strncmp(name, "user.overlay.", 13))
		return false;
	return c->root || !strncmp(name, "user.", 5);
}

static int copy_xattrs(struct copier *c, int in, int out, c_err **err)
{
	_cleanup_free_ char *names = NULL, *val = NULL;
	ssize_t len = flistxattr(in, NULL, 0), vcap = 0;

	if (len < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
		return 0;
	if (len < 0)
		return fail(c, err, "list xattrs of");
	if (len == 0)
		return 0;
	names = malloc((size_t)len);
	if (!names)
		return fail(c, err, "list xattrs of");
	/* A list that grew since it was measured: ERANGE, as any error. */
	len = flistxattr(in, names, (size_t)len);
	if (len < 0)
		return fail(c, err, "list xattrs of");
	for (char *n = names; n < names + len; n += strlen(n) + 1) {
		ssize_t vlen;

		if (!xattr_wanted(c, n))
			continue;
		vlen = fgetxattr(in, n, NULL, 0);
		if (vlen < 0 && errno == ENODATA) /* removed meanwhile */
			continue;
		if (vlen < 0)
			return c_err_new(err, C_EXIT_FAIL, errno, "read xattr %s: %s: %s", n,
					 shown(c), strerror(errno));
		if (vlen > vcap) {
			char *bigger = realloc(val, (size_t)vlen);

			if (!bigger)
				return fail(c, err, "read xattrs of");
			val = bigger;
			vcap = vlen;
		}
		vlen = fgetxattr(in, n, val, (size_t)vlen);
		if (vlen < 0)
			return c_err_new(err, C_EXIT_FAIL, errno, "read xattr %s: %s: %s", n,
					 shown(c), strerror(errno));
		if (fsetxattr(out, n, val, (size_t)vlen, 0) < 0 && errno != ENOTSUP &&
		    errno != EOPNOTSUPP)
			return c_err_new(err, C_EXIT_FAIL, errno, "set xattr %s: %s: %s", n,
					 shown(c), strerror(errno));
	}
	return 0;
}

/* Owner, mode, xattrs and times of st onto the open out; chown first, as it
 * clears the setuid bits and security.capability. */
static int meta_fd(struct copier *c, int in, int out, const struct stat *st, c_err **err)
{
	const struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (c->root && fchown(out, st->st_uid, st->st_gid) < 0)
		return fail(c, err, "chown");
	if (fchmod(out, st->st_mode & 07777) < 0)
		return fail(c, err, "chmod");
	if (copy_xattrs(c, in, out, err) < 0)
		return -1;
	if (futimens(out, ts) < 0)
		return fail(c, err, "set times of");
	return 0;
}

/* The same for a symlink or node just made as dirfd/name, which cannot be
 * opened for it. */
static int meta_at(struct copier *c, int dirfd, const char *name, const struct stat *st,
		   c_err **err)
{
	const struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (c->root && fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(c, err, "chown");
	/* fchmodat follows symlinks: nodes only, made just now */
	if (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0)
		return fail(c, err, "chmod");
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(c, err, "set times of");
	return 0;
}

/* copy_file_range(2) where the kernel can (one filesystem), sendfile(2)
 * between two: from an overlay root into a volume on ext4, say. */
static int copy_data(int in, int out)
{
	bool range = true;

	for (;;) {
		ssize_t n = range ? copy_file_range(in, NULL, out, NULL, 1 << 30, 0)
				  : sendfile(out, in, NULL, 1 << 30);

		if (n > 0)
			continue;
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (!range || (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
			       errno != EOPNOTSUPP))
			return -1;
		range = false;
	}
}

/* A hardlink to the first copy of st's inode, when there is one: 1 when
 * linked, 0 when this is the first (remembered), -1 on error. */
static int hardlink(struct copier *c, int dstdir, const char *name, const struct stat *st,
		    c_err **err)
{
	struct link key = { st->st_dev, st->st_ino, NULL }, *l, **found;

	found = tfind(&key, &c->links, link_cmp);
	if (found) {
		if (linkat(c->dsttop, (*found)->path, dstdir, name, 0) < 0)
			return fail(c, err, "link");
		return 1;
	}
	l = malloc(sizeof *l);
	if (!l || !(l->path = strdup(c->rel))) {
		free(l);
		return fail(c, err, "remember the links of");
	}
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	if (!tsearch(l, &c->links, link_cmp)) {
		link_free(l);
		return fail(c, err, "remember the links of");
	}
	return 0;
}

static int copy_file(struct copier *c, int srcdir, int dstdir, const char *name,
		     const struct stat *lst, c_err **err)
{
	_cleanup_close_ int in = -1, out = -1;
	struct stat st;
	int linked = 0;

	/* O_NONBLOCK: a FIFO swapped in since the stat does not hang us. */
	in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in < 0)
		return fail(c, err, "open");
	if (fstat(in, &st) < 0)
		return fail(c, err, "stat");
	if (!S_ISREG(st.st_mode) || st.st_ino != lst->st_ino) {
		errno = EAGAIN;
		return fail(c, err, "copy (it changed meanwhile)");
	}
	if (st.st_nlink > 1 && (linked = hardlink(c, dstdir, name, &st, err)) != 0)
		return linked < 0 ? -1 : 0;
	out = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return fail(c, err, "create");
	if (copy_data(in, out) < 0)
		return fail(c, err, "copy");
	return meta_fd(c, in, out, &st, err);
}

static int copy_symlink(struct copier *c, int srcdir, int dstdir, const char *name,
			const struct stat *st, c_err **err)
{
	size_t cap = (size_t)st->st_size + 1;
	_cleanup_free_ char *target = malloc(cap);
	ssize_t n;

	if (!target)
		return fail(c, err, "read link");
	n = readlinkat(srcdir, name, target, cap);
	if (n < 0)
		return fail(c, err, "read link");
	if ((size_t)n == cap) {
		errno = EAGAIN;
		return fail(c, err, "read link (it changed meanwhile)");
	}
	target[n] = '\0';
	if (symlinkat(target, dstdir, name) < 0)
		return fail(c, err, "symlink");
	return meta_at(c, dstdir, name, st, err);
}

static int copy_node(struct copier *c, int dstdir, const char *name, const struct stat *st,
		     c_err **err)
{
	if (!c->root && !S_ISFIFO(st->st_mode))
		return 0; /* only root makes devices */
	if (mknodat(dstdir, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
		return fail(c, err, "mknod");
	return meta_at(c, dstdir, name, st, err);
}

static int copy_dir(struct copier *c, int in, int out, c_err **err);

static int copy_subdir(struct copier *c, int srcdir, int dstdir, const char *name, c_err **err)
{
	_cleanup_close_ int in = -1, out = -1;

	in = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return fail(c, err, "open");
	/* Owner-only until the contents are in and the real mode is set. */
	if (mkdirat(dstdir, name, 0700) < 0)
		return fail(c, err, "mkdir");
	out = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (out < 0)
		return fail(c, err, "open");
	return copy_dir(c, in, out, err);
}

static int copy_entry(struct copier *c, int srcdir, int dstdir, const char *name, c_err **err)
{
	struct stat st;

	if (fstatat(srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(c, err, "stat");
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		return copy_subdir(c, srcdir, dstdir, name, err);
	case S_IFREG:
		return copy_file(c, srcdir, dstdir, name, &st, err);
	case S_IFLNK:
		return copy_symlink(c, srcdir, dstdir, name, &st, err);
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		return copy_node(c, dstdir, name, &st, err);
	default:
		return 0; /* sockets: they mean nothing without their process */
	}
}

/* The entries of in into out, then in's own metadata onto out. */
static int copy_dir(struct copier *c, int in, int out, c_err **err)
{
	size_t len = strlen(c->rel);
	struct stat st;
	struct dirent *e;
	DIR *d;
	int r = 0, fd;

	if (fstat(in, &st) < 0)
		return fail(c, err, "stat");
	if (st.st_dev != c->dev)
		return meta_fd(c, in, out, &st, err);
	fd = openat(in, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return fail(c, err, "read directory");
	}
	for (errno = 0; r == 0 && (e = readdir(d)); errno = 0) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(c->rel + len, sizeof c->rel - len, "%s%s", len ? "/" : "",
				     e->d_name) >= sizeof c->rel - len) {
			errno = ENAMETOOLONG;
			r = fail(c, err, "copy");
		} else {
			r = copy_entry(c, in, out, e->d_name, err);
		}
		c->rel[len] = '\0';
	}
	if (r == 0 && errno)
		r = fail(c, err, "read directory");
	closedir(d);
	return r < 0 ? -1 : meta_fd(c, in, out, &st, err);
}

int c_copy_tree(int srcfd, int dstdirfd, const char *name, const char *what, c_err **err)
{
	struct copier *c = calloc(1, sizeof *c);
	struct stat st;
	int r = -1;

	if (!c)
		return c_err_sys(err, "copy", what);
	c->root = geteuid() == 0;
	c->what = what;
	c->dsttop = -1;
	if (fstat(srcfd, &st) < 0) {
		fail(c, err, "stat");
		goto out;
	}
	c->dev = st.st_dev;
	if (mkdirat(dstdirfd, name, 0700) < 0) {
		c_err_sys(err, "mkdir", name);
		goto out;
	}
	c->dsttop = openat(dstdirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->dsttop < 0) {
		c_err_sys(err, "open", name);
		goto out;
	}
	r = copy_dir(c, srcfd, c->dsttop, err);
out:
	if (c->dsttop >= 0)
		close(c->dsttop);
	tdestroy(c->links, link_free);
	free(c);
	return r;
}

/* ---- filling a volume --------------------------------------------------------- */

/* 1 when the directory dirfd/name has no entries, 0 when it has. */
static int is_empty(int dirfd, const char *name, const char *shown, c_err **err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	int empty = 1;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return c_err_sys(err, "read directory", shown);
	}
	for (errno = 0; empty && (e = readdir(d)); errno = 0)
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	if (empty && errno) {
		c_err_sys(err, "read directory", shown);
		empty = -1;
	}
	closedir(d);
	return empty;
}

/* Temp copies a crash left beside the volume; we hold its lock, so no one
 * is writing them. */
static void remove_stale(int dirfd, const char *dir)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		_cleanup_free_ char *path = NULL;

		if (strncmp(e->d_name, FILL_PREFIX, strlen(FILL_PREFIX)))
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			path = NULL;
			break;
		}
		c_remove_tree(path);
	}
	closedir(d);
}

/* Docker's copy of the ownership when there are no files to copy. */
static int take_owner(int dirfd, const char *base, const char *data, int src, c_err **err)
{
	_cleanup_close_ int fd = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(src, &st) < 0)
		return c_err_sys(err, "open", data);
	if ((geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) < 0) ||
	    fchmod(fd, st.st_mode & 07777) < 0)
		return c_err_sys(err, "set the owner and mode of", data);
	return 0;
}

/* Copy src beside data and rename the copy over it. */
static int fill(int dirfd, const char *dir, const char *base, const char *data, int src,
		const char *what, c_err **err)
{
	char tmp[sizeof FILL_PREFIX + 8], rnd[9];
	_cleanup_free_ char *path = NULL;
	int r = -1;

	if (c_rand_hex(rnd, 4) < 0)
		return c_err_sys(err, "getrandom", NULL);
	snprintf(tmp, sizeof tmp, FILL_PREFIX "%s", rnd);
	if (asprintf(&path, "%s/%s", dir, tmp) < 0) {
		path = NULL;
		return c_err_sys(err, "copy into", dir);
	}
	if (c_copy_tree(src, dirfd, tmp, what, err) < 0)
		goto out;
	/* The copy's data on disk before its name: a crash after the rename
	 * must not leave a volume of empty files. */
	if (syncfs(dirfd) < 0) {
		c_err_sys(err, "sync", path);
		goto out;
	}
	if (renameat(dirfd, tmp, dirfd, base) == 0)
		return c_fsync_dir_at(dirfd, ".", err);
	/* ENOTEMPTY: someone not holding the lock wrote into the volume
	 * first; it is not empty any more, so it is not filled. */
	r = errno == ENOTEMPTY || errno == EEXIST ? 0 : c_err_sys(err, "rename over", data);
out:
	c_remove_tree(path);
	return r;
}

static int fill_locked(int dirfd, const char *dir, const char *base, const char *data,
		       int rootfd, const char *rel, c_err **err)
{
	_cleanup_free_ char *what = NULL;
	_cleanup_close_ int src = -1;
	c_err *mine = NULL;
	int empty = is_empty(dirfd, base, data, err);

	if (empty <= 0)
		return empty;
	remove_stale(dirfd, dir);
	src = c_path_open_in_root(rootfd, rel, O_RDONLY | O_DIRECTORY, 0, &mine);
	if (src < 0 && (mine->errnum == ENOENT || mine->errnum == ENOTDIR)) {
		c_err_free(&mine);
		return 0;
	}
	if (src < 0) {
		*err = c_steal_ptr(&mine);
		return -1;
	}
	if (asprintf(&what, "/%s", rel) < 0) {
		what = NULL;
		return c_err_sys(err, "copy", rel);
	}
	empty = is_empty(src, ".", what, err);
	if (empty < 0)
		return -1;
	if (empty)
		return take_owner(dirfd, base, data, src, err);
	return fill(dirfd, dir, base, data, src, what, err);
}

int c_volume_fill(const char *name, const char *data, int rootfd, const char *rel, c_err **err)
{
	const char *slash = strrchr(data, '/');
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dirfd = -1;
	int lock, r;

	if (!slash || slash == data || !slash[1]) {
		c_err_new(err, C_EXIT_FAIL, EINVAL, "volume directory %s: not an absolute path",
			  data);
		return c_err_wrap(err, "volume %s", name);
	}
	dir = strndup(data, (size_t)(slash - data));
	dirfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dirfd < 0) {
		c_err_sys(err, "open", dir ? dir : data);
		return c_err_wrap(err, "volume %s", name);
	}
	lock = c_lock_at(dirfd, "lock", 0, err);
	if (lock < 0)
		return c_err_wrap(err, "volume %s", name);
	r = fill_locked(dirfd, dir, slash + 1, data, rootfd, rel, err);
	c_unlock(lock);
	if (r < 0)
		return c_err_wrap(err, "volume %s: copy the image's /%s", name, rel);
	return 0;
}
