/* programs.h — the programs of c-tools, each one's main.  They are linked
 * into one static binary, bin/c-tools, which runs the one it is called as
 * (bin/c-pull is a link to it: cmd/c-tools.c), but for those linked alone
 * (cmd/alone.c). */
#ifndef C_PROGRAMS_H
#define C_PROGRAMS_H

int c_attach_main(int argc, char **argv);
int c_image_main(int argc, char **argv);
int c_pull_main(int argc, char **argv);
int c_run_main(int argc, char **argv);
int c_unpack_main(int argc, char **argv);

#endif
