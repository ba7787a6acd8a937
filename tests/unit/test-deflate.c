/* gzip compression (ISA-L, and zlib as the fallback) read back by both
 * inflaters and by zlib itself; the same input giving the same bytes; a
 * sink's error stopping the stream; compression told by a stream's first
 * bytes, also when a pipe hands them over one at a time. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "deflate.h"
#include "inflate.h"
#include "tap.h"

struct out {
	unsigned char *buf;
	size_t len, cap;
	int calls;
	int fail_at; /* the call that fails, 0: none */
};

static int sink(void *arg, const void *buf, size_t len, c_err **err)
{
	struct out *o = arg;

	if (++o->calls == o->fail_at)
		return c_err_new(err, C_EXIT_FAIL, ENOSPC, "write: test sink: No space left");
	if (o->len + len > o->cap) {
		o->cap = (o->len + len) * 2;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf)
			tap_bail("realloc", "sink");
	}
	memcpy(o->buf + o->len, buf, len);
	o->len += len;
	return 0;
}

/* Compress in pieces of `piece` bytes; 0 or -1. */
static int gz(const unsigned char *in, size_t len, size_t piece, struct out *o)
{
	c_err *e = NULL;
	struct c_deflate *z = c_deflate_new(sink, o, &e);
	int rc = z ? 0 : -1;

	for (size_t off = 0; rc == 0 && off < len; off += piece)
		rc = c_deflate_write(z, in + off, len - off < piece ? len - off : piece, &e);
	if (rc == 0)
		rc = c_deflate_finish(z, &e);
	if (e)
		tap_diag("%s", e->msg);
	c_err_free(&e);
	c_deflate_free(z);
	return rc;
}

struct feed {
	int fd;
	const unsigned char *buf;
	size_t len, step;
};

static void *feeder(void *arg)
{
	struct feed *f = arg;

	/* the first bytes `step` at a time, then the rest at once */
	for (size_t off = 0, n; off < f->len; off += n) {
		n = off >= 64 ? f->len - off : f->len - off < f->step ? f->len - off : f->step;
		if (c_write_all(f->fd, f->buf + off, n) < 0)
			break;
		if (off < 64)
			usleep(1000);
	}
	close(f->fd);
	return NULL;
}

/* Inflate buf through a pipe written `step` bytes at a time, compression
 * sniffed or as given; compares with want.  1 when equal. */
static int inflates_to(const unsigned char *buf, size_t len, size_t step, int sniff,
		       enum c_compression comp, const unsigned char *want, size_t wlen,
		       enum c_compression *found)
{
	struct feed f = { -1, buf, len, step };
	struct c_inflate *z;
	c_err *e = NULL;
	pthread_t t;
	const void *p;
	size_t got = 0;
	ssize_t n;
	int fds[2], same = 1;

	if (pipe2(fds, O_CLOEXEC) < 0)
		tap_bail("pipe", "inflate");
	f.fd = fds[1];
	pthread_create(&t, NULL, feeder, &f);
	z = sniff ? c_inflate_new_sniffed(fds[0], found, &e) : c_inflate_new(fds[0], comp, &e);
	while (z && (n = c_inflate_read(z, &p, &e)) > 0) {
		if (got + (size_t)n > wlen || memcmp(want + got, p, (size_t)n))
			same = 0;
		got += (size_t)n;
	}
	if (e) {
		tap_diag("inflate: %s", e->msg);
		same = 0;
	}
	c_err_free(&e);
	c_inflate_free(z);
	close(fds[0]);
	pthread_join(t, NULL);
	return same && got == wlen;
}

int main(void)
{
	size_t len = 3 << 20;
	unsigned char *data = malloc(len);
	struct out isal = { 0 }, zl = { 0 }, again = { 0 }, empty = { 0 }, fail = { .fail_at = 2 };
	enum c_compression found = C_COMPRESSION_ZSTD;
	unsigned char *plain;
	uint32_t x = 1;

	/* half text-like, half noise: both of deflate's paths */
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		data[i] = i < len / 2 ? "the quick brown fox "[i % 20] : (unsigned char)(x >> 16);
	}
	gz(data, len, 100000, &isal);
	ok(isal.len > 0 && isal.len < len, "compress 3 MiB (default engine): %zu bytes", isal.len);
	ok(isal.len >= 10 && isal.buf[0] == 0x1f && isal.buf[1] == 0x8b && isal.buf[3] == 0 &&
		   !isal.buf[4] && !isal.buf[5] && !isal.buf[6] && !isal.buf[7],
	   "a gzip member: no name, mtime 0");
	ok(gz(data, len, 100000, &again) == 0 && again.len == isal.len &&
		   !memcmp(again.buf, isal.buf, isal.len),
	   "the same input in the same pieces gives the same bytes");
	c_deflate_test_force_zlib(1);
	gz(data, len, 1 << 20, &zl);
	ok(zl.len > 0, "compress with zlib: %zu bytes", zl.len);
	c_deflate_test_force_zlib(0);

	plain = malloc(len);
	if (!plain)
		tap_bail("malloc", "plain");
	{
		z_stream zs = { 0 };
		int r = inflateInit2(&zs, 16 + MAX_WBITS);

		zs.next_in = isal.buf;
		zs.avail_in = (uInt)isal.len;
		zs.next_out = plain;
		zs.avail_out = (uInt)len;
		r = r == Z_OK ? inflate(&zs, Z_FINISH) : r;
		ok(r == Z_STREAM_END && zs.total_out == len && !memcmp(plain, data, len),
		   "zlib reads the default engine's stream back, CRC and length checked");
		inflateEnd(&zs);
	}
	ok(inflates_to(isal.buf, isal.len, 65536, 0, C_COMPRESSION_GZIP, data, len, NULL),
	   "c_inflate (ISA-L) reads it back");
	c_inflate_test_force_zlib(1);
	ok(inflates_to(zl.buf, zl.len, 65536, 0, C_COMPRESSION_GZIP, data, len, NULL),
	   "c_inflate (zlib) reads zlib's stream back");
	c_inflate_test_force_zlib(0);

	gz(data, 0, 1, &empty);
	ok(empty.len >= 18 &&
		   inflates_to(empty.buf, empty.len, 3, 0, C_COMPRESSION_GZIP, data, 0, NULL),
	   "an empty input is a valid empty gzip stream (%zu bytes)", empty.len);
	ok(gz(data, len, 1 << 20, &fail) < 0 && fail.calls == 2,
	   "a sink's error stops the stream");

	ok(inflates_to(isal.buf, isal.len, 1, 1, 0, data, len, &found) &&
		   found == C_COMPRESSION_GZIP,
	   "gzip sniffed from a pipe giving a byte at a time, and read through");
	ok(inflates_to(data, 1000, 1, 1, 0, data, 1000, &found) && found == C_COMPRESSION_NONE,
	   "plain bytes sniff as none and pass through whole");
	ok(inflates_to(data, 2, 1, 1, 0, data, 2, &found) && found == C_COMPRESSION_NONE,
	   "a stream shorter than any magic number");
	ok(inflates_to(data, 0, 1, 1, 0, data, 0, &found) && found == C_COMPRESSION_NONE,
	   "an empty stream");
	ok(c_compression_sniff("\x28\xb5\x2f\xfd", 4) == C_COMPRESSION_ZSTD &&
		   c_compression_sniff("\x28\xb5\x2f", 3) == C_COMPRESSION_NONE &&
		   c_compression_sniff("\x1f\x8b", 2) == C_COMPRESSION_GZIP,
	   "zstd and gzip magic numbers");
	free(data);
	free(plain);
	free(isal.buf);
	free(zl.buf);
	free(again.buf);
	free(empty.buf);
	free(fail.buf);
	return tap_done();
}
