/* The HTTP client against servers on 127.0.0.1 made here: a forked plain HTTP
 * server, openssl s_server for TLS (CA and certificates made with openssl at
 * test time), and a forked CONNECT proxy. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "tls.h"
#include "tap-server.h"

static char tmp[] = "/tmp/c-tools-http-XXXXXX";

static char *at(const char *name)
{
	return tap_at(tmp, name);
}

static void respond(int fd, int nconn, const char *method, const char *path, const char *body,
		    size_t blen)
{
	char out[1024];
	int n;
	bool head = !strcmp(method, "HEAD");

	if (!strcmp(path, "/len")) {
		n = snprintf(out, sizeof out,
			     "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Conn: %d\r\n\r\n%s", nconn,
			     head ? "" : "hello world");
	} else if (!strcmp(path, "/chunked")) {
		n = snprintf(out, sizeof out,
			     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Conn: %d\r\n\r\n"
			     "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
			     nconn);
	} else if (!strcmp(path, "/close")) {
		n = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Conn: %d\r\n\r\nok",
			     nconn);
		tap_server_write(fd, out, (size_t)n);
		_exit(0); /* as a server timing out an idle keep-alive connection */
	} else if (!strcmp(path, "/cut")) {
		char half[500];

		n = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
		tap_server_write(fd, out, (size_t)n);
		memset(half, 'x', sizeof half);
		tap_server_write(fd, half, sizeof half);
		_exit(0);
	} else if (!strcmp(path, "/404")) {
		n = snprintf(out, sizeof out, "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope");
	} else if (!strcmp(path, "/redirect")) {
		n = snprintf(out, sizeof out,
			     "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:1/elsewhere?sig=x\r\n"
			     "Content-Length: 0\r\n\r\n");
	} else if (!strcmp(path, "/bighdr")) {
		static char big[70000];

		n = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nX-Big: ");
		tap_server_write(fd, out, (size_t)n);
		memset(big, 'a', sizeof big);
		tap_server_write(fd, big, sizeof big);
		n = snprintf(out, sizeof out, "\r\nContent-Length: 0\r\n\r\n");
	} else if (!strcmp(path, "/folded")) {
		n = snprintf(out, sizeof out,
			     "HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 0\r\n\r\n");
	} else if (!strcmp(path, "/eof")) {
		n = snprintf(out, sizeof out, "HTTP/1.0 200 OK\r\n\r\nuntil the end");
		tap_server_write(fd, out, (size_t)n);
		_exit(0);
	} else if (!strcmp(path, "/continue")) {
		n = snprintf(out, sizeof out,
			     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	} else if (!strcmp(path, "/echo")) {
		n = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%.*s", blen,
			     (int)blen, body);
	} else if (!strcmp(path, "/ua")) {
		n = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%.*s", blen,
			     (int)blen, body);
	} else {
		n = snprintf(out, sizeof out, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
	}
	tap_server_write(fd, out, (size_t)n);
}

static void serve_conn(int fd, int nconn)
{
	static char buf[1 << 16];
	char method[16], target[512], *path, *body = NULL;
	size_t blen = 0, len;

	while ((len = tap_read_request(fd, buf, sizeof buf, &body, &blen)) > 0) {
		if (sscanf(buf, "%15s %511s", method, target) != 2)
			_exit(0);
		path = target;
		if (!strncmp(path, "http://", 7))
			path = strchr(path + 7, '/');
		if (!strcmp(path, "/ua")) {
			/* the request head itself, to check what was sent */
			body = buf;
			blen = (size_t)(strstr(buf, "\r\n\r\n") - buf);
		}
		respond(fd, nconn, method, path, body, blen);
	}
	_exit(0);
}

/* ---- a CONNECT (and absolute-form GET) proxy that logs what it was asked ----- */

static void relay(int a, int b)
{
	struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
	char buf[1 << 16];
	ssize_t n;
	int i;

	for (;;) {
		if (poll(p, 2, 10000) <= 0)
			_exit(0);
		for (i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, sizeof buf);
			if (n <= 0)
				_exit(0);
			tap_server_write(p[1 - i].fd, buf, (size_t)n);
		}
	}
}

static void proxy_conn(int fd, int nconn)
{
	static char buf[1 << 16];
	char method[16], target[512], line[600];
	char *body = NULL, *host, *colon;
	size_t blen = 0, len;
	int port, up, log;

	len = tap_read_request(fd, buf, sizeof buf, &body, &blen);
	if (!len || sscanf(buf, "%15s %511s", method, target) != 2)
		_exit(0);
	log = open(at("proxy.log"), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	snprintf(line, sizeof line, "%s %s\n", method, target);
	tap_server_write(log, line, strlen(line));
	close(log);
	host = !strcmp(method, "CONNECT") ? target : target + strlen("http://");
	colon = strchr(host, ':');
	/* this proxy only ever reaches loopback */
	if (strncmp(host, "127.0.0.1:", 10) || !colon)
		_exit(0);
	port = atoi(colon + 1);
	up = tap_connect_local(port);
	if (up < 0)
		_exit(0);
	if (!strcmp(method, "CONNECT"))
		tap_server_write(fd, "HTTP/1.1 200 Connection established\r\n\r\n", 39);
	else
		tap_server_write(up, buf, len);
	relay(fd, up);
}

/* ---- openssl ---------------------------------------------------------------------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

static bool have(const char *prog)
{
	return sh("command -v %s >/dev/null 2>&1", prog) == 0;
}

static int make_certs(void)
{
	return sh("( cd %s && mkdir -p ca client client-ec empty www && "
		  "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' >san.ext && "
		  "printf 'subjectAltName=DNS:other.example\\n' >other.ext && "
		  "printf 'extendedKeyUsage=clientAuth\\n' >client.ext && "
		  "openssl ecparam -name prime256v1 -genkey -noout -out ca.key && "
		  "openssl req -x509 -new -key ca.key -subj /CN=c-tools-test-ca -days 2 "
		  "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign "
		  "-out ca/ca.crt && "
		  "openssl genrsa -out server.key 2048 && "
		  "openssl req -new -key server.key -subj /CN=127.0.0.1 -out server.csr && "
		  "openssl x509 -req -in server.csr -CA ca/ca.crt -CAkey ca.key -CAcreateserial "
		  "-days 2 -extfile san.ext -out server.crt && "
		  "openssl x509 -req -in server.csr -CA ca/ca.crt -CAkey ca.key -CAcreateserial "
		  "-days 2 -extfile other.ext -out other.crt && "
		  "openssl genrsa -traditional -out client/client.key 2048 && "
		  "openssl req -new -key client/client.key -subj /CN=client -out client.csr && "
		  "openssl x509 -req -in client.csr -CA ca/ca.crt -CAkey ca.key -CAcreateserial "
		  "-days 2 -extfile client.ext -out client/client.cert && "
		  "openssl ecparam -name prime256v1 -genkey -out client-ec/client.key && "
		  "openssl req -new -key client-ec/client.key -subj /CN=client-ec -out client-ec.csr && "
		  "openssl x509 -req -in client-ec.csr -CA ca/ca.crt -CAkey ca.key -CAcreateserial "
		  "-days 2 -extfile client.ext -out client-ec/client.cert && "
		  "cp ca/ca.crt client/ && cp ca/ca.crt client-ec/ && "
		  "printf 'hello over tls\\n' >www/hello ) >%s/openssl.log 2>&1",
		  tmp, tmp);
}

/* openssl s_server -WWW serving www/ on a free port. */
static int spawn_s_server(const char *cert, const char *extra)
{
	int port = tap_free_port();
	char cmd[2048];
	pid_t pid;

	snprintf(cmd, sizeof cmd,
		 "exec openssl s_server -quiet -accept 127.0.0.1:%d -cert %s/%s -key %s/server.key "
		 "-WWW %s >>%s/s_server.log 2>&1",
		 port, tmp, cert, tmp, extra, tmp);
	pid = fork();
	if (pid == 0) {
		tap_die_with_parent();
		if (chdir(at("www")) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	tap_server_track(pid);
	return tap_wait_port(port) < 0 ? -1 : port;
}

/* python3's http.server over TLS: HTTP/1.1 with keep-alive, X-Conn numbering
 * the connections. */
static const char py_server[] =
	"import http.server, ssl, sys, itertools\n"
	"count = itertools.count(1)\n"
	"class H(http.server.SimpleHTTPRequestHandler):\n"
	"    protocol_version = 'HTTP/1.1'\n"
	"    def setup(self):\n"
	"        super().setup()\n"
	"        self.conn_no = next(count)\n"
	"    def end_headers(self):\n"
	"        self.send_header('X-Conn', str(self.conn_no))\n"
	"        super().end_headers()\n"
	"    def log_message(self, *a):\n"
	"        pass\n"
	"ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
	"ctx.load_cert_chain(sys.argv[2], sys.argv[3])\n"
	"s = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H)\n"
	"s.socket = ctx.wrap_socket(s.socket, server_side=True)\n"
	"s.serve_forever()\n";

static int spawn_py_server(void)
{
	int port = tap_free_port();
	char cmd[2048];
	pid_t pid;
	FILE *f = fopen(at("server.py"), "we");

	if (!f || fputs(py_server, f) == EOF || fclose(f) != 0)
		return -1;
	snprintf(cmd, sizeof cmd, "exec python3 %s/server.py %d %s/server.crt %s/server.key >>%s/py.log 2>&1",
		 tmp, port, tmp, tmp, tmp);
	pid = fork();
	if (pid == 0) {
		tap_die_with_parent();
		if (chdir(at("www")) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	tap_server_track(pid);
	return tap_wait_port(port) < 0 ? -1 : port;
}

/* ---- helpers over the client ---------------------------------------------------------- */

struct res {
	int status;
	char *body;
	size_t len;
	char *err;
	int err_status;
	char *xconn;
};

static void res_free(struct res *r)
{
	free(r->body);
	free(r->err);
	free(r->xconn);
	memset(r, 0, sizeof *r);
}

static int get(struct c_http *h, const char *method, const char *url, struct res *r)
{
	struct c_http_request req = { .method = method, .url = url };
	struct c_http_response resp;
	c_err *e = NULL;
	const char *x;
	int rc;

	memset(r, 0, sizeof *r);
	rc = c_http_send(h, &req, &resp, &e);
	if (rc == 0) {
		r->status = resp.status;
		x = c_http_header(&resp, "X-Conn");
		r->xconn = x ? strdup(x) : NULL;
		rc = c_http_read_all(h, &resp, 1 << 20, &r->body, &r->len, &e);
		c_http_done(h, &resp);
	}
	if (rc < 0) {
		r->err = c_err_line(e);
		r->err_status = e->status;
		tap_diag("error: %s", r->err);
		c_err_free(&e);
	}
	return rc;
}

static char *url(int port, const char *path)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "http://127.0.0.1:%d%s", port, path);
	return buf[i];
}

static char *surl(int port, const char *path)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "https://127.0.0.1:%d%s", port, path);
	return buf[i];
}

static struct c_http *session(bool verify, const char *cert_dir)
{
	struct c_http_config cfg = { .tls_verify = verify, .cert_dir = cert_dir,
				     .timeout_ms = 5000 };
	c_err *e = NULL;
	struct c_http *h = c_http_new(&cfg, &e);

	if (!h) {
		c_err_print(e);
		exit(1);
	}
	return h;
}

/* ---- the tests ---------------------------------------------------------------------- */

static void test_plain(int port)
{
	struct c_http *h = session(true, NULL);
	struct c_http_request req = { .method = "GET", .url = url(port, "/len") };
	struct c_http_response resp;
	struct res r;
	c_err *e = NULL;
	char buf[64];
	ssize_t n;

	ok(get(h, "GET", url(port, "/len"), &r) == 0 && r.status == 200 && r.len == 11 &&
		   !strcmp(r.body, "hello world") && r.xconn && !strcmp(r.xconn, "1"),
	   "Content-Length body");
	res_free(&r);
	ok(get(h, "GET", url(port, "/chunked"), &r) == 0 && r.status == 200 &&
		   !strcmp(r.body, "hello world") && r.xconn && !strcmp(r.xconn, "1"),
	   "chunked body with extension and trailer, on the same connection");
	res_free(&r);
	ok(get(h, "HEAD", url(port, "/len"), &r) == 0 && r.status == 200 && r.len == 0 && r.xconn &&
		   !strcmp(r.xconn, "1"),
	   "HEAD: no body read, connection kept");
	res_free(&r);

	ok(c_http_send(h, &req, &resp, &e) == 0 && resp.content_length == 11,
	   "HEAD-less GET reports Content-Length");
	n = c_http_read(h, &resp, buf, 5, &e);
	ok(n == 5 && !memcmp(buf, "hello", 5), "c_http_read reads partial bodies");
	c_http_done(h, &resp);
	ok(get(h, "GET", url(port, "/len"), &r) == 0 && r.xconn && !strcmp(r.xconn, "1"),
	   "a response left unread is drained and the connection kept");
	res_free(&r);

	ok(get(h, "GET", url(port, "/404"), &r) == 0 && r.status == 404 && !strcmp(r.body, "nope"),
	   "404 passed through with its body");
	res_free(&r);
	{
		struct c_http_request rq = { .method = "GET", .url = url(port, "/redirect") };

		ok(c_http_send(h, &rq, &resp, &e) == 0 && resp.status == 307 &&
			   c_http_header(&resp, "location") &&
			   !strcmp(c_http_header(&resp, "location"),
				   "http://127.0.0.1:1/elsewhere?sig=x"),
		   "redirect not followed, Location passed through");
		c_http_done(h, &resp);
	}
	ok(get(h, "GET", url(port, "/continue"), &r) == 0 && r.status == 200 &&
		   !strcmp(r.body, "ok"),
	   "1xx responses skipped");
	res_free(&r);
	{
		const char *hdrs[] = { "X-Test: yes", NULL };
		struct c_http_request rq = { .method = "POST", .url = url(port, "/echo"),
					     .headers = hdrs, .body = "payload", .body_len = 7 };
		char *out = NULL;
		size_t len;

		ok(c_http_send(h, &rq, &resp, &e) == 0 &&
			   c_http_read_all(h, &resp, 100, &out, &len, &e) == 0 &&
			   !strcmp(out, "payload"),
		   "request body sent with Content-Length");
		c_http_done(h, &resp);
		free(out);
		rq.method = "GET";
		rq.url = url(port, "/ua");
		rq.body = NULL;
		ok(c_http_send(h, &rq, &resp, &e) == 0 &&
			   c_http_read_all(h, &resp, 4096, &out, &len, &e) == 0 &&
			   strstr(out, "GET /ua HTTP/1.1\r\n") &&
			   strstr(out, "\r\nUser-Agent: c-tools/" C_TOOLS_VERSION "\r\n") &&
			   strstr(out, "\r\nAccept-Encoding: identity\r\n") &&
			   strstr(out, "\r\nX-Test: yes") && strstr(out, "\r\nHost: 127.0.0.1:"),
		   "request head: Host, User-Agent, Accept-Encoding, caller's headers");
		c_http_done(h, &resp);
		free(out);
		rq.headers = (const char *[]){ "X-Bad: a\r\nX-Injected: b", NULL };
		ok(c_http_send(h, &rq, &resp, &e) < 0 && e->status == C_EXIT_USAGE,
		   "a header with a newline is refused");
		c_err_free(&e);
	}
	{
		char *out = NULL;
		size_t len;
		struct c_http_request rq = { .method = "GET", .url = url(port, "/len") };
		char *line = NULL;

		ok(c_http_send(h, &rq, &resp, &e) == 0 &&
			   c_http_read_all(h, &resp, 5, &out, &len, &e) < 0 &&
			   e->status == C_EXIT_DATA && (line = c_err_line(e)) &&
			   strstr(line, "/len") && strstr(line, "5 bytes"),
		   "read_all over the cap: C_EXIT_DATA naming the URL and the cap");
		c_http_done(h, &resp);
		c_err_free(&e);
		free(line);
		ok(c_http_send(h, &rq, &resp, &e) == 0 &&
			   c_http_read_all(h, &resp, 11, &out, &len, &e) == 0 && len == 11,
		   "read_all of exactly the cap");
		c_http_done(h, &resp);
		free(out);
	}

	/* /close answers, then the server drops the kept connection */
	ok(get(h, "GET", url(port, "/close"), &r) == 0 && !strcmp(r.body, "ok"), "response before the server closes");
	res_free(&r);
	ok(get(h, "GET", url(port, "/len"), &r) == 0 && r.status == 200 && r.xconn &&
		   strcmp(r.xconn, "1") != 0,
	   "closed keep-alive connection: reconnected once on a new connection");
	res_free(&r);

	ok(get(h, "GET", url(port, "/cut"), &r) < 0 && r.err &&
		   strstr(r.err, "connection closed after 500 of 1000 bytes: 127.0.0.1:") &&
		   r.err_status == C_EXIT_NET,
	   "body cut short: error with the byte counts");
	res_free(&r);
	ok(get(h, "GET", url(port, "/bighdr"), &r) < 0 && r.err && strstr(r.err, "64 KiB") &&
		   r.err_status == C_EXIT_NET,
	   "header block over 64 KiB refused");
	res_free(&r);
	ok(get(h, "GET", url(port, "/folded"), &r) < 0 && r.err && strstr(r.err, "folded"),
	   "folded header lines refused");
	res_free(&r);
	ok(get(h, "GET", url(port, "/eof"), &r) == 0 && !strcmp(r.body, "until the end"),
	   "HTTP/1.0 body read until close");
	res_free(&r);
	ok(get(h, "GET", "http://127.0.0.1:1/", &r) < 0 && r.err_status == C_EXIT_NET && r.err &&
		   strstr(r.err, "127.0.0.1:1"),
	   "connection refused: C_EXIT_NET naming host:port");
	res_free(&r);
	ok(get(h, "GET", "ftp://127.0.0.1/", &r) < 0 && r.err_status == C_EXIT_DATA,
	   "non-HTTP URL refused");
	res_free(&r);
	c_http_free(h);
}

static int count_lines(const char *path, const char *needle)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

static void test_trust(void)
{
	struct c_tls_trust *t;
	c_err *e = NULL;

	t = c_tls_trust_new(&e);
	ok(t && c_tls_trust_add_file(t, at("ca/ca.crt"), &e) == 0 && c_tls_trust_count(t) == 1,
	   "an EC CA loaded as one trust anchor");
	ok(c_tls_trust_add_file(t, at("server.crt"), &e) == 0 && c_tls_trust_count(t) == 2,
	   "an RSA certificate loaded as an anchor");
	ok(c_tls_trust_add_pem(t, "-----BEGIN CERTIFICATE-----\nnot base64!\n", 40, "junk", &e) <
		   0,
	   "malformed PEM refused");
	c_err_free(&e);
	ok(c_tls_trust_add_pem(t, "nothing here", 12, "junk", &e) < 0 && e->status == C_EXIT_DATA,
	   "a file without certificates refused");
	c_err_free(&e);
	c_tls_trust_free(t);
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0) {
		struct timespec a, b;

		t = c_tls_trust_new(&e);
		clock_gettime(CLOCK_MONOTONIC, &a);
		ok(c_tls_trust_add_system(t, &e) == 0 && c_tls_trust_count(t) > 50,
		   "system bundle loaded");
		clock_gettime(CLOCK_MONOTONIC, &b);
		tap_diag("system bundle: %zu anchors", c_tls_trust_count(t));
		tap_diag("system bundle: %.1f ms",
			 (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
		c_tls_trust_free(t);
	} else {
		tap_skip("system bundle loaded", "no /etc/ssl/certs/ca-certificates.crt");
	}
}

static void test_tls(int good, int other, int need_client)
{
	struct c_http *h;
	struct res r;

	h = session(true, at("ca"));
	ok(get(h, "GET", surl(good, "/hello"), &r) == 0 && r.status == 200 &&
		   !strcmp(r.body, "hello over tls\n"),
	   "TLS with the CA from cert_dir");
	res_free(&r);
	ok(get(h, "GET", surl(good, "/hello"), &r) == 0 && r.status == 200,
	   "TLS again (the server closed the HTTP/1.0 connection)");
	res_free(&r);
	{
		char u[128];

		snprintf(u, sizeof u, "https://localhost:%d/hello", good);
		ok(get(h, "GET", u, &r) == 0 && r.status == 200, "TLS by DNS name (SAN localhost)");
		res_free(&r);
	}
	ok(get(h, "GET", surl(other, "/hello"), &r) < 0 && r.err && strstr(r.err, "certificate") &&
		   r.err_status == C_EXIT_NET,
	   "certificate for another name refused");
	res_free(&r);
	c_http_free(h);

	h = session(true, at("empty"));
	ok(get(h, "GET", surl(good, "/hello"), &r) < 0 && r.err && strstr(r.err, "certificate") &&
		   r.err_status == C_EXIT_NET,
	   "unknown CA refused: certificate error, C_EXIT_NET");
	res_free(&r);
	c_http_free(h);

	setenv("SSL_CERT_FILE", at("ca/ca.crt"), 1);
	h = session(true, at("empty"));
	ok(get(h, "GET", surl(good, "/hello"), &r) == 0 && r.status == 200,
	   "SSL_CERT_FILE pointing at the CA");
	res_free(&r);
	c_http_free(h);
	unsetenv("SSL_CERT_FILE");

	setenv("SSL_CERT_DIR", at("ca"), 1);
	h = session(true, at("empty"));
	ok(get(h, "GET", surl(good, "/hello"), &r) == 0 && r.status == 200,
	   "SSL_CERT_DIR holding the CA");
	res_free(&r);
	c_http_free(h);
	unsetenv("SSL_CERT_DIR");

	h = session(false, at("empty"));
	ok(get(h, "GET", surl(good, "/hello"), &r) == 0 && r.status == 200,
	   "tls_verify=false: unknown CA accepted");
	res_free(&r);
	ok(get(h, "GET", surl(other, "/hello"), &r) == 0 && r.status == 200,
	   "tls_verify=false: name mismatch accepted");
	res_free(&r);
	c_http_free(h);

	h = session(true, at("ca"));
	ok(get(h, "GET", surl(need_client, "/hello"), &r) < 0 && r.err_status == C_EXIT_NET,
	   "server requiring a client certificate refuses us without one");
	res_free(&r);
	c_http_free(h);
	h = session(true, at("client"));
	ok(get(h, "GET", surl(need_client, "/hello"), &r) == 0 && r.status == 200,
	   "client certificate (RSA key) from cert_dir sent");
	res_free(&r);
	c_http_free(h);
	h = session(true, at("client-ec"));
	ok(get(h, "GET", surl(need_client, "/hello"), &r) == 0 && r.status == 200,
	   "client certificate (EC key with EC PARAMETERS) from cert_dir sent");
	res_free(&r);
	c_http_free(h);
}

static void test_tls_keepalive(int port)
{
	struct c_http *h = session(true, at("ca"));
	struct res r;

	ok(get(h, "GET", surl(port, "/hello"), &r) == 0 && r.status == 200 &&
		   !strcmp(r.body, "hello over tls\n") && r.xconn && !strcmp(r.xconn, "1"),
	   "TLS to python's http.server (HTTP/1.1)");
	res_free(&r);
	ok(get(h, "GET", surl(port, "/hello"), &r) == 0 && r.status == 200 && r.xconn &&
		   !strcmp(r.xconn, "1"),
	   "TLS keep-alive: the second request reuses the connection");
	res_free(&r);
	ok(get(h, "HEAD", surl(port, "/hello"), &r) == 0 && r.status == 200 && r.len == 0 &&
		   r.xconn && !strcmp(r.xconn, "1"),
	   "TLS keep-alive after HEAD");
	res_free(&r);
	c_http_free(h);
}

static void test_big(int port)
{
	struct c_http *h = session(true, at("ca"));
	struct c_http_request req = { .method = "GET", .url = surl(port, "/big") };
	struct c_http_response resp;
	struct timespec a, b;
	c_err *e = NULL;
	size_t cap = 1 << 20, total = 0, i;
	unsigned char *buf = malloc(cap);
	bool same = true;
	ssize_t n;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if (c_http_send(h, &req, &resp, &e) == 0) {
		while ((n = c_http_read(h, &resp, buf, cap, &e)) > 0) {
			for (i = 0; i < (size_t)n && same; i += 4096)
				same = buf[i] == (unsigned char)((total + i) / 4096);
			total += (size_t)n;
		}
		c_http_done(h, &resp);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	ok(!e && total == 64u << 20 && same, "64 MiB over TLS, bytes intact");
	if (e)
		c_err_print(e);
	c_err_free(&e);
	tap_diag("64 MiB over loopback TLS from openssl s_server: %.2f s, %.0f MB/s", s,
		 (double)total / s / 1e6);
	free(buf);
	c_http_free(h);
}

static void test_proxy(int plain, int tls)
{
	struct c_http *h;
	struct res r;
	char proxy[64], want[64];
	int pport, lfd = tap_listen_local(&pport);

	tap_serve_forking(lfd, proxy_conn);
	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", pport);
	setenv("HTTPS_PROXY", proxy, 1);
	h = session(true, at("ca"));
	snprintf(want, sizeof want, "CONNECT 127.0.0.1:%d", tls);
	ok(get(h, "GET", surl(tls, "/hello"), &r) == 0 && r.status == 200 &&
		   count_lines(at("proxy.log"), want) == 1,
	   "HTTPS_PROXY: the request tunnels through CONNECT");
	res_free(&r);
	setenv("NO_PROXY", "example.com, 127.0.0.1", 1);
	ok(get(h, "GET", surl(tls, "/hello"), &r) == 0 && r.status == 200 &&
		   count_lines(at("proxy.log"), want) == 1,
	   "NO_PROXY=127.0.0.1 bypasses the proxy");
	res_free(&r);
	unsetenv("NO_PROXY");
	setenv("no_proxy", "*", 1);
	ok(get(h, "GET", surl(tls, "/hello"), &r) == 0 && count_lines(at("proxy.log"), want) == 1,
	   "no_proxy=* bypasses the proxy");
	res_free(&r);
	unsetenv("no_proxy");
	unsetenv("HTTPS_PROXY");

	setenv("http_proxy", proxy, 1);
	snprintf(want, sizeof want, "GET http://127.0.0.1:%d/len", plain);
	ok(get(h, "GET", url(plain, "/len"), &r) == 0 && r.status == 200 &&
		   !strcmp(r.body, "hello world") && count_lines(at("proxy.log"), want) == 1,
	   "http_proxy: plain HTTP through the proxy in absolute form");
	res_free(&r);
	unsetenv("http_proxy");
	c_http_free(h);
}

static void cleanup(void)
{
	tap_servers_stop();
	tap_remove_tree(tmp);
}

static int make_big(void)
{
	static unsigned char block[4096];
	int fd = open(at("www/big"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int i;

	if (fd < 0)
		return -1;
	for (i = 0; i < (64 << 20) / 4096; i++) {
		memset(block, i & 0xff, sizeof block);
		if (write(fd, block, sizeof block) != sizeof block) {
			close(fd);
			return -1;
		}
	}
	return close(fd);
}

int main(void)
{
	int port, lfd, good, other, need_client;

	signal(SIGPIPE, SIG_IGN);
	unsetenv("HTTPS_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("http_proxy");
	unsetenv("NO_PROXY");
	unsetenv("no_proxy");
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	lfd = tap_listen_local(&port);
	tap_serve_forking(lfd, serve_conn);
	test_plain(port);

	if (!have("openssl")) {
		tap_skip("TLS tests", "openssl is not installed");
		cleanup();
		return tap_done();
	}
	if (make_certs() != 0) {
		ok(0, "make test certificates with openssl (see openssl.log)");
		sh("cat %s/openssl.log >&2", tmp);
		cleanup();
		return tap_done();
	}
	test_trust();
	good = spawn_s_server("server.crt", "");
	other = spawn_s_server("other.crt", "");
	need_client = spawn_s_server("server.crt", "-Verify 1 -CAfile ../ca/ca.crt");
	if (good < 0 || other < 0 || need_client < 0) {
		ok(0, "start openssl s_server");
		sh("cat %s/s_server.log >&2", tmp);
		cleanup();
		return tap_done();
	}
	test_tls(good, other, need_client);
	test_proxy(port, good);
	if (have("python3")) {
		int py = spawn_py_server();

		if (py > 0)
			test_tls_keepalive(py);
		else
			ok(0, "start python3 TLS server (see py.log)");
	} else {
		tap_skip("TLS keep-alive", "python3 is not installed");
	}
	if (make_big() == 0)
		test_big(good);
	else
		ok(0, "write a 64 MiB file");
	cleanup();
	return tap_done();
}
