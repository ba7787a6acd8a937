#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "tty.h"

static int socket_address(const char *state_dir, int *dirfd, struct sockaddr_un *sa,
			  c_err **err)
{
	*dirfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return c_err_sys(err, "open", state_dir);
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s", *dirfd,
		 C_ATTACH_SOCKET);
	return 0;
}

int c_attach_listen(const char *state_dir, c_err **err)
{
	struct sockaddr_un sa = { 0 };
	_cleanup_close_ int dirfd = -1, fd = -1;

	if (socket_address(state_dir, &dirfd, &sa, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0)
		return c_err_sys(err, "attach socket in", state_dir);
	return c_steal_fd(&fd);
}

int c_attach_connect(const char *state_dir, c_err **err)
{
	struct sockaddr_un sa = { 0 };
	_cleanup_close_ int dirfd = -1, fd = -1;

	if (socket_address(state_dir, &dirfd, &sa, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return c_err_sys(err, "attach socket in", state_dir);
	return c_steal_fd(&fd);
}

int c_attach_send(int fd, char kind, const void *data, size_t n, int flags)
{
	char buf[1 + C_ATTACH_DATA_MAX];

	if (n > C_ATTACH_DATA_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	buf[0] = kind;
	if (n)
		memcpy(buf + 1, data, n);
	while (send(fd, buf, 1 + n, flags | MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* --- the client's side -------------------------------------------------------------- */

int c_attach_parse_keys(const char *spec, char keys[C_ATTACH_KEYS_MAX], size_t *n, c_err **err)
{
	_cleanup_free_ char *copy = strdup(spec);
	char *save = NULL;

	*n = 0;
	if (!copy)
		return c_err_sys(err, "allocate", spec);
	for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		char c;

		if (*n == C_ATTACH_KEYS_MAX)
			return c_err_new(err, C_EXIT_USAGE, 0, "--detach-keys \"%s\": more than %d keys",
					 spec, C_ATTACH_KEYS_MAX);
		if (strlen(k) == 1)
			c = k[0];
		else if (!strncmp(k, "ctrl-", 5) && strlen(k) == 6 &&
			 ((k[5] >= 'a' && k[5] <= 'z') || strchr("@[\\]^_", k[5])))
			c = (char)(k[5] >= 'a' && k[5] <= 'z' ? k[5] - 'a' + 1 : k[5] - '@');
		else
			return c_err_new(err, C_EXIT_USAGE, 0,
					 "--detach-keys \"%s\": \"%s\" is not a key (a character or "
					 "ctrl-X)", spec, k);
		keys[(*n)++] = c;
	}
	if (*n == 0)
		return c_err_new(err, C_EXIT_USAGE, 0, "--detach-keys \"%s\": no key", spec);
	return 0;
}

struct relay {
	const struct c_attach_relay_opts *o;
	int sock;
	size_t matched; /* how many detach keys have just been typed */
};

static int send_window_size(int sock)
{
	struct winsize ws;

	return !c_tty_size(STDIN_FILENO, &ws) || c_attach_send(sock, C_ATTACH_RESIZE, &ws,
							       sizeof ws, 0) == 0
		       ? 0
		       : -1;
}

/* Typed input, the detach keys held back until they are all there (then
 * true) or turn out to be input. */
static bool pass_input(struct relay *r, const char *in, size_t n, char *out, size_t *len)
{
	*len = 0;
	for (size_t i = 0; i < n; i++) {
		if (r->o->n_keys && in[i] == r->o->keys[r->matched]) {
			if (++r->matched == r->o->n_keys)
				return true;
			continue;
		}
		memcpy(out + *len, r->o->keys, r->matched);
		*len += r->matched;
		r->matched = r->o->n_keys && in[i] == r->o->keys[0];
		if (!r->matched)
			out[(*len)++] = in[i];
	}
	return false;
}

static int relay_message(const char *buf, ssize_t n, int *exit_code, bool *ended)
{
	int fd = buf[0] == C_ATTACH_STDOUT ? STDOUT_FILENO : STDERR_FILENO;
	char code[16];

	if (buf[0] == C_ATTACH_EXIT) {
		snprintf(code, sizeof code, "%.*s", (int)(n - 1), buf + 1);
		*exit_code = atoi(code);
		*ended = true;
		return 0;
	}
	if (buf[0] != C_ATTACH_STDOUT && buf[0] != C_ATTACH_STDERR)
		return 0;
	return c_write_all(fd, buf + 1, (size_t)n - 1);
}

int c_attach_relay(int sock, const struct c_attach_relay_opts *o, int *exit_code, c_err **err)
{
	static const int proxied[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	char buf[1 + C_ATTACH_DATA_MAX], out[C_ATTACH_DATA_MAX + C_ATTACH_KEYS_MAX];
	struct relay r = { .o = o, .sock = sock };
	bool tty, stdin_open, restore = false, ended = false;
	_cleanup_close_ int sfd = -1;
	struct termios saved;
	sigset_t set;
	ssize_t n;
	int rc = 0;

	*exit_code = -1;
	n = recv(sock, buf, sizeof buf, 0);
	if (n < 2 || buf[0] != C_ATTACH_HELLO)
		return c_err_new(err, C_EXIT_FAIL, EPROTO, "attach: no greeting from the supervisor");
	tty = buf[1] & C_ATTACH_TTY;
	stdin_open = (buf[1] & C_ATTACH_STDIN) && !o->no_stdin;
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	for (size_t i = 0; !tty && i < sizeof proxied / sizeof proxied[0]; i++)
		sigaddset(&set, proxied[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return c_err_sys(err, "signalfd", "attach");
	if (tty) {
		restore = c_tty_raw(STDIN_FILENO, &saved);
		if (send_window_size(sock) < 0)
			return c_err_sys(err, "send", "window size");
	}
	while (!ended && rc == 0) {
		struct pollfd p[3] = {
			{ sock, POLLIN, 0 },
			{ stdin_open ? STDIN_FILENO : -1, POLLIN, 0 },
			{ sfd, POLLIN, 0 },
		};
		struct signalfd_siginfo si;
		size_t len;

		if (poll(p, 3, -1) < 0) {
			if (errno != EINTR)
				rc = c_err_sys(err, "poll", "attach");
			continue;
		}
		if (p[0].revents) {
			n = recv(sock, buf, sizeof buf, 0);
			if (n <= 0)
				rc = c_err_new(err, C_EXIT_FAIL, n < 0 ? errno : 0,
					       "attach: the supervisor went away before the "
					       "container ended");
			else if (relay_message(buf, n, exit_code, &ended) < 0)
				rc = c_err_sys(err, "write", "output");
		}
		if (p[1].revents) {
			n = read(STDIN_FILENO, buf, C_ATTACH_DATA_MAX);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				stdin_open = false;
				if (!tty)
					c_attach_send(sock, C_ATTACH_EOF, NULL, 0, 0);
			} else if (pass_input(&r, buf, (size_t)n, out, &len)) {
				break;
			} else if (len > C_ATTACH_DATA_MAX) {
				c_attach_send(sock, C_ATTACH_INPUT, out, C_ATTACH_DATA_MAX, 0);
				c_attach_send(sock, C_ATTACH_INPUT, out + C_ATTACH_DATA_MAX,
					      len - C_ATTACH_DATA_MAX, 0);
			} else if (len) {
				c_attach_send(sock, C_ATTACH_INPUT, out, len, 0);
			}
		}
		if (p[2].revents && read(sfd, &si, sizeof si) == sizeof si) {
			if (si.ssi_signo == SIGWINCH)
				send_window_size(sock);
			else if (o->pid > 0)
				kill(o->pid, (int)si.ssi_signo);
		}
	}
	if (restore)
		c_tty_restore(STDIN_FILENO, &saved);
	return rc;
}
