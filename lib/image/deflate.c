#include "deflate.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <zlib.h>
#ifndef C_NO_ISAL
#include <isa-l/igzip_lib.h>
#endif

struct c_deflate {
	c_deflate_sink sink;
	void *arg;
	bool zlib; /* else ISA-L */
	bool finished;
	unsigned char *out;
#ifndef C_NO_ISAL
	struct isal_zstream isal;
	unsigned char *level_buf;
#endif
	z_stream zs;
	bool zs_init;
};

static atomic_int force_zlib;

void c_deflate_test_force_zlib(int on)
{
	force_zlib = on;
}

static int flush_out(struct c_deflate *z, size_t len, c_err **err)
{
	return len ? z->sink(z->arg, z->out, len, err) : 0;
}

#ifndef C_NO_ISAL
/* Run igzip over buf until it has taken all of it (and with end set, until
 * the trailer is out), handing each full output buffer to the sink. */
static int run_isal(struct c_deflate *z, const void *buf, size_t len, bool end, c_err **err)
{
	struct isal_zstream *s = &z->isal;

	s->next_in = (uint8_t *)buf;
	s->avail_in = len;
	s->end_of_stream = end;
	for (;;) {
		s->next_out = z->out;
		s->avail_out = C_DEFLATE_CHUNK;
		if (isal_deflate(s) != COMP_OK)
			return c_err_new(err, C_EXIT_FAIL, 0, "gzip: igzip failed");
		if (flush_out(z, C_DEFLATE_CHUNK - s->avail_out, err) < 0)
			return -1;
		if (end ? s->internal_state.state == ZSTATE_END : s->avail_in == 0)
			return 0;
	}
}
#endif

static int run_zlib(struct c_deflate *z, const void *buf, size_t len, bool end, c_err **err)
{
	z_stream *s = &z->zs;
	int ret;

	s->next_in = (Bytef *)buf;
	s->avail_in = len;
	for (;;) {
		s->next_out = z->out;
		s->avail_out = C_DEFLATE_CHUNK;
		ret = deflate(s, end ? Z_FINISH : Z_NO_FLUSH);
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
			return c_err_new(err, C_EXIT_FAIL, 0, "gzip: deflate failed: %s",
					 s->msg ? s->msg : "?");
		if (flush_out(z, C_DEFLATE_CHUNK - s->avail_out, err) < 0)
			return -1;
		if (end ? ret == Z_STREAM_END : s->avail_in == 0)
			return 0;
	}
}

struct c_deflate *c_deflate_new(c_deflate_sink sink, void *arg, c_err **err)
{
	struct c_deflate *z = calloc(1, sizeof *z);

	if (!z || !(z->out = malloc(C_DEFLATE_CHUNK)))
		goto oom;
	z->sink = sink;
	z->arg = arg;
#ifndef C_NO_ISAL
	if (!force_zlib) {
		z->level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
		if (!z->level_buf)
			goto oom;
		isal_deflate_init(&z->isal);
		z->isal.level = 1;
		z->isal.level_buf = z->level_buf;
		z->isal.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
		z->isal.gzip_flag = IGZIP_GZIP;
		return z;
	}
#endif
	z->zlib = true;
	/* 16 + MAX_WBITS: a gzip wrapper; deflateInit2 writes mtime 0, no name */
	if (deflateInit2(&z->zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		c_err_new(err, C_EXIT_FAIL, ENOMEM, "gzip: deflateInit2 failed");
		c_deflate_free(z);
		return NULL;
	}
	z->zs_init = true;
	return z;
oom:
	c_err_sys(err, "allocate", "gzip state");
	c_deflate_free(z);
	return NULL;
}

static int run(struct c_deflate *z, const void *buf, size_t len, bool end, c_err **err)
{
#ifndef C_NO_ISAL
	if (!z->zlib)
		return run_isal(z, buf, len, end, err);
#endif
	return run_zlib(z, buf, len, end, err);
}

int c_deflate_write(struct c_deflate *z, const void *buf, size_t len, c_err **err)
{
	/* both engines count their input in 32 bits */
	while (len > UINT32_MAX) {
		if (run(z, buf, UINT32_MAX, false, err) < 0)
			return -1;
		buf = (const char *)buf + UINT32_MAX;
		len -= UINT32_MAX;
	}
	return len ? run(z, buf, len, false, err) : 0;
}

int c_deflate_finish(struct c_deflate *z, c_err **err)
{
	if (z->finished)
		return 0;
	z->finished = true;
	return run(z, NULL, 0, true, err);
}

void c_deflate_free(struct c_deflate *z)
{
	if (!z)
		return;
	if (z->zs_init)
		deflateEnd(&z->zs);
#ifndef C_NO_ISAL
	free(z->level_buf);
#endif
	free(z->out);
	free(z);
}
