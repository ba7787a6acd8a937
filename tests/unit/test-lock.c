/* flock-based locks: exclusive excludes, shared shares, released on close or
 * death of the holder. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"
#include "tap.h"

static char dir[] = "/tmp/c-tools-lock-XXXXXX", path[64];

/* Try the lock in a child; its exit status is 0 if it got it, 1 if not. */
static int try_in_child(int flags)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		c_err *e = NULL;
		int fd = c_lock(path, flags | C_LOCK_NOWAIT, &e);

		_exit(fd >= 0 ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void)
{
	c_err *e = NULL;
	char *line;
	int fd, fd2, p[2];
	pid_t pid;
	char c;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/lock", dir);

	fd = c_lock(path, 0, &e);
	ok(fd >= 0, "exclusive lock taken (creating the file)");
	ok(try_in_child(0) == 1, "a second exclusive lock is refused");
	ok(try_in_child(C_LOCK_SHARED) == 1, "a shared lock is refused while exclusive");
	fd2 = c_lock(path, C_LOCK_NOWAIT, &e);
	ok(fd2 < 0 && e, "in-process: a second open file description is refused too");
	line = e ? c_err_line(e) : NULL;
	ok(line && strstr(line, path) && strstr(line, "held by another process"),
	   "the error names the lock file (%s)", line);
	free(line);
	c_err_free(&e);
	c_unlock(fd);
	ok(try_in_child(0) == 0, "released on close");

	fd = c_lock(path, C_LOCK_SHARED, &e);
	ok(fd >= 0 && try_in_child(C_LOCK_SHARED) == 0, "shared locks coexist");
	ok(try_in_child(0) == 1, "exclusive refused while shared held");
	c_unlock(fd);

	/* A holder that is killed releases the lock: a crash cannot wedge. */
	if (pipe(p) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		if (c_lock(path, 0, &e) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ok(read(p[0], &c, 1) == 1 && try_in_child(0) == 1, "lock held by a live process");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ok(try_in_child(0) == 0, "lock freed when its holder is killed");

	/* A blocking lock waits for the holder instead of failing. */
	fd = c_lock(path, 0, &e);
	pid = fork();
	if (pid == 0) {
		/* fork shares the holder's open file description, and with it the
		 * lock: let go of it first, as a child that execs would. */
		c_unlock(fd);
		int got = c_lock(path, 0, &e);

		_exit(got >= 0 ? 0 : 1);
	}
	usleep(100 * 1000);
	ok(waitpid(pid, NULL, WNOHANG) == 0, "a blocking locker waits while held");
	c_unlock(fd);
	{
		int status = 0;

		waitpid(pid, &status, 0);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "and gets it once released");
	}

	fd = c_lock("/nonexistent-dir/lock", 0, &e);
	ok(fd < 0 && e && e->errnum == ENOENT, "missing directory reported with errno");
	c_err_free(&e);

	unlink(path);
	rmdir(dir);
	return tap_done();
}
