/* file.h — whole-file reads with a size cap, and atomic writes.
 *
 * Nothing is written in place: c_write_file_atomic() writes a temp file in the
 * same directory, fsyncs it, renames it over the target and fsyncs the
 * directory, so a reader sees the old content or the new, never a mix, and a
 * crash leaves at worst a stray temp file (named ".NAME.tmp-XXXXXXXX"). */
#ifndef C_FILE_H
#define C_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Write all of buf, retrying short writes and EINTR.  Sets errno on failure. */
int c_write_all(int fd, const void *buf, size_t len);

/* Read all of path (relative to dirfd, AT_FDCWD for cwd) into a NUL-terminated
 * buffer of at most max bytes; a larger file is an error (C_EXIT_DATA) that
 * names the path and the cap. */
int c_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		   c_err **err);
int c_read_file(const char *path, size_t max, char **out, size_t *len, c_err **err);
/* The same from an open fd; path names it in errors. */
int c_read_fd(int fd, const char *path, size_t max, char **out, size_t *len, c_err **err);

/* Replace dirfd/name with data, mode as given (not masked by umask). */
int c_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len,
			   mode_t mode, c_err **err);
int c_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			c_err **err);

/* The same, atomic for readers but without the fsyncs: for runtime state
 * (c-run's under /run), which does not outlive the boot it describes, so
 * a crash that loses the write loses what it was about too.  On a /run on
 * disk the fsyncs cost milliseconds a container. */
int c_write_file_volatile(const char *path, const void *data, size_t len, mode_t mode,
			  c_err **err);

/* Open a new temp file beside dirfd/name for the caller to fill; *tmpname
 * (caller frees) is then given to c_commit_temp_at() or unlinked. */
int c_open_temp_at(int dirfd, const char *name, mode_t mode, char **tmpname, c_err **err);

/* fsync fd, rename dirfd/tmpname over dirfd/name, fsync the directory.
 * Closes fd.  On failure the temp file is removed. */
int c_commit_temp_at(int dirfd, int fd, const char *tmpname, const char *name, c_err **err);

/* fsync a directory so that a rename or create in it is durable. */
int c_fsync_dir_at(int dirfd, const char *path, c_err **err);

/* mkdir -p: the missing parents of path 0755 (less the umask, as mkdir(2)
 * makes them), path itself mode (as given, not masked by the umask, when
 * this call makes it).  An existing directory is
 * fine, anything else in the way is ENOTDIR; errors name the directory
 * that could not be made. */
int c_mkdir_p(const char *path, mode_t mode, c_err **err);

/* rm -rf of a temp tree of our own, symlinks not followed; best effort:
 * what cannot be removed stays for the user to see. */
void c_remove_tree(const char *path);

#endif
