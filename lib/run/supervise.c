#include "supervise.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "tty.h"

void c_supervise_signals(sigset_t *set)
{
	static const int sigs[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT,
				    SIGUSR1, SIGUSR2, SIGWINCH, SIGPIPE };

	sigemptyset(set);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(set, sigs[i]);
}

static void pass_window_size(int pty)
{
	struct winsize ws;

	if (c_tty_size(STDIN_FILENO, &ws))
		ioctl(pty, TIOCSWINSZ, &ws);
}

/* Copy what is readable from in to out; false at EOF or error. */
static bool relay(int in, int out)
{
	char buf[16384];
	ssize_t n = read(in, buf, sizeof buf);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	return n > 0 && c_write_all(out, buf, (size_t)n) == 0;
}

static int arm(int tfd, unsigned seconds, c_err **err)
{
	struct itimerspec its = { .it_value = { .tv_sec = seconds } };

	if (timerfd_settime(tfd, 0, &its, NULL) < 0)
		return c_err_sys(err, "timer", "timeout");
	return 0;
}

int c_stop_timer_start(struct c_stop_timer *t, unsigned timeout, unsigned grace, int signal,
		       c_err **err)
{
	*t = (struct c_stop_timer){ .fd = -1, .grace = grace ? grace : 1, .signal = signal };
	if (!timeout)
		return 0;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (t->fd < 0)
		return c_err_sys(err, "timer", "timeout");
	return arm(t->fd, timeout, err);
}

int c_stop_timer_fire(struct c_stop_timer *t, pid_t pid, bool *timed_out, c_err **err)
{
	uint64_t ticks;

	if (read(t->fd, &ticks, sizeof ticks) < 0)
		return 0;
	*timed_out = true;
	kill(pid, t->stage++ == 0 ? t->signal : SIGKILL);
	return t->stage == 1 ? arm(t->fd, t->grace, err) : 0;
}

void c_stop_timer_clear(struct c_stop_timer *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

int c_supervise(pid_t pid, const struct c_supervise_opts *o, int *wstatus, bool *timed_out,
		c_err **err)
{
	_cleanup_close_ int sfd = -1;
	struct termios saved;
	bool restore = false, stdin_open = o->pty >= 0 && o->stdin_open, pty_open = o->pty >= 0;
	struct c_stop_timer timer;
	int rc = 0;
	sigset_t set;

	*timed_out = false;
	c_supervise_signals(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return c_err_sys(err, "signalfd", "supervisor");
	if (c_stop_timer_start(&timer, o->timeout, o->grace, o->stop_signal, err) < 0) {
		c_stop_timer_clear(&timer);
		return -1;
	}
	if (o->pty >= 0) {
		restore = c_tty_raw(STDIN_FILENO, &saved);
		pass_window_size(o->pty);
	}
	for (;;) {
		struct pollfd p[4] = {
			{ sfd, POLLIN, 0 },
			{ timer.fd, POLLIN, 0 },
			{ pty_open ? o->pty : -1, POLLIN, 0 },
			{ stdin_open ? STDIN_FILENO : -1, POLLIN, 0 },
		};
		struct signalfd_siginfo si;

		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = c_err_sys(err, "poll", "supervisor");
			break;
		}
		if (p[2].revents && !relay(o->pty, STDOUT_FILENO))
			pty_open = false;
		if (p[3].revents && !relay(STDIN_FILENO, o->pty))
			stdin_open = false; /* the container keeps its terminal */
		if (p[1].revents && c_stop_timer_fire(&timer, pid, timed_out, err) < 0) {
			rc = -1;
			break;
		}
		if (!p[0].revents || read(sfd, &si, sizeof si) != sizeof si)
			continue;
		if (si.ssi_signo == SIGWINCH && o->pty >= 0)
			pass_window_size(o->pty);
		else if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGPIPE)
			kill(pid, (int)si.ssi_signo);
		if (si.ssi_signo == SIGCHLD && waitpid(pid, wstatus, WNOHANG) == pid)
			break;
	}
	/* what the container wrote last is still in the pty */
	while (pty_open && rc == 0 && poll(&(struct pollfd){ o->pty, POLLIN, 0 }, 1, 0) > 0 &&
	       relay(o->pty, STDOUT_FILENO))
		;
	if (restore)
		c_tty_restore(STDIN_FILENO, &saved);
	c_stop_timer_clear(&timer);
	return rc;
}
