/* TLS over BearSSL: trust anchors from PEM, client certificates, and a TLS 1.2
 * stream over a non-blocking socket with poll timeouts. */
#include "tls.h"

#include <arpa/inet.h>
#include <bearssl.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base64.h"
#include "cleanup.h"
#include "sock.h"
#include "digest.h"
#include "file.h"

/* No sane CA bundle or certificate file comes near this. */
#define PEM_MAX (16u << 20)

struct c_tls_trust {
	br_x509_trust_anchor *ta;
	bool *owned; /* false for anchors borrowed from another trust set */
	size_t n, cap;
	br_x509_certificate *chain; /* client certificate chain */
	size_t nchain;
	br_skey_decoder_context *skey; /* its private key */
	int issuer_key_type;
	/* What was loaded already, by the first bytes of each certificate's
	 * sha256: $SSL_CERT_DIR usually holds the system bundle again, one
	 * certificate a file, and decoding it all twice doubles the start-up. */
	uint64_t *seen;
	size_t nseen, capseen;
};

/* A growing byte buffer, the sink of BearSSL's decoders. */
struct dbuf {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

static void dbuf_append(void *ctx, const void *data, size_t len)
{
	struct dbuf *b = ctx;
	unsigned char *p;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + len > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void *memdup(const void *p, size_t len)
{
	void *q = malloc(len ? len : 1);

	if (q)
		memcpy(q, p, len);
	return q;
}

typedef int (*pem_fn)(void *arg, const char *name, const unsigned char *der, size_t len,
		      c_err **err);

/* Call fn for every object of a PEM buffer.  BearSSL's br_pem_decoder does
 * this too, but byte by byte through its T0 interpreter: a system bundle
 * took it 50-150 ms, this takes about a millisecond. */
static int pem_each(const void *pem, size_t len, const char *what, pem_fn fn, void *arg,
		    c_err **err)
{
	const char *p = pem, *end = p + len, *name, *nend, *body, *bend;
	char label[128];
	unsigned char *der;
	ssize_t n;
	int rc;

	while ((p = memmem(p, (size_t)(end - p), "-----BEGIN ", 11))) {
		name = p + 11;
		nend = memmem(name, (size_t)(end - name), "-----", 5);
		body = nend ? memchr(nend, '\n', (size_t)(end - nend)) : NULL;
		bend = body ? memmem(body, (size_t)(end - body), "-----END ", 9) : NULL;
		if (!bend || nend - name >= (ptrdiff_t)sizeof label ||
		    memchr(name, '\n', (size_t)(nend - name)))
			return c_err_new(err, C_EXIT_DATA, 0, "decode PEM: %s: malformed PEM", what);
		memcpy(label, name, (size_t)(nend - name));
		label[nend - name] = '\0';
		der = malloc((size_t)(bend - body) / 4 * 3 + 3);
		if (!der)
			return c_err_sys(err, "decode PEM", what);
		n = c_base64_decode_pem(body, bend, der);
		if (n < 0) {
			free(der);
			/* encrypted keys carry "Proc-Type:" headers */
			return c_err_new(err, C_EXIT_DATA, 0,
					 "decode PEM: %s: malformed or encrypted PEM object %s", what,
					 label);
		}
		rc = fn(arg, label, der, (size_t)n, err);
		explicit_bzero(der, (size_t)n); /* may be a private key */
		free(der);
		if (rc < 0)
			return -1;
		p = bend + 9;
	}
	return 0;
}

static int trust_grow(struct c_tls_trust *t, c_err **err)
{
	br_x509_trust_anchor *ta;
	bool *owned;
	size_t cap;

	if (t->n < t->cap)
		return 0;
	cap = t->cap ? t->cap * 2 : 64;
	ta = realloc(t->ta, cap * sizeof *ta);
	if (!ta)
		return c_err_sys(err, "add trust anchor", NULL);
	t->ta = ta;
	owned = realloc(t->owned, cap * sizeof *owned);
	if (!owned)
		return c_err_sys(err, "add trust anchor", NULL);
	t->owned = owned;
	t->cap = cap;
	return 0;
}

static void anchor_free(br_x509_trust_anchor *ta)
{
	free(ta->dn.data);
	if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
		free(ta->pkey.key.rsa.n);
		free(ta->pkey.key.rsa.e);
	} else {
		free(ta->pkey.key.ec.q);
	}
}

static int key_copy(br_x509_pkey *dst, const br_x509_pkey *src)
{
	*dst = *src;
	if (src->key_type == BR_KEYTYPE_RSA) {
		dst->key.rsa.n = memdup(src->key.rsa.n, src->key.rsa.nlen);
		dst->key.rsa.e = memdup(src->key.rsa.e, src->key.rsa.elen);
		return dst->key.rsa.n && dst->key.rsa.e ? 0 : -1;
	}
	dst->key.ec.q = memdup(src->key.ec.q, src->key.ec.qlen);
	return dst->key.ec.q ? 0 : -1;
}

struct pem_ctx {
	struct c_tls_trust *t;
	const char *what;
	size_t added;
};

/* 1 when this certificate was loaded before, else 0 and it is recorded. */
static int seen_before(struct c_tls_trust *t, const unsigned char *der, size_t len)
{
	uint8_t hash[C_SHA256_LEN];
	uint64_t key;

	c_sha256(der, len, hash);
	memcpy(&key, hash, sizeof key);
	for (size_t i = 0; i < t->nseen; i++)
		if (t->seen[i] == key)
			return 1;
	if (t->nseen == t->capseen) {
		size_t cap = t->capseen ? t->capseen * 2 : 256;
		uint64_t *grown = realloc(t->seen, cap * sizeof *grown);

		if (!grown)
			return -1;
		t->seen = grown;
		t->capseen = cap;
	}
	t->seen[t->nseen++] = key;
	return 0;
}

static int add_cert(void *arg, const char *name, const unsigned char *der, size_t len,
		    c_err **err)
{
	struct pem_ctx *pc = arg;
	struct c_tls_trust *t = pc->t;
	br_x509_decoder_context dc;
	struct dbuf dn = { 0 };
	const br_x509_pkey *pk;
	br_x509_trust_anchor *ta;

	if (strcmp(name, "CERTIFICATE") && strcmp(name, "X509 CERTIFICATE") &&
	    strcmp(name, "TRUSTED CERTIFICATE"))
		return 0;
	switch (seen_before(t, der, len)) {
	case -1:
		return c_err_sys(err, "add trust anchor", pc->what);
	case 1:
		pc->added++;
		return 0;
	}
	br_x509_decoder_init(&dc, dbuf_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	/* bundles hold the odd key type BearSSL lacks (Ed25519...): skip those */
	if (!pk || dn.oom) {
		free(dn.p);
		return 0;
	}
	if (trust_grow(t, err) < 0) {
		free(dn.p);
		return -1;
	}
	ta = &t->ta[t->n];
	memset(ta, 0, sizeof *ta);
	ta->dn.data = dn.p;
	ta->dn.len = dn.len;
	/* a non-CA certificate is trusted directly, as a pinned server cert */
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	if (key_copy(&ta->pkey, pk) < 0) {
		anchor_free(ta);
		return c_err_sys(err, "add trust anchor", pc->what);
	}
	t->owned[t->n++] = true;
	pc->added++;
	return 0;
}

struct c_tls_trust *c_tls_trust_new(c_err **err)
{
	struct c_tls_trust *t = calloc(1, sizeof *t);

	if (!t)
		c_err_sys(err, "TLS trust store", NULL);
	return t;
}

void c_tls_trust_free(struct c_tls_trust *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		if (t->owned[i])
			anchor_free(&t->ta[i]);
	for (i = 0; i < t->nchain; i++)
		free(t->chain[i].data);
	free(t->chain);
	free(t->skey);
	free(t->ta);
	free(t->owned);
	free(t->seen);
	free(t);
}

size_t c_tls_trust_count(const struct c_tls_trust *t)
{
	return t->n;
}

int c_tls_trust_add_pem(struct c_tls_trust *t, const void *pem, size_t len, const char *what,
			c_err **err)
{
	struct pem_ctx pc = { t, what, 0 };

	if (pem_each(pem, len, what, add_cert, &pc, err) < 0)
		return -1;
	if (pc.added == 0)
		return c_err_new(err, C_EXIT_DATA, 0, "load CA certificates: %s: no usable certificate",
				 what);
	return 0;
}

int c_tls_trust_add_file(struct c_tls_trust *t, const char *path, c_err **err)
{
	_cleanup_free_ char *pem = NULL;
	size_t len;

	if (c_read_file(path, PEM_MAX, &pem, &len, err) < 0)
		return c_err_wrap(err, "load CA certificates");
	return c_tls_trust_add_pem(t, pem, len, path, err);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/* The names in dir ending in suffix, sorted; *names NULL when dir is missing. */
static int list_dir(const char *dir, const char *suffix, struct dirent ***names, c_err **err)
{
	int n, i, k = 0;

	*names = NULL;
	n = scandir(dir, names, NULL, alphasort);
	if (n < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return c_err_sys(err, "read certificate directory", dir);
	}
	for (i = 0; i < n; i++) {
		if (has_suffix((*names)[i]->d_name, suffix))
			(*names)[k++] = (*names)[i];
		else
			free((*names)[i]);
	}
	return k;
}

static void free_names(struct dirent **names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int add_dir_suffix(struct c_tls_trust *t, const char *dir, const char *suffix,
			  c_err **err)
{
	struct dirent **names;
	int n, i, rc = 0;

	n = list_dir(dir, suffix, &names, err);
	if (n < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0)
			rc = c_err_sys(err, "load CA certificates", dir);
		else
			rc = c_tls_trust_add_file(t, path, err);
	}
	free_names(names, n);
	return rc;
}

int c_tls_trust_add_dir(struct c_tls_trust *t, const char *dir, c_err **err)
{
	if (add_dir_suffix(t, dir, ".pem", err) < 0)
		return -1;
	return add_dir_suffix(t, dir, ".crt", err);
}

int c_tls_trust_add_system(struct c_tls_trust *t, c_err **err)
{
	const char *file = getenv("SSL_CERT_FILE");
	const char *dir = getenv("SSL_CERT_DIR");

	if (file && *file) {
		if (c_tls_trust_add_file(t, file, err) < 0)
			return -1;
	} else if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0) {
		if (c_tls_trust_add_file(t, "/etc/ssl/certs/ca-certificates.crt", err) < 0)
			return -1;
	}
	if (dir && *dir)
		return c_tls_trust_add_dir(t, dir, err);
	return 0;
}

int c_tls_trust_add_all(struct c_tls_trust *t, const struct c_tls_trust *src, c_err **err)
{
	size_t i;

	for (i = 0; i < src->n; i++) {
		if (trust_grow(t, err) < 0)
			return -1;
		t->ta[t->n] = src->ta[i];
		t->owned[t->n++] = false;
	}
	return 0;
}

static int add_chain_cert(void *arg, const char *name, const unsigned char *der, size_t len,
			  c_err **err)
{
	struct pem_ctx *pc = arg;
	struct c_tls_trust *t = pc->t;
	br_x509_certificate *chain;

	if (strcmp(name, "CERTIFICATE") && strcmp(name, "X509 CERTIFICATE"))
		return 0;
	chain = realloc(t->chain, (t->nchain + 1) * sizeof *chain);
	if (!chain)
		return c_err_sys(err, "load client certificate", pc->what);
	t->chain = chain;
	chain[t->nchain].data = memdup(der, len);
	if (!chain[t->nchain].data)
		return c_err_sys(err, "load client certificate", pc->what);
	chain[t->nchain++].data_len = len;
	return 0;
}

static int add_key(void *arg, const char *name, const unsigned char *der, size_t len,
		   c_err **err)
{
	struct pem_ctx *pc = arg;
	br_skey_decoder_context *sk = pc->t->skey;

	/* "EC PARAMETERS" and the like come along in key files: skip them */
	if (strcmp(name, "RSA PRIVATE KEY") && strcmp(name, "EC PRIVATE KEY") &&
	    strcmp(name, "PRIVATE KEY"))
		return 0;
	br_skey_decoder_init(sk);
	br_skey_decoder_push(sk, der, len);
	if (br_skey_decoder_last_error(sk) || !br_skey_decoder_key_type(sk))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "load client key: %s: not an RSA or EC private key", pc->what);
	pc->added++;
	return 0;
}

static int load_pem_file(const char *path, pem_fn fn, struct pem_ctx *pc, c_err **err)
{
	_cleanup_free_ char *pem = NULL;
	size_t len;

	if (c_read_file(path, PEM_MAX, &pem, &len, err) < 0)
		return -1;
	return pem_each(pem, len, path, fn, pc, err);
}

int c_tls_trust_set_client(struct c_tls_trust *t, const char *cert_path, const char *key_path,
			   c_err **err)
{
	struct pem_ctx pc = { t, cert_path, 0 };
	br_x509_decoder_context dc;

	if (t->nchain || t->skey)
		return c_err_new(err, C_EXIT_USAGE, 0,
				 "load client certificate: %s: a client certificate is already set",
				 cert_path);
	if (load_pem_file(cert_path, add_chain_cert, &pc, err) < 0)
		return c_err_wrap(err, "load client certificate");
	if (!t->nchain)
		return c_err_new(err, C_EXIT_DATA, 0, "load client certificate: %s: no certificate",
				 cert_path);
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, t->chain[0].data, t->chain[0].data_len);
	if (!br_x509_decoder_get_pkey(&dc))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "load client certificate: %s: unsupported certificate", cert_path);
	t->issuer_key_type = br_x509_decoder_get_signer_key_type(&dc);

	t->skey = malloc(sizeof *t->skey);
	if (!t->skey)
		return c_err_sys(err, "load client key", key_path);
	pc.what = key_path;
	if (load_pem_file(key_path, add_key, &pc, err) < 0)
		return c_err_wrap(err, "load client key");
	if (!pc.added)
		return c_err_new(err, C_EXIT_DATA, 0, "load client key: %s: no private key",
				 key_path);
	return 0;
}

int c_tls_trust_add_certs_d(struct c_tls_trust *t, const char *dir, c_err **err)
{
	struct dirent **names;
	int n;

	if (add_dir_suffix(t, dir, ".crt", err) < 0)
		return -1;
	n = list_dir(dir, ".cert", &names, err);
	if (n < 0)
		return -1;
	if (n > 0) {
		_cleanup_free_ char *cert = NULL, *key = NULL;
		const char *base = names[0]->d_name;
		int blen = (int)(strlen(base) - strlen(".cert"));

		if (asprintf(&cert, "%s/%s", dir, base) < 0 ||
		    asprintf(&key, "%s/%.*s.key", dir, blen, base) < 0) {
			free_names(names, n);
			return c_err_sys(err, "load client certificate", dir);
		}
		free_names(names, n);
		if (access(key, F_OK) < 0)
			return c_err_sys(err, "load client key (beside the .cert)", key);
		return c_tls_trust_set_client(t, cert, key, err);
	}
	free_names(names, n);
	return 0;
}

/* ---- the connection ----------------------------------------------------------- */

/* tls_verify=false: no chain or name check, but the handshake still needs the
 * server's public key.  br_x509_minimal gives no key once it has found fault
 * with the name or the dates, so the end-entity certificate goes through the
 * plain decoder instead. */
struct noverify {
	const br_x509_class *vtable;
	br_x509_decoder_context dc;
	unsigned depth;
};

static void nv_dn(void *ctx, const void *data, size_t len)
{
}

static void nv_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct noverify *nv = (struct noverify *)(void *)ctx;

	nv->depth = 0;
	br_x509_decoder_init(&nv->dc, nv_dn, NULL);
}

static void nv_start_cert(const br_x509_class **ctx, uint32_t length)
{
}

static void nv_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct noverify *nv = (struct noverify *)(void *)ctx;

	if (nv->depth == 0)
		br_x509_decoder_push(&nv->dc, buf, len);
}

static void nv_end_cert(const br_x509_class **ctx)
{
	struct noverify *nv = (struct noverify *)(void *)ctx;

	nv->depth++;
}

static unsigned nv_end_chain(const br_x509_class **ctx)
{
	struct noverify *nv = (struct noverify *)(void *)ctx;

	if (nv->depth == 0)
		return BR_ERR_X509_EMPTY_CHAIN;
	if (!br_x509_decoder_get_pkey(&nv->dc)) {
		int e = br_x509_decoder_last_error(&nv->dc);

		return e ? (unsigned)e : BR_ERR_X509_UNSUPPORTED;
	}
	return 0;
}

static const br_x509_pkey *nv_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct noverify *nv = (struct noverify *)(void *)ctx;

	if (usages)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return br_x509_decoder_get_pkey(&nv->dc);
}

static const br_x509_class noverify_vtable = {
	sizeof(struct noverify), nv_start_chain, nv_start_cert, nv_append,
	nv_end_cert,		 nv_end_chain,	 nv_get_pkey,
};

/* BearSSL matches only dNSName entries, so for an IP address host the chain
 * is checked by br_x509_minimal without a name and the address is looked up
 * in the end-entity certificate's iPAddress entries here. */
#define EE_MAX (16 * 1024)

struct ipcheck {
	const br_x509_class *vtable;
	br_x509_minimal_context *inner;
	unsigned char ip[16];
	size_t iplen;
	unsigned depth;
	size_t eelen;
	bool toolong;
	unsigned char ee[EE_MAX];
};

/* One DER element at *p (low tag numbers only): tag, contents, and *p past it. */
static int der_get(const unsigned char **p, const unsigned char *end, unsigned *tag,
		   const unsigned char **val, size_t *len)
{
	const unsigned char *q = *p;
	size_t l, n;

	if (end - q < 2 || (*q & 0x1f) == 0x1f)
		return -1;
	*tag = *q++;
	l = *q++;
	if (l & 0x80) {
		n = l & 0x7f;
		if (n == 0 || n > 4 || (size_t)(end - q) < n)
			return -1;
		for (l = 0; n; n--)
			l = (l << 8) | *q++;
	}
	if ((size_t)(end - q) < l)
		return -1;
	*val = q;
	*len = l;
	*p = q + l;
	return 0;
}

/* Enter the constructed element at *p: [*p, *end) become its contents. */
static int der_enter(const unsigned char **p, const unsigned char **end, unsigned want)
{
	const unsigned char *v;
	unsigned tag;
	size_t l;

	if (der_get(p, *end, &tag, &v, &l) < 0 || tag != want)
		return -1;
	*p = v;
	*end = v + l;
	return 0;
}

/* The GeneralNames of a subjectAltName value hold this address. */
static bool san_has_ip(const unsigned char *p, const unsigned char *end, const unsigned char *ip,
		       size_t iplen)
{
	const unsigned char *v;
	unsigned tag;
	size_t l;

	if (der_enter(&p, &end, 0x30) < 0)
		return false;
	while (p < end) {
		if (der_get(&p, end, &tag, &v, &l) < 0)
			return false;
		if (tag == 0x87 && l == iplen && !memcmp(v, ip, iplen))
			return true;
	}
	return false;
}

static bool cert_has_ip(const unsigned char *p, size_t len, const unsigned char *ip, size_t iplen)
{
	const unsigned char *end = p + len, *v, *e, *eend;
	unsigned tag = 0;
	size_t l;

	/* Certificate, tbsCertificate, up to the [3] extensions */
	if (der_enter(&p, &end, 0x30) < 0 || der_enter(&p, &end, 0x30) < 0)
		return false;
	while (p < end && tag != 0xa3) {
		e = p;
		if (der_get(&p, end, &tag, &v, &l) < 0)
			return false;
	}
	if (tag != 0xa3)
		return false;
	p = e;
	if (der_enter(&p, &end, 0xa3) < 0 || der_enter(&p, &end, 0x30) < 0)
		return false;
	while (p < end) {
		e = p;
		eend = end;
		if (der_get(&p, end, &tag, &v, &l) < 0 || der_enter(&e, &eend, 0x30) < 0 ||
		    der_get(&e, eend, &tag, &v, &l) < 0 || tag != 0x06)
			return false;
		if (l != 3 || memcmp(v, "\x55\x1d\x11", 3))
			continue;
		if (der_get(&e, eend, &tag, &v, &l) < 0 ||
		    (tag == 0x01 && der_get(&e, eend, &tag, &v, &l) < 0) || tag != 0x04)
			return false;
		return san_has_ip(v, v + l, ip, iplen);
	}
	return false;
}

#define IPC(ctx) ((struct ipcheck *)(void *)(ctx))

static void ipc_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct ipcheck *ic = IPC(ctx);

	ic->depth = 0;
	ic->eelen = 0;
	ic->toolong = false;
	ic->inner->vtable->start_chain(&ic->inner->vtable, NULL);
}

static void ipc_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct ipcheck *ic = IPC(ctx);

	ic->inner->vtable->start_cert(&ic->inner->vtable, length);
}

static void ipc_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct ipcheck *ic = IPC(ctx);

	if (ic->depth == 0) {
		if (len > EE_MAX - ic->eelen)
			ic->toolong = true;
		else
			memcpy(ic->ee + ic->eelen, buf, len);
		ic->eelen += ic->toolong ? 0 : len;
	}
	ic->inner->vtable->append(&ic->inner->vtable, buf, len);
}

static void ipc_end_cert(const br_x509_class **ctx)
{
	struct ipcheck *ic = IPC(ctx);

	ic->depth++;
	ic->inner->vtable->end_cert(&ic->inner->vtable);
}

static unsigned ipc_end_chain(const br_x509_class **ctx)
{
	struct ipcheck *ic = IPC(ctx);
	unsigned r = ic->inner->vtable->end_chain(&ic->inner->vtable);

	if (r)
		return r;
	if (ic->toolong || !cert_has_ip(ic->ee, ic->eelen, ic->ip, ic->iplen))
		return BR_ERR_X509_BAD_SERVER_NAME;
	return 0;
}

static const br_x509_pkey *ipc_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct ipcheck *ic = (const struct ipcheck *)(const void *)ctx;

	return ic->inner->vtable->get_pkey((const br_x509_class *const *)&ic->inner->vtable,
					   usages);
}

static const br_x509_class ipcheck_vtable = {
	sizeof(struct ipcheck), ipc_start_chain, ipc_start_cert, ipc_append,
	ipc_end_cert,		ipc_end_chain,	 ipc_get_pkey,
};

struct sock_io {
	int fd;
	int timeout_ms;
	int errnum; /* the socket's errno, ETIMEDOUT for a timeout */
	bool eof;
};

struct c_tls_conn {
	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	struct noverify nv;
	struct ipcheck ic;
	br_sslio_context io;
	struct sock_io sock;
	char *name;
	unsigned char buf[BR_SSL_BUFSIZE_BIDI];
};

static int sock_read(void *ctx, unsigned char *buf, size_t len)
{
	struct sock_io *s = ctx;
	ssize_t n;

	for (;;) {
		n = read(s->fd, buf, len);
		if (n > 0)
			return (int)n;
		if (n == 0) {
			s->eof = true;
			return -1;
		}
		if (errno == EAGAIN && c_wait_fd(s->fd, POLLIN, s->timeout_ms) == 0)
			continue;
		if (errno != EINTR) {
			s->errnum = errno;
			return -1;
		}
	}
}

static int sock_write(void *ctx, const unsigned char *buf, size_t len)
{
	struct sock_io *s = ctx;
	ssize_t n;

	for (;;) {
		n = send(s->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return (int)n;
		if (errno == EAGAIN && c_wait_fd(s->fd, POLLOUT, s->timeout_ms) == 0)
			continue;
		if (errno != EINTR) {
			s->errnum = errno;
			return -1;
		}
	}
}

static const char *x509_reason(int e)
{
	switch (e) {
	case BR_ERR_X509_NOT_TRUSTED:
		return "certificate signed by an unknown authority";
	case BR_ERR_X509_BAD_SERVER_NAME:
		return "certificate is not valid for this host name";
	case BR_ERR_X509_EXPIRED:
		return "certificate has expired or is not yet valid";
	case BR_ERR_X509_TIME_UNKNOWN:
		return "certificate validity cannot be checked: no clock";
	case BR_ERR_X509_NOT_CA:
		return "certificate chain has an issuer that is not a CA";
	case BR_ERR_X509_BAD_SIGNATURE:
		return "certificate signature is invalid";
	case BR_ERR_X509_WEAK_PUBLIC_KEY:
		return "certificate key is too weak";
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
		return "certificate key usage forbids TLS";
	default:
		return NULL;
	}
}

static int tls_fail(struct c_tls_conn *c, const char *what, c_err **err)
{
	int e = br_ssl_engine_last_error(&c->cc.eng);
	const char *reason = x509_reason(e);

	if (reason)
		return c_err_new(err, C_EXIT_NET, 0, "%s: %s: %s", what, c->name, reason);
	if (e >= BR_ERR_X509_OK && e < 64)
		return c_err_new(err, C_EXIT_NET, 0, "%s: %s: bad certificate (X.509 error %d)",
				 what, c->name, e);
	if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT)
		return c_err_new(err, C_EXIT_NET, 0,
				 "%s: %s: the server refused the connection (TLS alert %d%s)", what,
				 c->name, e - BR_ERR_RECV_FATAL_ALERT,
				 e - BR_ERR_RECV_FATAL_ALERT == 40 || e - BR_ERR_RECV_FATAL_ALERT == 116
					 ? ", a client certificate may be required"
					 : "");
	if (c->sock.errnum)
		return c_err_new(err, C_EXIT_NET, c->sock.errnum, "%s: %s", what, c->name);
	if (c->sock.eof)
		return c_err_new(err, C_EXIT_NET, 0, "%s: %s: connection closed by the server", what,
				 c->name);
	return c_err_new(err, C_EXIT_NET, 0, "%s: %s: TLS error %d", what, c->name, e);
}

static const uint16_t aes_first[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
};

struct c_tls_conn *c_tls_connect(int fd, const char *host, const char *name,
				 const struct c_tls_trust *trust, bool verify, int timeout_ms,
				 bool *untrusted, c_err **err)
{
	struct c_tls_conn *c = calloc(1, sizeof *c);
	int is_ip;

	if (!c || !(c->name = strdup(name))) {
		c_err_sys(err, "TLS connect", name);
		free(c);
		return NULL;
	}
	br_ssl_client_init_full(&c->cc, &c->xc, trust->ta, trust->n);
	br_ssl_engine_set_versions(&c->cc.eng, BR_TLS12, BR_TLS12);
	/* BearSSL offers ChaCha20 first, and servers (Go's among them) take
	 * the client's first choice; with AES-NI, AES-GCM is twice as fast. */
	if (br_aes_x86ni_ctr_get_vtable())
		br_ssl_engine_set_suites(&c->cc.eng, aes_first,
					 sizeof aes_first / sizeof *aes_first);
	br_ssl_engine_set_buffer(&c->cc.eng, c->buf, sizeof c->buf, 1);
	is_ip = inet_pton(AF_INET, host, c->ic.ip) == 1 ? 4
		: inet_pton(AF_INET6, host, c->ic.ip) == 1 ? 16 : 0;
	if (!verify) {
		c->nv.vtable = &noverify_vtable;
		br_ssl_engine_set_x509(&c->cc.eng, &c->nv.vtable);
	} else if (is_ip) {
		c->ic.vtable = &ipcheck_vtable;
		c->ic.inner = &c->xc;
		c->ic.iplen = (size_t)is_ip;
		br_ssl_engine_set_x509(&c->cc.eng, &c->ic.vtable);
	}
	if (trust->skey) {
		const br_skey_decoder_context *sk = trust->skey;

		if (br_skey_decoder_key_type(sk) == BR_KEYTYPE_RSA)
			br_ssl_client_set_single_rsa(&c->cc, trust->chain, trust->nchain,
						     br_skey_decoder_get_rsa(sk),
						     br_rsa_pkcs1_sign_get_default());
		else
			br_ssl_client_set_single_ec(&c->cc, trust->chain, trust->nchain,
						    br_skey_decoder_get_ec(sk), BR_KEYTYPE_SIGN,
						    trust->issuer_key_type, br_ec_get_default(),
						    br_ecdsa_sign_asn1_get_default());
	}
	/* an IP address is no SNI name (RFC 6066) */
	if (!br_ssl_client_reset(&c->cc, is_ip ? NULL : host, 0)) {
		tls_fail(c, "TLS handshake", err);
		c_tls_free(c);
		return NULL;
	}
	c->sock.fd = fd;
	c->sock.timeout_ms = timeout_ms;
	br_sslio_init(&c->io, &c->cc.eng, sock_read, &c->sock, sock_write, &c->sock);
	/* flushing with nothing to send runs the handshake to its end */
	if (br_sslio_flush(&c->io) < 0) {
		if (untrusted)
			*untrusted = br_ssl_engine_last_error(&c->cc.eng) == BR_ERR_X509_NOT_TRUSTED;
		tls_fail(c, "TLS handshake", err);
		c_tls_free(c);
		return NULL;
	}
	return c;
}

ssize_t c_tls_read(struct c_tls_conn *c, void *buf, size_t len, c_err **err)
{
	int n = br_sslio_read(&c->io, buf, len > INT_MAX ? INT_MAX : len);
	int e;

	if (n > 0)
		return n;
	e = br_ssl_engine_last_error(&c->cc.eng);
	/* a close without close_notify ends the stream too: the framing of the
	 * HTTP body says whether anything is missing */
	if (br_ssl_engine_current_state(&c->cc.eng) == BR_SSL_CLOSED &&
	    (e == BR_ERR_OK || (e == BR_ERR_IO && c->sock.eof)))
		return 0;
	return tls_fail(c, "TLS read", err);
}

int c_tls_write_all(struct c_tls_conn *c, const void *buf, size_t len, c_err **err)
{
	if (br_sslio_write_all(&c->io, buf, len) < 0 || br_sslio_flush(&c->io) < 0)
		return tls_fail(c, "TLS write", err);
	return 0;
}

void c_tls_free(struct c_tls_conn *c)
{
	if (!c)
		return;
	free(c->name);
	free(c);
}
