/* layer.h — apply one image layer (a tar stream) onto a directory, safely.
 *
 * The stream is decompressed (lib/inflate.h) and hashed on its way into
 * libarchive's tar reader, so the diff_id comes for free and can be checked
 * against the image config's rootfs.diff_ids at the end.
 *
 * Entry names: a leading "/" or "./" is dropped, as docker does, so
 * "/etc/passwd" and "./etc/passwd" both mean etc/passwd in the root; a name
 * with a ".." component is refused; the entry "." itself is ignored.  Parent
 * directories are resolved inside the root (c_path_mkdir_p_in_root: a
 * symlink in a parent that points outside is followed as if the root were
 * "/") and the last component is made with *at() calls on that parent that
 * never follow it: an existing file, symlink or directory there is removed
 * first (a directory recursively), except a directory that stays one.
 * Hardlink targets are resolved the same way (an absolute target means the
 * same path in the root).  In overlay mode a hardlink to a file of a lower
 * layer (opts->lowers) becomes a copy of it, as overlayfs's copy-up would
 * make it anyway.
 *
 * Whiteouts (OCI image spec): in C_LAYER_COPY, ".wh.NAME" deletes NAME of
 * the lower layers and ".wh..wh..opq" deletes everything in its directory
 * that this layer did not add; in C_LAYER_OVERLAY (the layer directory will
 * be an overlayfs lower dir) they become a 0/0 character device and the
 * xattr trusted.overlay.opaque=y (user.overlay.opaque when not root, for
 * overlay's userxattr mode).  Whiteouts of "", "." or "..", device nodes
 * when not root, and other entry types (sockets) are refused.
 *
 * Owners are applied as root only; modes (setuid and sticky bits too) after
 * owners; mtimes, directories' after all their contents.  Extended
 * attributes of files and directories are applied (all of them as root,
 * user.* otherwise), bar the overlay namespaces ("trusted.overlay.",
 * "user.overlay."), which an image must not control; a filesystem without
 * a namespace (ENOTSUP) is not an error.  Symlinks and device nodes get no
 * xattrs.
 *
 * A refused entry stops the layer with one C_EXIT_DATA line:
 *     refuse layer entry "../evil": '..' components are not allowed
 * What was applied before stays; callers unpack into a temporary directory.
 */
#ifndef C_LAYER_H
#define C_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "manifest.h"

enum c_layer_mode {
	C_LAYER_COPY,
	C_LAYER_OVERLAY,
};

struct c_layer_opts {
	enum c_layer_mode mode;
	bool root; /* chown, device nodes, all xattr namespaces */
	/* When set, the stream's sha256 must be this, or the apply fails
	 * (C_EXIT_DATA, "diff_id mismatch: expected X, got Y"). */
	const struct c_digest *diff_id;
	/* Overlay mode: the directories of the layers below, topmost first,
	 * for hardlink targets this layer does not have. */
	const int *lowers;
	size_t nlowers;
	/* When set, called before the first look into lowers: layers unpacked
	 * in parallel wait there for the ones below to be complete.  A
	 * negative return fails the entry. */
	int (*wait_lowers)(void *arg, c_err **err);
	void *wait_arg;
	/* When set, gets the size of the uncompressed stream (with the
	 * diff_id, what c_store_set_layer_info records). */
	int64_t *size_out;
	/* The stream says itself how it is compressed (its first bytes, read
	 * even from a pipe that hands them over in pieces); comp is ignored. */
	bool sniff;
};

/* Apply the layer read from input_fd (compressed as comp) onto the directory
 * rootfd.  diff_id_out (may be NULL) gets the sha256 of the uncompressed
 * stream.  opts NULL: copy mode, root when geteuid() is 0. */
int c_layer_apply(int rootfd, int input_fd, enum c_compression comp,
		  const struct c_layer_opts *opts, struct c_digest *diff_id_out, c_err **err);

#endif
