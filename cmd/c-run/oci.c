/* c-run create, start, state, kill, delete, run, list, exec, ps ID,
 * features: the OCI runtime command line, as runc's, so that podman, CRI-O
 * and containerd can drive c-run. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "cli.h"
#include "exec.h"
#include "file.h"
#include "hooks.h"
#include "json.h"
#include "rootfs.h"
#include "run.h"
#include "seccomp.h"
#include "signame.h"
#include "tty.h"
#include "unpack.h"

#include "c-run.h"

/* --- OCI runtime commands --------------------------------------------------------------- */

json_t *load_spec(const char *bundle, c_err **err)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/config.json", bundle) < 0)
		return c_err_sys(err, "config", bundle), NULL;
	return c_json_load_file(path, 4 << 20, err);
}

int write_pid_file(const char *path, pid_t pid, c_err **err)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d", (int)pid);

	return c_write_file_atomic(path, buf, (size_t)n, 0644, err);
}


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
int oci_create(int argc, char **argv, bool run, c_err **err)
{
	const char *bundle = ".", *pid_file = NULL, *console = NULL;
	_cleanup_free_ char *abs_bundle = NULL, *fifo = NULL;
	_cleanup_json_ json_t *spec = NULL;
	struct c_run l = { .root = oci_root, .pty = -1, .so = { .stdio = { -1, -1, -1 } },
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
	    asprintf(&fifo, "%s/%s/exec.fifo", oci_root, argv[optind]) >= 0)
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

		c_run_remove(oci_root, &l.st, &e);
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
		c_run_remove(oci_root, &l.st, &e);
		c_err_free(&e);
	}
out:
	c_run_clear(&l);
	return rc;
}

int oci_start(int argc, char **argv, c_err **err)
{
	_cleanup_json_ json_t *config = NULL;
	struct c_state s;
	int rc;

	if (argc != 2)
		c_die_usage("start: expected a container id");
	if (load_either(argv[1], &s, NULL, err) < 0)
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

int oci_state(int argc, char **argv, c_err **err)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *text = NULL;
	struct c_state s;

	if (argc != 2)
		c_die_usage("state: expected a container id");
	if (load_either(argv[1], &s, NULL, err) < 0)
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

int oci_kill(int argc, char **argv, c_err **err)
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
	if (argc - optind == 2 && c_signal_option(argv[optind + 1], &sig, err) < 0)
		return -1;
	if (load_either(argv[optind], &s, NULL, err) < 0)
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
int oci_delete(int argc, char **argv, c_err **err)
{
	bool force = false, oci = !strcmp(argv[0], "delete");
	/* rm is docker's, for the containers of the docker-like front */
	const char *root = oci ? oci_root : state_root;
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

		if ((oci ? load_either(argv[i], &s, &root, err)
			 : c_state_load(root, argv[i], &s, err)) < 0) {
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
			rc = c_run_remove(root, &s, err);
		if (rc == 0 && config)
			c_run_hooks_warn(config, "poststop", &s);
		json_decref(config);
		if (rc == 0 && !oci)
			puts(argv[i]);
		c_state_clear(&s);
	}
	return rc;
}

int oci_list(int argc, char **argv, c_err **err)
{
	struct c_state *list;
	bool quiet = argc > 1 && !strcmp(argv[1], "-q");
	size_t n;

	if (c_state_list(oci_root, &list, &n, err) < 0)
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
int oci_exec(int argc, char **argv, c_err **err)
{
	const char *process_file = NULL, *pid_file = NULL, *console = NULL;
	struct c_exec_opts eo = { 0 };
	struct c_spawn_opts so = { .stdio = { -1, -1, -1 } };
	_cleanup_json_ json_t *process = NULL, *config = NULL;
	bool detach = false;
	int c, rc = -1, pty = -1;
	struct c_state s = { 0 };
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
	if (load_either(argv[optind], &s, NULL, err) < 0)
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
	if (c_exec_start(&s, config, &so, &pid, &pty, err) < 0)
		goto out;
	if ((pid_file && write_pid_file(pid_file, pid, err) < 0) ||
	    (console && c_tty_send_console(console, pty, err) < 0)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	if (console) {
		close(pty);
		pty = -1;
	}
	if (detach) {
		rc = 0;
		goto out;
	}
	rc = c_exec_wait(pid, pty, true, err);
	pty = -1;
out:
	if (pty >= 0)
		close(pty);
	c_state_clear(&s);
	c_strv_free(&eo.env);
	c_strv_free(&eo.groups);
	c_strv_free(&eo.caps);
	return rc;
}

/* runc's `features` JSON (the runtime spec's features.md): what this c-run
 * carries out.  User namespaces, AppArmor, SELinux and systemd's cgroup
 * driver are not among it. */
int oci_features(int argc, char **argv, c_err **err)
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
int oci_unsupported(int argc, char **argv, c_err **err)
{
	(void)argc;
	return c_err_new(err, C_EXIT_FAIL, 0,
			 "%s: not supported by c-run (containers cannot be %s)", argv[0],
			 !strcmp(argv[0], "update")	? "updated once created"
			 : !strcmp(argv[0], "pause") ||
					 !strcmp(argv[0], "resume") ? "paused"
							       : "checkpointed or restored");
}
