/* caps.h — Linux capabilities of a container's process: names, the sets of
 * the OCI runtime spec, docker's options, and applying them in the child.
 *
 * A set (struct c_caps) is five masks, bit N for capability N, as the kernel
 * numbers them (CAP_CHOWN is 0, CAP_CHECKPOINT_RESTORE 40).
 *
 * Names: "CAP_NET_ADMIN", "NET_ADMIN", "net_admin" and "cap_net_admin" all
 * name capability 12, in the OCI spec as on docker's --cap-add/--cap-drop.
 * "ALL" (any case) is no capability; only c_caps_tweak() knows it.  A name
 * this file does not know is an error naming the name,
 *     field process.capabilities.bounding[3]: unknown capability "CAP_FOO"
 * but a capability we know and the running kernel does not (above its
 * cap_last_cap) is dropped silently, as runc does, so one config.json runs on
 * old and new kernels.  That is why the parsers take `last`: c_cap_last() of
 * the running kernel.
 *
 * Parsing (in c-run's parent) also refuses, with the field named, what the
 * kernel would refuse later in the child with a bare EPERM: an effective
 * capability not in permitted, an ambient one not in both permitted and
 * inheritable.
 *
 * Applying (in the child) is three steps that must be interleaved with the
 * user switch in one order; creds.h has the whole sequence, and
 * c_identity_switch() runs it.  Taken alone:
 *   c_caps_apply_bounding()  drops what is not in the set from the bounding
 *                            set (PR_CAPBSET_DROP; needs CAP_SETPCAP, so
 *                            before the uid change clears the effective set).
 *                            A capability the process no longer has there is
 *                            not an error: the bounding set can only shrink.
 *   c_caps_apply_sets()      capset(2) of effective, permitted, inheritable.
 *                            A capability asked for but missing from this
 *                            process's permitted set (CAP_SYS_RESOURCE on
 *                            this machine) is an error naming it, and so is
 *                            a new inheritable one outside the bounding set.
 *   c_caps_apply_ambient()   clears the ambient set, then raises each one
 *                            (PR_CAP_AMBIENT_RAISE; after capset, since a
 *                            raised capability must be permitted and
 *                            inheritable, and after the uid change, which
 *                            clears the ambient set).
 */
#ifndef C_CAPS_H
#define C_CAPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* The highest capability this file has a name for: CAP_CHECKPOINT_RESTORE. */
#define C_CAP_LAST_KNOWN 40

#define C_CAP_BIT(cap) (UINT64_C(1) << (cap))

struct c_caps {
	uint64_t bounding, effective, permitted, inheritable, ambient;
};

/* "CAP_CHOWN" for 0; NULL for a number without a name. */
const char *c_cap_name(int cap);

/* The number of a capability name in any of the spellings above; -1 for a
 * name we do not know (and for "ALL"). */
int c_cap_from_name(const char *name);

/* The last capability of the running kernel, from
 * /proc/sys/kernel/cap_last_cap. */
int c_cap_last(int *last, c_err **err);

/* Every capability up to last (at most 63): what "ALL" means to the kernel. */
uint64_t c_caps_upto(int last);

/* docker's default capability list (moby oci/caps/defaults.go): CHOWN,
 * DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP,
 * SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE; 0xa80425fb. */
uint64_t c_caps_docker_default(void);

/* process.capabilities of an OCI runtime config's process object.  Every
 * one of the five arrays is optional, an absent one is empty; *present says
 * whether there was a capabilities object at all (without one, runc leaves
 * the capabilities alone, and so does c_identity_switch() when given NULL).
 * Errors are C_EXIT_DATA. */
int c_caps_parse(json_t *process, int last, struct c_caps *out, bool *present, c_err **err);

/* The set as the OCI object {"bounding": [...], ...}, capabilities in number
 * order, empty arrays left out (absent means empty), capabilities without a
 * name here (above C_CAP_LAST_KNOWN) too.  NULL when out of memory. */
json_t *c_caps_to_json(const struct c_caps *set);

/* docker's options, applied to a capability list as moby's
 * TweakCapabilities does:
 *   privileged         the list is `all`, the options are not looked at
 *   --cap-add ALL      `all` minus every --cap-drop
 *   --cap-drop ALL     only the --cap-add ones
 *   otherwise          the list minus --cap-drop, then plus --cap-add, so a
 *                      capability both dropped and added is kept
 * `all` is the caller's: c_caps_upto(last) is docker's; the current bounding
 * set (c_caps_current()) is podman's, the one that works where the runtime
 * itself lacks a capability.  Names are checked against `last` as in the
 * OCI spec; errors are C_EXIT_USAGE:
 *     --cap-add: unknown capability "CAP_FOO" */
struct c_caps_docker {
	bool privileged;
	const char *const *add; /* --cap-add, nadd of them */
	size_t nadd;
	const char *const *drop;
	size_t ndrop;
};
int c_caps_tweak(uint64_t *caps, uint64_t all, int last, const struct c_caps_docker *opts,
		 c_err **err);

/* The sets docker writes for a capability list (moby's SetCapabilities):
 * bounding, effective and permitted for uid 0; bounding only for any other
 * user, whose effective set execve(2) would clear anyway.  No inheritable,
 * no ambient. */
struct c_caps c_caps_for_user(uint64_t caps, uid_t uid);

/* The five sets of the calling process (capget, PR_CAPBSET_READ,
 * PR_CAP_AMBIENT_IS_SET). */
int c_caps_current(struct c_caps *out, c_err **err);

/* The steps of applying, in the child; see above and creds.h. */
int c_caps_apply_bounding(uint64_t bounding, c_err **err);
int c_caps_apply_sets(const struct c_caps *set, c_err **err);
int c_caps_apply_ambient(uint64_t ambient, c_err **err);

#endif
