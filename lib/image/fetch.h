/* fetch.h — download blobs from a registry into the store, several at once.
 *
 * Each worker thread has its own registry session (so its own keep-alive
 * connection and a copy of the authorization) and takes the next blob from a
 * shared list; a blob streams through the store's writer, which hashes while
 * writing and only renames it into blobs/ when digest and size match.  An
 * interrupted blob stays as a partial file that the next run continues with
 * a Range request.  The first error stops the other workers after their
 * current read.
 */
#ifndef C_FETCH_H
#define C_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "registry.h"
#include "store.h"

struct c_fetch_blob {
	struct c_digest digest;
	int64_t size; /* from the manifest's descriptor */
};

struct c_fetch_opts {
	int jobs;      /* parallel downloads; 0 means 3 */
	bool progress; /* report on stderr */
	bool bars;     /* redraw a bar per blob (stderr is a terminal) */
};

int c_fetch_blobs(struct c_registry *reg, struct c_store *store, const struct c_fetch_blob *blobs,
		  size_t n, const struct c_fetch_opts *opts, c_err **err);

#endif
