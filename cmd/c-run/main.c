/* c-run — run containers: an OCI runtime on bundles (runc's command line),
 * and docker's `run` for people, on images or bundles.  This file: the
 * usage, the global options before a command, and the dispatch. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "run.h"
#include "unpack.h"

#include "c-run.h"
#include "programs.h"

const char c_run_usage[] =
	"Usage: c-run [OPTIONS] IMAGE|BUNDLE [COMMAND [ARG...]]\n"
	"       c-run [--root DIR] ps [-a] [-q] | inspect CONTAINER... | logs [-f] [-t] [--tail N] CONTAINER |\n"
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
	"      --root DIR             $C_ROOT; before an OCI command, runc's state dir\n"
	"                             (default /run/c-run)\n"
	"  -h, --help                 this help\n"
	"      --version              print the version\n"
	"\n"
	"Exit status: the container's (128+N for signal N), 124 on --timeout,\n"
	"125 when c-run fails, 126 when COMMAND cannot run, 127 when it is not found.\n";

const char *state_root, *oci_root;

/* --- main -------------------------------------------------------------------------------- */

static const struct option global_options[] = {
	{ "root", required_argument, NULL, C_CLI_OPT_ROOT },
	{ "log", required_argument, NULL, OPT_IGNORED },
	{ "log-format", required_argument, NULL, OPT_IGNORED },
	{ "systemd-cgroup", no_argument, NULL, OPT_IGNORED },
	{ "debug", no_argument, NULL, OPT_IGNORED },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, c_err **err);
	bool docker; /* of the docker-like front: --root is $C_ROOT */
} commands[] = {
	{ "start", oci_start, false },
	{ "state", oci_state, false },
	{ "kill", oci_kill, false },
	{ "delete", oci_delete, false },
	{ "list", oci_list, false },
	{ "exec", oci_exec, false },
	{ "features", oci_features, false },
	{ "update", oci_unsupported, false },
	{ "pause", oci_unsupported, false },
	{ "resume", oci_unsupported, false },
	{ "checkpoint", oci_unsupported, false },
	{ "restore", oci_unsupported, false },
	{ "rm", oci_delete, true },
	{ "ps", cmd_ps, true },
	{ "stop", cmd_stop, true },
	{ "wait", cmd_wait, true },
	{ "logs", cmd_logs, true },
	{ "inspect", cmd_inspect, true },
};

int load_either(const char *what, struct c_state *s, const char **root, c_err **err)
{
	const char *docker;
	c_err *e = NULL;

	if (c_state_load(oci_root, what, s, &e) == 0) {
		if (root)
			*root = oci_root;
		return 0;
	}
	if (e->status != C_EXIT_NOTFOUND) {
		*err = e;
		return -1;
	}
	c_err_free(&e);
	docker = state_root ? state_root : docker_root(NULL);
	if (c_state_load(docker, what, s, err) < 0)
		return -1;
	if (root)
		*root = docker;
	return 0;
}

const char *docker_root(const char *root_opt)
{
	static char *records;

	if (root_opt && setenv("C_ROOT", root_opt, 1) < 0)
		c_die_usage("--root %s: cannot set C_ROOT", root_opt);
	free(records);
	records = c_state_docker_root();
	if (!records)
		c_die_usage("no state root: set C_ROOT or HOME");
	return records;
}

int c_run_main(int argc, char **argv)
{
	_cleanup_free_ char *default_oci = c_state_oci_root();
	const char *root_opt = NULL;
	c_err *err = NULL;
	int i, rc;

	c_err_init(argv[0]);
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
			if (o->val == C_CLI_OPT_ROOT)
				root_opt = v;
		}
	}
	oci_root = root_opt ? root_opt : default_oci;
	opterr = 0;
	if (i < argc && (!strcmp(argv[i], "create") || !strcmp(argv[i], "run"))) {
		rc = oci_create(argc - i, argv + i, !strcmp(argv[i], "run"), &err);
		return rc < 0 ? c_err_report(&err) : rc;
	}
	/* a command's status is its own (exec's is the process's) */
	for (size_t k = 0; i < argc && k < sizeof commands / sizeof commands[0]; k++)
		if (!strcmp(argv[i], commands[k].name)) {
			if (commands[k].docker)
				state_root = docker_root(root_opt);
			rc = commands[k].fn(argc - i, argv + i, &err);
			return rc < 0 ? c_err_report(&err) : rc;
		}
	state_root = docker_root(root_opt);
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
