/* c-run.h — what the files of c-run share: the state root of this
 * invocation, the option values more than one front takes, and the entry
 * of each command (main.c dispatches to them).
 *
 *   main.c        the usage, the global options, the dispatch
 *   docker.c      docker's run: c-run [OPTIONS] IMAGE|BUNDLE [COMMAND...]
 *   containers.c  docker's ps, logs, stop, wait for those containers
 *   oci.c         the OCI runtime command line, as runc's
 */
#ifndef C_RUN_CMD_H
#define C_RUN_CMD_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"
#include "state.h"

/* The records roots (lib/state.h): state_root the docker-like front's,
 * $C_ROOT/containers; oci_root the OCI front's, --root or /run/c-run.
 * --root before a command of the docker-like front, or among docker run's
 * options, is $C_ROOT. */
extern const char *state_root, *oci_root;

/* The docker-like front's records root, C_ROOT set to root_opt first when
 * given; dies when there is none. */
const char *docker_root(const char *root_opt);

/* The container called what among the OCI front's, else among the
 * docker-like front's, so that state, kill, exec, ps and delete take
 * either; *root (may be NULL) gets the records root it was found in. */
int load_either(const char *what, struct c_state *s, const char **root, c_err **err);

/* c-run --help. */
extern const char c_run_usage[];

enum { OPT_PID_FILE = 300, OPT_CONSOLE_SOCKET, OPT_NO_PIVOT, OPT_IGNORED };
enum { OPT_CWD = 320, OPT_NO_NEW_PRIVS, OPT_PRESERVE_FDS };
enum {
	OPT_NAME = 400, OPT_RM, OPT_HOSTNAME, OPT_ENTRYPOINT, OPT_TMPFS, OPT_READ_ONLY,
	OPT_NETWORK, OPT_MEMORY_SWAP, OPT_CPUS, OPT_CPU_SHARES, OPT_CPUSET, OPT_PIDS,
	OPT_ULIMIT, OPT_CAP_ADD, OPT_CAP_DROP, OPT_PRIVILEGED, OPT_SECURITY, OPT_INIT,
	OPT_TIMEOUT, OPT_STOP_SIGNAL, OPT_STOP_TIMEOUT, OPT_LOG_OPT,
	OPT_DEVICE, OPT_DEVICE_RULE,
};

int docker_run(int argc, char **argv, c_err **err);

int cmd_stop(int argc, char **argv, c_err **err);
int cmd_wait(int argc, char **argv, c_err **err);
int cmd_logs(int argc, char **argv, c_err **err);
int cmd_ps(int argc, char **argv, c_err **err);
int cmd_inspect(int argc, char **argv, c_err **err);
int oci_ps(const char *what, bool json, c_err **err);

json_t *load_spec(const char *bundle, c_err **err);
int write_pid_file(const char *path, pid_t pid, c_err **err);
int oci_create(int argc, char **argv, bool run, c_err **err);
int oci_start(int argc, char **argv, c_err **err);
int oci_state(int argc, char **argv, c_err **err);
int oci_kill(int argc, char **argv, c_err **err);
int oci_delete(int argc, char **argv, c_err **err);
int oci_list(int argc, char **argv, c_err **err);
int oci_exec(int argc, char **argv, c_err **err);
int oci_features(int argc, char **argv, c_err **err);
int oci_unsupported(int argc, char **argv, c_err **err);

#endif
