#include "tty.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"

bool c_tty_raw(int fd, struct termios *saved)
{
	struct termios raw;

	if (!isatty(fd) || tcgetattr(fd, saved) < 0)
		return false;
	raw = *saved;
	cfmakeraw(&raw);
	return tcsetattr(fd, TCSANOW, &raw) == 0;
}

void c_tty_restore(int fd, const struct termios *saved)
{
	tcsetattr(fd, TCSANOW, saved);
}

bool c_tty_size(int fd, struct winsize *ws)
{
	return ioctl(fd, TIOCGWINSZ, ws) == 0;
}

int c_tty_send_console(const char *socket_path, int pty, c_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, name[] = "/dev/ptmx";
	struct iovec iov = { name, sizeof name - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(socket_path) >= sizeof sa.sun_path)
		return c_err_new(err, C_EXIT_USAGE, 0, "console socket %s: path too long",
				 socket_path);
	strcpy(sa.sun_path, socket_path);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pty, sizeof pty);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		return c_err_sys(err, "console socket", socket_path);
	return 0;
}
