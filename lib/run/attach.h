/* attach.h — the protocol on a detached container's socket, ROOT/ID/attach
 * beside its state, served by its supervisor (lib/monitor.h) for c-attach
 * and `c-run wait`.
 *
 * SOCK_SEQPACKET: one message per packet, its first byte saying what it is,
 * at most C_ATTACH_DATA_MAX bytes after it.
 *   supervisor → client
 *     'h' hello, first on every connection: one byte of C_ATTACH_* flags
 *     '1' what the container wrote on its stdout (its terminal, with one)
 *     '2' what it wrote on its stderr
 *     'x' it ended: its exit status in decimal (128+N for signal N; 124
 *         when c-run's --timeout stopped it), then the connection closes
 *   client → supervisor
 *     'i' input for the container's stdin (dropped unless C_ATTACH_STDIN)
 *     'e' end of input: the container's stdin pipe is closed (not a
 *         terminal's: it stays for the next client)
 *     'w' the client's window size, a struct winsize (with a terminal)
 * Several clients may be attached at once: each gets all the output from
 * when it connects, and the input of all goes to the container.  A client
 * whose socket buffer is full (it does not read) is disconnected rather
 * than let it stop the container's output.
 */
#ifndef C_ATTACH_H
#define C_ATTACH_H

#include <stddef.h>
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

#define C_ATTACH_SOCKET "attach"
#define C_ATTACH_DATA_MAX 16384

enum {
	C_ATTACH_HELLO = 'h',
	C_ATTACH_STDOUT = '1',
	C_ATTACH_STDERR = '2',
	C_ATTACH_EXIT = 'x',
	C_ATTACH_INPUT = 'i',
	C_ATTACH_EOF = 'e',
	C_ATTACH_RESIZE = 'w',
};

/* hello flags */
enum { C_ATTACH_TTY = 1, C_ATTACH_STDIN = 2 };

/* The socket in state_dir: listening (non-blocking), or connected.  The
 * path is reached through the directory's fd, so a long state root does
 * not run into sun_path's 108 bytes. */
int c_attach_listen(const char *state_dir, c_err **err);
int c_attach_connect(const char *state_dir, c_err **err);

/* One message; -1 with errno as send(2) (flags: MSG_DONTWAIT or 0). */
int c_attach_send(int fd, char kind, const void *data, size_t n, int flags);

/* --- the client's side -------------------------------------------------------------- */

#define C_ATTACH_KEYS_MAX 8

/* Detach keys as docker spells them: a comma-separated list of single
 * characters and ctrl-X (X a letter or one of @[\]^_), e.g. the default
 * "ctrl-p,ctrl-q". */
int c_attach_parse_keys(const char *spec, char keys[C_ATTACH_KEYS_MAX], size_t *n,
			c_err **err);

struct c_attach_relay_opts {
	bool no_stdin;        /* this process's stdin is not passed on */
	const char *keys;     /* detach keys (with a terminal); n_keys 0: none */
	size_t n_keys;
	pid_t pid;            /* without a terminal, INT, TERM, HUP, QUIT, USR1
				 and USR2 are sent on to it (docker's sig-proxy) */
};

/* Relay this process's stdin, stdout and stderr to the container on sock
 * (after its hello), with this terminal in raw mode and its size passed on
 * when the container has one, until the container ends (*exit_code its
 * status) or the detach keys are typed (*exit_code -1). */
int c_attach_relay(int sock, const struct c_attach_relay_opts *o, int *exit_code,
		   c_err **err);

#endif
