/* supervise.h — c-run's side of a running container: signals forwarded,
 * a time limit, the terminal relayed, the exit status collected.
 *
 * The caller blocks c_supervise_signals() before it spawns the container
 * (lib/container.h unblocks them in the container's process), so none is
 * lost in between.  Then c_supervise() forwards SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT, SIGUSR1 and SIGUSR2 to the container's pid 1 — which, as pid 1
 * of its namespace, ignores those it has no handler for, as under docker —
 * and, with a terminal, copies between the caller's stdin/stdout and the
 * pty master (the caller's terminal in raw mode meanwhile, restored after;
 * the window size passed on at the start and on SIGWINCH).
 *
 * timeout: after that many seconds the stop signal, after grace seconds
 * more SIGKILL; *timed_out is then set (c-run exits 124, as timeout(1)).
 */
#ifndef C_SUPERVISE_H
#define C_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

struct c_supervise_opts {
	int pty;          /* the pty master, -1 without a terminal */
	bool stdin_open;  /* -i: relay stdin to the pty */
	unsigned timeout; /* seconds, 0: none */
	unsigned grace;   /* seconds between the stop signal and SIGKILL */
	int stop_signal;
};

/* --timeout's two steps on a timerfd (fd; -1 without a time limit): the
 * stop signal after timeout seconds, SIGKILL grace seconds later.  Call
 * c_stop_timer_fire() when fd is readable; *timed_out is then set. */
struct c_stop_timer {
	int fd;
	int stage;
	unsigned grace;
	int signal;
};

int c_stop_timer_start(struct c_stop_timer *t, unsigned timeout, unsigned grace, int signal,
		       c_err **err);
int c_stop_timer_fire(struct c_stop_timer *t, pid_t pid, bool *timed_out, c_err **err);
void c_stop_timer_clear(struct c_stop_timer *t);

/* The set of signals c_supervise() takes over. */
void c_supervise_signals(sigset_t *set);

/* Until pid exits; *wstatus is its waitpid() status. */
int c_supervise(pid_t pid, const struct c_supervise_opts *o, int *wstatus, bool *timed_out,
		c_err **err);

#endif
