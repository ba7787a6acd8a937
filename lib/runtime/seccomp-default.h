/* seccomp-default.h — c-run's default seccomp profile, as data.
 *
 * Included by seccomp.c only.  The profile is written in docker's profile
 * format (see seccomp.h) and goes through the same parser as a user's
 * profile; it is docker's default (moby's profiles/seccomp/default.json as of
 * 2026-05: AF_ALG refused, lsm_* behind CAP_SYS_ADMIN), regrouped by what
 * the calls are for.  Its bytes are part of the cache key, so an edit here
 * invalidates every cached filter.
 *
 * The shape of it: anything not named gets EPERM; a plain allow-list of the
 * calls any program may make (names a given architecture lacks are skipped);
 * socket(), personality() and clone() allowed only for some argument values;
 * the calls that need a capability allowed when the container has it; clone3
 * refused with ENOSYS unless the container has CAP_SYS_ADMIN, because its
 * flags sit behind a pointer a filter cannot read, and ENOSYS makes glibc
 * and musl fall back to clone(), whose flags it can. */
#ifndef C_SECCOMP_DEFAULT_H
#define C_SECCOMP_DEFAULT_H

/* A GNU raw string (C, gnu11): the JSON reads as JSON. */
static const char c_seccomp_default_profile[] = R"json({
  "comment": "c-tools default: docker's default seccomp profile",
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [
    { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
    { "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"] },
    { "architecture": "SCMP_ARCH_MIPS64", "subArchitectures": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"] },
    { "architecture": "SCMP_ARCH_MIPS64N32", "subArchitectures": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"] },
    { "architecture": "SCMP_ARCH_MIPSEL64", "subArchitectures": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"] },
    { "architecture": "SCMP_ARCH_MIPSEL64N32", "subArchitectures": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"] },
    { "architecture": "SCMP_ARCH_S390X", "subArchitectures": ["SCMP_ARCH_S390"] },
    { "architecture": "SCMP_ARCH_RISCV64" },
    { "architecture": "SCMP_ARCH_LOONGARCH64" }
  ],
  "syscalls": [
    {
      "comment": "files and directories: open, read, write, metadata, links, sync; 32-bit and time64 variants",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "open", "openat", "openat2", "creat", "close", "close_range",
        "read", "readv", "pread64", "preadv", "preadv2", "readahead",
        "write", "writev", "pwrite64", "pwritev", "pwritev2",
        "lseek", "_llseek", "dup", "dup2", "dup3", "fcntl", "fcntl64", "flock",
        "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat64", "newfstatat",
        "statx", "statfs", "statfs64", "fstatfs", "fstatfs64", "statmount", "listmount",
        "access", "faccessat", "faccessat2", "readlink", "readlinkat",
        "getcwd", "chdir", "fchdir", "getdents", "getdents64",
        "mkdir", "mkdirat", "rmdir", "mknod", "mknodat",
        "link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat",
        "rename", "renameat", "renameat2",
        "chmod", "fchmod", "fchmodat", "fchmodat2", "umask",
        "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32",
        "truncate", "truncate64", "ftruncate", "ftruncate64", "fallocate",
        "fadvise64", "fadvise64_64", "cachestat",
        "utime", "utimes", "futimesat", "utimensat", "utimensat_time64",
        "sync", "syncfs", "fsync", "fdatasync", "sync_file_range",
        "sendfile", "sendfile64", "copy_file_range", "splice", "tee", "vmsplice",
        "name_to_handle_at",
        "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_mark"
      ]
    },
    {
      "comment": "extended attributes",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "getxattr", "lgetxattr", "fgetxattr", "getxattrat",
        "setxattr", "lsetxattr", "fsetxattr", "setxattrat",
        "listxattr", "llistxattr", "flistxattr", "listxattrat",
        "removexattr", "lremovexattr", "fremovexattr", "removexattrat"
      ]
    },
    {
      "comment": "pipes, ioctl, waiting on file descriptors, event and timer descriptors",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "pipe", "pipe2", "ioctl",
        "select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll", "ppoll_time64",
        "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
        "epoll_wait", "epoll_wait_old", "epoll_pwait", "epoll_pwait2",
        "eventfd", "eventfd2", "signalfd", "signalfd4",
        "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64"
      ]
    },
    {
      "comment": "asynchronous I/O (not io_uring, which docker leaves out) and I/O priorities",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "io_setup", "io_destroy", "io_submit", "io_cancel",
        "io_getevents", "io_pgetevents", "io_pgetevents_time64",
        "ioprio_get", "ioprio_set"
      ]
    },
    {
      "comment": "memory",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
        "remap_file_pages", "mlock", "mlock2", "mlockall", "munlock", "munlockall",
        "memfd_create", "memfd_secret", "membarrier", "mseal", "map_shadow_stack",
        "pkey_alloc", "pkey_free", "pkey_mprotect", "process_mrelease"
      ]
    },
    {
      "comment": "processes and threads: life cycle, futexes, limits, scheduling",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "fork", "vfork", "execve", "execveat", "exit", "exit_group",
        "wait4", "waitid", "waitpid", "restart_syscall",
        "getpid", "getppid", "gettid", "getpgid", "getpgrp", "setpgid", "getsid", "setsid",
        "pidfd_open", "pidfd_send_signal",
        "set_tid_address", "set_robust_list", "get_robust_list", "rseq",
        "get_thread_area", "set_thread_area", "prctl", "capget", "capset",
        "futex", "futex_time64", "futex_waitv", "futex_wait", "futex_wake", "futex_requeue",
        "getrlimit", "ugetrlimit", "setrlimit", "prlimit64", "getrusage",
        "getpriority", "setpriority", "getcpu", "sched_yield",
        "sched_getaffinity", "sched_setaffinity", "sched_getattr", "sched_setattr",
        "sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
        "sched_get_priority_max", "sched_get_priority_min",
        "sched_rr_get_interval", "sched_rr_get_interval_time64",
        "uretprobe", "riscv_hwprobe"
      ]
    },
    {
      "comment": "user and group ids",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32",
        "getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups", "getgroups32",
        "setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32", "setregid", "setregid32",
        "setresuid", "setresuid32", "setresgid", "setresgid32",
        "setfsuid", "setfsuid32", "setfsgid", "setfsgid32", "setgroups", "setgroups32"
      ]
    },
    {
      "comment": "signals",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "kill", "tkill", "tgkill", "pause", "alarm", "sigaltstack", "sigprocmask", "sigreturn",
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
        "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo"
      ]
    },
    {
      "comment": "clocks and timers; adjtimex and clock_adjtime only set the clock with CAP_SYS_TIME",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "time", "times", "gettimeofday", "nanosleep",
        "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
        "clock_nanosleep", "clock_nanosleep_time64", "clock_adjtime", "clock_adjtime64", "adjtimex",
        "getitimer", "setitimer",
        "timer_create", "timer_delete", "timer_getoverrun",
        "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64"
      ]
    },
    {
      "comment": "sockets once made; socket() itself is checked by family below",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "socketpair", "socketcall", "bind", "listen", "accept", "accept4", "connect", "shutdown",
        "getsockname", "getpeername", "getsockopt", "setsockopt",
        "send", "sendto", "sendmsg", "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64"
      ]
    },
    {
      "comment": "System V and POSIX IPC",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "ipc", "msgget", "msgctl", "msgsnd", "msgrcv",
        "semget", "semctl", "semop", "semtimedop", "semtimedop_time64",
        "shmget", "shmctl", "shmat", "shmdt",
        "mq_open", "mq_unlink", "mq_getsetattr", "mq_notify",
        "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive", "mq_timedreceive_time64"
      ]
    },
    {
      "comment": "system information, randomness, and confining oneself further",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "uname", "sysinfo", "getrandom",
        "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"
      ]
    },
    {
      "comment": "before 4.8 a tracer could make a tracee skip its seccomp filter",
      "action": "SCMP_ACT_ALLOW",
      "names": ["ptrace", "process_vm_readv", "process_vm_writev"],
      "includes": { "minKernel": "4.8" }
    },
    {
      "comment": "socket(): every family below AF_ALG (38), the kernel's crypto API",
      "action": "SCMP_ACT_ALLOW",
      "names": ["socket"],
      "args": [{ "index": 0, "op": "SCMP_CMP_LT", "value": 38 }]
    },
    {
      "comment": "socket(): AF_NFC (39), between AF_ALG and AF_VSOCK",
      "action": "SCMP_ACT_ALLOW",
      "names": ["socket"],
      "args": [{ "index": 0, "op": "SCMP_CMP_EQ", "value": 39 }]
    },
    {
      "comment": "socket(): every family above AF_VSOCK (40), which reaches the host",
      "action": "SCMP_ACT_ALLOW",
      "names": ["socket"],
      "args": [{ "index": 0, "op": "SCMP_CMP_GT", "value": 40 }]
    },
    {
      "comment": "personality(): PER_LINUX",
      "action": "SCMP_ACT_ALLOW",
      "names": ["personality"],
      "args": [{ "index": 0, "op": "SCMP_CMP_EQ", "value": 0 }]
    },
    {
      "comment": "personality(): UNAME26",
      "action": "SCMP_ACT_ALLOW",
      "names": ["personality"],
      "args": [{ "index": 0, "op": "SCMP_CMP_EQ", "value": 8 }]
    },
    {
      "comment": "personality(): PER_LINUX32",
      "action": "SCMP_ACT_ALLOW",
      "names": ["personality"],
      "args": [{ "index": 0, "op": "SCMP_CMP_EQ", "value": 131072 }]
    },
    {
      "comment": "personality(): PER_LINUX32 | UNAME26",
      "action": "SCMP_ACT_ALLOW",
      "names": ["personality"],
      "args": [{ "index": 0, "op": "SCMP_CMP_EQ", "value": 131080 }]
    },
    {
      "comment": "personality(): 0xffffffff only queries",
      "action": "SCMP_ACT_ALLOW",
      "names": ["personality"],
      "args": [{ "index": 0, "op": "SCMP_CMP_EQ", "value": 4294967295 }]
    },
    {
      "comment": "architecture helpers: x86",
      "action": "SCMP_ACT_ALLOW",
      "names": ["arch_prctl"],
      "includes": { "arches": ["amd64", "x32"] }
    },
    {
      "comment": "architecture helpers: x86, 32-bit too",
      "action": "SCMP_ACT_ALLOW",
      "names": ["modify_ldt"],
      "includes": { "arches": ["amd64", "x32", "x86"] }
    },
    {
      "comment": "architecture helpers: arm",
      "action": "SCMP_ACT_ALLOW",
      "names": ["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"],
      "includes": { "arches": ["arm", "arm64"] }
    },
    {
      "comment": "architecture helpers: powerpc",
      "action": "SCMP_ACT_ALLOW",
      "names": ["sync_file_range2", "swapcontext"],
      "includes": { "arches": ["ppc64le"] }
    },
    {
      "comment": "architecture helpers: s390",
      "action": "SCMP_ACT_ALLOW",
      "names": ["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"],
      "includes": { "arches": ["s390", "s390x"] }
    },
    {
      "comment": "architecture helpers: riscv",
      "action": "SCMP_ACT_ALLOW",
      "names": ["riscv_flush_icache"],
      "includes": { "arches": ["riscv64"] }
    },
    {
      "comment": "CAP_SYS_ADMIN: mounts, namespaces, host names, quotas, BPF, perf, LSM attributes",
      "action": "SCMP_ACT_ALLOW",
      "names": [
        "mount", "umount", "umount2", "mount_setattr", "move_mount", "open_tree",
        "fsopen", "fsconfig", "fsmount", "fspick",
        "unshare", "setns", "clone", "clone3",
        "sethostname", "setdomainname", "quotactl", "quotactl_fd",
        "bpf", "perf_event_open", "fanotify_init", "lookup_dcookie", "syslog",
        "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules"
      ],
      "includes": { "caps": ["CAP_SYS_ADMIN"] }
    },
    {
      "comment": "without CAP_SYS_ADMIN, clone() only when it makes no namespace (flags & 0x7e020000 == 0)",
      "action": "SCMP_ACT_ALLOW",
      "names": ["clone"],
      "args": [{ "index": 0, "op": "SCMP_CMP_MASKED_EQ", "value": 2114060288, "valueTwo": 0 }],
      "excludes": { "caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"] }
    },
    {
      "comment": "the same on s390, where the flags are clone's second argument",
      "action": "SCMP_ACT_ALLOW",
      "names": ["clone"],
      "args": [{ "index": 1, "op": "SCMP_CMP_MASKED_EQ", "value": 2114060288, "valueTwo": 0 }],
      "includes": { "arches": ["s390", "s390x"] },
      "excludes": { "caps": ["CAP_SYS_ADMIN"] }
    },
    {
      "comment": "without CAP_SYS_ADMIN, clone3 says ENOSYS so that libcs fall back to clone",
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": 38,
      "names": ["clone3"],
      "excludes": { "caps": ["CAP_SYS_ADMIN"] }
    },
    {
      "comment": "CAP_DAC_READ_SEARCH",
      "action": "SCMP_ACT_ALLOW",
      "names": ["open_by_handle_at"],
      "includes": { "caps": ["CAP_DAC_READ_SEARCH"] }
    },
    {
      "comment": "CAP_SYS_BOOT",
      "action": "SCMP_ACT_ALLOW",
      "names": ["reboot"],
      "includes": { "caps": ["CAP_SYS_BOOT"] }
    },
    {
      "comment": "CAP_SYS_CHROOT",
      "action": "SCMP_ACT_ALLOW",
      "names": ["chroot"],
      "includes": { "caps": ["CAP_SYS_CHROOT"] }
    },
    {
      "comment": "CAP_SYS_MODULE",
      "action": "SCMP_ACT_ALLOW",
      "names": ["init_module", "finit_module", "delete_module"],
      "includes": { "caps": ["CAP_SYS_MODULE"] }
    },
    {
      "comment": "CAP_SYS_PACCT",
      "action": "SCMP_ACT_ALLOW",
      "names": ["acct"],
      "includes": { "caps": ["CAP_SYS_PACCT"] }
    },
    {
      "comment": "CAP_SYS_PTRACE, on any kernel",
      "action": "SCMP_ACT_ALLOW",
      "names": ["ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp", "pidfd_getfd"],
      "includes": { "caps": ["CAP_SYS_PTRACE"] }
    },
    {
      "comment": "CAP_SYS_RAWIO",
      "action": "SCMP_ACT_ALLOW",
      "names": ["iopl", "ioperm"],
      "includes": { "caps": ["CAP_SYS_RAWIO"] }
    },
    {
      "comment": "CAP_SYS_TIME",
      "action": "SCMP_ACT_ALLOW",
      "names": ["settimeofday", "stime", "clock_settime", "clock_settime64"],
      "includes": { "caps": ["CAP_SYS_TIME"] }
    },
    {
      "comment": "CAP_SYS_TTY_CONFIG",
      "action": "SCMP_ACT_ALLOW",
      "names": ["vhangup"],
      "includes": { "caps": ["CAP_SYS_TTY_CONFIG"] }
    },
    {
      "comment": "CAP_SYS_NICE: NUMA memory policies",
      "action": "SCMP_ACT_ALLOW",
      "names": ["get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "mbind"],
      "includes": { "caps": ["CAP_SYS_NICE"] }
    },
    {
      "comment": "CAP_SYSLOG",
      "action": "SCMP_ACT_ALLOW",
      "names": ["syslog"],
      "includes": { "caps": ["CAP_SYSLOG"] }
    },
    {
      "comment": "CAP_BPF",
      "action": "SCMP_ACT_ALLOW",
      "names": ["bpf"],
      "includes": { "caps": ["CAP_BPF"] }
    },
    {
      "comment": "CAP_PERFMON",
      "action": "SCMP_ACT_ALLOW",
      "names": ["perf_event_open"],
      "includes": { "caps": ["CAP_PERFMON"] }
    }
  ]
})json";

#endif
