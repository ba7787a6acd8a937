#include "fetch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

#define DEFAULT_JOBS 3
/* Large reads keep the TLS record loop and the SHA-NI block loop busy with
 * few calls; three workers stay well inside the RSS budget. */
#define CHUNK (256 * 1024)

enum blob_state { WAITING, RUNNING, DONE, PRESENT, FAILED };

struct slot {
	const struct c_fetch_blob *blob;
	atomic_llong bytes;
	atomic_int state;
};

struct pool {
	struct c_registry *reg;
	struct c_store *store;
	struct slot *slots;
	size_t n;
	atomic_size_t next;
	atomic_bool stop;
	const struct c_fetch_opts *opts;
	pthread_mutex_t lock; /* guards err and stderr lines */
	c_err *err;
};

static void report_line(struct pool *p, struct slot *s, const char *what)
{
	char size[32];

	if (!p->opts->progress || p->opts->bars)
		return;
	c_human_size(size, sizeof size, s->blob->size);
	pthread_mutex_lock(&p->lock);
	fprintf(stderr, "blob %.19s: %s (%s)\n", s->blob->digest.str, what, size);
	pthread_mutex_unlock(&p->lock);
}

/* Stream the body of an open blob response into the writer. */
static int copy_body(struct pool *p, struct c_registry *reg, struct c_http_response *resp,
		     struct c_blob_writer *w, struct slot *s, char *buf, c_err **err)
{
	for (;;) {
		ssize_t n;

		if (atomic_load(&p->stop))
			return c_err_new(err, C_EXIT_FAIL, ECANCELED, "blob %s", s->blob->digest.str);
		n = c_registry_read(reg, resp, buf, CHUNK, err);
		if (n < 0)
			return c_err_wrap(err, "blob %s", s->blob->digest.str);
		if (n == 0)
			return 0;
		if (c_blob_write(w, buf, (size_t)n, err) < 0)
			return -1;
		atomic_fetch_add(&s->bytes, n);
	}
}

static int fetch_one(struct pool *p, struct c_registry *reg, struct slot *s, char *buf,
		     c_err **err)
{
	const struct c_fetch_blob *b = s->blob;
	struct c_http_response resp;
	struct c_blob_writer w;
	bool resumed = false;
	int rc;

	if (c_blob_begin(p->store, &b->digest, b->size, &w, err) < 0)
		return -1;
	if (w.present) {
		c_blob_abort(&w);
		atomic_store(&s->bytes, b->size);
		atomic_store(&s->state, PRESENT);
		report_line(p, s, "already present");
		return 0;
	}
	atomic_store(&s->state, RUNNING);
	/* A partial file as long as the blob only needs its check. */
	if (w.offset != b->size) {
		if (c_registry_blob_open(reg, &b->digest, w.offset, &resp, &resumed, err) < 0) {
			c_blob_abort(&w);
			return -1;
		}
		if (!resumed && w.offset > 0 && c_blob_restart(&w, err) < 0) {
			c_registry_done(reg, &resp);
			c_blob_abort(&w);
			return -1;
		}
		atomic_store(&s->bytes, w.offset);
		rc = copy_body(p, reg, &resp, &w, s, buf, err);
		c_registry_done(reg, &resp);
		if (rc < 0) {
			c_blob_abort(&w); /* keeps the partial file: the next run resumes */
			return -1;
		}
	}
	if (c_blob_commit(&w, err) < 0)
		return -1;
	atomic_store(&s->state, DONE);
	report_line(p, s, resumed ? "done, resumed" : "done");
	return 0;
}

static void fail(struct pool *p, c_err *e)
{
	pthread_mutex_lock(&p->lock);
	if (!p->err)
		p->err = e;
	else
		c_err_free(&e);
	pthread_mutex_unlock(&p->lock);
	atomic_store(&p->stop, true);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct c_registry *reg;
	c_err *e = NULL;
	char *buf = malloc(CHUNK);

	reg = buf ? c_registry_clone(p->reg, &e) : NULL;
	if (!buf && !e)
		c_err_sys(&e, "fetch", "buffer");
	while (reg && !atomic_load(&p->stop)) {
		size_t i = atomic_fetch_add(&p->next, 1);

		if (i >= p->n)
			break;
		if (fetch_one(p, reg, &p->slots[i], buf, &e) < 0) {
			atomic_store(&p->slots[i].state, FAILED);
			break;
		}
	}
	if (e)
		fail(p, e);
	c_registry_close(reg);
	free(buf);
	return NULL;
}

/* One line per blob, redrawn in place. */
static void draw_bars(struct pool *p, bool first)
{
	static const char *label[] = { "waiting", "", "done", "exists", "failed" };

	if (!first)
		fprintf(stderr, "\033[%zuA", p->n);
	for (size_t i = 0; i < p->n; i++) {
		struct slot *s = &p->slots[i];
		long long size = s->blob->size > 0 ? s->blob->size : 1, done = atomic_load(&s->bytes);
		int state = atomic_load(&s->state), fill = (int)(done * 30 / size);
		char have[32], total[32];

		if (fill > 30)
			fill = 30;
		c_human_size(have, sizeof have, done);
		c_human_size(total, sizeof total, s->blob->size);
		fprintf(stderr, "\033[2K%.19s [%.*s%*s] %s / %s %s\n", s->blob->digest.str, fill,
			"##############################", 30 - fill, "", have, total, label[state]);
	}
	fflush(stderr);
}

int c_fetch_blobs(struct c_registry *reg, struct c_store *store, const struct c_fetch_blob *blobs,
		  size_t n, const struct c_fetch_opts *opts, c_err **err)
{
	struct pool p = { .reg = reg, .store = store, .n = n, .opts = opts };
	size_t jobs = opts->jobs > 0 ? (size_t)opts->jobs : DEFAULT_JOBS, started = 0;
	pthread_t *threads;
	int rc;

	if (n == 0)
		return 0;
	if (jobs > n)
		jobs = n;
	p.slots = calloc(n, sizeof *p.slots);
	threads = calloc(jobs, sizeof *threads);
	if (!p.slots || !threads) {
		free(p.slots);
		free(threads);
		return c_err_sys(err, "fetch", "blobs");
	}
	for (size_t i = 0; i < n; i++)
		p.slots[i].blob = &blobs[i];
	pthread_mutex_init(&p.lock, NULL);
	if (opts->progress && opts->bars)
		draw_bars(&p, true);
	for (; started < jobs; started++) {
		rc = pthread_create(&threads[started], NULL, worker, &p);
		if (rc) {
			errno = rc;
			c_err_sys(&p.err, "start download thread", NULL);
			atomic_store(&p.stop, true);
			break;
		}
	}
	if (opts->progress && opts->bars) {
		struct timespec tick = { 0, 100 * 1000 * 1000 };

		/* Each worker takes one index past the end before it leaves. */
		while (atomic_load(&p.next) < n + started && !atomic_load(&p.stop)) {
			nanosleep(&tick, NULL);
			draw_bars(&p, false);
		}
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (opts->progress && opts->bars)
		draw_bars(&p, false);
	pthread_mutex_destroy(&p.lock);
	free(threads);
	free(p.slots);
	if (p.err) {
		*err = p.err;
		return -1;
	}
	return 0;
}
