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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "err.h"
#include "exec.h"
#include "file.h"
#include "hooks.h"
#include "json.h"
#include "logfile.h"
#include "run.h"
#include "rand.h"
#include "rootfs.h"
#include "runopts.h"
#include "seccomp.h"
#include "signame.h"
#include "spec.h"
#include "state.h"
#include "store.h"
#include "supervise.h"
#include "timefmt.h"
#include "tty.h"
#include "unpack.h"

static const char usage[] =
	"Usage: c-run [OPTIONS] IMAGE|BUNDLE [COMMAND [ARG...]]\n"
	"       c-run [--root DIR] ps [-a] [-q] | logs [-f] [-t] [--tail N] CONTAINER |\n"
	"             stop [-t SECONDS] [-s SIG] CONTAINER... | wait CONTAINER... |\n"
	"             rm [-f] CONTAINER...\n"
	"       c-run [--root DIR] create|start|state|kill|delete|run|list|exec|ps ID|features ...\n"
	"Run a container from IMAGE (a name or digest in the store, unpacked with\n"
	"shared layers) or from the OCI bundle BUNDLE, in the foreground (its exit\n"
	"status is c-run's) or detached under a supervisor of its own (-d; no\n"
	"daemon).  The second form manages containers as docker's commands of those\n"
	"names; the third is an OCI runtime, as runc's command line.\n"
	"\n"
	"      --name NAME            a name for the container (unique)\n"
	"      --rm                   remove the container when it exits\n"
	"  -d, --detach               run in the background; print the id\n"
	"      --log-opt max-size=SIZE|max-file=N  a detached container's log cap\n"
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
	"      --privileged           every capability and device, no seccomp, no masked\n"
	"                             paths\n"
	"      --device HOST[:CTR][:PERMS]  a host device in the container (PERMS: rwm)\n"
	"      --device-cgroup-rule RULE    allow devices: \"c 1:3 rwm\", \"b 8:* r\"\n"
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
	char *id = malloc(65);

	if (id && c_rand_hex(id, 32) < 0) {
		free(id);
		return NULL;
	}
	return id;
}

/* A signal from the command line: a bad one is a usage error. */
static int parse_signal(const char *s, int *out, c_err **err)
{
	if (c_signal_parse(s, out, err) < 0) {
		(*err)->status = C_EXIT_USAGE;
		return -1;
	}
	return 0;
}

/* --- the lifecycle of containers: stop, wait, logs, ps ------------------------------------- */

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
		rc = c_run_stop(&s, sig ? sig : s.stop_signal ? s.stop_signal : SIGTERM,
				    grace >= 0 ? grace : s.stop_timeout >= 0 ? s.stop_timeout : 10,
				    err);
		if (rc == 0)
			puts(argv[i]);
		c_state_clear(&s);
	}
	return rc;
}

static int cmd_wait(int argc, char **argv, c_err **err)
{
	if (argc < 2)
		c_die_usage("wait: expected a container");
	for (int i = 1; i < argc; i++) {
		int code;

		if (c_run_wait(state_root, argv[i], &code, err) < 0)
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
		if (!s->finished) {
			snprintf(out, n, "Exited (%d)", s->exit_code);
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
	{ "format", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

/* One line of runc's ps table: uid, pid, ppid, the command line. */
static void print_proc(pid_t pid)
{
	_cleanup_free_ char *status = NULL, *cmdline = NULL;
	char path[64];
	long uid = -1, ppid = -1;
	size_t len = 0;
	c_err *e = NULL;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (c_read_file(path, 1 << 16, &status, &len, &e) == 0) {
		const char *u = strstr(status, "\nUid:"), *pp = strstr(status, "\nPPid:");

		uid = u ? strtol(u + 5, NULL, 10) : -1;
		ppid = pp ? strtol(pp + 6, NULL, 10) : -1;
	}
	c_err_free(&e);
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	len = 0;
	if (c_read_file(path, 1 << 16, &cmdline, &len, &e) == 0)
		for (size_t i = 0; i + 1 < len; i++)
			if (!cmdline[i])
				cmdline[i] = ' ';
	c_err_free(&e);
	printf("%-8ld %-8d %-8ld %s\n", uid, (int)pid, ppid, len ? cmdline : "");
}

/* runc's ps: the processes of one container, from its cgroup, as a table
 * (uid, pid, ppid and command line, read off /proc) or a JSON array of
 * pids. */
static int oci_ps(const char *what, bool json, c_err **err)
{
	_cleanup_free_ char *procs = NULL, *path = NULL;
	struct c_cgroup *cg = NULL;
	const char *dir = NULL;
	struct c_state s;
	size_t len;
	int rc = -1;

	if (c_state_load(state_root, what, &s, err) < 0)
		return -1;
	if (c_state_status(&s) == C_STATUS_STOPPED || !s.cgroup) {
		c_err_new(err, C_EXIT_FAIL, 0, "container %s is not running", s.id);
		goto out;
	}
	cg = c_cgroup_open(s.cgroup, err);
	if (!cg)
		goto out;
	/* any hierarchy has every process: v1's pids (or another), v2's one */
	static const char *const any[] = { "pids", "memory", "cpu", "devices" };

	for (size_t k = 0; k < sizeof any / sizeof any[0] && !dir; k++)
		dir = c_cgroup_dir(cg, any[k]);
	if (!dir || asprintf(&path, "%s/cgroup.procs", dir) < 0 ||
	    c_read_file(path, 1 << 20, &procs, &len, err) < 0) {
		if (!*err)
			c_err_new(err, C_EXIT_FAIL, 0, "container %s: no cgroup to list", s.id);
		goto out;
	}
	if (json)
		putchar('[');
	else
		printf("%-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
	for (char *p = procs, *end, *sep = ""; *p; p = end + (*end != 0)) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (json) {
			printf("%s%ld", sep, pid);
			sep = ",";
		} else {
			print_proc((pid_t)pid);
		}
	}
	if (json)
		puts("]");
	rc = 0;
out:
	c_cgroup_free(cg);
	c_state_clear(&s);
	return rc;
}

/* docker's ps: the running containers, or all with -a; with a container,
 * runc's ps. */
static int cmd_ps(int argc, char **argv, c_err **err)
{
	bool all = false, quiet = false, full = false;
	const char *format = NULL;
	struct c_state *list;
	size_t n;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":aqf:", ps_options, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'q': quiet = true; break;
		case 'T': full = true; break;
		case 'f': format = optarg; break;
		default: c_cli_bad_option(c, argc, argv);
		}
	}
	if (format && strcmp(format, "table") && strcmp(format, "json"))
		c_die_usage("ps --format \"%s\": expected table or json", format);
	if (argc - optind > 1)
		c_die_usage("ps: expected one container (ps options are not passed on)");
	if (argc - optind == 1)
		return oci_ps(argv[optind], format && !strcmp(format, "json"), err);
	if (format)
		c_die_usage("ps --format goes with a container");
	if (c_state_list(state_root, &list, &n, err) < 0)
		return -1;
	if (!quiet)
		printf("%-12s  %-20s  %-22s  %-24s  %-28s  %s\n", "CONTAINER ID", "IMAGE",
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
		printf("%-12.*s  %-20s  %-22s  %-24s  %-28s  %s\n", full ? 64 : 12, s->id,
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
	struct c_run l = { .root = state_root, .pty = -1, .so = { .stdio = { -1, -1, -1 } },
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
	if (c_hooks_check(spec, err) < 0)
		return -1;
	l.spec = spec;
	l.bundle = abs_bundle;
	l.st.id = strdup(argv[optind]);
	l.st.bundle = strdup(abs_bundle);
	l.st.annotations = json_incref(json_object_get(spec, "annotations"));
	/* run waits at the fifo too when there are hooks to run before start */
	if ((!run || detach || c_hooks_any(spec)) &&
	    asprintf(&fifo, "%s/%s/exec.fifo", state_root, argv[optind]) >= 0)
		l.so.exec_fifo = fifo;
	c_supervise_signals(&set);
	if (run && !detach)
		sigprocmask(SIG_BLOCK, &set, NULL);
	if (c_run_launch(&l, err) < 0)
		goto fail;
	if (pid_file && write_pid_file(pid_file, l.st.pid, err) < 0)
		goto fail;
	if (l.pty >= 0 && console && c_tty_send_console(console, l.pty, err) < 0)
		goto fail;
	if (c_run_hooks(spec, "prestart", &l.st, err) < 0 ||
	    c_run_hooks(spec, "createRuntime", &l.st, err) < 0 ||
	    c_run_hooks(spec, "createContainer", &l.st, err) < 0)
		goto fail;
	if (!run || detach) {
		rc = 0;
		goto out;
	}
	if (l.so.exec_fifo && c_run_start(&l.st, spec, err) < 0)
		goto fail;
	so.pty = l.pty;
	so.stdin_open = true;
	l.rm = true; /* runc's run deletes the container when it ends */
	rc = c_run_foreground(&l, &so, err);
	if (rc >= 0) {
		c_err *e = NULL;

		c_run_remove(state_root, &l.st, &e);
		c_err_free(&e);
		c_run_hooks_warn(spec, "poststop", &l.st);
	}
	goto out;
fail:
	if (l.st.dir) {
		c_err *e = NULL;

		if (l.st.pid > 0) {
			kill(l.st.pid, SIGKILL);
			waitpid(l.st.pid, NULL, 0);
		}
		c_run_remove(state_root, &l.st, &e);
		c_err_free(&e);
	}
out:
	c_run_clear(&l);
	return rc;
}

static int oci_start(int argc, char **argv, c_err **err)
{
	_cleanup_json_ json_t *config = NULL;
	struct c_state s;
	int rc;

	if (argc != 2)
		c_die_usage("start: expected a container id");
	if (c_state_load(state_root, argv[1], &s, err) < 0)
		return -1;
	config = c_run_saved_config(&s);
	if (c_state_status(&s) != C_STATUS_CREATED)
		rc = c_err_new(err, C_EXIT_FAIL, 0, "container %s is %s, not created", s.id,
			       c_status_name(c_state_status(&s)));
	else
		rc = c_run_start(&s, config, err);
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

/* delete (OCI: a created or running container only with --force) and rm
 * (docker: a running one only with -f). */
static int oci_delete(int argc, char **argv, c_err **err)
{
	bool force = false, oci = !strcmp(argv[0], "delete");
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
		json_t *config;

		if (c_state_load(state_root, argv[i], &s, err) < 0) {
			/* runc's delete --force: a container already gone is no error */
			if (force && oci && (*err)->status == C_EXIT_NOTFOUND) {
				c_err_free(err);
				continue;
			}
			return -1;
		}
		st = c_state_status(&s);
		/* the OCI spec: deleting a container that is not stopped is an
		 * error; docker's rm takes a created one */
		if (!force && (st == C_STATUS_RUNNING || (oci && st == C_STATUS_CREATED)))
			rc = c_err_new(err, C_EXIT_FAIL, 0,
				       "container %s is %s: stop it first, or use --force", s.id,
				       c_status_name(st));
		else
			rc = c_run_stop(&s, SIGKILL, 0, err);
		config = rc == 0 ? c_run_saved_config(&s) : NULL;
		/* a detached --rm container is gone with its supervisor */
		if (rc == 0 && access(s.dir, F_OK) == 0)
			rc = c_run_remove(state_root, &s, err);
		if (rc == 0 && config)
			c_run_hooks_warn(config, "poststop", &s);
		json_decref(config);
		if (rc == 0 && !oci)
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

enum { OPT_CWD = 320, OPT_NO_NEW_PRIVS, OPT_PRESERVE_FDS };

static const struct option exec_options[] = {
	{ "process", required_argument, NULL, 'p' },
	{ "detach", no_argument, NULL, 'd' },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
	{ "tty", no_argument, NULL, 't' },
	{ "cwd", required_argument, NULL, OPT_CWD },
	{ "env", required_argument, NULL, 'e' },
	{ "user", required_argument, NULL, 'u' },
	{ "additional-gids", required_argument, NULL, 'g' },
	{ "cap", required_argument, NULL, 'c' },
	{ "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
	{ NULL, 0, NULL, 0 },
};

/* runc's exec: a process from --process FILE (conmon's way) or the
 * container's own with the command given; --detach leaves it to whoever
 * reaps c-run's orphans (conmon is a subreaper), otherwise its status is
 * c-run's. */
static int oci_exec(int argc, char **argv, c_err **err)
{
	const char *process_file = NULL, *pid_file = NULL, *console = NULL;
	struct c_exec_opts eo = { 0 };
	struct c_spawn_opts so = { .stdio = { -1, -1, -1 } };
	struct c_supervise_opts sup = { .pty = -1, .stdin_open = true, .grace = 10,
					.stop_signal = SIGTERM };
	_cleanup_json_ json_t *process = NULL, *config = NULL;
	bool detach = false, timed_out;
	int c, rc = -1, wstatus = 0;
	struct c_state s = { 0 };
	sigset_t set;
	pid_t pid;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:p:dte:u:g:c:", exec_options, NULL)) != -1) {
		switch (c) {
		case 'p': process_file = optarg; break;
		case 'd': detach = true; break;
		case OPT_PID_FILE: pid_file = optarg; break;
		case OPT_CONSOLE_SOCKET: console = optarg; break;
		case 't': eo.tty = true; break;
		case OPT_CWD: eo.workdir = optarg; break;
		case 'e': c_strv_push(&eo.env, optarg); break;
		case 'u': eo.user = optarg; break;
		case 'g': c_strv_push(&eo.groups, optarg); break;
		case 'c': c_strv_push(&eo.caps, optarg); break;
		case OPT_NO_NEW_PRIVS: eo.no_new_privs = true; break;
		case OPT_PRESERVE_FDS:
			/* conmon says 0; more would need fds kept across the exec */
			if (strcmp(optarg, "0"))
				c_die_usage("--preserve-fds %s: c-run passes no extra fds on",
					    optarg);
			break;
		default: c_cli_bad_option(c, argc, argv);
		}
	}
	if (argc - optind < (process_file ? 1 : 2))
		c_die_usage("exec: expected a container id and a command, or --process FILE");
	if (process_file && argc - optind > 1)
		c_die_usage("exec: a command or --process FILE, not both");
	if (process_file && !(process = c_json_load_file(process_file, 1 << 20, err)))
		goto out;
	eo.process = process;
	eo.cmd = (const char *const *)argv + optind + 1;
	if (c_state_load(state_root, argv[optind], &s, err) < 0)
		goto out;
	if (c_state_status(&s) != C_STATUS_RUNNING && c_state_status(&s) != C_STATUS_CREATED) {
		c_err_new(err, C_EXIT_FAIL, 0, "container %s is %s: cannot exec in it", s.id,
			  c_status_name(c_state_status(&s)));
		goto out;
	}
	config = c_exec_config(s.dir, s.pid, &eo, err);
	if (!config)
		goto out;
	if (json_is_true(json_object_get(json_object_get(config, "process"), "terminal"))) {
		if (detach && !console)
			c_die_usage("exec: a terminal with --detach needs --console-socket");
	} else if (console) {
		c_die_usage("exec: --console-socket goes with a terminal (--tty)");
	}
	c_supervise_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (c_exec_start(&s, config, &so, &pid, &sup.pty, err) < 0)
		goto out;
	if ((pid_file && write_pid_file(pid_file, pid, err) < 0) ||
	    (console && c_tty_send_console(console, sup.pty, err) < 0)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	if (console) {
		close(sup.pty);
		sup.pty = -1;
	}
	if (detach) {
		rc = 0;
		goto out;
	}
	if (c_supervise(pid, &sup, &wstatus, &timed_out, err) == 0)
		rc = c_container_exit_code(wstatus);
out:
	if (sup.pty >= 0)
		close(sup.pty);
	c_state_clear(&s);
	c_strv_free(&eo.env);
	c_strv_free(&eo.groups);
	c_strv_free(&eo.caps);
	return rc;
}

/* runc's `features` JSON (the runtime spec's features.md): what this c-run
 * carries out.  User namespaces, AppArmor, SELinux and systemd's cgroup
 * driver are not among it. */
static int oci_features(int argc, char **argv, c_err **err)
{
	struct c_caps all = { 0 };
	_cleanup_json_ json_t *caps = NULL, *out = NULL;
	_cleanup_free_ char *text = NULL;
	char libseccomp[32];
	const struct scmp_version *v = seccomp_version();

	(void)argv;
	if (argc != 1)
		c_die_usage("features: expected no argument");
	for (int cap = 0; cap <= C_CAP_LAST_KNOWN; cap++)
		all.bounding |= C_CAP_BIT(cap);
	caps = c_caps_to_json(&all);
	snprintf(libseccomp, sizeof libseccomp, "%u.%u.%u", v->major, v->minor, v->micro);
	out = caps ? json_pack("{s:s, s:s, s:o*, s:o*, s:{s:[ssssss], s:O, s:{s:b, s:b, s:b, s:b},"
			       " s:o*, s:{s:b}, s:{s:b}}, s:{s:s, s:s}}",
			       "ociVersionMin", "1.0.0", "ociVersionMax", C_SPEC_OCI_VERSION,
			       "hooks", c_hooks_features(), "mountOptions", c_rootfs_features(),
			       "linux", "namespaces", "cgroup", "ipc", "mount", "network", "pid",
			       "uts", "capabilities", json_object_get(caps, "bounding"), "cgroup",
			       "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0, "seccomp",
			       c_seccomp_features(), "apparmor", "enabled", 0, "selinux",
			       "enabled", 0, "annotations", "io.github.seccomp.libseccomp.version",
			       libseccomp, "org.c-tools.c-run.version", C_TOOLS_VERSION)
		   : NULL;
	text = out ? json_dumps(out, JSON_INDENT(4)) : NULL;
	if (!text)
		return c_err_new(err, C_EXIT_FAIL, ENOMEM, "features");
	puts(text);
	return 0;
}

/* What runc has and c-run has not: a one-line error, status 1. */
static int oci_unsupported(int argc, char **argv, c_err **err)
{
	(void)argc;
	return c_err_new(err, C_EXIT_FAIL, 0,
			 "%s: not supported by c-run (containers cannot be %s)", argv[0],
			 !strcmp(argv[0], "update")	? "updated once created"
			 : !strcmp(argv[0], "pause") ||
					 !strcmp(argv[0], "resume") ? "paused"
							       : "checkpointed or restored");
}

/* --- docker's run ----------------------------------------------------------------------- */

enum {
	OPT_NAME = 400, OPT_RM, OPT_HOSTNAME, OPT_ENTRYPOINT, OPT_TMPFS, OPT_READ_ONLY,
	OPT_NETWORK, OPT_MEMORY_SWAP, OPT_CPUS, OPT_CPU_SHARES, OPT_CPUSET, OPT_PIDS,
	OPT_ULIMIT, OPT_CAP_ADD, OPT_CAP_DROP, OPT_PRIVILEGED, OPT_SECURITY, OPT_INIT,
	OPT_TIMEOUT, OPT_STOP_SIGNAL, OPT_STOP_TIMEOUT, OPT_ROOT, OPT_VERSION, OPT_LOG_OPT,
	OPT_DEVICE, OPT_DEVICE_RULE,
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
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "device-cgroup-rule", required_argument, NULL, OPT_DEVICE_RULE },
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
		case 'e': c_strv_push(&a->o.env, optarg); break;
		case 'w': a->o.workdir = optarg; break;
		case 'u': a->o.user = optarg; break;
		case OPT_HOSTNAME: a->o.hostname = optarg; break;
		case OPT_ENTRYPOINT: a->o.entrypoint = optarg; break;
		case 'v': c_strv_push(&a->o.volumes, optarg); break;
		case OPT_TMPFS: c_strv_push(&a->o.tmpfs, optarg); break;
		case OPT_READ_ONLY: a->o.read_only = true; break;
		case OPT_NETWORK: a->o.network = optarg; break;
		case 'm': a->o.memory = optarg; break;
		case OPT_MEMORY_SWAP: a->o.memory_swap = optarg; break;
		case OPT_CPUS: a->o.cpus = optarg; break;
		case OPT_CPU_SHARES: a->o.cpu_shares = optarg; break;
		case OPT_CPUSET: a->o.cpuset_cpus = optarg; break;
		case OPT_PIDS: a->o.pids_limit = optarg; break;
		case OPT_ULIMIT: c_strv_push(&a->o.ulimits, optarg); break;
		case OPT_CAP_ADD: c_strv_push(&a->o.cap_add, optarg); break;
		case OPT_CAP_DROP: c_strv_push(&a->o.cap_drop, optarg); break;
		case OPT_PRIVILEGED: a->o.privileged = true; break;
		case OPT_DEVICE: c_strv_push(&a->o.devices, optarg); break;
		case OPT_DEVICE_RULE: c_strv_push(&a->o.device_cgroup_rules, optarg); break;
		case OPT_SECURITY: c_strv_push(&a->o.security_opts, optarg); break;
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

	/* a path to a directory is a bundle; anything else names an image */
	snprintf(cfg, sizeof cfg, "%s/config.json", a->target);
	if (strchr(a->target, '/') && stat(a->target, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (stat(cfg, &st) < 0) {
			c_err_new(err, C_EXIT_NOTFOUND, errno, "bundle %s: not a bundle: %s",
				  a->target, cfg);
			return NULL;
		}
		*bundle = realpath(a->target, NULL);
		return *bundle ? load_spec(*bundle, err) : (c_err_sys(err, "bundle", a->target), NULL);
	}
	data = c_run_data_dir(id);
	if (!data || asprintf(bundle, "%s/bundle", data) < 0) {
		c_err_sys(err, "allocate", id);
		return NULL;
	}
	if (c_run_make_data_dir(data, err) < 0)
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

static int docker_run(int argc, char **argv, c_err **err)
{
	struct run_args a = { 0 };
	_cleanup_free_ char *bundle = NULL, *id = new_id(), *store_root = c_store_default_root();
	_cleanup_free_ char *volumes = NULL;
	_cleanup_json_ json_t *spec = NULL;
	_cleanup_close_ int devnull = -1;
	struct c_run l = { .root = state_root, .pty = -1,
			  .so = { .stdio = { -1, -1, -1 } } };
	bool handed_off = false;
	sigset_t set;
	int rc = -1;

	parse_run(argc, argv, &a);
	if (!id || !store_root || asprintf(&volumes, "%s/volumes", store_root) < 0)
		return c_err_sys(err, "allocate", "container");
	/* the state root, made 0700 on a first run, as podman's storage */
	if (c_mkdir_p(store_root, 0700, err) < 0)
		return -1;
	a.o.volumes_dir = volumes;
	spec = run_spec(&a, id, &bundle, err);
	if (!spec || c_runopts_apply(spec, &a.o, err) < 0)
		goto out;
	if (c_hooks_any(spec)) {
		c_err_new(err, C_EXIT_USAGE, 0,
			  "bundle %s has hooks: the OCI front runs them (c-run run --bundle)",
			  bundle);
		goto out;
	}
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
		struct c_run_detach_opts d = {
			.tty = a.o.tty, .stdin_open = a.so.stdin_open, .rm = a.rm,
			.timeout = a.so.timeout, .grace = a.so.grace, .stop_signal = a.so.stop_signal,
			.log_max_size = a.log_max_size, .log_max_files = a.log_max_files,
		};

		handed_off = true;
		rc = c_run_detached(&l, &d, err);
		if (rc == 0)
			puts(l.st.id);
		goto out;
	}
	l.rm = a.rm;
	/* docker's: without -i the container reads nothing of ours */
	if (!a.so.stdin_open && !a.o.tty &&
	    (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		c_err_sys(err, "open", "/dev/null");
		goto out;
	}
	l.so.stdio[0] = devnull;
	if (c_run_launch(&l, err) < 0)
		goto out;
	a.so.pty = l.pty;
	rc = c_run_foreground(&l, &a.so, err);
out:
	if (!handed_off)
		c_run_finish(&l, id, rc < 0, a.rm);
	c_run_clear(&l);
	c_strv_free(&a.o.env);
	c_strv_free(&a.o.volumes);
	c_strv_free(&a.o.tmpfs);
	c_strv_free(&a.o.ulimits);
	c_strv_free(&a.o.cap_add);
	c_strv_free(&a.o.cap_drop);
	c_strv_free(&a.o.security_opts);
	c_strv_free(&a.o.devices);
	c_strv_free(&a.o.device_cgroup_rules);
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
	{ "stop", cmd_stop }, { "wait", cmd_wait }, { "logs", cmd_logs }, { "exec", oci_exec },
	{ "features", oci_features }, { "update", oci_unsupported }, { "pause", oci_unsupported },
	{ "resume", oci_unsupported }, { "checkpoint", oci_unsupported },
	{ "restore", oci_unsupported },
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
	/* a command's status is its own (exec's is the process's) */
	for (size_t k = 0; i < argc && k < sizeof commands / sizeof commands[0]; k++)
		if (!strcmp(argv[i], commands[k].name)) {
			rc = commands[k].fn(argc - i, argv + i, &err);
			return rc < 0 ? c_err_report(&err) : rc;
		}
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
