#include "manifest.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"

#define MEDIA_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define MEDIA_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

static const char *const doc_types[] = {
	C_MEDIA_OCI_MANIFEST,
	C_MEDIA_OCI_INDEX,
	C_MEDIA_DOCKER_MANIFEST,
	C_MEDIA_DOCKER_LIST,
};

/* What registries send when they do not know better. */
static const char *const generic_types[] = {
	"",
	"application/json",
	"text/plain",
	"application/octet-stream",
};

static const struct layer_type {
	const char *media_type;
	enum c_compression compression;
	bool foreign;
} layer_types[] = {
	{ "application/vnd.oci.image.layer.v1.tar", C_COMPRESSION_NONE, false },
	{ "application/vnd.oci.image.layer.v1.tar+gzip", C_COMPRESSION_GZIP, false },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", C_COMPRESSION_ZSTD, false },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar", C_COMPRESSION_NONE, true },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", C_COMPRESSION_GZIP,
	  true },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", C_COMPRESSION_ZSTD,
	  true },
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip", C_COMPRESSION_GZIP, false },
	{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", C_COMPRESSION_GZIP, true },
	/* Written by buildah and skopeo for uncompressed Docker layers. */
	{ "application/vnd.docker.image.rootfs.diff.tar", C_COMPRESSION_NONE, false },
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

#define IN_LIST(s, list) in_list(s, list, sizeof list / sizeof list[0])

bool c_media_is_index(const char *media_type)
{
	return media_type &&
	       (!strcmp(media_type, C_MEDIA_OCI_INDEX) || !strcmp(media_type, C_MEDIA_DOCKER_LIST));
}

static bool is_schema1(const char *media_type)
{
	return !strcmp(media_type, MEDIA_SCHEMA1) || !strcmp(media_type, MEDIA_SCHEMA1_SIGNED);
}

static int schema1(c_err **err, const char *name)
{
	return c_err_new(err, C_EXIT_DATA, 0, "schema 1 manifests are not supported: %s", name);
}

/* A string field that must fit a fixed buffer and hold no NUL. */
static int get_fixed(json_t *obj, const char *where, const char *key, bool required, char *out,
		     size_t size, c_err **err)
{
	json_t *v;

	if (c_json_get(obj, where, key, JSON_STRING, required, &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	if (json_string_length(v) >= size || strlen(json_string_value(v)) != json_string_length(v))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s%s%s: longer than %zu bytes", where,
				 *where ? "." : "", key, size - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_digest(json_t *obj, const char *where, const char *key, struct c_digest *d,
		      c_err **err)
{
	json_t *v;

	if (c_json_get(obj, where, key, JSON_STRING, true, &v, err) < 0)
		return -1;
	if (c_digest_parse_n(d, json_string_value(v), json_string_length(v), err) < 0)
		return c_err_wrap(err, "field %s%s%s", where, *where ? "." : "", key);
	return 0;
}

/* Every element of an array, or every value of an object, is a string. */
static int all_strings(json_t *v, const char *where, c_err **err)
{
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return c_err_new(err, C_EXIT_DATA, 0,
						 "field %s[%zu]: expected string, got %s", where, i,
						 c_json_type_name(e));
	} else {
		json_object_foreach(v, key, e)
			if (!json_is_string(e))
				return c_err_new(err, C_EXIT_DATA, 0,
						 "field %s.%s: expected string, got %s", where, key,
						 c_json_type_name(e));
	}
	return 0;
}

static int get_annotations(json_t *obj, const char *where, json_t **out, c_err **err)
{
	char path[64];

	if (c_json_get(obj, where, "annotations", JSON_OBJECT, false, out, err) < 0)
		return -1;
	snprintf(path, sizeof path, "%s%sannotations", where, *where ? "." : "");
	return *out ? all_strings(*out, path, err) : 0;
}

static int parse_platform(json_t *obj, const char *where, struct c_descriptor *d, c_err **err)
{
	char path[64];
	json_t *p;

	if (c_json_get(obj, where, "platform", JSON_OBJECT, false, &p, err) < 0)
		return -1;
	if (!p)
		return 0;
	snprintf(path, sizeof path, "%s.platform", where);
	if (get_fixed(p, path, "os", true, d->platform.os, sizeof d->platform.os, err) < 0 ||
	    get_fixed(p, path, "architecture", true, d->platform.arch, sizeof d->platform.arch,
		      err) < 0 ||
	    get_fixed(p, path, "variant", false, d->platform.variant, sizeof d->platform.variant,
		      err) < 0 ||
	    get_fixed(p, path, "os.version", false, d->platform.os_version,
		      sizeof d->platform.os_version, err) < 0)
		return -1;
	d->has_platform = true;
	return 0;
}

static int parse_descriptor(json_t *obj, const char *where, struct c_descriptor *d, c_err **err)
{
	long long size;
	char path[64];

	memset(d, 0, sizeof *d);
	if (c_json_get_string(obj, where, "mediaType", true, &d->media_type, err) < 0 ||
	    get_digest(obj, where, "digest", &d->digest, err) < 0 ||
	    c_json_get_int(obj, where, "size", true, &size, err) < 0)
		return -1;
	if (size < 0)
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.size: negative: %lld", where, size);
	d->size = size;
	if (c_json_get(obj, where, "urls", JSON_ARRAY, false, &d->urls, err) < 0)
		return -1;
	snprintf(path, sizeof path, "%s.urls", where);
	if (d->urls && all_strings(d->urls, path, err) < 0)
		return -1;
	return get_annotations(obj, where, &d->annotations, err);
}

static int parse_layer(json_t *obj, const char *where, struct c_descriptor *d, c_err **err)
{
	size_t i;

	if (parse_descriptor(obj, where, d, err) < 0)
		return -1;
	for (i = 0; i < sizeof layer_types / sizeof layer_types[0]; i++)
		if (!strcmp(d->media_type, layer_types[i].media_type))
			break;
	if (i == sizeof layer_types / sizeof layer_types[0])
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field %s.mediaType: unsupported layer type \"%s\"", where,
				 d->media_type);
	d->compression = layer_types[i].compression;
	d->foreign = layer_types[i].foreign;
	return 0;
}

/* Parse the array field `key` of descriptors into *out. */
static int parse_list(json_t *doc, const char *key,
		      int (*parse)(json_t *, const char *, struct c_descriptor *, c_err **),
		      struct c_descriptor **out, size_t *n, c_err **err)
{
	char where[64];
	json_t *arr, *e;
	size_t i;

	if (c_json_get(doc, "", key, JSON_ARRAY, true, &arr, err) < 0)
		return -1;
	*n = json_array_size(arr);
	*out = calloc(*n ? *n : 1, sizeof **out);
	if (!*out)
		return c_err_sys(err, "parse", key);
	json_array_foreach(arr, i, e) {
		snprintf(where, sizeof where, "%s[%zu]", key, i);
		if (parse(e, where, &(*out)[i], err) < 0)
			return -1;
	}
	return 0;
}

static int parse_index_entry(json_t *obj, const char *where, struct c_descriptor *d, c_err **err)
{
	if (parse_descriptor(obj, where, d, err) < 0)
		return -1;
	return parse_platform(obj, where, d, err);
}

/* Image manifests and indexes differ by their keys too; a document with both
 * sets could be read either way, so it is refused (as containers/image does). */
static int refuse_key(json_t *doc, const char *key, const char *kind, c_err **err)
{
	if (json_object_get(doc, key))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s: not allowed in %s", key, kind);
	return 0;
}

static int parse_image(struct c_manifest *m, c_err **err)
{
	json_t *cfg;

	if (refuse_key(m->doc, "manifests", "an image manifest", err) < 0 ||
	    c_json_get(m->doc, "", "config", JSON_OBJECT, true, &cfg, err) < 0 ||
	    parse_descriptor(cfg, "config", &m->config, err) < 0)
		return -1;
	if (strcmp(m->config.media_type, C_MEDIA_OCI_CONFIG) &&
	    strcmp(m->config.media_type, C_MEDIA_DOCKER_CONFIG))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field config.mediaType: not a container image config: \"%s\"",
				 m->config.media_type);
	return parse_list(m->doc, "layers", parse_layer, &m->layers, &m->nlayers, err);
}

static int parse_index(struct c_manifest *m, c_err **err)
{
	if (refuse_key(m->doc, "config", "an index", err) < 0 ||
	    refuse_key(m->doc, "layers", "an index", err) < 0)
		return -1;
	return parse_list(m->doc, "manifests", parse_index_entry, &m->manifests, &m->nmanifests,
			  err);
}

/* The media type of a Content-Type header: lowercase, no parameters. */
static void content_media_type(const char *header, char *out, size_t size)
{
	size_t n = 0;

	if (!header)
		header = "";
	while (*header == ' ' || *header == '\t')
		header++;
	while (*header && *header != ';' && *header != ' ' && *header != '\t' && n + 1 < size)
		out[n++] = tolower((unsigned char)*header++);
	out[n] = '\0';
}

/* Which of the four types the document is, from the header and the body. */
static int detect(struct c_manifest *m, const char *ct, c_err **err)
{
	const char *body = NULL;

	if (c_json_get_string(m->doc, "", "mediaType", false, &body, err) < 0)
		return -1;
	if (*ct && !IN_LIST(ct, generic_types)) {
		if (body && strcmp(body, ct))
			return c_err_new(err, C_EXIT_DATA, 0,
					 "field mediaType: \"%s\" but the registry sent \"%s\"",
					 body, ct);
		m->media_type = ct;
	} else if (body) {
		m->media_type = body;
	} else if (json_object_get(m->doc, "manifests")) {
		m->media_type = C_MEDIA_OCI_INDEX;
	} else if (json_object_get(m->doc, "config") || json_object_get(m->doc, "layers")) {
		m->media_type = C_MEDIA_OCI_MANIFEST;
	} else {
		return c_err_new(err, C_EXIT_DATA, 0,
				 "no mediaType, manifests or layers: not a manifest");
	}
	for (size_t i = 0; i < sizeof doc_types / sizeof doc_types[0]; i++)
		if (!strcmp(m->media_type, doc_types[i])) {
			/* A pointer that outlives the caller's header. */
			m->media_type = doc_types[i];
			m->is_index = c_media_is_index(m->media_type);
			return 0;
		}
	return c_err_new(err, C_EXIT_DATA, 0, "unsupported media type \"%s\"", m->media_type);
}

/* By its schemaVersion or its mediaType (the header was checked first). */
static bool is_schema1_doc(json_t *doc)
{
	json_t *version = json_object_get(doc, "schemaVersion");
	json_t *media_type = json_object_get(doc, "mediaType");

	return (json_is_integer(version) && json_integer_value(version) == 1) ||
	       (json_is_string(media_type) && is_schema1(json_string_value(media_type)));
}

static int parse_doc(struct c_manifest *m, const char *ct, c_err **err)
{
	long long version;

	if (!json_is_object(m->doc))
		return c_err_new(err, C_EXIT_DATA, 0, "expected a JSON object, got %s",
				 c_json_type_name(m->doc));
	if (c_json_get_int(m->doc, "", "schemaVersion", true, &version, err) < 0)
		return -1;
	if (version != 2)
		return c_err_new(err, C_EXIT_DATA, 0, "field schemaVersion: expected 2, got %lld",
				 version);
	if (detect(m, ct, err) < 0)
		return -1;
	if (m->is_index) {
		if (parse_index(m, err) < 0)
			return -1;
	} else if (parse_image(m, err) < 0) {
		return -1;
	}
	return get_annotations(m->doc, "", &m->annotations, err);
}

struct c_manifest *c_manifest_parse(const char *buf, size_t len, const char *content_type,
				    const char *name, c_err **err)
{
	_cleanup_free_ char *label = NULL;
	struct c_manifest *m;
	char ct[128];

	content_media_type(content_type, ct, sizeof ct);
	if (is_schema1(ct)) {
		schema1(err, name);
		return NULL;
	}
	if (asprintf(&label, "manifest %s", name) < 0) {
		c_err_sys(err, "parse manifest", name);
		return NULL;
	}
	m = calloc(1, sizeof *m);
	if (!m) {
		c_err_sys(err, "parse manifest", name);
		return NULL;
	}
	m->doc = c_json_parse(buf, len, label, err);
	if (!m->doc)
		goto fail;
	if (json_is_object(m->doc) && is_schema1_doc(m->doc)) {
		schema1(err, name);
		goto fail;
	}
	if (parse_doc(m, ct, err) < 0) {
		c_err_wrap(err, "%s %s", m->is_index ? "index" : "manifest", name);
		goto fail;
	}
	return m;
fail:
	c_manifest_free(m);
	return NULL;
}

void c_manifest_free(struct c_manifest *m)
{
	if (!m)
		return;
	free(m->layers);
	free(m->manifests);
	json_decref(m->doc);
	free(m);
}

/* --- platform selection ------------------------------------------------------- */

static bool is_doc_type(const char *media_type)
{
	return IN_LIST(media_type, doc_types);
}

/* "linux/amd64, linux/arm64/v8", leaving out attestations (unknown/unknown). */
static char *available(const struct c_manifest *index)
{
	char buf[C_PLATFORM_STR_MAX], *out = NULL;
	size_t size = 0, n = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < index->nmanifests; i++) {
		const struct c_descriptor *d = &index->manifests[i];

		if (!d->has_platform || !is_doc_type(d->media_type) ||
		    !strcmp(d->platform.os, "unknown"))
			continue;
		fprintf(f, "%s%s", n++ ? ", " : "", c_platform_str(&d->platform, buf));
	}
	if (!n)
		fputs("none", f);
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

const struct c_descriptor *c_index_select(const struct c_manifest *index,
					  const struct c_platform *want, const char *name,
					  c_err **err)
{
	const struct c_descriptor *best = NULL;
	_cleanup_free_ char *avail = NULL;
	char buf[C_PLATFORM_STR_MAX];
	int best_score = -1, score;

	for (size_t i = 0; i < index->nmanifests; i++) {
		const struct c_descriptor *d = &index->manifests[i];

		if (!is_doc_type(d->media_type))
			continue;
		/* Platform matches score from 1 up; an unlabelled entry comes last. */
		score = d->has_platform ? c_platform_score(want, &d->platform) : 0;
		if (score > best_score) {
			best = d;
			best_score = score;
		}
	}
	if (best)
		return best;
	avail = available(index);
	c_err_new(err, C_EXIT_NOTFOUND, 0, "no image for platform %s in %s (available: %s)",
		  c_platform_str(want, buf), name, avail ? avail : "?");
	return NULL;
}

/* --- image configs ------------------------------------------------------------ */

static int parse_config(struct c_image_config *c, c_err **err)
{
	json_t *rootfs, *ids, *e;
	const char *type;
	char where[64];
	size_t i;

	if (!json_is_object(c->doc))
		return c_err_new(err, C_EXIT_DATA, 0, "expected a JSON object, got %s",
				 c_json_type_name(c->doc));
	if (c_json_get_string(c->doc, "", "created", false, &c->created, err) < 0 ||
	    get_fixed(c->doc, "", "architecture", true, c->platform.arch,
		      sizeof c->platform.arch, err) < 0 ||
	    get_fixed(c->doc, "", "os", true, c->platform.os, sizeof c->platform.os, err) < 0 ||
	    get_fixed(c->doc, "", "variant", false, c->platform.variant,
		      sizeof c->platform.variant, err) < 0 ||
	    get_fixed(c->doc, "", "os.version", false, c->platform.os_version,
		      sizeof c->platform.os_version, err) < 0 ||
	    c_json_get(c->doc, "", "rootfs", JSON_OBJECT, true, &rootfs, err) < 0 ||
	    c_json_get_string(rootfs, "rootfs", "type", true, &type, err) < 0 ||
	    c_json_get(rootfs, "rootfs", "diff_ids", JSON_ARRAY, true, &ids, err) < 0)
		return -1;
	if (strcmp(type, "layers"))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field rootfs.type: expected \"layers\", got \"%s\"", type);
	c->ndiff_ids = json_array_size(ids);
	c->diff_ids = calloc(c->ndiff_ids ? c->ndiff_ids : 1, sizeof *c->diff_ids);
	if (!c->diff_ids)
		return c_err_sys(err, "parse", "rootfs.diff_ids");
	json_array_foreach(ids, i, e) {
		snprintf(where, sizeof where, "rootfs.diff_ids[%zu]", i);
		if (!json_is_string(e))
			return c_err_new(err, C_EXIT_DATA, 0, "field %s: expected string, got %s",
					 where, c_json_type_name(e));
		if (c_digest_parse_n(&c->diff_ids[i], json_string_value(e), json_string_length(e),
				     err) < 0)
			return c_err_wrap(err, "field %s", where);
	}
	return 0;
}

int c_image_config_parse(const char *buf, size_t len, const char *name,
			 struct c_image_config *config, c_err **err)
{
	_cleanup_free_ char *label = NULL;

	memset(config, 0, sizeof *config);
	if (asprintf(&label, "config %s", name) < 0)
		return c_err_sys(err, "parse config", name);
	config->doc = c_json_parse(buf, len, label, err);
	if (!config->doc)
		return -1;
	if (parse_config(config, err) < 0) {
		c_err_wrap(err, "%s", label);
		c_image_config_free(config);
		return -1;
	}
	return 0;
}

void c_image_config_free(struct c_image_config *config)
{
	free(config->diff_ids);
	json_decref(config->doc);
	memset(config, 0, sizeof *config);
}

/* The OCI layer type for a layer's compression, distributable or not: the
 * first six entries of layer_types are the OCI ones. */
static const char *oci_layer_type(const struct c_descriptor *d)
{
	for (size_t i = 0; i < 6; i++)
		if (layer_types[i].compression == d->compression && layer_types[i].foreign == d->foreign)
			return layer_types[i].media_type;
	return NULL;
}

static json_t *oci_descriptor(const char *media_type, const struct c_descriptor *d)
{
	json_t *o = json_pack("{s:s,s:s,s:I}", "mediaType", media_type, "digest", d->digest.str,
			      "size", (json_int_t)d->size);

	if (o && d->urls)
		json_object_set(o, "urls", d->urls);
	if (o && d->annotations)
		json_object_set(o, "annotations", d->annotations);
	return o;
}

static char *make_oci(const struct c_descriptor *config, const struct c_descriptor *layers,
		      size_t n, json_t *annotations, size_t *len, c_err **err)
{
	json_t *doc, *list;
	char *out;

	doc = json_pack("{s:i,s:s,s:o,s:o}", "schemaVersion", 2, "mediaType", C_MEDIA_OCI_MANIFEST,
			"config", oci_descriptor(C_MEDIA_OCI_CONFIG, config), "layers",
			json_array());
	list = doc ? json_object_get(doc, "layers") : NULL;
	for (size_t i = 0; list && i < n; i++)
		if (json_array_append_new(list, oci_descriptor(oci_layer_type(&layers[i]),
							       &layers[i])) < 0)
			list = NULL;
	if (doc && list && annotations)
		json_object_set(doc, "annotations", annotations);
	out = doc && list ? c_json_dump(doc, len, err) : NULL;
	if (!out && !(doc && list))
		c_err_new(err, C_EXIT_FAIL, ENOMEM, "make manifest");
	json_decref(doc);
	return out;
}

char *c_manifest_to_oci(const struct c_manifest *m, size_t *len, c_err **err)
{
	char *out = make_oci(&m->config, m->layers, m->nlayers, m->annotations, len, err);

	if (!out)
		c_err_wrap(err, "convert manifest to OCI");
	return out;
}

char *c_manifest_make_oci(const struct c_descriptor *config, const struct c_descriptor *layers,
			  size_t n, size_t *len, c_err **err)
{
	return make_oci(config, layers, n, NULL, len, err);
}

const char *c_media_oci_layer(enum c_compression comp)
{
	struct c_descriptor d = { .compression = comp };

	return oci_layer_type(&d);
}
