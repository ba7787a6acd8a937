/*
 * c-test-init — a tiny static program used as the container process in the
 * runtime tests, so they need no big images.  Standalone: libc only.
 *
 * Usage: c-test-init VERB [ARGS...] [-- VERB [ARGS...]]...
 *
 * Verbs are run in order, separated by "--" (so an argument can never be a
 * bare "--").  The chain stops at the first verb whose status is not 0 and
 * exits with that status, like "a && b && c"; "exit N" ends it at once.
 * The whole chain's arity is checked before anything runs.
 *
 * The plain verbs are listed by --help: true, false, exit N, echo ARGS,
 * err ARGS (to stderr), cat FILE... ("-" is stdin), write FILE TEXT and
 * append FILE TEXT (TEXT and a newline, mode 0644 less the umask), env
 * (sorted), cwd, hostname, umask ("0022"), sleep SECONDS ("0.5", "inf").
 *
 * Output formats (stdout, one item per line):
 *   ls DIR        "T NAME" sorted by byte order, T one of - d l c b p s ?;
 *                 symlinks as "l NAME -> TARGET"; . and .. left out
 *   stat PATH     "T MODE UID GID SIZE", MODE in octal with the special bits
 *                 (e.g. "- 4755 0 0 12"); symlinks are not followed
 *   caps          "CapInh:\t%016llx" ... as in /proc/self/status, from
 *                 capget(2) and prctl(2), so it works without /proc
 *   id            "uid=U gid=G groups=A,B" (real ids; " euid=E" / " egid=E"
 *                 appended only when the effective ids differ)
 *   pid           "pid=P ppid=Q"
 *   ns            "NAME TARGET" for each /proc/self/ns entry, sorted
 *   mounts        "MOUNTPOINT FSTYPE OPTIONS" in mountinfo order, mountpoint
 *                 escaped as in mountinfo (\040 for a space)
 *   rlimit [NAME] "name soft hard" ("unlimited" for RLIM_INFINITY); NAME is
 *                 nofile, NOFILE or RLIMIT_NOFILE; without NAME all of them
 *   seccomp       the NoNewPrivs: and Seccomp: lines of /proc/self/status
 *                 (from prctl(2) in the same format when /proc is missing)
 *   tty           "FD tty NAME ROWSxCOLS" or "FD notty" for fds 0 1 2,
 *                 then "ctty yes|no" (whether /dev/tty opens)
 *   signals [N]   unblocks every signal, catches all it can, prints "ready",
 *                 then "signal NUM NAME" for each signal received (real-time
 *                 ones as SIGRTMIN+K, SIGRTMIN being 34 as bash counts).
 *                 SIGTERM ends it with status 0; after N signals (if N is
 *                 given) it ends with 128+NUM of the last one.  The old
 *                 dispositions and mask are back for the rest of the chain.
 *   reap [self|SECONDS]   forks a child that forks a grandchild and exits;
 *                 the orphaned grandchild exits too.  As pid 1 (or with
 *                 "self", which makes this process a child subreaper) it
 *                 reaps the orphan itself: "orphan PID reaped by self";
 *                 otherwise it waits up to SECONDS (default 5) for whoever
 *                 inherited it (the container's init) to reap it: "orphan PID
 *                 reaped by init", or fails with "orphan PID: not reaped".
 *   mem N         maps N MiB and touches every page: "allocated N MiB"
 *   fork-bomb-lite N   forks up to N children that wait; "forked K of N"
 *                 (plus the first error in parentheses when K < N); then
 *                 lets them go and reaps them.  Status 0 either way.
 *
 * Errors are one line, "c-test-init: VERB: OBJECT: strerror", status 1.
 * Usage errors (unknown verb, wrong arguments) are status 2.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#ifndef C_TOOLS_VERSION
#define C_TOOLS_VERSION "dev"
#endif

/* Every verb has the same signature; most ignore their arguments. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define PROG "c-test-init"
#define USAGE_ERR 2

extern char **environ;

/* The verb being run, for error messages. */
static const char *verb = PROG;

/* "c-test-init: VERB: OBJECT: strerror(errno)"; returns 1 for the caller. */
static int fail(const char *object)
{
	int e = errno;

	fflush(stdout);
	fprintf(stderr, "%s: %s: %s: %s\n", PROG, verb, object, strerror(e));
	return 1;
}

/* "c-test-init: VERB: MESSAGE"; returns the usage status. */
static int usage_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: %s: ", PROG, verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return USAGE_ERR;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads a whole (small, /proc-like) file into a NUL-terminated malloc'd buffer. */
static char *read_text(const char *path)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				goto err;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
err:;
	int e = errno;

	close(fd);
	free(buf);
	errno = e;
	return NULL;
}

/* Strict decimal parse of a non-negative integer. */
static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char type_char(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return '-';
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	default: return '?';
	}
}

/* ---- verbs ------------------------------------------------------------- */

static int v_true(int argc, char **argv)
{
	return 0;
}

static int v_false(int argc, char **argv)
{
	return 1;
}

static int v_exit(int argc, char **argv)
{
	unsigned long n;

	if (parse_ulong(argv[1], 255, &n) < 0)
		return usage_fail("not a status 0-255: %s", argv[1]);
	if (fflush(stdout) != 0)
		return fail("stdout");
	exit((int)n);
}

static int echo_to(FILE *f, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			fputc(' ', f);
		fputs(argv[i], f);
	}
	fputc('\n', f);
	return 0;
}

static int v_echo(int argc, char **argv)
{
	return echo_to(stdout, argc, argv);
}

static int v_err(int argc, char **argv)
{
	fflush(stdout);
	return echo_to(stderr, argc, argv);
}

static int v_cat(int argc, char **argv)
{
	char buf[65536];

	if (fflush(stdout) != 0)
		return fail("stdout");
	for (int i = 1; i < argc; i++) {
		int is_stdin = strcmp(argv[i], "-") == 0;
		int fd = is_stdin ? 0 : open(argv[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return fail(argv[i]);
		for (;;) {
			ssize_t n = read(fd, buf, sizeof buf);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				int r = fail(argv[i]);

				if (!is_stdin)
					close(fd);
				return r;
			}
			if (n == 0)
				break;
			if (write_all(1, buf, (size_t)n) < 0) {
				if (!is_stdin)
					close(fd);
				return fail("stdout");
			}
		}
		if (!is_stdin)
			close(fd);
	}
	return 0;
}

static int write_file(const char *path, const char *text, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	size_t len = strlen(text);

	if (fd < 0)
		return fail(path);
	if (write_all(fd, text, len) < 0 || write_all(fd, "\n", 1) < 0) {
		int r = fail(path);

		close(fd);
		return r;
	}
	if (close(fd) < 0)
		return fail(path);
	return 0;
}

/* write FILE TEXT: FILE holds TEXT and a newline. */
static int v_write(int argc, char **argv)
{
	return write_file(argv[1], argv[2], O_TRUNC);
}

static int v_append(int argc, char **argv)
{
	return write_file(argv[1], argv[2], O_APPEND);
}

/* The names in d but . and .., sorted; *names is freed with free_names(). */
static int sorted_names(DIR *d, const char *path, char ***names, size_t *n)
{
	size_t cap = 0;
	struct dirent *de;

	*names = NULL;
	*n = 0;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				return fail(path);
			if (*n > 1)
				qsort(*names, *n, sizeof **names, cmp_str);
			return 0;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			char **nn = realloc(*names, (cap ? cap * 2 : 64) * sizeof **names);

			if (!nn)
				return fail(path);
			*names = nn;
			cap = cap ? cap * 2 : 64;
		}
		(*names)[*n] = strdup(de->d_name);
		if (!(*names)[*n])
			return fail(path);
		(*n)++;
	}
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int v_ls(int argc, char **argv)
{
	const char *path = argv[1];
	DIR *d = opendir(path);
	char **names;
	size_t n;
	int r;

	if (!d)
		return fail(path);
	r = sorted_names(d, path, &names, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		struct stat st;

		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = fail(names[i]);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t len = readlinkat(dirfd(d), names[i], target, sizeof target - 1);

			if (len < 0) {
				r = fail(names[i]);
				break;
			}
			target[len] = '\0';
			printf("l %s -> %s\n", names[i], target);
		} else {
			printf("%c %s\n", type_char(st.st_mode), names[i]);
		}
	}
	free_names(names, n);
	closedir(d);
	return r;
}

static int v_stat(int argc, char **argv)
{
	struct stat st;

	if (lstat(argv[1], &st) < 0)
		return fail(argv[1]);
	printf("%c %04o %u %u %lld\n", type_char(st.st_mode),
	       (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
	       (unsigned)st.st_gid, (long long)st.st_size);
	return 0;
}

/* Reads capability sets with syscalls only, so no /proc is needed. */
static int v_caps(int argc, char **argv)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	unsigned long long inh, prm, eff, bnd = 0, amb = 0;

	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &hdr, data) < 0)
		return fail("capget");
	inh = data[0].inheritable | (unsigned long long)data[1].inheritable << 32;
	prm = data[0].permitted | (unsigned long long)data[1].permitted << 32;
	eff = data[0].effective | (unsigned long long)data[1].effective << 32;
	for (int cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0) {
			if (errno == EINVAL)
				break;	/* past the kernel's last capability */
			return fail("PR_CAPBSET_READ");
		}
		if (r)
			bnd |= 1ULL << cap;
	}
	for (int cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);

		if (r < 0) {
			if (errno == EINVAL)
				break;
			return fail("PR_CAP_AMBIENT_IS_SET");
		}
		if (r)
			amb |= 1ULL << cap;
	}
	printf("CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\n"
	       "CapBnd:\t%016llx\nCapAmb:\t%016llx\n", inh, prm, eff, bnd, amb);
	return 0;
}

static int v_id(int argc, char **argv)
{
	int n = getgroups(0, NULL);
	gid_t *groups;

	if (n < 0)
		return fail("getgroups");
	groups = calloc((size_t)n + 1, sizeof *groups);
	if (!groups)
		return fail("getgroups");
	n = getgroups(n, groups);
	if (n < 0) {
		free(groups);
		return fail("getgroups");
	}
	printf("uid=%u gid=%u groups=", (unsigned)getuid(), (unsigned)getgid());
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned)groups[i]);
	if (geteuid() != getuid())
		printf(" euid=%u", (unsigned)geteuid());
	if (getegid() != getgid())
		printf(" egid=%u", (unsigned)getegid());
	putchar('\n');
	free(groups);
	return 0;
}

static int v_pid(int argc, char **argv)
{
	printf("pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
	return 0;
}

static int v_env(int argc, char **argv)
{
	size_t n = 0;
	char **copy;

	while (environ && environ[n])
		n++;
	copy = calloc(n + 1, sizeof *copy);
	if (!copy)
		return fail("environ");
	memcpy(copy, environ, n * sizeof *copy);
	qsort(copy, n, sizeof *copy, cmp_str);
	for (size_t i = 0; i < n; i++)
		puts(copy[i]);
	free(copy);
	return 0;
}

static int v_cwd(int argc, char **argv)
{
	char buf[PATH_MAX];

	if (!getcwd(buf, sizeof buf))
		return fail("getcwd");
	puts(buf);
	return 0;
}

static int v_hostname(int argc, char **argv)
{
	struct utsname u;

	if (uname(&u) < 0)
		return fail("uname");
	puts(u.nodename);
	return 0;
}

static int v_umask(int argc, char **argv)
{
	mode_t m = umask(022);

	umask(m);
	printf("%04o\n", (unsigned)m);
	return 0;
}

static int v_sleep(int argc, char **argv)
{
	char *end;
	double secs;
	struct timespec ts;

	errno = 0;
	secs = strtod(argv[1], &end);
	if (errno || end == argv[1] || *end || isnan(secs) || secs < 0)
		return usage_fail("not a number of seconds: %s", argv[1]);
	if (fflush(stdout) != 0)
		return fail("stdout");
	if (isinf(secs)) {
		for (;;)
			pause();
	}
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (nanosleep(&ts, &ts) < 0) {
		if (errno != EINTR)
			return fail("nanosleep");
	}
	return 0;
}

/* ---- signals ------------------------------------------------------------ */

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int e = errno;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* nothing to do in a handler */
	}
	errno = e;
}

static const char *const sig_names[32] = {
	[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
	[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
	[SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
	[SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU",
	[SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
	[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR",
	[SIGSYS] = "SIGSYS",
};

static void print_signal(int sig)
{
	if (sig > 0 && sig < 32 && sig_names[sig])
		printf("signal %d %s\n", sig, sig_names[sig]);
	else if (sig >= 34 && sig <= SIGRTMAX)	/* as bash and glibc count */
		printf("signal %d SIGRTMIN+%d\n", sig, sig - 34);
	else
		printf("signal %d ?\n", sig);
}

/* Prints signals as they come; the verb's status. */
static int wait_signals(unsigned long limit)
{
	unsigned long seen = 0;

	puts("ready");
	if (fflush(stdout) != 0)
		return fail("stdout");
	for (;;) {
		unsigned char c;
		ssize_t n = read(sig_pipe[0], &c, 1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail("pipe");
		}
		if (n == 0)
			return fail("pipe");
		print_signal(c);
		fflush(stdout);
		if (c == SIGTERM)
			return 0;
		if (limit && ++seen >= limit)
			return 128 + c;
	}
}

static int v_signals(int argc, char **argv)
{
	static struct sigaction old[_NSIG];
	static char installed[_NSIG];
	unsigned long limit = 0;
	struct sigaction sa;
	sigset_t none, old_mask;
	int r;

	if (argc > 1 && (parse_ulong(argv[1], 1000000, &limit) < 0 || limit == 0))
		return usage_fail("not a positive count: %s", argv[1]);
	if (pipe2(sig_pipe, O_CLOEXEC) < 0)
		return fail("pipe");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigemptyset(&none);
	r = sigprocmask(SIG_SETMASK, &none, &old_mask) < 0 ? fail("sigprocmask") : -1;
	for (int sig = 1; r < 0 && sig < _NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* libc-internal signals (musl: 32-34) are refused; skip them. */
		if (sigaction(sig, &sa, &old[sig]) == 0)
			installed[sig] = 1;
		else if (errno != EINVAL)
			r = fail("sigaction");
	}
	if (r < 0)
		r = wait_signals(limit);
	/* Leave the rest of the chain as it was. */
	for (int sig = 1; sig < _NSIG; sig++)
		if (installed[sig]) {
			sigaction(sig, &old[sig], NULL);
			installed[sig] = 0;
		}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	return r;
}

/* ---- /proc readers ------------------------------------------------------ */

static int v_ns(int argc, char **argv)
{
	const char *dir = "/proc/self/ns";
	DIR *d = opendir(dir);
	char **names;
	size_t n;
	int r;

	if (!d)
		return fail(dir);
	r = sorted_names(d, dir, &names, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		char target[256];
		ssize_t len = readlinkat(dirfd(d), names[i], target, sizeof target - 1);

		if (len < 0) {
			r = fail(names[i]);
			break;
		}
		target[len] = '\0';
		printf("%s %s\n", names[i], target);
	}
	free_names(names, n);
	closedir(d);
	return r;
}

static int v_mounts(int argc, char **argv)
{
	const char *path = "/proc/self/mountinfo";
	char *text = read_text(path), *line, *save = NULL;

	if (!text)
		return fail(path);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* id parent maj:min root MOUNTPOINT OPTIONS [opt...] - FSTYPE src super */
		char *field[6], *tok, *fsave = NULL, *fstype = NULL;
		int nf = 0;

		for (tok = strtok_r(line, " ", &fsave); tok;
		     tok = strtok_r(NULL, " ", &fsave)) {
			if (nf < 6) {
				field[nf++] = tok;
			} else if (strcmp(tok, "-") == 0) {
				fstype = strtok_r(NULL, " ", &fsave);
				break;
			}
		}
		if (nf < 6 || !fstype)
			continue;
		printf("%s %s %s\n", field[4], fstype, field[5]);
	}
	free(text);
	return 0;
}

static const struct {
	const char *name;
	int resource;
} rlimits[] = {
	{ "as", RLIMIT_AS }, { "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA }, { "fsize", RLIMIT_FSIZE },
	{ "locks", RLIMIT_LOCKS }, { "memlock", RLIMIT_MEMLOCK },
	{ "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
	{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC },
	{ "rss", RLIMIT_RSS }, { "rtprio", RLIMIT_RTPRIO },
	{ "rttime", RLIMIT_RTTIME }, { "sigpending", RLIMIT_SIGPENDING },
	{ "stack", RLIMIT_STACK },
};

static void print_rlim(rlim_t v)
{
	if (v == RLIM_INFINITY)
		fputs("unlimited", stdout);
	else
		printf("%llu", (unsigned long long)v);
}

static int show_rlimit(size_t i)
{
	struct rlimit rl;

	if (getrlimit(rlimits[i].resource, &rl) < 0)
		return fail(rlimits[i].name);
	printf("%s ", rlimits[i].name);
	print_rlim(rl.rlim_cur);
	putchar(' ');
	print_rlim(rl.rlim_max);
	putchar('\n');
	return 0;
}

static int v_rlimit(int argc, char **argv)
{
	size_t count = sizeof rlimits / sizeof rlimits[0];
	const char *name;

	if (argc == 1) {
		for (size_t i = 0; i < count; i++)
			if (show_rlimit(i))
				return 1;
		return 0;
	}
	name = argv[1];
	if (strncasecmp(name, "RLIMIT_", 7) == 0)
		name += 7;
	for (size_t i = 0; i < count; i++)
		if (strcasecmp(name, rlimits[i].name) == 0)
			return show_rlimit(i);
	return usage_fail("unknown limit: %s", argv[1]);
}

static int v_seccomp(int argc, char **argv)
{
	char *text = read_text("/proc/self/status"), *line, *save = NULL;
	int nnp, mode;

	if (text) {
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (strncmp(line, "NoNewPrivs:", 11) == 0 ||
			    strncmp(line, "Seccomp:", 8) == 0)
				puts(line);
		free(text);
		return 0;
	}
	/* No /proc: ask the kernel directly, in the same format. */
	nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (nnp < 0)
		return fail("PR_GET_NO_NEW_PRIVS");
	mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	if (mode < 0)
		return fail("PR_GET_SECCOMP");
	printf("NoNewPrivs:\t%d\nSeccomp:\t%d\n", nnp, mode);
	return 0;
}

static int v_tty(int argc, char **argv)
{
	int fd;

	for (fd = 0; fd < 3; fd++) {
		char name[PATH_MAX];
		struct winsize ws;

		if (!isatty(fd)) {
			printf("%d notty\n", fd);
			continue;
		}
		if (ttyname_r(fd, name, sizeof name) != 0)
			strcpy(name, "?");
		if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
			ws.ws_row = ws.ws_col = 0;
		printf("%d tty %s %ux%u\n", fd, name, ws.ws_row, ws.ws_col);
	}
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	printf("ctty %s\n", fd >= 0 ? "yes" : "no");
	if (fd >= 0)
		close(fd);
	return 0;
}

/* ---- processes ---------------------------------------------------------- */

static int v_reap(int argc, char **argv)
{
	int self = getpid() == 1, pfd[2], status;
	pid_t child, orphan = 0;
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	double timeout = 5;

	if (argc > 1 && strcmp(argv[1], "self") == 0) {
		if (!self && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
			return fail("PR_SET_CHILD_SUBREAPER");
		self = 1;
	} else if (argc > 1) {
		char *end;

		errno = 0;
		timeout = strtod(argv[1], &end);
		if (errno || end == argv[1] || *end || !(timeout >= 0 && timeout < 1e6))
			return usage_fail("neither \"self\" nor seconds: %s", argv[1]);
	}
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return fail("pipe");
	fflush(stdout);
	fflush(stderr);
	child = fork();
	if (child < 0)
		return fail("fork");
	if (child == 0) {
		pid_t g = fork();

		if (g == 0)
			_exit(0);	/* the orphan-to-be: exits at once */
		if (g > 0 && write_all(pfd[1], (char *)&g, sizeof g) < 0)
			_exit(1);
		_exit(g > 0 ? 0 : 1);
	}
	close(pfd[1]);
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			close(pfd[0]);
			return fail("waitpid");
		}
	}
	if (read(pfd[0], &orphan, sizeof orphan) != (ssize_t)sizeof orphan ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		close(pfd[0]);
		errno = EAGAIN;
		return fail("fork");
	}
	close(pfd[0]);
	if (self) {
		while (waitpid(orphan, &status, 0) < 0) {
			if (errno != EINTR)
				return fail("waitpid");
		}
		printf("orphan %d reaped by self\n", (int)orphan);
		return 0;
	}
	/* A zombie still answers kill(pid, 0); a reaped pid does not. */
	for (long i = 0; i <= (long)(timeout * 100); i++) {
		if (kill(orphan, 0) < 0 && errno == ESRCH) {
			printf("orphan %d reaped by init\n", (int)orphan);
			return 0;
		}
		nanosleep(&tick, NULL);
	}
	fflush(stdout);
	fprintf(stderr, "%s: %s: orphan %d: not reaped\n", PROG, verb, (int)orphan);
	return 1;
}

static int v_mem(int argc, char **argv)
{
	unsigned long mib;
	size_t len, page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *p;

	if (parse_ulong(argv[1], 1UL << 20, &mib) < 0)
		return usage_fail("not a number of MiB: %s", argv[1]);
	len = (size_t)mib << 20;
	if (len == 0) {
		puts("allocated 0 MiB");
		return 0;
	}
	fflush(stdout);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return fail("mmap");
	for (size_t off = 0; off < len; off += page)
		p[off] = (unsigned char)(off >> 12 | 1);
	printf("allocated %lu MiB\n", mib);
	munmap(p, len);
	return 0;
}

static int v_fork_bomb_lite(int argc, char **argv)
{
	unsigned long want, got = 0;
	int pfd[2], first_err = 0;

	if (parse_ulong(argv[1], 100000, &want) < 0)
		return usage_fail("not a count: %s", argv[1]);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return fail("pipe");
	fflush(stdout);
	fflush(stderr);
	for (; got < want; got++) {
		pid_t pid = fork();

		if (pid < 0) {
			first_err = errno;
			break;
		}
		if (pid == 0) {
			char c;

			close(pfd[1]);
			/* Wait until the parent closes its end, then go. */
			while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	close(pfd[1]);
	close(pfd[0]);
	for (unsigned long i = 0; i < got;) {
		if (wait(NULL) >= 0)
			i++;
		else if (errno != EINTR)
			break;
	}
	if (first_err)
		printf("forked %lu of %lu (%s)\n", got, want, strerror(first_err));
	else
		printf("forked %lu of %lu\n", got, want);
	return 0;
}

/* ---- table and main ----------------------------------------------------- */

static const struct verb {
	const char *name;
	int min, max;	/* arguments after the verb; max -1: any number */
	int (*run)(int argc, char **argv);
	const char *args, *help;
} verbs[] = {
	{ "true", 0, 0, v_true, "", "status 0" },
	{ "false", 0, 0, v_false, "", "status 1 (ends the chain)" },
	{ "exit", 1, 1, v_exit, "N", "exit now with status N" },
	{ "echo", 0, -1, v_echo, "[ARG...]", "print ARGs joined by spaces" },
	{ "err", 0, -1, v_err, "[ARG...]", "the same on stderr" },
	{ "cat", 1, -1, v_cat, "FILE...", "copy FILEs (- for stdin) to stdout" },
	{ "write", 2, 2, v_write, "FILE TEXT", "create/truncate FILE with TEXT\\n" },
	{ "append", 2, 2, v_append, "FILE TEXT", "append TEXT\\n to FILE" },
	{ "ls", 1, 1, v_ls, "DIR", "sorted entries, \"T NAME\"" },
	{ "stat", 1, 1, v_stat, "PATH", "\"T MODE UID GID SIZE\" (lstat)" },
	{ "caps", 0, 0, v_caps, "", "capability sets as in /proc/self/status" },
	{ "id", 0, 0, v_id, "", "uid, gid and groups" },
	{ "pid", 0, 0, v_pid, "", "pid and ppid" },
	{ "env", 0, 0, v_env, "", "environment, sorted" },
	{ "cwd", 0, 0, v_cwd, "", "working directory" },
	{ "hostname", 0, 0, v_hostname, "", "host name (uname)" },
	{ "umask", 0, 0, v_umask, "", "file mode creation mask" },
	{ "sleep", 1, 1, v_sleep, "SECONDS", "sleep (fractions, inf)" },
	{ "signals", 0, 1, v_signals, "[N]", "print signals; SIGTERM: 0, N: 128+sig" },
	{ "ns", 0, 0, v_ns, "", "namespaces, \"NAME TARGET\"" },
	{ "mounts", 0, 0, v_mounts, "", "\"MOUNTPOINT FSTYPE OPTIONS\"" },
	{ "rlimit", 0, 1, v_rlimit, "[NAME]", "\"name soft hard\"" },
	{ "seccomp", 0, 0, v_seccomp, "", "NoNewPrivs: and Seccomp: lines" },
	{ "tty", 0, 0, v_tty, "", "terminals on fds 0-2, controlling tty" },
	{ "reap", 0, 1, v_reap, "[self|SECS]", "make an orphan, show it is reaped" },
	{ "mem", 1, 1, v_mem, "MIB", "allocate and touch MIB MiB" },
	{ "fork-bomb-lite", 1, 1, v_fork_bomb_lite, "N", "fork N waiting children, report" },
};

#define NVERBS (sizeof verbs / sizeof verbs[0])

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s VERB [ARGS...] [-- VERB [ARGS...]]...\n"
		"Runs the verbs in order; stops at the first non-zero status.\n\n",
		PROG);
	for (size_t i = 0; i < NVERBS; i++) {
		char head[40];

		snprintf(head, sizeof head, "%s %s", verbs[i].name, verbs[i].args);
		fprintf(f, "  %-24s %s\n", head, verbs[i].help);
	}
	fprintf(f, "\nErrors: \"%s: VERB: OBJECT: REASON\", status 1; "
		"usage errors, status 2.\n", PROG);
}

static const struct verb *find_verb(const char *name)
{
	for (size_t i = 0; i < NVERBS; i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

/* Length of the segment starting at argv[0]: up to the next "--" or the end. */
static int segment_len(int argc, char **argv)
{
	int n = 0;

	while (n < argc && strcmp(argv[n], "--") != 0)
		n++;
	return n;
}

/* Checks every segment's verb and arity before anything runs. */
static int check_chain(int argc, char **argv)
{
	int i = 0;

	while (i < argc) {
		int n = segment_len(argc - i, argv + i);
		const struct verb *v;

		if (n == 0) {
			fprintf(stderr, "%s: empty verb in the chain (stray --)\n", PROG);
			return USAGE_ERR;
		}
		v = find_verb(argv[i]);
		if (!v) {
			fprintf(stderr, "%s: %s: unknown verb (try --help)\n", PROG, argv[i]);
			return USAGE_ERR;
		}
		if (n - 1 < v->min || (v->max >= 0 && n - 1 > v->max)) {
			fprintf(stderr, "%s: %s: usage: %s %s\n", PROG, v->name,
				v->name, v->args);
			return USAGE_ERR;
		}
		i += n;
		if (i < argc) {
			i++;	/* the "--" */
			if (i == argc) {
				fprintf(stderr, "%s: empty verb in the chain (trailing --)\n",
					PROG);
				return USAGE_ERR;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, r;

	if (argc < 2) {
		usage(stderr);
		return USAGE_ERR;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", PROG, C_TOOLS_VERSION);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	r = check_chain(argc - 1, argv + 1);
	if (r)
		return r;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (i < argc) {
		int n = segment_len(argc - i, argv + i);
		const struct verb *v = find_verb(argv[i]);
		char *saved = argv[i + n];

		verb = v->name;
		argv[i + n] = NULL;	/* each verb sees a NULL-terminated argv */
		r = v->run(n, argv + i);
		argv[i + n] = saved;
		/* A failed line-buffered write leaves only the error flag set. */
		if (fflush(stdout) != 0 || ferror(stdout))
			return fail("stdout");
		if (r != 0)
			return r;
		i += n + 1;
	}
	return 0;
}
