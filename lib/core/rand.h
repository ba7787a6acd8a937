/* rand.h — random names, from getrandom(2): containers' ids (64 hex digits,
 * as docker's), the suffixes of temp files and directories. */
#ifndef C_RAND_H
#define C_RAND_H

#include <stddef.h>

/* nbytes random bytes as 2 * nbytes lowercase hex digits and a NUL in out;
 * -1 with errno when getrandom(2) fails. */
int c_rand_hex(char *out, size_t nbytes);

#endif
