/* manifest.h — registry documents: image manifests, indexes, image configs.
 *
 * The caller has fetched the bytes (at most C_MANIFEST_MAX or C_CONFIG_MAX)
 * and knows the Content-Type.  Four media types are read, OCI and Docker
 * schema 2 alike; Docker schema 1 is refused.  A parsed document keeps its
 * JSON: every string in it (media types, platform-less fields, annotations)
 * is borrowed from it and lives until the document is freed.
 *
 * Errors are C_EXIT_DATA and name the document and the field:
 *     manifest sha256:ab12…: field layers[2].digest: malformed digest "x": …
 *
 * Pulling by platform:
 *
 *     m = c_manifest_parse(body, len, content_type, ref.str, err);
 *     while (m && m->is_index) {
 *             d = c_index_select(m, &want, ref.str, err);
 *             ... fetch d->digest, check it, c_manifest_free(m), parse again
 *     }
 *
 * A descriptor chosen without a platform (an index inside an index, or a
 * manifest the index did not label) is confirmed afterwards against the
 * config's os and architecture with c_platform_score().
 */
#ifndef C_MANIFEST_H
#define C_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "digest.h"
#include "err.h"
#include "ref.h"

#define C_MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define C_MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define C_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define C_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define C_MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define C_MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* The Accept header value of a manifest request, OCI first. */
#define C_MANIFEST_ACCEPT                                                              \
	C_MEDIA_OCI_MANIFEST ", " C_MEDIA_OCI_INDEX ", " C_MEDIA_DOCKER_MANIFEST ", " \
		C_MEDIA_DOCKER_LIST

/* Size caps for callers that read these documents. */
#define C_MANIFEST_MAX (4 << 20) /* manifests and indexes */
#define C_CONFIG_MAX (8 << 20)   /* image configs */

enum c_compression {
	C_COMPRESSION_NONE,
	C_COMPRESSION_GZIP,
	C_COMPRESSION_ZSTD,
};

struct c_descriptor {
	const char *media_type;
	struct c_digest digest;
	int64_t size;
	json_t *urls;              /* array of strings, or NULL */
	json_t *annotations;       /* object of strings, or NULL */
	bool has_platform;         /* index entries */
	struct c_platform platform;
	enum c_compression compression; /* layers */
	bool foreign;                   /* layers: nondistributable, may need urls */
};

struct c_manifest {
	json_t *doc;
	const char *media_type; /* one of the four C_MEDIA_* document types */
	bool is_index;
	/* an image manifest */
	struct c_descriptor config;
	struct c_descriptor *layers;
	size_t nlayers;
	/* an index or manifest list */
	struct c_descriptor *manifests;
	size_t nmanifests;
	json_t *annotations; /* object of strings, or NULL */
};

/* Parse a manifest or an index.  content_type is the response's header
 * (parameters ignored); when it is missing or generic (application/json,
 * text/plain, application/octet-stream) the body's mediaType field, or else
 * its "manifests" or "layers" key, tells.  name is the reference or digest
 * for messages. */
struct c_manifest *c_manifest_parse(const char *buf, size_t len, const char *content_type,
				    const char *name, c_err **err);
void c_manifest_free(struct c_manifest *m);

/* A Docker schema 2 image manifest as the OCI manifest skopeo would write for
 * it (same config and layers, OCI media types), so that OCI tools such as
 * umoci read the store.  Caller frees. */
char *c_manifest_to_oci(const struct c_manifest *m, size_t *len, c_err **err);

/* An OCI image manifest for an image made here (an import, a load of a
 * Docker archive): the config (OCI config media type) and the layers
 * (OCI layer media types for their compression; digest and size), as
 * c_manifest_to_oci writes them.  Caller frees. */
char *c_manifest_make_oci(const struct c_descriptor *config, const struct c_descriptor *layers,
			  size_t n, size_t *len, c_err **err);

/* The OCI media type of a layer compressed so: ...layer.v1.tar, +gzip, +zstd. */
const char *c_media_oci_layer(enum c_compression comp);

/* An index media type (OCI index or Docker list)? */
bool c_media_is_index(const char *media_type);

/* The entry of an index for platform want: the best c_platform_score(), the
 * first on a tie, and entries without a platform only when none has one that
 * fits.  Only manifest and index entries are candidates.  When nothing fits:
 *     no image for platform linux/s390x in REF (available: linux/amd64, linux/arm64/v8)
 * with status C_EXIT_NOTFOUND. */
const struct c_descriptor *c_index_select(const struct c_manifest *index,
					  const struct c_platform *want, const char *name,
					  c_err **err);

/* An image config, just what pulling needs; the rest is read from doc. */
struct c_image_config {
	json_t *doc;
	const char *created;      /* NULL when absent */
	struct c_platform platform; /* architecture, os, variant, os.version */
	struct c_digest *diff_ids;
	size_t ndiff_ids;
};

int c_image_config_parse(const char *buf, size_t len, const char *name,
			 struct c_image_config *config, c_err **err);
void c_image_config_free(struct c_image_config *config);

#endif
