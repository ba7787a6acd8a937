/* passwd.h — users and groups of a container, from its own /etc/passwd and
 * /etc/group.
 *
 * libc's getpwnam() would read the host's files through NSS (and a static
 * musl binary has no NSS anyway); the container's user is whatever its
 * rootfs says.  Both files are opened with c_path_open_in_root(), so an image
 * whose /etc/passwd is a symlink to "/../../etc/shadow" reads its own
 * /etc/shadow, never the host's.
 *
 * A user spec is resolved as docker and runc (libcontainer's GetExecUser) do,
 * which is what the OCI image spec's conversion rules describe:
 *
 *   ""              root: uid 0 and root's passwd entry when there is one
 *   "name" / "uid"  the first passwd entry with that name, or else with that
 *                   uid (a number is tried as both); gid, home from the entry,
 *                   additional gids = every group in /etc/group listing the
 *                   entry's name as a member, in file order
 *   "uid" not in passwd (or no /etc/passwd): that uid, gid 0, home "/", no
 *                   additional gids
 *   "USER:GROUP"    gid from the first group with that name (or, for a
 *                   number, that gid or name); a number not in /etc/group is
 *                   used as it is; no additional gids then
 *
 * Names not found are C_EXIT_DATA errors:
 *     user "x" not found in the image's /etc/passwd
 * Numbers are decimal in 0..2147483647, docker's range.  Comment lines
 * ('#'), blank lines and entries whose ids are not numbers (NIS "+" lines)
 * are skipped; a line longer than C_PASSWD_LINE_MAX or a file larger than
 * C_PASSWD_FILE_MAX is an error, as is either file being anything but a
 * regular file (a fifo would block, a device never end).
 */
#ifndef C_PASSWD_H
#define C_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define C_PASSWD_LINE_MAX (64 << 10)
#define C_PASSWD_FILE_MAX (8 << 20)

struct c_user {
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids; /* NULL when there are none */
	size_t nadditional_gids;
	char *home; /* the entry's home directory, "/" without one */
};

/* Resolve spec ("USER[:GROUP]") inside the tree of rootfd.  On success the
 * caller owns *user and frees it with c_user_free(). */
int c_user_resolve(int rootfd, const char *spec, struct c_user *user, c_err **err);

void c_user_free(struct c_user *user);

#endif
