#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "file.h"
#include "json.h"
#include "lock.h"
#include "proc.h"
#include "spec.h"
#include "store.h"

#define STATE_MAX (1 << 20)

/* Where what does not outlive a boot goes: /run as root, else the user's
 * runtime dir, else a dir of the user's own in /tmp. */
static char *runtime_base(const char *name)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char *out;

	if (geteuid() == 0)
		return asprintf(&out, "/run/%s", name) < 0 ? NULL : out;
	if (xdg && *xdg)
		return asprintf(&out, "%s/%s", xdg, name) < 0 ? NULL : out;
	return asprintf(&out, "/tmp/%s-%u", name, (unsigned)geteuid()) < 0 ? NULL : out;
}

char *c_state_oci_root(void)
{
	return runtime_base("c-run");
}

char *c_state_docker_root(void)
{
	_cleanup_free_ char *root = c_store_default_root();
	char *out;

	return root && asprintf(&out, "%s/containers", root) >= 0 ? out : NULL;
}

/* The runtime dir of container id under the records root: one directory
 * per root, named by a hash of its path. */
static char *run_dir_of(const char *root, const char *id)
{
	_cleanup_free_ char *base = runtime_base("c-tools");
	struct c_sha256 ctx;
	uint8_t sum[C_SHA256_LEN];
	char hex[2 * C_SHA256_LEN + 1], *out;

	c_sha256_init(&ctx);
	c_sha256_update(&ctx, root, strlen(root));
	c_sha256_final(&ctx, sum);
	c_hex_encode(hex, sum, 6);
	return base && asprintf(&out, "%s/%s/%s", base, hex, id) >= 0 ? out : NULL;
}

/* This boot's id: a record from another boot is of a container that ended
 * with it, whatever process has its pid now. */
static const char *boot_id(void)
{
	static char id[40];
	_cleanup_free_ char *text = NULL;
	c_err *e = NULL;

	if (!id[0] && c_read_file("/proc/sys/kernel/random/boot_id", 64, &text, NULL, &e) == 0)
		snprintf(id, sizeof id, "%.36s", text);
	c_err_free(&e);
	return id;
}

int c_state_check_id(const char *id, const char *what, c_err **err)
{
	size_t n = strlen(id);

	if (n == 0 || n > C_STATE_ID_MAX)
		return c_err_new(err, C_EXIT_USAGE, 0, "%s \"%s\": must be 1 to %d characters",
				 what, id, C_STATE_ID_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return c_err_new(err, C_EXIT_USAGE, 0,
					 "%s \"%s\": only [A-Za-z0-9][A-Za-z0-9_.-]* allowed",
					 what, id);
	}
	return 0;
}

static int set_str(json_t *o, const char *key, const char *v)
{
	return v ? json_object_set_new(o, key, json_string(v)) : 0;
}

static json_t *to_json(const struct c_state *s, bool oci_only)
{
	json_t *o = json_object(), *own;

	if (!o)
		return NULL;
	set_str(o, "ociVersion", C_SPEC_OCI_VERSION);
	set_str(o, "id", s->id);
	set_str(o, "status", c_status_name(c_state_status(s)));
	if (s->pid > 0 && c_state_status(s) != C_STATUS_STOPPED)
		json_object_set_new(o, "pid", json_integer(s->pid));
	set_str(o, "bundle", s->bundle);
	if (s->annotations)
		json_object_set(o, "annotations", s->annotations);
	if (oci_only)
		return o;
	own = json_object();
	json_object_set_new(o, "c-tools", own);
	set_str(own, "name", s->name);
	set_str(own, "image", s->image);
	set_str(own, "cgroup", s->cgroup);
	set_str(own, "created", s->created);
	set_str(own, "finished", s->finished);
	set_str(own, "log", s->log);
	json_object_set_new(own, "pid", json_integer(s->pid));
	json_object_set_new(own, "startTime", json_integer((json_int_t)s->start_time));
	set_str(own, "bootId", s->boot_id);
	if (s->monitor > 0) {
		json_object_set_new(own, "monitorPid", json_integer(s->monitor));
		json_object_set_new(own, "monitorStartTime",
				    json_integer((json_int_t)s->monitor_start));
	}
	if (s->stop_signal > 0)
		json_object_set_new(own, "stopSignal", json_integer(s->stop_signal));
	if (s->stop_timeout >= 0)
		json_object_set_new(own, "stopTimeout", json_integer(s->stop_timeout));
	json_object_set_new(own, "exitCode", json_integer(s->exit_code));
	json_object_set_new(own, "oomKilled", json_boolean(s->oom_killed));
	return o;
}

json_t *c_state_oci(const struct c_state *s)
{
	return to_json(s, true);
}

json_t *c_state_json(const struct c_state *s)
{
	return to_json(s, false);
}

int c_state_save(const struct c_state *s, c_err **err)
{
	_cleanup_json_ json_t *o = to_json(s, false);
	_cleanup_free_ char *path = NULL;

	if (!o || asprintf(&path, "%s/state.json", s->dir) < 0) {
		path = NULL;
		return c_err_new(err, C_EXIT_FAIL, ENOMEM, "state of %s", s->id);
	}
	return c_json_write_file_volatile(path, o, 0600, err);
}

static char *dup_field(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? strdup(v) : NULL;
}

/* The record of id under root.  One whose state.json is there but cannot
 * be read (a crash, a full disk) still stands for its directory, as a
 * container that ended (damaged), so that rm can remove it; a directory
 * with no state.json at all is one being made, and is ENOENT. */
static int read_state(const char *root, const char *id, struct c_state *s, c_err **err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_t *o = NULL;
	c_err *bad = NULL;
	json_t *own;

	memset(s, 0, sizeof *s);
	s->exit_code = -1;
	if (asprintf(&path, "%s/%s/state.json", root, id) < 0) {
		path = NULL;
		return c_err_sys(err, "state of", id);
	}
	if (asprintf(&s->dir, "%s/%s", root, id) < 0 || !(s->run_dir = run_dir_of(root, id))) {
		c_state_clear(s);
		return c_err_sys(err, "state of", id);
	}
	o = c_json_load_file(path, STATE_MAX, &bad);
	if (!o && bad->errnum == ENOENT) {
		c_state_clear(s);
		*err = bad;
		return -1;
	}
	c_err_free(&bad);
	own = json_object_get(o, "c-tools");
	s->id = o ? dup_field(o, "id") : NULL;
	if (!s->id) {
		s->id = strdup(id);
		s->damaged = true;
		return s->id ? 0 : c_err_sys(err, "state of", id);
	}
	s->bundle = dup_field(o, "bundle");
	s->name = dup_field(own, "name");
	s->image = dup_field(own, "image");
	s->cgroup = dup_field(own, "cgroup");
	s->created = dup_field(own, "created");
	s->finished = dup_field(own, "finished");
	s->log = dup_field(own, "log");
	s->boot_id = dup_field(own, "bootId");
	s->pid = (pid_t)json_integer_value(json_object_get(own, "pid"));
	s->start_time = (unsigned long long)json_integer_value(json_object_get(own, "startTime"));
	s->monitor = (pid_t)json_integer_value(json_object_get(own, "monitorPid"));
	s->monitor_start =
		(unsigned long long)json_integer_value(json_object_get(own, "monitorStartTime"));
	s->stop_signal = (int)json_integer_value(json_object_get(own, "stopSignal"));
	s->stop_timeout = json_object_get(own, "stopTimeout")
				  ? (int)json_integer_value(json_object_get(own, "stopTimeout"))
				  : -1;
	s->exit_code = (int)json_integer_value(json_object_get(own, "exitCode"));
	s->oom_killed = json_is_true(json_object_get(own, "oomKilled"));
	s->annotations = json_incref(json_object_get(o, "annotations"));
	return 0;
}

void c_state_clear(struct c_state *s)
{
	free(s->dir);
	free(s->run_dir);
	free(s->boot_id);
	free(s->id);
	free(s->bundle);
	free(s->name);
	free(s->image);
	free(s->cgroup);
	free(s->created);
	free(s->finished);
	free(s->log);
	json_decref(s->annotations);
	memset(s, 0, sizeof *s);
}

void c_state_list_free(struct c_state *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		c_state_clear(&list[i]);
	free(list);
}

int c_state_list(const char *root, struct c_state **out, size_t *n, c_err **err)
{
	DIR *d = opendir(root);
	struct c_state *list = NULL;
	struct dirent *de;
	size_t len = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : c_err_sys(err, "open state root", root);
	while ((de = readdir(d))) {
		struct c_state s, *grown;
		c_err *e = NULL;

		if (de->d_name[0] == '.')
			continue;
		/* a directory being made or removed right now has no state */
		if (read_state(root, de->d_name, &s, &e) < 0) {
			c_err_free(&e);
			continue;
		}
		grown = realloc(list, (len + 1) * sizeof *list);
		if (!grown) {
			c_state_clear(&s);
			c_state_list_free(list, len);
			closedir(d);
			return c_err_sys(err, "list", root);
		}
		list = grown;
		list[len++] = s;
	}
	closedir(d);
	*out = list;
	*n = len;
	return 0;
}

int c_state_load(const char *root, const char *what, struct c_state *s, c_err **err)
{
	struct c_state *list;
	size_t n, found = SIZE_MAX, matches = 0;

	if (c_state_list(root, &list, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && found == SIZE_MAX; i++)
		if (!strcmp(list[i].id, what) || (list[i].name && !strcmp(list[i].name, what)))
			found = i;
	for (size_t i = 0; i < n && found == SIZE_MAX; i++)
		if (!strncmp(list[i].id, what, strlen(what)))
			matches++;
	for (size_t i = 0; i < n && found == SIZE_MAX && matches == 1; i++)
		if (!strncmp(list[i].id, what, strlen(what)))
			found = i;
	if (found == SIZE_MAX) {
		c_state_list_free(list, n);
		return matches > 1 ? c_err_new(err, C_EXIT_USAGE, 0, "container %s: ambiguous", what)
				   : c_err_new(err, C_EXIT_NOTFOUND, 0, "no such container: %s", what);
	}
	*s = list[found];
	memset(&list[found], 0, sizeof list[found]);
	c_state_list_free(list, n);
	return 0;
}

static int root_lock(const char *root, c_err **err)
{
	_cleanup_free_ char *path = NULL;

	if (c_mkdir_p(root, 0700, err) < 0)
		return -1;
	if (asprintf(&path, "%s/.lock", root) < 0) {
		path = NULL;
		return c_err_sys(err, "lock", root);
	}
	return c_lock(path, 0, err);
}

static bool has_record(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/state.json", dir);
	return access(path, F_OK) == 0 || errno != ENOENT;
}

int c_state_add(const char *root, struct c_state *s, c_err **err)
{
	struct c_state *list;
	bool taken = false;
	size_t n;
	int lock = root_lock(root, err), rc = -1;

	if (lock < 0)
		return -1;
	if (c_state_list(root, &list, &n, err) < 0)
		goto out;
	for (size_t i = 0; i < n && !taken; i++) {
		if (!s->name || !list[i].name || strcmp(list[i].name, s->name))
			continue;
		c_err_new(err, C_EXIT_FAIL, EEXIST, "container name %s (%s)", s->name, list[i].id);
		taken = true;
	}
	c_state_list_free(list, n);
	if (taken)
		goto out;
	if (asprintf(&s->dir, "%s/%s", root, s->id) < 0 || !(s->run_dir = run_dir_of(root, s->id))) {
		free(s->dir);
		s->dir = NULL;
		c_err_sys(err, "state of", s->id);
		goto out;
	}
	/* a directory of that id without a record is the caller's own, made
	 * for the container's files (c-run's data dir) */
	if (mkdir(s->dir, 0700) < 0 && (errno != EEXIST || has_record(s->dir))) {
		c_err_sys(err, "container", s->id);
		/* the directory is another container's: not ours to clean up */
		free(s->dir);
		s->dir = NULL;
		free(s->run_dir);
		s->run_dir = NULL;
		goto out;
	}
	free(s->boot_id);
	s->boot_id = strdup(boot_id());
	rc = c_state_save(s, err);
	if (rc < 0) {
		c_remove_tree(s->dir);
		free(s->dir);
		s->dir = NULL;
		free(s->run_dir);
		s->run_dir = NULL;
		free(s->boot_id);
		s->boot_id = NULL;
	}
out:
	c_unlock(lock);
	return rc;
}

int c_state_remove(const char *root, const struct c_state *s, c_err **err)
{
	int lock = root_lock(root, err);

	if (lock < 0)
		return -1;
	c_remove_tree(s->dir);
	if (s->run_dir)
		c_remove_tree(s->run_dir);
	c_unlock(lock);
	if (access(s->dir, F_OK) == 0)
		return c_err_new(err, C_EXIT_FAIL, 0, "remove %s: not everything could go", s->dir);
	return 0;
}

enum c_status c_state_status(const struct c_state *s)
{
	char fifo[PATH_MAX];

	if (s->damaged || (s->boot_id && strcmp(s->boot_id, boot_id())))
		return C_STATUS_STOPPED;
	if (s->pid <= 0)
		return C_STATUS_CREATING;
	if (s->start_time == 0 || c_proc_start_time(s->pid) != s->start_time)
		return C_STATUS_STOPPED;
	snprintf(fifo, sizeof fifo, "%s/exec.fifo", s->dir);
	return access(fifo, F_OK) == 0 ? C_STATUS_CREATED : C_STATUS_RUNNING;
}

bool c_state_monitor_alive(const struct c_state *s)
{
	if (s->boot_id && strcmp(s->boot_id, boot_id()))
		return false;
	return s->monitor > 0 && s->monitor_start != 0 &&
	       c_proc_start_time(s->monitor) == s->monitor_start;
}

const char *c_status_name(enum c_status st)
{
	static const char *const names[] = { "creating", "created", "running", "stopped" };

	return names[st];
}
