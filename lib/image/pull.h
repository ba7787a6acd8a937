/* pull.h — pull an image from a registry into the store.
 *
 * Resolves the reference (a tag or a digest), walks an index or manifest
 * list down to the manifest for the wanted platform, fetches the config and
 * the layers (fetch.h: in parallel, verified, resumable), and names the image
 * in the store after the reference in its full form
 * ("docker.io/library/busybox:latest").  The name points at the platform's
 * manifest, whose digest is the result.  Blobs already in the store are not
 * fetched again.
 */
#ifndef C_PULL_H
#define C_PULL_H

#include "digest.h"
#include "err.h"
#include "fetch.h"
#include "registry.h"
#include "store.h"

struct c_pull_opts {
	struct c_registry_opts registry;
	const char *platform; /* "os/arch[/variant]"; NULL: the host's */
	struct c_fetch_opts fetch;
};

int c_pull(struct c_store *store, const char *ref, const struct c_pull_opts *opts,
	   struct c_digest *manifest, c_err **err);

#endif
