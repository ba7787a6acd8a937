/* cli.h — command-line helpers every program shares: option values with
 * one-line usage errors (exit 2), and "-" meaning standard input. */
#ifndef C_CLI_H
#define C_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/* "true"/"false" (also 1/0, yes/no); NULL (a bare --flag) is true. */
bool c_cli_bool(const char *option, const char *value);

/* A decimal integer in [min, max]. */
long c_cli_int(const char *option, const char *value, long min, long max);

/* arg itself, or for "-" the first line of stdin (without the newline);
 * what names the argument in errors.  Always a fresh string. */
char *c_cli_arg_or_stdin(const char *arg, const char *what);

/* A size as docker prints it: decimal units, three significant digits
 * ("52.3MB", "289B"). */
void c_human_size(char *out, size_t n, int64_t bytes);

/* For getopt_long run with opterr = 0 and an optstring starting with ':':
 * the one-line usage error for what it returned ('?' or ':'), exit 2. */
_Noreturn void c_cli_bad_option(int c, int argc, char **argv);

/* The options of every program that talks to a registry, for its struct
 * option table, and their handling: c_cli_registry_option() applies option c
 * and returns true, or returns false for an option that is not one of them. */
enum { C_OPT_TLS_VERIFY = 0x1000, C_OPT_PLAIN_HTTP, C_OPT_CERT_DIR, C_OPT_CREDS };
#define C_CLI_REGISTRY_OPTIONS                                                  \
	{ "tls-verify", optional_argument, NULL, C_OPT_TLS_VERIFY },            \
	{ "plain-http", no_argument, NULL, C_OPT_PLAIN_HTTP },                  \
	{ "cert-dir", required_argument, NULL, C_OPT_CERT_DIR },                \
	{ "creds", required_argument, NULL, C_OPT_CREDS }

bool c_cli_registry_option(int c, const char *arg, struct c_registry_opts *opts);

#endif
