/* tardir.h — a directory tree as a tar stream, the way a layer holds a root
 * filesystem: for c-image import DIR.
 *
 * Entries are named from the top of the tree without a leading "/" or
 * "./" ("etc/passwd", directories with a trailing "/": "etc/"), the top
 * itself left out, in a fixed order (each directory's names sorted
 * bytewise, a directory before its contents), so that the same tree gives
 * the same tar.  Each keeps its type (files, directories, symlinks, hard
 * links to a file met before, character and block devices, fifos; sockets
 * are left out), numeric owner and group (no names), mode with the setuid,
 * setgid and sticky bits, modification time with nanoseconds, and extended
 * attributes of files and directories (security.capability, user.*,
 * trusted.*), bar those an image must not carry from the host:
 * security.selinux (a label of this machine), system.* (ACLs) and the
 * overlay namespaces (trusted.overlay.*, user.overlay.*).  Nothing is
 * followed: a symlink is stored as one.
 *
 * Errors name the path: "tar DIR: read: DIR/etc/shadow: Permission denied";
 * a file that shrinks while it is read is an error too.
 */
#ifndef C_TARDIR_H
#define C_TARDIR_H

#include "err.h"
#include "tarstream.h"

int c_tar_dir(const char *dir, c_tar_sink sink, void *arg, c_err **err);

#endif
