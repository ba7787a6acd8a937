/* tls.h — the BearSSL side of the HTTP client: trust anchors, client
 * certificates and a TLS 1.2 stream over a connected socket.
 *
 * Trust anchors are gathered in a c_tls_trust: PEM bundles, directories of
 * *.pem and *.crt, and the certs.d layout of podman and docker (*.crt are CAs,
 * NAME.cert + NAME.key a client certificate).  A trust set can borrow the
 * anchors of another one (c_tls_trust_add_all), so the system bundle is parsed
 * once per session and shared by every host's set.
 */
#ifndef C_TLS_H
#define C_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct c_tls_trust;
struct c_tls_conn;

struct c_tls_trust *c_tls_trust_new(c_err **err);
void c_tls_trust_free(struct c_tls_trust *t);

/* Every certificate of a PEM buffer becomes an anchor; what names it in errors. */
int c_tls_trust_add_pem(struct c_tls_trust *t, const void *pem, size_t len, const char *what,
			c_err **err);
int c_tls_trust_add_file(struct c_tls_trust *t, const char *path, c_err **err);

/* *.pem and *.crt of a directory (a missing directory adds nothing). */
int c_tls_trust_add_dir(struct c_tls_trust *t, const char *dir, c_err **err);

/* The system anchors: $SSL_CERT_FILE (else /etc/ssl/certs/ca-certificates.crt
 * when it exists) and $SSL_CERT_DIR. */
int c_tls_trust_add_system(struct c_tls_trust *t, c_err **err);

/* A certs.d directory: *.crt as anchors, the first NAME.cert (sorted) with
 * NAME.key as the client certificate.  A missing directory adds nothing. */
int c_tls_trust_add_certs_d(struct c_tls_trust *t, const char *dir, c_err **err);

/* Borrow the anchors of src, which must outlive t. */
int c_tls_trust_add_all(struct c_tls_trust *t, const struct c_tls_trust *src, c_err **err);

/* A client certificate chain (PEM) and its RSA or EC private key (PEM). */
int c_tls_trust_set_client(struct c_tls_trust *t, const char *cert_path, const char *key_path,
			   c_err **err);

size_t c_tls_trust_count(const struct c_tls_trust *t);

/* The TLS 1.2 handshake on a connected fd (which stays the caller's), with SNI
 * and, when verify is set, the chain checked against trust and the name
 * against host.  name (host[:port]) is the object of error messages; a
 * rejected certificate gives an error saying "certificate", C_EXIT_NET, and
 * *untrusted (when not NULL) tells whether the reason was a chain that no
 * anchor of trust vouches for. */
struct c_tls_conn *c_tls_connect(int fd, const char *host, const char *name,
				 const struct c_tls_trust *trust, bool verify, int timeout_ms,
				 bool *untrusted, c_err **err);

/* > 0 bytes read, 0 at the end of the stream (close_notify or the peer's
 * close), -1 on error. */
ssize_t c_tls_read(struct c_tls_conn *c, void *buf, size_t len, c_err **err);
int c_tls_write_all(struct c_tls_conn *c, const void *buf, size_t len, c_err **err);

/* Frees the state; the fd is not closed. */
void c_tls_free(struct c_tls_conn *c);

#endif
