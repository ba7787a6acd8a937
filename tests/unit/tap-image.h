/* tap-image.h — images made for the tests in a store of their own:
 * tests/fixtures/mkimage.py builds one from a JSON spec into the store's
 * OCI layout (so run the tests from the top of the repository), and
 * tap_image_tamper() names a copy of an image whose config says other
 * diff_ids, for the refusals; tap_image_load() reads an image's manifest
 * and config back.  TAP_LAYER_* are layers of mkimage.py's spec that the
 * tests share: TAP_LAYER_BASE (etc/passwd, a tool, files for the layers
 * above to delete and link to), TAP_LAYER_WHITEOUTS on it (a whiteout, an
 * opaque dir), TAP_LAYER_LINKS on those (a hardlink to a file below). */
#ifndef C_TAP_IMAGE_H
#define C_TAP_IMAGE_H

#include "json.h"
#include "manifest.h"
#include "store.h"
#include "tap.h"

/* TAP_LAYER_BASE's etc/passwd; nl "\\n" in the JSON of the spec */
#define TAP_PASSWD_LINES(nl)                                                                      \
	"root:x:0:0::/root:/bin/sh" nl "app:x:1000:1000::/home/app:/bin/sh" nl
#define TAP_PASSWD TAP_PASSWD_LINES("\n")
#define TAP_LAYER_BASE                                                                             \
	"{\"entries\":[{\"path\":\"etc\",\"type\":\"dir\"},"                                       \
	"{\"path\":\"etc/passwd\",\"content\":\"" TAP_PASSWD_LINES("\\n") "\"},"                   \
	"{\"path\":\"etc/group\",\"content\":\"root:x:0:\\napp:x:1000:\\n\"},"                     \
	"{\"path\":\"bin\",\"type\":\"dir\"},"                                                     \
	"{\"path\":\"bin/tool\",\"content\":\"#!/bin/sh\\n\",\"mode\":\"0755\"},"                  \
	"{\"path\":\"data\",\"type\":\"dir\"},"                                                    \
	"{\"path\":\"data/shared\",\"content\":\"shared content\\n\"},"                            \
	"{\"path\":\"gone\",\"type\":\"dir\"},{\"path\":\"gone/file\",\"content\":\"x\"},"         \
	"{\"path\":\"opaque\",\"type\":\"dir\"},{\"path\":\"opaque/old\",\"content\":\"old\"}]}"
#define TAP_LAYER_WHITEOUTS                                                                        \
	"{\"entries\":[{\"path\":\"l2.txt\",\"content\":\"two\"},"                                 \
	"{\"path\":\"gone\",\"type\":\"whiteout\"},"                                               \
	"{\"path\":\"opaque\",\"type\":\"dir\"},{\"path\":\"opaque\",\"type\":\"opaque\"},"        \
	"{\"path\":\"opaque/new\",\"content\":\"new\"}]}"
#define TAP_LAYER_LINKS                                                                            \
	"{\"entries\":[{\"path\":\"links\",\"type\":\"dir\"},"                                     \
	"{\"path\":\"links/to-lower\",\"type\":\"hardlink\",\"target\":\"data/shared\"},"          \
	"{\"path\":\"l3.txt\",\"content\":\"three\"}]}"

/* The store at root, made when missing; bail when it does not open. */
static inline struct c_store *tap_store_open(const char *root)
{
	c_err *e = NULL;
	struct c_store *s = c_store_open(root, &e);

	if (!s) {
		tap_err_has(&e, "(success)");
		tap_bail("open store", root);
	}
	return s;
}

/* Build the image spec describes (mkimage.py's JSON) into the store, named
 * ref; its manifest's (or index's) digest into digest.  Bail on failure:
 * the tests after it would say nothing useful. */
static inline void tap_mkimage(struct c_store *s, const char *ref, const char *spec,
			       struct c_digest *digest)
{
	char path[] = "/tmp/c-tools-spec-XXXXXX", cmd[PATH_MAX + 256], out[256] = "";
	int fd = mkstemp(path);
	c_err *e = NULL;
	FILE *f;

	if (fd < 0 || c_write_all(fd, spec, strlen(spec)) < 0)
		tap_bail("write spec", path);
	close(fd);
	snprintf(cmd, sizeof cmd, "python3 tests/fixtures/mkimage.py --ref '%s' %s '%s'", ref, path,
		 c_store_root(s));
	f = popen(cmd, "r");
	if (!f || !fgets(out, sizeof out, f) || pclose(f) != 0) {
		unlink(path);
		tap_bail("mkimage.py", ref);
	}
	unlink(path);
	out[strcspn(out, "\n")] = '\0';
	if (c_digest_parse(digest, out, &e) < 0) {
		c_err_free(&e);
		errno = EINVAL;
		tap_bail("mkimage.py digest", out);
	}
}

static inline void tap_put_json(struct c_store *s, json_t *doc, struct c_digest *d, int64_t *size)
{
	c_err *e = NULL;
	size_t len;
	char *text = c_json_dump(doc, &len, &e);
	struct c_hasher h;

	if (!text)
		tap_bail("dump", "json");
	c_hasher_init(&h, C_DIGEST_SHA256);
	c_hasher_update(&h, text, len);
	c_hasher_final(&h, d);
	if (c_store_put_blob(s, d, text, len, &e) < 0)
		tap_bail("put blob", d->str);
	*size = (int64_t)len;
	free(text);
}

/* Name as tampered a copy of the image name (a manifest) whose config's
 * diff_ids[layer] is diff_id; diff_id NULL drops that entry instead. */
static inline void tap_image_tamper(struct c_store *s, const char *name, const char *tampered,
				    size_t layer, const char *diff_id)
{
	struct c_store_image img;
	struct c_digest cd, md;
	json_t *m, *cfg, *ids;
	int64_t csize, msize;
	c_err *e = NULL;

	if (c_store_resolve(s, name, &img, &e) < 0 || !(m = c_store_read_json(s, &img.digest, &e)))
		tap_bail("resolve", name);
	if (c_digest_parse(&cd, json_string_value(json_object_get(json_object_get(m, "config"),
								    "digest")),
			   &e) < 0 ||
	    !(cfg = c_store_read_json(s, &cd, &e)))
		tap_bail("config of", name);
	ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (diff_id)
		json_array_set_new(ids, layer, json_string(diff_id));
	else
		json_array_remove(ids, layer);
	tap_put_json(s, cfg, &cd, &csize);
	json_object_set_new(json_object_get(m, "config"), "digest", json_string(cd.str));
	json_object_set_new(json_object_get(m, "config"), "size", json_integer(csize));
	tap_put_json(s, m, &md, &msize);
	if (c_store_set_name(s, tampered, C_MEDIA_OCI_MANIFEST, &md, msize, &e) < 0)
		tap_bail("name", tampered);
	json_decref(cfg);
	json_decref(m);
	c_store_image_clear(&img);
}

/* The manifest and config of the image name (a manifest); bail when they
 * do not read. */
static inline void tap_image_load(struct c_store *s, const char *name, struct c_manifest **m,
				  struct c_image_config *config)
{
	struct c_store_image img;
	char *buf = NULL;
	size_t len;
	c_err *e = NULL;

	if (c_store_resolve(s, name, &img, &e) < 0 ||
	    c_store_read_blob(s, &img.digest, C_MANIFEST_MAX, &buf, &len, &e) < 0 ||
	    !(*m = c_manifest_parse(buf, len, NULL, name, &e)))
		tap_bail("manifest of", name);
	free(buf);
	buf = NULL;
	if (c_store_read_blob(s, &(*m)->config.digest, C_CONFIG_MAX, &buf, &len, &e) < 0 ||
	    c_image_config_parse(buf, len, name, config, &e) < 0)
		tap_bail("config of", name);
	free(buf);
	c_store_image_clear(&img);
}

#endif
