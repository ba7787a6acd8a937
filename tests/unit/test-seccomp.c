/* lib/seccomp: docker's default profile, profiles in docker's and the OCI
 * format, selection by capabilities, and the BPF cache.
 *
 * A filter cannot be taken off, so each check runs in a forked child that
 * sets no_new_privs and loads the filter as c-run's container process does,
 * makes one system call and exits with its errno (0 for success).  The same
 * call made without a filter shows that the filter, not the kernel, gave the
 * answer.  Cache files go to a fresh mkdtemp directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "json.h"
#include "seccomp.h"
#include "tap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(c) (UINT64_C(1) << (c))
#define X32(nr) (0x40000000 | (nr))

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* docker's default capabilities (the set c-unpack's config.json carries). */
static const uint64_t docker_caps =
	BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FSETID) | BIT(CAP_FOWNER) |
	BIT(CAP_MKNOD) | BIT(CAP_NET_RAW) | BIT(CAP_SETGID) | BIT(CAP_SETUID) |
	BIT(CAP_SETFCAP) | BIT(CAP_SETPCAP) | BIT(CAP_NET_BIND_SERVICE) |
	BIT(CAP_SYS_CHROOT) | BIT(CAP_KILL) | BIT(CAP_AUDIT_WRITE);

static char top[] = "/tmp/c-tools-seccomp-XXXXXX";
static long next_nr; /* the first syscall number libseccomp does not know */

static const char *at(const char *rel)
{
	return tap_at(top, rel);
}

/* --- running a check under a filter ------------------------------------------- */

enum { LOAD_FAILED = 200, SIGNALLED = 256 };

/* Fork; the child sets no_new_privs (when nnp), loads f (when not NULL) and
 * exits with check()'s result.  Returns that, LOAD_FAILED + errno % 50 when
 * the load failed, or SIGNALLED + the signal that killed it. */
static int run(const struct c_seccomp *f, bool nnp, int (*check)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		c_err *e = NULL;

		if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(LOAD_FAILED);
		if (f && c_seccomp_load(f, &e) < 0)
			_exit(LOAD_FAILED + e->errnum % 50);
		_exit(check());
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFSIGNALED(status))
		return SIGNALLED + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int under(const struct c_seccomp *f, int (*check)(void))
{
	return run(f, true, check);
}

static int bare(int (*check)(void))
{
	return run(NULL, false, check);
}

/* The errno of a call that returned r. */
static int err_of(long r)
{
	return r < 0 ? errno : 0;
}

/* --- the checks ------------------------------------------------------------------ */

static int status_line(const char *want)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

	if (n < 0)
		return errno;
	buf[n] = '\0';
	return strstr(buf, want) ? 0 : 1;
}

static int c_status(void)
{
	return status_line("\nSeccomp:\t2\n") || status_line("\nNoNewPrivs:\t1\n");
}

static int c_getpid(void)
{
	return syscall(SYS_getpid) == getpid() && getpid() > 1 ? 0 : 1;
}

static int c_mount(void)
{
	return err_of(mount(NULL, "/nonexistent-c-tools-seccomp", NULL, MS_REMOUNT, NULL));
}

static int c_keyctl(void)
{
	return err_of(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
}

static int c_keyctl_x32(void)
{
	return err_of(syscall(X32(SYS_keyctl), KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
}

static int c_unshare_user(void)
{
	return err_of(unshare(CLONE_NEWUSER));
}

static int c_unshare_uts(void)
{
	if (unshare(CLONE_NEWUTS) < 0)
		return errno;
	return err_of(sethostname("c-tools-seccomp", 15));
}

static int c_clone3(void)
{
	return err_of(syscall(SYS_clone3, NULL, 0));
}

static int c_1000(void)
{
	return err_of(syscall(1000, 0, 0, 0, 0));
}

static int c_1000_x32(void)
{
	return err_of(syscall(X32(1000), 0, 0, 0, 0));
}

/* The first number past libseccomp's table: a real syscall on a new kernel
 * (statmount on 6.8+), called with arguments it refuses. */
static int c_next(void)
{
	return err_of(syscall(next_nr, 0, 0, 0, 0));
}

static int c_vsock(void)
{
	return err_of(socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

static int c_unix(void)
{
	return err_of(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

static int c_personality_query(void)
{
	return err_of(personality(0xffffffff));
}

static int c_personality_bsd(void)
{
	return err_of(personality(PER_BSD));
}

/* clone() with flags, the child exiting at once. */
static int clone_with(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		syscall(SYS_exit, 0);
	if (pid < 0)
		return errno;
	return waitpid((pid_t)pid, NULL, 0) == pid ? 0 : 1;
}

static int c_clone_plain(void)
{
	return clone_with(0);
}

static int c_clone_newuts(void)
{
	return clone_with(CLONE_NEWUTS);
}

static int c_chroot(void)
{
	return err_of(chroot("/"));
}

static int c_mkdirat(void)
{
	int r = err_of(mkdirat(AT_FDCWD, at("made"), 0755));
	struct stat st;

	/* The effect, not only the answer: no directory. */
	if (r != EPERM || stat(at("made"), &st) == 0)
		return 99;
	return r;
}

static int c_mkdir(void)
{
	return err_of(mkdir(at("made2"), 0755));
}

static int c_chdir(void)
{
	return err_of(chdir("/"));
}

static int c_getcwd(void)
{
	char buf[256];

	return getcwd(buf, sizeof buf) ? 0 : errno;
}

static int c_umask(void)
{
	umask(022);
	return 0;
}

static int c_sched_yield(void)
{
	return err_of(sched_yield());
}

static int c_getpgrp(void)
{
	return err_of(syscall(SYS_getpgrp));
}

static int c_uname(void)
{
	return err_of(syscall(SYS_uname, NULL));
}

static int c_prio_process(void)
{
	errno = 0;
	getpriority(PRIO_PROCESS, 0);
	return errno;
}

static int c_prio_pgrp(void)
{
	errno = 0;
	getpriority(PRIO_PGRP, 0);
	return errno;
}

static int c_kill_0(void)
{
	return err_of(kill(getpid(), 0));
}

static int c_kill_usr1(void)
{
	signal(SIGUSR1, SIG_IGN);
	return err_of(kill(getpid(), SIGUSR1));
}

static int c_kill_usr2(void)
{
	signal(SIGUSR2, SIG_IGN);
	return err_of(kill(getpid(), SIGUSR2));
}

/* --- helpers ---------------------------------------------------------------------- */

static struct c_seccomp *prepare(const char *profile, const char *where, uint64_t caps,
				 const char *cache, c_err **e)
{
	struct c_seccomp_opts o = {
		.profile = profile,
		.profile_len = profile ? strlen(profile) : 0,
		.source = where ? "config.json" : "p.json",
		.where = where,
		.caps = caps,
		.cache_dir = cache,
	};
	struct c_seccomp *f = NULL;

	if (c_seccomp_prepare(&o, &f, e) < 0)
		return NULL;
	return f;
}

static struct c_seccomp *must(const char *what, const char *profile, uint64_t caps,
			      const char *cache)
{
	c_err *e = NULL;
	struct c_seccomp *f = prepare(profile, NULL, caps, cache, &e);

	if (!f) {
		char *line = c_err_line(e);

		printf("Bail out! %s: %s\n", what, line);
		exit(1);
	}
	return f;
}

static bool same_program(const struct c_seccomp *a, const struct c_seccomp *b)
{
	return a->prog.len == b->prog.len && a->flags == b->flags &&
	       !memcmp(a->prog.filter, b->prog.filter, a->prog.len * sizeof *a->prog.filter);
}

/* The highest number libseccomp knows on this machine, plus one. */
static long first_unknown(void)
{
	long nr = 0;

	for (long i = 0; i < 1000; i++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)i);

		if (name)
			nr = i + 1;
		free(name);
	}
	return nr;
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* --- the default profile ------------------------------------------------------------ */

static void test_default(void)
{
	struct c_seccomp *f = must("default profile", NULL, docker_caps, NULL);
	struct c_seccomp *admin = must("default + CAP_SYS_ADMIN", NULL,
				       docker_caps | BIT(CAP_SYS_ADMIN), NULL);
	struct c_seccomp *nochroot = must("default - CAP_SYS_CHROOT", NULL,
					  docker_caps & ~BIT(CAP_SYS_CHROOT), NULL);
	int r;

	tap_diag("default profile, docker's caps: %u BPF instructions", f->prog.len);
	ok(f->flags == 0 && !f->cached, "default profile compiled, no flags");
	ok(under(f, c_status) == 0, "/proc/self/status: Seccomp:\t2 and NoNewPrivs:\t1");
	ok(under(f, c_getpid) == 0, "getpid works");
	ok(under(f, c_unix) == 0, "socket(AF_UNIX) works");
	ok(under(f, c_personality_query) == 0, "personality(0xffffffff) works");
	ok(under(f, c_clone_plain) == 0, "clone without namespace flags works");
	ok(under(f, c_chroot) == 0, "chroot works with CAP_SYS_CHROOT (in docker's set)");

	ok(bare(c_mount) == ENOENT && under(f, c_mount) == EPERM,
	   "mount: EPERM (ENOENT without the filter)");
	r = bare(c_keyctl);
	ok(r != EPERM && under(f, c_keyctl) == EPERM, "keyctl: EPERM (%s without the filter)",
	   r ? strerror(r) : "works");
	ok(bare(c_unshare_user) == 0 && under(f, c_unshare_user) == EPERM,
	   "unshare(CLONE_NEWUSER) without CAP_SYS_ADMIN: EPERM (works without the filter)");
	ok(under(f, c_unshare_uts) == EPERM, "unshare(CLONE_NEWUTS) without CAP_SYS_ADMIN: EPERM");
	ok(under(f, c_clone_newuts) == EPERM, "clone(CLONE_NEWUTS) without CAP_SYS_ADMIN: EPERM");
	r = bare(c_vsock);
	ok(under(f, c_vsock) == EPERM, "socket(AF_VSOCK): EPERM (%s without the filter)",
	   r ? strerror(r) : "works");
	ok(under(f, c_personality_bsd) == EPERM, "personality(PER_BSD): EPERM");
	ok(under(nochroot, c_chroot) == EPERM, "chroot without CAP_SYS_CHROOT: EPERM");

	ok(bare(c_clone3) == EINVAL && under(f, c_clone3) == ENOSYS,
	   "clone3: ENOSYS, so libcs fall back to clone (EINVAL without the filter)");
	ok(under(f, c_1000) == ENOSYS, "syscall 1000: ENOSYS");
	r = bare(c_next);
	ok(under(f, c_next) == ENOSYS,
	   "syscall %ld, past the profile's known ones: ENOSYS (%s without the filter)", next_nr,
	   r ? strerror(r) : "works");
	ok(under(f, c_keyctl_x32) == EPERM, "x32 keyctl: EPERM (the x32 path reaches the filter)");
	ok(under(f, c_1000_x32) == ENOSYS, "x32 syscall 1000: ENOSYS");

	ok(under(admin, c_unshare_uts) == 0,
	   "with CAP_SYS_ADMIN in the mask: unshare(CLONE_NEWUTS) and sethostname work");
	ok(under(admin, c_mount) == ENOENT, "with CAP_SYS_ADMIN: mount reaches the kernel");
	ok(under(admin, c_clone3) == EINVAL, "with CAP_SYS_ADMIN: clone3 reaches the kernel");
	ok(!same_program(f, admin), "the capability mask changes the program");
	c_seccomp_free(nochroot);
	c_seccomp_free(admin);
	c_seccomp_free(f);
}

/* --- the compacted program against libseccomp's -------------------------------- */

#define NOT_RUN UINT64_MAX /* an instruction the interpreter does not know, or no RET */

/* What the kernel's classic BPF would return for d: the instructions
 * libseccomp and compact() write. */
static uint64_t interpret(const struct sock_fprog *p, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };

	for (size_t pc = 0; pc < p->len; pc++) {
		const struct sock_filter *s = &p->filter[pc];

		switch (s->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (s->k % 4 || s->k > sizeof *d - 4)
				return NOT_RUN;
			memcpy(&a, (const char *)d + s->k, 4);
			break;
		case BPF_LD | BPF_MEM: a = mem[s->k % BPF_MEMWORDS]; break;
		case BPF_LDX | BPF_MEM: x = mem[s->k % BPF_MEMWORDS]; break;
		case BPF_ST: mem[s->k % BPF_MEMWORDS] = a; break;
		case BPF_STX: mem[s->k % BPF_MEMWORDS] = x; break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_ALU | BPF_AND | BPF_K: a &= s->k; break;
		case BPF_ALU | BPF_OR | BPF_K: a |= s->k; break;
		case BPF_JMP | BPF_JA: pc += s->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == s->k ? s->jt : s->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += a > s->k ? s->jt : s->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += a >= s->k ? s->jt : s->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (a & s->k) ? s->jt : s->jf; break;
		case BPF_RET | BPF_K: return s->k;
		default: return NOT_RUN;
		}
	}
	return NOT_RUN;
}

/* Every syscall number to 1100 and around the edges, native, x32 and
 * i386, and for another architecture, with argument values the default
 * profile tells apart: the two programs answer each the same. */
static void compare_programs(const char *what, const char *profile, uint64_t caps, bool large)
{
	static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386,
					   AUDIT_ARCH_AARCH64 };
	static const uint64_t args[] = { 0, 0xffffffff, CLONE_NEWUTS, CLONE_NEWUSER | SIGCHLD,
					 AF_VSOCK, PER_BSD, 0xffffffff00000000ULL };
	static const uint32_t edges[] = { 0x3fffffff, 0x7fffffff, 0x80000000, 0xfffffffe,
					  0xffffffff };
	struct c_seccomp_opts o = { .profile = profile, .profile_len = profile ? strlen(profile) : 0,
				    .source = "p.json", .caps = caps };
	struct c_seccomp *raw = NULL, *compacted = NULL;
	size_t inputs = 0, differ = 0, unknown = 0;
	c_err *e = NULL;

	if (c_seccomp_prepare(&o, &compacted, &e) < 0 ||
	    (o.uncompacted = true, c_seccomp_prepare(&o, &raw, &e) < 0)) {
		char *line = c_err_line(e);

		ok(false, "%s: prepare: %s", what, line);
		free(line);
		c_err_free(&e);
		c_seccomp_free(compacted);
		return;
	}
	for (size_t a = 0; a < ARRAY_SIZE(arches); a++)
		for (uint32_t i = 0; i < 2 * 1101 + ARRAY_SIZE(edges); i++)
			for (size_t v = 0; v < ARRAY_SIZE(args); v++) {
				struct seccomp_data d = { .arch = arches[a] };
				uint64_t want, got;

				d.nr = (int)(i < 1101	       ? i
					     : i < 2 * 1101 ? X32(i - 1101)
							    : edges[i - 2 * 1101]);
				for (size_t k = 0; k < 6; k++)
					d.args[k] = args[v];
				want = interpret(&raw->prog, &d);
				got = interpret(&compacted->prog, &d);
				inputs++;
				differ += want != got;
				unknown += want == NOT_RUN || got == NOT_RUN;
			}
	tap_diag("%s: %u instructions compacted, %u as libseccomp wrote them", what,
		 compacted->prog.len, raw->prog.len);
	ok(differ == 0 && unknown == 0,
	   "%s: the compacted program answers %zu inputs as libseccomp's (%zu differ, %zu not run)",
	   what, inputs, differ, unknown);
	if (large)
		ok(compacted->prog.len * 3 < raw->prog.len,
		   "%s: compacted to under a third (%u of %u)", what, compacted->prog.len,
		   raw->prog.len);
	c_seccomp_free(raw);
	c_seccomp_free(compacted);
}

static void test_compacted(void)
{
	compare_programs("default profile", NULL, docker_caps, true);
	compare_programs("default profile, all capabilities", NULL, ~UINT64_C(0), true);
	compare_programs("an allow-all profile with holes",
			 "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			 "{\"names\": [\"mount\", \"umount2\", \"reboot\"], "
			 "\"action\": \"SCMP_ACT_ERRNO\"},"
			 "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\","
			 " \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]}]}",
			 docker_caps, false);
}

/* A filter for another architecture kills this one's syscalls (libseccomp's
 * bad-architecture action): the target decides what the filter covers. */
static void test_arch(void)
{
	struct c_seccomp_opts o = { .caps = docker_caps, .arch = SCMP_ARCH_X86 };
	struct c_seccomp *f = NULL;
	c_err *e = NULL;

	if (!ok(c_seccomp_prepare(&o, &f, &e) == 0, "default profile compiled for x86")) {
		tap_err_has(&e, "");
		return;
	}
	ok(under(f, c_getpid) == SIGNALLED + SIGSYS,
	   "a filter made for x86 only kills an x86_64 getpid with SIGSYS");
	c_seccomp_free(f);
}

/* Without no_new_privs the kernel wants CAP_SYS_ADMIN, as the header says. */
static int c_load_without_nnp(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return 1;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &h, d) < 0)
		return 2;
	return 0;
}

static void test_load_order(void)
{
	struct c_seccomp *f = must("default profile", NULL, docker_caps, NULL);
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		c_err *e = NULL;

		if (c_load_without_nnp())
			_exit(1);
		if (c_seccomp_load(f, &e) == 0)
			_exit(2);
		_exit(e->errnum == EACCES && tap_err_has(&e, "no_new_privs") ? 0 : 3);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "without no_new_privs or CAP_SYS_ADMIN the load fails with EACCES, saying why");
	c_seccomp_free(f);
}

/* --- profiles of one's own ------------------------------------------------------------ */

static const char docker_profile[] =
	"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	"{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
	"{\"name\":\"chdir\",\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":71,\"comment\":\"x\"},"
	"{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\","
	"\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}},"
	"{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"minKernel\":\"99.0\"}},"
	"{\"names\":[\"sched_yield\"],\"action\":\"SCMP_ACT_ERRNO\","
	"\"excludes\":{\"minKernel\":\"99.0\",\"caps\":[\"CAP_NO_SUCH\"],\"arches\":[\"s390x\"]}},"
	"{\"names\":[\"no_such_syscall_c_tools\",\"getpgrp\"],\"action\":\"SCMP_ACT_ERRNO\","
	"\"errnoRet\":95,\"args\":null}]}";

static void test_docker_format(void)
{
	struct c_seccomp *f = must("docker-format profile", docker_profile, 0, NULL);

	ok(under(f, c_mkdirat) == EPERM, "mkdirat denied by errnoRet 1: EPERM, nothing made");
	ok(under(f, c_mkdir) == EPERM, "mkdir too (\"names\" lists both)");
	ok(under(f, c_chdir) == EPROTO, "\"name\" and errnoRet 71: chdir fails with EPROTO");
	ok(under(f, c_getcwd) == 0, "includes.caps not held: rule skipped, getcwd works");
	ok(under(f, c_umask) == 0, "includes.minKernel 99.0: rule skipped");
	ok(under(f, c_sched_yield) == EPERM,
	   "excludes that do not match (kernel, unknown cap, other arch): rule kept, EPERM");
	ok(under(f, c_getpgrp) == EOPNOTSUPP, "an unknown syscall name is skipped, the rest apply");
	ok(under(f, c_1000) == ENOSYS && under(f, c_getpid) == 0,
	   "a permissive default gets no ENOSYS stub and allows the rest");
	c_seccomp_free(f);
}

static const char config_json[] =
	"{\"ociVersion\":\"1.0.2\",\"linux\":{\"seccomp\":{"
	"\"defaultAction\":\"SCMP_ACT_ALLOW\","
	"\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
	"\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
	"\"syscalls\":["
	"{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":12},"
	"{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\","
	"\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]},"
	"{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	"{\"index\":1,\"value\":10,\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"},"
	"{\"index\":1,\"value\":12,\"op\":\"SCMP_CMP_EQ\"}]}]}}}";

/* linux.seccomp of a config.json, passed as c-run will pass it. */
static char *oci_object(const char *doc)
{
	c_err *e = NULL;
	_cleanup_json_ json_t *spec = c_json_parse(doc, strlen(doc), "config.json", &e);
	json_t *lnx = json_object_get(spec, "linux");

	return c_json_dump(json_object_get(lnx, "seccomp"), NULL, &e);
}

static void test_oci_format(void)
{
	_cleanup_free_ char *obj = oci_object(config_json);
	c_err *e = NULL;
	struct c_seccomp *f = prepare(obj, "linux.seccomp", 0, NULL, &e);

	if (!ok(f, "OCI linux.seccomp compiles"))
		tap_err_has(&e, "");
	if (!f)
		return;
	ok(f->flags == SECCOMP_FILTER_FLAG_LOG, "flags: SECCOMP_FILTER_FLAG_LOG kept for the load");
	ok(under(f, c_uname) == ENOMEM, "uname: the errnoRet given (ENOMEM)");
	ok(under(f, c_prio_process) == 0 && under(f, c_prio_pgrp) == EPERM,
	   "an argument condition: getpriority(PRIO_PGRP) denied, PRIO_PROCESS allowed");
	ok(under(f, c_kill_usr1) == EPERM && under(f, c_kill_usr2) == EPERM &&
		   under(f, c_kill_0) == 0,
	   "two conditions on one argument: either matches (SIGUSR1, SIGUSR2 denied; 0 not)");
	c_seccomp_free(f);
}

static const struct {
	const char *json, *where, *want;
} bad_profiles[] = {
	{ "not json", NULL, "seccomp profile: parse JSON: p.json: line 1" },
	{ "[]", NULL, "seccomp profile p.json: (top): expected object, got array" },
	{ "{}", NULL, "seccomp profile p.json: defaultAction: missing" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	  "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"},"
	  "{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ERRNO\"},"
	  "{\"names\":[\"open\"],\"action\":\"SCMP_ACT_ERRNO\"},"
	  "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_FOO\"}]}",
	  NULL, "seccomp profile p.json: syscalls[3].action: unknown action \"SCMP_ACT_FOO\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}", NULL,
	  "defaultErrnoRet: -1 is not 0..65535" },
	{ "{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", NULL,
	  "defaultAction: SCMP_ACT_NOTIFY is not supported" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
	  "{\"index\":7,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
	  NULL, "syscalls[0].args[1].index: 7 is not 0..5" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_FOO\"}]}]}",
	  NULL, "syscalls[0].args[0].op: unknown operator \"SCMP_CMP_FOO\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":5}]}",
	  NULL, "syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_VAX\"]}",
	  NULL, "architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"],"
	  "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}",
	  NULL, "archMap: use either architectures or archMap" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\","
	  "\"subArchitectures\":[\"SCMP_ARCH_X86\",7]}]}",
	  NULL, "archMap[0].subArchitectures[1]: expected string, got integer" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}",
	  NULL, "flags[0]: unsupported flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"name\":\"read\","
	  "\"action\":\"SCMP_ACT_ERRNO\"}]}",
	  NULL, "syscalls[0]: has both \"names\" and \"name\"" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}", NULL,
	  "syscalls[0].names: missing or empty" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\",1],"
	  "\"action\":\"SCMP_ACT_ERRNO\"}]}",
	  NULL, "syscalls[0].names[1]: expected string, got integer" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"re\\u0000ad\"],"
	  "\"action\":\"SCMP_ACT_ERRNO\"}]}",
	  NULL, "p.json: line 1 column 68: \\u0000 is not allowed" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\",[]],"
	  "\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"minKernel\":\"99.0\"}}]}",
	  NULL, "syscalls[0].names[1]: expected string, got array" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"minKernel\":\"4\"}}]}",
	  NULL, "syscalls[0].includes.minKernel: kernel version \"4\" is not MAJOR.MINOR" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_ERRNO\",\"excludes\":{\"caps\":\"CAP_SYS_ADMIN\"}}]}",
	  NULL, "syscalls[0].excludes.caps: expected array, got string" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_KILL\",\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
	  NULL, "syscalls[0].args[0].value: missing" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_FOO\"}]}",
	  "linux.seccomp",
	  "seccomp profile config.json: linux.seccomp.syscalls[0].action: unknown action" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	  "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":70000}]}",
	  "linux.seccomp", "linux.seccomp.syscalls[0].errnoRet: 70000 is not 0..65535" },
};

static void test_bad_profiles(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_profiles); i++) {
		c_err *e = NULL;
		struct c_seccomp *f = prepare(bad_profiles[i].json, bad_profiles[i].where, 0, NULL, &e);
		int status = e ? e->status : -1;

		ok(!f && status == C_EXIT_DATA && tap_err_has(&e, bad_profiles[i].want),
		   "bad profile %zu: %s", i, bad_profiles[i].want);
		c_seccomp_free(f);
	}
}

/* --- the cache ------------------------------------------------------------------------- */

/* How many cache files dir holds; path gets one of them. */
static int cache_files(const char *dir, char *path, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int count = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "seccomp-", 8) || !strstr(de->d_name, ".bpf"))
			continue;
		count++;
		snprintf(path, n, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	return count;
}

static bool file_is(const char *path, const char *want, size_t len)
{
	c_err *e = NULL;
	char *got = NULL;
	size_t got_len = 0;
	bool same;

	if (c_read_file(path, 1 << 20, &got, &got_len, &e) < 0) {
		c_err_free(&e);
		return false;
	}
	same = got_len == len && !memcmp(got, want, len);
	free(got);
	return same;
}

static void put(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || c_write_all(fd, data, len) < 0) {
		printf("Bail out! write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static void test_cache(void)
{
	const char *dir = at("cache");
	struct c_seccomp *plain = must("no cache", NULL, docker_caps, NULL);
	struct c_seccomp *first = must("cache miss", NULL, docker_caps, dir);
	struct c_seccomp *again, *other, *f;
	char path[512], path2[512];
	_cleanup_free_ char *good = NULL;
	size_t good_len = 0;
	struct stat st1, st2;
	c_err *e = NULL;
	static char junk[64 * 1024];
	int n;

	path[0] = '\0';
	n = cache_files(dir, path, sizeof path);
	ok(!first->cached && n == 1, "a miss compiles and writes one cache file (%s)",
	   strrchr(path, '/') ? strrchr(path, '/') + 1 : "none");
	ok(same_program(plain, first), "the cached program is the compiled one");
	ok(stat(path, &st1) == 0 && (st1.st_mode & 07777) == 0600 &&
		   stat(dir, &st2) == 0 && (st2.st_mode & 07777) == 0700,
	   "cache directory 0700 made on demand, file 0600");
	if (c_read_file(path, 1 << 20, &good, &good_len, &e) < 0)
		tap_err_has(&e, "");

	again = must("cache hit", NULL, docker_caps, dir);
	ok(again->cached && same_program(first, again),
	   "the second call reads the cache: byte-identical BPF");
	ok(stat(path, &st2) == 0 && st1.st_ino == st2.st_ino &&
		   st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec && st1.st_mtim.tv_sec == st2.st_mtim.tv_sec,
	   "and leaves the file as it was");
	ok(under(again, c_keyctl) == EPERM && under(again, c_clone3) == ENOSYS,
	   "the cached program filters like the compiled one");

	other = must("other caps", NULL, docker_caps | BIT(CAP_SYS_ADMIN), dir);
	ok(!other->cached && cache_files(dir, path2, sizeof path2) == 2,
	   "other capabilities: another key, another file");
	c_seccomp_free(other);

	/* Damage: a flipped bit in the program, a cut file, a large one. */
	good[good_len / 2] ^= 0x10;
	put(path, good, good_len);
	good[good_len / 2] ^= 0x10;
	f = must("flipped bit", NULL, docker_caps, dir);
	ok(!f->cached && same_program(first, f) && file_is(path, good, good_len),
	   "a flipped bit fails the checksum: compiled again and the file rewritten");
	c_seccomp_free(f);
	f = must("after rewrite", NULL, docker_caps, dir);
	ok(f->cached, "then read from the cache again");
	c_seccomp_free(f);

	put(path, good, 100);
	f = must("cut file", NULL, docker_caps, dir);
	ok(!f->cached && same_program(first, f) && file_is(path, good, good_len),
	   "a cut file is ignored and rewritten");
	c_seccomp_free(f);

	put(path, junk, sizeof junk);
	f = must("large file", NULL, docker_caps, dir);
	ok(!f->cached && same_program(first, f) && file_is(path, good, good_len),
	   "a file larger than any program is ignored and rewritten");
	c_seccomp_free(f);

	put(at("notadir"), "x", 1);
	f = prepare(NULL, NULL, docker_caps, at("notadir"), &e);
	ok(!f && e && e->errnum == ENOTDIR && tap_err_has(&e, at("notadir")),
	   "a cache path that is a file: an error naming it");
	c_seccomp_free(f);

	c_seccomp_free(again);
	c_seccomp_free(first);
	c_seccomp_free(plain);
}

/* The time c_seccomp_load(arg) takes, in us; -1 when it failed. */
static void time_load(const void *arg, void *report)
{
	double *us = report, t;
	c_err *e = NULL;

	*us = -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return;
	t = now_us();
	if (c_seccomp_load(arg, &e) < 0)
		c_err_free(&e);
	else
		*us = now_us() - t;
}

/* Cold compile against a cache hit, and the load itself. */
static void test_timing(void)
{
	const char *dir = at("timing");
	struct c_seccomp *f;
	double t, cold = 0, hit = 0, load_us;
	int n_cold = 10, n_hit = 200;

	for (int i = 0; i < n_cold; i++) {
		t = now_us();
		f = must("cold", NULL, docker_caps, NULL);
		cold += now_us() - t;
		c_seccomp_free(f);
	}
	c_seccomp_free(must("fill", NULL, docker_caps, dir));
	for (int i = 0; i < n_hit; i++) {
		t = now_us();
		f = must("hit", NULL, docker_caps, dir);
		hit += now_us() - t;
		c_seccomp_free(f);
	}
	cold /= n_cold;
	hit /= n_hit;

	/* The load, timed in a child that then exits. */
	f = must("hit", NULL, docker_caps, dir);
	if (tap_in_child(time_load, f, &load_us, sizeof load_us) < 0)
		load_us = -1;
	c_seccomp_free(f);

	tap_diag("default profile: cold compile %.0f us, cache hit %.0f us (%.0fx), "
		 "seccomp() load %.0f us",
		 cold, hit, cold / hit, load_us);
	ok(hit * 10 < cold, "a cache hit costs under a tenth of a compile");
}

int main(void)
{
	if (!mkdtemp(top)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	next_nr = first_unknown();
	test_default();
	test_compacted();
	test_arch();
	test_load_order();
	test_docker_format();
	test_oci_format();
	test_bad_profiles();
	test_cache();
	test_timing();
	tap_remove_tree(top);
	return tap_done();
}
