#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "creds.h"
#include "json.h"
#include "netif.h"
#include "rlimit.h"
#include "rootfs.h"
#include "seccomp.h"
#include "spec.h"

static const struct {
	const char *type;
	int flag;
} namespaces[] = {
	{ "pid", CLONE_NEWPID },     { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
	{ "ipc", CLONE_NEWIPC },     { "uts", CLONE_NEWUTS },     { "cgroup", CLONE_NEWCGROUP },
	{ "user", CLONE_NEWUSER },
};

#define NNS (sizeof namespaces / sizeof namespaces[0])

static size_t ns_index(int flag)
{
	size_t k = 0;

	while (k < NNS - 1 && namespaces[k].flag != flag)
		k++;
	return k;
}

struct c_container {
	json_t *spec;
	char *id;
	struct c_rootfs_plan *rootfs;
	struct c_caps caps;
	bool has_caps;
	struct c_identity ident;
	struct c_rlimit *rlimits;
	size_t nrlimits;
	struct c_seccomp *seccomp;
	int clone_flags;   /* new namespaces made by clone */
	bool new_cgroup_ns; /* unshared once in the cgroup */
	int join_fd[NNS];  /* namespaces joined by path, -1 otherwise */
	pid_t netns_pid;   /* the helper making the network namespace; 0: none */
	bool loopback_up;  /* the helper brings up its lo (C_SPEC_LOOPBACK_ANNOTATION) */
	int netns_sock;    /* where it sends it, -1 when there is none */
	char **argv, **env;
	const char *cwd, *hostname, *domainname;
	const char *apparmor; /* the profile to exec into, or NULL */
	bool terminal;
};

/* --- messages between the processes ------------------------------------------------ */

/* Messages on the sync socket, child to parent: 'E' + status + line (an
 * error), 'T' with the pty master in SCM_RIGHTS, 'R' (waiting on the exec
 * fifo); EOF from the child means it exec'd.  Parent to child: 'G', the
 * cgroup is ready, with the files to join it through in SCM_RIGHTS (none
 * when the child was cloned into it). */
struct msg {
	char kind;
	int status;
	char line[1024];
};

#define MSG_FDS_MAX C_CGROUP_FILES_MAX

static int send_msg(int sock, const struct msg *m, const int *fds, size_t nfds)
{
	char cbuf[CMSG_SPACE(MSG_FDS_MAX * sizeof(int))] = { 0 };
	struct iovec iov = { (void *)m, sizeof *m };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n < 0 ? -1 : 0;
}

/* One message, and the fds it carries (close-on-exec; up to max, the
 * others closed). */
static ssize_t recv_msg(int sock, struct msg *m, int *fds, size_t max, size_t *nfds)
{
	char cbuf[CMSG_SPACE(MSG_FDS_MAX * sizeof(int))];
	struct iovec iov = { m, sizeof *m };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm;
	ssize_t n;

	*nfds = 0;
	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	for (cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof fd, sizeof fd);
			if (*nfds < max)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

/* A task just forked starts on its parent's CPU.  Either it waits there
 * until the parent blocks, unless an idle CPU pulls it over, which the
 * development machine's kernel does only a scheduler tick later (it keeps
 * tasks on as few CPUs as it can); or it preempts the parent at once and
 * makes it wait for whatever it does first (a network namespace: most of
 * a millisecond).  So where the two have work to do at the same time, the
 * parent moves the new task to its other CPUs after the fork and the new
 * task moves itself before anything else, whichever runs first: this
 * process's CPUs but the one it runs on (*others; false when there is
 * none), *mine all of them. */
static bool other_cpus(cpu_set_t *mine, cpu_set_t *others)
{
	int cpu = sched_getcpu();

	if (cpu < 0 || sched_getaffinity(0, sizeof *mine, mine) < 0)
		return false;
	*others = *mine;
	CPU_CLR(cpu, others);
	return CPU_COUNT(others) > 0;
}

/* --- preparing, in the parent -------------------------------------------------------- */

static char **string_array(json_t *arr, const char *where, bool required, c_err **err)
{
	char **out;
	size_t i, n;
	json_t *v;

	if (!arr && !required)
		return calloc(1, sizeof(char *));
	if (!json_is_array(arr) || (required && json_array_size(arr) == 0)) {
		c_err_new(err, C_EXIT_DATA, 0, "field %s: expected a non-empty array of strings",
			  where);
		return NULL;
	}
	n = json_array_size(arr);
	out = calloc(n + 1, sizeof(char *));
	if (!out) {
		c_err_sys(err, "allocate", where);
		return NULL;
	}
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v)) {
			c_err_new(err, C_EXIT_DATA, 0, "field %s[%zu]: expected string, got %s",
				  where, i, c_json_type_name(v));
			free(out);
			return NULL;
		}
		out[i] = (char *)json_string_value(v);
	}
	return out;
}

/* A new network namespace takes most of a millisecond (the loopback
 * device, the per-namespace sysctls): a helper process, moved to another
 * CPU at once, makes it (and brings its lo up, where asked) while c-run
 * prepares the rest and the container's process makes its other namespaces
 * and takes it from the helper ('N' and its fd, or 'E' with the errno and
 * what failed). */
static int netns_start(struct c_container *c, c_err **err)
{
	cpu_set_t mine, others;
	bool away = other_cpus(&mine, &others);
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return c_err_sys(err, "socketpair for", "the network namespace");
	c->netns_pid = fork();
	if (c->netns_pid < 0) {
		c->netns_pid = 0;
		close(sv[0]);
		close(sv[1]);
		return c_err_sys(err, "fork", "the network namespace");
	}
	if (c->netns_pid == 0) {
		struct msg m = { 'N', 0, "" };
		c_err *e = NULL;
		int fd = -1;

		if (away)
			sched_setaffinity(0, sizeof others, &others);
		if (unshare(CLONE_NEWNET) < 0)
			c_err_sys(&e, "unshare", "network namespace");
		else if (c->loopback_up)
			c_netif_up("lo", &e);
		if (!e && (fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
			c_err_sys(&e, "open", "/proc/self/ns/net");
		if (e) {
			m = (struct msg){ 'E', e->errnum, "" };
			snprintf(m.line, sizeof m.line, "%s", e->msg);
		}
		send_msg(sv[1], &m, &fd, fd >= 0);
		_exit(0);
	}
	close(sv[1]);
	c->netns_sock = sv[0];
	c->clone_flags &= ~CLONE_NEWNET;
	if (away)
		sched_setaffinity(c->netns_pid, sizeof others, &others);
	return 0;
}

static bool annotation_is(json_t *spec, const char *key, const char *value)
{
	const char *v = json_string_value(json_object_get(json_object_get(spec, "annotations"), key));

	return v && !strcmp(v, value);
}

static int prepare_namespaces(struct c_container *c, c_err **err)
{
	json_t *list = json_object_get(json_object_get(c->spec, "linux"), "namespaces"), *ns;
	size_t i;

	json_array_foreach(list, i, ns) {
		const char *type = json_string_value(json_object_get(ns, "type"));
		const char *path = json_string_value(json_object_get(ns, "path"));
		size_t k;

		for (k = 0; k < NNS && (!type || strcmp(type, namespaces[k].type)); k++)
			;
		if (k == NNS)
			return c_err_new(err, C_EXIT_DATA, 0,
					 "field linux.namespaces[%zu].type: unknown namespace \"%s\"",
					 i, type ? type : "");
		if (namespaces[k].flag == CLONE_NEWUSER)
			return c_err_new(err, C_EXIT_DATA, 0,
					 "field linux.namespaces[%zu]: user namespaces are not "
					 "supported yet", i);
		if (path && *path) {
			c->join_fd[k] = open(path, O_RDONLY | O_CLOEXEC);
			if (c->join_fd[k] < 0)
				return c_err_sys(err, "namespace", path);
		} else if (namespaces[k].flag == CLONE_NEWCGROUP) {
			c->new_cgroup_ns = true;
		} else {
			c->clone_flags |= namespaces[k].flag;
		}
	}
	if (!(c->clone_flags & CLONE_NEWNS) && c->join_fd[2] < 0)
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field linux.namespaces: a mount namespace is required");
	c->loopback_up = annotation_is(c->spec, C_SPEC_LOOPBACK_ANNOTATION, "up");
	return (c->clone_flags & CLONE_NEWNET) ? netns_start(c, err) : 0;
}

static int prepare_process(struct c_container *c, c_err **err)
{
	json_t *process = json_object_get(c->spec, "process");
	int last;

	if (!json_is_object(process))
		return c_err_new(err, C_EXIT_DATA, 0, "field process: required");
	c->argv = string_array(json_object_get(process, "args"), "process.args", true, err);
	c->env = c->argv ? string_array(json_object_get(process, "env"), "process.env", false, err)
			 : NULL;
	if (!c->argv || !c->env)
		return -1;
	c->cwd = json_string_value(json_object_get(process, "cwd"));
	if (!c->cwd || c->cwd[0] != '/')
		return c_err_new(err, C_EXIT_DATA, 0, "field process.cwd: must be an absolute path");
	c->terminal = json_is_true(json_object_get(process, "terminal"));
	c->apparmor = json_string_value(json_object_get(process, "apparmorProfile"));
	if (c->apparmor && !*c->apparmor)
		c->apparmor = NULL;
	/* the spec: what the runtime cannot apply is an error */
	if (json_string_length(json_object_get(process, "selinuxLabel")))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field process.selinuxLabel: SELinux labels are not supported by c-run");
	c->hostname = json_string_value(json_object_get(c->spec, "hostname"));
	c->domainname = json_string_value(json_object_get(c->spec, "domainname"));
	if (c_cap_last(&last, err) < 0 ||
	    c_caps_parse(process, last, &c->caps, &c->has_caps, err) < 0 ||
	    c_identity_parse(process, &c->ident, err) < 0 ||
	    c_rlimits_parse(process, &c->rlimits, &c->nrlimits, err) < 0)
		return -1;
	return 0;
}

static int prepare_seccomp(struct c_container *c, const char *cache_dir, c_err **err)
{
	json_t *profile = json_object_get(json_object_get(c->spec, "linux"), "seccomp");
	const char *note = json_string_value(json_object_get(
		json_object_get(c->spec, "annotations"), C_SPEC_SECCOMP_ANNOTATION));
	_cleanup_free_ char *text = NULL;
	struct c_seccomp_opts o = {
		.source = "config.json",
		.caps = c->has_caps ? c->caps.bounding : ~UINT64_C(0),
		.cache_dir = cache_dir,
	};

	if (profile) {
		text = c_json_dump(profile, &o.profile_len, err);
		if (!text)
			return -1;
		o.profile = text;
		o.where = "linux.seccomp";
	} else if (!note || strcmp(note, "default")) {
		return 0; /* no filter: "unconfined", or a config that asks for none */
	}
	return c_seccomp_prepare(&o, &c->seccomp, err);
}

/* A container of spec with nothing prepared yet: no namespace to join. */
static struct c_container *container_new(json_t *spec, const char *id, c_err **err)
{
	struct c_container *c = calloc(1, sizeof *c);

	if (!c || !(c->id = strdup(id))) {
		free(c);
		c_err_sys(err, "allocate", id);
		return NULL;
	}
	c->spec = spec;
	c->netns_sock = -1;
	for (size_t k = 0; k < NNS; k++)
		c->join_fd[k] = -1;
	return c;
}

struct c_container *c_container_prepare(json_t *spec, const char *bundle, const char *id,
					const char *cache_dir, c_err **err)
{
	struct c_container *c = container_new(spec, id, err);

	if (c && json_string_length(json_object_get(json_object_get(spec, "linux"), "mountLabel"))) {
		c_err_new(err, C_EXIT_DATA, 0,
			  "field linux.mountLabel: SELinux labels are not supported by c-run");
		c_container_free(c);
		return NULL;
	}
	if (c && (prepare_namespaces(c, err) < 0 || prepare_process(c, err) < 0 ||
		  !(c->rootfs = c_rootfs_plan_new(spec, bundle, err)) ||
		  prepare_seccomp(c, cache_dir, err) < 0)) {
		c_container_free(c);
		return NULL;
	}
	return c;
}

struct c_container *c_container_prepare_exec(json_t *spec, const char *id,
					     const char *cache_dir, c_err **err)
{
	struct c_container *c = container_new(spec, id, err);

	if (c && (prepare_process(c, err) < 0 || prepare_seccomp(c, cache_dir, err) < 0)) {
		c_container_free(c);
		return NULL;
	}
	return c;
}

void c_container_free(struct c_container *c)
{
	if (!c)
		return;
	for (size_t k = 0; k < NNS; k++)
		if (c->join_fd[k] >= 0)
			close(c->join_fd[k]);
	if (c->netns_sock >= 0)
		close(c->netns_sock);
	if (c->netns_pid > 0) {
		kill(c->netns_pid, SIGKILL);
		waitpid(c->netns_pid, NULL, 0);
	}
	c_rootfs_plan_free(c->rootfs);
	c_identity_free(&c->ident);
	free(c->rlimits);
	c_seccomp_free(c->seccomp);
	free(c->argv);
	free(c->env);
	free(c->id);
	free(c);
}

int c_container_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return C_EXIT_RUNTIME;
}

/* --- the child ------------------------------------------------------------------------ */

static noreturn void child_fail(int sock, c_err **err, int status)
{
	struct msg m = { 'E', status, "" };
	char *line = c_err_line(*err);

	snprintf(m.line, sizeof m.line, "%s", line ? line : "container setup failed");
	free(line);
	/* after create returned (at the exec fifo, or later) nobody reads the
	 * socket: the process's stderr, which the caller of create gave it,
	 * is where the error can still be seen */
	if (send_msg(sock, &m, NULL, 0) < 0)
		c_err_print(*err);
	_exit(status);
}

/* The command, looked up in the container's PATH as execvp would, so its
 * absence is reported before anything waits. */
static char *find_command(struct c_container *c, int *status, c_err **err)
{
	const char *cmd = c->argv[0], *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	bool denied = false;

	*status = C_EXIT_NOTFOUND_CMD;
	if (strchr(cmd, '/')) {
		if (access(cmd, X_OK) == 0)
			return strdup(cmd);
		*status = errno == ENOENT ? C_EXIT_NOTFOUND_CMD : C_EXIT_NOEXEC;
		c_err_sys(err, "exec", cmd);
		return NULL;
	}
	for (char **e = c->env; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		char *full = NULL;
		struct stat st;

		if (asprintf(&full, "%.*s/%s", (int)n, n ? p : ".", cmd) < 0)
			break;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(full, X_OK) == 0)
				return full;
			denied = true;
		}
		free(full);
		p += n + (p[n] == ':');
	}
	*status = denied ? C_EXIT_NOEXEC : C_EXIT_NOTFOUND_CMD;
	c_err_new(err, *status, denied ? EACCES : ENOENT, "exec %s: in $PATH %s", cmd, path);
	return NULL;
}

/* A pty in the container's own devpts: the slave becomes the controlling
 * terminal, stdio and /dev/console; the master goes to the parent. */
static int open_terminal(int sock, bool console_too, c_err **err)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	char slave_path[64];
	int unlock = 0, n, slave, console;
	struct msg m = { 'T', 0, "" };

	if (master < 0)
		return c_err_sys(err, "open", "/dev/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
		return c_err_sys(err, "unlock pty", "/dev/ptmx");
	snprintf(slave_path, sizeof slave_path, "/dev/pts/%d", n);
	slave = open(slave_path, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return c_err_sys(err, "open", slave_path);
	if (console_too) {
		console = open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (console >= 0)
			close(console);
		if (console < 0 || mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0)
			return c_err_sys(err, "bind console", slave_path);
	}
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return c_err_sys(err, "controlling terminal", slave_path);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return c_err_sys(err, "dup", slave_path);
	if (slave > 2)
		close(slave);
	send_msg(sock, &m, &master, 1);
	return 0;
}

static int set_stdio(const int stdio[3], c_err **err)
{
	for (int fd = 0; fd < 3; fd++)
		if (stdio[fd] >= 0 && stdio[fd] != fd && dup2(stdio[fd], fd) < 0)
			return c_err_sys(err, "dup", "stdio");
	if (setsid() < 0)
		return c_err_sys(err, "setsid", "container");
	return 0;
}

static int wait_for_start(int sock, const char *fifo_path, int fifo, c_err **err)
{
	struct msg m = { 'R', 0, "" };
	char proc[64];
	int fd;

	send_msg(sock, &m, NULL, 0);
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fifo);
	/* the write end stays open until the exec closes it: `start` reads
	 * to the end of the fifo, so it returns once the command runs */
	fd = open(proc, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		return c_err_sys(err, "exec fifo", fifo_path);
	close(fifo);
	return 0;
}

/* Every fd from 3 up closed (cloexec: only marked close-on-exec).
 * close_range first; where it is missing or a seccomp profile older than
 * it refuses it (EPERM, ENOSYS), one fd at a time from /proc/self/fd. */
static int close_inherited(bool cloexec)
{
	DIR *d;
	struct dirent *e;

	if (syscall(SYS_close_range, 3, ~0U, cloexec ? CLOSE_RANGE_CLOEXEC : 0) == 0)
		return 0;
	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (fd < 3 || fd == dirfd(d))
			continue;
		if (cloexec ? fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 : close(fd) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/* The AppArmor profile the exec moves into, as runc sets it.  Where
 * AppArmor is off the kernel refuses it: the error names the profile. */
static int apparmor_exec(const char *profile, c_err **err)
{
	static const char *const files[] = { "/proc/self/attr/apparmor/exec",
					     "/proc/self/attr/exec" };
	_cleanup_free_ char *cmd = NULL;
	int n = asprintf(&cmd, "exec %s", profile);

	if (n < 0) {
		cmd = NULL;
		return c_err_new(err, C_EXIT_RUNTIME, ENOMEM, "AppArmor profile %s", profile);
	}
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		_cleanup_close_ int fd = open(files[i], O_WRONLY | O_CLOEXEC);

		if (fd < 0 && errno == ENOENT && i + 1 < sizeof files / sizeof files[0])
			continue;
		if (fd < 0 || write(fd, cmd, (size_t)n) != n)
			return c_err_new(err, C_EXIT_RUNTIME, errno,
					 "AppArmor profile %s: write %s", profile, files[i]);
		return 0;
	}
	return 0;
}

/* --init: pid 1 reaps every child and forwards signals to the command; it
 * exits with the command's status. */
static noreturn void reaper(pid_t cmd)
{
	sigset_t all;
	int status, code = C_EXIT_RUNTIME;

	/* it never execs, so close-on-exec does not apply: nothing of
	 * c-run's (host directories, the caller's pipes) stays in the
	 * container through /proc/1/fd */
	close_inherited(false);
	sigfillset(&all);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		pid_t p;

		if (sig > 0 && sig != SIGCHLD)
			kill(cmd, sig);
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == cmd)
				code = c_container_exit_code(status);
		if (p < 0 && errno == ECHILD)
			_exit(code);
	}
}

/* The container's process (or an exec's), once in its namespaces with its
 * stdio: limits, identity, capabilities, seccomp, working directory, then
 * the command. */
static noreturn void become_process(struct c_container *c, const struct c_spawn_opts *o,
				    int sock, int fifo)
{
	_cleanup_free_ char *exe = NULL;
	sigset_t none;
	int status = C_EXIT_RUNTIME;
	c_err *err = NULL;

	/* what c-run's caller left open does not reach the container (the
	 * OCI runtime's --preserve-fds is not supported); before seccomp,
	 * which may refuse close_range */
	if (close_inherited(true) < 0) {
		c_err_sys(&err, "close-on-exec", "inherited fds");
		child_fail(sock, &err, C_EXIT_RUNTIME);
	}
	if ((c->apparmor && apparmor_exec(c->apparmor, &err) < 0) ||
	    c_rlimits_apply(c->rlimits, c->nrlimits, &err) < 0 ||
	    (c->ident.has_oom_score_adj && c_oom_score_adj(c->ident.oom_score_adj, &err) < 0) ||
	    (c->seccomp && !c->ident.no_new_privs && c_seccomp_load(c->seccomp, &err) < 0) ||
	    c_identity_switch(&c->ident, c->has_caps ? &c->caps : NULL, &err) < 0 ||
	    (c->ident.no_new_privs && c_no_new_privs(&err) < 0) ||
	    (c->seccomp && c->ident.no_new_privs && c_seccomp_load(c->seccomp, &err) < 0))
		child_fail(sock, &err, status);
	if (chdir(c->cwd) < 0) {
		c_err_sys(&err, "chdir", c->cwd);
		child_fail(sock, &err, status);
	}
	exe = find_command(c, &status, &err);
	if (!exe)
		child_fail(sock, &err, status);
	if (o->exec_fifo && wait_for_start(sock, o->exec_fifo, fifo, &err) < 0)
		child_fail(sock, &err, C_EXIT_RUNTIME);
	if (o->init) {
		sigset_t all;
		pid_t cmd;

		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		cmd = fork();
		if (cmd < 0) {
			c_err_sys(&err, "fork", "init");
			child_fail(sock, &err, C_EXIT_RUNTIME);
		}
		if (cmd > 0) {
			close(sock);
			reaper(cmd);
		}
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(exe, c->argv, c->env);
	status = errno == ENOENT ? C_EXIT_NOTFOUND_CMD : C_EXIT_NOEXEC;
	c_err_sys(&err, "exec", exe);
	child_fail(sock, &err, status);
}

/* The child's ways into what others make meanwhile: its cgroup (the
 * parent), its network namespace (the helper of netns_start()). */
struct join {
	int sock;
	bool new_cgroup_ns;
	bool done;
	int netns_sock;	  /* -1: none to join, or joined */
	bool pushed;	  /* the parent moved this process to another CPU */
	cpu_set_t cpus;	  /* ... and these were its CPUs before */
	cpu_set_t others; /* ... and those it was moved to */
};

/* Waits for the parent's 'G' and moves in through the files it carries
 * (writing "0" to them: the parent writing the child's pid to cgroup.procs
 * would wait for an RCU grace period on cgroup v1); then the cgroup
 * namespace, whose root is the cgroup its maker is in. */
static int join_cgroup(void *arg, c_err **err)
{
	struct join *j = arg;
	int fds[MSG_FDS_MAX], rc;
	size_t nfds;
	struct msg m;
	ssize_t n;

	j->done = true;
	n = recv_msg(j->sock, &m, fds, MSG_FDS_MAX, &nfds);
	if (n <= 0 || m.kind != 'G') {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return c_err_new(err, C_EXIT_FAIL, n < 0 ? errno : EPIPE,
				 "join the cgroup: no word from c-run");
	}
	/* the CPUs it had, before the cgroup (a cpuset) has its say: 'G'
	 * comes after the parent moved it, so this is not undone */
	if (j->pushed && sched_setaffinity(0, sizeof j->cpus, &j->cpus) < 0) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return c_err_sys(err, "set the CPU affinity of", "the container");
	}
	rc = c_cgroup_enter_fds(fds, nfds, err);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	if (rc < 0)
		return c_err_wrap(err, "join the cgroup");
	if (j->new_cgroup_ns && unshare(CLONE_NEWCGROUP) < 0)
		return c_err_sys(err, "unshare", "cgroup namespace");
	return 0;
}

/* The helper's network namespace (netns_start()), when the mounts come to
 * sysfs: the mounts before it go on while the helper makes it. */
static int join_netns(void *arg, c_err **err)
{
	struct join *j = arg;
	struct msg m = { 0 };
	int fd = -1, rc;
	size_t nfds;
	ssize_t n;

	if (j->netns_sock < 0)
		return 0;
	n = recv_msg(j->netns_sock, &m, &fd, 1, &nfds);
	j->netns_sock = -1;
	if (n <= 0 || m.kind != 'N' || !nfds) {
		if (nfds)
			close(fd);
		return c_err_new(err, C_EXIT_FAIL, n < 0 ? errno : m.kind == 'E' ? m.status : EPIPE,
				 "%s", m.kind == 'E' ? m.line : "unshare: network namespace");
	}
	rc = setns(fd, CLONE_NEWNET);
	close(fd);
	return rc < 0 ? c_err_sys(err, "join namespace", "network") : 0;
}

static noreturn void child_main(struct c_container *c, const struct c_spawn_opts *o,
				const struct join *parent_join)
{
	struct join j = *parent_join;
	int sock = j.sock;
	struct c_rootfs_opts ro = { .upper = o->upper, .work = o->work, .no_pivot = o->no_pivot,
				    .before_cgroups = join_cgroup, .before_net = join_netns,
				    .arg = &j };
	int fifo = -1, status = C_EXIT_RUNTIME, flags = c->clone_flags & ~CLONE_NEWPID;
	c_err *err = NULL;

	/* before anything else, off the parent's CPU (other_cpus()) */
	if (j.pushed)
		sched_setaffinity(0, sizeof j.others, &j.others);
	/* The namespaces clone did not make, made here while the parent
	 * makes the cgroup; the network one is the helper's */
	if (flags && unshare(flags) < 0) {
		c_err_sys(&err, "unshare", "namespaces");
		child_fail(sock, &err, status);
	}
	/* (a pid namespace by path: the parent cloned this process into it) */
	for (size_t k = 0; k < NNS; k++)
		if (c->join_fd[k] >= 0 && namespaces[k].flag != CLONE_NEWPID &&
		    setns(c->join_fd[k], namespaces[k].flag) < 0) {
			c_err_sys(&err, "join namespace", namespaces[k].type);
			child_fail(sock, &err, status);
		}
	if (o->exec_fifo) {
		fifo = open(o->exec_fifo, O_PATH | O_CLOEXEC);
		if (fifo < 0) {
			c_err_sys(&err, "open", o->exec_fifo);
			child_fail(sock, &err, status);
		}
	}
	/* the mounts that need neither go on while the cgroup and the network
	 * namespace are made; the cgroup is joined before the first mount that
	 * needs it, or after them all */
	if (c_rootfs_setup(c->rootfs, &ro, &err) < 0 || (!j.done && join_cgroup(&j, &err) < 0) ||
	    (c->terminal ? open_terminal(sock, true, &err) : set_stdio(o->stdio, &err)) < 0)
		child_fail(sock, &err, status);
	if ((c->clone_flags & CLONE_NEWUTS) && c->hostname &&
	    sethostname(c->hostname, strlen(c->hostname)) < 0) {
		c_err_sys(&err, "sethostname", c->hostname);
		child_fail(sock, &err, status);
	}
	if ((c->clone_flags & CLONE_NEWUTS) && c->domainname &&
	    setdomainname(c->domainname, strlen(c->domainname)) < 0) {
		c_err_sys(&err, "setdomainname", c->domainname);
		child_fail(sock, &err, status);
	}
	become_process(c, o, sock, fifo);
}


/* --- spawning, in the parent ---------------------------------------------------------- */

/* Until the child execs (EOF), waits at the fifo ('R'), or fails ('E'; the
 * caller reaps it). */
static int follow_child(int sock, const char *id, int *pty, c_err **err)
{
	for (;;) {
		struct msg m;
		int fd = -1;
		size_t nfds;
		ssize_t n = recv_msg(sock, &m, &fd, 1, &nfds);

		if (n == 0)
			return 0;
		if (n < 0)
			return c_err_sys(err, "read from container", id);
		if (m.kind == 'T') {
			*pty = fd;
			continue;
		}
		if (m.kind == 'R')
			return 0;
		if (fd >= 0)
			close(fd);
		m.line[sizeof m.line - 1] = '\0';
		return c_err_new(err, m.status, 0, "container %s: %s", id, m.line);
	}
}

/* clone3(2)'s arguments (kernel ABI, 5.7's with the cgroup), under our own
 * name: musl has no struct clone_args, and <linux/sched.h> clashes with
 * <sched.h>. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

#define CLONE3_INTO_CGROUP 0x200000000ULL

/* fork semantics (no new stack), in a new pid namespace when the config
 * has one; the other namespaces are the child's to make.  into >= 0 (a
 * cgroup v2 directory): the child starts in that cgroup (clone3,
 * CLONE_INTO_CGROUP, Linux 5.7), or *into is set to -1 when the kernel
 * cannot, for the child to join as on v1. */
static pid_t clone_child(int flags, int *into)
{
	if (*into >= 0) {
		struct clone3_args a = { .flags = (uint64_t)flags | CLONE3_INTO_CGROUP,
					 .exit_signal = SIGCHLD, .cgroup = (uint64_t)*into };
		pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof a);

		/* older kernels: no clone3, or no cgroup in its arguments */
		if (pid >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL))
			return pid;
		*into = -1;
	}
	return (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/* Whether this looks like a cgroup v2 host, before c_cgroup_plan() reads
 * the mounts: a guess either way costs time, not correctness (a v2 cgroup
 * made after the clone is joined through cgroup.procs). */
static bool looks_v2(void)
{
	struct statfs sf;

	return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* The cgroup made, the child told so with the files to join it through
 * (none when it was cloned into it). */
static int cgroup_ready(int sock, const struct c_cgroup *cg, bool cloned_in, const char *id,
			c_err **err)
{
	struct msg m = { 'G', 0, "" };
	int fds[MSG_FDS_MAX];
	size_t nfds = 0;
	int rc;

	if (!cloned_in && c_cgroup_open_enter(cg, fds, &nfds, err) < 0)
		return c_err_wrap(err, "container %s: join the cgroup", id);
	rc = send_msg(sock, &m, fds, nfds);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	/* a child that is gone has said why: follow_child() reads it */
	if (rc < 0 && errno != EPIPE && errno != ECONNRESET)
		return c_err_sys(err, "send the cgroup to", id);
	return 0;
}

int c_container_spawn(struct c_container *c, const struct c_spawn_opts *o, pid_t *pid,
		      struct c_cgroup **cgroup, int *pty, c_err **err)
{
	json_t *resources = json_object_get(json_object_get(c->spec, "linux"), "resources");
	_cleanup_close_ int into = -1, own_pidns = -1;
	struct join j = { .new_cgroup_ns = c->new_cgroup_ns, .netns_sock = c->netns_sock };
	struct c_cgroup *cg = NULL;
	bool made = false;
	int sv[2] = { -1, -1 };
	pid_t child = -1;

	*pty = -1;
	/* On v2 the child is cloned into its cgroup, which must exist by
	 * then (moving in later takes cgroup.procs and an RCU grace period);
	 * on v1 the parent reads the layout and makes the cgroup while the
	 * child sets itself up. */
	if (looks_v2() && !(cg = c_cgroup_plan(o->cgroup_path, resources, err)))
		return c_err_wrap(err, "container %s", c->id);
	if (cg && c_cgroup_version(cg) == C_CGROUP_V2) {
		if (c_cgroup_make(cg, err) < 0) {
			c_err_wrap(err, "container %s", c->id);
			goto fail;
		}
		made = true;
		into = open(c_cgroup_dir(cg, NULL), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (into < 0) {
			c_err_sys(err, "open cgroup", c_cgroup_dir(cg, NULL));
			goto fail;
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		c_err_sys(err, "socketpair for", c->id);
		goto fail;
	}
	j.sock = sv[1];
	j.pushed = !made && other_cpus(&j.cpus, &j.others);
	/* a pid namespace by path is entered by the children of who joins
	 * it: this process, for the clone only */
	if (c->join_fd[ns_index(CLONE_NEWPID)] >= 0 &&
	    ((own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0 ||
	     setns(c->join_fd[ns_index(CLONE_NEWPID)], CLONE_NEWPID) < 0)) {
		c_err_sys(err, "join namespace", "pid");
		goto fail;
	}
	child = clone_child(c->clone_flags & CLONE_NEWPID, &into);
	if (child < 0) {
		c_err_sys(err, "clone", c->id);
		/* best effort: the clone's error is the one to report */
		if (own_pidns >= 0)
			(void)setns(own_pidns, CLONE_NEWPID);
		goto fail;
	}
	if (child > 0 && own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0) {
		c_err_sys(err, "return to", "c-run's pid namespace");
		goto fail;
	}
	if (child == 0) {
		close(sv[0]);
		child_main(c, o, &j);
	}
	close(sv[1]);
	sv[1] = -1;
	if (c->netns_sock >= 0) {
		close(c->netns_sock);
		c->netns_sock = -1;
	}
	/* best effort: where it fails, the two take turns; the child takes
	 * back j.cpus when told the cgroup is ready, before joining it, so
	 * that a cpuset has the last word as before */
	if (j.pushed)
		sched_setaffinity(child, sizeof j.others, &j.others);
	if (!cg && !(cg = c_cgroup_plan(o->cgroup_path, resources, err))) {
		c_err_wrap(err, "container %s", c->id);
		goto fail;
	}
	if (!made && c_cgroup_make(cg, err) < 0) {
		c_err_wrap(err, "container %s", c->id);
		goto fail;
	}
	made = true;
	if (cgroup_ready(sv[0], cg, into >= 0, c->id, err) < 0 ||
	    follow_child(sv[0], c->id, pty, err) < 0)
		goto fail;
	close(sv[0]);
	*pid = child;
	*cgroup = cg;
	if (c->netns_pid > 0) {
		waitpid(c->netns_pid, NULL, 0);
		c->netns_pid = 0;
	}
	return 0;
fail:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	if (*pty >= 0)
		close(*pty);
	*pty = -1;
	if (made)
		c_cgroup_destroy(cg, &(c_err *){ NULL });
	c_cgroup_free(cg);
	if ((*err)->status < C_EXIT_RUNTIME)
		(*err)->status = C_EXIT_RUNTIME;
	return -1;
}

/* --- exec, a new process in a running container -------------------------------------- */

/* The order of the joins: the mount namespace last, as it changes the root
 * the other /proc paths were opened in (they are open already; this keeps
 * the errors' paths meaningful). */
static const struct {
	const char *name;
	int flag;
} exec_joins[] = {
	{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },       { "net", CLONE_NEWNET },
	{ "cgroup", CLONE_NEWCGROUP }, { "mnt", CLONE_NEWNS },
};

#define NJOINS (sizeof exec_joins / sizeof exec_joins[0])

/* The namespace of pid named name, or -1 when it is this process's own
 * (joining it would change nothing; the mount one would reset the root). */
static int open_ns(pid_t pid, const char *name, c_err **err)
{
	char path[64], own[64];
	struct stat a, b;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, name);
	snprintf(own, sizeof own, "/proc/self/ns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &a) < 0 || stat(own, &b) < 0) {
		c_err_sys(err, "open", path);
		if (fd >= 0)
			close(fd);
		return -2;
	}
	if (a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
		close(fd);
		return -1;
	}
	return fd;
}

static void close_joins(int ns[NJOINS]);

/* The namespaces of target to join, in exec_joins' order (-1: our own). */
static int open_joins(pid_t target, int ns[NJOINS], c_err **err)
{
	for (size_t k = 0; k < NJOINS; k++)
		ns[k] = -1;
	for (size_t k = 0; k < NJOINS; k++)
		if ((ns[k] = open_ns(target, exec_joins[k].name, err)) == -2) {
			ns[k] = -1;
			close_joins(ns);
			return -1;
		}
	return 0;
}

static void close_joins(int ns[NJOINS])
{
	for (size_t k = 0; k < NJOINS; k++)
		if (ns[k] >= 0) {
			close(ns[k]);
			ns[k] = -1;
		}
}

static int enter_joins(const int ns[NJOINS], c_err **err)
{
	for (size_t k = 0; k < NJOINS; k++)
		if (ns[k] >= 0 && setns(ns[k], exec_joins[k].flag) < 0)
			return c_err_sys(err, "join namespace", exec_joins[k].name);
	return 0;
}

int c_container_enter(pid_t target, c_err **err)
{
	int ns[NJOINS], rc;

	if (open_joins(target, ns, err) < 0)
		return -1;
	rc = enter_joins(ns, err);
	close_joins(ns);
	return rc;
}

static noreturn void exec_child_main(struct c_container *c, const struct c_spawn_opts *o,
				     const struct c_cgroup *cg, const int ns[NJOINS], int sock)
{
	c_err *err = NULL;

	/* the cgroup's paths are the host's: before the mount namespace */
	if (cg && c_cgroup_enter_self(cg, &err) < 0) {
		c_err_wrap(&err, "join the cgroup");
		child_fail(sock, &err, C_EXIT_RUNTIME);
	}
	if (enter_joins(ns, &err) < 0)
		child_fail(sock, &err, C_EXIT_RUNTIME);
	if ((c->terminal ? open_terminal(sock, false, &err) : set_stdio(o->stdio, &err)) < 0)
		child_fail(sock, &err, C_EXIT_RUNTIME);
	become_process(c, o, sock, -1);
}


int c_container_exec(struct c_container *c, pid_t target, const char *cgroup_path,
		     const struct c_spawn_opts *o, pid_t *pid, int *pty, c_err **err)
{
	int ns[NJOINS], pidns = -1, sv[2] = { -1, -1 }, rc = -1;
	struct c_cgroup *cg = NULL;
	pid_t child = -1;

	*pty = -1;
	/* on failure ns is all -1, for out */
	if (open_joins(target, ns, err) < 0)
		goto out;
	pidns = open_ns(target, "pid", err);
	if (pidns == -2 || (cgroup_path && !(cg = c_cgroup_open(cgroup_path, err))))
		goto out;
	/* the pid namespace is entered by the children of who joins it: this
	 * process joins it for the one it forks, which stays its child */
	if (pidns >= 0 && setns(pidns, CLONE_NEWPID) < 0) {
		c_err_sys(err, "join namespace", "pid");
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		c_err_sys(err, "socketpair for", c->id);
		goto out;
	}
	child = fork();
	if (child < 0) {
		c_err_sys(err, "fork", c->id);
		goto out;
	}
	if (child == 0) {
		close(sv[0]);
		exec_child_main(c, o, cg, ns, sv[1]);
	}
	close(sv[1]);
	sv[1] = -1;
	if (follow_child(sv[0], c->id, pty, err) < 0)
		goto out;
	*pid = child;
	rc = 0;
out:
	if (rc < 0 && child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	close_joins(ns);
	if (pidns >= 0)
		close(pidns);
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	c_cgroup_free(cg);
	if (rc < 0 && (*err)->status < C_EXIT_RUNTIME)
		(*err)->status = C_EXIT_RUNTIME;
	return rc;
}
