/* signame.h — signals by name or number, as docker reads them (--signal,
 * --stop-signal, STOPSIGNAL): "TERM", "SIGTERM", "sigterm", "15",
 * "RTMIN+3", "RTMAX-1". */
#ifndef C_SIGNAME_H
#define C_SIGNAME_H

#include "err.h"

/* The signal's number in *out; an unknown name or a number out of range is
 * a C_EXIT_DATA error: unknown signal "X". */
int c_signal_parse(const char *s, int *out, c_err **err);

/* The same for a command-line option: the error is a usage error (exit 2). */
int c_signal_option(const char *s, int *out, c_err **err);

#endif
