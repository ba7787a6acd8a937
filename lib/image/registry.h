/* registry.h — the OCI distribution API (pull side) for one repository.
 *
 * A session talks to one registry host for one repository over its own HTTP
 * session (so one per thread: c_registry_clone() gives a worker its own
 * connections and a copy of the authorization).  Authentication follows the
 * registry's challenge: a 401 with WWW-Authenticate Basic sends the
 * credentials (auth.h finds them), Bearer fetches a token from the realm
 * (with the credentials, when there are any) and retries once.  Redirects are
 * followed (at most 5); one that leaves the registry's host drops the
 * Authorization header, since blob storage must never see the registry's
 * credentials.
 *
 * Errors: "authentication required for HOST" (C_EXIT_AUTH) when the registry
 * asks and there are no credentials, "authentication failed for HOST" when it
 * refuses them, "manifest unknown: REF" / "blob unknown: DIGEST"
 * (C_EXIT_NOTFOUND), other statuses as "GET URL: HTTP NNN" (C_EXIT_NET).
 */
#ifndef C_REGISTRY_H
#define C_REGISTRY_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "err.h"
#include "http.h"

struct c_registry_opts {
	bool tls_verify;      /* false: --tls-verify=false */
	bool plain_http;      /* http:// for this registry (only when asked) */
	const char *cert_dir; /* --cert-dir */
	const char *creds;    /* --creds USER:PASSWORD */
};

struct c_registry;

/* domain as in a reference ("docker.io", "127.0.0.1:5000"); repository its
 * path ("library/busybox"). */
struct c_registry *c_registry_open(const char *domain, const char *repository,
				   const struct c_registry_opts *opts, c_err **err);
struct c_registry *c_registry_clone(const struct c_registry *r, c_err **err);
void c_registry_close(struct c_registry *r);

/* GET a manifest by tag or digest, at most max bytes.  *media_type is the
 * Content-Type (caller frees; NULL if none); *digest is the digest of the
 * bytes received — checked against `reference` when that is a digest, and
 * against a sha256 Docker-Content-Digest header when the registry sends one. */
int c_registry_get_manifest(struct c_registry *r, const char *reference, size_t max, char **body,
			    size_t *len, char **media_type, struct c_digest *digest, c_err **err);

/* Start reading a blob at offset.  *resumed is true when the registry
 * honoured the range (206); otherwise the body starts at 0.  *remaining is
 * the body's length or -1.  Read with c_registry_read(), end with
 * c_registry_done(). */
int c_registry_blob_open(struct c_registry *r, const struct c_digest *d, int64_t offset,
			 struct c_http_response *resp, bool *resumed, c_err **err);
ssize_t c_registry_read(struct c_registry *r, struct c_http_response *resp, void *buf, size_t len,
			c_err **err);
void c_registry_done(struct c_registry *r, struct c_http_response *resp);

/* GET a blob whole (a config), at most max bytes, verified against d. */
int c_registry_get_blob(struct c_registry *r, const struct c_digest *d, size_t max, char **body,
			size_t *len, c_err **err);

/* The repository's tags (following Link pagination); caller frees each and
 * the array. */
int c_registry_list_tags(struct c_registry *r, char ***tags, size_t *ntags, c_err **err);

/* The options of every program that talks to a registry, for its struct
 * option table, and their handling: c_registry_cli_option() applies option c
 * and returns true, or returns false for an option that is not one of them. */
enum {
	C_REGISTRY_OPT_TLS_VERIFY = 0x1000,
	C_REGISTRY_OPT_PLAIN_HTTP,
	C_REGISTRY_OPT_CERT_DIR,
	C_REGISTRY_OPT_CREDS,
};
#define C_REGISTRY_CLI_OPTIONS                                               \
	{ "tls-verify", optional_argument, NULL, C_REGISTRY_OPT_TLS_VERIFY }, \
	{ "plain-http", no_argument, NULL, C_REGISTRY_OPT_PLAIN_HTTP },       \
	{ "cert-dir", required_argument, NULL, C_REGISTRY_OPT_CERT_DIR },     \
	{ "creds", required_argument, NULL, C_REGISTRY_OPT_CREDS }

bool c_registry_cli_option(int c, const char *arg, struct c_registry_opts *opts);

#endif
