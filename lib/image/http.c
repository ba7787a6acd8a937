/* HTTP/1.1 client: keep-alive per origin, Content-Length, chunked and
 * read-until-close bodies, CONNECT proxies, TLS through tls.c. */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "sock.h"
#include "tls.h"

#define RBUF_SIZE (64 * 1024)
#define HEADER_MAX (64 * 1024)
#define DRAIN_MAX (64 * 1024)
#define DEFAULT_TIMEOUT_MS 30000

struct url {
	bool https;
	char *host;	/* without the brackets of an IPv6 literal */
	int port;
	char *hostport; /* host[:port] as in the URL's authority: Host header, errors */
	char *target;	/* path and query */
};

struct conn {
	struct conn *next;
	char *key; /* origin, and the proxy it goes through */
	char *name;
	int fd;
	int timeout_ms;
	struct c_tls_conn *tls;
	unsigned char *rbuf;
	size_t rpos, rlen;
	bool reused;
};

/* Trust anchors and client certificate of one certs.d name. */
/* Trust for one host.  A registry with a CA of its own in certs.d (or
 * --cert-dir) is tried with that alone first: parsing the system's bundle
 * costs more than the rest of a small pull.  Only when that chain is not
 * trusted is the handshake made again with the system's CAs as well. */
struct tls_host {
	struct tls_host *next;
	char *name;
	struct c_tls_trust *local; /* certs.d: CAs and client certificate */
	struct c_tls_trust *full;  /* the system's CAs and local, once needed */
	bool local_untrusted;
};

struct c_http {
	struct c_http_config cfg;
	struct conn *idle;
	struct tls_host *hosts;
};

enum framing { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };

struct body {
	struct conn *conn;
	enum framing mode;
	long long total, got, chunk_left;
	bool done, keep, failed;
	char *name; /* host[:port] */
	char *url;  /* without the query, which may hold a signature */
};

/* ---- URLs ------------------------------------------------------------------------ */

static void url_free(struct url *u)
{
	free(u->host);
	free(u->hostport);
	free(u->target);
	memset(u, 0, sizeof *u);
}

/* host:port, or host alone when with_port is false; IPv6 in brackets. */
static char *authority(const struct url *u, bool with_port)
{
	bool v6 = strchr(u->host, ':') != NULL;
	char *s;
	int n;

	if (with_port)
		n = asprintf(&s, "%s%s%s:%d", v6 ? "[" : "", u->host, v6 ? "]" : "", u->port);
	else
		n = asprintf(&s, "%s%s%s", v6 ? "[" : "", u->host, v6 ? "]" : "");
	return n < 0 ? NULL : s;
}

static int parse_port(const char *s, size_t len, int *port)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* scheme://host[:port][/path][?query]; proxy URLs may leave out the scheme. */
static int url_parse(const char *s, bool need_scheme, struct url *u, c_err **err)
{
	const char *auth, *end, *host, *hend, *colon = NULL;
	size_t tlen;

	memset(u, 0, sizeof *u);
	if (!strncasecmp(s, "https://", 8)) {
		u->https = true;
		auth = s + 8;
	} else if (!strncasecmp(s, "http://", 7)) {
		auth = s + 7;
	} else if (!need_scheme && !strstr(s, "://")) {
		auth = s;
	} else {
		return c_err_new(err, C_EXIT_DATA, 0, "URL: %s: not an http:// or https:// URL", s);
	}
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)))
		return c_err_new(err, C_EXIT_DATA, 0, "URL: credentials in URLs are not supported");
	host = auth;
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(end - host));
		if (!hend)
			return c_err_new(err, C_EXIT_DATA, 0, "URL: %s: bad IPv6 address", s);
		host++;
		if (hend + 1 < end) {
			if (hend[1] != ':')
				return c_err_new(err, C_EXIT_DATA, 0, "URL: %s: bad host", s);
			colon = hend + 1;
		}
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		hend = colon ? colon : end;
	}
	if (hend == host)
		return c_err_new(err, C_EXIT_DATA, 0, "URL: %s: no host", s);
	u->port = u->https ? 443 : 80;
	if (colon && parse_port(colon + 1, (size_t)(end - colon - 1), &u->port) < 0)
		return c_err_new(err, C_EXIT_DATA, 0, "URL: %s: bad port", s);
	tlen = strcspn(end, "#");
	u->host = strndup(host, (size_t)(hend - host));
	u->hostport = strndup(auth, (size_t)(end - auth));
	if (asprintf(&u->target, "%s%.*s", *end == '/' ? "" : "/", (int)tlen, end) < 0)
		u->target = NULL;
	if (!u->host || !u->hostport || !u->target) {
		url_free(u);
		return c_err_sys(err, "URL", s);
	}
	return 0;
}

/* ---- proxies ---------------------------------------------------------------------- */

static const char *env2(const char *upper, const char *lower)
{
	const char *v = getenv(upper);

	if (!v || !*v)
		v = getenv(lower);
	return v && *v ? v : NULL;
}

/* NO_PROXY: "*", host suffixes (".example.com" or "example.com" match the
 * domain and its subdomains) and host:port entries. */
static bool no_proxy_match(const struct url *u)
{
	const char *list = env2("NO_PROXY", "no_proxy");
	size_t hlen = strlen(u->host);

	while (list && *list) {
		size_t len = strcspn(list, ",");
		const char *e = list, *colon;
		size_t elen = len;
		int port = 0;

		while (elen && isspace((unsigned char)*e))
			e++, elen--;
		while (elen && isspace((unsigned char)e[elen - 1]))
			elen--;
		colon = memrchr(e, ':', elen);
		if (colon && e[0] != '[' && !memchr(e, ']', elen) &&
		    parse_port(colon + 1, elen - (size_t)(colon + 1 - e), &port) == 0)
			elen = (size_t)(colon - e);
		if (elen && *e == '[' && e[elen - 1] == ']')
			e++, elen -= 2;
		if (elen == 1 && *e == '*')
			return true;
		if (elen && *e == '.')
			e++, elen--;
		if (elen && (!port || port == u->port) &&
		    ((hlen == elen && !strncasecmp(u->host, e, elen)) ||
		     (hlen > elen && u->host[hlen - elen - 1] == '.' &&
		      !strncasecmp(u->host + hlen - elen, e, elen))))
			return true;
		list += len;
		if (*list == ',')
			list++;
	}
	return false;
}

/* The proxy for u, or 0 with p->host NULL for a direct connection. */
static int proxy_for(const struct url *u, struct url *p, c_err **err)
{
	const char *v = u->https ? env2("HTTPS_PROXY", "https_proxy")
				 : env2("HTTP_PROXY", "http_proxy");

	memset(p, 0, sizeof *p);
	if (!v || no_proxy_match(u))
		return 0;
	if (url_parse(v, false, p, err) < 0)
		return c_err_wrap(err, "proxy");
	if (p->https) {
		url_free(p);
		return c_err_new(err, C_EXIT_USAGE, 0, "proxy: %s: only http:// proxies are supported",
				 v);
	}
	if (!strstr(v, "://") && !strchr(p->hostport, ':'))
		p->port = 1080;
	return 0;
}

/* ---- sockets ------------------------------------------------------------------------ */

static int connect_addr(const struct addrinfo *ai, int timeout_ms)
{
	_cleanup_close_ int fd = -1;
	socklen_t len = sizeof(int);
	int soerr = 0, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			return -1;
		if (c_wait_fd(fd, POLLOUT, timeout_ms) < 0)
			return -1;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			return -1;
		if (soerr) {
			errno = soerr;
			return -1;
		}
	}
	/* requests are one write each; do not let Nagle hold the next one back */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		return -1;
	return c_steal_fd(&fd);
}

static int tcp_connect(const char *host, int port, const char *name, int timeout_ms,
		       c_err **err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char service[8];
	int rc, fd = -1, saved = 0;

	snprintf(service, sizeof service, "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0)
		return c_err_new(err, C_EXIT_NET, rc == EAI_SYSTEM ? errno : 0, "resolve: %s%s%s",
				 name, rc == EAI_SYSTEM ? "" : ": ",
				 rc == EAI_SYSTEM ? "" : gai_strerror(rc));
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = connect_addr(ai, timeout_ms);
		if (fd < 0)
			saved = errno;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return c_err_new(err, C_EXIT_NET, saved, "connect: %s", name);
	return fd;
}

/* ---- connections -------------------------------------------------------------------- */

static void conn_close(struct conn *c)
{
	if (!c)
		return;
	c_tls_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	free(c->key);
	free(c->name);
	free(c);
}

static ssize_t conn_raw_read(struct conn *c, void *buf, size_t len, c_err **err)
{
	ssize_t n;

	if (c->tls)
		return c_tls_read(c->tls, buf, len, err);
	for (;;) {
		n = read(c->fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EAGAIN && c_wait_fd(c->fd, POLLIN, c->timeout_ms) == 0)
			continue;
		if (errno != EINTR)
			return c_err_new(err, C_EXIT_NET, errno, "read: %s", c->name);
	}
}

static int conn_write(struct conn *c, const void *buf, size_t len, c_err **err)
{
	const char *p = buf;
	ssize_t n;

	if (c->tls)
		return c_tls_write_all(c->tls, buf, len, err);
	while (len > 0) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n >= 0) {
			p += n;
			len -= (size_t)n;
		} else if (errno == EAGAIN && c_wait_fd(c->fd, POLLOUT, c->timeout_ms) == 0) {
			continue;
		} else if (errno != EINTR) {
			return c_err_new(err, C_EXIT_NET, errno, "write: %s", c->name);
		}
	}
	return 0;
}

/* Body bytes: from the buffer first; large reads go straight into buf. */
static ssize_t conn_read(struct conn *c, void *buf, size_t len, c_err **err)
{
	ssize_t n;

	if (c->rpos == c->rlen) {
		c->rpos = c->rlen = 0;
		if (len >= RBUF_SIZE / 4)
			return conn_raw_read(c, buf, len, err);
		n = conn_raw_read(c, c->rbuf, RBUF_SIZE, err);
		if (n <= 0)
			return n;
		c->rlen = (size_t)n;
	}
	n = (ssize_t)(c->rlen - c->rpos < len ? c->rlen - c->rpos : len);
	memcpy(buf, c->rbuf + c->rpos, (size_t)n);
	c->rpos += (size_t)n;
	return n;
}

/* One line without its CRLF, NUL-terminated in place; NULL with *eof set
 * when the stream ends before it.  *budget caps the bytes of a header block. */
static char *conn_line(struct conn *c, size_t *budget, bool *eof, c_err **err)
{
	size_t scanned = 0;
	unsigned char *nl;
	char *line;
	ssize_t n;

	*eof = false;
	for (;;) {
		nl = memchr(c->rbuf + c->rpos + scanned, '\n', c->rlen - c->rpos - scanned);
		if (nl)
			break;
		scanned = c->rlen - c->rpos;
		if (scanned >= *budget || scanned >= RBUF_SIZE) {
			c_err_new(err, C_EXIT_NET, 0, "read response: %s: header block larger than %d KiB",
				  c->name, HEADER_MAX / 1024);
			return NULL;
		}
		if (c->rpos > 0) {
			memmove(c->rbuf, c->rbuf + c->rpos, scanned);
			c->rlen = scanned;
			c->rpos = 0;
		}
		n = conn_raw_read(c, c->rbuf + c->rlen, RBUF_SIZE - c->rlen, err);
		if (n < 0)
			return NULL;
		if (n == 0) {
			*eof = true;
			return NULL;
		}
		c->rlen += (size_t)n;
	}
	line = (char *)c->rbuf + c->rpos;
	if ((size_t)(nl - (unsigned char *)line) + 1 > *budget) {
		c_err_new(err, C_EXIT_NET, 0, "read response: %s: header block larger than %d KiB",
			  c->name, HEADER_MAX / 1024);
		return NULL;
	}
	*budget -= (size_t)(nl - (unsigned char *)line) + 1;
	c->rpos += (size_t)(nl - (unsigned char *)line) + 1;
	*nl = '\0';
	if (nl > (unsigned char *)line && nl[-1] == '\r')
		nl[-1] = '\0';
	return line;
}

/* ---- the session ------------------------------------------------------------------- */

struct c_http *c_http_new(const struct c_http_config *config, c_err **err)
{
	struct c_http *h = calloc(1, sizeof *h);

	if (!h) {
		c_err_sys(err, "HTTP session", NULL);
		return NULL;
	}
	if (config)
		h->cfg = *config;
	if (h->cfg.timeout_ms <= 0)
		h->cfg.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (h->cfg.cert_dir) {
		h->cfg.cert_dir = strdup(h->cfg.cert_dir);
		if (!h->cfg.cert_dir) {
			c_err_sys(err, "HTTP session", NULL);
			free(h);
			return NULL;
		}
	}
	return h;
}

void c_http_free(struct c_http *h)
{
	struct conn *c;
	struct tls_host *t;

	if (!h)
		return;
	while ((c = h->idle)) {
		h->idle = c->next;
		conn_close(c);
	}
	while ((t = h->hosts)) {
		h->hosts = t->next;
		c_tls_trust_free(t->local);
		c_tls_trust_free(t->full);
		free(t->name);
		free(t);
	}
	free((char *)h->cfg.cert_dir);
	free(h);
}

/* The certs.d dir of a host: podman's first, docker's if podman has none. */
static int load_certs_d(struct c_http *h, const char *name, struct c_tls_trust *t, c_err **err)
{
	static const char *const roots[] = { "/etc/containers/certs.d", "/etc/docker/certs.d" };
	size_t i;

	if (h->cfg.cert_dir)
		return c_tls_trust_add_certs_d(t, h->cfg.cert_dir, err);
	for (i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		_cleanup_free_ char *dir = NULL;

		if (asprintf(&dir, "%s/%s", roots[i], name) < 0)
			return c_err_sys(err, "certs.d", name);
		if (access(dir, F_OK) == 0)
			return c_tls_trust_add_certs_d(t, dir, err);
	}
	return 0;
}

/* The system's CAs, parsed on the first verified handshake of the process
 * and shared by every session after it (the parallel downloads among them):
 * the bundle costs milliseconds to parse.  Kept per value of the variables
 * that choose them, and never freed, since sessions borrow their anchors. */
struct system_trust {
	char *key; /* SSL_CERT_FILE and SSL_CERT_DIR */
	struct c_tls_trust *trust;
	struct system_trust *next;
};

static struct c_tls_trust *system_trust(c_err **err)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct system_trust *loaded;
	const char *file = getenv("SSL_CERT_FILE"), *dir = getenv("SSL_CERT_DIR");
	struct system_trust *st;
	struct c_tls_trust *t = NULL;
	char *key = NULL;

	if (asprintf(&key, "%s\n%s", file ? file : "", dir ? dir : "") < 0) {
		c_err_sys(err, "TLS trust", NULL);
		return NULL;
	}
	pthread_mutex_lock(&lock);
	for (st = loaded; st && strcmp(st->key, key); st = st->next)
		;
	if (st) {
		t = st->trust;
	} else if ((st = calloc(1, sizeof *st)) && (t = c_tls_trust_new(err)) &&
		   c_tls_trust_add_system(t, err) == 0) {
		st->key = c_steal_ptr(&key);
		st->trust = t;
		st->next = loaded;
		loaded = st;
	} else {
		if (!st)
			c_err_sys(err, "TLS trust", NULL);
		else
			c_err_wrap(err, "TLS trust");
		c_tls_trust_free(t);
		free(st);
		t = NULL;
	}
	pthread_mutex_unlock(&lock);
	free(key);
	return t;
}

static struct tls_host *host_entry(struct c_http *h, const struct url *u, c_err **err)
{
	_cleanup_free_ char *name = NULL;
	struct tls_host *th;

	/* certs.d names the host alone when the port is the default */
	name = authority(u, u->port != 443);
	if (!name) {
		c_err_sys(err, "TLS trust", u->hostport);
		return NULL;
	}
	for (th = h->hosts; th; th = th->next)
		if (!strcmp(th->name, name))
			return th;
	th = calloc(1, sizeof *th);
	if (!th) {
		c_err_sys(err, "TLS trust", u->hostport);
		return NULL;
	}
	th->local = c_tls_trust_new(err);
	if (!th->local || load_certs_d(h, name, th->local, err) < 0) {
		c_tls_trust_free(th->local);
		free(th);
		c_err_wrap(err, "TLS trust for %s", u->hostport);
		return NULL;
	}
	th->name = c_steal_ptr(&name);
	th->next = h->hosts;
	h->hosts = th;
	return th;
}

static struct c_tls_trust *full_trust(struct c_http *h, struct tls_host *th, const struct url *u,
				      c_err **err)
{
	const struct c_tls_trust *system;
	struct c_tls_trust *t;

	if (th->full)
		return th->full;
	system = system_trust(err);
	t = system ? c_tls_trust_new(err) : NULL;
	if (!t || c_tls_trust_add_all(t, system, err) < 0 || load_certs_d(h, th->name, t, err) < 0) {
		c_tls_trust_free(t);
		c_err_wrap(err, "TLS trust for %s", u->hostport);
		return NULL;
	}
	th->full = t;
	return t;
}

struct head {
	int status;
	int minor; /* HTTP/1.minor */
	struct c_http_header *headers;
	size_t n;
};

static void head_free(struct head *hd)
{
	size_t i;

	for (i = 0; i < hd->n; i++) {
		free(hd->headers[i].name);
		free(hd->headers[i].value);
	}
	free(hd->headers);
	hd->headers = NULL;
	hd->n = 0;
}

static const char *head_get(const struct c_http_header *hs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(hs[i].name, name))
			return hs[i].value;
	return NULL;
}

static int add_header(struct head *hd, const char *line, const char *name, c_err **err)
{
	const char *colon = strchr(line, ':'), *v, *end;
	struct c_http_header *hs;
	size_t nlen;

	nlen = colon ? (size_t)(colon - line) : 0;
	if (!nlen || strcspn(line, " \t") < nlen)
		return c_err_new(err, C_EXIT_NET, 0, "read response: %s: malformed header line",
				 name);
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	hs = realloc(hd->headers, (hd->n + 1) * sizeof *hs);
	if (!hs)
		return c_err_sys(err, "read response", name);
	hd->headers = hs;
	hs[hd->n].name = strndup(line, nlen);
	hs[hd->n].value = strndup(v, (size_t)(end - v));
	if (!hs[hd->n].name || !hs[hd->n].value) {
		free(hs[hd->n].name);
		free(hs[hd->n].value);
		return c_err_sys(err, "read response", name);
	}
	hd->n++;
	return 0;
}

/* A status line and headers.  Returns -2 when the connection ended before the
 * first byte: a reused connection the server had closed. */
static int read_head(struct conn *c, struct head *hd, c_err **err)
{
	size_t budget = HEADER_MAX;
	bool eof;
	char *line;
	int major;

	memset(hd, 0, sizeof *hd);
	line = conn_line(c, &budget, &eof, err);
	if (!line) {
		if (!eof)
			return -1;
		c_err_new(err, C_EXIT_NET, 0, "read response: %s: connection closed before the response",
			  c->name);
		return budget == HEADER_MAX && c->rpos == c->rlen ? -2 : -1;
	}
	if (sscanf(line, "HTTP/%d.%d %3d", &major, &hd->minor, &hd->status) != 3 || major != 1 ||
	    hd->status < 100 || hd->status > 999 || (line[12] && line[12] != ' '))
		return c_err_new(err, C_EXIT_NET, 0, "read response: %s: not an HTTP/1 status line",
				 c->name);
	for (;;) {
		line = conn_line(c, &budget, &eof, err);
		if (!line) {
			if (eof)
				c_err_new(err, C_EXIT_NET, 0,
					  "read response: %s: connection closed in the headers", c->name);
			head_free(hd);
			return -1;
		}
		if (!*line)
			return 0;
		if (*line == ' ' || *line == '\t') {
			head_free(hd);
			return c_err_new(err, C_EXIT_NET, 0,
					 "read response: %s: folded header lines are refused", c->name);
		}
		if (add_header(hd, line, c->name, err) < 0) {
			head_free(hd);
			return -1;
		}
	}
}

static bool token_in(const char *list, const char *token)
{
	size_t tlen = strlen(token);

	while (list && *list) {
		size_t len;

		list += strspn(list, " \t,");
		len = strcspn(list, ",");
		while (len && (list[len - 1] == ' ' || list[len - 1] == '\t'))
			len--;
		if (len == tlen && !strncasecmp(list, token, len))
			return true;
		list += strcspn(list, ",");
	}
	return false;
}

static int parse_length(const char *v, long long *out)
{
	long long n = 0;

	if (!*v)
		return -1;
	for (; *v; v++) {
		if (!isdigit((unsigned char)*v) || n > (LLONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*v - '0');
	}
	*out = n;
	return 0;
}

/* How the body is framed, from the method, the status and the headers. */
static int framing(struct body *b, const struct head *hd, bool is_head, long long *clen,
		   c_err **err)
{
	const char *te = head_get(hd->headers, hd->n, "Transfer-Encoding");
	const char *conn = head_get(hd->headers, hd->n, "Connection");
	size_t i;

	*clen = -1;
	for (i = 0; i < hd->n; i++) {
		long long v;

		if (strcasecmp(hd->headers[i].name, "Content-Length"))
			continue;
		if (parse_length(hd->headers[i].value, &v) < 0 || (*clen >= 0 && v != *clen))
			return c_err_new(err, C_EXIT_NET, 0, "read response: %s: bad Content-Length",
					 b->name);
		*clen = v;
	}
	b->keep = hd->minor >= 1 ? !token_in(conn, "close") : token_in(conn, "keep-alive");
	if (is_head || hd->status == 204 || hd->status == 304) {
		b->mode = BODY_NONE;
	} else if (te) {
		if (strcasecmp(te, "chunked"))
			return c_err_new(err, C_EXIT_NET, 0,
					 "read response: %s: unsupported Transfer-Encoding", b->name);
		b->mode = BODY_CHUNKED;
		*clen = -1;
	} else if (*clen >= 0) {
		b->mode = BODY_LENGTH;
		b->total = *clen;
	} else {
		b->mode = BODY_CLOSE;
		b->keep = false;
	}
	b->done = b->mode == BODY_NONE || (b->mode == BODY_LENGTH && b->total == 0);
	return 0;
}

static int append_headers(FILE *f, const struct c_http_request *req, c_err **err)
{
	const char *const *hp;

	for (hp = req->headers; hp && *hp; hp++) {
		if (strpbrk(*hp, "\r\n") || !strchr(*hp, ':'))
			return c_err_new(err, C_EXIT_USAGE, 0,
					 "request header %zu: not one \"Name: value\" line",
					 (size_t)(hp - req->headers));
		fprintf(f, "%s\r\n", *hp);
	}
	if (req->body)
		fprintf(f, "Content-Length: %zu\r\n", req->body_len);
	return 0;
}

static int write_request(struct conn *c, const struct c_http_request *req, const struct url *u,
			 bool via_proxy, c_err **err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return c_err_sys(err, "write request", u->hostport);
	if (via_proxy)
		fprintf(f, "%s http://%s%s HTTP/1.1\r\n", req->method, u->hostport, u->target);
	else
		fprintf(f, "%s %s HTTP/1.1\r\n", req->method, u->target);
	fprintf(f,
		"Host: %s\r\nUser-Agent: c-tools/" C_TOOLS_VERSION
		"\r\nAccept-Encoding: identity\r\nConnection: keep-alive\r\n",
		u->hostport);
	rc = append_headers(f, req, err);
	fputs("\r\n", f);
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return rc < 0 ? -1 : c_err_sys(err, "write request", u->hostport);
	}
	if (rc == 0)
		rc = conn_write(c, buf, len, err);
	if (rc == 0 && req->body && req->body_len)
		rc = conn_write(c, req->body, req->body_len, err);
	/* the request may hold credentials */
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

static struct conn *conn_new(const char *key, const char *name, int timeout_ms, c_err **err)
{
	struct conn *c = calloc(1, sizeof *c);

	if (!c || !(c->key = strdup(key)) || !(c->name = strdup(name)) ||
	    !(c->rbuf = malloc(RBUF_SIZE))) {
		c_err_sys(err, "connect", name);
		if (c) {
			free(c->key);
			free(c->name);
		}
		free(c);
		return NULL;
	}
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	return c;
}

/* CONNECT host:port through the proxy connection c. */
static int proxy_tunnel(struct conn *c, const struct url *u, const struct url *p, c_err **err)
{
	_cleanup_free_ char *target = authority(u, true), *req = NULL;
	struct head hd;

	if (!target || asprintf(&req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: c-tools/"
				C_TOOLS_VERSION "\r\n\r\n", target, target) < 0)
		return c_err_sys(err, "proxy CONNECT", p->hostport);
	if (conn_write(c, req, strlen(req), err) < 0 || read_head(c, &hd, err) < 0)
		return c_err_wrap(err, "proxy %s", p->hostport);
	head_free(&hd);
	if (hd.status / 100 != 2)
		return c_err_new(err, C_EXIT_NET, 0, "proxy %s: CONNECT %s: HTTP %d", p->hostport,
				 target, hd.status);
	if (c->rpos != c->rlen)
		return c_err_new(err, C_EXIT_NET, 0, "proxy %s: data before the TLS handshake",
				 p->hostport);
	return 0;
}

static struct conn *open_conn(struct c_http *h, const struct url *u, const struct url *p,
			      const char *key, c_err **err)
{
	struct conn *c = conn_new(key, u->hostport, h->cfg.timeout_ms, err);
	const struct c_tls_trust *trust;

	if (!c)
		return NULL;
	if (p->host) {
		c->fd = tcp_connect(p->host, p->port, p->hostport, h->cfg.timeout_ms, err);
		if (c->fd < 0) {
			c_err_wrap(err, "proxy for %s", u->hostport);
			goto fail;
		}
		if (u->https && proxy_tunnel(c, u, p, err) < 0)
			goto fail;
	} else {
		c->fd = tcp_connect(u->host, u->port, u->hostport, h->cfg.timeout_ms, err);
		if (c->fd < 0)
			goto fail;
	}
	if (u->https) {
		struct tls_host *th = host_entry(h, u, err);
		bool local_first, untrusted = false;

		if (!th)
			goto fail;
		local_first = !h->cfg.tls_verify ||
			      (c_tls_trust_count(th->local) > 0 && !th->local_untrusted);
		trust = local_first ? th->local : full_trust(h, th, u, err);
		if (!trust)
			goto fail;
		c->tls = c_tls_connect(c->fd, u->host, u->hostport, trust, h->cfg.tls_verify,
				       h->cfg.timeout_ms, &untrusted, err);
		if (!c->tls && local_first && untrusted && h->cfg.tls_verify) {
			/* again, on a new connection, with the system's CAs too */
			th->local_untrusted = true;
			c_err_free(err);
			conn_close(c);
			return open_conn(h, u, p, key, err);
		}
		if (!c->tls)
			goto fail;
	}
	return c;
fail:
	conn_close(c);
	return NULL;
}

static struct conn *take_idle(struct c_http *h, const char *key)
{
	struct conn **pp, *c;

	for (pp = &h->idle; (c = *pp); pp = &c->next) {
		if (!strcmp(c->key, key)) {
			*pp = c->next;
			c->next = NULL;
			return c;
		}
	}
	return NULL;
}

static void put_idle(struct c_http *h, struct conn *c)
{
	struct conn *old = take_idle(h, c->key);

	conn_close(old);
	c->reused = true;
	c->rpos = c->rlen = 0;
	c->next = h->idle;
	h->idle = c;
}

static char *url_for_errors(const struct url *u)
{
	char *s;
	size_t plen = strcspn(u->target, "?");

	if (asprintf(&s, "%s://%s%.*s", u->https ? "https" : "http", u->hostport, (int)plen,
		     u->target) < 0)
		return NULL;
	return s;
}

/* One try on one connection: -2 when a reused connection was found closed. */
static int exchange(struct conn *c, const struct c_http_request *req,
		    const struct url *u, bool via_proxy, struct head *hd, c_err **err)
{
	int rc;

	if (write_request(c, req, u, via_proxy, err) < 0)
		return c->reused ? -2 : -1;
	do {
		rc = read_head(c, hd, err);
		if (rc == -1 && c->reused && err && *err && (*err)->errnum == ECONNRESET)
			rc = -2;
		if (rc < 0)
			return c->reused ? rc : -1;
		if (hd->status >= 200)
			return 0;
		head_free(hd);
	} while (1);
}

int c_http_send(struct c_http *h, const struct c_http_request *req,
		struct c_http_response *resp, c_err **err)
{
	_cleanup_free_ char *key = NULL;
	struct url u, p;
	struct head hd;
	struct body *b;
	struct conn *c = NULL;
	int attempt, rc = -1;

	memset(resp, 0, sizeof *resp);
	resp->content_length = -1;
	if (url_parse(req->url, true, &u, err) < 0)
		return -1;
	if (proxy_for(&u, &p, err) < 0) {
		url_free(&u);
		return -1;
	}
	if (asprintf(&key, "%s://%s:%d %s:%d", u.https ? "https" : "http", u.host, u.port,
		     p.host ? p.host : "", p.port) < 0) {
		key = NULL;
		rc = c_err_sys(err, "request", u.hostport);
		goto out;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		c = take_idle(h, key);
		if (!c)
			c = open_conn(h, &u, &p, key, err);
		if (!c)
			goto out;
		rc = exchange(c, req, &u, p.host && !u.https, &hd, err);
		if (rc == 0)
			break;
		conn_close(c);
		c = NULL;
		if (rc != -2)
			goto out;
		/* a kept connection the server had closed: once more on a new one */
		c_err_free(err);
		rc = -1;
	}
	if (!c)
		goto out;
	b = calloc(1, sizeof *b);
	if (!b || !(b->name = strdup(u.hostport)) || !(b->url = url_for_errors(&u))) {
		rc = c_err_sys(err, "request", u.hostport);
		goto fail_body;
	}
	b->conn = c;
	if (framing(b, &hd, !strcasecmp(req->method, "HEAD"), &resp->content_length, err) < 0) {
		rc = -1;
		goto fail_body;
	}
	resp->status = hd.status;
	resp->headers = hd.headers;
	resp->nheaders = hd.n;
	resp->priv = b;
	rc = 0;
	goto out;
fail_body:
	if (b) {
		free(b->name);
		free(b->url);
		free(b);
	}
	head_free(&hd);
	conn_close(c);
out:
	url_free(&u);
	url_free(&p);
	return rc;
}

const char *c_http_header(const struct c_http_response *resp, const char *name)
{
	return head_get(resp->headers, resp->nheaders, name);
}

/* The size line of the next chunk; at the last one the trailers too. */
static int next_chunk(struct body *b, c_err **err)
{
	size_t budget = HEADER_MAX;
	unsigned long long v = 0;
	const char *s;
	bool eof;
	char *line;

	line = conn_line(b->conn, &budget, &eof, err);
	if (!line)
		goto cut;
	for (s = line; isxdigit((unsigned char)*s); s++) {
		if (v >> 56)
			break;
		v = v * 16 + (unsigned)(isdigit((unsigned char)*s) ? *s - '0'
								 : tolower((unsigned char)*s) - 'a' + 10);
	}
	if (s == line || (*s && *s != ';' && *s != ' ' && *s != '\t'))
		return c_err_new(err, C_EXIT_NET, 0, "read body: %s: bad chunk size", b->name);
	b->chunk_left = (long long)v;
	if (v > 0)
		return 0;
	while ((line = conn_line(b->conn, &budget, &eof, err)) && *line)
		; /* trailers: nothing here needs them */
	if (!line)
		goto cut;
	b->done = true;
	return 0;
cut:
	if (eof)
		c_err_new(err, C_EXIT_NET, 0, "connection closed after %lld bytes of a chunked body: %s",
			  b->got, b->name);
	return -1;
}

static int chunk_end(struct body *b, c_err **err)
{
	size_t budget = 2;
	bool eof;
	char *line = conn_line(b->conn, &budget, &eof, err);

	if (line && !*line)
		return 0;
	if (line || !eof)
		return line ? c_err_new(err, C_EXIT_NET, 0, "read body: %s: bad chunk end", b->name)
			    : -1;
	return c_err_new(err, C_EXIT_NET, 0, "connection closed after %lld bytes of a chunked body: %s",
			 b->got, b->name);
}

static ssize_t read_body(struct body *b, void *buf, size_t len, c_err **err)
{
	ssize_t n;

	switch (b->mode) {
	case BODY_LENGTH:
		if ((long long)len > b->total - b->got)
			len = (size_t)(b->total - b->got);
		n = conn_read(b->conn, buf, len, err);
		if (n == 0)
			return c_err_new(err, C_EXIT_NET, 0, "connection closed after %lld of %lld bytes: %s",
					 b->got, b->total, b->name);
		if (n > 0 && (b->got += n) == b->total)
			b->done = true;
		return n;
	case BODY_CHUNKED:
		if (b->chunk_left == 0 && next_chunk(b, err) < 0)
			return -1;
		if (b->done)
			return 0;
		if ((long long)len > b->chunk_left)
			len = (size_t)b->chunk_left;
		n = conn_read(b->conn, buf, len, err);
		if (n == 0)
			return c_err_new(err, C_EXIT_NET, 0,
					 "connection closed after %lld bytes of a chunked body: %s",
					 b->got, b->name);
		if (n > 0) {
			b->got += n;
			b->chunk_left -= n;
			if (b->chunk_left == 0 && chunk_end(b, err) < 0)
				return -1;
		}
		return n;
	case BODY_CLOSE:
		n = conn_read(b->conn, buf, len, err);
		if (n == 0)
			b->done = true;
		if (n > 0)
			b->got += n;
		return n;
	default:
		b->done = true;
		return 0;
	}
}

ssize_t c_http_read(struct c_http *h, struct c_http_response *resp, void *buf, size_t len,
		    c_err **err)
{
	struct body *b = resp->priv;
	ssize_t n;

	if (!b || b->done || len == 0)
		return 0;
	if (b->failed)
		return c_err_new(err, C_EXIT_NET, 0, "read body: %s: the connection failed before",
				 b->name);
	n = read_body(b, buf, len, err);
	if (n < 0)
		b->failed = true;
	return n;
}

int c_http_read_all(struct c_http *h, struct c_http_response *resp, size_t max, char **out,
		    size_t *len, c_err **err)
{
	struct body *b = resp->priv;
	_cleanup_free_ char *buf = NULL;
	size_t cap, used = 0;
	ssize_t n;
	char *p;

	*out = NULL;
	*len = 0;
	if (resp->content_length >= 0 && b && b->mode != BODY_NONE &&
	    (unsigned long long)resp->content_length > max)
		return c_err_new(err, C_EXIT_DATA, 0, "read body: %s: larger than %zu bytes", b->url,
				 max);
	cap = resp->content_length >= 0 ? (size_t)resp->content_length + 1 : 4096;
	if (cap > max + 1)
		cap = max + 1;
	buf = malloc(cap);
	if (!buf)
		return c_err_sys(err, "read body", b ? b->url : NULL);
	for (;;) {
		if (used + 1 == cap) {
			char probe;

			if (used >= max) {
				n = c_http_read(h, resp, &probe, 1, err);
				if (n < 0)
					return -1;
				if (n == 0)
					break;
				return c_err_new(err, C_EXIT_DATA, 0, "read body: %s: larger than %zu bytes",
						 b->url, max);
			}
			cap = cap > max / 2 ? max + 1 : cap * 2;
			if (!(p = realloc(buf, cap)))
				return c_err_sys(err, "read body", b->url);
			buf = p;
		}
		n = c_http_read(h, resp, buf + used, cap - used - 1, err);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	*len = used;
	*out = c_steal_ptr(&buf);
	return 0;
}

void c_http_done(struct c_http *h, struct c_http_response *resp)
{
	struct body *b = resp->priv;
	struct head hd = { .headers = resp->headers, .n = resp->nheaders };
	char scratch[4096];
	long long drained = 0;
	c_err *e = NULL;
	ssize_t n;

	if (b) {
		while (!b->done && !b->failed && b->keep && drained < DRAIN_MAX) {
			n = c_http_read(h, resp, scratch, sizeof scratch, &e);
			if (n <= 0)
				break;
			drained += n;
		}
		c_err_free(&e);
		if (b->done && !b->failed && b->keep && b->conn->rpos == b->conn->rlen)
			put_idle(h, b->conn);
		else
			conn_close(b->conn);
		free(b->name);
		free(b->url);
		free(b);
	}
	head_free(&hd);
	memset(resp, 0, sizeof *resp);
	resp->content_length = -1;
}
