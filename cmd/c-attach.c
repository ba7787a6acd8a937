/* c-attach — attach to a detached container's terminal or streams, through
 * its supervisor's socket; or, with --exec, run a new process in a running
 * container. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "programs.h"
#include "attach.h"
#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "err.h"
#include "exec.h"
#include "json.h"
#include "logfile.h"
#include "state.h"
#include "supervise.h"

static const char usage[] =
	"Usage: c-attach [OPTIONS] CONTAINER\n"
	"       c-attach --exec [-i] [-t] [-u USER[:GROUP]] [-w DIR] [-e K=V] [--privileged]\n"
	"                CONTAINER COMMAND [ARG...]\n"
	"Attach to a container started with `c-run -d`: its output here, this\n"
	"terminal's input there (with -i), until it ends (c-attach's exit status is\n"
	"its) or the detach keys are typed (the container goes on; status 0).\n"
	"\n"
	"      --detach-keys KEYS  keys that detach (default ctrl-p,ctrl-q)\n"
	"      --no-stdin          do not pass standard input on\n"
	"      --logs              print the container's log first\n"
	"      --root DIR          the state root (default: $C_ROOT)\n"
	"\n"
	"With --exec, COMMAND runs in the container as docker exec runs it: in all\n"
	"its namespaces and its cgroup, with its capabilities, seccomp filter,\n"
	"no_new_privs and limits; c-attach's exit status is the command's.\n"
	"  -i, --interactive       pass standard input on\n"
	"  -t, --tty               a terminal\n"
	"  -u, --user USER[:GROUP] the user (names from the container's /etc/passwd)\n"
	"  -w, --workdir DIR       the working directory\n"
	"  -e, --env K=V|K         set an environment variable\n"
	"      --privileged        every capability\n"
	"  -h, --help              this help\n"
	"      --version           print the version\n"
	"\n"
	"Exit status: the container's (or the command's) when it ends, 0 when\n"
	"detached, 1 when it is not running or not detached, 2 on a bad command\n"
	"line, 4 when there is no such container; with --exec 125 when the process\n"
	"cannot be made, 126 when COMMAND cannot run, 127 when it is not found.\n";

enum {
	OPT_DETACH_KEYS = 256, OPT_NO_STDIN, OPT_LOGS, OPT_EXEC,
	OPT_PRIVILEGED,
};

static const struct option options[] = {
	{ "exec", no_argument, NULL, OPT_EXEC },
	{ "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' },
	{ "user", required_argument, NULL, 'u' },
	{ "workdir", required_argument, NULL, 'w' },
	{ "env", required_argument, NULL, 'e' },
	{ "privileged", no_argument, NULL, OPT_PRIVILEGED },
	{ "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
	{ "no-stdin", no_argument, NULL, OPT_NO_STDIN },
	{ "logs", no_argument, NULL, OPT_LOGS },
	C_CLI_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* --exec: the process made in the container, then relayed as c-run's
 * foreground is, to its end. */
static int run_exec(const struct c_state *s, const struct c_exec_opts *eo, bool interactive,
		    c_err **err)
{
	_cleanup_json_ json_t *config = NULL;
	_cleanup_close_ int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct c_spawn_opts so = { .stdio = { interactive ? -1 : devnull, -1, -1 } };
	int pty = -1;
	pid_t pid;

	if (devnull < 0)
		return c_err_sys(err, "open", "/dev/null");
	config = c_exec_config(s->dir, s->pid, eo, err);
	if (!config || c_exec_start(s, config, &so, &pid, &pty, err) < 0)
		return -1;
	return c_exec_wait(pid, pty, interactive, err);
}

int c_attach_main(int argc, char **argv)
{
	_cleanup_free_ char *records = NULL;
	const char *root = NULL, *keys_spec = "ctrl-p,ctrl-q";
	char keys[C_ATTACH_KEYS_MAX];
	struct c_attach_relay_opts ro = { .keys = keys };
	struct c_exec_opts eo = { 0 };
	_cleanup_close_ int sock = -1;
	struct c_state s;
	bool logs = false, exec = false, interactive = false;
	c_err *err = NULL;
	int c, code, rc;

	c_err_init(argv[0]);
	opterr = 0;
	/* "+": with --exec, options stop at the container, the rest is the command */
	while ((c = getopt_long(argc, argv, "+:hitu:w:e:", options, NULL)) != -1) {
		switch (c) {
		case OPT_DETACH_KEYS: keys_spec = optarg; break;
		case OPT_NO_STDIN: ro.no_stdin = true; break;
		case OPT_LOGS: logs = true; break;
		case OPT_EXEC: exec = true; break;
		case 'i': interactive = true; break;
		case 't': eo.tty = true; break;
		case 'u': eo.user = optarg; break;
		case 'w': eo.workdir = optarg; break;
		case 'e': c_strv_push(&eo.env, optarg); break;
		case OPT_PRIVILEGED: eo.privileged = true; break;
		default:
			if (!c_cli_common_option(c, optarg, usage, &root))
				c_cli_bad_option(c, argc, argv);
		}
	}
	if (exec ? argc - optind < 2 : argc - optind != 1)
		c_die_usage(exec ? "expected a container and a command" : "expected a container");
	if (!exec && (interactive || eo.tty || eo.user || eo.workdir || eo.env.n || eo.privileged))
		c_die_usage("-i, -t, -u, -w, -e and --privileged go with --exec");
	/* the containers of c-run's docker-like front, under $C_ROOT */
	if (root && setenv("C_ROOT", root, 1) < 0)
		c_die_usage("--root %s: cannot set C_ROOT", root);
	records = c_state_docker_root();
	if (!records)
		c_die_usage("no state root: set C_ROOT or HOME");
	if ((!exec && *keys_spec && c_attach_parse_keys(keys_spec, keys, &ro.n_keys, &err) < 0) ||
	    c_state_load(records, argv[optind], &s, &err) < 0)
		return c_err_report(&err);
	ro.pid = s.pid;
	eo.cmd = (const char *const *)argv + optind + 1;
	if (c_state_status(&s) != C_STATUS_RUNNING) {
		c_err_new(&err, C_EXIT_FAIL, 0, "container %s is not running", argv[optind]);
	} else if (exec) {
		rc = run_exec(&s, &eo, interactive, &err);
		c_state_clear(&s);
		c_strv_free(&eo.env);
		if (rc >= 0)
			return rc;
		/* docker's: 125 when the process cannot be made */
		if (err->status != C_EXIT_NOEXEC && err->status != C_EXIT_NOTFOUND_CMD &&
		    err->status != C_EXIT_USAGE)
			err->status = C_EXIT_RUNTIME;
		return c_err_report(&err);
	} else if (!c_state_monitor_alive(&s)) {
		c_err_new(&err, C_EXIT_FAIL, 0,
			  "container %s has no supervisor to attach to: it was not started with -d",
			  argv[optind]);
	} else if (logs && c_logfile_print(s.log, &(struct c_logfile_read_opts){ .tail = -1 },
					   &err) < 0) {
		c_err_wrap(&err, "logs of %s", argv[optind]);
	} else if ((sock = c_attach_connect(s.run_dir, &err)) < 0) {
		c_err_wrap(&err, "attach to %s", argv[optind]);
	}
	c_state_clear(&s);
	if (err)
		return c_err_report(&err);
	rc = c_attach_relay(sock, &ro, &code, &err);
	if (rc < 0)
		return c_err_report(&err);
	return code < 0 ? 0 : code;
}
