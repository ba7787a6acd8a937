/* c-run — run containers: an OCI runtime on bundles (runc's command line),
 * and docker's `run` for people, on images or bundles. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "caps.h"
#include "cgroup.h"
#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "err.h"
#include "file.h"
#include "json.h"
#include "logfile.h"
#include "monitor.h"
#include "runopts.h"
#include "state.h"
#include "store.h"
#include "supervise.h"
#include "timefmt.h"
#include "unpack.h"

static const char usage[] =
	"Usage: c-run [OPTIONS] IMAGE|BUNDLE [COMMAND [ARG...]]\n"
	"       c-run [--root DIR] create|start|state|kill|delete|run|list ...\n"
	"Run a container from IMAGE (a name or digest in the store, unpacked with\n"
	"shared layers) or from the OCI bundle BUNDLE, in the foreground; its exit\n"
	"status is c-run's.  The second form is an OCI runtime, as runc's command line.\n"
	"\n"
	"      --name NAME            a name for the container (unique)\n"
	"      --rm                   remove the container when it exits\n"
	"  -t, --tty                  a terminal\n"
	"  -i, --interactive          keep stdin open (with -t: relay it)\n"
	"  -e, --env K=V|K            set an environment variable\n"
	"  -w, --workdir DIR          the working directory\n"
	"  -u, --user USER[:GROUP]    the user (names from the image's /etc/passwd)\n"
	"      --hostname NAME        the host name\n"
	"      --entrypoint CMD       replace the image's entrypoint (\"\" for none)\n"
	"  -v, --volume SRC:DST[:OPTS] bind a host path, or a named volume (OPTS: ro,\n"
	"                             rw, nocopy)\n"
	"      --tmpfs DST[:OPTS]     a tmpfs\n"
	"      --read-only            a read-only root\n"
	"      --network MODE         none (default), host, ns:PATH\n"
	"  -m, --memory SIZE          memory limit (e.g. 64m)\n"
	"      --memory-swap SIZE     memory + swap limit (-1: unlimited)\n"
	"      --cpus N               CPU quota\n"
	"      --cpu-shares N         CPU weight\n"
	"      --cpuset-cpus LIST     CPUs allowed\n"
	"      --pids-limit N         process limit\n"
	"      --ulimit NAME=S[:H]    a resource limit (never above the hard limit here)\n"
	"      --cap-add CAP          add a capability (ALL for every one)\n"
	"      --cap-drop CAP         drop a capability\n"
	"      --privileged           every capability, no seccomp, no masked paths\n"
	"      --security-opt OPT     seccomp=FILE|unconfined, no-new-privileges\n"
	"      --init                 a reaping init as pid 1\n"
	"      --timeout SECONDS      stop the container after that long (exit 124)\n"
	"      --stop-signal SIG      the signal --timeout sends first (default TERM)\n"
	"      --stop-timeout SECONDS between it and SIGKILL (default 10)\n"
	"      --root DIR             the state root (default /run/c-run)\n"
	"  -h, --help                 this help\n"
	"      --version              print the version\n"
	"\n"
	"Exit status: the container's (128+N for signal N), 124 on --timeout,\n"
	"125 when c-run fails, 126 when COMMAND cannot run, 127 when it is not found.\n";

/* Global state of one invocation. */
static const char *state_root;

/* --- shared pieces ------------------------------------------------------------------ */

static char *new_id(void)
{
	unsigned char raw[32];
	char *id = malloc(65);

	if (!id || getrandom(raw, sizeof raw, 0) != sizeof raw) {
		free(id);
		return NULL;
	}
	for (int i = 0; i < 32; i++)
		sprintf(id + 2 * i, "%02x", raw[i]);
	return id;
}

static char *now_rfc3339(void)
{
	char buf[C_RFC3339_MAX];

	c_time_rfc3339(NULL, buf);
	return strdup(buf);
}

static int parse_signal(const char *s, int *out, c_err **err)
{
	static const struct { const char *name; int sig; } names[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
		{ "TERM", SIGTERM }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
		{ "TSTP", SIGTSTP }, { "WINCH", SIGWINCH }, { "ABRT", SIGABRT },
	};
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end && n > 0 && n < NSIG) {
		*out = (int)n;
		return 0;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcasecmp(s, names[i].name)) {
			*out = names[i].sig;
			return 0;
		}
	return c_err_new(err, C_EXIT_USAGE, 0, "unknown signal \"%s\"", s);
}

static char *container_data_dir(const char *id)
{
	_cleanup_free_ char *root = c_store_default_root();
	char *dir;

	return root && asprintf(&dir, "%s/containers/%s", root, id) >= 0 ? dir : NULL;
}

/* The overlay's upper and work dirs, beside whatever else c-run keeps for
 * the container on disk. */
/* $C_ROOT/containers/ID, and $C_ROOT/containers, when missing. */
static int make_data_dir(const char *data, c_err **err)
{
	_cleanup_free_ char *parent = strdup(data);

	if (!parent)
		return c_err_sys(err, "allocate", data);
	*strrchr(parent, '/') = '\0';
	if ((mkdir(parent, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(data, 0700) < 0 && errno != EEXIST))
		return c_err_sys(err, "mkdir", data);
	return 0;
}

static int make_upper(const char *data, char **upper, char **work, c_err **err)
{
	if (asprintf(upper, "%s/upper", data) < 0 || asprintf(work, "%s/work", data) < 0)
		return c_err_sys(err, "allocate", data);
	if (make_data_dir(data, err) < 0)
		return -1;
	if (mkdir(*upper, 0755) < 0 || mkdir(*work, 0700) < 0)
		return c_err_sys(err, "mkdir", data);
	return 0;
}

static bool has_overlay(json_t *spec)
{
	return json_object_get(json_object_get(spec, "annotations"), C_SPEC_LOWERDIRS_ANNOTATION);
}

/* Everything of a container that is not running: its cgroup, its disk
 * data, its state. */
static int remove_container(struct c_state *s, c_err **err)
{
	_cleanup_free_ char *data = container_data_dir(s->id);
	struct c_cgroup *cg = s->cgroup ? c_cgroup_open(s->cgroup, NULL) : NULL;
	c_err *e = NULL;

	if (cg) {
		c_cgroup_kill(cg, SIGKILL, &e);
		c_err_free(&e);
		c_cgroup_destroy(cg, &e);
		c_err_free(&e);
		c_cgroup_free(cg);
	}
	if (data)
		c_remove_tree(data);
	return c_state_remove(state_root, s, err);
}

/* --- the engine, for both fronts ----------------------------------------------------- */

/* The config as applied, beside the state: exec and ps read it. */
static int save_config(const struct c_state *s, json_t *spec, c_err **err)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/config.json", s->dir) < 0)
		return c_err_sys(err, "allocate", s->id);
	return c_json_write_file(path, spec, 0600, err);
}

struct launch {
	struct c_state st;
	json_t *spec;
	const char *bundle;
	struct c_spawn_opts so;
	struct c_container *c;
	struct c_cgroup *cg;
	char *upper, *work, *cgroup_path;
	int pty;
};

static int launch(struct launch *l, c_err **err)
{
	_cleanup_free_ char *store_root = c_store_default_root(), *cache = NULL;
	const char *cgpath = json_string_value(
		json_object_get(json_object_get(l->spec, "linux"), "cgroupsPath"));

	/* compiled seccomp filters are kept beside the store; without one
	 * (it cannot be made) they are compiled every time */
	if (store_root && (mkdir(store_root, 0700) == 0 || errno == EEXIST) &&
	    asprintf(&cache, "%s/cache", store_root) < 0)
		cache = NULL;
	if (cgpath && *cgpath)
		l->cgroup_path = strdup(cgpath);
	else if (asprintf(&l->cgroup_path, "/c-tools/%s", l->st.id) < 0)
		l->cgroup_path = NULL;
	l->st.cgroup = l->cgroup_path ? strdup(l->cgroup_path) : NULL;
	l->st.created = now_rfc3339();
	l->st.exit_code = -1;
	l->c = c_container_prepare(l->spec, l->bundle, l->st.id, cache, err);
	if (!l->c || c_state_add(state_root, &l->st, err) < 0 || save_config(&l->st, l->spec, err) < 0)
		return -1;
	if (l->so.exec_fifo && mkfifo(l->so.exec_fifo, 0600) < 0)
		return c_err_sys(err, "mkfifo", l->so.exec_fifo);
	if (has_overlay(l->spec)) {
		_cleanup_free_ char *data = container_data_dir(l->st.id);

		if (!data || make_upper(data, &l->upper, &l->work, err) < 0)
			return -1;
	}
	l->so.cgroup_path = l->cgroup_path;
	l->so.upper = l->upper;
	l->so.work = l->work;
	if (c_container_spawn(l->c, &l->so, &l->st.pid, &l->cg, &l->pty, err) < 0)
		return -1;
	l->st.start_time = c_proc_start_time(l->st.pid);
	return c_state_save(&l->st, err);
}

static void launch_clear(struct launch *l)
{
	c_container_free(l->c);
	if (l->cg)
		c_cgroup_free(l->cg);
	free(l->upper);
	free(l->work);
	free(l->cgroup_path);
	if (l->pty >= 0)
		close(l->pty);
	c_state_clear(&l->st);
}

/* Record how the container ended (the status c-run reports: 124 when
 * --timeout stopped it), and remove its cgroup. */
static int record_end(struct launch *l, int wstatus, bool timed_out)
{
	unsigned long long ooms = 0;
	c_err *e = NULL;

	l->st.exit_code = timed_out ? 124 : c_container_exit_code(wstatus);
	l->st.finished = now_rfc3339();
	if (l->cg && c_cgroup_oom_kills(l->cg, &ooms, &e) == 0 && ooms > 0)
		l->st.oom_killed = true;
	c_err_free(&e);
	c_state_save(&l->st, &e);
	c_err_free(&e);
	if (l->cg) {
		c_cgroup_kill(l->cg, SIGKILL, &e);
		c_err_free(&e);
		c_cgroup_destroy(l->cg, &e);
		c_err_free(&e);
	}
	return l->st.exit_code;
}

/* Foreground: wait for the container, record how it ended. */
static int run_to_end(struct launch *l, const struct c_supervise_opts *so, c_err **err)
{
	bool timed_out;
	int wstatus = 0;

	if (c_supervise(l->st.pid, so, &wstatus, &timed_out, err) < 0)
		return -1;
	return record_end(l, wstatus, timed_out);
}

/* --- the lifecycle of containers: stop, wait, logs, ps ------------------------------------- */

static void kill_all(const struct c_state *s)
{
	struct c_cgroup *cg = s->cgroup ? c_cgroup_open(s->cgroup, NULL) : NULL;
	c_err *e = NULL;

	if (s->pid > 0)
		kill(s->pid, SIGKILL);
	if (cg && c_cgroup_kill(cg, SIGKILL, &e) < 0)
		c_err_free(&e);
	c_cgroup_free(cg);
}

/* Its stop signal, up to grace seconds, then SIGKILL for every process in
 * it; then, for a detached container, until its supervisor has recorded
 * the end (and, with --rm, removed it). */
static int stop_container(const struct c_state *s, int sig, int grace, c_err **err)
{
	/* pid 0 (still being made) would be kill(2)'s "my process group" */
	if (s->pid > 0 && c_state_status(s) != C_STATUS_STOPPED) {
		if (kill(s->pid, sig) < 0 && errno != ESRCH)
			return c_err_sys(err, "kill", s->id);
		if (c_proc_wait_exit(s->pid, s->start_time, grace * 1000) < 0) {
			kill_all(s);
			if (c_proc_wait_exit(s->pid, s->start_time, 10000) < 0)
				return c_err_new(err, C_EXIT_FAIL, errno, "stop %s", s->id);
		}
	}
	if (c_state_monitor_alive(s) && c_proc_wait_exit(s->monitor, s->monitor_start, 10000) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "stop %s: its supervisor", s->id);
	return 0;
}

static const struct option stop_options[] = {
	{ "time", required_argument, NULL, 't' },
	{ "signal", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_stop(int argc, char **argv, c_err **err)
{
	int c, grace = -1, sig = 0, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":t:s:", stop_options, NULL)) != -1) {
		if (c == 't')
			grace = (int)c_cli_int("--time", optarg, 0, 1L << 30);
		else if (c == 's' && parse_signal(optarg, &sig, err) < 0)
			return -1;
		else if (c != 's')
			c_cli_bad_option(c, argc, argv);
	}
	if (optind == argc)
		c_die_usage("stop: expected a container");
	for (int i = optind; i < argc && rc == 0; i++) {
		struct c_state s;

		if (c_state_load(state_root, argv[i], &s, err) < 0)
			return -1;
		rc = stop_container(&s, sig ? sig : s.stop_signal ? s.stop_signal : SIGTERM,
				    grace >= 0 ? grace : s.stop_timeout >= 0 ? s.stop_timeout : 10,
				    err);
		if (rc == 0)
			puts(argv[i]);
		c_state_clear(&s);
	}
	return rc;
}

/* The exit status of a container once it has ended: from its supervisor's
 * socket (which has it even when --rm takes the state away), else from
 * the state. */
static int wait_container(const char *what, int *code, c_err **err)
{
	struct c_state s;
	c_err *e = NULL;
	int rc = 0;

	if (c_state_load(state_root, what, &s, err) < 0)
		return -1;
	*code = -1;
	if (c_state_monitor_alive(&s)) {
		_cleanup_close_ int fd = c_attach_connect(s.dir, &e);
		char buf[1 + C_ATTACH_DATA_MAX];
		ssize_t n;

		c_err_free(&e);
		while (fd >= 0 && (n = recv(fd, buf, sizeof buf - 1, 0)) > 0)
			if (buf[0] == C_ATTACH_EXIT) {
				buf[n] = '\0';
				*code = atoi(buf + 1);
				goto out;
			}
		c_proc_wait_exit(s.monitor, s.monitor_start, -1);
	} else if (c_state_status(&s) != C_STATUS_STOPPED) {
		c_proc_wait_exit(s.pid, s.start_time, -1);
	}
	/* a foreground c-run records the status right after the exit */
	for (int tries = 0; tries < 40 && rc == 0 && *code < 0; tries++) {
		struct c_state now;

		if (tries)
			usleep(25000);
		rc = c_state_load(state_root, s.id, &now, err);
		if (rc == 0)
			*code = now.exit_code;
		c_state_clear(&now);
	}
	if (rc == 0 && *code < 0)
		rc = c_err_new(err, C_EXIT_FAIL, 0, "container %s: its exit status is not known",
			       s.id);
out:
	c_state_clear(&s);
	return rc;
}

static int cmd_wait(int argc, char **argv, c_err **err)
{
	if (argc < 2)
		c_die_usage("wait: expected a container");
	for (int i = 1; i < argc; i++) {
		int code;

		if (wait_container(argv[i], &code, err) < 0)
			return -1;
		printf("%d\n", code);
		fflush(stdout);
	}
	return 0;
}

static bool monitor_alive(void *s)
{
	return c_state_monitor_alive(s);
}

static const struct option logs_options[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "timestamps", no_argument, NULL, 't' },
	{ "tail", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_logs(int argc, char **argv, c_err **err)
{
	struct c_logfile_read_opts o = { .tail = -1 };
	bool follow = false;
	struct c_state s;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":ftn:", logs_options, NULL)) != -1) {
		switch (c) {
		case 'f': follow = true; break;
		case 't': o.timestamps = true; break;
		case 'n':
			o.tail = strcmp(optarg, "all") ? c_cli_int("--tail", optarg, 0, LONG_MAX) : -1;
			break;
		default: c_cli_bad_option(c, argc, argv);
		}
	}
	if (argc - optind != 1)
		c_die_usage("logs: expected a container");
	if (c_state_load(state_root, argv[optind], &s, err) < 0)
		return -1;
	if (!s.log) {
		rc = c_err_new(err, C_EXIT_FAIL, 0,
			       "container %s has no log: only detached containers (-d) keep one",
			       argv[optind]);
	} else {
		o.alive = follow ? monitor_alive : NULL;
		o.arg = &s;
		rc = c_logfile_print(s.log, &o, err);
	}
	c_state_clear(&s);
	return rc;
}

/* process.args of the config as applied, as docker's ps shows them. */
static void command_of(const struct c_state *s, char *out, size_t n)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_t *spec = NULL;
	json_t *arg;
	size_t i, len = 0;
	c_err *e = NULL;

	out[0] = '\0';
	if (asprintf(&path, "%s/config.json", s->dir) < 0) {
		path = NULL;
		return;
	}
	spec = c_json_load_file(path, 4 << 20, &e);
	c_err_free(&e);
	json_array_foreach(json_object_get(json_object_get(spec, "process"), "args"), i, arg)
		if (len < n)
			len += (size_t)snprintf(out + len, n - len, "%s%s", i ? " " : "",
						json_string_value(arg) ? json_string_value(arg) : "");
}

static void status_of(const struct c_state *s, char *out, size_t n)
{
	char since[64];

	switch (c_state_status(s)) {
	case C_STATUS_RUNNING:
		c_time_since(s->created, since, sizeof since);
		snprintf(out, n, "Up %s", since);
		break;
	case C_STATUS_STOPPED:
		if (s->exit_code < 0) {
			snprintf(out, n, "Exited");
			break;
		}
		c_time_since(s->finished, since, sizeof since);
		snprintf(out, n, "Exited (%d) %s ago", s->exit_code, since);
		break;
	default:
		snprintf(out, n, "Created");
	}
}

static const struct option ps_options[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "no-trunc", no_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 },
};

/* docker's ps: the running containers, or all with -a. */
static int cmd_ps(int argc, char **argv, c_err **err)
{
	bool all = false, quiet = false, full = false;
	struct c_state *list;
	size_t n;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":aq", ps_options, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'q': quiet = true; break;
		case 'T': full = true; break;
		default: c_cli_bad_option(c, argc, argv);
		}
	}
	if (c_state_list(state_root, &list, &n, err) < 0)
		return -1;
	if (!quiet)
		printf("%-12s  %-20s  %-22s  %-16s  %-26s  %s\n", "CONTAINER ID", "IMAGE",
		       "COMMAND", "CREATED", "STATUS", "NAMES");
	for (size_t i = 0; i < n; i++) {
		const struct c_state *s = &list[i];
		char cmd[256], quoted[260], created[64], status[96];

		if (!all && c_state_status(s) == C_STATUS_STOPPED)
			continue;
		if (quiet) {
			printf("%.*s\n", full ? 64 : 12, s->id);
			continue;
		}
		command_of(s, cmd, sizeof cmd);
		snprintf(quoted, sizeof quoted, "\"%.*s%s\"", full ? 250 : 17, cmd,
			 !full && strlen(cmd) > 17 ? "…" : "");
		c_time_since(s->created, created, sizeof created);
		strcat(created, " ago");
		status_of(s, status, sizeof status);
		printf("%-12.*s  %-20s  %-22s  %-16s  %-26s  %s\n", full ? 64 : 12, s->id,
		       s->image ? s->image : s->bundle ? s->bundle : "", quoted, created, status,
		       s->name ? s->name : "");
	}
	c_state_list_free(list, n);
	return 0;
}

/* --- OCI runtime commands --------------------------------------------------------------- */

static json_t *load_spec(const char *bundle, c_err **err)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/config.json", bundle) < 0)
		return c_err_sys(err, "config", bundle), NULL;
	return c_json_load_file(path, 4 << 20, err);
}

static int send_console(const char *socket_path, int pty, c_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, name[] = "/dev/ptmx";
	struct iovec iov = { name, sizeof name - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(socket_path) >= sizeof sa.sun_path)
		return c_err_new(err, C_EXIT_USAGE, 0, "console socket %s: path too long",
				 socket_path);
	strcpy(sa.sun_path, socket_path);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pty, sizeof pty);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		return c_err_sys(err, "console socket", socket_path);
	return 0;
}

static int write_pid_file(const char *path, pid_t pid, c_err **err)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d", (int)pid);

	return c_write_file_atomic(path, buf, (size_t)n, 0644, err);
}

enum { OPT_PID_FILE = 300, OPT_CONSOLE_SOCKET, OPT_NO_PIVOT, OPT_IGNORED };

static const struct option create_options[] = {
	{ "bundle", required_argument, NULL, 'b' },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
	{ "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
	{ "no-new-keyring", no_argument, NULL, OPT_IGNORED },
	{ "detach", no_argument, NULL, 'd' },
	{ NULL, 0, NULL, 0 },
};

/* create, and run (create, start, wait, delete). */
static int oci_create(int argc, char **argv, bool run, c_err **err)
{
	const char *bundle = ".", *pid_file = NULL, *console = NULL;
	_cleanup_free_ char *abs_bundle = NULL, *fifo = NULL;
	_cleanup_json_ json_t *spec = NULL;
	struct launch l = { .pty = -1, .so = { .stdio = { -1, -1, -1 } },
			    .st = { .stop_timeout = -1 } };
	struct c_supervise_opts so = { .pty = -1, .stop_signal = SIGTERM };
	bool detach = false;
	int c, rc = -1;
	sigset_t set;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":b:d", create_options, NULL)) != -1) {
		switch (c) {
		case 'b': bundle = optarg; break;
		case OPT_PID_FILE: pid_file = optarg; break;
		case OPT_CONSOLE_SOCKET: console = optarg; break;
		case OPT_NO_PIVOT: l.so.no_pivot = true; break;
		case OPT_IGNORED: break;
		case 'd': detach = true; break;
		default: c_cli_bad_option(c, argc, argv);
		}
	}
	if (argc - optind != 1)
		c_die_usage("%s: expected a container id", argv[0]);
	if (c_state_check_id(argv[optind], "container id", err) < 0)
		return -1;
	abs_bundle = realpath(bundle, NULL);
	if (!abs_bundle)
		return c_err_sys(err, "bundle", bundle);
	spec = load_spec(abs_bundle, err);
	if (!spec)
		return -1;
	l.spec = spec;
	l.bundle = abs_bundle;
	l.st.id = strdup(argv[optind]);
	l.st.bundle = strdup(abs_bundle);
	l.st.annotations = json_incref(json_object_get(spec, "annotations"));
	if ((!run || detach) && asprintf(&fifo, "%s/%s/exec.fifo", state_root, argv[optind]) >= 0)
		l.so.exec_fifo = fifo;
	c_supervise_signals(&set);
	if (run && !detach)
		sigprocmask(SIG_BLOCK, &set, NULL);
	if (launch(&l, err) < 0)
		goto fail;
	if (pid_file && write_pid_file(pid_file, l.st.pid, err) < 0)
		goto fail;
	if (l.pty >= 0 && console && send_console(console, l.pty, err) < 0)
		goto fail;
	if (!run || detach) {
		rc = 0;
		goto out;
	}
	so.pty = l.pty;
	so.stdin_open = true;
	rc = run_to_end(&l, &so, err);
	if (rc >= 0) {
		c_err *e = NULL;

		remove_container(&l.st, &e);
		c_err_free(&e);
	}
	goto out;
fail:
	if (l.st.dir) {
		c_err *e = NULL;

		if (l.st.pid > 0) {
			kill(l.st.pid, SIGKILL);
			waitpid(l.st.pid, NULL, 0);
		}
		remove_container(&l.st, &e);
		c_err_free(&e);
	}
out:
	launch_clear(&l);
	return rc;
}

static int oci_start(int argc, char **argv, c_err **err)
{
	struct c_state s;
	_cleanup_free_ char *fifo = NULL;
	_cleanup_close_ int fd = -1;
	char byte;
	int rc = 0;

	if (argc != 2)
		c_die_usage("start: expected a container id");
	if (c_state_load(state_root, argv[1], &s, err) < 0)
		return -1;
	if (c_state_status(&s) != C_STATUS_CREATED) {
		rc = c_err_new(err, C_EXIT_FAIL, 0, "container %s is %s, not created", s.id,
			       c_status_name(c_state_status(&s)));
		goto out;
	}
	if (asprintf(&fifo, "%s/exec.fifo", s.dir) < 0)
		fifo = NULL;
	fd = fifo ? open(fifo, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0 || read(fd, &byte, 1) != 1) {
		rc = c_err_sys(err, "start", s.id);
		goto out;
	}
	unlink(fifo);
out:
	c_state_clear(&s);
	return rc;
}

static int oci_state(int argc, char **argv, c_err **err)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *text = NULL;
	struct c_state s;

	if (argc != 2)
		c_die_usage("state: expected a container id");
	if (c_state_load(state_root, argv[1], &s, err) < 0)
		return -1;
	j = c_state_oci(&s);
	c_state_clear(&s);
	text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (!text)
		return c_err_new(err, C_EXIT_FAIL, ENOMEM, "state of %s", argv[1]);
	puts(text);
	return 0;
}

static const struct option kill_options[] = {
	{ "all", no_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 },
};

static int oci_kill(int argc, char **argv, c_err **err)
{
	struct c_state s;
	bool all = false;
	int c, sig = SIGTERM, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":a", kill_options, NULL)) != -1) {
		if (c != 'a')
			c_cli_bad_option(c, argc, argv);
		all = true;
	}
	if (argc - optind < 1 || argc - optind > 2)
		c_die_usage("kill: expected a container id and a signal");
	if (argc - optind == 2 && parse_signal(argv[optind + 1], &sig, err) < 0)
		return -1;
	if (c_state_load(state_root, argv[optind], &s, err) < 0)
		return -1;
	if (c_state_status(&s) == C_STATUS_STOPPED || s.pid <= 0) {
		rc = c_err_new(err, C_EXIT_FAIL, 0, "container %s is not running", s.id);
	} else if (all && s.cgroup) {
		struct c_cgroup *cg = c_cgroup_open(s.cgroup, err);

		rc = cg ? c_cgroup_kill(cg, sig, err) : -1;
		c_cgroup_free(cg);
	} else if (kill(s.pid, sig) < 0) {
		rc = c_err_sys(err, "kill", s.id);
	}
	c_state_clear(&s);
	return rc;
}

static const struct option delete_options[] = {
	{ "force", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

/* delete (OCI) and rm (docker): a running container only with --force. */
static int oci_delete(int argc, char **argv, c_err **err)
{
	bool force = false;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":f", delete_options, NULL)) != -1) {
		if (c != 'f')
			c_cli_bad_option(c, argc, argv);
		force = true;
	}
	if (optind == argc)
		c_die_usage("%s: expected a container id", argv[0]);
	for (int i = optind; i < argc && rc == 0; i++) {
		struct c_state s;
		enum c_status st;

		if (c_state_load(state_root, argv[i], &s, err) < 0)
			return -1;
		st = c_state_status(&s);
		if (st == C_STATUS_RUNNING && !force)
			rc = c_err_new(err, C_EXIT_FAIL, 0,
				       "container %s is running: stop it first, or use --force",
				       s.id);
		else
			rc = stop_container(&s, SIGKILL, 0, err);
		/* a detached --rm container is gone with its supervisor */
		if (rc == 0 && access(s.dir, F_OK) == 0)
			rc = remove_container(&s, err);
		if (rc == 0 && !strcmp(argv[0], "rm"))
			puts(argv[i]);
		c_state_clear(&s);
	}
	return rc;
}

static int oci_list(int argc, char **argv, c_err **err)
{
	struct c_state *list;
	bool quiet = argc > 1 && !strcmp(argv[1], "-q");
	size_t n;

	if (c_state_list(state_root, &list, &n, err) < 0)
		return -1;
	if (!quiet)
		printf("%-20s %-20s %-8s %-8s %-6s %s\n", "ID", "NAME", "PID", "STATUS", "EXIT",
		       "CREATED");
	for (size_t i = 0; i < n; i++) {
		enum c_status st = c_state_status(&list[i]);

		if (quiet) {
			puts(list[i].id);
			continue;
		}
		printf("%-20.20s %-20s %-8d %-8s %-6d %s\n", list[i].id,
		       list[i].name ? list[i].name : "-",
		       st == C_STATUS_STOPPED ? 0 : (int)list[i].pid, c_status_name(st),
		       list[i].exit_code, list[i].created ? list[i].created : "");
	}
	c_state_list_free(list, n);
	return 0;
}

/* --- docker's run ----------------------------------------------------------------------- */

enum {
	OPT_NAME = 400, OPT_RM, OPT_HOSTNAME, OPT_ENTRYPOINT, OPT_TMPFS, OPT_READ_ONLY,
	OPT_NETWORK, OPT_MEMORY_SWAP, OPT_CPUS, OPT_CPU_SHARES, OPT_CPUSET, OPT_PIDS,
	OPT_ULIMIT, OPT_CAP_ADD, OPT_CAP_DROP, OPT_PRIVILEGED, OPT_SECURITY, OPT_INIT,
	OPT_TIMEOUT, OPT_STOP_SIGNAL, OPT_STOP_TIMEOUT, OPT_ROOT, OPT_VERSION, OPT_LOG_OPT,
};

static const struct option run_options[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "rm", no_argument, NULL, OPT_RM },
	{ "detach", no_argument, NULL, 'd' },
	{ "log-opt", required_argument, NULL, OPT_LOG_OPT },
	{ "tty", no_argument, NULL, 't' },
	{ "interactive", no_argument, NULL, 'i' },
	{ "env", required_argument, NULL, 'e' },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
	{ "volume", required_argument, NULL, 'v' },
	{ "tmpfs", required_argument, NULL, OPT_TMPFS },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "net", required_argument, NULL, OPT_NETWORK },
	{ "memory", required_argument, NULL, 'm' },
	{ "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
	{ "cpuset-cpus", required_argument, NULL, OPT_CPUSET },
	{ "pids-limit", required_argument, NULL, OPT_PIDS },
	{ "ulimit", required_argument, NULL, OPT_ULIMIT },
	{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
	{ "cap-drop", required_argument, NULL, OPT_CAP_DROP },
	{ "privileged", no_argument, NULL, OPT_PRIVILEGED },
	{ "security-opt", required_argument, NULL, OPT_SECURITY },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "stop-signal", required_argument, NULL, OPT_STOP_SIGNAL },
	{ "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

struct run_args {
	struct c_runopts o;
	struct c_supervise_opts so;
	const char *name, *target;
	bool rm, init, detach;
	long long log_max_size;
	int log_max_files;
};

/* --log-opt max-size=SIZE|max-file=N, as docker's json-file driver spells
 * them. */
static void parse_log_opt(struct run_args *a, const char *opt)
{
	c_err *err = NULL;

	if (!strncmp(opt, "max-size=", 9)) {
		if (c_parse_size("--log-opt max-size", opt + 9, &a->log_max_size, &err) < 0)
			c_die(&err);
	} else if (!strncmp(opt, "max-file=", 9)) {
		a->log_max_files = (int)c_cli_int("--log-opt max-file", opt + 9, 1, 100);
	} else {
		c_die_usage("--log-opt \"%s\": expected max-size=SIZE or max-file=N", opt);
	}
}

static void push(struct c_strv *sv, const char *s)
{
	if (c_strv_push(sv, s) < 0)
		c_die_usage("out of memory");
}

static void parse_run(int argc, char **argv, struct run_args *a)
{
	c_err *err = NULL;
	int c;

	a->so = (struct c_supervise_opts){ .pty = -1, .grace = 10, .stop_signal = SIGTERM };
	a->log_max_size = 10 << 20;
	a->log_max_files = 2;
	/* "+": options stop at the image, the rest is the command */
	while ((c = getopt_long(argc, argv, "+:dtie:w:u:v:m:h", run_options, NULL)) != -1) {
		switch (c) {
		case OPT_NAME: a->name = optarg; break;
		case OPT_RM: a->rm = true; break;
		case 'd': a->detach = true; break;
		case OPT_LOG_OPT: parse_log_opt(a, optarg); break;
		case 't': a->o.tty = true; break;
		case 'i': a->so.stdin_open = true; break;
		case 'e': push(&a->o.env, optarg); break;
		case 'w': a->o.workdir = optarg; break;
		case 'u': a->o.user = optarg; break;
		case OPT_HOSTNAME: a->o.hostname = optarg; break;
		case OPT_ENTRYPOINT: a->o.entrypoint = optarg; break;
		case 'v': push(&a->o.volumes, optarg); break;
		case OPT_TMPFS: push(&a->o.tmpfs, optarg); break;
		case OPT_READ_ONLY: a->o.read_only = true; break;
		case OPT_NETWORK: a->o.network = optarg; break;
		case 'm': a->o.memory = optarg; break;
		case OPT_MEMORY_SWAP: a->o.memory_swap = optarg; break;
		case OPT_CPUS: a->o.cpus = optarg; break;
		case OPT_CPU_SHARES: a->o.cpu_shares = optarg; break;
		case OPT_CPUSET: a->o.cpuset_cpus = optarg; break;
		case OPT_PIDS: a->o.pids_limit = optarg; break;
		case OPT_ULIMIT: push(&a->o.ulimits, optarg); break;
		case OPT_CAP_ADD: push(&a->o.cap_add, optarg); break;
		case OPT_CAP_DROP: push(&a->o.cap_drop, optarg); break;
		case OPT_PRIVILEGED: a->o.privileged = true; break;
		case OPT_SECURITY: push(&a->o.security_opts, optarg); break;
		case OPT_INIT: a->init = true; break;
		case OPT_TIMEOUT:
			a->so.timeout = (unsigned)c_cli_int("--timeout", optarg, 1, 1L << 30);
			break;
		case OPT_STOP_SIGNAL:
			if (parse_signal(optarg, &a->so.stop_signal, &err) < 0)
				c_die(&err);
			break;
		case OPT_STOP_TIMEOUT:
			a->so.grace = (unsigned)c_cli_int("--stop-timeout", optarg, 0, 1L << 30);
			break;
		case OPT_ROOT: state_root = optarg; break;
		case 'h': fputs(usage, stdout); exit(0);
		case OPT_VERSION: puts("c-run " C_TOOLS_VERSION); exit(0);
		default: c_cli_bad_option(c, argc, argv);
		}
	}
	if (optind == argc)
		c_die_usage("expected an image or a bundle");
	a->target = argv[optind];
	a->o.cmd = (const char *const *)argv + optind + 1;
	if (a->name) {
		if (c_state_check_id(a->name, "container name", &err) < 0)
			c_die(&err);
	}
}

/* The bundle to run: the directory itself, or the image unpacked (overlay:
 * milliseconds) into the container's own data dir. */
static json_t *run_spec(struct run_args *a, const char *id, char **bundle, c_err **err)
{
	struct stat st;
	char cfg[PATH_MAX];
	struct c_unpack_opts uo = {
		.mode = C_UNPACK_AUTO,
		.spec = { .hostname = a->o.hostname, .user = a->o.user, .cmd = a->o.cmd,
			  .entrypoint = a->o.entrypoint },
	};
	_cleanup_free_ char *data = NULL;
	struct c_store *store;
	json_t *spec;
	int rc;

	snprintf(cfg, sizeof cfg, "%s/config.json", a->target);
	if (strchr(a->target, '/') && stat(cfg, &st) == 0) {
		*bundle = realpath(a->target, NULL);
		return *bundle ? load_spec(*bundle, err) : (c_err_sys(err, "bundle", a->target), NULL);
	}
	data = container_data_dir(id);
	if (!data || asprintf(bundle, "%s/bundle", data) < 0) {
		c_err_sys(err, "allocate", id);
		return NULL;
	}
	if (make_data_dir(data, err) < 0)
		return NULL;
	store = c_store_open(NULL, err);
	if (!store)
		return NULL;
	rc = c_unpack_image(store, a->target, *bundle, &uo, err);
	c_store_close(store);
	if (rc < 0)
		return NULL;
	/* the image's own command, entrypoint and user are in the spec now */
	a->o.cmd = NULL;
	a->o.entrypoint = NULL;
	a->o.user = NULL;
	spec = load_spec(*bundle, err);
	return spec;
}

/* After the run: --rm, or a failure, leaves nothing of the container. */
static void finish_run(struct launch *l, const char *id, bool failed, bool rm)
{
	c_err *e = NULL;

	if (l->st.dir && (failed || rm)) {
		if (failed && l->st.pid > 0) {
			kill(l->st.pid, SIGKILL);
			waitpid(l->st.pid, NULL, 0);
		}
		remove_container(&l->st, &e);
		c_err_free(&e);
	} else if (!l->st.dir) {
		_cleanup_free_ char *data = container_data_dir(id);

		if (data)
			c_remove_tree(data);
	}
}

static void remove_attach_socket(const struct c_state *s)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/%s", s->dir, C_ATTACH_SOCKET) >= 0)
		unlink(path);
}

/* The detached container's stdio, without a terminal: pipes to the
 * supervisor for its output, and for its input with -i (else /dev/null).
 * fds[0..2] are the container's ends, fds[3..5] the supervisor's. */
static int detached_stdio(bool stdin_open, int devnull, int fds[6], c_err **err)
{
	int in[2] = { devnull, -1 }, out[2], errout[2];

	if ((stdin_open && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(errout, O_CLOEXEC) < 0)
		return c_err_sys(err, "pipe", "container stdio");
	fds[0] = in[0], fds[1] = out[1], fds[2] = errout[1];
	fds[3] = in[1], fds[4] = out[0], fds[5] = errout[0];
	return 0;
}

/* The supervisor of a detached container: starts it, tells c-run on
 * `report` ("0" or "STATUS LINE"), then stays with it to the end. */
static noreturn void supervise_detached(struct run_args *a, struct launch *l, int report)
{
	_cleanup_free_ char *data = container_data_dir(l->st.id);
	int fds[6] = { -1, -1, -1, -1, -1, -1 }, devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct c_monitor_opts mo = { .pty = -1, .out = -1, .errout = -1, .in = -1, .listen = -1 };
	struct c_monitor *m = NULL;
	bool timed_out = false;
	int wstatus = 0, code;
	c_err *err = NULL;
	char ok = '0';

	/* nothing of the caller's is held: not its terminal, not its fds */
	if (setsid() < 0 || devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
	    dup2(devnull, 2) < 0) {
		c_err_sys(&err, "detach", l->st.id);
		goto fail;
	}
	if (!data || make_data_dir(data, &err) < 0 ||
	    asprintf(&l->st.log, "%s/container.log", data) < 0 ||
	    (!a->o.tty && detached_stdio(a->so.stdin_open, devnull, fds, &err) < 0))
		goto fail;
	memcpy(l->so.stdio, fds, sizeof l->so.stdio);
	l->st.monitor = getpid();
	l->st.monitor_start = c_proc_start_time(getpid());
	if (launch(l, &err) < 0)
		goto fail;
	for (int i = 0; i < 3; i++)
		if (fds[i] != devnull && fds[i] >= 0)
			close(fds[i]);
	mo = (struct c_monitor_opts){
		.pty = l->pty, .in = fds[3], .out = fds[4], .errout = fds[5],
		.stdin_open = a->so.stdin_open, .timeout = a->so.timeout, .grace = a->so.grace,
		.stop_signal = a->so.stop_signal,
	};
	l->pty = -1;
	mo.listen = c_attach_listen(l->st.dir, &err);
	mo.log = mo.listen >= 0 ? c_logfile_open(l->st.log, a->log_max_size, a->log_max_files,
						 &err) : NULL;
	m = mo.log ? c_monitor_new(&mo, &err) : NULL;
	if (!m)
		goto fail;
	if (write(report, &ok, 1) != 1) {
		c_err_sys(&err, "report to c-run", l->st.id);
		goto fail;
	}
	close(report);
	if (c_monitor_run(m, l->st.pid, &wstatus, &timed_out, &err) < 0) {
		kill(l->st.pid, SIGKILL);
		waitpid(l->st.pid, &wstatus, 0);
		c_err_free(&err);
	}
	code = record_end(l, wstatus, timed_out);
	c_monitor_end(m, code);
	remove_attach_socket(&l->st);
	finish_run(l, l->st.id, false, a->rm);
	_exit(0);
fail:
	if (!err)
		c_err_new(&err, C_EXIT_RUNTIME, ENOMEM, "container %s", l->st.id);
	{
		/* one write, so that c-run reads it whole */
		_cleanup_free_ char *line = c_err_line(err), *msg = NULL;
		int n = asprintf(&msg, "%d %s", err->status, line ? line : "");

		if (n > 0)
			c_write_all(report, msg, (size_t)n < PIPE_BUF ? (size_t)n : PIPE_BUF - 1);
	}
	if (m)
		c_monitor_end(m, -1);
	else
		c_logfile_close(mo.log);
	finish_run(l, l->st.id, true, true);
	_exit(1);
}

/* -d: the supervisor is forked before the container is made, so that the
 * container is its child; this process prints the id once it has started. */
static int run_detached(struct run_args *a, struct launch *l, c_err **err)
{
	char buf[PIPE_BUF];
	int report[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(report, O_CLOEXEC) < 0)
		return c_err_sys(err, "pipe", "supervisor");
	pid = fork();
	if (pid < 0)
		return c_err_sys(err, "fork", "supervisor");
	if (pid == 0) {
		/* the caller's other fds (a test harness's, a pipe it waits on)
		 * must not stay open for the container's lifetime */
		if (dup3(report[1], 3, O_CLOEXEC) < 0 || syscall(SYS_close_range, 4, ~0U, 0) < 0)
			_exit(C_EXIT_RUNTIME);
		supervise_detached(a, l, 3);
	}
	close(report[1]);
	while ((n = read(report[0], buf, sizeof buf - 1)) < 0 && errno == EINTR)
		;
	close(report[0]);
	buf[n > 0 ? n : 0] = '\0';
	if (n == 1 && buf[0] == '0') {
		puts(l->st.id);
		return 0;
	}
	if (n <= 0 || sscanf(buf, "%d ", &status) != 1)
		return c_err_new(err, C_EXIT_RUNTIME, 0, "container %s: the supervisor failed",
				 l->st.id);
	return c_err_new(err, status, 0, "%s", strchr(buf, ' ') + 1);
}

static int docker_run(int argc, char **argv, c_err **err)
{
	struct run_args a = { 0 };
	_cleanup_free_ char *bundle = NULL, *id = new_id(), *store_root = c_store_default_root();
	_cleanup_free_ char *volumes = NULL;
	_cleanup_json_ json_t *spec = NULL;
	struct launch l = { .pty = -1, .so = { .stdio = { -1, -1, -1 } } };
	bool handed_off = false;
	sigset_t set;
	int rc = -1;

	parse_run(argc, argv, &a);
	if (!id || !store_root || asprintf(&volumes, "%s/volumes", store_root) < 0)
		return c_err_sys(err, "allocate", "container");
	a.o.volumes_dir = volumes;
	spec = run_spec(&a, id, &bundle, err);
	if (!spec || c_runopts_apply(spec, &a.o, err) < 0)
		goto out;
	l.spec = spec;
	l.bundle = bundle;
	l.st.id = strdup(id);
	l.st.bundle = strdup(bundle);
	l.st.name = a.name ? strdup(a.name) : NULL;
	l.st.image = strchr(a.target, '/') && !strchr(a.target, ':') ? NULL : strdup(a.target);
	l.st.annotations = json_incref(json_object_get(spec, "annotations"));
	l.st.stop_signal = a.so.stop_signal;
	l.st.stop_timeout = (int)a.so.grace;
	l.so.init = a.init;
	c_supervise_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (a.detach) {
		handed_off = true;
		rc = run_detached(&a, &l, err);
		goto out;
	}
	if (launch(&l, err) < 0)
		goto out;
	a.so.pty = l.pty;
	rc = run_to_end(&l, &a.so, err);
out:
	if (!handed_off)
		finish_run(&l, id, rc < 0, a.rm);
	launch_clear(&l);
	c_strv_free(&a.o.env);
	c_strv_free(&a.o.volumes);
	c_strv_free(&a.o.tmpfs);
	c_strv_free(&a.o.ulimits);
	c_strv_free(&a.o.cap_add);
	c_strv_free(&a.o.cap_drop);
	c_strv_free(&a.o.security_opts);
	return rc;
}

/* --- main -------------------------------------------------------------------------------- */

static const struct option global_options[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "log", required_argument, NULL, OPT_IGNORED },
	{ "log-format", required_argument, NULL, OPT_IGNORED },
	{ "systemd-cgroup", no_argument, NULL, OPT_IGNORED },
	{ "debug", no_argument, NULL, OPT_IGNORED },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, c_err **err);
} commands[] = {
	{ "start", oci_start }, { "state", oci_state }, { "kill", oci_kill },
	{ "delete", oci_delete }, { "rm", oci_delete }, { "list", oci_list }, { "ps", cmd_ps },
	{ "stop", cmd_stop }, { "wait", cmd_wait }, { "logs", cmd_logs },
};

int main(int argc, char **argv)
{
	_cleanup_free_ char *default_root = c_state_default_root();
	c_err *err = NULL;
	int i, rc;

	c_err_init(argv[0]);
	state_root = default_root;
	/* the OCI runtime's global options come before its command */
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		const struct option *o;

		for (o = global_options; o->name; o++)
			if (!strncmp(argv[i] + 2, o->name, strlen(o->name)) &&
			    (argv[i][2 + strlen(o->name)] == '\0' ||
			     argv[i][2 + strlen(o->name)] == '='))
				break;
		if (!o->name)
			break;
		if (o->has_arg == required_argument) {
			const char *v = strchr(argv[i], '=');

			if (!v && i + 1 == argc)
				c_die_usage("option --%s needs a value", o->name);
			v = v ? v + 1 : argv[++i];
			if (o->val == OPT_ROOT)
				state_root = v;
		}
	}
	opterr = 0;
	if (i < argc && (!strcmp(argv[i], "create") || !strcmp(argv[i], "run"))) {
		rc = oci_create(argc - i, argv + i, !strcmp(argv[i], "run"), &err);
		return rc < 0 ? c_err_report(&err) : rc;
	}
	for (size_t k = 0; i < argc && k < sizeof commands / sizeof commands[0]; k++)
		if (!strcmp(argv[i], commands[k].name))
			return commands[k].fn(argc - i, argv + i, &err) < 0 ? c_err_report(&err) : 0;
	rc = docker_run(argc - i + 1, argv + i - 1, &err);
	if (rc < 0) {
		rc = err->status;
		c_err_print(err);
		c_err_free(&err);
		/* docker's: 125 for c-run's own failures, not its generic statuses */
		return rc == C_EXIT_NOEXEC || rc == C_EXIT_NOTFOUND_CMD || rc == C_EXIT_USAGE
			       ? rc
			       : C_EXIT_RUNTIME;
	}
	return rc;
}
