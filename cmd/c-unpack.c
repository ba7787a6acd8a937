/* c-unpack — turn an image in the store into an OCI runtime bundle, or apply
 * one layer onto a directory. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "programs.h"
#include "cleanup.h"
#include "cli.h"
#include "err.h"
#include "store.h"
#include "unpack.h"

static const char usage[] =
	"Usage: c-unpack [OPTIONS] IMAGE|- DIR\n"
	"       c-unpack --layer FILE|- DIR\n"
	"Make DIR an OCI runtime bundle (DIR/rootfs and DIR/config.json) from IMAGE,\n"
	"a name or digest in the store (\"-\" reads it from stdin), and print DIR.\n"
	"With --layer, apply one layer (a tar, gzip or zstd stream; \"-\" for stdin)\n"
	"onto the directory DIR, whiteouts included.\n"
	"\n"
	"      --copy          a private copy of the files in DIR/rootfs, which any\n"
	"                      OCI runtime can run\n"
	"      --overlay       layers unpacked once under $C_ROOT/layers and shared;\n"
	"                      c-run mounts them (default where overlayfs works)\n"
	"  -j, --jobs N        layers unpacked at once in overlay mode (default: CPUs)\n"
	"      --layer         apply one layer instead of unpacking an image\n"
	"      --root DIR      the state root (default: $C_ROOT)\n"
	"  -h, --help          this help\n"
	"      --version       print the version\n";

enum { OPT_LAYER = 256, OPT_COPY, OPT_OVERLAY };

static const struct option options[] = {
	{ "copy", no_argument, NULL, OPT_COPY },
	{ "overlay", no_argument, NULL, OPT_OVERLAY },
	{ "jobs", required_argument, NULL, 'j' },
	{ "layer", no_argument, NULL, OPT_LAYER },
	C_CLI_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int unpack_layer(const char *file, const char *dir, c_err **err)
{
	_cleanup_close_ int fd = -1;

	if (!strcmp(file, "-"))
		return c_unpack_layer(STDIN_FILENO, "standard input", dir, err);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return c_err_sys(err, "open", file);
	return c_unpack_layer(fd, file, dir, err);
}

static int unpack_image(const char *root, const char *arg, const char *dir,
			const struct c_unpack_opts *opts, c_err **err)
{
	_cleanup_free_ char *image = c_cli_arg_or_stdin(arg, "image");
	struct c_store *store = c_store_open(root, err);
	int rc;

	if (!store)
		return -1;
	rc = c_unpack_image(store, image, dir, opts, err);
	c_store_close(store);
	return rc;
}

int c_unpack_main(int argc, char **argv)
{
	struct c_unpack_opts opts = { .mode = C_UNPACK_AUTO };
	const char *root = NULL;
	bool layer = false;
	c_err *err = NULL;
	int c, rc;

	c_err_init(argv[0]);
	opterr = 0; /* one line of our own instead of getopt's */
	while ((c = getopt_long(argc, argv, ":hj:", options, NULL)) != -1) {
		switch (c) {
		case OPT_LAYER:
			layer = true;
			break;
		case OPT_COPY:
			opts.mode = C_UNPACK_COPY;
			break;
		case OPT_OVERLAY:
			opts.mode = C_UNPACK_OVERLAY;
			break;
		case 'j':
			opts.workers = c_cli_int("--jobs", optarg, 1, 16);
			break;
		default:
			if (!c_cli_common_option(c, optarg, usage, &root))
				c_cli_bad_option(c, argc, argv);
		}
	}
	if (argc - optind != 2)
		c_die_usage("expected %s and a directory", layer ? "a layer" : "an image");
	if (layer)
		rc = unpack_layer(argv[optind], argv[optind + 1], &err);
	else
		rc = unpack_image(root, argv[optind], argv[optind + 1], &opts, &err);
	if (rc < 0)
		return c_err_report(&err);
	printf("%s\n", argv[optind + 1]);
	return 0;
}
