#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "file.h"
#include "layer.h"
#include "layers.h"
#include "ref.h"
#include "spec.h"

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
	int64_t size;
	struct c_layer_opts opts = { .mode = C_LAYER_COPY, .root = geteuid() == 0,
				     .size_out = &size };

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
		if (m->layers[i].compression != C_COMPRESSION_NONE)
			c_store_set_layer_info(s, &m->layers[i].digest, &got, size);
	}
	return 0;
}

/* Mount namespaces: a private one for a trial or read-only mount, left
 * again before anything else happens, so the host never sees the mount and
 * nothing needs unmounting.  unshare(CLONE_NEWNS) needs a single-threaded
 * process: the layer workers have been joined by then. */
static int enter_private_mount_ns(int *host_ns, c_err **err)
{
	*host_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (*host_ns < 0)
		return c_err_sys(err, "open", "/proc/self/ns/mnt");
	if (unshare(CLONE_NEWNS) < 0) {
		c_err_sys(err, "unshare", "mount namespace");
		close(*host_ns);
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		c_err_sys(err, "make private", "/");
		setns(*host_ns, CLONE_NEWNS);
		close(*host_ns);
		return -1;
	}
	return 0;
}

/* setns also moves the cwd to the namespace's root: put it back. */
static int leave_private_mount_ns(int host_ns, c_err **err)
{
	_cleanup_close_ int cwd = open(".", O_PATH | O_CLOEXEC);
	int rc = 0;

	if (setns(host_ns, CLONE_NEWNS) < 0)
		rc = c_err_sys(err, "setns", "host mount namespace");
	else if (cwd >= 0 && fchdir(cwd) < 0)
		rc = c_err_sys(err, "chdir", "back");
	close(host_ns);
	return rc;
}

/* overlay mount data is one page: lower dirs are named relative to the
 * layers directory, the cwd during the mount.  The target is opened here,
 * in the private namespace: an fd from the host's would name a mount there,
 * and mount(2) refuses it. */
static int mount_overlay(const char *layers, const char *lowerdir, const char *upper,
			 const char *work, const char *target, c_err **err)
{
	_cleanup_close_ int cwd = open(".", O_PATH | O_CLOEXEC);
	_cleanup_close_ int tfd = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *data = NULL;
	char where[64];
	int rc = 0;

	if (cwd < 0)
		return c_err_sys(err, "open", "current directory");
	if (tfd < 0)
		return c_err_sys(err, "open", target);
	if ((upper ? asprintf(&data, "lowerdir=%s,upperdir=%s,workdir=%s", lowerdir, upper, work)
		   : asprintf(&data, "lowerdir=%s", lowerdir)) < 0) {
		data = NULL;
		return c_err_sys(err, "allocate", "overlay options");
	}
	snprintf(where, sizeof where, "/proc/self/fd/%d", tfd);
	if (chdir(layers) < 0)
		return c_err_sys(err, "chdir", layers);
	if (mount("overlay", where, "overlay", upper ? 0 : MS_RDONLY, data) < 0)
		rc = c_err_sys(err, "mount overlay", layers);
	if (fchdir(cwd) < 0 && rc == 0)
		rc = c_err_sys(err, "chdir", "back");
	return rc;
}

/* Whether an overlay with its upper dir on this filesystem mounts: as c-run
 * will mount it, with the container's upper dir under $C_ROOT.  A success
 * is remembered in layers/.overlay-works, as the probe (a mount in a
 * private namespace) costs a new container a few milliseconds; a failure
 * is not, so that a filesystem or kernel that gains overlay is noticed. */
static bool overlay_works(const char *layers)
{
	static const char *const sub[] = { "l", "u", "w", "m" };
	_cleanup_free_ char *probe = NULL, *target = NULL, *known = NULL;
	_cleanup_close_ int dirfd = -1;
	c_err *e = NULL;
	bool ok = false;
	int host_ns;

	if (geteuid() != 0 || asprintf(&known, "%s/.overlay-works", layers) < 0)
		return false;
	if (access(known, F_OK) == 0)
		return true;
	if ((mkdir(layers, 0700) < 0 && errno != EEXIST) ||
	    asprintf(&probe, "%s/.probe-XXXXXX", layers) < 0 || !mkdtemp(probe))
		return false;
	dirfd = open(probe, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; dirfd >= 0 && i < 4; i++)
		if (mkdirat(dirfd, sub[i], 0700) < 0)
			goto out;
	if (dirfd < 0 || asprintf(&target, "%s/m", probe) < 0) {
		target = NULL;
		goto out;
	}
	if (enter_private_mount_ns(&host_ns, &e) < 0)
		goto out;
	ok = mount_overlay(probe, "l", "u", "w", target, &e) == 0;
	if (leave_private_mount_ns(host_ns, &e) < 0)
		ok = false;
	if (ok) {
		/* a marker only: if it cannot be made, the next unpack probes again */
		int fd = open(known, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd >= 0)
			close(fd);
	}
out:
	c_err_free(&e);
	c_remove_tree(probe);
	return ok;
}

/* The layers' files as one tree, to look up the user in: the only layer
 * itself, or a read-only overlay of them mounted on the bundle's empty
 * rootfs (mnt) in a private mount namespace, left before returning. */
static json_t *spec_from_layers(const json_t *doc, const struct c_spec_opts *so, char **dirs,
				size_t n, const char *layers, const char *mnt, c_err **err)
{
	_cleanup_free_ char *lowerdir = NULL;
	_cleanup_close_ int rootfd = -1;
	c_err *leave_err = NULL;
	json_t *spec = NULL;
	size_t len = 0;
	int host_ns;

	if (n <= 1) {
		rootfd = open(n ? dirs[0] : mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0) {
			c_err_sys(err, "open", n ? dirs[0] : "rootfs");
			return NULL;
		}
		return c_spec_from_image(doc, rootfd, so, err);
	}
	lowerdir = calloc(n, C_DIGEST_STR_MAX);
	if (!lowerdir) {
		c_err_sys(err, "allocate", "lowerdir");
		return NULL;
	}
	for (size_t i = n; i-- > 0;)
		len += (size_t)sprintf(lowerdir + len, "%s%s", len ? ":" : "",
				       strrchr(dirs[i], '/') + 1);
	if (enter_private_mount_ns(&host_ns, err) < 0)
		return NULL;
	if (mount_overlay(layers, lowerdir, NULL, NULL, mnt, err) == 0) {
		rootfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			c_err_sys(err, "open merged layers", mnt);
		else
			spec = c_spec_from_image(doc, rootfd, so, err);
	}
	if (leave_private_mount_ns(host_ns, &leave_err) < 0) {
		json_decref(spec);
		spec = NULL;
		if (!*err)
			*err = leave_err;
		else
			c_err_free(&leave_err);
	}
	return spec;
}

static int annotate_lowerdirs(json_t *spec, char **dirs, size_t n, c_err **err)
{
	_cleanup_free_ char *value = NULL;
	size_t size = 1, len = 0;
	json_t *notes = json_object_get(spec, "annotations");

	for (size_t i = 0; i < n; i++)
		size += strlen(dirs[i]) + 1;
	value = calloc(1, size);
	if (!value)
		return c_err_sys(err, "allocate", C_SPEC_LOWERDIRS_ANNOTATION);
	for (size_t i = n; i-- > 0;)
		len += (size_t)sprintf(value + len, "%s%s", len ? ":" : "", dirs[i]);
	if (!notes) {
		notes = json_object();
		if (json_object_set_new(spec, "annotations", notes) < 0)
			return c_err_new(err, C_EXIT_FAIL, ENOMEM, "annotations");
	}
	if (json_object_set_new(notes, C_SPEC_LOWERDIRS_ANNOTATION, json_string(value)) < 0)
		return c_err_new(err, C_EXIT_FAIL, ENOMEM, "%s", C_SPEC_LOWERDIRS_ANNOTATION);
	return 0;
}

static int default_workers(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
}

/* The rootfs and config.json of the image into the (new, empty) dir tmp. */
static int build_bundle(struct c_store *s, const struct c_store_image *img, const char *tmp,
			const struct c_unpack_opts *opts, c_err **err)
{
	enum c_unpack_mode mode = opts->mode;
	_cleanup_free_ char *rootfs = NULL, *cbuf = NULL, *layers = NULL;
	_cleanup_close_ int rootfd = -1;
	_cleanup_json_ json_t *spec = NULL;
	struct c_image_config config = { 0 };
	struct c_digest digest;
	struct c_manifest *m;
	char **dirs = NULL;
	size_t clen;
	int rc = -1;

	m = load_manifest(s, img, &digest, err);
	if (!m)
		return -1;
	if (c_store_read_blob(s, &m->config.digest, C_CONFIG_MAX, &cbuf, &clen, err) < 0 ||
	    c_image_config_parse(cbuf, clen, m->config.digest.str, &config, err) < 0)
		goto out;
	if (asprintf(&rootfs, "%s/rootfs", tmp) < 0 || mkdir(rootfs, 0755) < 0) {
		c_err_sys(err, "mkdir", rootfs ? rootfs : tmp);
		goto out;
	}
	rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		c_err_sys(err, "open", rootfs);
		goto out;
	}
	if (asprintf(&layers, "%s/layers", c_store_root(s)) < 0) {
		layers = NULL;
		c_err_sys(err, "allocate", "layers");
		goto out;
	}
	if (mode == C_UNPACK_AUTO)
		mode = overlay_works(layers) ? C_UNPACK_OVERLAY : C_UNPACK_COPY;
	if (mode == C_UNPACK_COPY) {
		if (apply_layers(s, m, &config, rootfd, err) < 0)
			goto out;
		spec = c_spec_from_image(config.doc, rootfd, &opts->spec, err);
	} else {
		if (c_layers_ensure(s, m, &config, opts->workers ? opts->workers : default_workers(),
				    &dirs, err) < 0)
			goto out;
		spec = spec_from_layers(config.doc, &opts->spec, dirs, m->nlayers, layers, rootfs,
					err);
		if (spec && annotate_lowerdirs(spec, dirs, m->nlayers, err) < 0)
			goto out;
	}
	if (spec && c_spec_write(tmp, spec, err) == 0)
		rc = 0;
out:
	c_layers_free_dirs(dirs, m->nlayers);
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

int c_unpack_image(struct c_store *s, const char *image, const char *dir,
		   const struct c_unpack_opts *opts, c_err **err)
{
	static const struct c_unpack_opts defaults = { .mode = C_UNPACK_AUTO };
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
	if (!opts)
		opts = &defaults;
	rc = tmp ? build_bundle(s, &img, tmp, opts, err) : -1;
	if (rc == 0 && chmod(tmp, 0755) < 0)
		rc = c_err_sys(err, "chmod", tmp);
	/* renameat2 NOREPLACE would be stricter, but a bundle that appeared
	 * meanwhile makes rename fail too (ENOTEMPTY) unless it is empty. */
	if (rc == 0 && rename(tmp, dir) < 0)
		rc = c_err_sys(err, "rename to", dir);
	if (rc < 0 && tmp)
		c_remove_tree(tmp);
	c_store_image_clear(&img);
	if (rc < 0)
		return c_err_wrap(err, "unpack %s", image);
	return 0;
}

int c_unpack_layer(int fd, const char *name, const char *dir, c_err **err)
{
	struct c_layer_opts opts = { .mode = C_LAYER_COPY, .root = geteuid() == 0, .sniff = true };
	_cleanup_close_ int rootfd = -1;
	struct c_digest diff_id;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return c_err_sys(err, "mkdir", dir);
	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return c_err_sys(err, "open", dir);
	if (c_layer_apply(rootfd, fd, C_COMPRESSION_NONE, &opts, &diff_id, err) < 0)
		return c_err_wrap(err, "layer %s", name);
	return 0;
}
