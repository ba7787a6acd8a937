/* save.h — images of the store as one archive, in either of the formats
 * `docker save`, `podman save` and skopeo write:
 *
 *  - docker-archive (docker's `docker save` format, as podman and skopeo
 *    write it): each layer uncompressed as HEX.tar (HEX its diff_id's), the
 *    config as HEX.json (its digest's, the bytes as they are), manifest.json
 *    ([{"Config", "RepoTags", "Layers"}], one item per config, the names of
 *    the images that share it in its RepoTags as NAME:TAG, ":latest" added
 *    to a name without a tag), the legacy files of docker before 1.10 (a
 *    directory per layer with VERSION, json and layer.tar, a symlink to
 *    the layer) and repositories ({"REPO": {"TAG": TOP-LAYER-ID}}).  A
 *    layer shared by several images is written once.  An image that is
 *    an index is saved as its manifest for this machine's platform.
 *    Keeps the config's digest and the diff_ids, not the manifest's digest
 *    (the layers are no longer compressed).
 *  - oci-archive: an OCI image layout in a tar: oci-layout, blobs/ALG/HEX
 *    (every blob of the images, indexes whole, each once, as they are in
 *    the store) and index.json with one descriptor per name (the name in
 *    org.opencontainers.image.ref.name).  Keeps every digest.
 *
 * Entries are written in a fixed order with fixed metadata (owner 0:0,
 * mode 0644, mtime 0), so the same images make the same archive.  Layers
 * are decompressed into the docker archive with their diff_id checked on
 * the way: a layer that is not what its config says stops the save.
 *
 * output: a file, replaced atomically (written to a temp file beside it,
 * synced, renamed), or NULL for standard output.  A failure leaves no file,
 * and on standard output an archive without its end (never one that looks
 * whole).
 */
#ifndef C_SAVE_H
#define C_SAVE_H

#include <stddef.h>

#include "err.h"
#include "store.h"

enum c_save_format {
	C_SAVE_DOCKER, /* docker-archive */
	C_SAVE_OCI,    /* oci-archive */
};

/* imgs as c_store_resolve() gives them; an image without a name is saved
 * without one (docker-archive: no RepoTags; oci-archive: no ref.name). */
int c_save(struct c_store *s, const struct c_store_image *imgs, size_t n,
	   enum c_save_format format, const char *output, c_err **err);

#endif
