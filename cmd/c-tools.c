/* c-tools — the programs of the toolkit in one static binary, as busybox
 * does it: the code and the libraries they share are in it once, and each
 * program is a link to it (bin/c-pull -> c-tools), run by the name it was
 * called by.  `c-tools PROGRAM [ARGS]` runs one by its name too.  c-run is
 * a binary of its own (cmd/alone.c; README, Size).
 *
 * Exit status: the program's; 2 for a name that is no program of c-tools. */
#include <stdio.h>
#include <string.h>

#include "programs.h"

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
} programs[] = {
	{ "c-attach", c_attach_main },
	{ "c-image", c_image_main },
	{ "c-pull", c_pull_main },
	{ "c-unpack", c_unpack_main },
};

static int (*find(const char *name))(int, char **)
{
	for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
		if (!strcmp(name, programs[i].name))
			return programs[i].main;
	return NULL;
}

static int usage(FILE *out, int status)
{
	fputs("Usage: c-tools PROGRAM [ARGS...]   (or call PROGRAM, a link to c-tools)\n"
	      "       c-tools --list | --help | --version\n"
	      "The programs:",
	      out);
	for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
		fprintf(out, " %s", programs[i].name);
	fputs("\n", out);
	return status;
}

int main(int argc, char **argv)
{
	const char *name = argv[0] ? strrchr(argv[0], '/') : NULL;
	int (*program)(int, char **);

	name = name ? name + 1 : argv[0] ? argv[0] : "";
	if ((program = find(name)))
		return program(argc, argv);
	if (argc < 2)
		return usage(stderr, 2);
	if (!strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
			puts(programs[i].name);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout, 0);
	if (!strcmp(argv[1], "--version")) {
		puts("c-tools " C_TOOLS_VERSION);
		return 0;
	}
	if ((program = find(argv[1])))
		return program(argc - 1, argv + 1);
	fprintf(stderr, "c-tools: %s: not a program of c-tools (c-tools --list)\n", argv[1]);
	return 2;
}
