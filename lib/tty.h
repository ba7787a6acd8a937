/* tty.h — the caller's terminal while it relays a container's: raw mode
 * (restored after), and the window size passed on. */
#ifndef C_TTY_H
#define C_TTY_H

#include <stdbool.h>
#include <sys/ioctl.h>
#include <termios.h>

/* fd in raw mode when it is a terminal; *saved to restore.  False when fd
 * is no terminal (nothing changed). */
bool c_tty_raw(int fd, struct termios *saved);
void c_tty_restore(int fd, const struct termios *saved);

/* fd's window size; false when fd is no terminal. */
bool c_tty_size(int fd, struct winsize *ws);

#endif
