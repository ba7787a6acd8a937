/* run.h — c-run's containers from launch to removal, for both its fronts
 * (the OCI runtime and docker's run): the state record (lib/state.h), the
 * data dir $C_ROOT/containers/ID (a bundle made from an image, the overlay
 * upper and work dirs, a detached container's log), the config as applied
 * beside the state, the process (lib/container.h), how it ended, stopping,
 * waiting, removal; and the supervisor of a detached container
 * (lib/monitor.h), forked before the container is made so that the
 * container is its child.
 */
#ifndef C_RUN_H
#define C_RUN_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "cgroup.h"
#include "container.h"
#include "err.h"
#include "state.h"
#include "supervise.h"

/* One container being started; fill root, st (id, bundle, name, image,
 * annotations, stop signal and timeout), spec, bundle and so, then launch. */
struct c_run {
	const char *root; /* the state root */
	struct c_state st;
	json_t *spec;
	const char *bundle;
	struct c_spawn_opts so;
	struct c_container *c;
	struct c_cgroup *cg;
	char *upper, *work, *cgroup_path;
	int pty;
	/* removed as soon as it ends (run --rm, the OCI runtime's run): how
	 * it ended is not recorded in a state about to go */
	bool rm;
};

/* A new container's id: 64 random hex digits, as docker's (caller frees;
 * NULL when getrandom fails). */
char *c_run_new_id(void);

/* Now, in RFC 3339 (caller frees). */
char *c_run_now(void);

/* $C_ROOT/containers/ID (caller frees), and making it (and its parent). */
char *c_run_data_dir(const char *id);
int c_run_make_data_dir(const char *data, c_err **err);

/* Record the container (its id and name unique; a record made earlier by
 * c_state_add() is saved again), save the config as applied, make the overlay's upper dir when the root is one, spawn the
 * process.  On failure the caller removes what was made (c_run_finish). */
int c_run_launch(struct c_run *l, c_err **err);
void c_run_clear(struct c_run *l);

/* How the container ended (124 when --timeout stopped it), recorded with
 * the OOM killer's doing unless l->rm; its cgroup removed.  Returns that
 * status. */
int c_run_record_end(struct c_run *l, int wstatus, bool timed_out);

/* In the foreground (lib/supervise.h) to the end; the status, or -1. */
int c_run_foreground(struct c_run *l, const struct c_supervise_opts *so, c_err **err);

/* After the run: with failed or rm, nothing of the container is left (its
 * process killed if failed); a container never recorded loses its data
 * dir (id names it). */
void c_run_finish(struct c_run *l, const char *id, bool failed, bool rm);

/* Everything of a container that is not running: cgroup, data dir, state. */
int c_run_remove(const char *root, struct c_state *s, c_err **err);

/* Signal sig, up to grace seconds, then SIGKILL to every process of the
 * container; then, for a detached one, until its supervisor has recorded
 * the end (and, with --rm, removed it). */
int c_run_stop(const struct c_state *s, int sig, int grace, c_err **err);

/* The exit status of the container called what, once it has ended: from
 * its supervisor's socket (which has it even when --rm takes the state
 * away), else from the state. */
int c_run_wait(const char *root, const char *what, int *code, c_err **err);

struct c_run_detach_opts {
	bool tty, stdin_open, rm;
	unsigned timeout, grace; /* --timeout, and the stop timeout */
	int stop_signal;
	long long log_max_size;  /* lib/logfile.h */
	int log_max_files;
};

/* Fork the supervisor, which launches the container and stays with it;
 * returns once the container runs (0), or with the supervisor's error. */
int c_run_detached(struct c_run *l, const struct c_run_detach_opts *o, c_err **err);

/* The config as applied, saved beside the state, or NULL (a container
 * being removed has none). */
json_t *c_run_saved_config(const struct c_state *s);

/* The config's hooks of kind (lib/hooks.h) for the container s, given its
 * state: c_run_hooks() for the kinds whose failure ends the container (the
 * error), c_run_hooks_warn() for poststart and poststop, whose failures
 * are warnings. */
int c_run_hooks(const json_t *config, const char *kind, const struct c_state *s,
		c_err **err);
void c_run_hooks_warn(const json_t *config, const char *kind, const struct c_state *s);

/* The OCI start of a created container: the startContainer hooks (one
 * failing kills the container), the command let go through the exec fifo,
 * and once it has exec'd (the fifo's end) the poststart hooks. */
int c_run_start(const struct c_state *s, const json_t *config, c_err **err);

#endif
