/* import.h — a root filesystem becomes a one-layer image in the store, as
 * docker import and podman import make it.
 *
 * The source is a tar (plain, gzip or zstd: its first bytes tell), read
 * from a file or from standard input ("-"), or a directory, which is tarred
 * here (lib/tardir.h).  The tar, as it is, is the layer: stored gzip'd
 * (lib/mklayer.h), its sha256 the diff_id.  On the way it is read as a tar
 * (lib/tarstream.h), so that a stream that is not one, is truncated, or
 * has an entry with a ".." component (the name or a hard link's target)
 * is refused before anything is named: a C_EXIT_DATA error
 *     import FILE: entry "../x": '..' components are not allowed
 *
 * The image config: the platform's architecture, os and variant, "created"
 * (now), "config" made by the --change instructions (lib/change.h), one
 * layer in rootfs.diff_ids, and one history entry with the time and the
 * comment (docker's "Imported from SOURCE" unless a message is given).  The
 * manifest is OCI's.  The blobs go into the store first, the name last (or,
 * without a name, an entry of index.json without one); when anything fails
 * the blobs this import stored and nothing uses are removed again
 * (c_store_drop_unused), so the store is as it was.
 */
#ifndef C_IMPORT_H
#define C_IMPORT_H

#include <stddef.h>

#include <jansson.h>

#include "digest.h"
#include "err.h"
#include "store.h"

/* What goes into the image config besides the layer. */
struct c_import_opts {
	const char *const *changes; /* --change instructions */
	size_t nchanges;
	const char *message;        /* the history comment; NULL: "Imported from SOURCE" */
	const char *platform;       /* "os/arch[/variant]"; NULL: the host's */
};

/* The image config of an import, its diff_ids still empty: platform,
 * created, the changes applied, history.  Errors are the options' (a bad
 * platform or change), before anything is read. */
json_t *c_import_config(const struct c_import_opts *o, const char *source, c_err **err);

/* Import source ("-" for standard input, a tar file or a directory) with
 * that config (its diff_ids filled in here), named name (NULL: no name);
 * the manifest's digest in *manifest. */
int c_import(struct c_store *s, const char *source, json_t *config, const char *name,
	     struct c_digest *manifest, c_err **err);

#endif
