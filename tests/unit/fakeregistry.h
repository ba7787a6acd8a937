/* fakeregistry.h — a fake OCI distribution registry on 127.0.0.1, plain
 * HTTP, for test-registry and test-fetch (the C counterpart of
 * tests/fixtures/fakeregistry.py, with the faults those tests need).
 *
 *   fakereg_blob(data, len, type)  before fakereg_start: a blob (a manifest
 *                                  when type is set: its Content-Type)
 *   fakereg_tag(name, blob)        a tag naming a manifest blob
 *   fakereg_start()                two servers: the registry on
 *                                  fakereg->port and "another host" on
 *                                  fakereg->other_port (another origin,
 *                                  where blob redirects go)
 *   fakereg->f.*                   faults and auth, changed between requests
 *                                  (shared memory); fakereg_reset() clears
 *                                  them and the log
 *   fakereg_count(a, b)            log lines holding a (and b when not NULL):
 *       "GET TARGET range=R|- auth=basic|bearer|none status=N conn=N
 *        accept=oci|none [cut=N]"
 *   fakereg_stop()
 *   fakereg_isolate(home)          no proxy, no credentials but the test's own
 *   fakereg_session(creds)         a registry session on the fake's FAKEREG_REPO
 *
 * Routes: /v2/ (200 {}), /v2/NAME/manifests/REF (a tag or digest), /v2/NAME/
 * blobs/DIGEST (Range bytes=N- gives 206, 416 past the end), /v2/NAME/tags/
 * list (?n=&last=, Link to the next page when f.tags_page is set), /token
 * (Bearer), /blobdata/DIGEST (on either port, no auth). */
#ifndef C_FAKEREGISTRY_H
#define C_FAKEREGISTRY_H

#include <stdatomic.h>
#include <sys/mman.h>

#include "base64.h"
#include "digest.h"
#include "registry.h"
#include "tap-server.h"

#define FAKEREG_REPO "fake/repo" /* the repository fakereg_session opens */
#define FAKEREG_BLOBS 16
#define FAKEREG_TAGS 16
#define FAKEREG_LOG 512
#define FAKEREG_CHUNK (16 * 1024)

enum fakereg_auth { FAKEREG_OPEN, FAKEREG_BASIC, FAKEREG_BEARER };

struct fakereg_faults {
	enum fakereg_auth auth;
	/* Basic: the credentials wanted; with Bearer, /token wants them when set */
	char user_pass[64];
	char token[64];              /* Bearer: what /token gives and the registry wants */
	/* this blob's body stops after cut_bytes, then the connection closes */
	char cut[C_DIGEST_STR_MAX];
	long cut_bytes;
	atomic_int cut_times;        /* on this many GETs more */
	char corrupt[C_DIGEST_STR_MAX]; /* this blob or manifest is served with its middle byte changed */
	char slow[C_DIGEST_STR_MAX]; /* this blob is sent FAKEREG_CHUNK at a time, slow_ms apart */
	int slow_ms;
	bool no_range;               /* Range is ignored: 200 and the whole blob */
	bool bad_range;              /* 206 with a Content-Range starting one byte after the one asked */
	bool redirect_blobs;         /* blobs: 307 to http://127.0.0.1:OTHER/blobdata/DIGEST */
	bool redirect_loop;          /* blobs: 302 to themselves */
	bool wrong_dcd;              /* manifests: a Docker-Content-Digest of other bytes */
	bool type_params;            /* manifests: "; charset=utf-8" after the media type */
	bool no_scope;               /* Bearer: a challenge without scope */
	char fail_path[128];         /* a target holding this is answered fail_status */
	int fail_status;
	int tags_page;               /* tags a page; 0: all at once */
};

struct fakereg {
	int port, other_port;
	struct fakereg_faults f;
	atomic_int nlog;
	char log[FAKEREG_LOG][768];
};

struct fakereg_blob {
	struct c_digest digest;
	char *data;
	size_t len;
	const char *media_type;
};

static struct fakereg *fakereg;
static struct fakereg_blob fakereg_blobs[FAKEREG_BLOBS];
static int fakereg_nblobs;
static struct {
	char name[64];
	int blob;
} fakereg_tags[FAKEREG_TAGS];
static int fakereg_ntags;

static inline int fakereg_blob(const void *data, size_t len, const char *media_type)
{
	struct fakereg_blob *b = &fakereg_blobs[fakereg_nblobs];
	struct c_hasher h;

	if (fakereg_nblobs == FAKEREG_BLOBS || !(b->data = malloc(len ? len : 1)))
		tap_bail("fakereg_blob", "too many");
	memcpy(b->data, data, len);
	b->len = len;
	b->media_type = media_type;
	c_hasher_init(&h, C_DIGEST_SHA256);
	c_hasher_update(&h, data, len);
	c_hasher_final(&h, &b->digest);
	return fakereg_nblobs++;
}

static inline void fakereg_tag(const char *name, int blob)
{
	if (fakereg_ntags == FAKEREG_TAGS)
		tap_bail("fakereg_tag", name);
	snprintf(fakereg_tags[fakereg_ntags].name, sizeof fakereg_tags[0].name, "%s", name);
	fakereg_tags[fakereg_ntags++].blob = blob;
}

static inline void fakereg_reset(void)
{
	memset(&fakereg->f, 0, sizeof fakereg->f);
	atomic_store(&fakereg->nlog, 0);
}

static inline int fakereg_count(const char *a, const char *b)
{
	int n = atomic_load(&fakereg->nlog), count = 0;

	for (int i = 0; i < n && i < FAKEREG_LOG; i++)
		count += strstr(fakereg->log[i], a) && (!b || strstr(fakereg->log[i], b));
	return count;
}

/* Every log line, as TAP comments: for a test that failed. */
static inline void fakereg_show_log(void)
{
	int n = atomic_load(&fakereg->nlog);

	for (int i = 0; i < n && i < FAKEREG_LOG; i++)
		tap_diag("fake: %s", fakereg->log[i]);
}

/* ---- the server's side: one connection's child ------------------------------ */

struct fakereg_req {
	int fd, conn;
	char method[16], target[512], range[64], authz[256], accept[512];
};

static inline void fakereg_log(const struct fakereg_req *q, int status, const char *note)
{
	int i = atomic_fetch_add(&fakereg->nlog, 1);
	const char *sp = strchr(q->authz, ' ');
	char scheme[16];

	snprintf(scheme, sizeof scheme, "%.*s", sp ? (int)(sp - q->authz) : 4,
		 q->authz[0] ? q->authz : "none");
	for (char *c = scheme; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	if (i < FAKEREG_LOG)
		snprintf(fakereg->log[i], sizeof fakereg->log[i],
			 "%s %s range=%s auth=%s status=%d conn=%d accept=%s%s%s", q->method,
			 q->target, q->range[0] ? q->range : "-", scheme, status, q->conn,
			 strstr(q->accept, "application/vnd.oci.image.manifest.v1+json") ? "oci" : "none",
			 note ? " " : "", note ? note : "");
}

/* The status line and headers (extra: "Name: value\r\n" lines), logged first. */
static inline void fakereg_head(const struct fakereg_req *q, int status, const char *extra,
				size_t len, const char *note)
{
	char head[2048];
	int n;

	fakereg_log(q, status, note);
	n = snprintf(head, sizeof head, "HTTP/1.1 %d Fake\r\nContent-Length: %zu\r\n%s\r\n", status,
		     len, extra ? extra : "");
	tap_server_write(q->fd, head, (size_t)n);
}

static inline void fakereg_send(const struct fakereg_req *q, int status, const char *extra,
				const void *body, size_t len)
{
	fakereg_head(q, status, extra, len, NULL);
	tap_server_write(q->fd, body, len);
}

static inline void fakereg_error(const struct fakereg_req *q, int status, const char *code,
				 const char *extra)
{
	char body[256], headers[2048];
	int n = snprintf(body, sizeof body, "{\"errors\":[{\"code\":\"%s\",\"message\":\"fake\"}]}",
			 code);

	snprintf(headers, sizeof headers, "Content-Type: application/json\r\n%s",
		 extra ? extra : "");
	fakereg_send(q, status, headers, body, (size_t)n);
}

/* True, or a 401 with the challenge has been sent. */
static inline bool fakereg_authorized(const struct fakereg_req *q, const char *name)
{
	const struct fakereg_faults *f = &fakereg->f;
	char want[256], challenge[512];

	if (f->auth == FAKEREG_OPEN)
		return true;
	if (f->auth == FAKEREG_BASIC) {
		char *b64 = c_base64_encode(f->user_pass, strlen(f->user_pass));

		snprintf(want, sizeof want, "Basic %s", b64 ? b64 : "");
		free(b64);
		snprintf(challenge, sizeof challenge, "WWW-Authenticate: Basic realm=\"fake\"\r\n");
	} else {
		snprintf(want, sizeof want, "Bearer %s", f->token);
		snprintf(challenge, sizeof challenge,
			 "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\",service=\"fake\""
			 "%s%s%s\r\n",
			 fakereg->port, name && !f->no_scope ? ",scope=\"repository:" : "",
			 name && !f->no_scope ? name : "", name && !f->no_scope ? ":pull\"" : "");
	}
	if (!strcmp(q->authz, want))
		return true;
	fakereg_error(q, 401, "UNAUTHORIZED", challenge);
	return false;
}

static inline void fakereg_token(const struct fakereg_req *q)
{
	const struct fakereg_faults *f = &fakereg->f;
	char body[256];
	int n;

	if (f->user_pass[0]) {
		char *b64 = c_base64_encode(f->user_pass, strlen(f->user_pass)), want[256];

		snprintf(want, sizeof want, "Basic %s", b64 ? b64 : "");
		free(b64);
		if (strcmp(q->authz, want)) {
			fakereg_error(q, 401, "UNAUTHORIZED",
				      "WWW-Authenticate: Basic realm=\"fake\"\r\n");
			return;
		}
	}
	if (!strstr(q->target, "service=fake")) {
		fakereg_error(q, 400, "UNSUPPORTED", NULL);
		return;
	}
	n = snprintf(body, sizeof body, "{\"token\":\"%s\",\"expires_in\":300}", f->token);
	fakereg_send(q, 200, "Content-Type: application/json\r\n", body, (size_t)n);
}

static inline const struct fakereg_blob *fakereg_find(const char *digest)
{
	for (int i = 0; i < fakereg_nblobs; i++)
		if (!strcmp(fakereg_blobs[i].digest.str, digest))
			return &fakereg_blobs[i];
	return NULL;
}

/* The bytes of b as served: its own, or with the middle one changed. */
static inline char *fakereg_bytes(const struct fakereg_blob *b)
{
	char *data = malloc(b->len ? b->len : 1);

	if (!data)
		_exit(0);
	memcpy(data, b->data, b->len);
	if (b->len && !strcmp(fakereg->f.corrupt, b->digest.str))
		data[b->len / 2] ^= 0x55;
	return data;
}

static inline void fakereg_manifest(const struct fakereg_req *q, const char *ref)
{
	const struct fakereg_blob *b = NULL;
	char headers[512];
	char *data;

	if (!strncmp(ref, "sha256:", 7))
		b = fakereg_find(ref);
	for (int i = 0; !b && i < fakereg_ntags; i++)
		if (!strcmp(fakereg_tags[i].name, ref))
			b = &fakereg_blobs[fakereg_tags[i].blob];
	if (!b || !b->media_type) {
		fakereg_error(q, 404, "MANIFEST_UNKNOWN", NULL);
		return;
	}
	snprintf(headers, sizeof headers, "Content-Type: %s%s\r\nDocker-Content-Digest: %s\r\n",
		 b->media_type, fakereg->f.type_params ? "; charset=utf-8" : "",
		 fakereg->f.wrong_dcd ? "sha256:0000000000000000000000000000000000000000000000000000000000000000"
				      : b->digest.str);
	data = fakereg_bytes(b);
	fakereg_send(q, 200, headers, data, b->len);
	free(data);
}

static inline void fakereg_blob_get(const struct fakereg_req *q, const char *digest, bool data_host)
{
	struct fakereg_faults *f = &fakereg->f;
	const struct fakereg_blob *b = fakereg_find(digest);
	char headers[1024], note[32] = "";
	long start = 0, len, cut = -1;
	int status = 200;
	char *data;

	if (!b) {
		fakereg_error(q, 404, "BLOB_UNKNOWN", NULL);
		return;
	}
	if (!data_host && f->redirect_blobs) {
		snprintf(headers, sizeof headers,
			 "Location: http://127.0.0.1:%d/blobdata/%s\r\n", fakereg->other_port, digest);
		fakereg_send(q, 307, headers, "", 0);
		return;
	}
	if (!data_host && f->redirect_loop) {
		snprintf(headers, sizeof headers, "Location: %s\r\n", q->target);
		fakereg_send(q, 302, headers, "", 0);
		return;
	}
	if (!f->no_range && sscanf(q->range, "bytes=%ld-", &start) == 1) {
		if (start >= (long)b->len) {
			snprintf(headers, sizeof headers, "Content-Range: bytes */%zu\r\n", b->len);
			fakereg_error(q, 416, "RANGE_INVALID", headers);
			return;
		}
		status = 206;
	} else {
		start = 0;
	}
	len = (long)b->len - start;
	snprintf(headers, sizeof headers, "Content-Type: application/octet-stream\r\n%s",
		 status == 206 ? "Content-Range: bytes " : "");
	if (status == 206)
		snprintf(headers + strlen(headers), sizeof headers - strlen(headers),
			 "%ld-%zu/%zu\r\n", start + f->bad_range, b->len - 1, b->len);
	if (!strcmp(f->cut, digest) && atomic_fetch_sub(&f->cut_times, 1) > 0) {
		cut = f->cut_bytes < len ? f->cut_bytes : len;
		snprintf(note, sizeof note, "cut=%ld", cut);
	}
	fakereg_head(q, status, headers, (size_t)len, note[0] ? note : NULL);
	data = fakereg_bytes(b);
	for (long off = start; off < (cut < 0 ? (long)b->len : start + cut); off += FAKEREG_CHUNK) {
		long end = cut < 0 ? (long)b->len : start + cut, n = end - off;

		if (n > FAKEREG_CHUNK)
			n = FAKEREG_CHUNK;
		if (off > start && !strcmp(f->slow, digest))
			usleep((useconds_t)f->slow_ms * 1000);
		tap_server_write(q->fd, data + off, (size_t)n);
	}
	free(data);
	if (cut >= 0) {
		shutdown(q->fd, SHUT_RDWR);
		_exit(0);
	}
}

static inline void fakereg_tags_list(const struct fakereg_req *q, const char *name)
{
	int page = fakereg->f.tags_page, first = 0, n = 0;
	char body[2048], headers[512] = "Content-Type: application/json\r\n";
	const char *last = strstr(q->target, "last=");
	size_t len;

	if (last)
		for (first = 0; first < fakereg_ntags; first++)
			if (!strncmp(fakereg_tags[first].name, last + 5,
				     strcspn(last + 5, "&")) &&
			    strlen(fakereg_tags[first].name) == strcspn(last + 5, "&")) {
				first++;
				break;
			}
	len = (size_t)snprintf(body, sizeof body, "{\"name\":\"%s\",\"tags\":[", name);
	for (int i = first; i < fakereg_ntags && (!page || n < page); i++, n++)
		len += (size_t)snprintf(body + len, sizeof body - len, "%s\"%s\"", n ? "," : "",
					fakereg_tags[i].name);
	len += (size_t)snprintf(body + len, sizeof body - len, "]}");
	if (page && first + n < fakereg_ntags)
		snprintf(headers + strlen(headers), sizeof headers - strlen(headers),
			 "Link: </v2/%s/tags/list?n=%d&last=%s>; rel=\"next\"\r\n", name, page,
			 fakereg_tags[first + n - 1].name);
	fakereg_send(q, 200, headers, body, len);
}

static inline void fakereg_route(struct fakereg_req *q)
{
	const struct fakereg_faults *f = &fakereg->f;
	char name[256], *kind, *ref;
	const char *path = q->target;

	if (f->fail_path[0] && strstr(path, f->fail_path)) {
		fakereg_error(q, f->fail_status, "FAILED", NULL);
		return;
	}
	if (!strncmp(path, "/token", 6)) {
		fakereg_token(q);
		return;
	}
	if (!strncmp(path, "/blobdata/", 10)) {
		fakereg_blob_get(q, path + 10, true);
		return;
	}
	if (!strcmp(path, "/v2/")) {
		if (fakereg_authorized(q, NULL))
			fakereg_send(q, 200, "Content-Type: application/json\r\n", "{}", 2);
		return;
	}
	snprintf(name, sizeof name, "%.*s", (int)strcspn(path, "?"), path);
	if (strncmp(name, "/v2/", 4) ||
	    (!(kind = strstr(name, "/manifests/")) && !(kind = strstr(name, "/blobs/")) &&
	     !(kind = strstr(name, "/tags/list")))) {
		fakereg_error(q, 404, "NOT_FOUND", NULL);
		return;
	}
	*kind++ = '\0';
	ref = strchr(kind, '/') + 1;
	if (!fakereg_authorized(q, name + 4))
		return;
	if (!strncmp(kind, "manifests", 9))
		fakereg_manifest(q, ref);
	else if (!strncmp(kind, "blobs", 5))
		fakereg_blob_get(q, ref, false);
	else
		fakereg_tags_list(q, name + 4);
}

static inline void fakereg_conn(int fd, int conn)
{
	static char buf[1 << 16];
	struct fakereg_req q = { .fd = fd, .conn = conn };
	char *body;
	size_t blen;

	while (tap_read_request(fd, buf, sizeof buf, &body, &blen) > 0) {
		if (sscanf(buf, "%15s %511s", q.method, q.target) != 2)
			_exit(0);
		tap_request_header(buf, "Range", q.range, sizeof q.range);
		tap_request_header(buf, "Authorization", q.authz, sizeof q.authz);
		tap_request_header(buf, "Accept", q.accept, sizeof q.accept);
		fakereg_route(&q);
	}
}

/* ---- the test's side ---------------------------------------------------------- */

static inline void fakereg_start(void)
{
	int lfd, other;

	fakereg = mmap(NULL, sizeof *fakereg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (fakereg == MAP_FAILED)
		tap_bail("mmap", "fake registry");
	memset(fakereg, 0, sizeof *fakereg);
	lfd = tap_listen_local(&fakereg->port);
	other = tap_listen_local(&fakereg->other_port);
	tap_serve_forking(lfd, fakereg_conn);
	tap_serve_forking(other, fakereg_conn);
}

static inline void fakereg_stop(void)
{
	tap_servers_stop();
	for (int i = 0; i < fakereg_nblobs; i++)
		free(fakereg_blobs[i].data);
	fakereg_nblobs = fakereg_ntags = 0;
	if (fakereg)
		munmap(fakereg, sizeof *fakereg);
	fakereg = NULL;
}

/* "127.0.0.1:PORT", the registry's domain as in a reference. */
static inline const char *fakereg_domain(void)
{
	static char domain[32];

	snprintf(domain, sizeof domain, "127.0.0.1:%d", fakereg->port);
	return domain;
}

/* Only 127.0.0.1 and no proxy; no credentials but those the test gives
 * (home: a directory of the test's own for $HOME and $XDG_RUNTIME_DIR). */
static inline void fakereg_isolate(const char *home)
{
	static const char *const env[] = { "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
					   "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY",
					   "all_proxy", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG",
					   "XDG_CONFIG_HOME" };

	for (size_t i = 0; i < sizeof env / sizeof *env; i++)
		unsetenv(env[i]);
	setenv("HOME", home, 1);
	setenv("XDG_RUNTIME_DIR", home, 1);
	signal(SIGPIPE, SIG_IGN);
}

/* A session on the fake's repository fake/repo over plain HTTP, with
 * --creds creds (may be NULL); bail when there is none. */
static inline struct c_registry *fakereg_session(const char *creds)
{
	struct c_registry_opts o = { .tls_verify = true, .plain_http = true, .creds = creds };
	c_err *e = NULL;
	struct c_registry *r = c_registry_open(fakereg_domain(), FAKEREG_REPO, &o, &e);

	if (!r) {
		tap_err_has(&e, "(success)");
		tap_bail("open registry", fakereg_domain());
	}
	return r;
}

#endif
