/* mountinfo.h — a process's mounts as /proc/PID/mountinfo lists them
 * (proc(5)), read once and split into the fields c-tools looks at: the one
 * reader of that file for lib/cgroup (where each cgroup hierarchy is
 * mounted) and lib/rootfs (the container's cgroup mounts, the mounts to
 * detach where pivot_root(2) cannot be used).
 *
 * A line is "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE
 * SOURCE SUPER"; ROOT and POINT come unescaped ("\040" is a space).  A line
 * without the three fields after "-" is left out.
 */
#ifndef C_MOUNTINFO_H
#define C_MOUNTINFO_H

#include <stddef.h>

#include "err.h"

struct c_mount {
	char *root;   /* the mount's root within its filesystem: "/", "/user.slice" */
	char *point;  /* where it is mounted */
	char *fstype; /* "cgroup", "cgroup2", "tmpfs"... */
	char *super;  /* the superblock's options: "rw,memory" */
};

struct c_mountinfo {
	char *text; /* the file, which the fields point into */
	struct c_mount *m;
	size_t n;
};

/* Reads path ("/proc/self/mountinfo") into *mi, which c_mountinfo_free()
 * releases. */
int c_mountinfo_read(const char *path, struct c_mountinfo *mi, c_err **err);
void c_mountinfo_free(struct c_mountinfo *mi);

#endif
