#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach.h"
#include "cleanup.h"
#include "file.h"
#include "hooks.h"
#include "json.h"
#include "logfile.h"
#include "monitor.h"
#include "proc.h"
#include "rand.h"
#include "spec.h"
#include "store.h"
#include "timefmt.h"

char *c_run_now(void)
{
	char buf[C_RFC3339_MAX];

	c_time_rfc3339(NULL, buf);
	return strdup(buf);
}


char *c_run_new_id(void)
{
	char *id = malloc(65);

	if (id && c_rand_hex(id, 32) < 0) {
		free(id);
		return NULL;
	}
	return id;
}

char *c_run_data_dir(const char *id)
{
	_cleanup_free_ char *root = c_store_default_root();
	char *dir;

	return root && asprintf(&dir, "%s/containers/%s", root, id) >= 0 ? dir : NULL;
}

/* $C_ROOT/containers/ID, and whatever of the path is missing. */
int c_run_make_data_dir(const char *data, c_err **err)
{
	_cleanup_free_ char *root = c_store_default_root();

	/* the state root first, 0700 as c_store_open() makes it */
	if (root && c_mkdir_p(root, 0700, err) < 0)
		return -1;
	return c_mkdir_p(data, 0700, err);
}

/* The overlay's upper and work dirs, beside whatever else c-run keeps for
 * the container on disk. */
static int make_upper(const char *data, char **upper, char **work, c_err **err)
{
	if (asprintf(upper, "%s/upper", data) < 0 || asprintf(work, "%s/work", data) < 0)
		return c_err_sys(err, "allocate", data);
	if (c_run_make_data_dir(data, err) < 0)
		return -1;
	if (mkdir(*upper, 0755) < 0 || mkdir(*work, 0700) < 0)
		return c_err_sys(err, "mkdir", data);
	return 0;
}

static bool has_overlay(json_t *spec)
{
	return json_object_get(json_object_get(spec, "annotations"), C_SPEC_LOWERDIRS_ANNOTATION);
}

/* Everything of a container that is not running: its cgroup, its disk
 * data, its state. */
int c_run_remove(const char *root, struct c_state *s, c_err **err)
{
	_cleanup_free_ char *data = c_run_data_dir(s->id);
	struct c_cgroup *cg = s->cgroup ? c_cgroup_open(s->cgroup, NULL) : NULL;
	c_err *e = NULL;

	if (cg) {
		c_cgroup_remove(cg, &e);
		c_err_free(&e);
		c_cgroup_free(cg);
	}
	/* the docker-like front's record is its data dir: c_state_remove's */
	if (data && strcmp(data, s->dir))
		c_remove_tree(data);
	return c_state_remove(root, s, err);
}


/* The config as applied, beside the state: ps shows its command, and an
 * exec into the container takes its process settings from it. */
static int save_config(const struct c_state *s, json_t *spec, c_err **err)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/config.json", s->dir) < 0)
		return c_err_sys(err, "allocate", s->id);
	return c_json_write_file_volatile(path, spec, 0600, err);
}


int c_run_launch(struct c_run *l, c_err **err)
{
	_cleanup_free_ char *cache = c_store_cache_dir();
	const char *cgpath = json_string_value(
		json_object_get(json_object_get(l->spec, "linux"), "cgroupsPath"));

	if (cgpath && *cgpath)
		l->cgroup_path = strdup(cgpath);
	else if (asprintf(&l->cgroup_path, "/c-tools/%s", l->st.id) < 0)
		l->cgroup_path = NULL;
	l->st.cgroup = l->cgroup_path ? strdup(l->cgroup_path) : NULL;
	if (!l->st.created)
		l->st.created = c_run_now();
	l->st.exit_code = -1;
	l->c = c_container_prepare(l->spec, l->bundle, l->st.id, cache, err);
	/* recorded already (docker's front records before it unpacks) */
	if (!l->c || (l->st.dir ? c_state_save(&l->st, err) : c_state_add(l->root, &l->st, err)) < 0)
		return -1;
	/* writable by all, as runc makes it: the process opens it for writing
	 * after it became the configured user (the state dir keeps others out) */
	if (l->so.exec_fifo &&
	    (mkfifo(l->so.exec_fifo, 0622) < 0 || chmod(l->so.exec_fifo, 0622) < 0))
		return c_err_sys(err, "mkfifo", l->so.exec_fifo);
	if (has_overlay(l->spec)) {
		_cleanup_free_ char *data = c_run_data_dir(l->st.id);

		if (!data || make_upper(data, &l->upper, &l->work, err) < 0)
			return -1;
	}
	l->so.cgroup_path = l->cgroup_path;
	l->so.upper = l->upper;
	l->so.work = l->work;
	if (c_container_spawn(l->c, &l->so, &l->st.pid, &l->cg, &l->pty, err) < 0)
		return -1;
	/* while the container starts on its CPU; before the state that has
	 * its pid, which is what exec and ps go by */
	if (save_config(&l->st, l->spec, err) < 0)
		return -1;
	l->st.start_time = c_proc_start_time(l->st.pid);
	return c_state_save(&l->st, err);
}

void c_run_clear(struct c_run *l)
{
	c_container_free(l->c);
	if (l->cg)
		c_cgroup_free(l->cg);
	free(l->upper);
	free(l->work);
	free(l->cgroup_path);
	if (l->pty >= 0)
		close(l->pty);
	c_state_clear(&l->st);
}

/* Record how the container ended (the status c-run reports: 124 when
 * --timeout stopped it), and remove its cgroup. */
int c_run_record_end(struct c_run *l, int wstatus, bool timed_out)
{
	unsigned long long ooms = 0;
	c_err *e = NULL;

	l->st.exit_code = timed_out ? 124 : c_container_exit_code(wstatus);
	if (!l->rm) {
		l->st.finished = c_run_now();
		if (l->cg && c_cgroup_oom_kills(l->cg, &ooms, &e) == 0 && ooms > 0)
			l->st.oom_killed = true;
		c_err_free(&e);
		c_state_save(&l->st, &e);
		c_err_free(&e);
	}
	/* once it is gone, c_run_remove() need not look for it again */
	if (l->cg && c_cgroup_remove(l->cg, &e) == 0) {
		free(l->st.cgroup);
		l->st.cgroup = NULL;
	}
	c_err_free(&e);
	return l->st.exit_code;
}

/* Foreground: wait for the container, record how it ended. */
int c_run_foreground(struct c_run *l, const struct c_supervise_opts *so, c_err **err)
{
	bool timed_out;
	int wstatus = 0;

	if (c_supervise(l->st.pid, so, &wstatus, &timed_out, err) < 0)
		return -1;
	return c_run_record_end(l, wstatus, timed_out);
}


static void kill_all(const struct c_state *s)
{
	struct c_cgroup *cg = s->cgroup ? c_cgroup_open(s->cgroup, NULL) : NULL;
	c_err *e = NULL;

	if (s->pid > 0)
		kill(s->pid, SIGKILL);
	if (cg && c_cgroup_kill(cg, SIGKILL, &e) < 0)
		c_err_free(&e);
	c_cgroup_free(cg);
}

/* Its stop signal, up to grace seconds, then SIGKILL for every process in
 * it; then, for a detached container, until its supervisor has recorded
 * the end (and, with --rm, removed it). */
int c_run_stop(const struct c_state *s, int sig, int grace, c_err **err)
{
	/* pid 0 (still being made) would be kill(2)'s "my process group" */
	if (s->pid > 0 && c_state_status(s) != C_STATUS_STOPPED) {
		if (kill(s->pid, sig) < 0 && errno != ESRCH)
			return c_err_sys(err, "kill", s->id);
		if (c_proc_wait_exit(s->pid, s->start_time, grace * 1000) < 0) {
			kill_all(s);
			if (c_proc_wait_exit(s->pid, s->start_time, 10000) < 0)
				return c_err_new(err, C_EXIT_FAIL, errno, "stop %s", s->id);
		}
	}
	if (c_state_monitor_alive(s) && c_proc_wait_exit(s->monitor, s->monitor_start, 10000) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "stop %s: its supervisor", s->id);
	return 0;
}


/* The exit status of a container once it has ended: from its supervisor's
 * socket (which has it even when --rm takes the state away), else from
 * the state. */
int c_run_wait(const char *root, const char *what, int *code, c_err **err)
{
	struct c_state s;
	c_err *e = NULL;
	int rc = 0;

	if (c_state_load(root, what, &s, err) < 0)
		return -1;
	*code = -1;
	if (c_state_monitor_alive(&s)) {
		_cleanup_close_ int fd = c_attach_connect(s.run_dir, &e);
		char buf[1 + C_ATTACH_DATA_MAX];
		ssize_t n;

		c_err_free(&e);
		while (fd >= 0 && (n = recv(fd, buf, sizeof buf - 1, 0)) > 0)
			if (buf[0] == C_ATTACH_EXIT) {
				buf[n] = '\0';
				*code = atoi(buf + 1);
				goto out;
			}
		c_proc_wait_exit(s.monitor, s.monitor_start, -1);
	} else if (c_state_status(&s) != C_STATUS_STOPPED) {
		c_proc_wait_exit(s.pid, s.start_time, -1);
	}
	/* a foreground c-run records the status right after the exit */
	for (int tries = 0; tries < 40 && rc == 0 && *code < 0; tries++) {
		struct c_state now;

		if (tries)
			usleep(25000);
		rc = c_state_load(root, s.id, &now, err);
		if (rc == 0)
			*code = now.exit_code;
		c_state_clear(&now);
	}
	if (rc == 0 && *code < 0)
		rc = c_err_new(err, C_EXIT_FAIL, 0, "container %s: its exit status is not known",
			       s.id);
out:
	c_state_clear(&s);
	return rc;
}


/* After the run: --rm, or a failure, leaves nothing of the container. */
void c_run_finish(struct c_run *l, const char *id, bool failed, bool rm)
{
	c_err *e = NULL;

	if (l->st.dir && (failed || rm)) {
		if (failed && l->st.pid > 0) {
			kill(l->st.pid, SIGKILL);
			waitpid(l->st.pid, NULL, 0);
		}
		c_run_remove(l->root, &l->st, &e);
		c_err_free(&e);
	} else if (!l->st.dir) {
		_cleanup_free_ char *data = c_run_data_dir(id);

		if (data)
			c_remove_tree(data);
	}
}

static void remove_attach_socket(const struct c_state *s)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/%s", s->run_dir, C_ATTACH_SOCKET) >= 0)
		unlink(path);
}

/* The detached container's stdio, without a terminal: pipes to the
 * supervisor for its output, and for its input with -i (else /dev/null).
 * fds[0..2] are the container's ends, fds[3..5] the supervisor's. */
static int detached_stdio(bool stdin_open, int devnull, int fds[6], c_err **err)
{
	int in[2] = { devnull, -1 }, out[2], errout[2];

	if ((stdin_open && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(errout, O_CLOEXEC) < 0)
		return c_err_sys(err, "pipe", "container stdio");
	fds[0] = in[0], fds[1] = out[1], fds[2] = errout[1];
	fds[3] = in[1], fds[4] = out[0], fds[5] = errout[0];
	return 0;
}

/* The supervisor of a detached container: starts it, tells c-run on
 * `report` ("0" or "STATUS LINE"), then stays with it to the end. */
static noreturn void supervise_detached(struct c_run *l, const struct c_run_detach_opts *o,
					int report)
{
	_cleanup_free_ char *data = c_run_data_dir(l->st.id);
	int fds[6] = { -1, -1, -1, -1, -1, -1 }, devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct c_monitor_opts mo = { .pty = -1, .out = -1, .errout = -1, .in = -1, .listen = -1 };
	struct c_monitor *m = NULL;
	bool timed_out = false;
	int wstatus = 0, code;
	c_err *err = NULL;
	char ok = '0';

	/* nothing of the caller's is held: not its terminal, not its fds */
	if (setsid() < 0 || devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
	    dup2(devnull, 2) < 0) {
		c_err_sys(&err, "detach", l->st.id);
		goto fail;
	}
	if (!data || c_run_make_data_dir(data, &err) < 0 ||
	    asprintf(&l->st.log, "%s/container.log", data) < 0 ||
	    (!o->tty && detached_stdio(o->stdin_open, devnull, fds, &err) < 0))
		goto fail;
	memcpy(l->so.stdio, fds, sizeof l->so.stdio);
	l->st.monitor = getpid();
	l->st.monitor_start = c_proc_start_time(getpid());
	if (c_run_launch(l, &err) < 0)
		goto fail;
	for (int i = 0; i < 3; i++)
		if (fds[i] != devnull && fds[i] >= 0)
			close(fds[i]);
	mo = (struct c_monitor_opts){
		.pty = l->pty, .in = fds[3], .out = fds[4], .errout = fds[5],
		.stdin_open = o->stdin_open, .timeout = o->timeout, .grace = o->grace,
		.stop_signal = o->stop_signal,
	};
	l->pty = -1;
	mo.listen = c_mkdir_p(l->st.run_dir, 0700, &err) < 0
			    ? -1
			    : c_attach_listen(l->st.run_dir, &err);
	mo.log = mo.listen >= 0 ? c_logfile_open(l->st.log, o->log_max_size, o->log_max_files,
						 &err) : NULL;
	m = mo.log ? c_monitor_new(&mo, &err) : NULL;
	if (!m)
		goto fail;
	if (write(report, &ok, 1) != 1) {
		c_err_sys(&err, "report to c-run", l->st.id);
		goto fail;
	}
	close(report);
	if (c_monitor_run(m, l->st.pid, &wstatus, &timed_out, &err) < 0) {
		kill(l->st.pid, SIGKILL);
		waitpid(l->st.pid, &wstatus, 0);
		c_err_free(&err);
	}
	code = c_run_record_end(l, wstatus, timed_out);
	c_monitor_end(m, code);
	remove_attach_socket(&l->st);
	c_run_finish(l, l->st.id, false, o->rm);
	_exit(0);
fail:
	if (!err)
		c_err_new(&err, C_EXIT_RUNTIME, ENOMEM, "container %s", l->st.id);
	{
		/* one write, so that c-run reads it whole */
		_cleanup_free_ char *line = c_err_line(err), *msg = NULL;
		int n = asprintf(&msg, "%d %s", err->status, line ? line : "");

		if (n > 0)
			c_write_all(report, msg, (size_t)n < PIPE_BUF ? (size_t)n : PIPE_BUF - 1);
	}
	if (m)
		c_monitor_end(m, -1);
	else
		c_logfile_close(mo.log);
	c_run_finish(l, l->st.id, true, true);
	_exit(1);
}

int c_run_detached(struct c_run *l, const struct c_run_detach_opts *o, c_err **err)
{
	char buf[PIPE_BUF];
	int report[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(report, O_CLOEXEC) < 0)
		return c_err_sys(err, "pipe", "supervisor");
	pid = fork();
	if (pid < 0)
		return c_err_sys(err, "fork", "supervisor");
	if (pid == 0) {
		/* the caller's other fds (a test harness's, a pipe it waits on)
		 * must not stay open for the container's lifetime */
		if (dup3(report[1], 3, O_CLOEXEC) < 0 || syscall(SYS_close_range, 4, ~0U, 0) < 0)
			_exit(C_EXIT_RUNTIME);
		supervise_detached(l, o, 3);
	}
	close(report[1]);
	while ((n = read(report[0], buf, sizeof buf - 1)) < 0 && errno == EINTR)
		;
	close(report[0]);
	buf[n > 0 ? n : 0] = '\0';
	if (n == 1 && buf[0] == '0')
		return 0;
	if (n <= 0 || sscanf(buf, "%d ", &status) != 1)
		return c_err_new(err, C_EXIT_RUNTIME, 0, "container %s: the supervisor failed",
				 l->st.id);
	return c_err_new(err, status, 0, "%s", strchr(buf, ' ') + 1);
}

/* --- the OCI lifecycle's hooks and start ---------------------------------------------- */

json_t *c_run_saved_config(const struct c_state *s)
{
	_cleanup_free_ char *path = NULL;
	c_err *e = NULL;
	json_t *config;

	if (asprintf(&path, "%s/config.json", s->dir) < 0)
		return NULL;
	config = c_json_load_file(path, 4 << 20, &e);
	c_err_free(&e);
	return config;
}

void c_run_hooks_warn(const json_t *config, const char *kind, const struct c_state *s)
{
	_cleanup_json_ json_t *state = c_state_oci(s);
	_cleanup_free_ char *what = NULL;

	if (state && asprintf(&what, "container %s", s->id) >= 0)
		c_hooks_run_all(config, kind, state, what);
}

int c_run_hooks(const json_t *config, const char *kind, const struct c_state *s,
		c_err **err)
{
	_cleanup_json_ json_t *state = c_state_oci(s);

	if (!state)
		return c_err_new(err, C_EXIT_FAIL, ENOMEM, "state of %s", s->id);
	if (c_hooks_run(config, kind, state, s->pid, err) < 0)
		return c_err_wrap(err, "container %s", s->id);
	return 0;
}

int c_run_start(const struct c_state *s, const json_t *config, c_err **err)
{
	_cleanup_free_ char *fifo = NULL;
	_cleanup_close_ int fd = -1;
	char byte;

	if (c_run_hooks(config, "startContainer", s, err) < 0) {
		kill(s->pid, SIGKILL);
		return -1;
	}
	if (asprintf(&fifo, "%s/exec.fifo", s->dir) < 0)
		fifo = NULL;
	fd = fifo ? open(fifo, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0 || read(fd, &byte, 1) != 1)
		return c_err_sys(err, "start", s->id);
	unlink(fifo);
	/* the end of the fifo: the process exec'd its command (or died) */
	for (ssize_t n = 1; n > 0 || (n < 0 && errno == EINTR);)
		n = read(fd, &byte, 1);
	c_run_hooks_warn(config, "poststart", s);
	return 0;
}
