/* monitor.h — the supervisor of a detached container: it holds the
 * container's terminal or pipes, keeps its log (lib/logfile.h), serves the
 * attach socket (lib/attach.h), applies --timeout, and collects the exit
 * status.  c-run forks it off before the container is made, so the
 * container is its child; it outlives the c-run that started it.
 */
#ifndef C_MONITOR_H
#define C_MONITOR_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"
#include "logfile.h"

struct c_monitor_opts {
	int pty;        /* the terminal's master, -1 without one */
	int out, errout; /* read ends of the container's stdout and stderr
			   pipes, without a terminal */
	int in;         /* write end of its stdin pipe, -1 for none; with a
			   terminal input goes to pty when stdin_open */
	bool stdin_open;
	int listen;     /* the attach socket */
	struct c_logfile *log;
	unsigned timeout, grace;
	int stop_signal;
};

struct c_monitor;

/* Takes the fds of o (closed by c_monitor_end). */
struct c_monitor *c_monitor_new(const struct c_monitor_opts *o, c_err **err);

/* Until pid exits and its output is drained; *wstatus as waitpid's. */
int c_monitor_run(struct c_monitor *m, pid_t pid, int *wstatus, bool *timed_out, c_err **err);

/* Tell the attached clients the exit status, close everything. */
void c_monitor_end(struct c_monitor *m, int exit_code);

#endif
