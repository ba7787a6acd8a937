/* cgroup.h — the cgroup of a container: made with the OCI linux.resources
 * applied, processes moved in, OOM kills counted, everything in it killed,
 * and removed again.  For c-run (create, delete, kill --all) and c-attach
 * --exec (join).
 *
 * Layouts, told apart by /proc/self/mountinfo:
 *   v1      each controller we use — cpu, cpuacct, cpuset, memory, pids,
 *           devices, freezer — in a "cgroup" mount of its own or co-mounted
 *           ("cpu,cpuacct"); a controller that is not mounted is left out.
 *   hybrid  v1 as above plus systemd's cgroup2 mount (/sys/fs/cgroup/unified)
 *           holding none of our controllers: used as v1.  Neither that
 *           hierarchy nor name=systemd holds a limit we apply, so we make no
 *           directory there and the container stays in its runtime's cgroup
 *           in them, as a process started from a shell would.
 *   v2      no controller of ours mounted as v1, and a cgroup2 mount: one
 *           directory, with cpuset, cpu, memory and pids (those the mount's
 *           cgroup.controllers lists) enabled in every ancestor's
 *           cgroup.subtree_control.
 *
 * Paths are OCI linux.cgroupsPath values.  "/c-tools/ID" is taken from each
 * hierarchy's mount point, as the spec says (in a container whose mount shows
 * a cgroup below the root, from there); "c-tools/ID" from the calling
 * process's own cgroup in each hierarchy (as runc does), so a relative path
 * names the same cgroup only for callers in the same cgroup: c-run should
 * keep absolute ones.  On v2 a controller can be enabled only in an
 * ancestor that holds no process (the kernel's no-internal-process rule):
 * where one does (a path below the runtime's own cgroup; a runtime in a
 * container, whose cgroup namespace's root holds its init), the cgroup is
 * made with no controller when the resources need none, as runc does, and
 * fails with EBUSY when they need one.  A controller refused otherwise is
 * left out when not needed.
 * Refused (C_EXIT_DATA): "", "/", "." and ".." components, and systemd's
 * "slice:prefix:name".  Directories are made as needed and an existing one
 * is joined, as the spec says; the ones made by this handle are recorded.
 *
 * linux.resources (NULL or JSON null for none; a null member is absent, and
 * 0 means unset for sizes, shares, quota and period, as runc reads them):
 *
 *   field                    v1 file                       v2 file
 *   memory.limit             memory.limit_in_bytes         memory.max
 *   memory.reservation       memory.soft_limit_in_bytes    memory.low
 *   memory.swap              memory.memsw.limit_in_bytes   memory.swap.max = swap - limit
 *   memory.disableOOMKiller  memory.oom_control "1"        (none: an error)
 *   cpu.shares               cpu.shares                    cpu.weight, converted
 *   cpu.period, cpu.quota    cpu.cfs_period_us, ..quota_us cpu.max "QUOTA PERIOD"
 *   cpu.cpus, cpu.mems       cpuset.cpus, cpuset.mems      cpuset.cpus, cpuset.mems
 *   memory.kernel            memory.kmem.limit_in_bytes    (none: an error)
 *   memory.kernelTCP         memory.kmem.tcp.limit_in_bytes (none: an error)
 *   memory.swappiness        memory.swappiness             (none: an error)
 *   pids.limit               pids.max                      pids.max
 *   devices                  devices.deny, devices.allow   a BPF device program
 *
 * Sizes are bytes, -1 for unlimited ("max" on v2).  memory.swap is memory +
 * swap, as the spec has it: it needs a limit and must not be below it.  On v2
 * a quota of -1 is "max", and the period 100000 when unset; a pids limit of 0
 * or less is "max".  cpu.weight comes from the shares as runc >= 1.3.2 and
 * crun >= 1.23 make it: shares clamped to [2, 262144], L = log2(shares),
 * weight = ceil(10^((L² + 125 L) / 612 − 7/34)), so that 2 → 1, the defaults
 * 1024 → 100, and 262144 → 10000.  Devices: "a" denied first, the spec's
 * rules in order, then c-run's defaults, as docker allows them (lib/devices.h:
 * mknod of any device, and null, zero, full, random, urandom, tty, console,
 * ptmx and the ptys).  They come last so that a spec starting with docker's
 * "deny all" cannot take them away, and they are applied with no devices
 * list too.  On v1 the rules go to devices.deny and devices.allow; on v2 the
 * BPF program of lib/devices.h, made from what v1 would keep of the same
 * rules, is attached to the cgroup before the container's process joins it.  Not
 * supported, and so an error naming the field when they ask for anything,
 * as the runtime spec wants of what a runtime cannot apply: blockIO,
 * hugepageLimits, network, rdma, unified, cpu.realtime*, cpu.burst,
 * cpu.idle.
 *
 * Nothing asked for is skipped.  What the layout or the kernel cannot apply
 * is an error naming the field, found before anything is made where it can
 * be: device rules with no v1 devices controller mounted (unless they allow
 * every device), a BPF program the kernel does not load or attach (no cgroup
 * BPF, no CAP_SYS_ADMIN), a swap limit without swap accounting, and on v2
 * disableOOMKiller, swappiness and the kernel memory limits, which v2 does
 * not have:
 *     apply linux.resources.memory.disableOOMKiller: cgroup v2 has no switch to disable the OOM killer
 *
 * Bad values are C_EXIT_DATA errors naming the field, found before anything
 * is made:
 *     field linux.resources.memory.swap: 1048576: below memory.limit 4194304
 * as is a missing controller that a value needs (C_EXIT_FAIL).  What the
 * kernel refuses names the file and the value:
 *     write /sys/fs/cgroup/memory/c-tools/x/memory.limit_in_bytes: "1": Device or resource busy
 * Pairs the kernel checks against each other (memory and memory+swap limits,
 * CFS period and quota) are written the other way round when the first write
 * is refused with EINVAL.  On v1 every cpuset directory on the path gets its
 * parent's cpuset.cpus and cpuset.mems when it has none (a new one starts
 * empty and refuses every process).
 *
 * Failure leaves nothing behind: c_cgroup_create() removes the directories it
 * made when it fails, and c_cgroup_destroy() goes on through every hierarchy
 * after an error.
 */
#ifndef C_CGROUP_H
#define C_CGROUP_H

#include <jansson.h>
#include <sys/types.h>

#include "err.h"

enum c_cgroup_version {
	C_CGROUP_V1 = 1,
	C_CGROUP_V2 = 2,
};

struct c_cgroup;

/* The layout of this machine: v1 (also for hybrid) or v2, as above. */
int c_cgroup_detect(enum c_cgroup_version *out, c_err **err);

/* Make (or join) the cgroup at path in every hierarchy and apply resources
 * (linux.resources) to it. */
struct c_cgroup *c_cgroup_create(const char *path, json_t *resources, c_err **err);

/* c_cgroup_create() in two steps: c_cgroup_plan() checks resources and
 * finds where path lives in each hierarchy, making nothing (so that the
 * layout, c_cgroup_version(), is known before anything is started);
 * c_cgroup_make() makes the directories and applies the resources, and
 * on failure removes what it made.  resources must outlive the handle. */
struct c_cgroup *c_cgroup_plan(const char *path, json_t *resources, c_err **err);
int c_cgroup_make(struct c_cgroup *cg, c_err **err);

/* The existing cgroup at path, made earlier by another process, for
 * c_cgroup_kill() and c_cgroup_destroy(); hierarchies where it is missing are
 * left out, and it is C_EXIT_NOTFOUND when it is missing everywhere.  Only
 * the leaf directory counts as made by this handle: shared parents such as
 * /c-tools stay. */
struct c_cgroup *c_cgroup_open(const char *path, c_err **err);

/* The cgroup's directory for a controller ("memory", "cpu", ...), NULL when
 * that controller is not in use; on v2 the one directory for any name. */
const char *c_cgroup_dir(const struct c_cgroup *cg, const char *controller);

enum c_cgroup_version c_cgroup_version(const struct c_cgroup *cg);

/* Move pid (all its threads), 0 for the caller, into the cgroup: its
 * cgroup.procs in every hierarchy. */
int c_cgroup_enter(const struct c_cgroup *cg, pid_t pid, c_err **err);

/* Move the calling thread into the cgroup: on v1 "0" to each hierarchy's
 * tasks file, which the kernel (6.0 and later; older ones wait as for
 * cgroup.procs) does without waiting for an RCU grace period, as it must
 * for cgroup.procs (several milliseconds); a single-threaded caller, such
 * as a child between fork and exec, moves whole.  On v2 "0" to cgroup.procs, the caller's process.  c-run's
 * container process moves itself in before it sets itself up, so that
 * nothing of the runtime's is counted against the container's limits
 * (pids.max 1 still runs a command). */
int c_cgroup_enter_self(const struct c_cgroup *cg, c_err **err);

/* c_cgroup_enter_self() in two steps, for a process that cannot reach the
 * cgroup's paths, or that is started before the cgroup is made: the parent
 * opens for writing the files through which a process moves itself in (v1
 * each hierarchy's tasks, v2 cgroup.procs), into fds (*n of them, each
 * O_CLOEXEC), and hands them over; the process writes "0" to each.  c-run's
 * container process, cloned before its cgroup is made, joins this way once
 * in its own mount namespace. */
#define C_CGROUP_FILES_MAX 8
int c_cgroup_open_enter(const struct c_cgroup *cg, int fds[C_CGROUP_FILES_MAX], size_t *n,
			c_err **err);
int c_cgroup_enter_fds(const int *fds, size_t n, c_err **err);

/* Move pid (0: the caller) into the cgroups of process target, read from
 * /proc/TARGET/cgroup, in each hierarchy we use (for exec in a container). */
int c_cgroup_join(pid_t target, pid_t pid, c_err **err);

/* How many processes the OOM killer has killed in the cgroup (v1
 * memory.oom_control, v2 memory.events "oom_kill"), so that an exit by
 * SIGKILL can be reported as OOM-killed. */
int c_cgroup_oom_kills(const struct c_cgroup *cg, unsigned long long *count, c_err **err);

/* Send signo to every process in the cgroup and the cgroups below it.  v2
 * with SIGKILL writes cgroup.kill where the kernel has it (5.14); otherwise
 * cgroup.procs is read and signalled until a pass finds no new process (100
 * passes at most), with the v1 freezer, when mounted, holding them still
 * meanwhile so that none can fork away; a cgroup found empty at a first look
 * is left alone (not frozen).  Returns once signalled, not once dead. */
int c_cgroup_kill(const struct c_cgroup *cg, int signo, c_err **err);

/* Remove the cgroup, every cgroup below it, and the parents this handle
 * made, deepest first.  rmdir is retried for about two seconds on EBUSY
 * while the last processes exit; a parent still in use by another cgroup
 * stays.  Does not kill: the cgroup must be empty (see c_cgroup_kill). */
int c_cgroup_destroy(struct c_cgroup *cg, c_err **err);

/* Remove the cgroup, killing what is left in it: one rmdir per hierarchy
 * where it is empty, as a container's is once its pid 1 has been reaped;
 * c_cgroup_kill(SIGKILL) and c_cgroup_destroy() for the hierarchies where
 * the rmdir is refused (EBUSY: processes, or cgroups below it).  The
 * hierarchies it is gone from are left out of the handle. */
int c_cgroup_remove(struct c_cgroup *cg, c_err **err);

void c_cgroup_free(struct c_cgroup *cg);

/* Test hook: non-NULL reads self/mountinfo, self/cgroup and PID/cgroup under
 * proc_root (kept, not copied) instead of /proc, and creates the control files
 * a write does not find, so that tests/unit/test-cgroup.c runs the v2 and
 * hybrid code on a fake tree of plain files, its mount points inside the
 * tree.  NULL restores.  Nothing else calls it. */
void c_cgroup_test_proc_root(const char *proc_root);

#endif
