#include "import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "change.h"
#include "cleanup.h"
#include "json.h"
#include "mklayer.h"
#include "path.h"
#include "ref.h"
#include "tardir.h"
#include "tarstream.h"
#include "timefmt.h"

json_t *c_import_config(const struct c_import_opts *o, const char *source, c_err **err)
{
	_cleanup_free_ char *comment = NULL;
	char created[C_RFC3339_MAX];
	struct c_platform p;
	json_t *cfg, *config;

	if (o->platform ? c_platform_parse(&p, o->platform, err) < 0 : (c_platform_host(&p), 0))
		return NULL;
	if (!o->message && asprintf(&comment, "Imported from %s", source) < 0) {
		c_err_sys(err, "import", source);
		return NULL;
	}
	c_time_rfc3339(NULL, created);
	cfg = json_pack("{s:s,s:s}", "created", created, "architecture", p.arch);
	if (cfg && *p.variant)
		json_object_set_new(cfg, "variant", json_string(p.variant));
	if (cfg &&
	    (json_object_set_new(cfg, "os", json_string(p.os)) < 0 ||
	     json_object_set_new(cfg, "config", json_object()) < 0 ||
	     json_object_set_new(cfg, "rootfs", json_pack("{s:s,s:[]}", "type", "layers",
							  "diff_ids")) < 0 ||
	     json_object_set_new(cfg, "history",
				 json_pack("[{s:s,s:s}]", "created", created, "comment",
					   o->message ? o->message : comment)) < 0)) {
		json_decref(cfg);
		cfg = NULL;
	}
	if (!cfg) {
		c_err_new(err, C_EXIT_DATA, 0, "import %s: cannot make the image config (a message "
					       "that is not UTF-8?)", source);
		return NULL;
	}
	config = json_object_get(cfg, "config");
	if (c_change_apply(config, o->changes, o->nchanges, err) < 0) {
		json_decref(cfg);
		return NULL;
	}
	return cfg;
}

static int to_layer(void *arg, const void *buf, size_t len, c_err **err)
{
	return c_mklayer_write(arg, buf, len, err);
}

/* A name inside the layer that climbs out of it. */
static int check_entry(struct archive_entry *e, c_err **err)
{
	const char *name = archive_entry_pathname(e), *link = archive_entry_hardlink(e);
	c_err *ignore = NULL;

	if (!name || c_path_check_no_dotdot(name, &ignore) < 0 ||
	    (link && c_path_check_no_dotdot(link, &ignore) < 0)) {
		c_err_free(&ignore);
		return c_err_new(err, C_EXIT_DATA, 0, "entry \"%s\": '..' components are not allowed",
				 name ? name : "");
	}
	return 0;
}

/* The tar from fd, read through to check it, into the layer. */
static int layer_from_tar(int fd, struct c_mklayer *l, c_err **err)
{
	struct c_tarin *t = c_tarin_open(fd, to_layer, l, NULL, err);
	struct archive_entry *e;
	int r, entries = 0;

	if (!t)
		return -1;
	while ((r = c_tarin_next(t, &e, err)) > 0) {
		entries++;
		if (check_entry(e, err) < 0 || c_tarin_skip(t, err) < 0) {
			r = -1;
			break;
		}
	}
	if (r == 0 && entries == 0)
		r = c_err_new(err, C_EXIT_DATA, 0, "not a tar archive, or an empty one");
	if (r == 0)
		r = c_tarin_finish(t, err);
	c_tarin_free(t);
	return r;
}

static int make_layer(struct c_store *s, const char *source, struct c_mklayer_out *out,
		      c_err **err)
{
	_cleanup_close_ int fd = -1;
	struct c_mklayer *l;
	struct stat st;
	int rc;

	if (strcmp(source, "-")) {
		fd = open(source, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return c_err_sys(err, "open", source);
	}
	if (fstat(fd >= 0 ? fd : 0, &st) < 0)
		return c_err_sys(err, "stat", source);
	l = c_mklayer_new(s, err);
	if (!l)
		return -1;
	if (S_ISDIR(st.st_mode))
		rc = c_tar_dir(source, to_layer, l, err);
	else
		rc = layer_from_tar(fd >= 0 ? fd : 0, l, err);
	if (rc == 0)
		rc = c_mklayer_commit(l, out, err);
	c_mklayer_free(l);
	return rc;
}

int c_import(struct c_store *s, const char *source, json_t *cfg, const char *name,
	     struct c_digest *manifest, c_err **err)
{
	_cleanup_free_ char *config = NULL;
	struct c_store_image img = { 0 };
	struct c_descriptor layer = { .compression = C_COMPRESSION_GZIP };
	json_t *diff_ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	struct c_mklayer_out out;
	struct c_digest stored[3];
	size_t nstored = 0, len;
	int rc = -1;

	if (name && c_store_check_name(name, err) < 0)
		return -1;
	if (make_layer(s, source, &out, err) < 0)
		return c_err_wrap(err, "import %s", source);
	stored[nstored++] = out.digest;
	layer.digest = out.digest;
	layer.size = out.size;
	if (json_array_append_new(diff_ids, json_string(out.diff_id.str)) < 0) {
		c_err_sys(err, "import", source);
		goto out;
	}
	config = c_json_dump(cfg, &len, err);
	if (!config)
		goto out;
	c_digest_of(C_DIGEST_SHA256, config, len, &stored[nstored++]);
	if (c_mkimage(s, config, len, &layer, 1, &img, err) < 0)
		goto out;
	stored[nstored++] = img.digest;
	img.name = name ? strdup(name) : NULL;
	if (name && !img.name) {
		c_err_sys(err, "import", source);
		goto out;
	}
	if (c_store_set_names(s, &img, 1, err) < 0)
		goto out;
	*manifest = img.digest;
	rc = 0;
out:
	if (rc < 0) {
		c_err_wrap(err, "import %s", source);
		/* the blobs stored so far, unless something else uses them */
		c_store_drop_unused(s, stored, nstored, NULL);
	}
	c_store_image_clear(&img);
	return rc;
}
