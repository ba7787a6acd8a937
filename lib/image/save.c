#include "save.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "inflate.h"
#include "json.h"
#include "layers.h"
#include "manifest.h"
#include "ref.h"
#include "tarstream.h"

#define BUF (1 << 20)
#define REF_NAME "org.opencontainers.image.ref.name"

struct saver {
	struct c_store *s;
	struct c_tarout *out;
	int fd;             /* the archive's destination */
	const char *target; /* its name, for messages */
	char *buf;
	json_t *written;    /* the paths in the archive so far */
	json_t *items;      /* docker: manifest.json */
	json_t *repos;      /* docker: repositories */
	json_t *index;      /* oci: index.json's manifests */
};

static int to_fd(void *arg, const void *buf, size_t len, c_err **err)
{
	struct saver *sv = arg;

	if (c_write_all(sv->fd, buf, len) < 0)
		return c_err_sys(err, "write", sv->target);
	return 0;
}

/* --- entries ------------------------------------------------------------------------ */

/* Whether path is in the archive already; marks it when not. */
static bool seen(struct saver *sv, const char *path)
{
	if (json_object_get(sv->written, path))
		return true;
	json_object_set_new(sv->written, path, json_true());
	return false;
}

static int header(struct saver *sv, const char *path, mode_t mode, int64_t size,
		  const char *symlink, c_err **err)
{
	struct archive_entry *e = archive_entry_new();
	int rc;

	if (!e)
		return c_err_sys(err, "save", path);
	archive_entry_copy_pathname(e, path);
	archive_entry_set_mode(e, mode);
	archive_entry_set_mtime(e, 0, 0);
	if (S_ISREG(mode))
		archive_entry_set_size(e, size);
	if (symlink)
		archive_entry_copy_symlink(e, symlink);
	rc = c_tarout_header(sv->out, e, err);
	archive_entry_free(e);
	return rc;
}

static int put_file(struct saver *sv, const char *path, const void *data, size_t len,
		    c_err **err)
{
	if (seen(sv, path))
		return 0;
	if (header(sv, path, S_IFREG | 0644, (int64_t)len, NULL, err) < 0)
		return -1;
	return c_tarout_data(sv->out, data, len, err);
}

static int put_json(struct saver *sv, const char *path, const json_t *v, size_t flags,
		    c_err **err)
{
	_cleanup_free_ char *s = json_dumps(v, JSON_COMPACT | flags);

	if (!s)
		return c_err_new(err, C_EXIT_FAIL, ENOMEM, "save: %s: serialize JSON", path);
	return put_file(sv, path, s, strlen(s), err);
}

static int put_dir(struct saver *sv, const char *path, c_err **err)
{
	return seen(sv, path) ? 0 : header(sv, path, S_IFDIR | 0755, 0, NULL, err);
}

static int put_symlink(struct saver *sv, const char *path, const char *target, c_err **err)
{
	return seen(sv, path) ? 0 : header(sv, path, S_IFLNK | 0777, 0, target, err);
}

static int open_blob(struct saver *sv, const struct c_digest *d, int64_t *size, c_err **err)
{
	_cleanup_free_ char *path = c_store_blob_path(sv->s, d);
	struct stat st;
	int fd;

	if (!path)
		return c_err_sys(err, "open blob", d->str);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return c_err_sys(err, "open blob", d->str);
	if (fstat(fd, &st) < 0) {
		c_err_sys(err, "stat blob", d->str);
		close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

/* A blob of the store, as it is, as the file path. */
static int put_blob(struct saver *sv, const char *path, const struct c_digest *d, c_err **err)
{
	_cleanup_close_ int fd = -1;
	int64_t size, left;

	if (seen(sv, path))
		return 0;
	fd = open_blob(sv, d, &size, err);
	if (fd < 0 || header(sv, path, S_IFREG | 0644, size, NULL, err) < 0)
		return -1;
	for (left = size; left > 0;) {
		ssize_t n = read(fd, sv->buf, left < BUF ? (size_t)left : BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? c_err_sys(err, "read blob", d->str)
				     : c_err_new(err, C_EXIT_FAIL, 0, "read blob: %s: shorter than %lld bytes",
						 d->str, (long long)size);
		if (c_tarout_data(sv->out, sv->buf, (size_t)n, err) < 0)
			return -1;
		left -= n;
	}
	return 0;
}

/* --- docker-archive ------------------------------------------------------------------ */

/* The uncompressed bytes of a layer blob, counted; with hash hashed into
 * *diff_id, with write into the archive, where they may not be more than
 * max (the size its header says). */
static int unpack_pass(struct saver *sv, const struct c_descriptor *layer, bool hash, bool write,
		       int64_t max, int64_t *size, struct c_digest *diff_id, c_err **err)
{
	int64_t ignore;
	_cleanup_close_ int fd = open_blob(sv, &layer->digest, &ignore, err);
	struct c_inflate *z;
	struct c_hasher h;
	const void *buf;
	ssize_t n;

	if (fd < 0)
		return -1;
	/* (inflating in a thread of its own, c_inflate_ahead, only made this
	 * slower on this two-CPU machine: the copies and wake-ups cost more
	 * than writing a chunk, which is all there is to overlap) */
	z = c_inflate_new(fd, layer->compression, err);
	if (!z)
		return -1;
	c_hasher_init(&h, C_DIGEST_SHA256);
	*size = 0;
	while ((n = c_inflate_read(z, &buf, err)) > 0) {
		if (hash)
			c_hasher_update(&h, buf, (size_t)n);
		*size += n;
		if (write && *size > max) {
			n = -1;
			c_err_new(err, C_EXIT_DATA, 0, "more than its header says");
			break;
		}
		if (write && c_tarout_data(sv->out, buf, (size_t)n, err) < 0) {
			n = -1;
			break;
		}
	}
	c_inflate_free(z);
	if (hash)
		c_hasher_final(&h, diff_id);
	return n < 0 ? -1 : 0;
}

/* The layer uncompressed as HEX.tar, HEX its diff_id's.  The tar header
 * needs the size first: an uncompressed layer has its blob's, a compressed
 * one what the store knows of it (c_store_layer_info), or else it is read
 * twice, first for its size and diff_id, which is recorded then.  The
 * diff_id is checked against the config's before anything is written. */
static int put_layer(struct saver *sv, const struct c_descriptor *layer,
		     const struct c_digest *diff_id, const char *path, c_err **err)
{
	struct c_digest got;
	int64_t size, written = 0;
	int fd, rc;

	if (seen(sv, path))
		return 0;
	if (layer->compression == C_COMPRESSION_NONE) {
		got = layer->digest;
		fd = open_blob(sv, &layer->digest, &size, err);
		if (fd < 0)
			return -1;
		close(fd);
	} else if (!c_store_layer_info(sv->s, &layer->digest, &got, &size)) {
		if (unpack_pass(sv, layer, true, false, 0, &size, &got, err) < 0)
			return -1;
		c_store_set_layer_info(sv->s, &layer->digest, &got, size);
	}
	if (!c_digest_equal(&got, diff_id))
		return c_err_new(err, C_EXIT_DATA, 0, "layer %s: diff_id mismatch: the config says %s, the layer has %s",
				 layer->digest.str, diff_id->str, got.str);
	if (header(sv, path, S_IFREG | 0644, size, NULL, err) < 0)
		return -1;
	rc = unpack_pass(sv, layer, false, true, size, &written, &got, err);
	if ((rc < 0 && written > size) || (rc == 0 && written != size)) {
		/* what the store recorded was wrong: forgotten */
		c_err_free(err);
		c_store_drop_layer_info(sv->s, &layer->digest);
		return c_err_new(err, C_EXIT_DATA, 0,
				 "layer %s: %s%lld bytes uncompressed, not the %lld recorded",
				 layer->digest.str, written > size ? "more than " : "",
				 (long long)(written > size ? size : written), (long long)size);
	}
	return rc;
}

/* The image manifest of img: its own, or for an index the one for this
 * machine's platform. */
static struct c_manifest *image_manifest(struct c_store *s, const struct c_store_image *img,
					 const char *what, c_err **err)
{
	struct c_digest d = img->digest;
	char media_type[256];

	snprintf(media_type, sizeof media_type, "%s", img->media_type);
	for (int depth = 0; depth < 4; depth++) {
		_cleanup_free_ char *buf = NULL;
		const struct c_descriptor *pick;
		struct c_platform host;
		struct c_manifest *m;
		size_t len;

		if (c_store_read_blob(s, &d, C_MANIFEST_MAX, &buf, &len, err) < 0)
			return NULL;
		m = c_manifest_parse(buf, len, media_type, what, err);
		if (!m || !m->is_index)
			return m;
		c_platform_host(&host);
		pick = c_index_select(m, &host, what, err);
		if (pick) {
			d = pick->digest;
			snprintf(media_type, sizeof media_type, "%s", pick->media_type);
		}
		c_manifest_free(m);
		if (!pick)
			return NULL;
	}
	c_err_new(err, C_EXIT_DATA, 0, "%s: indexes nested too deep", what);
	return NULL;
}

/* NAME:TAG for RepoTags, or NULL for a name docker cannot take (by digest). */
static char *repo_tag(const char *name, char **repo, char **tag)
{
	const char *slash = strrchr(name, '/'), *colon = strrchr(slash ? slash : name, ':');

	if (strchr(name, '@'))
		return NULL;
	*repo = colon ? strndup(name, colon - name) : strdup(name);
	*tag = strdup(colon ? colon + 1 : "latest");
	if (!*repo || !*tag) {
		free(*repo);
		free(*tag);
		return NULL;
	}
	return *repo;
}

/* The files of docker before 1.10: a directory per layer, named by an id
 * made from the chain of layers below it (as containers/image makes it);
 * the top one's id in *top (65 bytes). */
static int legacy_layers(struct saver *sv, const struct c_image_config *cfg, char *top,
			 c_err **err)
{
	static const char *const attrs[] = { "architecture", "config", "container",
					     "container_config", "created", "docker_version",
					     "os" };
	_cleanup_free_ struct c_digest *chain = calloc(cfg->ndiff_ids, sizeof *chain);
	char parent[65] = "";

	if (!chain)
		return c_err_sys(err, "save", "legacy layers");
	c_layers_chain_ids(cfg->diff_ids, cfg->ndiff_ids, chain);
	for (size_t i = 0; i < cfg->ndiff_ids; i++) {
		_cleanup_json_ json_t *o = json_object();
		_cleanup_free_ char *idsrc = NULL;
		char path[160], target[160];
		struct c_digest id;

		if (!o)
			return c_err_sys(err, "save", "legacy layers");
		if (*parent)
			json_object_set_new(o, "parent", json_string(parent));
		for (size_t k = 0; i + 1 == cfg->ndiff_ids && k < sizeof attrs / sizeof *attrs; k++) {
			json_t *v = json_object_get(cfg->doc, attrs[k]);

			json_object_set_new(o, attrs[k], v ? json_incref(v) : json_null());
		}
		json_object_set_new(o, "layer_id", json_string(chain[i].str));
		idsrc = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		if (!idsrc)
			return c_err_sys(err, "save", "legacy layers");
		c_digest_of(C_DIGEST_SHA256, idsrc, strlen(idsrc), &id);
		json_object_del(o, "layer_id");
		json_object_set_new(o, "id", json_string(c_digest_hex(&id)));
		snprintf(path, sizeof path, "%s/layer.tar", c_digest_hex(&id));
		snprintf(target, sizeof target, "../%s.tar", c_digest_hex(&cfg->diff_ids[i]));
		if (put_symlink(sv, path, target, err) < 0)
			return -1;
		snprintf(path, sizeof path, "%s/VERSION", c_digest_hex(&id));
		if (put_file(sv, path, "1.0", 3, err) < 0)
			return -1;
		snprintf(path, sizeof path, "%s/json", c_digest_hex(&id));
		if (put_json(sv, path, o, JSON_SORT_KEYS, err) < 0)
			return -1;
		snprintf(parent, sizeof parent, "%s", c_digest_hex(&id));
	}
	memcpy(top, parent, sizeof parent);
	return 0;
}

/* The manifest.json item of a config, made on its first image. */
static json_t *docker_item(struct saver *sv, const char *config_path, json_t *layers)
{
	size_t i;
	json_t *it;

	json_array_foreach(sv->items, i, it) {
		if (!strcmp(json_string_value(json_object_get(it, "Config")), config_path))
			return it;
	}
	it = json_pack("{s:s,s:[],s:O}", "Config", config_path, "RepoTags", "Layers", layers);
	if (it && json_array_append_new(sv->items, it) < 0)
		return NULL;
	return it;
}

static int docker_names(struct saver *sv, json_t *item, const char *name, const char *top,
			c_err **err)
{
	_cleanup_free_ char *repo = NULL, *tag = NULL, *rt = NULL;
	json_t *tags = json_object_get(item, "RepoTags"), *r, *v;
	size_t i;

	if (!name || !repo_tag(name, &repo, &tag))
		return 0;
	if (asprintf(&rt, "%s:%s", repo, tag) < 0)
		return c_err_sys(err, "save", name);
	json_array_foreach(tags, i, v) {
		if (!strcmp(json_string_value(v), rt))
			return 0;
	}
	r = json_object_get(sv->repos, repo);
	if (!r) {
		r = json_object();
		json_object_set_new(sv->repos, repo, r);
	}
	if (json_array_append_new(tags, json_string(rt)) < 0 || !r ||
	    (*top && json_object_set_new(r, tag, json_string(top)) < 0))
		return c_err_sys(err, "save", name);
	return 0;
}

static int docker_image(struct saver *sv, const struct c_store_image *img, const char *what,
			c_err **err)
{
	struct c_manifest *m = image_manifest(sv->s, img, what, err);
	struct c_image_config cfg = { 0 };
	_cleanup_free_ char *config = NULL;
	_cleanup_json_ json_t *layers = json_array();
	char path[160], top[65];
	json_t *item;
	size_t len;
	int rc = -1;

	if (!m || !layers)
		goto out;
	if (c_store_read_blob(sv->s, &m->config.digest, C_CONFIG_MAX, &config, &len, err) < 0 ||
	    c_image_config_parse(config, len, m->config.digest.str, &cfg, err) < 0)
		goto out;
	if (cfg.ndiff_ids != m->nlayers) {
		c_err_new(err, C_EXIT_DATA, 0, "%zu layers, but %zu diff_ids in config %s",
			  m->nlayers, cfg.ndiff_ids, m->config.digest.str);
		goto out;
	}
	for (size_t i = 0; i < m->nlayers; i++) {
		snprintf(path, sizeof path, "%s.tar", c_digest_hex(&cfg.diff_ids[i]));
		if (put_layer(sv, &m->layers[i], &cfg.diff_ids[i], path, err) < 0 ||
		    json_array_append_new(layers, json_string(path)) < 0)
			goto out;
	}
	snprintf(path, sizeof path, "%s.json", c_digest_hex(&m->config.digest));
	if (put_file(sv, path, config, len, err) < 0 || legacy_layers(sv, &cfg, top, err) < 0)
		goto out;
	item = docker_item(sv, path, layers);
	if (!item) {
		c_err_sys(err, "save", what);
		goto out;
	}
	rc = docker_names(sv, item, img->name, top, err);
out:
	c_image_config_free(&cfg);
	c_manifest_free(m);
	return rc;
}

/* --- oci-archive --------------------------------------------------------------------- */

static int oci_visit(struct c_store *s, const struct c_store_node *node, void *arg,
		     c_err **err)
{
	struct saver *sv = arg;
	char path[C_DIGEST_STR_MAX + 16];

	if (node->state != C_STORE_OK)
		return c_err_new(err, C_EXIT_DATA, 0, "%s: %s (see c-image check)", node->digest.str,
				 node->state == C_STORE_MISSING ? "blob missing from the store"
				 : node->problem                ? node->problem
								: "blob of the wrong size");
	snprintf(path, sizeof path, "blobs/%s/", c_digest_alg_name(node->digest.alg));
	if (put_dir(sv, path, err) < 0)
		return -1;
	snprintf(path, sizeof path, "blobs/%s/%s", c_digest_alg_name(node->digest.alg),
		 c_digest_hex(&node->digest));
	return put_blob(sv, path, &node->digest, err);
}

static int oci_image(struct saver *sv, const struct c_store_image *img, const char *what,
		     c_err **err)
{
	json_t *desc, *d;
	size_t i;

	if (c_store_walk(sv->s, img, oci_visit, sv, err) < 0)
		return -1;
	desc = json_pack("{s:s,s:s,s:I}", "mediaType", img->media_type, "digest", img->digest.str,
			 "size", (json_int_t)img->size);
	if (desc && img->name)
		json_object_set_new(desc, "annotations", json_pack("{s:s}", REF_NAME, img->name));
	/* the same image and name given twice is one entry */
	json_array_foreach(sv->index, i, d) {
		if (json_equal(d, desc)) {
			json_decref(desc);
			return 0;
		}
	}
	if (json_array_append_new(sv->index, desc) < 0)
		return c_err_sys(err, "save", what);
	return 0;
}

/* --- the archive --------------------------------------------------------------------- */

static int write_archive(struct saver *sv, const struct c_store_image *imgs, size_t n,
			 enum c_save_format format, c_err **err)
{
	_cleanup_json_ json_t *index = NULL;

	sv->out = c_tarout_new(to_fd, sv, err);
	if (!sv->out)
		return -1;
	if (format == C_SAVE_OCI &&
	    (put_file(sv, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30, err) < 0 ||
	     put_dir(sv, "blobs/", err) < 0))
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *what = imgs[i].name ? imgs[i].name : imgs[i].digest.str;
		int rc = format == C_SAVE_OCI ? oci_image(sv, &imgs[i], what, err)
					      : docker_image(sv, &imgs[i], what, err);

		if (rc < 0)
			return c_err_wrap(err, "%s", what);
	}
	if (format == C_SAVE_OCI) {
		index = json_pack("{s:i,s:O}", "schemaVersion", 2, "manifests", sv->index);
		if (!index || put_json(sv, "index.json", index, JSON_PRESERVE_ORDER, err) < 0)
			return index ? -1 : c_err_sys(err, "save", "index.json");
	} else if (put_json(sv, "manifest.json", sv->items, JSON_PRESERVE_ORDER, err) < 0 ||
		   put_json(sv, "repositories", sv->repos, JSON_SORT_KEYS, err) < 0) {
		return -1;
	}
	return c_tarout_close(sv->out, err);
}

int c_save(struct c_store *s, const struct c_store_image *imgs, size_t n,
	   enum c_save_format format, const char *output, c_err **err)
{
	struct saver sv = { .s = s, .fd = 1, .target = output ? output : "standard output" };
	_cleanup_free_ char *tmp = NULL;
	int rc = -1;

	sv.buf = malloc(BUF);
	sv.written = json_object();
	sv.items = json_array();
	sv.repos = json_object();
	sv.index = json_array();
	if (!sv.buf || !sv.written || !sv.items || !sv.repos || !sv.index) {
		c_err_sys(err, "save", sv.target);
		goto out;
	}
	if (output) {
		sv.fd = c_open_temp_at(AT_FDCWD, output, 0644, &tmp, err);
		if (sv.fd < 0)
			goto out;
	}
	rc = write_archive(&sv, imgs, n, format, err);
	c_tarout_free(sv.out);
	if (output && rc == 0)
		rc = c_commit_temp_at(AT_FDCWD, sv.fd, tmp, output, err);
	else if (output) {
		close(sv.fd);
		unlinkat(AT_FDCWD, tmp, 0);
	}
out:
	free(sv.buf);
	json_decref(sv.written);
	json_decref(sv.items);
	json_decref(sv.repos);
	json_decref(sv.index);
	return rc < 0 ? c_err_wrap(err, "save") : 0;
}
