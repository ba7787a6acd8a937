#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "attach.h"
#include "supervise.h"

#define MAX_CLIENTS 32

/* poll slots: the fixed ones, then the clients */
enum { P_SIGNAL, P_TIMER, P_OUT, P_ERR, P_IN, P_LISTEN, P_FIXED };

struct c_monitor {
	struct c_monitor_opts o;
	int sfd;
	int clients[MAX_CLIENTS];
	size_t nclients;
	/* input a client sent that the container has not taken yet; no more
	 * client messages are read until it has */
	char pending[C_ATTACH_DATA_MAX];
	size_t pending_len, pending_off;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int set_nonblock(int fd)
{
	int fl = fd < 0 ? 0 : fcntl(fd, F_GETFL);

	return fd < 0 || (fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0) ? 0 : -1;
}

struct c_monitor *c_monitor_new(const struct c_monitor_opts *o, c_err **err)
{
	struct c_monitor *m = calloc(1, sizeof *m);
	sigset_t set;

	if (!m) {
		c_err_sys(err, "allocate", "monitor");
		return NULL;
	}
	m->o = *o;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	m->sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (m->sfd < 0 || sigprocmask(SIG_BLOCK, &set, NULL) < 0 || set_nonblock(o->pty) < 0 ||
	    set_nonblock(o->out) < 0 || set_nonblock(o->errout) < 0 || set_nonblock(o->in) < 0) {
		c_err_sys(err, "set up", "monitor");
		c_monitor_end(m, -1);
		return NULL;
	}
	return m;
}

static void drop_client(struct c_monitor *m, size_t i)
{
	close(m->clients[i]);
	m->clients[i] = m->clients[--m->nclients];
}

/* Output of the container: to the log, and to every client. */
static bool take_output(struct c_monitor *m, int *fd, int stream, c_err **err)
{
	char buf[C_ATTACH_DATA_MAX];
	ssize_t n = read(*fd, buf, sizeof buf);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	/* a terminal's master reads EIO once no process holds the slave */
	if (n <= 0) {
		close_fd(fd);
		return false;
	}
	if (m->o.log && c_logfile_write(m->o.log, stream, buf, (size_t)n, err) < 0) {
		/* the container goes on; its log stops here */
		c_err_print(*err);
		c_err_free(err);
		c_logfile_close(m->o.log);
		m->o.log = NULL;
	}
	for (size_t i = 0; i < m->nclients;) {
		if (c_attach_send(m->clients[i], stream == C_LOG_STDERR ? C_ATTACH_STDERR
									: C_ATTACH_STDOUT,
				  buf, (size_t)n, MSG_DONTWAIT) < 0)
			drop_client(m, i);
		else
			i++;
	}
	return true;
}

static int input_fd(const struct c_monitor *m)
{
	if (!m->o.stdin_open)
		return -1;
	return m->o.pty >= 0 ? m->o.pty : m->o.in;
}

static void flush_input(struct c_monitor *m)
{
	int fd = input_fd(m);
	ssize_t n;

	if (fd < 0) {
		m->pending_len = 0;
		return;
	}
	n = write(fd, m->pending + m->pending_off, m->pending_len - m->pending_off);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* the container closed its stdin: input has nowhere to go */
		m->pending_len = 0;
		return;
	}
	m->pending_off += (size_t)n;
	if (m->pending_off == m->pending_len)
		m->pending_len = 0;
}

static void take_message(struct c_monitor *m, size_t i)
{
	char buf[1 + C_ATTACH_DATA_MAX];
	ssize_t n = recv(m->clients[i], buf, sizeof buf, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop_client(m, i);
		return;
	}
	switch (buf[0]) {
	case C_ATTACH_INPUT:
		memcpy(m->pending, buf + 1, (size_t)n - 1);
		m->pending_len = (size_t)n - 1;
		m->pending_off = 0;
		flush_input(m);
		break;
	case C_ATTACH_EOF:
		if (m->o.pty < 0)
			close_fd(&m->o.in);
		break;
	case C_ATTACH_RESIZE:
		if (m->o.pty >= 0 && (size_t)n == 1 + sizeof(struct winsize))
			ioctl(m->o.pty, TIOCSWINSZ, buf + 1);
		break;
	}
}

static void take_client(struct c_monitor *m)
{
	char flags = (char)((m->o.pty >= 0 ? C_ATTACH_TTY : 0) |
			    (m->o.stdin_open ? C_ATTACH_STDIN : 0));
	int fd = accept4(m->o.listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (m->nclients == MAX_CLIENTS || c_attach_send(fd, C_ATTACH_HELLO, &flags, 1, 0) < 0) {
		close(fd);
		return;
	}
	m->clients[m->nclients++] = fd;
}

int c_monitor_run(struct c_monitor *m, pid_t pid, int *wstatus, bool *timed_out, c_err **err)
{
	struct c_stop_timer timer;
	bool exited = false;
	int rc = 0;

	*timed_out = false;
	if (c_stop_timer_start(&timer, m->o.timeout, m->o.grace, m->o.stop_signal, err) < 0) {
		c_stop_timer_clear(&timer);
		return -1;
	}
	/* after the exit, only what is still buffered is read */
	while (!exited || m->o.pty >= 0 || m->o.out >= 0 || m->o.errout >= 0) {
		struct pollfd p[P_FIXED + MAX_CLIENTS] = {
			[P_SIGNAL] = { exited ? -1 : m->sfd, POLLIN, 0 },
			[P_TIMER] = { exited ? -1 : timer.fd, POLLIN, 0 },
			[P_OUT] = { m->o.pty >= 0 ? m->o.pty : m->o.out, POLLIN, 0 },
			[P_ERR] = { m->o.errout, POLLIN, 0 },
			[P_IN] = { m->pending_len ? input_fd(m) : -1, POLLOUT, 0 },
			[P_LISTEN] = { exited ? -1 : m->o.listen, POLLIN, 0 },
		};
		size_t n = m->nclients;
		int ready;

		for (size_t i = 0; i < n; i++)
			p[P_FIXED + i] = (struct pollfd){ m->pending_len ? -1 : m->clients[i],
							  POLLIN, 0 };
		ready = poll(p, P_FIXED + n, exited ? 0 : -1);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0) {
			rc = c_err_sys(err, "poll", "monitor");
			break;
		}
		if (exited && ready == 0)
			break;
		if (p[P_OUT].revents)
			take_output(m, m->o.pty >= 0 ? &m->o.pty : &m->o.out, C_LOG_STDOUT, err);
		if (p[P_ERR].revents)
			take_output(m, &m->o.errout, C_LOG_STDERR, err);
		if (p[P_IN].revents)
			flush_input(m);
		if (p[P_LISTEN].revents)
			take_client(m);
		/* from the last one down: dropping one moves the last into its slot */
		for (size_t i = n; i-- > 0;)
			if (p[P_FIXED + i].revents)
				take_message(m, i);
		if (p[P_TIMER].revents && c_stop_timer_fire(&timer, pid, timed_out, err) < 0) {
			rc = -1;
			break;
		}
		if (p[P_SIGNAL].revents) {
			struct signalfd_siginfo si;

			if (read(m->sfd, &si, sizeof si) == sizeof si &&
			    waitpid(pid, wstatus, WNOHANG) == pid)
				exited = true;
		}
	}
	c_stop_timer_clear(&timer);
	return rc;
}

void c_monitor_end(struct c_monitor *m, int exit_code)
{
	char code[16];
	int n = snprintf(code, sizeof code, "%d", exit_code);

	if (!m)
		return;
	for (size_t i = 0; i < m->nclients; i++) {
		if (exit_code >= 0)
			c_attach_send(m->clients[i], C_ATTACH_EXIT, code, (size_t)n, MSG_DONTWAIT);
		close(m->clients[i]);
	}
	close_fd(&m->sfd);
	close_fd(&m->o.pty);
	close_fd(&m->o.out);
	close_fd(&m->o.errout);
	close_fd(&m->o.in);
	close_fd(&m->o.listen);
	c_logfile_close(m->o.log);
	free(m);
}
