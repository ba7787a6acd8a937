#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"

bool c_cli_bool(const char *option, const char *value)
{
	if (!value || !strcasecmp(value, "true") || !strcmp(value, "1") || !strcasecmp(value, "yes"))
		return true;
	if (!strcasecmp(value, "false") || !strcmp(value, "0") || !strcasecmp(value, "no"))
		return false;
	c_die_usage("%s: expected true or false, not \"%s\"", option, value);
}

long c_cli_int(const char *option, const char *value, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max)
		c_die_usage("%s: expected a number from %ld to %ld, not \"%s\"", option, min, max,
			    value);
	return v;
}

char *c_cli_arg_or_stdin(const char *arg, const char *what)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	c_err *err = NULL;

	if (strcmp(arg, "-")) {
		line = strdup(arg);
		if (!line) {
			c_err_sys(&err, "read", what);
			c_die(&err);
		}
		return line;
	}
	n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		if (ferror(stdin))
			c_err_sys(&err, "read standard input for", what);
		else
			c_err_new(&err, C_EXIT_USAGE, 0, "read standard input: no %s", what);
		c_die(&err);
	}
	line[strcspn(line, "\r\n")] = '\0';
	if (!*line)
		c_die_usage("standard input: empty %s", what);
	return line;
}

void c_cli_bad_option(int c, int argc, char **argv)
{
	char name[3] = { '-', (char)optopt, '\0' };
	const char *what = name;

	/* getopt has stepped past a long option; a short one is in optopt. */
	if (optind - 1 < argc && !strncmp(argv[optind - 1], "--", 2))
		what = argv[optind - 1];
	else if (optopt <= ' ' || optopt > '~')
		what = optind - 1 < argc ? argv[optind - 1] : "?";
	if (c == ':')
		c_die_usage("%s: missing value", what);
	c_die_usage("unknown option: %s", what);
}

bool c_cli_common_option(int c, const char *arg, const char *usage, const char **root)
{
	switch (c) {
	case 'h':
		fputs(usage, stdout);
		exit(0);
	case C_CLI_OPT_VERSION:
		printf("%s %s\n", c_progname, C_TOOLS_VERSION);
		exit(0);
	case C_CLI_OPT_ROOT:
		*root = arg;
		return true;
	}
	return false;
}
