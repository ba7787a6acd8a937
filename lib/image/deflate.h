/* deflate.h — gzip compression of a stream, a chunk at a time: the other
 * direction of inflate.h, for layers made here (import, load).
 *
 * ISA-L's igzip at its level 1 (several times faster than zlib's fastest
 * level, about its ratio); a build with -DC_NO_ISAL uses zlib at level 1.
 * One gzip member with a plain header (no name, mtime 0).  igzip's output
 * depends on how the input is cut into writes: the same bytes in the same
 * pieces give the same stream (lib/mklayer.h always writes 1 MiB pieces, so
 * importing a tar twice stores one layer).
 *
 *     struct c_deflate *z = c_deflate_new(sink, arg, err);
 *     c_deflate_write(z, buf, n, err) ...
 *     c_deflate_finish(z, err);      the last bytes and the trailer
 *     c_deflate_free(z);
 *
 * The compressed bytes go to sink(arg, buf, len, err) as they are made, in
 * chunks of up to C_DEFLATE_CHUNK bytes; a negative return stops the stream
 * with the sink's error. */
#ifndef C_DEFLATE_H
#define C_DEFLATE_H

#include <stddef.h>

#include "err.h"

#define C_DEFLATE_CHUNK (256 << 10)

typedef int (*c_deflate_sink)(void *arg, const void *buf, size_t len, c_err **err);

struct c_deflate;

struct c_deflate *c_deflate_new(c_deflate_sink sink, void *arg, c_err **err);
int c_deflate_write(struct c_deflate *z, const void *buf, size_t len, c_err **err);
int c_deflate_finish(struct c_deflate *z, c_err **err);
void c_deflate_free(struct c_deflate *z);

/* Test hook: non-zero makes streams started afterwards use zlib even where
 * ISA-L is built in. */
void c_deflate_test_force_zlib(int on);

#endif
