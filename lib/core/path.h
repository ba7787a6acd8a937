/* path.h — paths that must stay inside a root: tar entries of an image layer,
 * mount targets in a rootfs, names in the image store.
 *
 * Two tools, for two kinds of trust:
 *
 *  - lexical: c_path_clean() and c_path_join_under() only look at the string.
 *    They are right when nothing on disk can be a symlink an attacker chose
 *    (names we are about to create, store paths we made ourselves).
 *    c_path_check_no_dotdot() refuses names that have no business climbing.
 *
 *  - resolving: c_path_open_in_root() and c_path_mkdir_p_in_root() look the
 *    path up on disk with the root fd acting as "/", as chroot(2) would: ".."
 *    stops at the root and absolute symlinks start again from it.  Use them
 *    whenever the tree may contain symlinks from an image.
 */
#ifndef C_PATH_H
#define C_PATH_H

#include <sys/types.h>

#include "err.h"

/* Most symlinks followed in one lookup, as the kernel's MAXSYMLINKS. */
#define C_PATH_MAX_SYMLINKS 40

/* The cleaned relative form of name: "." and empty components dropped, ".."
 * applied lexically and never above the top ("../a" is "a"), no leading or
 * trailing slash; "." when nothing is left.  *out is malloc'd. */
int c_path_clean(const char *name, char **out, c_err **err);

/* root + "/" + the cleaned name; root itself when the name cleans to ".".
 * root is trusted and kept as it is, bar trailing slashes; it must not be
 * empty.  *out is malloc'd. */
int c_path_join_under(const char *root, const char *name, char **out, c_err **err);

/* Refuses (C_EXIT_DATA) a name with a ".." component, the rule for archive
 * entries: "refuse path: NAME: '..' components are not allowed". */
int c_path_check_no_dotdot(const char *name, c_err **err);

/* openat(2) of path inside the tree of rootfd, resolved as if rootfd were "/":
 * "..", absolute paths and symlinks (absolute or relative) never leave it.
 * flags behave as with openat (O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY,
 * O_PATH, trailing slashes); O_CLOEXEC is always added.  O_CREAT through a
 * dangling symlink creates the target inside the root, as openat2's
 * RESOLVE_IN_ROOT does.  An empty path is ENOENT.
 *
 * Uses openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) where the kernel has
 * it and otherwise walks the path a component at a time.  The walk follows
 * procfs magic links as plain symlinks (their text, inside the root), and it
 * cannot notice a directory being renamed out of the root while it is inside
 * it, which openat2 does.  Returns the fd, or -1. */
int c_path_open_in_root(int rootfd, const char *path, int flags, mode_t mode, c_err **err);

/* mkdir -p of path inside the tree of rootfd, with the resolution of
 * c_path_open_in_root(): a symlink on the way is followed inside the root, and
 * a dangling one has its target created there.  New directories get mode
 * (less the umask).  Returns an O_PATH fd of the directory, or -1. */
int c_path_mkdir_p_in_root(int rootfd, const char *path, mode_t mode, c_err **err);

/* Test hook: non-zero makes c_path_open_in_root() use the component walk even
 * where openat2 works, so tests/unit/test-path.c covers both on one kernel.
 * Nothing else calls it. */
void c_path_test_force_walk(int on);

#endif
