#include "ring.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct c_ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t n;
	char **buf;
	size_t *len;
	bool *full;
	size_t head;   /* the next buffer the producer fills */
	size_t tail;   /* the next buffer the consumer takes */
	bool holding;  /* the consumer still uses buf[tail] */
	bool ended;    /* the producer is done */
	bool stopped;  /* the consumer is done */
	c_err *err;    /* why the producer ended, for the consumer */
};

struct c_ring *c_ring_new(size_t n, size_t size, c_err **err)
{
	struct c_ring *r = calloc(1, sizeof *r);

	if (!r || !(r->buf = calloc(n, sizeof *r->buf)) || !(r->len = calloc(n, sizeof *r->len)) ||
	    !(r->full = calloc(n, sizeof *r->full)))
		goto oom;
	r->n = n;
	for (size_t i = 0; i < n; i++)
		if (!(r->buf[i] = malloc(size)))
			goto oom;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	return r;
oom:
	c_err_sys(err, "allocate", "buffers");
	if (r) {
		for (size_t i = 0; r->buf && i < n; i++)
			free(r->buf[i]);
		free(r->buf);
		free(r->len);
		free(r->full);
		free(r);
	}
	return NULL;
}

void *c_ring_get(struct c_ring *r)
{
	void *b;

	pthread_mutex_lock(&r->mu);
	while (r->full[r->head] && !r->stopped)
		pthread_cond_wait(&r->cv, &r->mu);
	b = r->stopped ? NULL : r->buf[r->head];
	pthread_mutex_unlock(&r->mu);
	return b;
}

void c_ring_put(struct c_ring *r, size_t len)
{
	pthread_mutex_lock(&r->mu);
	r->len[r->head] = len;
	r->full[r->head] = true;
	r->head = (r->head + 1) % r->n;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void c_ring_end(struct c_ring *r, c_err *err)
{
	pthread_mutex_lock(&r->mu);
	r->ended = true;
	r->err = err;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

ssize_t c_ring_next(struct c_ring *r, const void **buf, c_err **err)
{
	ssize_t n;

	pthread_mutex_lock(&r->mu);
	if (r->holding) {
		r->full[r->tail] = false;
		r->tail = (r->tail + 1) % r->n;
		r->holding = false;
		pthread_cond_broadcast(&r->cv);
	}
	while (!r->full[r->tail] && !r->ended)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->full[r->tail]) {
		*buf = r->buf[r->tail];
		n = (ssize_t)r->len[r->tail];
		r->holding = true;
	} else if (r->err) {
		*err = r->err;
		r->err = NULL;
		n = -1;
	} else {
		n = 0;
	}
	pthread_mutex_unlock(&r->mu);
	return n;
}

void c_ring_stop(struct c_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->stopped = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void c_ring_free(struct c_ring *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->buf[i]);
	free(r->buf);
	free(r->len);
	free(r->full);
	c_err_free(&r->err);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
