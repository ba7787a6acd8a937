/* inflate.h — the uncompressed bytes of a layer blob, a chunk at a time.
 *
 * gzip is inflated by ISA-L's igzip (about 3× faster than zlib here), with
 * the gzip header parsed and the CRC-32 and length of every member checked;
 * a build with -DC_NO_ISAL uses zlib instead.  zstd streams through libzstd;
 * "none" passes the bytes on.  Concatenated gzip members and zstd frames are
 * read as one stream, as gzip -d and zstd -d do.  A truncated or corrupt
 * stream is a C_EXIT_DATA error.
 *
 *     struct c_inflate *z = c_inflate_new(fd, C_COMPRESSION_GZIP, err);
 *     while ((n = c_inflate_read(z, &buf, err)) > 0)
 *             use(buf, n);
 *     c_inflate_free(z);
 */
#ifndef C_INFLATE_H
#define C_INFLATE_H

#include <sys/types.h>

#include "digest.h"
#include "err.h"
#include "manifest.h"

struct c_inflate;

/* The most bytes one c_inflate_read() returns. */
#define C_INFLATE_CHUNK_MAX (1 << 20)

/* Reads compressed bytes from fd (not closed, not owned). */
struct c_inflate *c_inflate_new(int fd, enum c_compression comp, c_err **err);

/* The next chunk of uncompressed bytes in *out, valid until the next call:
 * returns its length, 0 at the end of the stream, -1 on error. */
ssize_t c_inflate_read(struct c_inflate *z, const void **out, c_err **err);

/* The compression of a stream that begins with buf (len bytes): gzip and
 * zstd by their magic numbers (C_COMPRESSION_MAGIC_MAX bytes at most are
 * looked at), anything else is none. */
#define C_COMPRESSION_MAGIC_MAX 4
enum c_compression c_compression_sniff(const void *buf, size_t len);

/* c_inflate_new for a stream that says itself how it is compressed: its
 * first bytes are read (into the inflater's buffer, so that nothing is lost
 * from a pipe) and sniffed; *found (may be NULL) gets the answer. */
struct c_inflate *c_inflate_new_sniffed(int fd, enum c_compression *found, c_err **err);

/* From now on inflate in a thread of its own, a few chunks ahead of
 * c_inflate_read, so that the caller's work on a chunk overlaps the
 * inflating of the next (lib/ring.h); h (may be NULL) is fed every
 * uncompressed byte, in that thread: read it once c_inflate_read has
 * returned 0.  Call it before the first read. */
int c_inflate_ahead(struct c_inflate *z, struct c_hasher *h, c_err **err);

void c_inflate_free(struct c_inflate *z);

/* Test hook: non-zero makes streams started afterwards inflate gzip with
 * zlib even where ISA-L is built in, so tests compare the two. */
void c_inflate_test_force_zlib(int on);

#endif
