/* The ring of buffers between two threads: everything arrives in order,
 * the producer's error after its last buffer, a consumer that stops frees
 * the producer; and inflating ahead in a thread gives the same bytes and
 * hash as inflating in line. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deflate.h"
#include "inflate.h"
#include "ring.h"
#include "tap.h"

struct prod {
	struct c_ring *r;
	int count;  /* buffers to send */
	int fail;   /* end with an error */
	int sent;
};

static void *producer(void *arg)
{
	struct prod *p = arg;
	c_err *e = NULL;
	char *b;

	for (int i = 0; i < p->count && (b = c_ring_get(p->r)); i++) {
		int n = snprintf(b, 64, "chunk %d", i);

		c_ring_put(p->r, (size_t)n + 1);
		p->sent++;
	}
	if (p->fail)
		c_err_new(&e, C_EXIT_DATA, 0, "the producer failed");
	c_ring_end(p->r, e);
	return NULL;
}

static void test_ring(void)
{
	struct prod p = { .count = 1000 };
	const void *buf;
	char want[64];
	c_err *e = NULL;
	pthread_t t;
	ssize_t n;
	int got = 0, in_order = 1;

	p.r = c_ring_new(4, 64, &e);
	pthread_create(&t, NULL, producer, &p);
	while ((n = c_ring_next(p.r, &buf, &e)) > 0) {
		snprintf(want, sizeof want, "chunk %d", got++);
		in_order &= !strcmp(buf, want) && (size_t)n == strlen(want) + 1;
	}
	pthread_join(t, NULL);
	ok(n == 0 && got == 1000 && in_order, "1000 buffers through a ring of 4, in order (%d)", got);
	ok(c_ring_next(p.r, &buf, &e) == 0, "the end, again");
	c_ring_free(p.r);

	p = (struct prod){ .count = 3, .fail = 1 };
	p.r = c_ring_new(2, 64, &e);
	pthread_create(&t, NULL, producer, &p);
	got = 0;
	while ((n = c_ring_next(p.r, &buf, &e)) > 0)
		got++;
	pthread_join(t, NULL);
	ok(n < 0 && got == 3 && tap_err_has(&e, "the producer failed"),
	   "the producer's error comes after its buffers");
	c_ring_free(p.r);

	p = (struct prod){ .count = 1000000 };
	p.r = c_ring_new(2, 64, &e);
	pthread_create(&t, NULL, producer, &p);
	c_ring_next(p.r, &buf, &e);
	c_ring_stop(p.r);
	pthread_join(t, NULL);
	ok(p.sent < 10, "a consumer that stops frees the producer (%d sent)", p.sent);
	c_ring_free(p.r);
}

static int to_buf(void *arg, const void *buf, size_t len, c_err **err)
{
	return tap_buf_put(arg, buf, len, err);
}

static void test_ahead(void)
{
	size_t len = 7 << 20;
	char *data = malloc(len), path[] = "/tmp/c-tools-ring-XXXXXX";
	struct tap_buf gz = { 0 }, out[2] = { { 0 } };
	struct c_digest d[2];
	c_err *e = NULL;
	int fd = mkstemp(path);

	for (size_t i = 0; i < len; i++)
		data[i] = (char)(i % 251 + (i >> 13));
	{
		struct c_deflate *z = c_deflate_new(to_buf, &gz, &e);

		c_deflate_write(z, data, len, &e);
		c_deflate_finish(z, &e);
		c_deflate_free(z);
	}
	if (fd < 0 || c_write_all(fd, gz.buf, gz.len) < 0)
		tap_bail("write", path);
	unlink(path);
	for (int ahead = 0; ahead < 2; ahead++) {
		struct c_hasher h;
		struct c_inflate *z;
		const void *b;
		ssize_t n;

		lseek(fd, 0, SEEK_SET);
		c_hasher_init(&h, C_DIGEST_SHA256);
		z = c_inflate_new(fd, C_COMPRESSION_GZIP, &e);
		if (ahead && c_inflate_ahead(z, &h, &e) < 0)
			tap_bail("ahead", "inflate");
		while ((n = c_inflate_read(z, &b, &e)) > 0) {
			if (!ahead)
				c_hasher_update(&h, b, (size_t)n);
			tap_buf_put(&out[ahead], b, (size_t)n, &e);
		}
		c_hasher_final(&h, &d[ahead]);
		c_inflate_free(z);
	}
	ok(out[0].len == len && !memcmp(out[0].buf, data, len), "inflated in line");
	ok(out[1].len == len && !memcmp(out[1].buf, data, len) && c_digest_equal(&d[0], &d[1]),
	   "inflated ahead in a thread: the same bytes, the same hash");
	{
		struct c_inflate *z;
		const void *b;

		lseek(fd, 0, SEEK_SET);
		z = c_inflate_new(fd, C_COMPRESSION_GZIP, &e);
		c_inflate_ahead(z, NULL, &e);
		c_inflate_read(z, &b, &e);
		c_inflate_free(z);
		ok(1, "freed while the thread is still ahead");
	}
	close(fd);
	free(data);
	free(gz.buf);
	free(out[0].buf);
	free(out[1].buf);
}

int main(void)
{
	test_ring();
	test_ahead();
	return tap_done();
}
