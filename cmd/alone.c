/* alone.c — the main of a program linked as a binary of its own rather
 * than into bin/c-tools (the Makefile's ALONE names them, ALONE_MAIN its
 * main): c-run, whose start-up is the product's measure. */
#include "programs.h"

int main(int argc, char **argv)
{
	return ALONE_MAIN(argc, argv);
}
