/* cli.h — command-line helpers every program shares: option values with
 * one-line usage errors (exit 2), and "-" meaning standard input. */
#ifndef C_CLI_H
#define C_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "true"/"false" (also 1/0, yes/no); NULL (a bare --flag) is true. */
bool c_cli_bool(const char *option, const char *value);

/* A decimal integer in [min, max]. */
long c_cli_int(const char *option, const char *value, long min, long max);

/* arg itself, or for "-" the first line of stdin (without the newline);
 * what names the argument in errors.  Always a fresh string. */
char *c_cli_arg_or_stdin(const char *arg, const char *what);

/* The options of every program, for its struct option table, and their
 * handling: -h/--help prints usage and exits 0; --version prints "PROGRAM
 * VERSION" and exits 0; --root DIR sets *root (what the root is, the
 * program says: the state root $C_ROOT, or for c-run's OCI commands runc's
 * state directory).  c_cli_common_option() returns false for an option
 * that is not one of them. */
enum { C_CLI_OPT_VERSION = 0x1100, C_CLI_OPT_ROOT };
#define C_CLI_COMMON_OPTIONS                                         \
	{ "help", no_argument, NULL, 'h' },                           \
	{ "version", no_argument, NULL, C_CLI_OPT_VERSION },          \
	{ "root", required_argument, NULL, C_CLI_OPT_ROOT }

bool c_cli_common_option(int c, const char *arg, const char *usage, const char **root);

/* For getopt_long run with opterr = 0 and an optstring starting with ':':
 * the one-line usage error for what it returned ('?' or ':'), exit 2. */
_Noreturn void c_cli_bad_option(int c, int argc, char **argv);

#endif
