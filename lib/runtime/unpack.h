/* unpack.h — make an OCI runtime bundle from an image in the store.
 *
 * The bundle is built in a hidden temp directory beside DIR and renamed to
 * DIR only when complete, so a refused layer or a crash never leaves a
 * half-made bundle at DIR.  DIR must not exist.  Every layer is checked
 * against its diff_id.  config.json comes from the image config
 * (lib/spec.h), the user looked up in the image's files.
 *
 * Two modes:
 *   copy     DIR/rootfs is a private tree with every layer applied in order;
 *            any OCI runtime can run the bundle.
 *   overlay  the layers are unpacked once into $C_ROOT/layers (lib/layers.h)
 *            and shared; DIR/rootfs is an empty mount point and config.json
 *            carries the annotation C_SPEC_LOWERDIRS_ANNOTATION, the layer
 *            directories topmost first, joined with ':' as overlayfs's
 *            lowerdir wants them.  c-run mounts an overlay there with a
 *            private upper dir per container.  A second bundle of the same
 *            image costs no unpacking at all.
 * The default (C_UNPACK_AUTO) is overlay where it works: as root, when an
 * overlay with its upper dir under $C_ROOT mounts (tried in a private mount
 * namespace), else copy.
 */
#ifndef C_UNPACK_H
#define C_UNPACK_H

#include "err.h"
#include "manifest.h"
#include "spec.h"
#include "store.h"

enum c_unpack_mode {
	C_UNPACK_AUTO,
	C_UNPACK_COPY,
	C_UNPACK_OVERLAY,
};

struct c_unpack_opts {
	enum c_unpack_mode mode;
	int workers; /* layers unpacked at once in overlay mode; 0: one per CPU */
	struct c_spec_opts spec; /* hostname, user: c-run's --hostname and -u */
};

/* image: a name or digest in the store (c_store_resolve); an index gives the
 * manifest of this machine's platform.  opts may be NULL (auto). */
int c_unpack_image(struct c_store *s, const char *image, const char *dir,
		   const struct c_unpack_opts *opts, c_err **err);

/* Apply one layer read from fd onto the directory dir (made when missing),
 * with OCI whiteouts applied (lib/layer.h).  The compression is recognised
 * from the first bytes (gzip, zstd, or a plain tar); fd may be a pipe. */
int c_unpack_layer(int fd, const char *name, const char *dir, c_err **err);

#endif
