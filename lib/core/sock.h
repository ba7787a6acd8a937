/* sock.h — helpers for non-blocking sockets and other fds. */
#ifndef C_SOCK_H
#define C_SOCK_H

/* Wait until fd is ready for events (POLLIN, POLLOUT), retrying on EINTR.
 * 0 when ready; -1 with errno ETIMEDOUT after timeout_ms, or poll's error. */
int c_wait_fd(int fd, short events, int timeout_ms);

#endif
