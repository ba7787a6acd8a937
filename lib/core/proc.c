#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "sock.h"

unsigned long long c_proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof buf - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: skip to its end */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* state is field 3; starttime is field 22 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			  "%*d %*d %*d %llu", &start) != 1)
		return 0;
	/* a zombie has exited: its status waits for its parent, the process is gone */
	return p[2] == 'Z' ? 0 : start;
}

int c_proc_wait_exit(pid_t pid, unsigned long long start_time, int timeout_ms)
{
	/* a pidfd, so that the pid cannot be recycled under the wait */
	_cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return errno == ESRCH ? 0 : -1;
	if (c_proc_start_time(pid) != start_time)
		return 0;
	return c_wait_fd(fd, POLLIN, timeout_ms);
}

void c_proc_print_ps_line(pid_t pid)
{
	_cleanup_free_ char *status = NULL, *cmdline = NULL;
	char path[64];
	long uid = -1, ppid = -1;
	size_t len = 0;
	c_err *e = NULL;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (c_read_file(path, 1 << 16, &status, &len, &e) == 0) {
		const char *u = strstr(status, "\nUid:"), *pp = strstr(status, "\nPPid:");

		uid = u ? strtol(u + 5, NULL, 10) : -1;
		ppid = pp ? strtol(pp + 6, NULL, 10) : -1;
	}
	c_err_free(&e);
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	len = 0;
	if (c_read_file(path, 1 << 16, &cmdline, &len, &e) == 0)
		for (size_t i = 0; i + 1 < len; i++)
			if (!cmdline[i])
				cmdline[i] = ' ';
	c_err_free(&e);
	printf("%-8ld %-8d %-8ld %s\n", uid, (int)pid, ppid, len ? cmdline : "");
}
