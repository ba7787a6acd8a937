/* c-run [OPTIONS] IMAGE|BUNDLE [COMMAND...]: docker's run, in the
 * foreground or detached. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "file.h"
#include "hooks.h"
#include "json.h"
#include "run.h"
#include "runopts.h"
#include "signame.h"
#include "unpack.h"

#include "c-run.h"

/* --- docker's run ----------------------------------------------------------------------- */


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
	C_CLI_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

struct run_args {
	struct c_runopts o;
	struct c_supervise_opts so;
	const char *name, *target, *root;
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
			if (c_signal_option(optarg, &a->so.stop_signal, &err) < 0)
				c_die(&err);
			break;
		case OPT_STOP_TIMEOUT:
			a->so.grace = (unsigned)c_cli_int("--stop-timeout", optarg, 0, 1L << 30);
			break;
		default:
			if (!c_cli_common_option(c, optarg, c_run_usage, &a->root))
				c_cli_bad_option(c, argc, argv);
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

int docker_run(int argc, char **argv, c_err **err)
{
	struct run_args a = { 0 };
	_cleanup_free_ char *bundle = NULL, *id = c_run_new_id(), *store_root = NULL;
	_cleanup_free_ char *volumes = NULL;
	_cleanup_json_ json_t *spec = NULL;
	_cleanup_close_ int devnull = -1;
	struct c_run l = { .pty = -1, .so = { .stdio = { -1, -1, -1 } } };
	bool handed_off = false;
	sigset_t set;
	int rc = -1;

	parse_run(argc, argv, &a);
	if (a.root)
		state_root = docker_root(a.root);
	l.root = state_root;
	store_root = c_store_default_root();
	if (!id || !store_root || asprintf(&volumes, "%s/volumes", store_root) < 0)
		return c_err_sys(err, "allocate", "container");
	/* the state root, made 0700 on a first run, as podman's storage */
	if (c_mkdir_p(store_root, 0700, err) < 0)
		return -1;
	a.o.volumes_dir = volumes;
	/* the record first, its name checked, before anything is unpacked for
	 * it: a crash from here on leaves a container rm removes */
	l.st.id = strdup(id);
	l.st.name = a.name ? strdup(a.name) : NULL;
	l.st.image = strchr(a.target, '/') && !strchr(a.target, ':') ? NULL : strdup(a.target);
	l.st.created = c_run_now();
	l.st.exit_code = -1;
	if (!l.st.id || c_state_add(l.root, &l.st, err) < 0)
		goto out;
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
	l.st.bundle = strdup(bundle);
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
