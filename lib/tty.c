#include "tty.h"

#include <unistd.h>

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
