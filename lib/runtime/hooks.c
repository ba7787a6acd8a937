#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "json.h"

static const char *const kinds[] = {
	"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

static bool in_container(const char *kind)
{
	return !strcmp(kind, "createContainer") || !strcmp(kind, "startContainer");
}

static int check_strings(const json_t *v, const char *kind, size_t i, const char *field,
			 c_err **err)
{
	const json_t *s;
	size_t k;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return c_err_new(err, C_EXIT_DATA, 0, "field hooks.%s[%zu].%s: expected an array",
				 kind, i, field);
	json_array_foreach(v, k, s)
		if (!json_is_string(s))
			return c_err_new(err, C_EXIT_DATA, 0,
					 "field hooks.%s[%zu].%s[%zu]: expected a string", kind, i,
					 field, k);
	return 0;
}

static int check_hook(const json_t *h, const char *kind, size_t i, c_err **err)
{
	const char *path = json_string_value(json_object_get(h, "path"));
	const json_t *timeout = json_object_get(h, "timeout");

	if (!json_is_object(h))
		return c_err_new(err, C_EXIT_DATA, 0, "field hooks.%s[%zu]: expected an object",
				 kind, i);
	if (!path || path[0] != '/')
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field hooks.%s[%zu].path: expected an absolute path", kind, i);
	if (timeout && (!json_is_integer(timeout) || json_integer_value(timeout) <= 0 ||
			json_integer_value(timeout) > INT_MAX / 1000))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field hooks.%s[%zu].timeout: expected a number of seconds > 0",
				 kind, i);
	return check_strings(json_object_get(h, "args"), kind, i, "args", err) < 0 ||
			       check_strings(json_object_get(h, "env"), kind, i, "env", err) < 0
		       ? -1
		       : 0;
}

int c_hooks_check(const json_t *config, c_err **err)
{
	const json_t *hooks = json_object_get(config, "hooks"), *list, *h;
	size_t i;

	if (!hooks || json_is_null(hooks))
		return 0;
	if (!json_is_object(hooks))
		return c_err_new(err, C_EXIT_DATA, 0, "field hooks: expected an object");
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		list = json_object_get(hooks, kinds[k]);
		if (!list || json_is_null(list))
			continue;
		if (!json_is_array(list))
			return c_err_new(err, C_EXIT_DATA, 0, "field hooks.%s: expected an array",
					 kinds[k]);
		json_array_foreach(list, i, h)
			if (check_hook(h, kinds[k], i, err) < 0)
				return -1;
	}
	return 0;
}

json_t *c_hooks_features(void)
{
	json_t *names = json_array();

	for (size_t k = 0; names && k < sizeof kinds / sizeof kinds[0]; k++)
		if (json_array_append_new(names, json_string(kinds[k])) < 0) {
			json_decref(names);
			return NULL;
		}
	return names;
}

bool c_hooks_any(const json_t *config)
{
	const json_t *hooks = json_object_get(config, "hooks");

	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		if (json_array_size(json_object_get(hooks, kinds[k])))
			return true;
	return false;
}

/* A NULL-terminated copy of an array of strings (checked before), or
 * { dflt, NULL } when there is none. */
static char **strv_of(const json_t *a, const char *dflt)
{
	size_t n = json_array_size(a), i;
	char **v = calloc(n + 2, sizeof *v);
	const json_t *s;

	if (!v)
		return NULL;
	if (!a && dflt)
		v[0] = (char *)dflt;
	json_array_foreach(a, i, s)
		v[i] = (char *)json_string_value(s);
	return v;
}

static noreturn void hook_child(const json_t *h, const char *kind, pid_t container, int in)
{
	const char *path = json_string_value(json_object_get(h, "path"));
	char **argv = strv_of(json_object_get(h, "args"), path);
	char **envp = strv_of(json_object_get(h, "env"), NULL);
	int path_fd = -1;
	c_err *err = NULL;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!argv || !envp || dup2(in, 0) < 0 || dup2(2, 1) < 0) {
		fprintf(stderr, "c-run: hooks.%s %s: set up: %s\n", kind, path, strerror(errno));
		_exit(126);
	}
	if (in_container(kind)) {
		/* createContainer's path is the runtime's; startContainer's the
		 * container's, looked up after the mount namespace is joined */
		if (!strcmp(kind, "createContainer") && (path_fd = open(path, O_PATH)) < 0) {
			fprintf(stderr, "c-run: hooks.%s %s: %s\n", kind, path, strerror(errno));
			_exit(127);
		}
		if (c_container_enter(container, &err) < 0) {
			char *line = c_err_line(err);

			fprintf(stderr, "c-run: hooks.%s %s: %s\n", kind, path,
				line ? line : "join the container");
			_exit(126);
		}
	}
	if (path_fd >= 0)
		syscall(SYS_execveat, path_fd, "", argv, envp, AT_EMPTY_PATH);
	else
		execve(path, argv, envp);
	fprintf(stderr, "c-run: hooks.%s %s: %s\n", kind, path, strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* The hook's end within its timeout (ms, -1: none); *wstatus as waitpid's.
 * A hook still running then is killed. */
static int wait_hook(pid_t pid, int timeout_ms, int *wstatus, bool *timed_out, c_err **err)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int n;

	*timed_out = false;
	if (pidfd < 0)
		return c_err_sys(err, "pidfd_open", "hook");
	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (n == 0) {
		*timed_out = true;
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, wstatus, 0) < 0)
		if (errno != EINTR)
			return c_err_sys(err, "wait for", "hook");
	return 0;
}

static int run_hook(const json_t *h, const char *kind, size_t i, const char *state,
		    pid_t container, c_err **err)
{
	const char *path = json_string_value(json_object_get(h, "path"));
	const json_t *timeout = json_object_get(h, "timeout");
	int sv[2], wstatus = 0, rc;
	bool timed_out;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return c_err_sys(err, "socketpair for", path);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return c_err_sys(err, "fork for", path);
	}
	if (pid == 0)
		hook_child(h, kind, container, sv[1]);
	close(sv[1]);
	/* the state is small: it fits the socket's buffer, so a hook that
	 * reads nothing blocks nobody; one that is gone already is no error */
	if (send(sv[0], state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EPIPE)
		c_err_sys(err, "send the state to", path);
	close(sv[0]);
	rc = wait_hook(pid, timeout ? (int)json_integer_value(timeout) * 1000 : -1, &wstatus,
		       &timed_out, err);
	if (rc < 0 || *err)
		return c_err_wrap(err, "hooks.%s[%zu]", kind, i);
	if (timed_out)
		return c_err_new(err, C_EXIT_FAIL, 0, "hooks.%s[%zu] %s: timed out after %llds",
				 kind, i, path, (long long)json_integer_value(timeout));
	if (WIFSIGNALED(wstatus))
		return c_err_new(err, C_EXIT_FAIL, 0, "hooks.%s[%zu] %s: killed by signal %d",
				 kind, i, path, WTERMSIG(wstatus));
	if (WEXITSTATUS(wstatus))
		return c_err_new(err, C_EXIT_FAIL, 0, "hooks.%s[%zu] %s: exited with status %d",
				 kind, i, path, WEXITSTATUS(wstatus));
	return 0;
}

int c_hooks_run(const json_t *config, const char *kind, const json_t *state, pid_t container,
		c_err **err)
{
	const json_t *list = json_object_get(json_object_get(config, "hooks"), kind), *h;
	_cleanup_free_ char *text = NULL;
	size_t i;

	if (!json_array_size(list))
		return 0;
	text = json_dumps(state, JSON_COMPACT);
	if (!text)
		return c_err_new(err, C_EXIT_FAIL, ENOMEM, "hooks.%s: the state", kind);
	json_array_foreach(list, i, h)
		if (run_hook(h, kind, i, text, container, err) < 0)
			return -1;
	return 0;
}

void c_hooks_run_all(const json_t *config, const char *kind, const json_t *state,
		     const char *what)
{
	const json_t *list = json_object_get(json_object_get(config, "hooks"), kind), *h;
	_cleanup_free_ char *text = NULL;
	c_err *err = NULL;
	size_t i;

	if (!json_array_size(list))
		return;
	text = json_dumps(state, JSON_COMPACT);
	json_array_foreach(list, i, h) {
		if (!text)
			c_err_new(&err, C_EXIT_FAIL, ENOMEM, "hooks.%s: the state", kind);
		else if (run_hook(h, kind, i, text, 0, &err) == 0)
			continue;
		c_err_wrap(&err, "warning: %s", what);
		c_err_print(err);
		c_err_free(&err);
	}
}
