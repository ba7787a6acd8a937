/* spec.h — the OCI runtime config.json of a bundle, made from an image config.
 *
 * The image's part follows the OCI image spec's conversion rules
 * (conversion.md):
 *   Entrypoint + Cmd   → process.args (either alone when the other is absent;
 *                        no "args" at all when the image has no command, so
 *                        the caller must supply one)
 *   Env                → process.env verbatim, then PATH (docker's default)
 *                        and HOME (from /etc/passwd, "/" without an entry)
 *                        appended when the image does not set them
 *   WorkingDir         → process.cwd, "/" when empty; must be absolute
 *   User               → process.user via c_user_resolve() in the rootfs
 *   os, architecture, variant, os.version, os.features, author, created,
 *   StopSignal, ExposedPorts → the org.opencontainers.image.* annotations
 *   Labels             → annotations, taking precedence over the above
 *   Volumes            → annotation "io.c-tools.volumes": a JSON array of the
 *                        paths; the spec leaves Volumes to the implementation
 *                        and reserves org.opencontainers.image.* for itself,
 *                        so c-run decides what to mount there
 *
 * JSON null counts as absent, as docker writes "Entrypoint": null.
 *
 * The rest is the default c-run applies, docker's: namespaces pid, network,
 * ipc, uts, mount, cgroup; /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue,
 * /sys (ro) and /sys/fs/cgroup (ro); docker's masked and read-only paths and
 * default capability set (bounding, effective, permitted); no_new_privs;
 * RLIMIT_NOFILE 1024.  Seccomp: no linux.seccomp, but the annotation
 * "io.c-tools.seccomp": "default", because the default profile is compiled
 * into c-run rather than spelled out in every bundle.  io.c-tools.* keys are
 * ours: labels of that name are not copied, so an image cannot switch its
 * own seccomp off.
 *
 * Errors for bad image values are C_EXIT_DATA and name the field:
 *     field config.Env[2]: expected string, got number
 */
#ifndef C_SPEC_H
#define C_SPEC_H

#include <jansson.h>

#include "err.h"

#define C_SPEC_OCI_VERSION "1.0.2"
#define C_SPEC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define C_SPEC_DEFAULT_HOSTNAME "container"
#define C_SPEC_SECCOMP_ANNOTATION "io.c-tools.seccomp"
#define C_SPEC_VOLUMES_ANNOTATION "io.c-tools.volumes"
/* "up": the loopback of the container's new network namespace is brought
 * up (c-run's docker-like front sets it, as docker does; an OCI caller
 * leaves lo to itself, as runc does) */
#define C_SPEC_LOOPBACK_ANNOTATION "io.c-tools.loopback"
/* c-unpack's overlay mode: the layer directories, topmost first, ":"-joined */
#define C_SPEC_LOWERDIRS_ANNOTATION "io.c-tools.overlay.lowerdirs"

struct c_spec_opts {
	const char *hostname; /* NULL: C_SPEC_DEFAULT_HOSTNAME */
	const char *user;     /* NULL: the image's User (-u of c-run) */
	/* docker run's: cmd (NULL-terminated; NULL or empty: the image's)
	 * replaces Cmd; entrypoint (NULL: the image's; "": none) replaces
	 * Entrypoint and drops the image's Cmd. */
	const char *const *cmd;
	const char *entrypoint;
};

/* The runtime config for image_config_doc (the whole image config: "os",
 * "config", ...), resolving the user in the tree of rootfd.  opts may be
 * NULL.  Returns a new reference, or NULL. */
json_t *c_spec_from_image(const json_t *image_config_doc, int rootfd,
			  const struct c_spec_opts *opts, c_err **err);

/* Write bundle_dir/config.json atomically, mode 0644. */
int c_spec_write(const char *bundle_dir, const json_t *spec, c_err **err);

#endif
