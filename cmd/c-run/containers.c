/* c-run ps, logs, stop, wait: docker's commands for the containers of
 * the docker-like front; ps ID is runc's. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "file.h"
#include "json.h"
#include "logfile.h"
#include "proc.h"
#include "run.h"
#include "signame.h"
#include "timefmt.h"
#include "unpack.h"

#include "c-run.h"

/* --- the lifecycle of containers: stop, wait, logs, ps ------------------------------------- */

static const struct option stop_options[] = {
	{ "time", required_argument, NULL, 't' },
	{ "signal", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

int cmd_stop(int argc, char **argv, c_err **err)
{
	int c, grace = -1, sig = 0, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":t:s:", stop_options, NULL)) != -1) {
		if (c == 't')
			grace = (int)c_cli_int("--time", optarg, 0, 1L << 30);
		else if (c == 's' && c_signal_option(optarg, &sig, err) < 0)
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

int cmd_wait(int argc, char **argv, c_err **err)
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

int cmd_logs(int argc, char **argv, c_err **err)
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

/* docker inspect's shape for one container: Id, Name, Created, Image, Path
 * and Args, State (Status in docker's words, Running, Pid, ExitCode,
 * OOMKilled, StartedAt, FinishedAt), Config (Cmd, Env, WorkingDir, Tty),
 * and the whole record under "c-tools". */
static json_t *inspect_one(const struct c_state *s)
{
	static const char *const words[] = { [C_STATUS_CREATING] = "created",
					      [C_STATUS_CREATED] = "created",
					      [C_STATUS_RUNNING] = "running",
					      [C_STATUS_STOPPED] = "exited" };
	_cleanup_json_ json_t *config = c_run_saved_config(s);
	json_t *process = json_object_get(config, "process");
	json_t *args = json_object_get(process, "args");
	enum c_status st = c_state_status(s);
	char name[C_STATE_ID_MAX + 2];
	json_t *rest = json_array(), *arg;
	size_t i;

	json_array_foreach(args, i, arg)
		if (i > 0)
			json_array_append(rest, arg);

	snprintf(name, sizeof name, "/%s", s->name ? s->name : s->id);
	return json_pack(
		"{s:s, s:s, s:s?, s:s?, s:O?, s:o, s:{s:s, s:b, s:i, s:i, s:b, s:s?, s:s?},"
		" s:{s:O?, s:O?, s:O?, s:b}, s:o}",
		"Id", s->id, "Name", name, "Created", s->created, "Image", s->image, "Path",
		json_array_get(args, 0), "Args", rest, "State",
		"Status", words[st], "Running", st == C_STATUS_RUNNING, "Pid",
		st == C_STATUS_RUNNING ? (int)s->pid : 0, "ExitCode",
		s->exit_code < 0 ? 0 : s->exit_code, "OOMKilled", s->oom_killed, "StartedAt",
		s->created, "FinishedAt", s->finished, "Config", "Cmd", args, "Env",
		json_object_get(process, "env"), "WorkingDir", json_object_get(process, "cwd"),
		"Tty", json_is_true(json_object_get(process, "terminal")), "c-tools",
		c_state_json(s));
}

int cmd_inspect(int argc, char **argv, c_err **err)
{
	_cleanup_json_ json_t *out = json_array();
	_cleanup_free_ char *text = NULL;

	if (argc < 2)
		c_die_usage("inspect: expected a container");
	for (int i = 1; i < argc; i++) {
		struct c_state s;
		json_t *one;

		if (c_state_load(state_root, argv[i], &s, err) < 0)
			return -1;
		one = inspect_one(&s);
		c_state_clear(&s);
		if (!one || json_array_append_new(out, one) < 0)
			return c_err_new(err, C_EXIT_FAIL, ENOMEM, "inspect %s", argv[i]);
	}
	text = json_dumps(out, JSON_INDENT(4));
	if (!text)
		return c_err_new(err, C_EXIT_FAIL, ENOMEM, "inspect");
	puts(text);
	return 0;
}

static const struct option ps_options[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "no-trunc", no_argument, NULL, 'T' },
	{ "format", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

/* runc's ps: the processes of one container, from its cgroup, as a table
 * (uid, pid, ppid and command line, read off /proc) or a JSON array of
 * pids. */
int oci_ps(const char *what, bool json, c_err **err)
{
	_cleanup_free_ char *procs = NULL, *path = NULL;
	struct c_cgroup *cg = NULL;
	const char *dir = NULL;
	struct c_state s;
	size_t len;
	int rc = -1;

	if (load_either(what, &s, NULL, err) < 0)
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
			c_proc_print_ps_line((pid_t)pid);
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
int cmd_ps(int argc, char **argv, c_err **err)
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
