/* c-pull — fetch an image from an OCI or Docker registry into the store and
 * print its manifest digest. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "programs.h"
#include "cleanup.h"
#include "cli.h"
#include "err.h"
#include "pull.h"
#include "store.h"

static const char usage[] =
	"Usage: c-pull [OPTIONS] REF|-\n"
	"Fetch the image REF (or a reference read from stdin for -) from its registry\n"
	"into the store, and print the digest of its manifest.\n"
	"\n"
	"  -q, --quiet                    no progress on stderr\n"
	"      --platform OS/ARCH[/VAR]   the platform to pull from a multi-platform image\n"
	"                                 (default: this machine's)\n"
	"      --tls-verify=true|false    check the registry's certificate (default true)\n"
	"      --plain-http               speak plain HTTP to the registry (no TLS)\n"
	"      --cert-dir DIR             CA (*.crt) and client (*.cert, *.key) certificates\n"
	"                                 for the registry, instead of certs.d\n"
	"      --creds USER:PASSWORD      credentials for the registry\n"
	"      --root DIR                 the state root (default: $C_ROOT)\n"
	"  -j, --jobs N                   parallel blob downloads (default 3)\n"
	"  -h, --help                     this help\n"
	"      --version                  print the version\n";

enum { OPT_PLATFORM = 256 };

static const struct option options[] = {
	{ "quiet", no_argument, NULL, 'q' },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	C_REGISTRY_CLI_OPTIONS,
	{ "jobs", required_argument, NULL, 'j' },
	C_CLI_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

int c_pull_main(int argc, char **argv)
{
	struct c_pull_opts opts = { .registry.tls_verify = true, .fetch.progress = true };
	const char *root = NULL;
	_cleanup_free_ char *ref = NULL;
	struct c_store *store;
	struct c_digest digest;
	c_err *err = NULL;
	int c, rc;

	c_err_init(argv[0]);
	opterr = 0; /* one line of our own instead of getopt's */
	while ((c = getopt_long(argc, argv, ":qj:h", options, NULL)) != -1) {
		switch (c) {
		case 'q':
			opts.fetch.progress = false;
			break;
		case OPT_PLATFORM:
			opts.platform = optarg;
			break;
		case 'j':
			opts.fetch.jobs = c_cli_int("--jobs", optarg, 1, 16);
			break;
		default:
			if (!c_cli_common_option(c, optarg, usage, &root) &&
			    !c_registry_cli_option(c, optarg, &opts.registry))
				c_cli_bad_option(c, argc, argv);
		}
	}
	if (optind != argc - 1)
		c_die_usage("expected one image reference");
	ref = c_cli_arg_or_stdin(argv[optind], "image reference");
	opts.fetch.bars = opts.fetch.progress && isatty(STDERR_FILENO);

	store = c_store_open(root, &err);
	if (!store)
		return c_err_report(&err);
	rc = c_pull(store, ref, &opts, &digest, &err);
	c_store_close(store);
	if (rc < 0)
		return c_err_report(&err);
	printf("%s\n", digest.str);
	return 0;
}
