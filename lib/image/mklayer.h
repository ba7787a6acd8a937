/* mklayer.h — layers and images made here (c-image import, load).
 *
 * A layer blob: the bytes of an uncompressed tar in,
 * a gzip blob in the store out (lib/deflate.h), with its digest and size
 * and the layer's diff_id (the sha256 of the tar), for c-image import and
 * for the layers of docker archives that c-image load stores compressed.
 *
 *     struct c_mklayer *l = c_mklayer_new(store, err);
 *     c_mklayer_write(l, buf, n, err) ...
 *     c_mklayer_commit(l, &out, err);   the blob in the store
 *     c_mklayer_free(l);                (a layer not committed leaves nothing)
 *
 * The compression runs in a thread of its own, a few chunks behind the
 * caller, whose own work (reading, unpacking, checking the tar, hashing the
 * diff_id) overlaps it.  The blob goes in through the store's blob writer:
 * complete, synced and named after its content, or not at all; its diff_id
 * and size are recorded (c_store_set_layer_info). */
#ifndef C_MKLAYER_H
#define C_MKLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "manifest.h"
#include "store.h"

struct c_mklayer;

struct c_mklayer_out {
	struct c_digest digest;  /* of the gzip blob */
	int64_t size;            /* its bytes */
	struct c_digest diff_id; /* of the tar */
	int64_t tar_size;
};

struct c_mklayer *c_mklayer_new(struct c_store *s, c_err **err);
int c_mklayer_write(struct c_mklayer *l, const void *buf, size_t len, c_err **err);
int c_mklayer_commit(struct c_mklayer *l, struct c_mklayer_out *out, c_err **err);
void c_mklayer_free(struct c_mklayer *l);

/* An image: its config (the bytes as they are, so that its digest is the
 * config's) and its layers (compression, digest and size; in the store
 * already) make an OCI manifest (c_manifest_make_oci); config and manifest
 * go into the store.  *out gets the manifest's media type, digest and size,
 * its name left NULL (c_store_image_clear frees it). */
int c_mkimage(struct c_store *s, const char *config, size_t len,
	      const struct c_descriptor *layers, size_t n, struct c_store_image *out, c_err **err);

#endif
