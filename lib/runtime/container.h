/* container.h — a container's process from an OCI runtime config: the
 * engine under c-run's two fronts.
 *
 * c_container_prepare() reads and checks the whole config in the parent
 * (errors name the JSON field, C_EXIT_DATA) and compiles what the child
 * will need: the mount plan (lib/rootfs.h), capabilities and identity
 * (lib/caps.h, lib/creds.h), rlimits (lib/rlimit.h), the seccomp filter
 * (lib/seccomp.h; the default profile unless the config has linux.seccomp
 * or the annotation io.c-tools.seccomp says "unconfined").
 *
 * A new network namespace takes most of a millisecond: c_container_prepare()
 * has a helper process make it on another CPU meanwhile, and the container's
 * process takes it from the helper.
 *
 * c_container_spawn() clones the process, in a new pid namespace when the
 * config has one, and makes the cgroup while the process makes its other
 * new namespaces (mount, uts, ipc, as the config lists them) and joins the
 * helper's network namespace and those that have a path, and starts its
 * mounts.  On cgroup v2 the cgroup is
 * made first instead and the process cloned into it (clone3's
 * CLONE_INTO_CGROUP, Linux 5.7; older kernels join as on v1).  Before the
 * first mount that shows its cgroups (type "cgroup"; after them all when
 * there is none) the process waits for the parent's word and moves itself
 * into the cgroup through the files the parent opened (lib/cgroup.h: on
 * cgroup v1 that needs no RCU grace period, which the parent moving it
 * would wait for), then unshares its cgroup namespace (whose root is the
 * cgroup it is in at that moment) and goes on setting itself up: the rest
 * of the mounts and pivot_root, hostname,
 * a terminal when process.terminal (a pty opened in the container's own
 * devpts, its master handed to the caller, the slave at /dev/console and
 * on 0, 1, 2), rlimits, oom_score_adj, the user and capabilities,
 * no_new_privs, seccomp, the working directory.  The command is looked up
 * in the container's PATH before anything waits, so "not found" (127) and
 * "not executable" (126) are reported by spawn itself.  With an exec fifo
 * (OCI create) the process then blocks opening the fifo for writing until
 * `start` opens it; otherwise it execs at once.
 *
 * The process joins its cgroup before it execs or forks anything, so the
 * limits hold for everything the container runs, and c-run's own processes
 * never join it, so `--pids-limit 1` and `--memory 4M` still run one small
 * program.
 *
 * Errors of the child reach the parent as one line over a socket and come
 * back from spawn with the step that failed:
 *     container x: mount proc on /proc: Operation not permitted
 * exit status 125 (runtime failure), 126 or 127.
 */
#ifndef C_CONTAINER_H
#define C_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "cgroup.h"
#include "err.h"

/* docker's statuses for failures of the runtime and of the command. */
enum {
	C_EXIT_RUNTIME = 125,
	C_EXIT_NOEXEC = 126,
	C_EXIT_NOTFOUND_CMD = 127,
};

struct c_container;

struct c_spawn_opts {
	const char *cgroup_path; /* linux.cgroupsPath, or c-run's default */
	const char *upper, *work; /* the overlay root's writable dirs */
	const char *exec_fifo;    /* create: wait here for start; NULL: exec at once */
	bool init;                /* pid 1 is a reaper forwarding signals, the
				     command its child (docker's --init) */
	bool no_pivot;
	int stdio[3];             /* the process's stdin, stdout, stderr (-1: keep
				     c-run's) when not on a terminal */
};

/* spec is borrowed and must outlive the container; bundle is where a
 * relative root.path is taken from; cache_dir holds compiled seccomp
 * filters (NULL: compile every time). */
struct c_container *c_container_prepare(json_t *spec, const char *bundle, const char *id,
					const char *cache_dir, c_err **err);
void c_container_free(struct c_container *c);

/* Start the process as above.  *pid is its pid (in c-run's namespace),
 * *cgroup the cgroup made for it (caller frees; destroy when done),
 * *pty the terminal's master when process.terminal, else -1. */
int c_container_spawn(struct c_container *c, const struct c_spawn_opts *o, pid_t *pid,
		      struct c_cgroup **cgroup, int *pty, c_err **err);

/* exec: a process for the running container whose pid 1 is target, from
 * a config with its process object only (the container's as applied, with
 * docker exec's changes): c_container_prepare_exec() reads it as prepare
 * does; c_container_exec() forks it into target's namespaces (ipc, uts,
 * net, cgroup, mount, and pid: this process joins that one for its
 * children) and the cgroup at cgroup_path, where it sets itself up as the
 * container's process does (no mounts: a terminal is a new pty of the
 * container's devpts, not its console) and execs.  *pid is its pid, a
 * child of the caller. */
struct c_container *c_container_prepare_exec(json_t *spec, const char *id,
					     const char *cache_dir, c_err **err);
int c_container_exec(struct c_container *c, pid_t target, const char *cgroup_path,
		     const struct c_spawn_opts *o, pid_t *pid, int *pty, c_err **err);

/* Join the ipc, uts, net, cgroup and mount namespaces of target (the
 * mount one last; those that are this process's own are left), as the
 * process of an exec does; for a process about to exec, such as a hook of
 * the container's (lib/hooks.h). */
int c_container_enter(pid_t target, c_err **err);

/* The status a shell would report for a waitpid() status: the exit code,
 * or 128 + the signal number. */
int c_container_exit_code(int wstatus);

#endif
