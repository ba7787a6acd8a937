#include "tardir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"

#define DATA_CHUNK (1 << 20)
#define MAX_DEPTH 512

struct walker {
	struct c_tarout *out;
	struct archive_entry_linkresolver *links;
	char *buf; /* file data */
	char *xnames, *xval;
	size_t xnames_cap, xval_cap;
};

static bool xattr_kept(const char *name)
{
	static const char *const dropped[] = { "security.selinux", "system.", "trusted.overlay.",
					       "user.overlay." };

	for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
		if (!strncmp(name, dropped[i], strlen(dropped[i])))
			return false;
	return true;
}

/* listxattr or getxattr into a buffer grown to fit; fd when >= 0, else the
 * path without following it.  Returns the length, or -1 with errno. */
static ssize_t xattr_call(int fd, const char *path, const char *name, char **buf, size_t *cap)
{
	/* a size of 0 would ask for the size instead */
	if (!*cap) {
		*buf = malloc(1024);
		if (!*buf)
			return -1;
		*cap = 1024;
	}
	for (;;) {
		ssize_t n = name ? (fd >= 0 ? fgetxattr(fd, name, *buf, *cap)
					    : lgetxattr(path, name, *buf, *cap))
				 : (fd >= 0 ? flistxattr(fd, *buf, *cap) : llistxattr(path, *buf, *cap));
		char *p;

		if (n >= 0 || errno != ERANGE)
			return n;
		n = name ? (fd >= 0 ? fgetxattr(fd, name, NULL, 0) : lgetxattr(path, name, NULL, 0))
			 : (fd >= 0 ? flistxattr(fd, NULL, 0) : llistxattr(path, NULL, 0));
		if (n < 0)
			return -1;
		p = realloc(*buf, (size_t)n + 1);
		if (!p)
			return -1;
		*buf = p;
		*cap = (size_t)n + 1;
	}
}

static int add_xattrs(struct walker *w, struct archive_entry *e, int fd, const char *path,
		      c_err **err)
{
	ssize_t n = xattr_call(fd, path, NULL, &w->xnames, &w->xnames_cap);

	if (n < 0)
		return errno == ENOTSUP ? 0 : c_err_sys(err, "list xattrs", path);
	for (char *name = w->xnames; name < w->xnames + n; name += strlen(name) + 1) {
		ssize_t v;

		if (!xattr_kept(name))
			continue;
		v = xattr_call(fd, path, name, &w->xval, &w->xval_cap);
		if (v < 0 && errno == ENODATA) /* removed meanwhile */
			continue;
		if (v < 0)
			return c_err_new(err, C_EXIT_FAIL, errno, "read xattr %s: %s: %s", name, path,
					 strerror(errno));
		archive_entry_xattr_add_entry(e, name, w->xval, (size_t)v);
	}
	return 0;
}

static int copy_data(struct walker *w, int fd, int64_t size, const char *path, c_err **err)
{
	while (size > 0) {
		ssize_t n = read(fd, w->buf, size < DATA_CHUNK ? (size_t)size : DATA_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return c_err_sys(err, "read", path);
		if (n == 0)
			return c_err_new(err, C_EXIT_FAIL, 0, "read: %s: the file shrank while it was read",
					 path);
		if (c_tarout_data(w->out, w->buf, (size_t)n, err) < 0)
			return -1;
		size -= n;
	}
	return 0;
}

static int symlink_target(int dfd, const char *name, const struct stat *st, char **out,
			  const char *path, c_err **err)
{
	size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;

	for (;;) {
		char *t = malloc(cap);
		ssize_t n;

		if (!t)
			return c_err_sys(err, "read link", path);
		n = readlinkat(dfd, name, t, cap);
		if (n < 0) {
			free(t);
			return c_err_sys(err, "read link", path);
		}
		if ((size_t)n < cap) {
			t[n] = '\0';
			*out = t;
			return 0;
		}
		free(t);
		cap *= 2;
	}
}

static int walk_dir(struct walker *w, int dfd, const char *rel, const char *path, int depth,
		    c_err **err);

/* The entry for dfd/name: header, data, and for a directory its contents. */
static int add(struct walker *w, int dfd, const char *name, const char *rel, const char *path,
	       int depth, c_err **err)
{
	struct archive_entry *e = NULL, *spare = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *target = NULL, *entry_name = NULL;
	struct stat st;
	int rc = -1;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return c_err_sys(err, "stat", path);
	if (S_ISSOCK(st.st_mode))
		return 0;
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0)
			return c_err_sys(err, "open", path);
		/* what is read is what the header says */
		if (fstat(fd, &st) < 0)
			return c_err_sys(err, "stat", path);
	} else if (S_ISLNK(st.st_mode) && symlink_target(dfd, name, &st, &target, path, err) < 0) {
		return -1;
	}
	if (asprintf(&entry_name, "%s%s", rel, S_ISDIR(st.st_mode) ? "/" : "") < 0)
		return c_err_sys(err, "tar", path);
	e = archive_entry_new();
	if (!e)
		return c_err_sys(err, "tar", path);
	archive_entry_copy_pathname(e, entry_name);
	archive_entry_set_mode(e, st.st_mode);
	archive_entry_set_uid(e, st.st_uid);
	archive_entry_set_gid(e, st.st_gid);
	archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (S_ISREG(st.st_mode))
		archive_entry_set_size(e, st.st_size);
	if (S_ISLNK(st.st_mode))
		archive_entry_copy_symlink(e, target);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		archive_entry_set_rdev(e, st.st_rdev);
	/* what the link resolver tells hard links by */
	archive_entry_set_dev(e, st.st_dev);
	archive_entry_set_ino64(e, (la_int64_t)st.st_ino);
	archive_entry_set_nlink(e, (unsigned)st.st_nlink);
	if (!S_ISLNK(st.st_mode) && add_xattrs(w, e, fd, path, err) < 0)
		goto out;
	/* a later name of a file met before becomes a hard link to the first */
	archive_entry_linkify(w->links, &e, &spare);
	if (c_tarout_header(w->out, e, err) < 0)
		goto out;
	if (S_ISREG(st.st_mode) && !archive_entry_hardlink(e) &&
	    copy_data(w, fd, st.st_size, path, err) < 0)
		goto out;
	if (S_ISDIR(st.st_mode) && walk_dir(w, fd, rel, path, depth + 1, err) < 0)
		goto out;
	rc = 0;
out:
	archive_entry_free(e);
	archive_entry_free(spare);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted; *n of them, caller frees each. */
static int list_dir(int dfd, const char *path, char ***out, size_t *n, c_err **err)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	char **names = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*n = 0;
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return c_err_sys(err, "open directory", path);
	}
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (*n == cap) {
			char **p = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);

			if (!p)
				goto fail;
			names = p;
		}
		if (!(names[*n] = strdup(de->d_name)))
			goto fail;
		(*n)++;
	}
	if (errno)
		goto fail;
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof *names, by_name);
	*out = names;
	return 0;
fail:
	c_err_sys(err, "read directory", path);
	closedir(d);
	while (*n)
		free(names[--*n]);
	free(names);
	return -1;
}

static int walk_dir(struct walker *w, int dfd, const char *rel, const char *path, int depth,
		    c_err **err)
{
	char **names = NULL;
	size_t n;
	int rc = 0;

	if (depth > MAX_DEPTH)
		return c_err_new(err, C_EXIT_DATA, 0, "tar: %s: more than %d directories deep", path,
				 MAX_DEPTH);
	if (list_dir(dfd, path, &names, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *crel = NULL, *cpath = NULL;

		if (rc == 0 && (asprintf(&crel, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0 ||
				asprintf(&cpath, "%s/%s", path, names[i]) < 0)) {
			crel = NULL;
			rc = c_err_sys(err, "tar", path);
		}
		if (rc == 0)
			rc = add(w, dfd, names[i], crel, cpath, depth, err);
		free(crel);
		free(cpath);
		free(names[i]);
	}
	free(names);
	return rc;
}

int c_tar_dir(const char *dir, c_tar_sink sink, void *arg, c_err **err)
{
	struct walker w = { 0 };
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = -1;

	if (fd < 0)
		return c_err_sys(err, "open directory", dir);
	w.buf = malloc(DATA_CHUNK);
	w.links = archive_entry_linkresolver_new();
	if (!w.buf || !w.links) {
		c_err_sys(err, "tar", dir);
		goto out;
	}
	archive_entry_linkresolver_set_strategy(w.links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	w.out = c_tarout_new(sink, arg, err);
	if (w.out && walk_dir(&w, fd, "", dir, 0, err) == 0 && c_tarout_close(w.out, err) == 0)
		rc = 0;
out:
	c_tarout_free(w.out);
	if (w.links)
		archive_entry_linkresolver_free(w.links);
	free(w.buf);
	free(w.xnames);
	free(w.xval);
	return rc < 0 ? c_err_wrap(err, "tar %s", dir) : 0;
}
