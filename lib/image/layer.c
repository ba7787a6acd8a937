#include "layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "inflate.h"
#include "path.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* Paths this layer added, for opaque directories: they keep what the same
 * layer puts in them.  Open addressing, grown at half full. */
struct strset {
	char **slot;
	size_t cap, len;
};

/* A directory's times, and when not root its mode, set once nothing more is
 * made in it: a mode without owner write (0555) would stop us adding its
 * contents, and we have no CAP_DAC_OVERRIDE then. */
struct dirtime {
	char *path;
	struct timespec ts[2];
	mode_t mode; /* 0: keep */
};

struct applier {
	int rootfd;
	struct c_layer_opts o;
	struct archive *a;
	/* the stream, inflated and hashed in a thread of its own a few chunks
	 * ahead of the thread making files (c_inflate_ahead) */
	struct c_inflate *z;
	struct c_hasher h;
	int64_t size;    /* bytes of the stream so far */
	c_err *read_err; /* why the read callback failed */
	bool refused;    /* the error is a complete refusal line */
	char *cache_path; /* the last parent directory, and its O_PATH fd */
	int cache_fd;
	struct strset added;
	struct dirtime *dirs;
	size_t ndirs, capdirs;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static char **set_find(struct strset *s, const char *key)
{
	size_t i = hash_str(key) & (s->cap - 1);

	while (s->slot[i] && strcmp(s->slot[i], key))
		i = (i + 1) & (s->cap - 1);
	return &s->slot[i];
}

static bool set_has(struct strset *s, const char *key)
{
	return s->cap && *set_find(s, key);
}

static int set_add(struct strset *s, const char *key, c_err **err)
{
	char **p;

	if (2 * (s->len + 1) > s->cap) {
		struct strset n = { calloc(s->cap ? 2 * s->cap : 1024, sizeof(char *)),
				    s->cap ? 2 * s->cap : 1024, s->len };

		if (!n.slot)
			return c_err_sys(err, "allocate", "path set");
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i])
				*set_find(&n, s->slot[i]) = s->slot[i];
		free(s->slot);
		*s = n;
	}
	p = set_find(s, key);
	if (*p)
		return 0;
	*p = strdup(key);
	if (!*p)
		return c_err_sys(err, "allocate", "path set");
	s->len++;
	return 0;
}

static void set_free(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
}

static int refuse(struct applier *ap, c_err **err, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(struct applier *ap, c_err **err, const char *name, const char *fmt, ...)
{
	char rule[512];
	va_list va;

	va_start(va, fmt);
	vsnprintf(rule, sizeof(rule), fmt, va);
	va_end(va);
	ap->refused = true;
	return c_err_new(err, C_EXIT_DATA, 0, "refuse layer entry \"%s\": %s", name, rule);
}

/* The name an entry means inside the root: leading "/" and "./" dropped as
 * docker does, ".." refused, then cleaned; "." for the root itself. */
static int entry_path(struct applier *ap, const char *entry, const char *raw,
		      const char *what, char **out, c_err **err)
{
	const char *s = raw;
	c_err *e = NULL;

	while (*s == '/' || (s[0] == '.' && s[1] == '/'))
		s += *s == '/' ? 1 : 2;
	if (c_path_check_no_dotdot(s, &e) < 0) {
		c_err_free(&e);
		return refuse(ap, err, entry, "%s'..' components are not allowed", what);
	}
	return c_path_clean(*s ? s : ".", out, err);
}

/* Split a cleaned path into its parent ("." at the top) and last component;
 * modifies path. */
static void split(char *path, const char **parent, const char **base)
{
	char *slash = strrchr(path, '/');

	if (!slash) {
		*parent = ".";
		*base = path;
		return;
	}
	*slash = '\0';
	*parent = path;
	*base = slash + 1;
}

static void cache_drop(struct applier *ap)
{
	if (ap->cache_fd >= 0 && ap->cache_fd != ap->rootfd)
		close(ap->cache_fd);
	ap->cache_fd = -1;
	free(ap->cache_path);
	ap->cache_path = NULL;
}

/* Forget the cached parent when path is it or one of its ancestors: the
 * entry may replace or delete it. */
static void cache_invalidate(struct applier *ap, const char *path)
{
	size_t n = strlen(path);

	if (!ap->cache_path)
		return;
	if (!strcmp(path, ".") ||
	    (!strncmp(ap->cache_path, path, n) &&
	     (ap->cache_path[n] == '\0' || ap->cache_path[n] == '/')))
		cache_drop(ap);
}

static int remember_dir(struct applier *ap, const struct timespec ts[2], mode_t mode,
			const char *path, c_err **err);

/* Not root: a directory of an earlier layer without owner write (0555) gets
 * it for as long as this layer runs, its mode and times restored at the
 * end. */
static int writable_for_us(struct applier *ap, int fd, const char *path, c_err **err)
{
	_cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct timespec ts[2];
	struct stat st;

	if (dfd < 0 || fstat(dfd, &st) < 0)
		return c_err_sys(err, "open", path);
	if ((st.st_mode & 0700) == 0700)
		return 0;
	if (fchmod(dfd, (st.st_mode & 07777) | 0700) < 0)
		return c_err_sys(err, "chmod", path);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	return remember_dir(ap, ts, st.st_mode & 07777, path, err);
}

/* An fd of the parent directory, resolved inside the root and made when
 * missing; owned by the cache. */
static int parent_fd(struct applier *ap, const char *parent, c_err **err)
{
	int fd;

	if (!strcmp(parent, "."))
		return ap->rootfd;
	if (ap->cache_path && !strcmp(ap->cache_path, parent))
		return ap->cache_fd;
	fd = c_path_mkdir_p_in_root(ap->rootfd, parent, 0755, err);
	if (fd < 0 || (!ap->o.root && writable_for_us(ap, fd, parent, err) < 0)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	cache_drop(ap);
	ap->cache_path = strdup(parent);
	if (!ap->cache_path) {
		close(fd);
		return c_err_sys(err, "allocate", parent);
	}
	ap->cache_fd = fd;
	return fd;
}

/* An existing directory inside the root, or -1 with errno; no error made. */
static int open_dir(struct applier *ap, const char *path, int flags)
{
	c_err *e = NULL;
	int fd;

	if (!strcmp(path, "."))
		return openat(ap->rootfd, ".", flags | O_DIRECTORY | O_CLOEXEC);
	fd = c_path_open_in_root(ap->rootfd, path, flags | O_DIRECTORY, 0, &e);
	if (fd < 0) {
		errno = e ? e->errnum : EIO;
		c_err_free(&e);
	}
	return fd;
}

static int rm_rf(int dirfd, const char *name, const char *what, c_err **err);

static int empty_dir(int fd, const char *what, c_err **err)
{
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	struct dirent *d;
	DIR *dir;
	int ret = 0;

	if (dfd < 0)
		return c_err_sys(err, "dup", what);
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return c_err_sys(err, "opendir", what);
	}
	while ((errno = 0, d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (rm_rf(fd, d->d_name, what, err) < 0) {
			ret = -1;
			break;
		}
	}
	if (!ret && errno)
		ret = c_err_sys(err, "readdir", what);
	closedir(dir);
	return ret;
}

/* Remove dirfd/name, recursively, never following a symlink. */
static int rm_rf(int dirfd, const char *name, const char *what, c_err **err)
{
	struct stat st;
	int fd, ret;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return c_err_sys(err, "stat", what);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return c_err_sys(err, "unlink", what);
		return 0;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return c_err_sys(err, "open", what);
	ret = empty_dir(fd, what, err);
	close(fd);
	if (ret < 0)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		return c_err_sys(err, "rmdir", what);
	return 0;
}

/* Clear the place of a new entry; 1 when an existing directory stays
 * because the entry is one too. */
static int make_room(int pfd, const char *base, bool keep_dir, const char *what, c_err **err)
{
	struct stat st;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return c_err_sys(err, "stat", what);
	}
	if (keep_dir && S_ISDIR(st.st_mode))
		return 1;
	return rm_rf(pfd, base, what, err);
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
}

static bool xattr_wanted(const struct applier *ap, const char *name)
{
	if (!strncmp(name, "trusted.overlay.", 16) || !strncmp(name, "user.overlay.", 13))
		return false;
	return ap->o.root || !strncmp(name, "user.", 5);
}

/* Owner, mode, xattrs (after chown, which drops security.capability), and
 * for non-directories the times, on an open fd. */
static int meta_fd(struct applier *ap, struct archive_entry *e, int fd, bool times,
		   const char *what, c_err **err)
{
	const char *name;
	const void *val;
	size_t size;
	struct timespec ts[2];

	if (ap->o.root && fchown(fd, archive_entry_uid(e), archive_entry_gid(e)) < 0)
		return c_err_sys(err, "chown", what);
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return c_err_sys(err, "chmod", what);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
		if (!xattr_wanted(ap, name))
			continue;
		if (fsetxattr(fd, name, val, size, 0) < 0 && errno != ENOTSUP)
			return c_err_new(err, C_EXIT_FAIL, errno, "set xattr %s: %s: %s", name,
					 what, strerror(errno));
	}
	if (!times)
		return 0;
	entry_times(e, ts);
	if (futimens(fd, ts) < 0)
		return c_err_sys(err, "set times", what);
	return 0;
}

/* Owner, mode and times of something we cannot open: a symlink (no mode)
 * or a node just made under pfd. */
static int meta_at(struct applier *ap, struct archive_entry *e, int pfd, const char *base,
		   bool chmod_too, const char *what, c_err **err)
{
	struct timespec ts[2];

	if (ap->o.root && fchownat(pfd, base, archive_entry_uid(e), archive_entry_gid(e),
				   AT_SYMLINK_NOFOLLOW) < 0)
		return c_err_sys(err, "chown", what);
	/* fchmodat follows a symlink, but base is the node made just now. */
	if (chmod_too && fchmodat(pfd, base, archive_entry_perm(e) & 07777, 0) < 0)
		return c_err_sys(err, "chmod", what);
	entry_times(e, ts);
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return c_err_sys(err, "set times", what);
	return 0;
}

static int write_data(struct applier *ap, struct archive_entry *e, int fd, const char *what,
		      c_err **err)
{
	const void *buf;
	size_t size;
	la_int64_t off, end = 0;
	ssize_t n;
	int r;

	/* Sparse entries come as blocks at offsets: skipping is a hole. */
	while ((r = archive_read_data_block(ap->a, &buf, &size, &off)) == ARCHIVE_OK) {
		while (size) {
			n = pwrite(fd, buf, size, off);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return c_err_sys(err, "write", what);
			}
			buf = (const char *)buf + n;
			size -= n;
			off += n;
		}
		if (off > end)
			end = off;
	}
	if (r != ARCHIVE_EOF)
		return -1; /* the caller reports the archive's error */
	if (archive_entry_size(e) > end && ftruncate(fd, archive_entry_size(e)) < 0)
		return c_err_sys(err, "truncate", what);
	return 0;
}

static int do_file(struct applier *ap, struct archive_entry *e, int pfd, const char *base,
		   const char *what, c_err **err)
{
	_cleanup_close_ int fd = -1;

	if (make_room(pfd, base, false, what, err) < 0)
		return -1;
	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return c_err_sys(err, "create", what);
	if (write_data(ap, e, fd, what, err) < 0)
		return -1;
	return meta_fd(ap, e, fd, true, what, err);
}

static int remember_dir(struct applier *ap, const struct timespec ts[2], mode_t mode,
			const char *path, c_err **err)
{
	struct dirtime *d;

	if (ap->ndirs == ap->capdirs) {
		size_t cap = ap->capdirs ? 2 * ap->capdirs : 256;

		d = realloc(ap->dirs, cap * sizeof(*d));
		if (!d)
			return c_err_sys(err, "allocate", "directory list");
		ap->dirs = d;
		ap->capdirs = cap;
	}
	d = &ap->dirs[ap->ndirs];
	d->path = strdup(path);
	if (!d->path)
		return c_err_sys(err, "allocate", path);
	d->ts[0] = ts[0];
	d->ts[1] = ts[1];
	d->mode = mode;
	ap->ndirs++;
	return 0;
}

static int do_dir(struct applier *ap, struct archive_entry *e, int pfd, const char *base,
		  const char *path, const char *what, c_err **err)
{
	_cleanup_close_ int fd = -1;
	struct timespec ts[2];
	mode_t mode;
	int kept = make_room(pfd, base, true, what, err);

	if (kept < 0)
		return -1;
	if (!kept && mkdirat(pfd, base, 0700) < 0)
		return c_err_sys(err, "mkdir", what);
	fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return c_err_sys(err, "open", what);
	if (meta_fd(ap, e, fd, false, what, err) < 0)
		return -1;
	mode = archive_entry_perm(e) & 07777;
	if (!ap->o.root && (mode & 0700) != 0700 && fchmod(fd, mode | 0700) < 0)
		return c_err_sys(err, "chmod", what);
	entry_times(e, ts);
	return remember_dir(ap, ts, ap->o.root ? 0 : mode, path, err);
}

static int do_symlink(struct applier *ap, struct archive_entry *e, int pfd, const char *base,
		      const char *what, c_err **err)
{
	const char *target = archive_entry_symlink(e);

	if (!target)
		return refuse(ap, err, archive_entry_pathname(e), "symlink without a target");
	if (make_room(pfd, base, false, what, err) < 0)
		return -1;
	if (symlinkat(target, pfd, base) < 0)
		return c_err_sys(err, "symlink", what);
	return meta_at(ap, e, pfd, base, false, what, err);
}

static int do_node(struct applier *ap, struct archive_entry *e, int pfd, const char *base,
		   const char *what, c_err **err)
{
	if (make_room(pfd, base, false, what, err) < 0)
		return -1;
	if (mknodat(pfd, base, archive_entry_filetype(e) | 0600, archive_entry_rdev(e)) < 0)
		return c_err_sys(err, "mknod", what);
	return meta_at(ap, e, pfd, base, true, what, err);
}

/* Overlay mode: the directory parent of this layer, made when missing as a
 * copy of the topmost lower layer's (owner, mode, times), parents first, so
 * the merged view of a copied-up file's parents does not change.  Returns
 * an fd of it, -1 on error, or -2 (no error made) when this layer has
 * something else than a directory on the way. */
static int copy_up_dirs(struct applier *ap, const char *parent, c_err **err)
{
	_cleanup_free_ char *prefix = strdup(parent);
	int fd = openat(ap->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *name = prefix;

	if (!prefix || fd < 0) {
		if (fd >= 0)
			close(fd);
		return c_err_sys(err, "copy up", parent);
	}
	while (strcmp(parent, ".") && name) {
		char *slash = strchr(name, '/');
		_cleanup_close_ int lower = -1;
		struct timespec ts[2];
		struct stat st;
		c_err *e = NULL;
		int next;

		if (slash)
			*slash = '\0';
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		for (size_t i = 0; next < 0 && errno == ENOENT && lower < 0 && i < ap->o.nlowers; i++) {
			lower = c_path_open_in_root(ap->o.lowers[i], prefix, O_RDONLY | O_DIRECTORY,
						    0, &e);
			c_err_free(&e);
		}
		if (lower >= 0) {
			if (fstat(lower, &st) < 0 || mkdirat(fd, name, st.st_mode & 07777) < 0 ||
			    (ap->o.root && fchownat(fd, name, st.st_uid, st.st_gid,
						    AT_SYMLINK_NOFOLLOW) < 0) ||
			    fchmodat(fd, name, st.st_mode & 07777, 0) < 0) {
				close(fd);
				return c_err_sys(err, "copy up", prefix);
			}
			ts[0] = st.st_atim;
			ts[1] = st.st_mtim;
			if (remember_dir(ap, ts, 0, prefix, err) < 0) {
				close(fd);
				return -1;
			}
			next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		close(fd);
		if (next < 0)
			return -2;
		fd = next;
		if (slash)
			*slash = '/';
		name = slash ? slash + 1 : NULL;
	}
	return fd;
}

/* Overlay mode: overlayfs links only within one layer, so a hardlink to a
 * file of a lower layer copies that file up into this layer at its own path
 * (as overlayfs's copy-up, and docker's overlay2 applier, would) and links
 * to the copy: the merged view shows one inode under both names, as copy
 * mode does.  Where this layer has a non-directory on the way to the
 * target, the link becomes a copy of its own instead. */
static int copy_from_lower(struct applier *ap, const char *target, int pfd, const char *base,
			   const char *what, c_err **err)
{
	_cleanup_free_ char *tsplit = strdup(target);
	_cleanup_close_ int in = -1, out = -1, tdir = -1;
	const char *tparent, *tbase;
	struct timespec ts[2];
	struct stat st;
	c_err *e = NULL;
	ssize_t n;

	if (!tsplit)
		return c_err_sys(err, "allocate", target);
	if (ap->o.wait_lowers && ap->o.wait_lowers(ap->o.wait_arg, err) < 0)
		return -1;
	ap->o.wait_lowers = NULL;
	for (size_t i = 0; i < ap->o.nlowers && in < 0; i++) {
		in = c_path_open_in_root(ap->o.lowers[i], target, O_RDONLY | O_NOFOLLOW, 0, &e);
		c_err_free(&e);
	}
	if (in < 0)
		return c_err_new(err, C_EXIT_DATA, ENOENT, "hardlink target %s", target);
	if (fstat(in, &st) < 0)
		return c_err_sys(err, "stat", target);
	if (!S_ISREG(st.st_mode))
		return c_err_new(err, C_EXIT_DATA, 0, "hardlink target %s: not a regular file",
				 target);
	split(tsplit, &tparent, &tbase);
	tdir = copy_up_dirs(ap, tparent, err);
	if (tdir == -1)
		return -1;
	if (tdir < 0) {
		tdir = fcntl(pfd, F_DUPFD_CLOEXEC, 0);
		tbase = base;
	}
	if (make_room(tdir, tbase, false, what, err) < 0)
		return -1;
	out = openat(tdir, tbase, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return c_err_sys(err, "copy up", target);
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n < 0)
		return c_err_sys(err, "copy up", target);
	if (ap->o.root && fchown(out, st.st_uid, st.st_gid) < 0)
		return c_err_sys(err, "chown", target);
	if (fchmod(out, st.st_mode & 07777) < 0)
		return c_err_sys(err, "chmod", target);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	if (futimens(out, ts) < 0)
		return c_err_sys(err, "set times", target);
	if (tbase == base)
		return 0;
	if (make_room(pfd, base, false, what, err) < 0)
		return -1;
	if (linkat(tdir, tbase, pfd, base, 0) < 0)
		return c_err_sys(err, "link", what);
	return 0;
}

static int do_hardlink(struct applier *ap, struct archive_entry *e, int pfd, const char *base,
		       const char *path, const char *what, c_err **err)
{
	const char *raw = archive_entry_pathname(e);
	_cleanup_free_ char *target = NULL, *tsplit = NULL;
	_cleanup_close_ int tfd = -1;
	const char *tparent, *tbase;
	struct stat st;
	char *msg;
	int ret;

	if (asprintf(&msg, "hardlink target \"%s\": ", archive_entry_hardlink(e)) < 0)
		return c_err_sys(err, "allocate", what);
	ret = entry_path(ap, raw, archive_entry_hardlink(e), msg, &target, err);
	free(msg);
	if (ret < 0)
		return -1;
	if (!strcmp(target, path))
		return 0;
	if (!strcmp(target, "."))
		return refuse(ap, err, raw, "hardlink to the root directory");
	tsplit = strdup(target);
	if (!tsplit)
		return c_err_sys(err, "allocate", what);
	split(tsplit, &tparent, &tbase);
	if (strcmp(tparent, "."))
		tfd = open_dir(ap, tparent, O_PATH);
	if ((tfd < 0 && strcmp(tparent, ".")) ||
	    fstatat(tfd >= 0 ? tfd : ap->rootfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT && ap->o.mode == C_LAYER_OVERLAY && ap->o.nlowers)
			return copy_from_lower(ap, target, pfd, base, what, err);
		return c_err_new(err, C_EXIT_DATA, errno, "hardlink target %s",
				 archive_entry_hardlink(e));
	}
	if (S_ISDIR(st.st_mode))
		return refuse(ap, err, raw, "hardlink to a directory");
	if (make_room(pfd, base, false, what, err) < 0)
		return -1;
	if (linkat(tfd >= 0 ? tfd : ap->rootfd, tbase, pfd, base, 0) < 0)
		return c_err_sys(err, "link", what);
	return 0;
}

/* Copy mode's opaque directory: remove what this layer did not add, also
 * below directories it did add (they hide the lower ones' contents). */
static int opaque_clear(struct applier *ap, int fd, const char *path, c_err **err)
{
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	struct dirent *d;
	struct stat st;
	char *child;
	DIR *dir;
	int ret = 0, cfd;

	if (dfd < 0)
		return c_err_sys(err, "dup", path);
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return c_err_sys(err, "opendir", path);
	}
	while (!ret && (errno = 0, d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (!strcmp(path, "."))
			child = strdup(d->d_name);
		else if (asprintf(&child, "%s/%s", path, d->d_name) < 0)
			child = NULL;
		if (!child) {
			ret = c_err_sys(err, "allocate", path);
			break;
		}
		if (!set_has(&ap->added, child)) {
			ret = rm_rf(fd, d->d_name, child, err);
		} else if (fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			   S_ISDIR(st.st_mode)) {
			cfd = openat(fd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0)
				ret = c_err_sys(err, "open", child);
			else
				ret = opaque_clear(ap, cfd, child, err);
			if (cfd >= 0)
				close(cfd);
		}
		free(child);
	}
	if (!ret && errno)
		ret = c_err_sys(err, "readdir", path);
	closedir(dir);
	return ret;
}

static int do_opaque(struct applier *ap, const char *parent, c_err **err)
{
	_cleanup_close_ int fd = -1;
	const char *name = ap->o.root ? "trusted.overlay.opaque" : "user.overlay.opaque";
	int pfd;

	cache_invalidate(ap, parent);
	if (ap->o.mode == C_LAYER_OVERLAY) {
		pfd = parent_fd(ap, parent, err);
		if (pfd < 0)
			return -1;
		fd = open_dir(ap, parent, O_RDONLY);
		if (fd < 0)
			return c_err_sys(err, "open", parent);
		if (fsetxattr(fd, name, "y", 1, 0) < 0)
			return c_err_new(err, C_EXIT_FAIL, errno, "set xattr %s: %s: %s", name,
					 parent, strerror(errno));
		return 0;
	}
	fd = open_dir(ap, parent, O_RDONLY);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : c_err_sys(err, "open", parent);
	return opaque_clear(ap, fd, parent, err);
}

static int do_whiteout(struct applier *ap, struct archive_entry *e, const char *parent,
		       const char *name, c_err **err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	int pfd;

	if (!strcmp(name, WH_OPAQUE + strlen(WH_PREFIX)))
		return do_opaque(ap, parent, err);
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return refuse(ap, err, archive_entry_pathname(e),
			      "whiteouts of \"\", \".\" or \"..\" are not allowed");
	if (!strcmp(parent, "."))
		path = strdup(name);
	else if (asprintf(&path, "%s/%s", parent, name) < 0)
		path = NULL;
	if (!path)
		return c_err_sys(err, "allocate", name);
	cache_invalidate(ap, path);
	if (ap->o.mode == C_LAYER_OVERLAY) {
		pfd = parent_fd(ap, parent, err);
		if (pfd < 0 || make_room(pfd, name, false, path, err) < 0)
			return -1;
		if (mknodat(pfd, name, S_IFCHR | 0000, makedev(0, 0)) < 0)
			return c_err_sys(err, "make whiteout", path);
		return 0;
	}
	/* Nothing to delete when the parent is missing or not a directory. */
	fd = open_dir(ap, parent, O_PATH);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : c_err_sys(err, "open", parent);
	return rm_rf(fd, name, path, err);
}

static int apply_entry(struct applier *ap, struct archive_entry *e, c_err **err)
{
	const char *raw = archive_entry_pathname(e), *parent, *base;
	_cleanup_free_ char *path = NULL, *split_path = NULL;
	mode_t type = archive_entry_filetype(e);
	int pfd;

	if (!raw || !*raw)
		return refuse(ap, err, "", "an entry needs a name");
	if (entry_path(ap, raw, raw, "", &path, err) < 0)
		return -1;
	if (!strcmp(path, "."))
		return 0;
	split_path = strdup(path);
	if (!split_path)
		return c_err_sys(err, "allocate", raw);
	split(split_path, &parent, &base);
	if (!strncmp(base, WH_PREFIX, strlen(WH_PREFIX)))
		return do_whiteout(ap, e, parent, base + strlen(WH_PREFIX), err);
	if (!archive_entry_hardlink(e)) {
		if ((type == AE_IFCHR || type == AE_IFBLK) && !ap->o.root)
			return refuse(ap, err, raw, "device nodes need root");
		if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK &&
		    type != AE_IFCHR && type != AE_IFBLK && type != AE_IFIFO)
			return refuse(ap, err, raw, "unsupported entry type 0%o", type);
	}
	cache_invalidate(ap, path);
	if (set_add(&ap->added, path, err) < 0)
		return -1;
	pfd = parent_fd(ap, parent, err);
	if (pfd < 0)
		return -1;
	if (archive_entry_hardlink(e))
		return do_hardlink(ap, e, pfd, base, path, path, err);
	switch (type) {
	case AE_IFREG:
		return do_file(ap, e, pfd, base, path, err);
	case AE_IFDIR:
		return do_dir(ap, e, pfd, base, path, path, err);
	case AE_IFLNK:
		return do_symlink(ap, e, pfd, base, path, err);
	default:
		return do_node(ap, e, pfd, base, path, err);
	}
}

/* Directories' times and modes, now that nothing more is made in them,
 * children first.  One that a later entry removed or replaced is skipped. */
static int apply_dir_times(struct applier *ap, c_err **err)
{
	for (size_t i = ap->ndirs; i-- > 0;) {
		int fd = open_dir(ap, ap->dirs[i].path, O_RDONLY | O_NOFOLLOW);

		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
				continue;
			return c_err_sys(err, "open", ap->dirs[i].path);
		}
		if (ap->dirs[i].mode && fchmod(fd, ap->dirs[i].mode) < 0) {
			c_err_sys(err, "chmod", ap->dirs[i].path);
			close(fd);
			return -1;
		}
		if (futimens(fd, ap->dirs[i].ts) < 0) {
			c_err_sys(err, "set times", ap->dirs[i].path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* libarchive's input: the decompressed stream, hashed on the way. */
static la_ssize_t read_cb(struct archive *a, void *data, const void **buf)
{
	struct applier *ap = data;
	ssize_t n = c_inflate_read(ap->z, buf, &ap->read_err);

	if (n < 0) {
		archive_set_error(a, EIO, "read failed");
		return -1;
	}
	ap->size += n;
	return n;
}

static int archive_fail(struct applier *ap, c_err **err)
{
	if (ap->read_err) {
		*err = ap->read_err;
		ap->read_err = NULL;
		return -1;
	}
	return c_err_new(err, C_EXIT_DATA, 0, "tar stream: %s",
			 archive_error_string(ap->a) ? archive_error_string(ap->a) : "unreadable");
}

static int read_entries(struct applier *ap, c_err **err)
{
	struct archive_entry *e;
	const void *buf;
	ssize_t n;
	int r;

	while ((r = archive_read_next_header(ap->a, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN)
			return archive_fail(ap, err);
		if (apply_entry(ap, e, err) < 0) {
			if (!*err)
				return archive_fail(ap, err);
			if (!ap->refused)
				c_err_wrap(err, "layer entry \"%s\"", archive_entry_pathname(e));
			return -1;
		}
	}
	/* The tar end marker may come before the end of the stream (padding);
	 * the diff_id covers every byte. */
	while ((n = c_inflate_read(ap->z, &buf, err)) > 0)
		ap->size += n;
	return n < 0 ? -1 : 0;
}

static void applier_free(struct applier *ap)
{
	cache_drop(ap);
	set_free(&ap->added);
	for (size_t i = 0; i < ap->ndirs; i++)
		free(ap->dirs[i].path);
	free(ap->dirs);
	c_err_free(&ap->read_err);
	if (ap->a)
		archive_read_free(ap->a);
	c_inflate_free(ap->z);
}

int c_layer_apply(int rootfd, int input_fd, enum c_compression comp,
		  const struct c_layer_opts *opts, struct c_digest *diff_id_out, c_err **err)
{
	struct applier ap = { .rootfd = rootfd, .cache_fd = -1 };
	struct c_digest got;
	int ret = -1;

	if (opts)
		ap.o = *opts;
	else
		ap.o.root = geteuid() == 0;
	c_hasher_init(&ap.h, C_DIGEST_SHA256);
	ap.z = ap.o.sniff ? c_inflate_new_sniffed(input_fd, NULL, err)
			  : c_inflate_new(input_fd, comp, err);
	if (!ap.z || c_inflate_ahead(ap.z, &ap.h, err) < 0)
		goto out;
	ap.a = archive_read_new();
	if (!ap.a) {
		c_err_new(err, C_EXIT_FAIL, ENOMEM, "tar reader: out of memory");
		goto out;
	}
	if (archive_read_support_format_tar(ap.a) != ARCHIVE_OK ||
	    archive_read_open(ap.a, &ap, NULL, read_cb, NULL) != ARCHIVE_OK) {
		archive_fail(&ap, err);
		goto out;
	}
	if (read_entries(&ap, err) < 0 || apply_dir_times(&ap, err) < 0)
		goto out;
	c_hasher_final(&ap.h, &got);
	if (diff_id_out)
		*diff_id_out = got;
	if (ap.o.size_out)
		*ap.o.size_out = ap.size;
	if (ap.o.diff_id && !c_digest_equal(ap.o.diff_id, &got)) {
		c_err_new(err, C_EXIT_DATA, 0, "diff_id mismatch: expected %s, got %s",
			  ap.o.diff_id->str, got.str);
		goto out;
	}
	ret = 0;
out:
	applier_free(&ap);
	return ret;
}
