/* tarstream.h — tar archives as streams, through libarchive, both ways.
 *
 * In: a tar read from an fd (a file or a pipe), gzip'd, zstd'd or plain as
 * its first bytes say (lib/inflate.h), every byte of the uncompressed
 * stream handed to a tee on its way (c-image import makes the layer of it):
 *
 *     struct c_tarin *t = c_tarin_open(fd, tee, arg, err);
 *     while ((r = c_tarin_next(t, &entry, err)) > 0)
 *             while ((n = c_tarin_data(t, &buf, err)) > 0) ...
 *     c_tarin_finish(t, err);    the rest of the stream (padding) to the tee
 *     c_tarin_free(t);
 *
 * A stream that is not a tar, a truncated one (also one cut between two
 * entries: an archive must end with its end-of-archive marker), or a
 * corrupt compression is a C_EXIT_DATA error ("tar stream: truncated: ...");
 * the tee's and the inflater's errors come through as they are.
 *
 * Out: a tar written through a sink, in the pax format (ustar headers and
 * pax records only where needed: long names, big sizes, xattrs as
 * SCHILY.xattr.NAME as docker writes them), blocks of 64 KiB and no
 * padding after the end marker:
 *
 *     struct c_tarout *o = c_tarout_new(sink, arg, err);
 *     c_tarout_header(o, entry, err); c_tarout_data(o, buf, n, err) ...
 *     c_tarout_close(o, err);   the end marker, flushed
 *     c_tarout_free(o);
 */
#ifndef C_TARSTREAM_H
#define C_TARSTREAM_H

#include <stddef.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>

#include "err.h"
#include "manifest.h"

/* Both directions: bytes to pass on; a negative return stops the stream with
 * the callee's error. */
typedef int (*c_tar_sink)(void *arg, const void *buf, size_t len, c_err **err);

struct c_tarin;

/* tee may be NULL.  *comp (may be NULL) gets the compression found. */
struct c_tarin *c_tarin_open(int fd, c_tar_sink tee, void *arg, enum c_compression *comp,
			     c_err **err);
/* The next entry (valid until the next call): 1, 0 at the end, or -1. */
int c_tarin_next(struct c_tarin *t, struct archive_entry **entry, c_err **err);
/* The next block of the entry's data: its length, 0 at the entry's end, or
 * -1.  Sparse entries come with their holes filled in. */
ssize_t c_tarin_data(struct c_tarin *t, const void **buf, c_err **err);
/* Pass over the rest of the entry's data. */
int c_tarin_skip(struct c_tarin *t, c_err **err);
/* Read what follows the end marker, for the tee. */
int c_tarin_finish(struct c_tarin *t, c_err **err);
void c_tarin_free(struct c_tarin *t);

struct c_tarout;

struct c_tarout *c_tarout_new(c_tar_sink sink, void *arg, c_err **err);
/* An entry's header, then exactly its size in data. */
int c_tarout_header(struct c_tarout *o, struct archive_entry *e, c_err **err);
int c_tarout_data(struct c_tarout *o, const void *buf, size_t len, c_err **err);
int c_tarout_close(struct c_tarout *o, c_err **err);
void c_tarout_free(struct c_tarout *o);

#endif
