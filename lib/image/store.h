/* store.h — the image store: an OCI image layout under $C_ROOT.
 *
 *   $C_ROOT/oci-layout            {"imageLayoutVersion":"1.0.0"}
 *   $C_ROOT/index.json            one manifest (or index) descriptor per name,
 *                                 the name in the annotation
 *                                 org.opencontainers.image.ref.name, e.g.
 *                                 "docker.io/library/busybox:latest", so that
 *                                 `skopeo inspect oci:$C_ROOT:NAME` and
 *                                 `umoci unpack --image $C_ROOT:NAME` work
 *   $C_ROOT/blobs/sha256/HEX      content, named by its digest
 *   $C_ROOT/blobs/sha512/HEX
 *   $C_ROOT/tmp/                  partial downloads (resumable), temp files
 *   $C_ROOT/.lock                 flock guarding index.json (exclusive while
 *                                 it is rewritten, and during GC)
 *   $C_ROOT/.use.lock             flock held shared by every open store
 *                                 handle, exclusive by garbage collection
 *
 * A blob appears under blobs/ only complete, synced and verified (temp file,
 * fsync, rename); index.json is replaced atomically under the lock.  So a
 * crash at any moment leaves a store that c_store_check() passes.
 *
 * Garbage collection and running pulls: a pull stores its blobs first and
 * names the image last, so in between its blobs are unreachable from
 * index.json.  Rather than guess with a grace period, every handle holds a
 * shared lock on .use.lock from c_store_open() to c_store_close(), and GC
 * runs only with that lock exclusive, i.e. when no other process has the
 * store open.  A pull keeps its handle open until c_store_set_name() is done
 * and is then safe without doing anything special; a long-lived program
 * (a container supervisor) must close its handle once it has what it needs,
 * or GC waits for it.  c_store_set_name() takes .lock, a different file, so
 * it never waits on the handle's own shared lock.
 */
#ifndef C_STORE_H
#define C_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "digest.h"
#include "err.h"

struct c_store;

/* The state root: $C_ROOT, else /var/lib/c-tools for root, else
 * ${XDG_DATA_HOME:-$HOME/.local/share}/c-tools.  Caller frees. */
char *c_store_default_root(void);

/* Where compiled seccomp filters are kept: the default root's cache/, the
 * root made when missing (seccomp makes cache/ itself).  Caller frees;
 * NULL (no root known or makeable, or no memory) means no cache: filters
 * are then compiled every time. */
char *c_store_cache_dir(void);

/* Open the store at root (NULL: the default), creating the layout when
 * missing. */
struct c_store *c_store_open(const char *root, c_err **err);
void c_store_close(struct c_store *s);
const char *c_store_root(const struct c_store *s);

/* --- blobs ------------------------------------------------------------------ */

bool c_store_has_blob(struct c_store *s, const struct c_digest *d);
/* "ROOT/blobs/ALG/HEX"; caller frees. */
char *c_store_blob_path(const struct c_store *s, const struct c_digest *d);

/* Read a whole blob of at most max bytes, verified against its digest. */
int c_store_read_blob(struct c_store *s, const struct c_digest *d, size_t max, char **out,
		      size_t *len, c_err **err);

/* Store bytes that must have digest d (a manifest, a config); a mismatch is a
 * C_EXIT_DATA error naming d, and nothing is stored. */
int c_store_put_blob(struct c_store *s, const struct c_digest *d, const void *data, size_t len,
		     c_err **err);

/* Streaming ingest of one blob, resumable across runs.
 *
 *     struct c_blob_writer w;
 *     if (c_blob_begin(s, &want, size, &w, err) < 0) ...
 *     if (w.present) -> already in the store, nothing to do (c_blob_abort)
 *     else: fetch from offset w.offset (Range: bytes=OFFSET-), then
 *           c_blob_write(&w, buf, n) ... and c_blob_commit(&w, err)
 *
 * begin takes an exclusive lock on the partial file tmp/ALG-HEX.partial
 * (waiting while another process downloads the same blob; it then finds the
 * blob present), and rehashes what an earlier run left there so the hash
 * continues from w.offset.  commit checks size and digest, fsyncs, renames
 * into blobs/ and fsyncs the directory; a mismatch removes the partial file
 * and is a C_EXIT_DATA error "digest mismatch: DIGEST: got OTHER" (or "size
 * mismatch: DIGEST: expected N bytes, got M").  abort keeps the partial file
 * for the next run (call c_blob_discard to drop it instead).
 *
 * A blob whose digest is only known at its end (made here: a layer
 * compressed on its way in) starts with c_blob_begin_new instead: a temp
 * file of its own in tmp/ (nothing to lock or resume: nobody else can want
 * it), written as above; commit names it after its content (w->want is
 * then that digest), or drops it when the store has that blob already.
 * abort removes it like discard. */
struct c_blob_writer {
	struct c_store *store;
	struct c_digest want;
	int64_t size;       /* expected size, -1 when unknown */
	int64_t offset;     /* bytes already in the partial file */
	bool present;       /* the blob is already in the store */
	bool unknown;       /* begun by c_blob_begin_new: want is set by commit */
	int fd;             /* the partial file, locked */
	char *partial;      /* its path */
	struct c_hasher hasher;
};

int c_blob_begin(struct c_store *s, const struct c_digest *want, int64_t size,
		 struct c_blob_writer *w, c_err **err);
int c_blob_begin_new(struct c_store *s, enum c_digest_alg alg, struct c_blob_writer *w,
		     c_err **err);
int c_blob_write(struct c_blob_writer *w, const void *buf, size_t len, c_err **err);
/* Forget the partial content, e.g. when the server ignored the Range. */
int c_blob_restart(struct c_blob_writer *w, c_err **err);
int c_blob_commit(struct c_blob_writer *w, c_err **err);
/* Stop, keeping the partial file for the next run to resume (unless it is
 * empty); c_blob_discard removes it. */
void c_blob_abort(struct c_blob_writer *w);
void c_blob_discard(struct c_blob_writer *w);

/* --- what a layer blob holds -------------------------------------------------------
 *
 * A compressed layer's diff_id and uncompressed size, once known (a layer
 * made here, or inflated once by a save), kept beside its blob as
 * ROOT/layerinfo/ALG/HEX ("DIFF_ID SIZE\n"), so that writing the layer
 * uncompressed into a docker archive needs no pass to learn its size.  A
 * cache: written without fsync, its loss or a torn file only costs that
 * pass again; c_store_gc() removes it with its blob. */

/* 1 with *diff_id and *size when known, 0 when not. */
int c_store_layer_info(struct c_store *s, const struct c_digest *blob, struct c_digest *diff_id,
		       int64_t *size);
/* Record it; failing to is no error (the caller goes on). */
void c_store_set_layer_info(struct c_store *s, const struct c_digest *blob,
			    const struct c_digest *diff_id, int64_t size);
/* Forget it (found to be wrong). */
void c_store_drop_layer_info(struct c_store *s, const struct c_digest *blob);

/* --- names (index.json) ------------------------------------------------------- */

/* Point name at a manifest or index descriptor (mediaType, digest, size;
 * platform optional), replacing what the name pointed at before.  Atomic and
 * under the store lock.  The blob must be in the store already
 * (C_EXIT_NOTFOUND otherwise), and the name valid (c_store_check_name). */
int c_store_set_name(struct c_store *s, const char *name, const char *media_type,
		     const struct c_digest *d, int64_t size, c_err **err);

/* 0 when name follows the grammar of org.opencontainers.image.ref.name
 * (components of [A-Za-z0-9]+ joined by one of - . _ : @ + or by "--", the
 * components separated by "/"); else a C_EXIT_DATA error quoting it.
 * c_store_set_name() refuses other names with this error. */
int c_store_check_name(const char *name, c_err **err);

/* One entry of index.json. */
struct c_store_image {
	char *name;         /* the ref.name annotation; NULL when it has none */
	char *media_type;
	struct c_digest digest;
	int64_t size;
};
void c_store_image_clear(struct c_store_image *img);
void c_store_images_free(struct c_store_image *imgs, size_t n);

/* Several names at once, in one rewrite of index.json: all of them or, on
 * an error, none (a load names every image of its archive this way).  Each
 * entry as for c_store_set_name; an entry without a name (name NULL) is
 * added only when no entry points at its digest yet. */
int c_store_set_names(struct c_store *s, const struct c_store_image *imgs, size_t n,
		      c_err **err);

/* Every entry of index.json, in its order. */
int c_store_list(struct c_store *s, struct c_store_image **out, size_t *n, c_err **err);

/* Find what a user typed: a name exactly; the name with ":latest" added when
 * it has no tag; a name that is the unique entry ending in "/" + what (so
 * "busybox:latest" finds "docker.io/library/busybox:latest"); a digest
 * ("sha256:HEX") of an entry or of a manifest blob in the store; or a unique
 * prefix of at least 12 hex digits of an entry's digest, with or without
 * "sha256:".  Not found is C_EXIT_NOTFOUND "image not found: WHAT", two
 * candidates C_EXIT_DATA "ambiguous image name: WHAT". */
int c_store_resolve(struct c_store *s, const char *what, struct c_store_image *out,
		    c_err **err);

/* Drop the entry named name (C_EXIT_NOTFOUND when there is none), or every
 * entry pointing at digest d.  Blobs stay until c_store_gc().  Atomic and
 * under the store lock; *removed (may be NULL) counts the entries dropped. */
int c_store_remove_name(struct c_store *s, const char *name, c_err **err);
int c_store_remove_digest(struct c_store *s, const struct c_digest *d, size_t *removed,
			  c_err **err);

/* Parse a manifest, index or config blob of at most 4 MiB, verified. */
json_t *c_store_read_json(struct c_store *s, const struct c_digest *d, c_err **err);

/* --- walking an image ------------------------------------------------------------ */

enum c_store_kind {
	C_STORE_INDEX,    /* an image index or Docker manifest list */
	C_STORE_MANIFEST, /* an image manifest */
	C_STORE_CONFIG,
	C_STORE_LAYER,
	C_STORE_BLOB,     /* anything else a manifest names (subject, artifacts) */
};

enum c_store_state {
	C_STORE_OK,
	C_STORE_MISSING, /* no blob of that digest */
	C_STORE_SIZE,    /* the blob's size is not the descriptor's */
	C_STORE_BAD,     /* a manifest or index that cannot be read: `problem` */
};

struct c_store_node {
	enum c_store_kind kind;
	const char *media_type;     /* as the referring descriptor says; may be "" */
	struct c_digest digest;
	int64_t size;               /* as the descriptor says */
	int64_t actual_size;        /* of the blob; -1 when missing */
	const struct c_store_node *parent; /* NULL for an index.json entry */
	const char *name;           /* the index.json entry's name, or NULL */
	json_t *doc;                /* a manifest's or index's parsed content */
	json_t *platform;           /* the descriptor's platform, or NULL */
	enum c_store_state state;
	const char *problem;        /* with C_STORE_BAD */
};

/* Call fn on img and everything it references, depth first, parents before
 * children, each digest once per walk.  A manifest or index is read and
 * parsed (verified against its digest); what it references is walked next.
 * fn returning -1 stops the walk. */
typedef int (*c_store_visit_fn)(struct c_store *s, const struct c_store_node *node, void *arg,
				c_err **err);
int c_store_walk(struct c_store *s, const struct c_store_image *img, c_store_visit_fn fn,
		 void *arg, c_err **err);

/* --- maintenance ------------------------------------------------------------------ */

enum {
	C_STORE_GC_NOWAIT = 1 << 0, /* fail at once if another process has the store open */
};

/* Remove every blob not reachable from index.json, and leftovers in tmp/
 * (partial downloads, temp files of crashed runs).  Waits until no other
 * process has the store open (see above) unless C_STORE_GC_NOWAIT, which
 * makes that a C_EXIT_FAIL error "store in use by another process: ROOT".
 * Refuses (C_EXIT_DATA) when a reachable manifest cannot be read, since its
 * blobs cannot be told from garbage.  fn (may be NULL) hears of each removal:
 * a digest, or "tmp/NAME", and its size in bytes. */
typedef void (*c_store_gc_fn)(const char *what, int64_t bytes, void *arg);
int c_store_gc(struct c_store *s, int flags, c_store_gc_fn fn, void *arg, c_err **err);

/* Remove those of the n blobs d that nothing in index.json reaches: what a
 * failed import or load had stored, so that it leaves the store as it was.
 * Only when no other process has the store open (one might be about to name
 * them); otherwise they stay for the next c_store_gc(), and that is no
 * error. */
int c_store_drop_unused(struct c_store *s, const struct c_digest *d, size_t n, c_err **err);

/* Check the store: oci-layout and index.json parse; every blob's content has
 * the digest of its name; every index.json entry, and every config, layer and
 * manifest they reference, is present with the size its descriptor gives.
 * Each problem goes to fn as one line, for example
 *     corrupt blob: sha256:AB..: content has digest sha256:CD..
 *     missing blob: sha256:AB..: layer of sha256:EF.. (busybox:latest)
 * Returns the number of problems, or -1 when the check itself failed. */
typedef void (*c_store_problem_fn)(const char *line, void *arg);
int c_store_check(struct c_store *s, c_store_problem_fn fn, void *arg, c_err **err);

#endif
