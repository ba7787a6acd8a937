/* Registry documents: manifests, indexes, configs, platform selection. */
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "tap.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "3333333333333333333333333333333333333333333333333333333333333333"
#define H4 "4444444444444444444444444444444444444444444444444444444444444444"
#define D1 "sha256:" H1
#define D2 "sha256:" H2
#define D3 "sha256:" H3
#define D4 "sha256:" H4

#define OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"

#define DESC(mt, d, n) "{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":" #n "}"

#define OCI_MANIFEST                                                                    \
	"{\"schemaVersion\":2,\"mediaType\":\"" C_MEDIA_OCI_MANIFEST "\","              \
	"\"config\":" DESC(C_MEDIA_OCI_CONFIG, D1, 100) ",\"layers\":["                  \
	DESC(OCI_LAYER "+gzip", D2, 2000) "," DESC(OCI_LAYER "+zstd", D3, 3000) ","      \
	"{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"" D4 "\",\"size\":0,"             \
	"\"urls\":[\"https://example.com/l\"],\"annotations\":{\"a\":\"b\"}}],"          \
	"\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-01T00:00:00Z\"}}"

#define DOCKER_MANIFEST                                                                 \
	"{\"schemaVersion\":2,\"mediaType\":\"" C_MEDIA_DOCKER_MANIFEST "\","           \
	"\"config\":" DESC(C_MEDIA_DOCKER_CONFIG, D1, 10) ",\"layers\":["                \
	DESC(DOCKER_LAYER, D2, 20) ","                                                  \
	DESC("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", D3, 30) "]}"

#define PLAT_DESC(mt, d, plat) \
	"{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":500,\"platform\":" plat "}"

#define INDEX                                                                            \
	"{\"schemaVersion\":2,\"mediaType\":\"" C_MEDIA_OCI_INDEX "\",\"manifests\":["   \
	PLAT_DESC(C_MEDIA_OCI_MANIFEST, D1, "{\"os\":\"linux\",\"architecture\":\"amd64\"}") "," \
	PLAT_DESC(C_MEDIA_OCI_MANIFEST, D2,                                                \
		  "{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}") ","   \
	PLAT_DESC(C_MEDIA_OCI_MANIFEST, D3,                                                \
		  "{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}") ","     \
	PLAT_DESC(C_MEDIA_OCI_MANIFEST, D4,                                                \
		  "{\"os\":\"unknown\",\"architecture\":\"unknown\"}") "]}"

static struct c_manifest *parse(const char *doc, const char *ct, c_err **e)
{
	return c_manifest_parse(doc, strlen(doc), ct, "test:1", e);
}

static void test_accept(void)
{
	ok(!strcmp(C_MANIFEST_ACCEPT,
		   "application/vnd.oci.image.manifest.v1+json, "
		   "application/vnd.oci.image.index.v1+json, "
		   "application/vnd.docker.distribution.manifest.v2+json, "
		   "application/vnd.docker.distribution.manifest.list.v2+json"),
	   "Accept lists the four types, OCI first");
	ok(C_MANIFEST_MAX == 4 << 20 && C_CONFIG_MAX == 8 << 20, "size caps");
}

static void test_image_manifests(void)
{
	struct c_manifest *m;
	c_err *e = NULL;

	m = parse(OCI_MANIFEST, C_MEDIA_OCI_MANIFEST, &e);
	ok(m && !m->is_index && !strcmp(m->media_type, C_MEDIA_OCI_MANIFEST), "OCI manifest");
	ok(m && !strcmp(m->config.media_type, C_MEDIA_OCI_CONFIG) &&
		   !strcmp(m->config.digest.str, D1) && m->config.size == 100,
	   "its config descriptor");
	ok(m && m->nlayers == 3 && m->layers[0].compression == C_COMPRESSION_GZIP &&
		   m->layers[1].compression == C_COMPRESSION_ZSTD &&
		   m->layers[2].compression == C_COMPRESSION_NONE && m->layers[0].size == 2000 &&
		   !strcmp(m->layers[1].digest.str, D3) && !m->layers[0].foreign,
	   "its layers: media types, digests, sizes");
	ok(m && m->layers[2].size == 0 && json_array_size(m->layers[2].urls) == 1 &&
		   !strcmp(json_string_value(json_object_get(m->layers[2].annotations, "a")), "b") &&
		   !m->layers[0].urls,
	   "optional urls and annotations");
	ok(m && json_object_size(m->annotations) == 1, "manifest annotations");
	if (e)
		tap_diag("error: %s", e->msg);
	c_manifest_free(m);

	m = parse(DOCKER_MANIFEST, C_MEDIA_DOCKER_MANIFEST "; charset=utf-8", &e);
	ok(m && !m->is_index && !strcmp(m->media_type, C_MEDIA_DOCKER_MANIFEST) &&
		   m->nlayers == 2 && m->layers[0].compression == C_COMPRESSION_GZIP &&
		   !m->layers[0].foreign && m->layers[1].foreign,
	   "Docker schema 2 manifest (Content-Type with parameters), foreign layer");
	c_manifest_free(m);

	m = parse("{\"schemaVersion\":2,\"config\":" DESC(C_MEDIA_OCI_CONFIG, D1, 1)
		  ",\"layers\":[]}", "application/json", &e);
	ok(m && !strcmp(m->media_type, C_MEDIA_OCI_MANIFEST) && m->nlayers == 0,
	   "generic Content-Type and no mediaType: layers make it a manifest");
	c_manifest_free(m);

	m = parse(DOCKER_MANIFEST, NULL, &e);
	ok(m && !strcmp(m->media_type, C_MEDIA_DOCKER_MANIFEST),
	   "no Content-Type: the body's mediaType tells");
	c_manifest_free(m);

	m = parse(DOCKER_MANIFEST, "Text/Plain", &e);
	ok(m && !strcmp(m->media_type, C_MEDIA_DOCKER_MANIFEST), "text/plain is generic too");
	c_manifest_free(m);

	m = parse("{\"schemaVersion\":2,\"config\":" DESC(C_MEDIA_OCI_CONFIG, D1, 1)
		  ",\"layers\":[" DESC("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
				       D2, 5) "]}", C_MEDIA_OCI_MANIFEST, &e);
	ok(m && m->layers[0].foreign && m->layers[0].compression == C_COMPRESSION_ZSTD,
	   "OCI non-distributable layer");
	c_manifest_free(m);
}

struct bad_case {
	const char *doc, *ct, *msg;
	int status;
};

#define CFG "\"config\":" DESC(C_MEDIA_OCI_CONFIG, D1, 1)

static const struct bad_case bad_cases[] = {
	{ "{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}", NULL,
	  "schema 1 manifests are not supported: test:1", C_EXIT_DATA },
	{ "{}", "application/vnd.docker.distribution.manifest.v1+prettyjws",
	  "schema 1 manifests are not supported: test:1", C_EXIT_DATA },
	{ "{\"schemaVersion\":2}", "application/vnd.docker.distribution.manifest.v1+json",
	  "schema 1 manifests are not supported: test:1", C_EXIT_DATA },
	{ "{\"schemaVersion\":2,\"mediaType\":"
	  "\"application/vnd.docker.distribution.manifest.v1+json\"}",
	  "application/json", "schema 1 manifests are not supported: test:1", C_EXIT_DATA },
	{ "<html>not found</html>", C_MEDIA_OCI_MANIFEST, "parse JSON: manifest test:1: line 1",
	  C_EXIT_DATA },
	{ "", C_MEDIA_OCI_MANIFEST, "parse JSON: manifest test:1", C_EXIT_DATA },
	{ "[1,2]", NULL, "manifest test:1: expected a JSON object, got array", C_EXIT_DATA },
	{ "{\"config\":{}}", NULL, "manifest test:1: field schemaVersion: missing", C_EXIT_DATA },
	{ "{\"schemaVersion\":\"2\"}", NULL,
	  "manifest test:1: field schemaVersion: expected integer, got string", C_EXIT_DATA },
	{ "{\"schemaVersion\":3," CFG ",\"layers\":[]}", NULL,
	  "manifest test:1: field schemaVersion: expected 2, got 3", C_EXIT_DATA },
	{ "{\"schemaVersion\":2}", NULL,
	  "manifest test:1: no mediaType, manifests or layers", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[]}", "application/vnd.example+json",
	  "manifest test:1: unsupported media type \"application/vnd.example+json\"",
	  C_EXIT_DATA },
	{ "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\"}",
	  NULL, "unsupported media type \"application/vnd.oci.artifact.manifest.v1+json\"",
	  C_EXIT_DATA },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" C_MEDIA_DOCKER_MANIFEST "\"," CFG
	  ",\"layers\":[]}", C_MEDIA_OCI_MANIFEST,
	  "field mediaType: \"" C_MEDIA_DOCKER_MANIFEST "\" but the registry sent \""
	  C_MEDIA_OCI_MANIFEST "\"", C_EXIT_DATA },
	{ "{\"schemaVersion\":2,\"layers\":[]}", C_MEDIA_OCI_MANIFEST,
	  "manifest test:1: field config: missing", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG "}", C_MEDIA_OCI_MANIFEST,
	  "manifest test:1: field layers: missing", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":{}}", C_MEDIA_OCI_MANIFEST,
	  "field layers: expected array, got object", C_EXIT_DATA },
	{ "{\"schemaVersion\":2,\"config\":" DESC("application/vnd.cncf.helm.config.v1+json", D1, 1)
	  ",\"layers\":[]}", C_MEDIA_OCI_MANIFEST,
	  "field config.mediaType: not a container image config: "
	  "\"application/vnd.cncf.helm.config.v1+json\"", C_EXIT_DATA },
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" C_MEDIA_OCI_CONFIG "\",\"size\":1}"
	  ",\"layers\":[]}", C_MEDIA_OCI_MANIFEST, "field config.digest: missing", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[" DESC(OCI_LAYER, D2, 1) ","
	  DESC(OCI_LAYER, D2, 1) ",{\"mediaType\":\"" OCI_LAYER "\",\"digest\":5,\"size\":1}]}",
	  C_MEDIA_OCI_MANIFEST,
	  "manifest test:1: field layers[2].digest: expected string, got integer", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[" DESC(OCI_LAYER, "sha256:abc", 1) "]}",
	  C_MEDIA_OCI_MANIFEST,
	  "manifest test:1: field layers[0].digest: malformed digest \"sha256:abc\"", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[" DESC(OCI_LAYER, D2, -1) "]}",
	  C_MEDIA_OCI_MANIFEST, "field layers[0].size: negative: -1", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[" DESC(OCI_LAYER, D2, 1.5) "]}",
	  C_MEDIA_OCI_MANIFEST, "field layers[0].size: expected integer, got number", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[" DESC("application/x-tar", D2, 1) "]}",
	  C_MEDIA_OCI_MANIFEST,
	  "field layers[0].mediaType: unsupported layer type \"application/x-tar\"", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"digest\":\"" D2 "\",\"size\":1}]}",
	  C_MEDIA_OCI_MANIFEST, "field layers[0].mediaType: missing", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\""
	  D2 "\",\"size\":1,\"urls\":[\"u\",3]}]}", C_MEDIA_OCI_MANIFEST,
	  "field layers[0].urls[1]: expected string, got integer", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[],\"annotations\":{\"k\":true}}",
	  C_MEDIA_OCI_MANIFEST, "field annotations.k: expected string, got boolean", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[],\"manifests\":[]}", C_MEDIA_OCI_MANIFEST,
	  "field manifests: not allowed in an image manifest", C_EXIT_DATA },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[],\"a\":1,\"a\":2}", C_MEDIA_OCI_MANIFEST,
	  "duplicate", C_EXIT_DATA },
	{ "{\"schemaVersion\":2,\"manifests\":[]," CFG "}", C_MEDIA_OCI_INDEX,
	  "index test:1: field config: not allowed in an index", C_EXIT_DATA },
	{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" C_MEDIA_OCI_MANIFEST
	  "\",\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}",
	  C_MEDIA_OCI_INDEX, "index test:1: field manifests[0].platform.architecture: missing",
	  C_EXIT_DATA },
	{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" C_MEDIA_OCI_MANIFEST
	  "\",\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"os\":\"linux\","
	  "\"architecture\":\"amd64\",\"variant\":7}}]}",
	  C_MEDIA_OCI_INDEX, "field manifests[0].platform.variant: expected string, got integer",
	  C_EXIT_DATA },
	{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" C_MEDIA_OCI_MANIFEST
	  "\",\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"os\":\"linux\","
	  "\"architecture\":\"amd64amd64amd64amd64amd64amd64amd64amd64amd64amd64amd64amd64"
	  "amd64\"}}]}",
	  C_MEDIA_OCI_INDEX, "field manifests[0].platform.architecture: longer than 63 bytes",
	  C_EXIT_DATA },
	{ "{\"schemaVersion\":2,\"manifests\":{}}", C_MEDIA_DOCKER_LIST,
	  "index test:1: field manifests: expected array, got object", C_EXIT_DATA },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		c_err *e = NULL;
		struct c_manifest *m = parse(c->doc, c->ct, &e);
		int status = e ? e->status : -1;

		ok(!m && status == c->status && tap_err_has(&e, c->msg), "refused: %s", c->msg);
		c_manifest_free(m);
	}
}

static struct c_platform plat(const char *spec)
{
	struct c_platform p;

	if (c_platform_parse(&p, spec, NULL) < 0)
		abort();
	return p;
}

static void select_case(const struct c_manifest *m, const char *want, const char *digest)
{
	struct c_platform p = plat(want);
	c_err *e = NULL;
	const struct c_descriptor *d = c_index_select(m, &p, "test:1", &e);

	if (digest)
		ok(d && !strcmp(d->digest.str, digest), "%s selects %.16s", want, digest);
	else
		ok(!d && e && e->status == C_EXIT_NOTFOUND, "%s: nothing selected", want);
	c_err_free(&e);
}

static void test_index(void)
{
	struct c_manifest *m;
	struct c_platform p;
	c_err *e = NULL;
	const char *list;

	m = parse(INDEX, C_MEDIA_OCI_INDEX, &e);
	ok(m && m->is_index && m->nmanifests == 4 && m->manifests[1].has_platform &&
		   !strcmp(m->manifests[1].platform.arch, "arm64") &&
		   !strcmp(m->manifests[1].platform.variant, "v8") && m->manifests[0].size == 500,
	   "OCI index with platforms");
	if (!m) {
		tap_diag("error: %s", e->msg);
		c_err_free(&e);
		return;
	}
	select_case(m, "linux/amd64", D1);
	select_case(m, "linux/x86_64", D1);
	select_case(m, "linux/arm64", D2);
	select_case(m, "linux/arm64/v8", D2);
	select_case(m, "linux/aarch64", D2);
	select_case(m, "linux/arm/v7", D3);
	select_case(m, "linux/arm", D3);
	select_case(m, "linux/arm/v6", D3);
	select_case(m, "linux/arm/v5", NULL);
	select_case(m, "linux/amd64/v3", D1);
	select_case(m, "linux/arm64/v9", D2);
	select_case(m, "windows/amd64", NULL);
	p = plat("linux/s390x");
	ok(!c_index_select(m, &p, "test:1", &e) && e->status == C_EXIT_NOTFOUND &&
		   tap_err_has(&e, "no image for platform linux/s390x in test:1 (available: "
			   "linux/amd64, linux/arm64/v8, linux/arm/v6)"),
	   "no image for platform: the message lists what there is");
	c_manifest_free(m);

	/* The better variant wins wherever it is in the list. */
	m = parse("{\"schemaVersion\":2,\"manifests\":["
		  PLAT_DESC(C_MEDIA_DOCKER_MANIFEST, D1,
			    "{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v5\"}") ","
		  PLAT_DESC(C_MEDIA_DOCKER_MANIFEST, D2,
			    "{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}") ","
		  PLAT_DESC(C_MEDIA_DOCKER_MANIFEST, D3,
			    "{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}") ","
		  PLAT_DESC(C_MEDIA_DOCKER_MANIFEST, D4,
			    "{\"os\":\"linux\",\"architecture\":\"amd64\",\"variant\":\"v2\"}") "]}",
		  C_MEDIA_DOCKER_LIST, &e);
	ok(m && m->is_index && !strcmp(m->media_type, C_MEDIA_DOCKER_LIST), "Docker manifest list");
	if (m) {
		select_case(m, "linux/arm", D2);
		select_case(m, "linux/arm/v6", D3);
		select_case(m, "linux/arm/v5", D1);
		select_case(m, "linux/amd64", NULL);
		select_case(m, "linux/amd64/v2", D4);
	}
	c_manifest_free(m);

	/* Index of index: a nested index has no platform; it is chosen last. */
	m = parse("{\"schemaVersion\":2,\"manifests\":["
		  "{\"mediaType\":\"" C_MEDIA_OCI_INDEX "\",\"digest\":\"" D1 "\",\"size\":300},"
		  PLAT_DESC(C_MEDIA_OCI_MANIFEST, D2, "{\"os\":\"linux\",\"architecture\":\"arm64\"}")
		  "]}", NULL, &e);
	ok(m && m->is_index && !strcmp(m->media_type, C_MEDIA_OCI_INDEX),
	   "an index detected by its manifests key");
	if (m) {
		const struct c_descriptor *d;

		select_case(m, "linux/arm64", D2);
		p = plat("linux/amd64");
		d = c_index_select(m, &p, "test:1", &e);
		ok(d && !strcmp(d->digest.str, D1) && c_media_is_index(d->media_type) &&
			   !d->has_platform,
		   "otherwise the nested index is selected, to be fetched and selected again");
		c_err_free(&e);
	}
	c_manifest_free(m);

	/* Entries of other types are never selected. */
	m = parse("{\"schemaVersion\":2,\"manifests\":["
		  PLAT_DESC("application/vnd.example+json", D1,
			    "{\"os\":\"linux\",\"architecture\":\"amd64\"}") "]}",
		  C_MEDIA_OCI_INDEX, &e);
	p = plat("linux/amd64");
	ok(m && !c_index_select(m, &p, "r", &e) &&
		   tap_err_has(&e, "no image for platform linux/amd64 in r (available: none)"),
	   "entries of unknown types are skipped");
	c_manifest_free(m);

	m = parse("{\"schemaVersion\":2,\"manifests\":[]}", C_MEDIA_OCI_INDEX, &e);
	ok(m && m->nmanifests == 0 && !c_index_select(m, &p, "r", &e) &&
		   tap_err_has(&e, "(available: none)"),
	   "an empty index");
	c_manifest_free(m);

	list = "{\"schemaVersion\":2,\"manifests\":["
	       PLAT_DESC(C_MEDIA_OCI_MANIFEST, D1,
			 "{\"os\":\"windows\",\"architecture\":\"amd64\","
			 "\"os.version\":\"10.0.17763.1\"}")
	       "]}";
	m = parse(list, C_MEDIA_OCI_INDEX, &e);
	ok(m && !strcmp(m->manifests[0].platform.os_version, "10.0.17763.1"), "os.version is read");
	c_manifest_free(m);
}

#define CONFIG_DOC(rootfs)                                                                 \
	"{\"created\":\"2024-05-01T10:00:00Z\",\"architecture\":\"arm64\",\"variant\":\"v8\"," \
	"\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"]},\"rootfs\":" rootfs "}"

static void test_config(void)
{
	const char *doc = CONFIG_DOC("{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}");
	struct c_image_config c;
	struct c_platform want = plat("linux/arm64");
	c_err *e = NULL;

	ok(c_image_config_parse(doc, strlen(doc), D4, &c, &e) == 0 && c.created &&
		   !strcmp(c.created, "2024-05-01T10:00:00Z") && !strcmp(c.platform.arch, "arm64") &&
		   !strcmp(c.platform.os, "linux") && !strcmp(c.platform.variant, "v8") &&
		   c.ndiff_ids == 2 && !strcmp(c.diff_ids[1].str, D2),
	   "image config: created, platform, diff_ids");
	ok(c_platform_score(&want, &c.platform) >= 0,
	   "its platform can be checked against the wanted one");
	ok(json_is_array(json_object_get(json_object_get(c.doc, "config"), "Env")),
	   "the rest is in the document");
	c_image_config_free(&c);

	doc = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
	      "\"diff_ids\":[]}}";
	ok(c_image_config_parse(doc, strlen(doc), "c", &c, &e) == 0 && !c.created &&
		   c.ndiff_ids == 0,
	   "created is optional, diff_ids may be empty");
	c_image_config_free(&c);

	doc = CONFIG_DOC("{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"sha256:xyz\"]}");
	ok(c_image_config_parse(doc, strlen(doc), "sha256:c0", &c, &e) < 0 &&
		   e->status == C_EXIT_DATA &&
		   tap_err_has(&e, "config sha256:c0: field rootfs.diff_ids[1]: "
			   "malformed digest \"sha256:xyz\""),
	   "a malformed diff_id is named");
	doc = CONFIG_DOC("{\"type\":\"layers\",\"diff_ids\":[7]}");
	ok(c_image_config_parse(doc, strlen(doc), "c", &c, &e) < 0 &&
		   tap_err_has(&e, "config c: field rootfs.diff_ids[0]: expected string, got integer"),
	   "a diff_id of the wrong type");
	doc = CONFIG_DOC("{\"type\":\"tarballs\",\"diff_ids\":[]}");
	ok(c_image_config_parse(doc, strlen(doc), "c", &c, &e) < 0 &&
		   tap_err_has(&e, "field rootfs.type: expected \"layers\", got \"tarballs\""),
	   "rootfs.type must be layers");
	doc = "{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	ok(c_image_config_parse(doc, strlen(doc), "c", &c, &e) < 0 &&
		   tap_err_has(&e, "config c: field architecture: missing"),
	   "architecture is required");
	doc = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
	ok(c_image_config_parse(doc, strlen(doc), "c", &c, &e) < 0 &&
		   tap_err_has(&e, "config c: field rootfs: missing"),
	   "rootfs is required");
	doc = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}";
	ok(c_image_config_parse(doc, strlen(doc), "c", &c, &e) < 0 &&
		   tap_err_has(&e, "config c: field rootfs.diff_ids: missing"),
	   "rootfs.diff_ids is required");
	ok(c_image_config_parse("nope", 4, "c", &c, &e) < 0 && tap_err_has(&e, "parse JSON: config c"),
	   "a config that is not JSON");
	ok(c_image_config_parse("[]", 2, "c", &c, &e) < 0 &&
		   tap_err_has(&e, "config c: expected a JSON object, got array"),
	   "a config that is not an object");
}

int main(void)
{
	test_accept();
	test_image_manifests();
	test_bad();
	test_index();
	test_config();
	return tap_done();
}
