/* exec.h — the process of an exec into a running container, as docker exec
 * makes it: the container's process (from the config as applied, saved
 * beside its state by c-run) with the command given, the environment
 * extended by -e, another working directory (-w) or user (-u, names from
 * the container's own /etc/passwd and /etc/group, and HOME from there
 * unless -e sets it), a terminal (-t), every capability
 * (--privileged); the container's seccomp filter, no_new_privs and
 * rlimits stay.
 */
#ifndef C_EXEC_H
#define C_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"
#include "runopts.h"

struct c_exec_opts {
	const char *const *cmd; /* NULL-terminated, not empty */
	const char *user, *workdir;
	struct c_strv env;
	bool tty, privileged;
};

/* A config holding the process (and the seccomp settings) for an exec into
 * the container whose state is in state_dir and whose pid 1 is pid;
 * caller decrefs. */
json_t *c_exec_config(const char *state_dir, pid_t pid, const struct c_exec_opts *o,
		      c_err **err);

#endif
