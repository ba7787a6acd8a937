/* load.h — images from an archive into the store: what `docker save`,
 * `podman save` (both formats), skopeo's docker-archive: and oci-archive:
 * and c-image save write.
 *
 * The archive is a tar, plain or gzip'd (or zstd'd) as a whole, read once
 * from a file or a pipe.  Its format is told by what it holds: manifest.json
 * makes it a docker archive (also when it holds an OCI layout too, as
 * docker 25's do: manifest.json has the full names), else index.json an OCI
 * layout (oci-archive).
 *
 * On the way through the archive, each file is taken as it comes, since
 * the index files come last in most archives:
 *  - blobs/ALG/HEX goes through the store's blob writer, verified against
 *    its name (skipped when the store has that blob);
 *  - small files (manifest.json, index.json, configs, repositories, the
 *    legacy json and VERSION files) are kept in memory;
 *  - any other file is taken for a docker archive's layer: a compressed
 *    one (gzip, zstd) is stored as it is, an uncompressed tar is stored
 *    gzip'd (lib/mklayer.h), which is what skopeo does when it copies a
 *    docker archive into an OCI layout (its manifest then has
 *    application/vnd.oci.image.layer.v1.tar+gzip layers; skopeo's
 *    --dest-oci-accept-uncompressed-layers would keep them as tars).
 * Then the index files are read:
 *  - docker: each item of manifest.json names a config and its layers
 *    (paths in the archive; symlinks and hard links in it are followed, not
 *    out of it); each layer's diff_id (the sha256 of the tar, computed on
 *    the way or by inflating a compressed one) must be the config's; the
 *    config is stored as it is (its digest kept) with a new OCI manifest
 *    (c_mkimage); the names are the item's RepoTags, an item without any
 *    is an image without a name;
 *  - OCI: every descriptor of index.json, and what its manifests and
 *    indexes reference, must be in the store now with the size its
 *    descriptor says; the name is the annotation io.containerd.image.name
 *    (containerd and docker 25 put the full name there), else
 *    org.opencontainers.image.ref.name.  Every digest is kept.
 * The names are set last, all in one rewrite of index.json
 * (c_store_set_names), and only when everything above held.  Blobs this
 * load stored that no image uses (a failed load's; files of the archive
 * nothing named) are removed again (c_store_drop_unused): a load that fails
 * leaves the store as it was.
 *
 * Errors name the entry of the archive, status C_EXIT_DATA for a bad
 * archive:
 *     ../x: '..' leads outside the archive     /x: an absolute path
 *     blobs/sha256/AB..: digest mismatch: ...   abc.tar: not in the archive
 *     layer.tar: diff_id mismatch: the config says sha256:.., the layer has sha256:..
 *     ARCHIVE: tar stream: truncated: ...       (ARCHIVE: the file, or "-")
 */
#ifndef C_LOAD_H
#define C_LOAD_H

#include <stddef.h>

#include "err.h"
#include "store.h"

/* Load the archive at input (NULL or "-": standard input).  *imgs (*n of
 * them; c_store_images_free) gets what was named: an entry per name, or
 * per image without one (name NULL). */
int c_load(struct c_store *s, const char *input, struct c_store_image **imgs, size_t *n,
	   c_err **err);

#endif
