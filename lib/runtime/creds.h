/* creds.h — who a container's process is (process.user of the OCI runtime
 * config: uid, gid, additionalGids, umask) and the two process attributes
 * set beside it (noNewPrivileges, oomScoreAdj); switching to it in the child
 * together with the capabilities of caps.h.
 *
 * c-run parses in the parent (c_identity_parse, c_caps_parse, c_rlimits_parse;
 * errors name the JSON field) and applies in the forked child, in this order,
 * each step while the capabilities it needs are still there:
 *
 *   1. c_rlimits_apply        raising a hard limit needs CAP_SYS_RESOURCE
 *   2. c_oom_score_adj        lowering it needs CAP_SYS_RESOURCE; /proc must
 *                             be mounted
 *      (mounts, pivot_root, hostname: they need CAP_SYS_ADMIN)
 *   3. seccomp, only without noNewPrivileges: loading a filter then needs
 *      CAP_SYS_ADMIN, which step 4 may drop; the filter must let step 4's
 *      calls (setgroups, setresuid, capset, prctl) through
 *   4. c_identity_switch      PR_SET_KEEPCAPS → bounding drop → setgroups →
 *                             setresgid → setresuid → capset → ambient →
 *                             umask
 *   5. c_no_new_privs         when noNewPrivileges
 *   6. seccomp, with noNewPrivileges: last before execve, so the filter need
 *      not allow the set-up calls
 *   7. execve
 *
 * Why step 4 is in that order: dropping from the bounding set needs
 * CAP_SETPCAP and setgroups/setresgid need CAP_SETGID in the effective set,
 * which the change from uid 0 clears; PR_SET_KEEPCAPS keeps the permitted
 * set across that change (execve resets the flag), so capset can then make
 * the effective set what the spec says; the uid change clears the ambient
 * set, and a raised ambient capability must already be permitted and
 * inheritable, so ambient comes last.
 *
 * The sets are applied as the spec gives them.  For a user other than root,
 * execve(2) then leaves the effective set equal to the ambient set (for a
 * program without file capabilities): a non-root process keeps only what is
 * ambient, which is why docker writes no effective set for one.
 */
#ifndef C_CREDS_H
#define C_CREDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "caps.h"
#include "err.h"

struct c_identity {
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids; /* NULL when there are none */
	size_t nadditional_gids;
	bool has_umask; /* without one the umask is left as it is (the spec's
			   rule; runc sets 0022, c-run's docker front writes it) */
	mode_t umask;
	bool no_new_privs;
	bool has_oom_score_adj;
	int oom_score_adj;
};

/* process.user (absent: uid 0, gid 0), process.noNewPrivileges and
 * process.oomScoreAdj of an OCI runtime config's process object.  Ids are
 * 0..4294967294 (-1 means "unchanged" to the system calls), the umask
 * 0..0777, oomScoreAdj -1000..1000, at most NGROUPS_MAX additional gids.
 * Errors are C_EXIT_DATA:
 *     field process.user.additionalGids[1]: expected integer, got string
 * The caller frees *out with c_identity_free(). */
int c_identity_parse(json_t *process, struct c_identity *out, c_err **err);

void c_identity_free(struct c_identity *id);

/* Step 4 above.  caps NULL (no process.capabilities) leaves the
 * capabilities to the kernel's rules: root keeps them, any other uid loses
 * them.  The supplementary groups are always set, to none when there are no
 * additional gids, so the container never inherits c-run's own; except in a
 * user namespace whose setgroups is "deny", where the kernel keeps the ones
 * it was made with and only asking for additional gids is an error. */
int c_identity_switch(const struct c_identity *id, const struct c_caps *caps, c_err **err);

/* PR_SET_NO_NEW_PRIVS: execve never grants privileges again (setuid bits,
 * file capabilities); lets an unprivileged process load seccomp filters. */
int c_no_new_privs(c_err **err);

/* Write value to /proc/self/oom_score_adj. */
int c_oom_score_adj(int value, c_err **err);

#endif
