#include "layers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "layer.h"

void c_layers_chain_ids(const struct c_digest *diff_ids, size_t n, struct c_digest *chain)
{
	for (size_t i = 0; i < n; i++) {
		struct c_hasher h;

		if (i == 0) {
			chain[0] = diff_ids[0];
			continue;
		}
		c_hasher_init(&h, C_DIGEST_SHA256);
		c_hasher_update(&h, chain[i - 1].str, strlen(chain[i - 1].str));
		c_hasher_update(&h, " ", 1);
		c_hasher_update(&h, diff_ids[i].str, strlen(diff_ids[i].str));
		c_hasher_final(&h, &chain[i]);
	}
}

void c_layers_free_dirs(char **dirs, size_t n)
{
	if (!dirs)
		return;
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
}

enum job_state { JOB_READY, JOB_PENDING, JOB_RUNNING, JOB_FAILED };

struct job {
	enum job_state state;
	char *tmp; /* layers/.tmp-XXXXXX while pending or running */
	int fd;    /* the layer's directory, final or temp, for the layers above */
	c_err *err;
};

struct batch {
	struct c_store *s;
	const struct c_manifest *m;
	const struct c_image_config *config;
	char **dirs;
	struct job *jobs;
	int *fds; /* jobs[i].fd, for c_layer_opts.lowers */
	size_t n, next;
	pthread_mutex_t mu;
	pthread_cond_t done;
};

struct waiter {
	struct batch *b;
	size_t index;
};

/* Block until every layer below index is complete. */
static int wait_below(void *arg, c_err **err)
{
	struct waiter *w = arg;
	struct batch *b = w->b;
	int rc = 0;

	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; i < w->index && rc == 0; i++) {
		while (b->jobs[i].state == JOB_PENDING || b->jobs[i].state == JOB_RUNNING)
			pthread_cond_wait(&b->done, &b->mu);
		if (b->jobs[i].state == JOB_FAILED)
			rc = c_err_new(err, C_EXIT_FAIL, 0, "layer below %s failed",
				       b->m->layers[w->index].digest.str);
	}
	pthread_mutex_unlock(&b->mu);
	return rc;
}

/* Another process renamed the same layer into place first: the layers
 * above ours are to use that one (dup3 keeps the fd number they know), and
 * our copy goes. */
static int lost_race(struct batch *b, size_t i, c_err **err)
{
	int fd = open(b->dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return c_err_sys(err, "open layer", b->dirs[i]);
	if (dup3(fd, b->jobs[i].fd, O_CLOEXEC) < 0) {
		c_err_sys(err, "dup", b->dirs[i]);
		close(fd);
		return -1;
	}
	close(fd);
	c_remove_tree(b->jobs[i].tmp);
	return 0;
}

/* Unpack layer i into its temp dir and rename it into place. */
static int unpack_one(struct batch *b, size_t i, c_err **err)
{
	const struct c_descriptor *d = &b->m->layers[i];
	_cleanup_free_ char *blob = c_store_blob_path(b->s, &d->digest);
	_cleanup_close_ int fd = -1;
	struct waiter w = { b, i };
	int64_t size;
	_cleanup_free_ int *lowers = calloc(i ? i : 1, sizeof(int));
	struct c_layer_opts opts = {
		.mode = C_LAYER_OVERLAY,
		.root = true,
		.diff_id = &b->config->diff_ids[i],
		.lowers = lowers, /* topmost first */
		.nlowers = i,
		.wait_lowers = wait_below,
		.wait_arg = &w,
		.size_out = &size,
	};
	struct c_digest got;

	if (!blob)
		return c_err_sys(err, "layer", d->digest.str);
	fd = open(blob, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return c_err_sys(err, "open layer", blob);
	if (!lowers)
		return c_err_sys(err, "allocate", "lower layers");
	for (size_t j = 0; j < i; j++)
		lowers[j] = b->fds[i - 1 - j];
	if (c_layer_apply(b->jobs[i].fd, fd, d->compression, &opts, &got, err) < 0)
		return c_err_wrap(err, "layer %s", d->digest.str);
	if (d->compression != C_COMPRESSION_NONE)
		c_store_set_layer_info(b->s, &d->digest, &got, size);
	if (fchmod(b->jobs[i].fd, 0755) < 0)
		return c_err_sys(err, "chmod", b->jobs[i].tmp);
	if (rename(b->jobs[i].tmp, b->dirs[i]) == 0)
		return 0;
	if (errno != EEXIST && errno != ENOTEMPTY)
		return c_err_sys(err, "rename to", b->dirs[i]);
	return lost_race(b, i, err);
}

static void *worker(void *arg)
{
	struct batch *b = arg;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		size_t i;
		int rc;

		while (b->next < b->n && b->jobs[b->next].state != JOB_PENDING)
			b->next++;
		if (b->next == b->n)
			break;
		i = b->next++;
		b->jobs[i].state = JOB_RUNNING;
		pthread_mutex_unlock(&b->mu);
		rc = unpack_one(b, i, &b->jobs[i].err);
		pthread_mutex_lock(&b->mu);
		b->jobs[i].state = rc < 0 ? JOB_FAILED : JOB_READY;
		pthread_cond_broadcast(&b->done);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* The layer's directory when it is there, else a new temp dir for it. */
static int prepare_job(struct batch *b, size_t i, const char *layers, c_err **err)
{
	struct job *j = &b->jobs[i];

	j->fd = open(b->dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->fd >= 0)
		return 0;
	if (errno != ENOENT)
		return c_err_sys(err, "open layer", b->dirs[i]);
	if (asprintf(&j->tmp, "%s/.tmp-XXXXXX", layers) < 0) {
		j->tmp = NULL;
		return c_err_sys(err, "allocate", layers);
	}
	if (!mkdtemp(j->tmp)) {
		c_err_sys(err, "mkdir", j->tmp);
		free(j->tmp);
		j->tmp = NULL;
		return -1;
	}
	j->state = JOB_PENDING;
	j->fd = open(j->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->fd < 0)
		return c_err_sys(err, "open", j->tmp);
	return 0;
}

static int run_jobs(struct batch *b, int workers, c_err **err)
{
	pthread_t threads[16];
	size_t pending = 0, started = 0;
	int rc = 0;

	for (size_t i = 0; i < b->n; i++)
		pending += b->jobs[i].state == JOB_PENDING;
	if ((size_t)workers > pending)
		workers = (int)pending;
	if (workers > 16)
		workers = 16;
	for (int t = 1; t < workers; t++) {
		if (pthread_create(&threads[started], NULL, worker, b) != 0)
			break; /* fewer workers is still correct */
		started++;
	}
	if (pending)
		worker(b);
	for (size_t t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	for (size_t i = 0; i < b->n && rc == 0; i++) {
		if (b->jobs[i].state != JOB_FAILED)
			continue;
		*err = b->jobs[i].err;
		b->jobs[i].err = NULL;
		rc = -1;
	}
	return rc;
}

int c_layers_ensure(struct c_store *s, const struct c_manifest *m,
		    const struct c_image_config *config, int workers, char ***dirs_out,
		    c_err **err)
{
	_cleanup_free_ char *layers = NULL;
	_cleanup_free_ struct c_digest *chain = NULL;
	struct batch b = { .s = s, .m = m, .config = config, .n = m->nlayers,
			   .mu = PTHREAD_MUTEX_INITIALIZER, .done = PTHREAD_COND_INITIALIZER };
	int rc = -1;

	if (config->ndiff_ids != m->nlayers)
		return c_err_new(err, C_EXIT_DATA, 0, "%zu layers but %zu diff_ids in config %s",
				 m->nlayers, config->ndiff_ids, m->config.digest.str);
	if (asprintf(&layers, "%s/layers", c_store_root(s)) < 0) {
		layers = NULL;
		return c_err_sys(err, "allocate", "layers");
	}
	if (mkdir(layers, 0700) < 0 && errno != EEXIST)
		return c_err_sys(err, "mkdir", layers);
	chain = calloc(b.n ? b.n : 1, sizeof(*chain));
	b.dirs = calloc(b.n ? b.n : 1, sizeof(char *));
	b.jobs = calloc(b.n ? b.n : 1, sizeof(*b.jobs));
	b.fds = calloc(b.n ? b.n : 1, sizeof(int));
	if (!chain || !b.dirs || !b.jobs || !b.fds) {
		c_err_sys(err, "allocate", "layers");
		goto out;
	}
	c_layers_chain_ids(config->diff_ids, b.n, chain);
	for (size_t i = 0; i < b.n; i++)
		b.jobs[i].fd = -1;
	for (size_t i = 0; i < b.n; i++) {
		if (asprintf(&b.dirs[i], "%s/%s", layers, c_digest_hex(&chain[i])) < 0) {
			b.dirs[i] = NULL;
			c_err_sys(err, "allocate", layers);
			goto out;
		}
		if (prepare_job(&b, i, layers, err) < 0)
			goto out;
		b.fds[i] = b.jobs[i].fd;
	}
	rc = run_jobs(&b, workers, err);
out:
	for (size_t i = 0; i < b.n; i++) {
		if (b.jobs && b.jobs[i].fd >= 0)
			close(b.jobs[i].fd);
		if (b.jobs && b.jobs[i].tmp) {
			if (b.jobs[i].state != JOB_READY)
				c_remove_tree(b.jobs[i].tmp);
			free(b.jobs[i].tmp);
		}
		if (b.jobs)
			c_err_free(&b.jobs[i].err);
	}
	free(b.jobs);
	free(b.fds);
	if (rc < 0) {
		c_layers_free_dirs(b.dirs, b.n);
		return rc;
	}
	*dirs_out = b.dirs;
	return 0;
}
