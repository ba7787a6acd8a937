/* rootfs.h — the container's filesystem view, built from an OCI runtime
 * config inside a fresh mount namespace.
 *
 * Two halves, for the two processes of c-run:
 *
 *  - c_rootfs_plan_new(), in the parent, reads the config once and checks
 *    every field it uses, so a bad config fails before anything is forked
 *    and the error names the JSON path (C_EXIT_DATA):
 *        field mounts[2].destination: must be absolute, got "dev"
 *        field mounts[4].options[1]: unknown option "frobnicate" for a bind mount
 *
 *  - c_rootfs_setup(), in the container's child, after it entered its new
 *    mount namespace (unshare(CLONE_NEWNS)) and the other namespaces of the
 *    config (a new pid namespace before /proc is mounted; the cgroup
 *    namespace, when linux.namespaces lists one, before the cgroup mounts,
 *    which then show the namespace's own root: opts->before_cgroups is the
 *    caller's last chance).  It makes the mounts, in the order that works:
 *     1. "/" recursively private, or recursively slave when
 *        linux.rootfsPropagation is slave or shared, so no mount leaks to
 *        the host.  Values that make "/" shared or unbindable are applied to
 *        the new root after the pivot, where pivot_root(2) and the bind
 *        mounts no longer care.  Non-recursive values are applied
 *        recursively: a submount left shared with the host would leak.
 *     2. the root: root.path (absolute, or relative to the bundle) bound
 *        onto itself; or, when the annotation C_SPEC_LOWERDIRS_ANNOTATION
 *        lists layer directories (absolute, ':'-separated, topmost first,
 *        as c-unpack's overlay mode writes them), an overlay of them at
 *        root.path with opts->upper and opts->work.  Without those the
 *        overlay is read-only and needs two lower dirs; one lower dir alone
 *        is bound read-only instead.  Overlay's options must fit in a page:
 *        a longer lowerdir list is given relative to the layers' common
 *        parent, which becomes the working directory; about 60 layers of
 *        c-unpack's store (64-character names) fit that way, more fail
 *        with E2BIG.
 *     3. mounts[], in order.  Each destination is resolved inside the new
 *        root (lib/path.h: symlinks never lead out of it), created as a
 *        directory (an empty file when a bind source is not a directory),
 *        and mounted onto /proc/self/fd/N of an fd of it, so a symlink
 *        swapped in meanwhile cannot redirect the mount.  Options are
 *        mount(8)'s flags, propagation ("rprivate", ...) and OCI's
 *        recursive attributes ("rro", "rnosuid", ...: mount_setattr(2),
 *        Linux 5.12); a filesystem mount passes the others to the kernel
 *        as its data, a bind mount refuses them.  Options starting with
 *        "x-" are for helpers and ignored, bar C_ROOTFS_VOLUME_COPY "NAME"
 *        on a bind mount: its source is the directory of the named volume
 *        NAME, which is filled, when empty, from what the root has at the
 *        destination before it is bound there (lib/volume.h; docker's copy
 *        of an image's content into a new volume).  It never reaches
 *        mount(2), and other runtimes ignore it as any "x-" option.  A bind mount's flags are
 *        applied by a remount, which keeps the flags a user namespace
 *        locked on the source (nosuid, nodev, noexec, ro, atime) when
 *        dropping them is refused.  Type "cgroup" is the container's own
 *        cgroups: on a v1 (or hybrid) host a tmpfs with one directory per
 *        v1 hierarchy, each the process's cgroup bound from the host (or,
 *        in a cgroup namespace, a mount of the hierarchy), read-only when
 *        the mount is "ro"; on a v2 host the process's cgroup2 directory
 *        (a cgroup2 mount in a cgroup namespace).  opts->before_cgroups
 *        runs before the first of them, opts->before_net before the first
 *        mount of type "sysfs".
 *     4. when a filesystem (not a bind) is mounted at /dev: the nodes null,
 *        zero, full, random, urandom and tty, the symlinks fd, stdin,
 *        stdout, stderr, ptmx (pts/ptmx) and core (when /proc/kcore
 *        exists); always: linux.devices, and /dev/console bound from
 *        opts->console when given.  Where mknod(2) is refused (a user
 *        namespace) the host's node of the same path is bound instead.
 *        Then process.cwd, made (0755, mkdir -p resolved inside the root)
 *        when missing, as runc and docker make a missing working
 *        directory; inside the mounts, as the process will see it.
 *     5. pivot_root(2) into the root, the old root detached; or, with
 *        opts->no_pivot (the root is on an initramfs, where pivot_root
 *        fails), the mounts outside the root detached, the root moved onto
 *        "/" and chroot(2).  The working directory is then "/".
 *     6. linux.sysctl (written under /proc/sys), linux.readonlyPaths (bound
 *        onto themselves read-only), linux.maskedPaths (/dev/null over
 *        files, over directories an empty read-only tmpfs, one bound
 *        onto each), both skipping missing paths, and root.readonly.
 *    Failures are C_EXIT_FAIL with errno and name the mount and its
 *    options as the config wrote them:
 *        mount tmpfs on /dev (options "nosuid,mode=755,size=bogus"): Invalid argument
 *    What was mounted stays; it goes with the mount namespace.
 *
 * Not here: hostname, namespaces, cgroups, capabilities, seccomp, the
 * process.  The plan keeps a reference to the config; setup allocates, and
 * is meant for the single-threaded child of a fork.
 */
#ifndef C_ROOTFS_H
#define C_ROOTFS_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"
#include "spec.h"

/* The mount option that marks a named volume to fill: C_ROOTFS_VOLUME_COPY
 * followed by the volume's name (lib/runopts.h writes it). */
#define C_ROOTFS_VOLUME_COPY "x-c-tools.volume-copy="

struct c_rootfs_plan;

struct c_rootfs_opts {
	/* The overlay root's writable layer, both or neither (absolute paths
	 * without commas); unused without the lowerdirs annotation. */
	const char *upper, *work;
	/* The host path of the terminal's pty slave, bound at /dev/console;
	 * NULL for none. */
	const char *console;
	/* MS_MOVE and chroot(2) instead of pivot_root(2) (runc's --no-pivot). */
	bool no_pivot;
	/* Called once, before the first mount of type "cgroup", which shows
	 * the process's own cgroups: the process joins its cgroup (and
	 * cgroup namespace) there at the latest.  NULL: none. */
	int (*before_cgroups)(void *arg, c_err **err);
	/* Called once, before the first mount of type "sysfs", which shows
	 * the network devices of the mounting process's network namespace,
	 * and at the latest before step 5 (linux.sysctl has net.* keys): the
	 * process joins its network namespace there.  NULL: none. */
	int (*before_net)(void *arg, c_err **err);
	void *arg;
};

/* Reads and checks the parts of config (the whole config.json) this file
 * uses; bundle is the directory relative paths are taken from (NULL: the
 * current one).  root.path must exist.  Returns NULL on error. */
struct c_rootfs_plan *c_rootfs_plan_new(const json_t *config, const char *bundle, c_err **err);

void c_rootfs_plan_free(struct c_rootfs_plan *plan);

/* The absolute, resolved root.path. */
const char *c_rootfs_plan_root(const struct c_rootfs_plan *plan);

/* Steps 1 to 6 above, in the calling process; opts may be NULL. */
int c_rootfs_setup(const struct c_rootfs_plan *plan, const struct c_rootfs_opts *opts, c_err **err);

/* The mount options c-run carries out, as an array of names (for runc's
 * `features`); NULL when out of memory. */
json_t *c_rootfs_features(void);

#endif
