/* lib/registry: the distribution API client against the fake registry of
 * fakeregistry.h on 127.0.0.1 (plain HTTP, as c-pull --plain-http):
 * manifests by tag and digest, checked against the digest asked and
 * Docker-Content-Digest; blobs whole and from an offset (Range honoured,
 * ignored or answered wrong); tags across pages; Basic and Bearer
 * challenges with credentials from --creds or an auth file; a clone that
 * keeps the authorization; redirects that leave the registry's host
 * without its credentials, and too many of them; every error naming the
 * registry and the object. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakeregistry.h"
#include "manifest.h"
#include "registry.h"

static char tmp[] = "/tmp/c-tools-registry-XXXXXX";
static int manifest, config, layer, big_manifest;
static char layer_data[100000];

static const struct fakereg_blob *blob(int i)
{
	return &fakereg_blobs[i];
}

/* The manifest of ref, compared with the blob it should be. */
static int get_manifest(struct c_registry *r, const char *ref, int want, char **type, c_err **e)
{
	char *body = NULL, *mine = NULL;
	size_t len = 0;
	struct c_digest d;
	int rc = c_registry_get_manifest(r, ref, C_MANIFEST_MAX, &body, &len, type ? type : &mine,
					 &d, e);

	if (rc == 0 && (len != blob(want)->len || memcmp(body, blob(want)->data, len) ||
			!c_digest_equal(&d, &blob(want)->digest))) {
		tap_diag("manifest %s: other bytes or digest (%s)", ref, d.str);
		rc = -2;
	}
	free(body);
	free(mine);
	return rc;
}

/* Whether the manifest "latest", asked in a new session with creds, is an
 * authentication error whose line holds want (%s: the registry). */
static bool auth_fails(const char *creds, const char *want)
{
	struct c_registry *r = fakereg_session(creds);
	char line[256];
	c_err *e = NULL;
	bool failed;

	snprintf(line, sizeof line, want, fakereg_domain());
	failed = get_manifest(r, "latest", manifest, NULL, &e) < 0 && e &&
		 e->status == C_EXIT_AUTH && tap_err_has(&e, line);
	c_err_free(&e);
	c_registry_close(r);
	return failed;
}

/* The whole of a blob from offset, through blob_open and read. */
static int read_blob(struct c_registry *r, int i, int64_t offset, bool *resumed, char **out,
		     size_t *len, c_err **e)
{
	struct c_http_response resp;
	size_t cap = blob(i)->len + 1;
	ssize_t n;

	*out = malloc(cap);
	*len = 0;
	if (!*out || c_registry_blob_open(r, &blob(i)->digest, offset, &resp, resumed, e) < 0)
		return -1;
	while ((n = c_registry_read(r, &resp, *out + *len, cap - *len, e)) > 0)
		*len += (size_t)n;
	c_registry_done(r, &resp);
	return n < 0 ? -1 : 0;
}

static char *name_of(const char *ref)
{
	static char buf[2][128];
	static int i;

	i = (i + 1) % 2;
	snprintf(buf[i], sizeof buf[i], "%s/" FAKEREG_REPO "%s%s", fakereg_domain(),
		 strchr(ref, ':') ? "@" : ":", ref);
	return buf[i];
}

static void test_manifests(void)
{
	struct c_registry *r = fakereg_session(NULL);
	char *type = NULL, want[256];
	c_err *e = NULL;

	ok(get_manifest(r, "latest", manifest, &type, &e) == 0 && type &&
		   !strcmp(type, C_MEDIA_OCI_MANIFEST),
	   "manifest by tag: its bytes, their digest and the Content-Type");
	free(type);
	type = NULL;
	ok(fakereg_count("GET /v2/" FAKEREG_REPO "/manifests/latest", "accept=oci") == 1,
	   "manifest: asked with the OCI media types in Accept");
	ok(get_manifest(r, blob(manifest)->digest.str, manifest, NULL, &e) == 0,
	   "manifest by digest");
	ok(fakereg_count("conn=1 ", NULL) == 2 && fakereg_count("conn=", NULL) == 2,
	   "manifest: both on one kept-alive connection");

	fakereg->f.type_params = true;
	ok(get_manifest(r, "latest", manifest, &type, &e) == 0 && type &&
		   !strcmp(type, C_MEDIA_OCI_MANIFEST),
	   "manifest: parameters after the media type are left out");
	free(type);
	type = NULL;
	fakereg_reset();

	fakereg->f.wrong_dcd = true;
	ok(get_manifest(r, "latest", manifest, NULL, &e) < 0 && e && e->status == C_EXIT_DATA &&
		   tap_err_has(&e, name_of("latest")),
	   "manifest: bytes other than its Docker-Content-Digest are refused, naming it");
	fakereg_reset();

	snprintf(fakereg->f.corrupt, sizeof fakereg->f.corrupt, "%s", blob(manifest)->digest.str);
	snprintf(want, sizeof want, "manifest %s: digest mismatch: expected %s",
		 name_of(blob(manifest)->digest.str), blob(manifest)->digest.str);
	ok(get_manifest(r, blob(manifest)->digest.str, manifest, NULL, &e) < 0 && e &&
		   e->status == C_EXIT_DATA && tap_err_has(&e, want),
	   "manifest by digest: other bytes are a digest mismatch naming both");
	fakereg_reset();

	snprintf(want, sizeof want, "manifest unknown: %s", name_of("nope"));
	ok(get_manifest(r, "nope", manifest, NULL, &e) < 0 && e && e->status == C_EXIT_NOTFOUND &&
		   tap_err_has(&e, want),
	   "manifest: an unknown tag is not found, named with registry and repository");
	ok(get_manifest(r, "sha256:zz", manifest, NULL, &e) < 0 && e &&
		   e->status == C_EXIT_DATA && tap_err_has(&e, "sha256:zz"),
	   "manifest: a malformed digest is refused before asking");

	{
		char *body = NULL;
		size_t len;
		struct c_digest d;

		ok(c_registry_get_manifest(r, "big", 1000, &body, &len, &type, &d, &e) < 0 && e &&
			   e->status == C_EXIT_DATA && !body && tap_err_has(&e, name_of("big")),
		   "manifest: one larger than the cap is refused, naming it");
	}

	fakereg->f.fail_status = 500;
	snprintf(fakereg->f.fail_path, sizeof fakereg->f.fail_path, "/manifests/");
	snprintf(want, sizeof want, "manifest %s: HTTP 500 from %s", name_of("latest"),
		 fakereg_domain());
	ok(get_manifest(r, "latest", manifest, NULL, &e) < 0 && e && e->status == C_EXIT_NET &&
		   tap_err_has(&e, want),
	   "manifest: another status is a network error naming it and the registry");
	fakereg->f.fail_status = 403;
	ok(get_manifest(r, "latest", manifest, NULL, &e) < 0 && e && e->status == C_EXIT_AUTH &&
		   tap_err_has(&e, "access denied by"),
	   "manifest: 403 is access denied, an authentication error");
	fakereg_reset();
	c_registry_close(r);
}

static void test_blobs(void)
{
	struct c_registry *r = fakereg_session(NULL);
	bool resumed = true;
	char *body = NULL, want[256];
	size_t len;
	c_err *e = NULL;

	ok(c_registry_get_blob(r, &blob(config)->digest, 1 << 20, &body, &len, &e) == 0 &&
		   len == blob(config)->len && !memcmp(body, blob(config)->data, len),
	   "get_blob: a config whole, verified");
	free(body);
	body = NULL;

	ok(read_blob(r, layer, 0, &resumed, &body, &len, &e) == 0 && !resumed &&
		   len == sizeof layer_data && !memcmp(body, layer_data, len) &&
		   fakereg_count("/blobs/", "range=- ") == 2,
	   "blob_open at 0: no Range asked, the whole blob");
	free(body);
	ok(read_blob(r, layer, 40000, &resumed, &body, &len, &e) == 0 && resumed &&
		   len == sizeof layer_data - 40000 && !memcmp(body, layer_data + 40000, len) &&
		   fakereg_count("/blobs/", "range=bytes=40000- ") == 1,
	   "blob_open at 40000: Range bytes=40000-, resumed, the rest");
	free(body);

	fakereg->f.no_range = true;
	ok(read_blob(r, layer, 40000, &resumed, &body, &len, &e) == 0 && !resumed &&
		   len == sizeof layer_data,
	   "blob_open: a registry ignoring Range gives the whole blob, not resumed");
	free(body);
	fakereg_reset();

	fakereg->f.bad_range = true;
	snprintf(want, sizeof want, "blob %s: unexpected Content-Range", blob(layer)->digest.str);
	ok(read_blob(r, layer, 40000, &resumed, &body, &len, &e) < 0 && e &&
		   e->status == C_EXIT_NET && tap_err_has(&e, want),
	   "blob_open: a 206 starting elsewhere is refused, naming the blob");
	free(body);
	fakereg_reset();

	snprintf(fakereg->f.cut, sizeof fakereg->f.cut, "%s", blob(layer)->digest.str);
	fakereg->f.cut_bytes = 5000;
	fakereg->f.cut_times = 1;
	ok(read_blob(r, layer, 0, &resumed, &body, &len, &e) < 0 && len == 5000 && e &&
		   e->status == C_EXIT_NET && tap_err_has(&e, "connection closed after 5000 of 100000 bytes"),
	   "read: a body cut short is an error after the bytes that came");
	free(body);
	ok(read_blob(r, layer, 0, &resumed, &body, &len, &e) == 0 && len == sizeof layer_data,
	   "read: the session reconnects for the next request");
	free(body);
	fakereg_reset();

	snprintf(fakereg->f.corrupt, sizeof fakereg->f.corrupt, "%s", blob(config)->digest.str);
	snprintf(want, sizeof want, "digest mismatch: expected %s", blob(config)->digest.str);
	body = NULL;
	ok(c_registry_get_blob(r, &blob(config)->digest, 1 << 20, &body, &len, &e) < 0 && !body &&
		   e && e->status == C_EXIT_DATA && tap_err_has(&e, want),
	   "get_blob: other bytes are a digest mismatch naming the blob");
	fakereg_reset();

	{
		struct c_digest unknown;
		struct c_http_response resp;

		c_digest_parse(&unknown,
			       "sha256:1111111111111111111111111111111111111111111111111111111111111111",
			       &e);
		snprintf(want, sizeof want, "blob unknown: %s", unknown.str);
		ok(c_registry_blob_open(r, &unknown, 0, &resp, &resumed, &e) < 0 && e &&
			   e->status == C_EXIT_NOTFOUND && tap_err_has(&e, want),
		   "blob_open: an unknown blob is not found, named");
		ok(c_registry_get_blob(r, &unknown, 1 << 20, &body, &len, &e) < 0 && e &&
			   e->status == C_EXIT_NOTFOUND && tap_err_has(&e, want),
		   "get_blob: likewise");
	}
	c_registry_close(r);
}

static bool tags_are(char **tags, size_t n, const char *want)
{
	char got[512] = "";

	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", tags[i]);
	for (size_t i = 0; i < n; i++)
		free(tags[i]);
	free(tags);
	if (strcmp(got, want))
		tap_diag("tags: %s", got);
	return !strcmp(got, want);
}

static void test_tags(void)
{
	struct c_registry *r = fakereg_session(NULL);
	char **tags;
	size_t n;
	c_err *e = NULL;
	const char *all = "latest big t1 t2 t3 t4 t5";

	ok(c_registry_list_tags(r, &tags, &n, &e) == 0 && tags_are(tags, n, all),
	   "tags: every tag of the repository");
	fakereg->f.tags_page = 2;
	ok(c_registry_list_tags(r, &tags, &n, &e) == 0 && tags_are(tags, n, all) &&
		   fakereg_count("/tags/list", NULL) == 5,
	   "tags: two a page, following Link through 4 pages");
	fakereg->f.tags_page = 0;
	fakereg->f.fail_status = 404;
	snprintf(fakereg->f.fail_path, sizeof fakereg->f.fail_path, "/tags/list");
	ok(c_registry_list_tags(r, &tags, &n, &e) < 0 && !tags && !n && e &&
		   e->status == C_EXIT_NOTFOUND &&
		   tap_err_has(&e, "repository unknown: 127.0.0.1:"),
	   "tags: an unknown repository is not found, nothing returned");
	fakereg_reset();
	c_registry_close(r);
}

static void test_basic(void)
{
	struct c_registry *r;
	char path[PATH_MAX];
	c_err *e = NULL;
	FILE *f;

	fakereg->f.auth = FAKEREG_BASIC;
	snprintf(fakereg->f.user_pass, sizeof fakereg->f.user_pass, "alice:s3cret");
	ok(auth_fails(NULL, "authentication required for %s"),
	   "basic: no credentials is authentication required for the registry");
	ok(auth_fails("alice:wrong", "authentication failed for %s"),
	   "basic: wrong credentials is authentication failed");

	fakereg_reset();
	fakereg->f.auth = FAKEREG_BASIC;
	snprintf(fakereg->f.user_pass, sizeof fakereg->f.user_pass, "alice:s3cret");
	r = fakereg_session("alice:s3cret");
	ok(get_manifest(r, "latest", manifest, NULL, &e) == 0 &&
		   fakereg_count("status=401", NULL) == 1 &&
		   fakereg_count("auth=basic status=200", NULL) == 1,
	   "basic: --creds answers the challenge");
	ok(get_manifest(r, "latest", manifest, NULL, &e) == 0 &&
		   fakereg_count("status=401", NULL) == 1,
	   "basic: the next request sends them at once");
	c_registry_close(r);

	snprintf(path, sizeof path, "%s/auth.json", tmp);
	f = fopen(path, "we");
	if (!f)
		tap_bail("create", path);
	/* base64 of alice:s3cret */
	fprintf(f, "{\"auths\":{\"%s\":{\"auth\":\"YWxpY2U6czNjcmV0\"}}}\n", fakereg_domain());
	fclose(f);
	setenv("REGISTRY_AUTH_FILE", path, 1);
	r = fakereg_session(NULL);
	ok(get_manifest(r, "latest", manifest, NULL, &e) == 0,
	   "basic: credentials from $REGISTRY_AUTH_FILE, keyed by host:port");
	c_registry_close(r);
	unsetenv("REGISTRY_AUTH_FILE");
	unlink(path);
	fakereg_reset();
}

/* A registry wanting Bearer tokens; its token endpoint wants user_pass
 * when not "". */
static void bearer(const char *token, const char *user_pass)
{
	fakereg_reset();
	fakereg->f.auth = FAKEREG_BEARER;
	snprintf(fakereg->f.token, sizeof fakereg->f.token, "%s", token);
	snprintf(fakereg->f.user_pass, sizeof fakereg->f.user_pass, "%s", user_pass);
}

static void test_bearer(void)
{
	struct c_registry *r, *c;
	c_err *e = NULL;

	bearer("tok-123", "");
	r = fakereg_session(NULL);
	ok(get_manifest(r, "latest", manifest, NULL, &e) == 0, "bearer: an anonymous token");
	ok(fakereg_count("GET /token?", "scope=repository%3Afake%2Frepo%3Apull") == 1 &&
		   fakereg_count("GET /token?", "service=fake") == 1 &&
		   fakereg_count("/manifests/latest", "auth=bearer status=200") == 1,
	   "bearer: the token asked for the challenge's service and pull scope, then sent");
	c = c_registry_clone(r, &e);
	ok(c && get_manifest(c, "latest", manifest, NULL, &e) == 0 &&
		   fakereg_count("status=401", NULL) == 1 && fakereg_count("GET /token", NULL) == 1,
	   "clone: it keeps the authorization, no new challenge or token");
	c_registry_close(c);
	c_registry_close(r);

	bearer("tok-456", "");
	fakereg->f.no_scope = true;
	r = fakereg_session(NULL);
	ok(get_manifest(r, "latest", manifest, NULL, &e) == 0 &&
		   fakereg_count("GET /token?", "scope=repository%3Afake%2Frepo%3Apull") == 1,
	   "bearer: a challenge without scope: the token is asked for the repository's pull");
	c_registry_close(r);

	bearer("tok-789", "bob:pw");
	ok(auth_fails(NULL, "authentication required for %s"),
	   "bearer: a token endpoint that wants credentials, none: authentication required");
	r = fakereg_session("bob:pw");
	ok(get_manifest(r, "latest", manifest, NULL, &e) == 0 &&
		   fakereg_count("GET /token", "auth=basic status=200") == 1,
	   "bearer: with --creds the token endpoint gets them");
	c_registry_close(r);
	fakereg->f.fail_status = 500;
	snprintf(fakereg->f.fail_path, sizeof fakereg->f.fail_path, "/token");
	ok(auth_fails("bob:pw", "token for %s: HTTP 500"),
	   "bearer: a token endpoint failing is an authentication error naming the registry and "
	   "the status");

	bearer("", "");
	fakereg->f.fail_status = 401;
	snprintf(fakereg->f.fail_path, sizeof fakereg->f.fail_path, "/manifests/");
	ok(auth_fails("alice:s3cret", "authentication required for %s"),
	   "a 401 without a challenge is authentication required");
	fakereg_reset();
}

static void test_redirects(void)
{
	struct c_registry *r;
	bool resumed;
	char *body = NULL, want[256];
	size_t len;
	c_err *e = NULL;

	fakereg->f.auth = FAKEREG_BASIC;
	snprintf(fakereg->f.user_pass, sizeof fakereg->f.user_pass, "alice:s3cret");
	fakereg->f.redirect_blobs = true;
	r = fakereg_session("alice:s3cret");
	ok(get_manifest(r, "latest", manifest, NULL, &e) == 0 &&
		   read_blob(r, layer, 0, &resumed, &body, &len, &e) == 0 && len == sizeof layer_data &&
		   !memcmp(body, layer_data, len),
	   "redirect: a blob read from another host");
	free(body);
	ok(fakereg_count("/blobs/", "auth=basic status=307") == 1 &&
		   fakereg_count("GET /blobdata/", "auth=none status=200") == 1,
	   "redirect: the credentials go to the registry, never to the other host");
	if (fakereg_count("GET /blobdata/", "auth=none") != 1)
		fakereg_show_log();
	c_registry_close(r);
	fakereg_reset();

	fakereg->f.redirect_loop = true;
	r = fakereg_session(NULL);
	snprintf(want, sizeof want, "blob %s: GET %s: more than 5 redirects", blob(layer)->digest.str,
		 fakereg_domain());
	ok(read_blob(r, layer, 0, &resumed, &body, &len, &e) < 0 && e && e->status == C_EXIT_NET &&
		   tap_err_has(&e, want) && fakereg_count("status=302", NULL) == 6,
	   "redirect: more than 5 is an error naming the blob and the registry");
	free(body);
	c_registry_close(r);
	fakereg_reset();
}

static void test_unreachable(void)
{
	struct c_registry_opts o = { .tls_verify = true, .plain_http = true };
	struct c_registry *r;
	char domain[32], *type = NULL, *body = NULL;
	size_t len;
	struct c_digest d;
	c_err *e = NULL;

	snprintf(domain, sizeof domain, "127.0.0.1:%d", tap_free_port());
	r = c_registry_open(domain, FAKEREG_REPO, &o, &e);
	ok(r && c_registry_get_manifest(r, "latest", 1000, &body, &len, &type, &d, &e) < 0 && e &&
		   e->status == C_EXIT_NET && tap_err_has(&e, domain),
	   "a registry nobody listens on is a network error naming it");
	c_registry_close(r);
}

static void content(void)
{
	char doc[1024], big[3000];
	int n;

	for (size_t i = 0; i < sizeof layer_data; i++)
		layer_data[i] = (char)(i * 31 + i / 997);
	config = fakereg_blob("{\"architecture\":\"amd64\",\"os\":\"linux\"}", 37, NULL);
	layer = fakereg_blob(layer_data, sizeof layer_data, NULL);
	n = snprintf(doc, sizeof doc,
		     "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
		     "\"digest\":\"%s\",\"size\":37},\"layers\":[{\"mediaType\":\"%s\",\"digest\":"
		     "\"%s\",\"size\":%zu}]}",
		     C_MEDIA_OCI_MANIFEST, C_MEDIA_OCI_CONFIG, blob(config)->digest.str,
		     "application/vnd.oci.image.layer.v1.tar", blob(layer)->digest.str,
		     sizeof layer_data);
	manifest = fakereg_blob(doc, (size_t)n, C_MEDIA_OCI_MANIFEST);
	memset(big, ' ', sizeof big);
	memcpy(big, doc, (size_t)n);
	big_manifest = fakereg_blob(big, sizeof big, C_MEDIA_OCI_MANIFEST);
	fakereg_tag("latest", manifest);
	fakereg_tag("big", big_manifest);
	for (int i = 1; i <= 5; i++) {
		char t[16];

		snprintf(t, sizeof t, "t%d", i);
		fakereg_tag(t, manifest);
	}
}

int main(void)
{
	if (!mkdtemp(tmp))
		tap_bail("mkdtemp", tmp);
	fakereg_isolate(tmp);
	content();
	fakereg_start();
	test_manifests();
	test_blobs();
	test_tags();
	test_basic();
	test_bearer();
	test_redirects();
	test_unreachable();
	fakereg_stop();
	tap_remove_tree(tmp);
	return tap_done();
}
