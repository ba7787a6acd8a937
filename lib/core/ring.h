/* ring.h — a ring of buffers between two threads, one filling them and one
 * using them, so that the two works overlap: inflating a layer while its
 * files are made (lib/layer.c, through c_inflate_ahead) or its bytes are
 * written out (lib/save.c), compressing a layer while its tar is read
 * (lib/mklayer.c).
 *
 *     producer:  while ((buf = c_ring_get(r))) { fill; c_ring_put(r, len); }
 *                c_ring_end(r, NULL or the error that stopped it);
 *     consumer:  while ((n = c_ring_next(r, &buf, err)) > 0) use(buf, n);
 *                (or c_ring_stop(r) to give up early)
 *
 * A buffer handed over is the consumer's until its next c_ring_next; a
 * buffer got is the producer's until its c_ring_put.  c_ring_get returns
 * NULL once the consumer has stopped. */
#ifndef C_RING_H
#define C_RING_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct c_ring;

/* n buffers of size bytes each. */
struct c_ring *c_ring_new(size_t n, size_t size, c_err **err);

/* The producer's side. */
void *c_ring_get(struct c_ring *r);
void c_ring_put(struct c_ring *r, size_t len);
/* No more buffers; err (may be NULL; the ring owns it) is what the
 * consumer gets after the last one. */
void c_ring_end(struct c_ring *r, c_err *err);

/* The consumer's side: the next buffer's length (the buffer in *buf), 0 at
 * the end, -1 with the producer's error. */
ssize_t c_ring_next(struct c_ring *r, const void **buf, c_err **err);
/* The consumer stops taking buffers; the producer's c_ring_get says so. */
void c_ring_stop(struct c_ring *r);

void c_ring_free(struct c_ring *r);

#endif
