/* sha256 — hash a file, or generated data, with lib/digest; driven by
 * bench/sha256.sh.
 *
 *   sha256 [-g] FILE     hash FILE ("-" for stdin), print the hex digest
 *   sha256 [-g] -n MIB   hash MIB MiB of data generated in memory, print the
 *                        hex digest, and on stderr the hashing speed alone
 *
 * -g uses the generic BearSSL code instead of the automatic choice. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "err.h"

/* Large reads keep the per-call cost out of the measurement, and a multiple
 * of 64 keeps every update block-aligned so nothing is copied. */
#define READ_SIZE (256 * 1024)

static int hash_fd(struct c_sha256 *ctx, int fd, const char *path, c_err **err)
{
	static uint8_t buf[READ_SIZE] __attribute__((aligned(64)));
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return c_err_sys(err, "read", path);
		}
		c_sha256_update(ctx, buf, n);
	}
	return 0;
}

static int hash_file(struct c_sha256 *ctx, const char *path, c_err **err)
{
	_cleanup_close_ int fd = -1;

	if (!strcmp(path, "-"))
		return hash_fd(ctx, STDIN_FILENO, "stdin", err);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return c_err_sys(err, "open", path);
	return hash_fd(ctx, fd, path, err);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int hash_generated(struct c_sha256 *ctx, size_t mib, c_err **err)
{
	_cleanup_free_ uint64_t *data = NULL;
	size_t len = mib << 20, i;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	double start, secs;

	data = malloc(len);
	if (!data && len)
		return c_err_sys(err, "allocate test data", NULL);
	for (i = 0; i < len / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		data[i] = x;
	}
	start = now();
	c_sha256_update(ctx, data, len);
	secs = now() - start;
	fprintf(stderr, "%s: %zu MiB in %.3f s, %.0f MB/s\n", c_sha256_impl(), mib, secs,
		len / 1e6 / secs);
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t out[C_SHA256_LEN];
	char hex[2 * C_SHA256_LEN + 1];
	struct c_sha256 ctx;
	c_err *err = NULL;
	long mib = -1;
	char *end;
	int opt;

	c_err_init(argv[0]);
	while ((opt = getopt(argc, argv, "gn:")) != -1) {
		switch (opt) {
		case 'g':
			c_sha256_use_generic(true);
			break;
		case 'n':
			errno = 0;
			mib = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || mib < 0 || mib > 1 << 20)
				c_die_usage("-n: not a size in MiB: %s", optarg);
			break;
		default:
			c_die_usage("expected [-g] FILE or [-g] -n MIB");
		}
	}
	if (optind != argc - (mib < 0))
		c_die_usage("expected [-g] FILE or [-g] -n MIB");

	c_sha256_init(&ctx);
	if (mib >= 0 ? hash_generated(&ctx, mib, &err) : hash_file(&ctx, argv[optind], &err))
		c_die(&err);
	c_sha256_final(&ctx, out);
	c_hex_encode(hex, out, sizeof out);
	printf("%s\n", hex);
	return fflush(stdout) ? C_EXIT_FAIL : C_EXIT_OK;
}
