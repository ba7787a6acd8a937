/* state.h — what c-run knows about its containers: a record each, in a
 * directory of its own under a records root (ROOT), and a runtime dir for
 * what does not outlive a boot.  The roots:
 *
 *   docker's front (c-run IMAGE, ps, logs, stop, wait, rm; c-attach):
 *     ROOT = $C_ROOT/containers (c_state_docker_root()), so that a record
 *     and the container's files (bundle, upper dir, log: lib/run.h) are one
 *     directory that survives a reboot; after one, the container is listed
 *     as ended (its boot id is another) and can be removed as any other.
 *   the OCI front (create, start, state, kill, delete, run, list, exec):
 *     ROOT = runc's --root, default /run/c-run as root, else
 *     $XDG_RUNTIME_DIR/c-run (c_state_oci_root()): what podman and
 *     containerd pass, gone with the boot as runc's.
 *
 *   ROOT/.lock          flock held while a container is added or removed, so
 *                       ids and names stay unique
 *   ROOT/ID/state.json  the OCI state (ociVersion, id, status, pid, bundle,
 *                       annotations) plus c-run's own under "c-tools":
 *                       name, image, created, the pid's start time (so a
 *                       recycled pid is not taken for the container), the
 *                       boot's id, the cgroup path, the stop signal and
 *                       grace, the supervisor's pid and start time and the
 *                       log's path (detached containers), the exit code,
 *                       when it ended and whether the OOM killer struck
 *   ROOT/ID/config.json the runtime config as applied (options included),
 *                       for exec and ps
 *   ROOT/ID/exec.fifo   while created: the container's process blocks
 *                       opening it for writing until `start` opens it
 *   RUN/ID/attach       a detached container's socket (lib/attach.h);
 *                       RUN is /run/c-tools/HASH as root (else
 *                       $XDG_RUNTIME_DIR/c-tools/HASH, else
 *                       /tmp/c-tools-UID/HASH), HASH 12 hex digits of the
 *                       sha256 of ROOT: one runtime dir per records root
 *
 * state.json is replaced atomically; the status is not stored but read off
 * the process: "created" while the fifo is there and the process lives,
 * "running" while it lives, "stopped" after, and after a reboot.  A record
 * that cannot be read is listed as a stopped container marked damaged, so
 * that its directory can still be removed; a directory without state.json
 * is one being made, and not listed.
 */
#ifndef C_STATE_H
#define C_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"

#define C_STATE_ID_MAX 128

enum c_status {
	C_STATUS_CREATING,
	C_STATUS_CREATED,
	C_STATUS_RUNNING,
	C_STATUS_STOPPED,
};

struct c_state {
	char *dir;     /* ROOT/ID */
	char *run_dir; /* RUN/ID: made by whoever puts something there */
	char *boot_id; /* of the boot that started it */
	bool damaged;  /* its record could not be read: id and dirs only */
	char *id, *bundle, *name, *image, *cgroup, *created, *finished, *log;
	pid_t pid;                     /* 0 before the process exists */
	unsigned long long start_time; /* of pid, from /proc/PID/stat */
	pid_t monitor;                 /* a detached container's supervisor, or 0 */
	unsigned long long monitor_start;
	int stop_signal;               /* 0: SIGTERM */
	int stop_timeout;              /* seconds; -1: the default */
	int exit_code;                 /* -1 while unknown */
	bool oom_killed;
	json_t *annotations;           /* owned; may be NULL */
};

/* The records roots of the two fronts, as above; caller frees. */
char *c_state_docker_root(void);
char *c_state_oci_root(void);

/* ID of [A-Za-z0-9][A-Za-z0-9_.-]*, at most C_STATE_ID_MAX: ids and names
 * become directory names. */
int c_state_check_id(const char *id, const char *what, c_err **err);

/* Make ROOT/ID under the root's lock; fails (exit 1, EEXIST) when the id or,
 * if set, s->name is taken by another container.  A directory ROOT/ID
 * without a record is taken as the caller's (made for the container's
 * files).  s->dir and s->run_dir are set on success only. */
int c_state_add(const char *root, struct c_state *s, c_err **err);

/* Write ROOT/ID/state.json from s. */
int c_state_save(const struct c_state *s, c_err **err);

/* The container called what, by id, unique id prefix, or name (exit 4 when
 * none). */
int c_state_load(const char *root, const char *what, struct c_state *s, c_err **err);

/* Every container (ids in directory order); caller frees with
 * c_state_list_free. */
int c_state_list(const char *root, struct c_state **out, size_t *n, c_err **err);
void c_state_list_free(struct c_state *list, size_t n);

/* The live status, from the process and the fifo. */
enum c_status c_state_status(const struct c_state *s);
const char *c_status_name(enum c_status st);

/* The OCI state JSON (the spec's fields only), for `c-run state`; and the
 * whole record, c-run's own fields under "c-tools" too. */
json_t *c_state_oci(const struct c_state *s);
json_t *c_state_json(const struct c_state *s);

/* Remove ROOT/ID and RUN/ID under the root's lock. */
int c_state_remove(const char *root, const struct c_state *s, c_err **err);

void c_state_clear(struct c_state *s);

/* Whether the supervisor of a detached container still runs. */
bool c_state_monitor_alive(const struct c_state *s);

#endif
