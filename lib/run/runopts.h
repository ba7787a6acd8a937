/* runopts.h — docker run's options, applied to an OCI runtime config.
 *
 * c-run's front for people takes docker's spelling and meaning, and turns
 * each option into the part of config.json it stands for, so the engine
 * (lib/container.h) knows only the OCI config:
 *   CMD, --entrypoint    process.args (CMD replaces the image's Cmd;
 *                        --entrypoint "" clears the Entrypoint)
 *   -e K=V, -e K         process.env (K alone: from c-run's environment)
 *   -w                   process.cwd
 *   -u UID[:GID]         process.user (names are resolved when the image is
 *                        unpacked: lib/spec.h)
 *   -t                   process.terminal, and TERM=xterm in process.env
 *                        unless the image or -e sets TERM
 *   --hostname           hostname
 *   -v HOST:CTR[:MODE]   a bind mount (HOST absolute, made as a 0755
 *                        directory when missing, as docker makes it);
 *                        -v NAME:CTR a named volume, the directory
 *                        volumes_dir/NAME/_data, made on first use, its
 *                        mount marked C_ROOTFS_VOLUME_COPY so that the
 *                        container's set-up fills it from the image when
 *                        empty (lib/rootfs.h, lib/volume.h); MODE is ro,
 *                        rw, nocopy (no such mark), comma-separated.  A bad
 *                        NAME is C_EXIT_DATA: docker refuses it as the
 *                        volume is made, not as the command line is read
 *   --tmpfs CTR[:OPTS]   a tmpfs (docker's default options noexec, nosuid,
 *                        nodev)
 *   --read-only          root.readonly
 *   --network            none, the default (a new network namespace: its
 *                        loopback, brought up by the engine, as the
 *                        annotation C_SPEC_LOOPBACK_ANNOTATION asks), host
 *                        (no network namespace), ns:PATH (join it); any
 *                        other (bridge, ...) is refused
 *   --memory, --memory-swap, --cpus, --cpu-shares, --cpuset-cpus,
 *   --pids-limit         linux.resources
 *   --ulimit NAME=S[:H]  process.rlimits
 *   --cap-add, --cap-drop, --privileged
 *                        process.capabilities (--privileged: every
 *                        capability, no seccomp, no masked or read-only
 *                        paths, /sys writable, and every device: the
 *                        host's nodes below /dev in linux.devices and a
 *                        rule allowing all, as docker gives them)
 *   --device HOST[:CTR][:PERMS]
 *                        the host's node HOST (a path it resolves to; a
 *                        directory is every node below it) made at CTR
 *                        (default HOST) in linux.devices, and an allow
 *                        rule for it with PERMS (default rwm)
 *   --device-cgroup-rule "TYPE MAJOR:MINOR ACCESS"
 *                        an allow rule in linux.resources.devices
 *   --security-opt seccomp=FILE|unconfined, no-new-privileges[=true|false]
 * Sizes take docker's suffixes (b, k, m, g).  Bad values are usage errors
 * (C_EXIT_USAGE) naming the option.
 */
#ifndef C_RUNOPTS_H
#define C_RUNOPTS_H

#include <stdbool.h>

#include <jansson.h>

#include "err.h"

struct c_strv {
	const char **v;
	size_t n;
};

struct c_runopts {
	const char *const *cmd; /* NULL-terminated, may be empty */
	const char *entrypoint; /* NULL: the image's */
	const char *workdir, *user, *hostname, *network;
	const char *memory, *memory_swap, *cpus, *cpu_shares, *cpuset_cpus, *pids_limit;
	const char *volumes_dir; /* for named volumes */
	struct c_strv env, volumes, tmpfs, ulimits, cap_add, cap_drop, security_opts;
	struct c_strv devices, device_cgroup_rules;
	bool tty, read_only, privileged;
};

/* Append to a c_strv (its array grows); for option parsing, so running
 * out of memory ends the program as a command-line error would. */
void c_strv_push(struct c_strv *sv, const char *s);
void c_strv_free(struct c_strv *sv);

/* -e's rule on process.env: K=V set (replacing K), K alone taken from this
 * process's environment; for exec too. */
int c_runopts_set_env(json_t *process, const struct c_strv *env, c_err **err);

/* Apply o to spec, in place. */
int c_runopts_apply(json_t *spec, const struct c_runopts *o, c_err **err);

/* docker's size: a number with an optional b, k, m or g (and "b" after the
 * unit) suffix, in bytes. */
int c_parse_size(const char *option, const char *s, long long *out, c_err **err);

#endif
