#include "mklayer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "deflate.h"

#define CHUNK (1 << 20)
#define RING 4

struct c_mklayer {
	struct c_blob_writer w;
	bool begun;
	struct c_deflate *z;
	struct c_hasher diff_id;
	int64_t tar_size;
	/* chunks from the caller to the compressing thread */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *buf[RING];
	size_t len[RING];
	bool full[RING];
	size_t head;  /* the caller fills buf[head] */
	size_t tail;  /* the thread takes buf[tail] */
	bool end;     /* no more chunks after the full ones */
	bool done;    /* the thread has finished (err set when it failed) */
	c_err *err;
};

static int to_blob(void *arg, const void *buf, size_t len, c_err **err)
{
	return c_blob_write(arg, buf, len, err);
}

static void *compress_main(void *arg)
{
	struct c_mklayer *l = arg;
	c_err *e = NULL;
	int rc = 0;

	for (;;) {
		size_t t;
		bool end;

		pthread_mutex_lock(&l->mu);
		while (!l->full[l->tail] && !l->end)
			pthread_cond_wait(&l->cv, &l->mu);
		t = l->tail;
		end = !l->full[t];
		pthread_mutex_unlock(&l->mu);
		if (end)
			break;
		rc = c_deflate_write(l->z, l->buf[t], l->len[t], &e);
		pthread_mutex_lock(&l->mu);
		l->full[t] = false;
		l->tail = (t + 1) % RING;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		c_deflate_finish(l->z, &e);
	pthread_mutex_lock(&l->mu);
	l->err = e;
	l->done = true;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
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
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	c_hasher_init(&l->diff_id, C_DIGEST_SHA256);
	for (int i = 0; i < RING; i++) {
		l->buf[i] = malloc(CHUNK);
		if (!l->buf[i]) {
			c_err_sys(err, "allocate", "layer buffers");
			goto fail;
		}
	}
	if (c_blob_begin_new(s, C_DIGEST_SHA256, &l->w, err) < 0)
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

/* Hand buf[head] to the thread and wait for the next buffer to be free;
 * the thread's error when it has stopped. */
static int push(struct c_mklayer *l, c_err **err)
{
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	l->full[l->head] = true;
	l->head = (l->head + 1) % RING;
	pthread_cond_broadcast(&l->cv);
	while (l->full[l->head] && !l->done)
		pthread_cond_wait(&l->cv, &l->mu);
	if (l->done && l->err) {
		*err = l->err;
		l->err = NULL;
		rc = -1;
	} else if (l->done) {
		rc = c_err_new(err, C_EXIT_FAIL, 0, "gzip: compression stopped before");
	}
	if (rc == 0)
		l->len[l->head] = 0;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int c_mklayer_write(struct c_mklayer *l, const void *buf, size_t len, c_err **err)
{
	c_hasher_update(&l->diff_id, buf, len);
	l->tar_size += (int64_t)len;
	while (len) {
		size_t *have = &l->len[l->head], n = CHUNK - *have;

		if (n > len)
			n = len;
		memcpy(l->buf[l->head] + *have, buf, n);
		*have += n;
		buf = (const char *)buf + n;
		len -= n;
		if (*have == CHUNK && push(l, err) < 0)
			return -1;
	}
	return 0;
}

/* Let the thread finish the stream; its error if it failed. */
static int stop(struct c_mklayer *l, c_err **err)
{
	int rc = 0;

	if (!l->started)
		return 0;
	pthread_mutex_lock(&l->mu);
	if (l->len[l->head] && !l->full[l->head]) {
		l->full[l->head] = true;
		l->head = (l->head + 1) % RING;
	}
	l->end = true;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	l->started = false;
	if (l->err) {
		if (err)
			*err = l->err;
		else
			c_err_free(&l->err);
		l->err = NULL;
		rc = -1;
	}
	return rc;
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
	for (int i = 0; i < RING; i++)
		free(l->buf[i]);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
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
