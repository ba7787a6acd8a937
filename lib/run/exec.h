/* exec.h — the process of an exec into a running container, as docker exec
 * makes it: the container's process (from the config as applied, saved
 * beside its state by c-run) with the command given, the environment
 * extended by -e, another working directory (-w) or user (-u, names from
 * the container's own /etc/passwd and /etc/group, and HOME from there
 * unless -e sets it), a terminal (-t), every capability
 * (--privileged); the container's seccomp filter, no_new_privs and
 * rlimits stay.  runc's exec makes it the same way, or takes the whole
 * process object from a file (--process: what conmon hands it), and can add
 * capabilities, groups and no_new_privs.
 */
#ifndef C_EXEC_H
#define C_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"
#include "container.h"
#include "runopts.h"
#include "state.h"

struct c_exec_opts {
	const char *const *cmd;   /* NULL-terminated, not empty, unless process */
	json_t *process;          /* borrowed: the whole process instead of the
				     container's with cmd (runc exec --process) */
	const char *user, *workdir;
	struct c_strv env;
	struct c_strv caps;       /* added to bounding, effective, permitted */
	struct c_strv groups;     /* additional gids, numbers */
	bool tty, privileged, no_new_privs;
};

/* A config holding the process (and the seccomp settings) for an exec into
 * the container whose state is in state_dir and whose pid 1 is pid;
 * caller decrefs. */
json_t *c_exec_config(const char *state_dir, pid_t pid, const struct c_exec_opts *o,
		      c_err **err);

/* Start the process of config (from c_exec_config) in the running
 * container s, its stdio as so says: *pid is a child of the caller, *pty
 * the terminal's master when the process has one, else -1.  The signals
 * c_supervise() forwards are blocked first, so that none is lost before
 * c_exec_wait(). */
int c_exec_start(const struct c_state *s, json_t *config, const struct c_spawn_opts *so,
		 pid_t *pid, int *pty, c_err **err);

/* Stay with the process to its end as c-run's foreground does (signals
 * forwarded; the terminal pty, -1 for none, relayed, with stdin when
 * stdin_open, and closed); its exit status as a shell gives it, or -1. */
int c_exec_wait(pid_t pid, int pty, bool stdin_open, c_err **err);

#endif
