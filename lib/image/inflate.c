#include "inflate.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "ring.h"
#ifndef C_NO_ISAL
#include <isa-l/igzip_lib.h>
#endif

/* Big buffers: fewer read(2) calls, and libarchive and the hasher work on
 * long runs. */
#define IN_SIZE C_INFLATE_CHUNK_MAX
#define OUT_SIZE C_INFLATE_CHUNK_MAX

enum engine { ENG_NONE, ENG_ISAL, ENG_ZLIB, ENG_ZSTD };

struct c_inflate {
	int fd;
	enum engine eng;
	bool in_eof;    /* read(2) returned 0 */
	bool in_member; /* inside a gzip member or zstd frame, not at its end */
	unsigned char *in, *out;
	const unsigned char *next_in;
	size_t avail_in;
#ifndef C_NO_ISAL
	struct inflate_state isal;
#endif
	z_stream zs;
	bool zs_init;
	ZSTD_DStream *zstd;
	/* c_inflate_ahead: a thread inflating into a ring of chunks */
	struct c_ring *ring;
	struct c_hasher *hash;
	pthread_t thread;
	bool thread_on;
};

/* Chunks the thread may make ahead of the reader. */
#define AHEAD 8

static atomic_int force_zlib;

void c_inflate_test_force_zlib(int on)
{
	force_zlib = on;
}

static int fill(struct c_inflate *z, c_err **err)
{
	ssize_t n;

	if (z->avail_in || z->in_eof)
		return 0;
	do
		n = read(z->fd, z->in, IN_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return c_err_sys(err, "read", "layer stream");
	if (!n)
		z->in_eof = true;
	z->next_in = z->in;
	z->avail_in = n;
	return 0;
}

static int truncated(c_err **err, const char *what)
{
	return c_err_new(err, C_EXIT_DATA, 0, "%s stream: unexpected end of data", what);
}

#ifndef C_NO_ISAL
static ssize_t read_isal(struct c_inflate *z, c_err **err)
{
	struct inflate_state *s = &z->isal;
	int ret;

	for (;;) {
		if (fill(z, err) < 0)
			return -1;
		if (!z->avail_in) {
			if (z->in_member)
				return truncated(err, "gzip");
			return 0;
		}
		if (!z->in_member) {
			isal_inflate_reset(s);
			s->crc_flag = ISAL_GZIP;
			z->in_member = true;
		}
		s->next_in = (uint8_t *)z->next_in;
		s->avail_in = z->avail_in;
		s->next_out = z->out;
		s->avail_out = OUT_SIZE;
		ret = isal_inflate(s);
		z->next_in = s->next_in;
		z->avail_in = s->avail_in;
		if (ret < 0)
			return c_err_new(err, C_EXIT_DATA, 0, "gzip stream: %s",
					 ret == ISAL_INCORRECT_CHECKSUM ? "checksum mismatch"
									: "invalid data");
		if (s->block_state == ISAL_BLOCK_FINISH)
			z->in_member = false;
		if (s->next_out != z->out)
			return s->next_out - z->out;
	}
}
#endif

static ssize_t read_zlib(struct c_inflate *z, c_err **err)
{
	z_stream *s = &z->zs;
	int ret;

	for (;;) {
		if (fill(z, err) < 0)
			return -1;
		if (!z->avail_in) {
			if (z->in_member)
				return truncated(err, "gzip");
			return 0;
		}
		if (!z->in_member) {
			if (inflateReset(s) != Z_OK)
				return c_err_new(err, C_EXIT_FAIL, 0, "gzip stream: inflateReset failed");
			z->in_member = true;
		}
		s->next_in = (Bytef *)z->next_in;
		s->avail_in = z->avail_in;
		s->next_out = z->out;
		s->avail_out = OUT_SIZE;
		ret = inflate(s, Z_NO_FLUSH);
		z->next_in = s->next_in;
		z->avail_in = s->avail_in;
		if (ret == Z_STREAM_END)
			z->in_member = false;
		else if (ret != Z_OK && ret != Z_BUF_ERROR)
			return c_err_new(err, C_EXIT_DATA, 0, "gzip stream: %s",
					 s->msg ? s->msg : "invalid data");
		if (s->next_out != z->out)
			return s->next_out - z->out;
	}
}

static ssize_t read_zstd(struct c_inflate *z, c_err **err)
{
	ZSTD_inBuffer in;
	ZSTD_outBuffer out = { z->out, OUT_SIZE, 0 };
	size_t ret;

	for (;;) {
		if (fill(z, err) < 0)
			return -1;
		if (!z->avail_in) {
			if (z->in_member)
				return truncated(err, "zstd");
			return 0;
		}
		in = (ZSTD_inBuffer){ z->next_in, z->avail_in, 0 };
		ret = ZSTD_decompressStream(z->zstd, &out, &in);
		z->next_in += in.pos;
		z->avail_in -= in.pos;
		if (ZSTD_isError(ret))
			return c_err_new(err, C_EXIT_DATA, 0, "zstd stream: %s",
					 ZSTD_getErrorName(ret));
		/* 0 means a frame ended and everything of it was flushed. */
		z->in_member = ret != 0;
		if (out.pos)
			return out.pos;
	}
}

static ssize_t read_none(struct c_inflate *z, const void **out, c_err **err)
{
	size_t n;

	if (fill(z, err) < 0)
		return -1;
	*out = z->next_in;
	n = z->avail_in;
	z->avail_in = 0;
	return n;
}

static ssize_t engine_read(struct c_inflate *z, const void **out, c_err **err)
{
	*out = z->out;
	switch (z->eng) {
#ifndef C_NO_ISAL
	case ENG_ISAL:
		return read_isal(z, err);
#endif
	case ENG_ZLIB:
		return read_zlib(z, err);
	case ENG_ZSTD:
		return read_zstd(z, err);
	default:
		return read_none(z, out, err);
	}
}

ssize_t c_inflate_read(struct c_inflate *z, const void **out, c_err **err)
{
	return z->ring ? c_ring_next(z->ring, out, err) : engine_read(z, out, err);
}

static void *ahead_main(void *arg)
{
	struct c_inflate *z = arg;
	c_err *e = NULL;
	const void *p;
	void *buf;
	ssize_t n;

	while ((buf = c_ring_get(z->ring)) && (n = engine_read(z, &p, &e)) > 0) {
		if (z->hash)
			c_hasher_update(z->hash, p, (size_t)n);
		memcpy(buf, p, (size_t)n);
		c_ring_put(z->ring, (size_t)n);
	}
	c_ring_end(z->ring, e);
	return NULL;
}

int c_inflate_ahead(struct c_inflate *z, struct c_hasher *h, c_err **err)
{
	int e;

	z->ring = c_ring_new(AHEAD, C_INFLATE_CHUNK_MAX, err);
	if (!z->ring)
		return c_err_wrap(err, "inflate");
	z->hash = h;
	e = pthread_create(&z->thread, NULL, ahead_main, z);
	if (e) {
		c_ring_free(z->ring);
		z->ring = NULL;
		return c_err_new(err, C_EXIT_FAIL, e, "start decompression thread: %s", strerror(e));
	}
	z->thread_on = true;
	return 0;
}

static enum engine pick(enum c_compression comp)
{
	switch (comp) {
	case C_COMPRESSION_GZIP:
#ifndef C_NO_ISAL
		if (!force_zlib)
			return ENG_ISAL;
#endif
		return ENG_ZLIB;
	case C_COMPRESSION_ZSTD:
		return ENG_ZSTD;
	default:
		return ENG_NONE;
	}
}

/* The engine's state and output buffer, for z->eng. */
static int start_engine(struct c_inflate *z, c_err **err)
{
	if (z->eng != ENG_NONE) {
		z->out = malloc(OUT_SIZE);
		if (!z->out)
			return c_err_sys(err, "allocate", "inflate buffers");
	}
	switch (z->eng) {
#ifndef C_NO_ISAL
	case ENG_ISAL:
		isal_inflate_init(&z->isal);
		break;
#endif
	case ENG_ZLIB:
		/* 16 + MAX_WBITS: a gzip header and trailer, both checked. */
		if (inflateInit2(&z->zs, 16 + MAX_WBITS) != Z_OK)
			return c_err_new(err, C_EXIT_FAIL, ENOMEM, "gzip stream: inflateInit2 failed");
		z->zs_init = true;
		break;
	case ENG_ZSTD:
		z->zstd = ZSTD_createDStream();
		if (!z->zstd)
			return c_err_new(err, C_EXIT_FAIL, ENOMEM,
					 "zstd stream: ZSTD_createDStream failed");
		break;
	default:
		break;
	}
	return 0;
}

static struct c_inflate *alloc_inflate(int fd, c_err **err)
{
	struct c_inflate *z = calloc(1, sizeof(*z));

	if (!z || !(z->in = malloc(IN_SIZE))) {
		c_err_sys(err, "allocate", "inflate state");
		free(z);
		return NULL;
	}
	z->fd = fd;
	z->next_in = z->in;
	return z;
}

struct c_inflate *c_inflate_new(int fd, enum c_compression comp, c_err **err)
{
	struct c_inflate *z = alloc_inflate(fd, err);

	if (!z)
		return NULL;
	z->eng = pick(comp);
	if (start_engine(z, err) < 0) {
		c_inflate_free(z);
		return NULL;
	}
	return z;
}

enum c_compression c_compression_sniff(const void *buf, size_t len)
{
	static const unsigned char gz[] = { 0x1f, 0x8b }, zst[] = { 0x28, 0xb5, 0x2f, 0xfd };

	if (len >= sizeof gz && !memcmp(buf, gz, sizeof gz))
		return C_COMPRESSION_GZIP;
	if (len >= sizeof zst && !memcmp(buf, zst, sizeof zst))
		return C_COMPRESSION_ZSTD;
	return C_COMPRESSION_NONE;
}

struct c_inflate *c_inflate_new_sniffed(int fd, enum c_compression *found, c_err **err)
{
	struct c_inflate *z = alloc_inflate(fd, err);
	enum c_compression comp;
	ssize_t n;

	if (!z)
		return NULL;
	/* a pipe may hand over the magic number in pieces */
	while (z->avail_in < C_COMPRESSION_MAGIC_MAX && !z->in_eof) {
		n = read(fd, z->in + z->avail_in, IN_SIZE - z->avail_in);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			c_err_sys(err, "read", "stream");
			c_inflate_free(z);
			return NULL;
		}
		z->in_eof = n == 0;
		z->avail_in += n;
	}
	comp = c_compression_sniff(z->in, z->avail_in);
	if (found)
		*found = comp;
	z->eng = pick(comp);
	if (start_engine(z, err) < 0) {
		c_inflate_free(z);
		return NULL;
	}
	return z;
}

void c_inflate_free(struct c_inflate *z)
{
	if (!z)
		return;
	if (z->thread_on) {
		c_ring_stop(z->ring);
		pthread_join(z->thread, NULL);
	}
	c_ring_free(z->ring);
	if (z->zs_init)
		inflateEnd(&z->zs);
	ZSTD_freeDStream(z->zstd);
	free(z->in);
	free(z->out);
	free(z);
}
