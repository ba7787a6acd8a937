/* c-attach — attach to a detached container's terminal or streams, through
 * its supervisor's socket. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "cleanup.h"
#include "cli.h"
#include "err.h"
#include "logfile.h"
#include "state.h"

static const char usage[] =
	"Usage: c-attach [OPTIONS] CONTAINER\n"
	"Attach to a container started with `c-run -d`: its output here, this\n"
	"terminal's input there (with -i), until it ends (c-attach's exit status is\n"
	"its) or the detach keys are typed (the container goes on; status 0).\n"
	"\n"
	"      --detach-keys KEYS  keys that detach (default ctrl-p,ctrl-q)\n"
	"      --no-stdin          do not pass standard input on\n"
	"      --logs              print the container's log first\n"
	"      --root DIR          c-run's state root (default /run/c-run)\n"
	"  -h, --help              this help\n"
	"      --version           print the version\n"
	"\n"
	"Exit status: the container's when it ends, 0 when detached, 1 when it is\n"
	"not running or not detached, 2 on a bad command line, 4 when there is no\n"
	"such container.\n";

enum { OPT_DETACH_KEYS = 256, OPT_NO_STDIN, OPT_LOGS, OPT_ROOT, OPT_VERSION };

static const struct option options[] = {
	{ "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
	{ "no-stdin", no_argument, NULL, OPT_NO_STDIN },
	{ "logs", no_argument, NULL, OPT_LOGS },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	_cleanup_free_ char *root = c_state_default_root();
	const char *state_root = root, *keys_spec = "ctrl-p,ctrl-q";
	char keys[C_ATTACH_KEYS_MAX];
	struct c_attach_relay_opts ro = { .keys = keys };
	_cleanup_close_ int sock = -1;
	struct c_state s;
	bool logs = false;
	c_err *err = NULL;
	int c, code, rc;

	c_err_init(argv[0]);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_DETACH_KEYS: keys_spec = optarg; break;
		case OPT_NO_STDIN: ro.no_stdin = true; break;
		case OPT_LOGS: logs = true; break;
		case OPT_ROOT: state_root = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		case OPT_VERSION: puts("c-attach " C_TOOLS_VERSION); return 0;
		default: c_cli_bad_option(c, argc, argv);
		}
	}
	if (argc - optind != 1)
		c_die_usage("expected a container");
	if ((*keys_spec && c_attach_parse_keys(keys_spec, keys, &ro.n_keys, &err) < 0) ||
	    c_state_load(state_root, argv[optind], &s, &err) < 0)
		return c_err_report(&err);
	ro.pid = s.pid;
	if (c_state_status(&s) != C_STATUS_RUNNING)
		c_err_new(&err, C_EXIT_FAIL, 0, "container %s is not running", argv[optind]);
	else if (!c_state_monitor_alive(&s))
		c_err_new(&err, C_EXIT_FAIL, 0,
			  "container %s has no supervisor to attach to: it was not started with -d",
			  argv[optind]);
	else if (logs && c_logfile_print(s.log, &(struct c_logfile_read_opts){ .tail = -1 },
					 &err) < 0)
		c_err_wrap(&err, "logs of %s", argv[optind]);
	else if ((sock = c_attach_connect(s.dir, &err)) < 0)
		c_err_wrap(&err, "attach to %s", argv[optind]);
	c_state_clear(&s);
	if (err)
		return c_err_report(&err);
	rc = c_attach_relay(sock, &ro, &code, &err);
	if (rc < 0)
		return c_err_report(&err);
	return code < 0 ? 0 : code;
}
