#include "mklayer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "deflate.h"
#include "ring.h"

/* The pieces deflate gets: always whole chunks but the last, so that the
 * same tar gives the same blob however it was written. */
#define CHUNK (1 << 20)
#define RING 4

struct c_mklayer {
	struct c_blob_writer w;
	bool begun;
	struct c_deflate *z;
	struct c_hasher diff_id;
	int64_t tar_size;
	/* chunks from the caller to the compressing thread */
	struct c_ring *ring;
	char *cur;   /* the chunk being filled, or NULL */
	size_t have; /* bytes in it */
	pthread_t thread;
	bool started;
	c_err *err; /* the thread's, once joined */
};

static int to_blob(void *arg, const void *buf, size_t len, c_err **err)
{
	return c_blob_write(arg, buf, len, err);
}

static void *compress_main(void *arg)
{
	struct c_mklayer *l = arg;
	const void *buf;
	ssize_t n;

	while ((n = c_ring_next(l->ring, &buf, &l->err)) > 0)
		if (c_deflate_write(l->z, buf, (size_t)n, &l->err) < 0)
			break;
	if (n == 0)
		c_deflate_finish(l->z, &l->err);
	else
		c_ring_stop(l->ring);
	return NULL;
}

struct c_mklayer *c_mklayer_new(struct c_store *s, c_err **err)
{
	struct c_mklayer *l = calloc(1, sizeof *l);
	int e;

	if (!l) {
		c_err_sys(err, "allocate", "layer");
		return NULL;
	}
	c_hasher_init(&l->diff_id, C_DIGEST_SHA256);
	l->ring = c_ring_new(RING, CHUNK, err);
	if (!l->ring || c_blob_begin_new(s, C_DIGEST_SHA256, &l->w, err) < 0)
		goto fail;
	l->begun = true;
	l->z = c_deflate_new(to_blob, &l->w, err);
	if (!l->z)
		goto fail;
	e = pthread_create(&l->thread, NULL, compress_main, l);
	if (e) {
		c_err_new(err, C_EXIT_FAIL, e, "start compression thread: %s", strerror(e));
		goto fail;
	}
	l->started = true;
	return l;
fail:
	c_mklayer_free(l);
	return NULL;
}

/* Let the thread finish the stream; its error if it failed. */
static int stop(struct c_mklayer *l, c_err **err)
{
	if (!l->started)
		return 0;
	if (l->cur && l->have)
		c_ring_put(l->ring, l->have);
	l->cur = NULL;
	c_ring_end(l->ring, NULL);
	pthread_join(l->thread, NULL);
	l->started = false;
	if (!l->err)
		return 0;
	if (err)
		*err = l->err;
	else
		c_err_free(&l->err);
	l->err = NULL;
	return -1;
}

int c_mklayer_write(struct c_mklayer *l, const void *buf, size_t len, c_err **err)
{
	c_hasher_update(&l->diff_id, buf, len);
	l->tar_size += (int64_t)len;
	while (len) {
		size_t n;

		if (!l->cur && !(l->cur = c_ring_get(l->ring))) {
			/* the thread has stopped: its error */
			return stop(l, err) < 0 ? -1 : c_err_new(err, C_EXIT_FAIL, 0, "gzip: stopped");
		}
		n = CHUNK - l->have < len ? CHUNK - l->have : len;
		memcpy(l->cur + l->have, buf, n);
		l->have += n;
		buf = (const char *)buf + n;
		len -= n;
		if (l->have == CHUNK) {
			c_ring_put(l->ring, CHUNK);
			l->cur = NULL;
			l->have = 0;
		}
	}
	return 0;
}

int c_mklayer_commit(struct c_mklayer *l, struct c_mklayer_out *out, c_err **err)
{
	if (stop(l, err) < 0)
		return c_err_wrap(err, "make layer");
	l->begun = false;
	if (c_blob_commit(&l->w, err) < 0)
		return c_err_wrap(err, "make layer");
	out->digest = l->w.want;
	out->size = l->w.offset;
	c_hasher_final(&l->diff_id, &out->diff_id);
	out->tar_size = l->tar_size;
	c_store_set_layer_info(l->w.store, &out->digest, &out->diff_id, out->tar_size);
	return 0;
}

void c_mklayer_free(struct c_mklayer *l)
{
	if (!l)
		return;
	stop(l, NULL);
	if (l->begun)
		c_blob_discard(&l->w);
	c_deflate_free(l->z);
	c_ring_free(l->ring);
	free(l);
}

int c_mkimage(struct c_store *s, const char *config, size_t len,
	      const struct c_descriptor *layers, size_t n, struct c_store_image *out, c_err **err)
{
	struct c_descriptor cd = { .size = (int64_t)len };
	_cleanup_free_ char *manifest = NULL;
	size_t mlen;

	memset(out, 0, sizeof *out);
	c_digest_of(C_DIGEST_SHA256, config, len, &cd.digest);
	if (c_store_put_blob(s, &cd.digest, config, len, err) < 0)
		return c_err_wrap(err, "store config");
	manifest = c_manifest_make_oci(&cd, layers, n, &mlen, err);
	if (!manifest)
		return -1;
	c_digest_of(C_DIGEST_SHA256, manifest, mlen, &out->digest);
	out->size = (int64_t)mlen;
	out->media_type = strdup(C_MEDIA_OCI_MANIFEST);
	if (!out->media_type)
		return c_err_sys(err, "store manifest", out->digest.str);
	if (c_store_put_blob(s, &out->digest, manifest, mlen, err) < 0) {
		c_store_image_clear(out);
		return c_err_wrap(err, "store manifest");
	}
	return 0;
}
