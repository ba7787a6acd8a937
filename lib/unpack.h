/* unpack.h — make an OCI runtime bundle from an image in the store.
 *
 * The bundle is built in a hidden temp directory beside DIR (rootfs with
 * every layer applied in order, each checked against its diff_id, then
 * config.json from the image config, lib/spec.h) and renamed to DIR only
 * when complete, so a refused layer or a crash never leaves a half-made
 * bundle at DIR.  DIR must not exist.
 *
 * This is the copy mode: a private rootfs.  Layers shared through overlayfs
 * come with a later change.
 */
#ifndef C_UNPACK_H
#define C_UNPACK_H

#include "err.h"
#include "manifest.h"
#include "store.h"

/* image: a name or digest in the store (c_store_resolve); an index gives the
 * manifest of this machine's platform. */
int c_unpack_image(struct c_store *s, const char *image, const char *dir, c_err **err);

/* Apply one layer read from fd onto the directory dir (made when missing),
 * with OCI whiteouts applied (lib/layer.h).  The compression is recognised
 * from the first bytes (gzip, zstd, or a plain tar); fd may be a pipe. */
int c_unpack_layer(int fd, const char *name, const char *dir, c_err **err);

#endif
