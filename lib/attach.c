#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"

static int socket_address(const char *state_dir, int *dirfd, struct sockaddr_un *sa,
			  c_err **err)
{
	*dirfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return c_err_sys(err, "open", state_dir);
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s", *dirfd,
		 C_ATTACH_SOCKET);
	return 0;
}

int c_attach_listen(const char *state_dir, c_err **err)
{
	struct sockaddr_un sa = { 0 };
	_cleanup_close_ int dirfd = -1, fd = -1;

	if (socket_address(state_dir, &dirfd, &sa, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0)
		return c_err_sys(err, "attach socket in", state_dir);
	return c_steal_fd(&fd);
}

int c_attach_connect(const char *state_dir, c_err **err)
{
	struct sockaddr_un sa = { 0 };
	_cleanup_close_ int dirfd = -1, fd = -1;

	if (socket_address(state_dir, &dirfd, &sa, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return c_err_sys(err, "attach socket in", state_dir);
	return c_steal_fd(&fd);
}

int c_attach_send(int fd, char kind, const void *data, size_t n, int flags)
{
	char buf[1 + C_ATTACH_DATA_MAX];

	if (n > C_ATTACH_DATA_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	buf[0] = kind;
	if (n)
		memcpy(buf + 1, data, n);
	while (send(fd, buf, 1 + n, flags | MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}
