/* http.h — an HTTP/1.1 client over TCP or TLS (BearSSL), made for registries.
 *
 * A session (struct c_http) belongs to one thread at a time and keeps one
 * keep-alive connection per origin (scheme, host, port) it has talked to, so
 * the requests of one pull reuse their connections.  It never follows
 * redirects itself: the caller decides (the registry code drops credentials
 * when a redirect leaves the registry's host).
 *
 * TLS: TLS 1.2, SNI, server name checked against the certificate.  Trust
 * anchors: the system bundle ($SSL_CERT_FILE, else
 * /etc/ssl/certs/ca-certificates.crt) and $SSL_CERT_DIR (*.pem, *.crt),
 * plus, per "host:port" (or "host" when the port is the default),
 * /etc/containers/certs.d/HOST[:PORT]/ and /etc/docker/certs.d/HOST[:PORT]/
 * as podman and docker read them: *.crt are CAs, a *.cert with the *.key of
 * the same base name is a client certificate.  config->cert_dir replaces
 * those per-host dirs when set (podman's --cert-dir).
 *
 * Proxies: HTTPS_PROXY/https_proxy for https URLs, HTTP_PROXY/http_proxy for
 * http ones, NO_PROXY/no_proxy (comma-separated host suffixes, "*", and
 * host:port) honoured; https goes through the proxy with CONNECT.
 *
 * Errors name the URL's host[:port] and are C_EXIT_NET for connection, TLS and
 * protocol failures.  Nothing here logs headers: they may hold credentials.
 */
#ifndef C_HTTP_H
#define C_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct c_http_config {
	bool tls_verify;      /* false only when the user asked (--tls-verify=false) */
	const char *cert_dir; /* replaces the certs.d lookup when set */
	int timeout_ms;       /* connect and per-read timeout; 0 means 30 s */
};

struct c_http;

struct c_http *c_http_new(const struct c_http_config *config, c_err **err);
void c_http_free(struct c_http *h);

struct c_http_request {
	const char *method;          /* "GET", "HEAD", ... */
	const char *url;             /* absolute http:// or https:// URL */
	const char *const *headers;  /* "Name: value" lines, NULL-terminated; may be NULL */
	const void *body;            /* sent with a Content-Length when not NULL */
	size_t body_len;
};

struct c_http_header {
	char *name;
	char *value;
};

struct c_http_response {
	int status;
	struct c_http_header *headers;
	size_t nheaders;
	long long content_length; /* -1 when the response does not say */
	void *priv;               /* body framing state, owned by the session */
};

/* Send the request and read the status line and headers (1xx skipped).  On a
 * reused connection that the server had closed, reconnects once.  The body is
 * then read with c_http_read(); every response must end with c_http_done(). */
int c_http_send(struct c_http *h, const struct c_http_request *req,
		struct c_http_response *resp, c_err **err);

/* The value of a header (case-insensitive name), or NULL. */
const char *c_http_header(const struct c_http_response *resp, const char *name);

/* Body bytes (chunked and Content-Length framing handled): > 0 read, 0 at the
 * end of the body, -1 on error.  A body cut short before its declared end is
 * an error ("connection closed after N of M bytes"). */
ssize_t c_http_read(struct c_http *h, struct c_http_response *resp, void *buf, size_t len,
		    c_err **err);

/* The whole body, at most max bytes (more is a C_EXIT_DATA error naming the
 * URL and the cap), NUL-terminated. */
int c_http_read_all(struct c_http *h, struct c_http_response *resp, size_t max, char **out,
		    size_t *len, c_err **err);

/* Finish a response: the connection is kept for the next request if the body
 * was read to its end (a short rest is drained), closed otherwise.  Frees the
 * response's headers. */
void c_http_done(struct c_http *h, struct c_http_response *resp);

#endif
