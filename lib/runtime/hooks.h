/* hooks.h — the hooks of an OCI runtime config (config.md, "POSIX-platform
 * Hooks"): programs the runtime runs at points of a container's life, each
 * given the container's state JSON on its stdin.
 *
 *   prestart, createRuntime  in c-run's namespaces, once the container's
 *                            process exists (waiting for `start`)
 *   createContainer          in the container's mount, uts, ipc, net and
 *                            cgroup namespaces, its path taken in c-run's
 *   startContainer           in the container's namespaces, its path taken
 *                            there, at `start` before the command runs
 *   poststart                in c-run's, after the command started
 *   poststop                 in c-run's, after the container was deleted
 *
 * A hook is {path (absolute), args (argv, args[0] included; default
 * [path]), env, timeout (seconds, > 0)}.  Its stdout and stderr are c-run's
 * stderr.  It fails when it exits non-zero, is killed, or outlives its
 * timeout (it is then killed); the error names the kind, the index and
 * the path:
 *     hooks.prestart[0] /usr/bin/x: exited with status 3
 * What a failure does is the caller's (the spec: the first four end the
 * container, the last two are only warnings).
 */
#ifndef C_HOOKS_H
#define C_HOOKS_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"

/* The kinds above, as an array of names (for runc's `features`). */
json_t *c_hooks_features(void);

/* Check config.hooks, every kind; errors name the field. */
int c_hooks_check(const json_t *config, c_err **err);

/* Whether config has any hook at all. */
bool c_hooks_any(const json_t *config);

/* Run config.hooks.KIND in order, each given state; stop at the first that
 * fails.  container: the pid whose namespaces createContainer and
 * startContainer run in (ignored for the other kinds). */
int c_hooks_run(const json_t *config, const char *kind, const json_t *state, pid_t container,
		c_err **err);

/* The same for the kinds whose failure is only a warning (poststart,
 * poststop): every hook runs, each failure printed as a warning about
 * what (the container). */
void c_hooks_run_all(const json_t *config, const char *kind, const json_t *state,
		     const char *what);

#endif
