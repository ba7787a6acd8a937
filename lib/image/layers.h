/* layers.h — image layers unpacked once, shared by every overlay bundle.
 *
 *   $C_ROOT/layers/HEX        one layer, as an overlayfs lower directory:
 *                             what the layer adds or changes, its whiteouts
 *                             as 0/0 character devices, its opaque
 *                             directories marked trusted.overlay.opaque=y
 *                             (lib/layer.h, C_LAYER_OVERLAY)
 *
 * HEX is the layer's chain id (OCI image spec, config.md: the diff_id of the
 * bottom layer, then sha256 of "<chain id below> <diff_id>"), which names a
 * layer together with every layer below it: the same directory serves every
 * image whose stack starts the same way.
 *
 * A layer is unpacked into layers/.tmp-XXXXXX, its diff_id checked, and
 * renamed into place, so a directory there is always whole.  Two processes
 * unpacking the same layer race harmlessly: the second rename fails and its
 * copy is removed.  The missing layers of an image are unpacked in parallel;
 * a layer needs the ones below it only for a hardlink to a file they hold
 * (lib/layer.h copies it up), and then waits for them — workers take layers
 * bottom first, so the lowest unfinished layer never waits and all finish.
 *
 * Layer directories are not collected when their images go: a bundle made
 * earlier may still use them.
 */
#ifndef C_LAYERS_H
#define C_LAYERS_H

#include "digest.h"
#include "err.h"
#include "manifest.h"
#include "store.h"

/* chain[i] is the chain id of diff_ids[0..i]. */
void c_layers_chain_ids(const struct c_digest *diff_ids, size_t n, struct c_digest *chain);

/* Make sure every layer of the image m (whose config lists diff_ids) is
 * unpacked, with at most `workers` at a time.  dirs (n entries, bottom
 * first, caller frees with c_layers_free_dirs) gets their absolute paths. */
int c_layers_ensure(struct c_store *s, const struct c_manifest *m,
		    const struct c_image_config *config, int workers, char ***dirs,
		    c_err **err);
void c_layers_free_dirs(char **dirs, size_t n);

#endif
