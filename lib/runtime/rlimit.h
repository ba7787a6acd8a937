/* rlimit.h — resource limits of a container's process: process.rlimits of
 * the OCI runtime config and docker's --ulimit, applied with setrlimit(2).
 *
 * Names: the OCI spec spells them as getrlimit(2) does, "RLIMIT_NOFILE",
 * exactly; --ulimit uses docker's short names, "nofile", "nproc", "core",
 * "memlock", "stack", ... (any case), plus "as", which docker refuses.
 *
 * Values: RLIM_INFINITY is "unlimited" in messages.  The spec's values are
 * uint64 and unlimited is 18446744073709551615, which runc and podman
 * write; lib/json reads it as -1 (jansson holds int64 only), and so does
 * this for unlimited, and writes -1 for it.  --ulimit takes "unlimited" or
 * -1.
 *
 * A process without CAP_SYS_RESOURCE (c-run on this machine) cannot raise a
 * hard limit; the kernel says EPERM and the error says which limit, what was
 * asked and what the hard limit is:
 *     setrlimit RLIMIT_NOFILE 1048576:1048576 (hard limit here 524288): Operation not permitted
 * c_rlimit_clamp() makes a default of c-run's own fit under the hard limit;
 * a user's explicit limit is applied as asked and fails as above.
 *
 * Apply in the child before the capabilities are dropped (see creds.h).
 * RLIMIT_NPROC counts the processes of the uid the child switches to: when
 * that user already has as many, the kernel lets setresuid pass and fails
 * the execve with EAGAIN instead.
 */
#ifndef C_RLIMIT_H
#define C_RLIMIT_H

#include <jansson.h>
#include <stddef.h>
#include <sys/resource.h>

#include "err.h"

struct c_rlimit {
	int resource; /* RLIMIT_* */
	rlim_t soft, hard;
};

/* "RLIMIT_NOFILE" for RLIMIT_NOFILE; NULL for a resource we do not know. */
const char *c_rlimit_name(int resource);

/* The resource of an OCI name ("RLIMIT_NOFILE"), -1 for an unknown one. */
int c_rlimit_from_name(const char *name);

/* process.rlimits of an OCI runtime config's process object; *out is NULL
 * with *n 0 when there are none, else the caller frees it.  An unknown type,
 * a soft limit above the hard one and a type given twice (the spec wants an
 * error) are C_EXIT_DATA errors naming the field:
 *     field process.rlimits[2].type: RLIMIT_NOFILE given twice (also at [0]) */
int c_rlimits_parse(json_t *process, struct c_rlimit **out, size_t *n, c_err **err);

/* The limits as process.rlimits: [{"type", "hard", "soft"}, ...].  NULL when
 * out of memory. */
json_t *c_rlimits_to_json(const struct c_rlimit *limits, size_t n);

/* docker's --ulimit NAME=SOFT[:HARD]; one value sets both.  Errors are
 * C_EXIT_USAGE and quote the argument:
 *     --ulimit "nofile=2048:1024": soft limit 2048 above hard limit 1024 */
int c_rlimit_parse_ulimit(const char *arg, struct c_rlimit *out, c_err **err);

/* setrlimit(2) each, in order; stops at the first that fails. */
int c_rlimits_apply(const struct c_rlimit *limits, size_t n, c_err **err);

/* Lower limit's hard value to the calling process's hard limit where it is
 * above, and the soft value to the hard one, so that applying it cannot
 * fail for want of CAP_SYS_RESOURCE. */
int c_rlimit_clamp(struct c_rlimit *limit, c_err **err);

#endif
