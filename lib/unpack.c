#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "layer.h"
#include "ref.h"
#include "spec.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* rm -rf of a temp tree of ours; errors leave it for the user to see. */
static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The image manifest a store entry stands for: itself, or the one of this
 * machine's platform when it is an index. */
static struct c_manifest *load_manifest(struct c_store *s, const struct c_store_image *img,
					struct c_digest *digest, c_err **err)
{
	struct c_platform host;

	*digest = img->digest;
	c_platform_host(&host);
	for (int depth = 0; depth < 4; depth++) {
		_cleanup_free_ char *buf = NULL;
		const struct c_descriptor *d;
		struct c_manifest *m;
		size_t len;

		if (c_store_read_blob(s, digest, C_MANIFEST_MAX, &buf, &len, err) < 0)
			return NULL;
		m = c_manifest_parse(buf, len, NULL, digest->str, err);
		if (!m || !m->is_index)
			return m;
		d = c_index_select(m, &host, digest->str, err);
		if (d)
			*digest = d->digest;
		c_manifest_free(m);
		if (!d)
			return NULL;
	}
	c_err_new(err, C_EXIT_DATA, 0, "%s: indexes nested too deep", img->digest.str);
	return NULL;
}

static int apply_layers(struct c_store *s, const struct c_manifest *m,
			const struct c_image_config *config, int rootfd, c_err **err)
{
	struct c_layer_opts opts = { .mode = C_LAYER_COPY, .root = geteuid() == 0 };

	if (config->ndiff_ids != m->nlayers)
		return c_err_new(err, C_EXIT_DATA, 0, "%zu layers but %zu diff_ids in config %s",
				 m->nlayers, config->ndiff_ids, m->config.digest.str);
	for (size_t i = 0; i < m->nlayers; i++) {
		_cleanup_free_ char *path = c_store_blob_path(s, &m->layers[i].digest);
		_cleanup_close_ int fd = -1;
		struct c_digest got;

		if (!path)
			return c_err_sys(err, "layer", m->layers[i].digest.str);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return c_err_sys(err, "open layer", path);
		opts.diff_id = &config->diff_ids[i];
		if (c_layer_apply(rootfd, fd, m->layers[i].compression, &opts, &got, err) < 0)
			return c_err_wrap(err, "layer %s", m->layers[i].digest.str);
	}
	return 0;
}

/* The rootfs and config.json of the image into the (new, empty) dir tmp. */
static int build_bundle(struct c_store *s, const struct c_store_image *img, const char *tmp,
			c_err **err)
{
	_cleanup_free_ char *rootfs = NULL, *cbuf = NULL;
	_cleanup_close_ int rootfd = -1;
	_cleanup_json_ json_t *spec = NULL;
	struct c_image_config config;
	struct c_digest digest;
	struct c_manifest *m;
	size_t clen;
	int rc = -1;

	m = load_manifest(s, img, &digest, err);
	if (!m)
		return -1;
	if (c_store_read_blob(s, &m->config.digest, C_CONFIG_MAX, &cbuf, &clen, err) < 0 ||
	    c_image_config_parse(cbuf, clen, m->config.digest.str, &config, err) < 0) {
		c_manifest_free(m);
		return -1;
	}
	if (asprintf(&rootfs, "%s/rootfs", tmp) < 0 || mkdir(rootfs, 0755) < 0) {
		c_err_sys(err, "mkdir", rootfs ? rootfs : tmp);
		goto out;
	}
	rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		c_err_sys(err, "open", rootfs);
		goto out;
	}
	if (apply_layers(s, m, &config, rootfd, err) < 0)
		goto out;
	spec = c_spec_from_image(config.doc, rootfd, NULL, err);
	if (spec && c_spec_write(tmp, spec, err) == 0)
		rc = 0;
out:
	c_image_config_free(&config);
	c_manifest_free(m);
	return rc;
}

/* A hidden temp directory beside dir, on the same filesystem for the rename. */
static char *temp_beside(const char *dir, c_err **err)
{
	_cleanup_free_ char *a = strdup(dir), *b = strdup(dir);
	char *tmp = NULL;

	if (!a || !b || asprintf(&tmp, "%s/.%s.tmp-XXXXXX", dirname(a), basename(b)) < 0) {
		c_err_sys(err, "temp directory for", dir);
		return NULL;
	}
	if (!mkdtemp(tmp)) {
		c_err_sys(err, "mkdir", tmp);
		free(tmp);
		return NULL;
	}
	return tmp;
}

int c_unpack_image(struct c_store *s, const char *image, const char *dir, c_err **err)
{
	struct c_store_image img = { 0 };
	_cleanup_free_ char *tmp = NULL;
	struct stat st;
	int rc;

	if (lstat(dir, &st) == 0)
		return c_err_new(err, C_EXIT_FAIL, EEXIST, "bundle %s", dir);
	if (errno != ENOENT)
		return c_err_sys(err, "bundle", dir);
	if (c_store_resolve(s, image, &img, err) < 0)
		return -1;
	tmp = temp_beside(dir, err);
	rc = tmp ? build_bundle(s, &img, tmp, err) : -1;
	if (rc == 0 && chmod(tmp, 0755) < 0)
		rc = c_err_sys(err, "chmod", tmp);
	/* renameat2 NOREPLACE would be stricter, but a bundle that appeared
	 * meanwhile makes rename fail too (ENOTEMPTY) unless it is empty. */
	if (rc == 0 && rename(tmp, dir) < 0)
		rc = c_err_sys(err, "rename to", dir);
	if (rc < 0 && tmp)
		remove_tree(tmp);
	c_store_image_clear(&img);
	if (rc < 0)
		return c_err_wrap(err, "unpack %s", image);
	return 0;
}

static enum c_compression sniff(const unsigned char *b, ssize_t n)
{
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return C_COMPRESSION_GZIP;
	if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return C_COMPRESSION_ZSTD;
	return C_COMPRESSION_NONE;
}

/* The compression of fd's stream from its first bytes, without consuming
 * them: pread on a file, tee(2) into a scratch pipe on a pipe. */
static int detect(int fd, const char *name, enum c_compression *comp, c_err **err)
{
	unsigned char magic[4];
	ssize_t n = pread(fd, magic, sizeof magic, 0);
	int p[2];

	if (n < 0 && errno == ESPIPE) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return c_err_sys(err, "pipe for", name);
		n = tee(fd, p[1], sizeof magic, 0);
		n = n < 0 ? -1 : read(p[0], magic, (size_t)n);
		close(p[0]);
		close(p[1]);
	}
	if (n < 0)
		return c_err_sys(err, "read", name);
	*comp = sniff(magic, n);
	return 0;
}

int c_unpack_layer(int fd, const char *name, const char *dir, c_err **err)
{
	struct c_layer_opts opts = { .mode = C_LAYER_COPY, .root = geteuid() == 0 };
	_cleanup_close_ int rootfd = -1;
	enum c_compression comp = C_COMPRESSION_NONE;
	struct c_digest diff_id;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return c_err_sys(err, "mkdir", dir);
	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return c_err_sys(err, "open", dir);
	if (detect(fd, name, &comp, err) < 0 ||
	    c_layer_apply(rootfd, fd, comp, &opts, &diff_id, err) < 0)
		return c_err_wrap(err, "layer %s", name);
	return 0;
}
