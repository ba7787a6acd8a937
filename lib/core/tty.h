/* tty.h — the caller's terminal while it relays a container's: raw mode
 * (restored after), and the window size passed on; and a container's
 * terminal handed to whoever asked for it with runc's --console-socket. */
#ifndef C_TTY_H
#define C_TTY_H

#include <stdbool.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "err.h"

/* fd in raw mode when it is a terminal; *saved to restore.  False when fd
 * is no terminal (nothing changed). */
bool c_tty_raw(int fd, struct termios *saved);
void c_tty_restore(int fd, const struct termios *saved);

/* fd's window size; false when fd is no terminal. */
bool c_tty_size(int fd, struct winsize *ws);

/* Send the pty master to the unix socket at socket_path as runc does: one
 * message, the fd in SCM_RIGHTS (conmon and podman listen there). */
int c_tty_send_console(const char *socket_path, int pty, c_err **err);

#endif
