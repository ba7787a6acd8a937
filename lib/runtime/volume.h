/* volume.h — a named volume's first content, copied from the image as
 * docker does: `-v NAME:/dst` over a path where the image has files makes
 * the volume start with them, and a volume that already has content keeps
 * it (docker copies only into an empty volume; `nocopy` turns the copy off
 * at the front, lib/runopts.h).
 *
 * c_copy_tree() is the copy: a directory's tree into a new directory, with
 * owners (as root), modes (setuid, setgid and sticky bits too), times
 * (directories' after their contents), symlinks as they are, hardlinks
 * within the tree as hardlinks, device nodes and FIFOs (as root), and
 * extended attributes of files and directories (all as root, user.*
 * otherwise) bar overlayfs's own ("trusted.overlay.", "user.overlay.").
 * Sockets are skipped, as tar skips them.  Nothing is followed: a symlink
 * is copied, never read through, and a directory on another filesystem
 * than the top (a mount point inside the tree) is copied empty.
 *
 * c_volume_fill() puts such a copy in place of an empty volume directory
 * DATA (.../volumes/NAME/_data), so that no one ever sees it half filled:
 * under the lock file DATA/../lock it checks that DATA is still empty,
 * copies into a temp directory beside it (DATA/../.fill-XXXXXXXX), syncs
 * the filesystem and renames the copy over the empty DATA.  Two containers
 * starting on one new volume copy once: the second finds it filled.  Temp
 * directories a crash left are removed under the lock.  When the image's
 * directory is empty, DATA stays and only takes its owner and mode (docker's
 * copy of the ownership), so a container that is using the empty volume
 * keeps it.
 *
 * Errors name the volume and the path in the image:
 *     volume cache: copy /var/cache/apt/archives/lock from the image: Permission denied
 */
#ifndef C_VOLUME_H
#define C_VOLUME_H

#include "err.h"

/* Copy the tree of the directory srcfd (opened O_RDONLY) into the new
 * directory dstdirfd/name, which must not exist; what names srcfd in
 * messages ("what/sub/file").  What was copied stays on failure: callers
 * copy into a temp directory. */
int c_copy_tree(int srcfd, int dstdirfd, const char *name, const char *what, c_err **err);

/* Fill the volume directory data (absolute, of the volume called name)
 * from the directory rel (relative, clean) of the tree of rootfd, resolved
 * inside it (lib/path.h), when data is empty and rel is a directory; a
 * missing rel, or one that is not a directory, leaves data as it is. */
int c_volume_fill(const char *name, const char *data, int rootfd, const char *rel, c_err **err);

#endif
