/* seccomp.h — the seccomp filter of c-run's containers: docker's default
 * profile or a user's, compiled to BPF once and cached, loaded right before
 * execve.
 *
 * Profiles.  One parser reads both formats:
 *   - docker's profile (--security-opt seccomp=FILE): defaultAction,
 *     defaultErrnoRet, architectures or archMap [{architecture,
 *     subArchitectures}], syscalls [{names or name, action, errnoRet,
 *     args [{index, value, valueTwo, op}], includes/excludes {caps, arches,
 *     minKernel}, comment}];
 *   - the OCI runtime spec's linux.seccomp object of config.json: the same
 *     without archMap, name, includes/excludes, plus flags
 *     [SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW].
 * JSON null counts as absent (moby's own file has "subArchitectures": null);
 * unknown keys are ignored, as docker and runc ignore them.  Actions:
 * SCMP_ACT_ALLOW, _ERRNO, _KILL (= _KILL_THREAD), _KILL_THREAD,
 * _KILL_PROCESS, _TRAP, _TRACE, _LOG; errnoRet (default EPERM) only with
 * _ERRNO and _TRACE; SCMP_ACT_NOTIFY is refused, c-run has no seccomp agent.
 * Operators: SCMP_CMP_NE, _LT, _LE, _EQ, _GE, _GT, _MASKED_EQ (arg & value
 * == valueTwo).  The conditions of one rule must all hold; but when two test
 * the same argument, every condition becomes a rule of its own (any one
 * suffices), as runc does.  Values are integers from 0 to 2^63-1 (jansson's
 * range).
 *
 * Selection, as docker does it: archMap contributes the entry whose
 * architecture is the target's and its subArchitectures; the target
 * architecture is always in the filter, so its syscalls never meet the
 * "bad architecture" action (libseccomp's: kill the thread) that those of
 * architectures left out meet.  A rule is skipped when includes.caps
 * names a capability not in `caps`, includes.arches does not name the
 * target ("amd64", "x86", "x32", "arm64", "arm", "ppc64le", "s390x",
 * "riscv64"...), or the running kernel is older than includes.minKernel
 * ("MAJOR.MINOR"); and when excludes.caps names one in `caps`,
 * excludes.arches names the target, or the kernel is at least
 * excludes.minKernel.  An unknown capability name is one the container does
 * not have.  Syscall names libseccomp does not know are skipped, as runc
 * does, so a profile written for a newer kernel still loads.
 *
 * Syscalls newer than the profile.  When the default action denies (not
 * ALLOW, LOG or TRACE, and not already ERRNO(ENOSYS)), a stub in front of
 * libseccomp's program answers ENOSYS for every syscall number above the
 * highest one the profile names, per architecture (x32's own block from 512
 * counted apart), so glibc and musl fall back to older calls instead of
 * failing with EPERM.  With libseccomp 2.5.4 (Debian 12's) the highest
 * known on x86 is 456 (futex_requeue): statmount, listmount, mseal and the
 * *xattrat calls of docker's list get ENOSYS, as with runc on this system.
 *
 * Errors in a profile are C_EXIT_DATA and name the JSON path:
 *     seccomp profile p.json: syscalls[3].action: unknown action "SCMP_ACT_FOO"
 *     seccomp profile config.json: linux.seccomp.syscalls[0].args[1].index: 7 is not 0..5
 *
 * The default profile is docker's, written out in lib/seccomp-default.h.
 *
 * The program.  libseccomp's, behind the stub, with each of its syscall
 * dispatches (a binary search testing one number at each leaf) replaced by
 * a binary search over the intervals of numbers that share a rule, whose
 * leaves share one jump per rule: the kernel checks and compiles every
 * instruction at each load.  tests/unit/test-seccomp.c runs both programs
 * on every syscall number to 1100, native, x32 and x86, and finds the same
 * answers.
 *
 * The cache.  On the development machine (2 cores, musl -O2) libseccomp
 * takes about 22 ms to compile the default profile for x86_64 with x86 and
 * x32 (1259 instructions, 365 compacted), reading it from the cache 30 us,
 * and the kernel's seccomp() 0.17-0.19 ms to take it (0.45 ms uncompacted;
 * tests/unit/test-seccomp.c prints the first two and the load every
 * run).  The cache file DIR/seccomp-<sha256>.bpf is keyed by the
 * profile's bytes, `caps`, the target architecture, the c-tools and
 * libseccomp versions and the kernel release (minKernel and libseccomp's
 * view of the kernel depend on it).  It holds a header, the program and a
 * sha256 of both; a file that is short, long, or fails that check is
 * ignored and written again (temp file, fsync, rename).  The checksum finds
 * damage, not tampering: the directory must be as trusted as $C_ROOT.
 *
 * How c-run uses it:
 *   parent, before fork:  c_seccomp_prepare() — parse, compile or read the
 *                         cache; profile errors surface as c-run's own.
 *   child, last steps:    prctl(PR_SET_NO_NEW_PRIVS, 1) when the container
 *                         asks for it (the default); drop capabilities,
 *                         setgroups/setgid/setuid; c_seccomp_load(); execve.
 *   The kernel takes a filter from a task that has no_new_privs set or
 *   holds CAP_SYS_ADMIN (else EACCES).  Without no_new_privs the load must
 *   therefore come before CAP_SYS_ADMIN is dropped, and the calls made
 *   after it (capset, setuid...) must be ones the profile allows.
 *   c_seccomp_load() is one seccomp(2) call on the prepared program; the
 *   object stays the parent's to free (the child execs or exits).
 */

/* lib/ comes before the system's directories on the include path, so
 * <seccomp.h> finds this file: pass it on to libseccomp's (whose SCMP_ARCH_*
 * this API takes).  Outside the guard, because a file in lib/ that includes
 * "seccomp.h" starts include_next at the top of the path, back here. */
#include_next <seccomp.h>

#ifndef C_SECCOMP_H
#define C_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct c_seccomp_opts {
	/* The profile's JSON text, or NULL for the default profile.  For
	 * config.json's linux.seccomp, pass c_json_dump() of that object. */
	const char *profile;
	size_t profile_len;
	const char *source; /* names the profile in errors: "p.json", "config.json" */
	const char *where;  /* the profile's JSON path inside source: "linux.seccomp";
	                       NULL or "" when it is the whole document */
	uint64_t caps;      /* the container's capabilities (bounding set), bit n =
	                       capability n, for includes/excludes.caps */
	uint32_t arch;      /* the target, SCMP_ARCH_* (<seccomp.h>); 0 = this machine's */
	const char *cache_dir; /* created (mode 0700) when missing; NULL: no cache */
	bool uncompacted;      /* libseccomp's program as it is, never cached: for the
	                          test that compares it with the compacted one */
};

struct c_seccomp {
	struct sock_fprog prog; /* what seccomp(2) takes; prog.filter is owned */
	unsigned int flags;     /* SECCOMP_FILTER_FLAG_* from the profile's flags */
	bool cached;            /* read from the cache rather than compiled */
};

/* Compile (or read from the cache) the filter described by opts into *out,
 * which the caller frees with c_seccomp_free(). */
int c_seccomp_prepare(const struct c_seccomp_opts *opts, struct c_seccomp **out, c_err **err);

/* Install the filter on the calling thread: seccomp(SECCOMP_SET_MODE_FILTER,
 * f->flags, &f->prog).  Needs no_new_privs or CAP_SYS_ADMIN (see above);
 * allocates only when it fails. */
int c_seccomp_load(const struct c_seccomp *f, c_err **err);

void c_seccomp_free(struct c_seccomp *f);

/* What profiles may say, as runc's `features` shows it: {"enabled": true,
 * "actions": [...], "operators": [...], "archs": [...]}; NULL when out of
 * memory. */
json_t *c_seccomp_features(void);

#endif
