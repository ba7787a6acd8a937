/* tap-server.h — servers on 127.0.0.1 for the unit tests of the HTTP and
 * registry clients: a listening socket on a free port of loopback, a forked
 * server that forks again per connection (each dies with the test), and
 * what such a connection's child does: read a request head, write an
 * answer.  Nothing here listens on or connects to any other address. */
#ifndef C_TAP_SERVER_H
#define C_TAP_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "tap.h"

static pid_t tap_server_pids[16];
static int tap_server_npids;

/* A socket listening on 127.0.0.1 on a port the kernel picks; bail when
 * there is none. */
static inline int tap_listen_local(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		tap_bail("listen", "127.0.0.1");
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port free a moment ago, for a server that binds it itself. */
static inline int tap_free_port(void)
{
	int port, fd = tap_listen_local(&port);

	close(fd);
	return port;
}

static inline int tap_connect_local(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Until something listens on port, at most 5 s: 0, or -1. */
static inline int tap_wait_port(int port)
{
	for (int i = 0; i < 100; i++) {
		int fd = tap_connect_local(port);

		if (fd >= 0) {
			close(fd);
			return 0;
		}
		usleep(50000);
	}
	return -1;
}

/* In a server's child: write all of s, or leave (the client went away). */
static inline void tap_server_write(int fd, const void *s, size_t len)
{
	if (c_write_all(fd, s, len) < 0)
		_exit(0);
}

/* In a server's child: one request head into buf (NUL-terminated), and a
 * Content-Length body after it (*body, *blen).  Its length, 0 at EOF. */
static inline size_t tap_read_request(int fd, char *buf, size_t cap, char **body, size_t *blen)
{
	size_t len = 0, need;
	char *end = NULL, *cl;
	ssize_t n;

	while (!end) {
		if (len + 1 >= cap)
			_exit(0);
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			return 0;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	*body = end + 4;
	cl = strcasestr(buf, "\r\nContent-Length:");
	need = cl && cl < end ? (size_t)atol(cl + 17) : 0;
	while ((size_t)(buf + len - *body) < need) {
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			return 0;
		len += (size_t)n;
	}
	*blen = need;
	return len;
}

/* The value of header name in a request head read above, into out ("" when
 * absent). */
static inline void tap_request_header(const char *head, const char *name, char *out, size_t size)
{
	const char *end = strstr(head, "\r\n\r\n"), *p = head;
	size_t n = strlen(name);

	out[0] = '\0';
	while ((p = strstr(p, "\r\n")) && p < end) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			p += n + 1 + strspn(p + n + 1, " \t");
			snprintf(out, size, "%.*s", (int)strcspn(p, "\r\n"), p);
			return;
		}
	}
}

static inline void tap_die_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* A process the test started, to be ended by tap_servers_stop. */
static inline void tap_server_track(pid_t pid)
{
	if (tap_server_npids < (int)(sizeof tap_server_pids / sizeof *tap_server_pids))
		tap_server_pids[tap_server_npids++] = pid;
}

/* Fork a server on lfd that forks again per connection and runs
 * handler(fd, n) there, n counting the connections from 1. */
static inline void tap_serve_forking(int lfd, void (*handler)(int fd, int n))
{
	pid_t pid = fork();
	int n = 0, fd;

	if (pid < 0)
		tap_bail("fork", "server");
	if (pid > 0) {
		tap_server_track(pid);
		close(lfd);
		return;
	}
	tap_die_with_parent();
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		n++;
		if (fork() == 0) {
			tap_die_with_parent();
			close(lfd);
			handler(fd, n);
			_exit(0);
		}
		close(fd);
	}
}

/* End the servers started so far (their connections' children die with
 * them). */
static inline void tap_servers_stop(void)
{
	for (int i = 0; i < tap_server_npids; i++) {
		kill(tap_server_pids[i], SIGKILL);
		waitpid(tap_server_pids[i], NULL, 0);
	}
	tap_server_npids = 0;
}

#endif
