/* devices.h — which device nodes a container may make and open: the rules
 * of linux.resources.devices, what the cgroup v1 devices controller makes
 * of them, and the cgroup v2 BPF program that enforces the same.
 *
 * A rule is a line of v1's devices.allow or devices.deny ("c 1:3 rwm",
 * "b *:* m", or "a" for every device).  The kernel keeps, per cgroup, a
 * default (allow or deny) and a list of exceptions to it, and a rule
 * changes them as the kernel's devices controller does
 * (security/device_cgroup.c):
 *   "a"                   the default becomes the rule's verdict and the
 *                         exceptions are dropped, whatever type, numbers
 *                         and access the rule also names;
 *   against the default   (deny while the default allows, or allow while it
 *                         denies) the rule is an exception; an exception of
 *                         the same type and numbers gains its access;
 *   with the default      the rule takes its access away from the exception
 *                         of exactly the same type and numbers, if any, and
 *                         drops one left with none.  "*" is a number like
 *                         any other here: denying "c 1:3" does not punch a
 *                         hole in an allowed "c *:*".
 * An access (mknod, read, write, or several at once as an open for reading
 * and writing asks) to a device is then
 *   default allow         refused if any exception matching the device
 *                         shares one access with it;
 *   default deny          allowed if one exception matching the device
 *                         holds every access asked for.
 * c_dev_policy is that state; the cgroup v1 controller keeps its own, and
 * tests/unit/test-devices.c checks the two agree.
 *
 * cgroup v2 has no devices controller: a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to the cgroup decides instead, as runc and crun do it.
 * c_dev_program() writes one from a policy, exception by exception; it
 * decides exactly as c_dev_policy_permits() (the unit test runs both on the
 * same inputs).  c_dev_attach() loads it and attaches it to a cgroup
 * (BPF_F_ALLOW_MULTI, so programs of parent cgroups still apply), then
 * detaches the programs that were attached there before: a second attach
 * replaces the first, and at no moment is the cgroup without one.
 */
#ifndef C_DEVICES_H
#define C_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <linux/bpf.h>

#include "err.h"

/* The kernel's values (BPF_DEVCG_DEV_*, BPF_DEVCG_ACC_*). */
enum {
	C_DEV_BLOCK = 1,
	C_DEV_CHAR = 2,
	C_DEV_ALL = C_DEV_BLOCK | C_DEV_CHAR, /* "a" */
};
enum {
	C_DEV_MKNOD = 1,
	C_DEV_READ = 2,
	C_DEV_WRITE = 4,
	C_DEV_RWM = 7,
};
/* "*" for a major or minor number, as the kernel keeps it. */
#define C_DEV_ANY UINT32_MAX

struct c_dev_rule {
	bool allow;
	unsigned type;	       /* C_DEV_BLOCK, C_DEV_CHAR or C_DEV_ALL */
	uint32_t major, minor; /* C_DEV_ANY for "*" */
	unsigned access;       /* C_DEV_MKNOD | C_DEV_READ | C_DEV_WRITE */
};

/* The rule as devices.allow and devices.deny take it: "c 1:3 rwm", "a". */
#define C_DEV_RULE_TEXT 40
const char *c_dev_rule_text(const struct c_dev_rule *r, char buf[C_DEV_RULE_TEXT]);

/* Parse "TYPE MAJOR:MINOR ACCESS" (docker's --device-cgroup-rule) or "a";
 * C_EXIT_USAGE naming what (an option) and the text. */
int c_dev_rule_parse(const char *text, bool allow, const char *what, struct c_dev_rule *out,
		     c_err **err);

/* Access letters as the OCI config and docker's --device give them: one to
 * three of r, w and m (repeats taken); false for anything else. */
bool c_dev_access_parse(const char *letters, unsigned *access);

/* An OCI linux.resources.devices entry ("allow", "type" a, b or c, "major"
 * and "minor" absent, null or -1 for all, "access"), where names it in
 * errors (C_EXIT_DATA, naming the field); and the entry for a rule. */
int c_dev_rule_from_json(json_t *rule, const char *where, struct c_dev_rule *out, c_err **err);
json_t *c_dev_rule_to_json(const struct c_dev_rule *r);

/* What c-run allows after a config's rules, as docker does: mknod of any
 * node, and the nodes every container's /dev has (null, zero, full, random,
 * urandom, tty, console, ptmx, the ptys). */
extern const struct c_dev_rule c_dev_defaults[];
extern const size_t c_dev_ndefaults;

/* A zeroed policy is a new cgroup's under an unrestricted parent: every
 * device allowed. */
struct c_dev_policy {
	bool default_deny;
	size_t n, cap;
	struct c_dev_rule *ex; /* the exceptions; ex[i].allow is default_deny */
};

/* Apply one rule, as a write to devices.allow or devices.deny.  Returns -1
 * (out of memory) only. */
int c_dev_policy_add(struct c_dev_policy *p, const struct c_dev_rule *r, c_err **err);
bool c_dev_policy_permits(const struct c_dev_policy *p, unsigned type, uint32_t major,
			  uint32_t minor, unsigned access);
bool c_dev_policy_allows_all(const struct c_dev_policy *p);
void c_dev_policy_free(struct c_dev_policy *p);

/* The BPF program deciding as p does; *insns is malloc'd. */
int c_dev_program(const struct c_dev_policy *p, struct bpf_insn **insns, size_t *n, c_err **err);

/* Load the program and put it in place of the cgroup's own device
 * programs; cgroup_fd is the cgroup's directory, path names it in errors.
 * A policy that allows everything detaches them and attaches none.  Errors
 * are C_EXIT_FAIL: "load the BPF device program for PATH: Operation not
 * permitted". */
int c_dev_attach(int cgroup_fd, const char *path, const struct c_dev_policy *p, c_err **err);

#endif
