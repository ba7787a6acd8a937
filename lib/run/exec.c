#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "json.h"
#include "passwd.h"
#include "spec.h"
#include "store.h"
#include "supervise.h"

#define CONFIG_MAX (4 << 20)

static int oom(c_err **err)
{
	return c_err_new(err, C_EXIT_FAIL, ENOMEM, "exec config");
}

static int set_home(json_t *process, const char *home)
{
	json_t *env = json_object_get(process, "env"), *v;
	size_t i;

	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);

		if (s && !strncmp(s, "HOME=", 5))
			return json_array_set_new(env, i, json_string(home));
	}
	return json_array_append_new(env, json_string(home));
}

static int set_user(json_t *process, pid_t pid, const char *spec, c_err **err)
{
	_cleanup_close_ int rootfd = -1;
	_cleanup_free_ char *home = NULL;
	struct c_user u;
	json_t *user, *gids;
	char root[64];

	snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return c_err_sys(err, "open", root);
	if (c_user_resolve(rootfd, spec, &u, err) < 0)
		return c_err_wrap(err, "--user %s", spec);
	user = json_pack("{s:I, s:I}", "uid", (json_int_t)u.uid, "gid", (json_int_t)u.gid);
	gids = json_array();
	for (size_t i = 0; gids && i < u.nadditional_gids; i++)
		json_array_append_new(gids, json_integer(u.additional_gids[i]));
	if (asprintf(&home, "HOME=%s", u.home) < 0)
		home = NULL;
	c_user_free(&u);
	if (!user || !gids || !home || json_object_set_new(user, "additionalGids", gids) < 0 ||
	    json_object_set_new(process, "user", user) < 0)
		return oom(err);
	/* the container's HOME is its own user's; -e can still set one */
	return set_home(process, home) < 0 ? oom(err) : 0;
}

static int set_all_caps(json_t *process, c_err **err)
{
	struct c_caps ours, all;
	json_t *caps;

	if (c_caps_current(&ours, err) < 0)
		return -1;
	all = (struct c_caps){ ours.bounding, ours.bounding, ours.bounding, ours.bounding, 0 };
	caps = c_caps_to_json(&all);
	return caps && json_object_set_new(process, "capabilities", caps) == 0 ? 0 : oom(err);
}

/* runc exec --cap: each one added to the sets a process can use it from. */
static int add_caps(json_t *process, const struct c_strv *caps, c_err **err)
{
	static const char *const sets[] = { "bounding", "effective", "permitted" };
	json_t *all = json_object_get(process, "capabilities");

	if (!caps->n)
		return 0;
	if (!all && json_object_set_new(process, "capabilities", all = json_object()) < 0)
		return oom(err);
	for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
		json_t *set = json_object_get(all, sets[k]);

		if (!set && json_object_set_new(all, sets[k], set = json_array()) < 0)
			return oom(err);
		for (size_t i = 0; i < caps->n; i++)
			if (json_array_append_new(set, json_string(caps->v[i])) < 0)
				return oom(err);
	}
	return 0;
}

static int add_groups(json_t *process, const struct c_strv *groups, c_err **err)
{
	json_t *user = json_object_get(process, "user"), *gids;

	if (!groups->n)
		return 0;
	if (!json_is_object(user))
		return c_err_new(err, C_EXIT_DATA, 0, "--additional-gids: the process has no user");
	gids = json_object_get(user, "additionalGids");
	if (!gids && json_object_set_new(user, "additionalGids", gids = json_array()) < 0)
		return oom(err);
	for (size_t i = 0; i < groups->n; i++) {
		char *end;
		unsigned long gid;

		errno = 0;
		gid = strtoul(groups->v[i], &end, 10);
		if (!*groups->v[i] || *end || errno || gid > UINT32_MAX - 1)
			return c_err_new(err, C_EXIT_USAGE, 0,
					 "--additional-gids \"%s\": expected a group number",
					 groups->v[i]);
		if (json_array_append_new(gids, json_integer((json_int_t)gid)) < 0)
			return oom(err);
	}
	return 0;
}

/* The process to start: the one given whole, or the container's with the
 * command given. */
static json_t *base_process(const json_t *applied, const struct c_exec_opts *o, c_err **err)
{
	json_t *process, *args;

	if (o->process) {
		if (!json_is_object(o->process)) {
			c_err_new(err, C_EXIT_DATA, 0, "process: expected an object");
			return NULL;
		}
		process = json_deep_copy(o->process);
		if (!process)
			oom(err);
		return process;
	}
	process = json_deep_copy(json_object_get(applied, "process"));
	args = json_array();
	if (!process || !args || json_object_set_new(process, "args", args) < 0) {
		json_decref(process);
		oom(err);
		return NULL;
	}
	for (const char *const *a = o->cmd; *a; a++)
		json_array_append_new(args, json_string(*a));
	return process;
}

json_t *c_exec_config(const char *state_dir, pid_t pid, const struct c_exec_opts *o,
		      c_err **err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_t *applied = NULL, *out = NULL;
	json_t *process, *seccomp, *annotations;

	if (asprintf(&path, "%s/config.json", state_dir) < 0) {
		path = NULL;
		oom(err);
		return NULL;
	}
	applied = c_json_load_file(path, CONFIG_MAX, err);
	if (!applied)
		return NULL;
	out = json_object();
	if (!out) {
		oom(err);
		return NULL;
	}
	process = base_process(applied, o, err);
	if (!process || json_object_set_new(out, "process", process) < 0)
		return NULL;
	seccomp = json_object_get(json_object_get(applied, "linux"), "seccomp");
	annotations = json_object_get(applied, "annotations");
	if ((seccomp && json_object_set_new(out, "linux", json_pack("{s:O}", "seccomp", seccomp)) < 0) ||
	    json_object_set_new(out, "annotations",
				annotations ? json_incref(annotations) : json_object()) < 0) {
		oom(err);
		return NULL;
	}
	if (!json_is_array(json_object_get(process, "env")))
		json_object_set_new(process, "env", json_array());
	if (o->workdir && o->workdir[0] != '/') {
		c_err_new(err, C_EXIT_USAGE, 0, "--workdir \"%s\": must be absolute", o->workdir);
		return NULL;
	}
	if (o->workdir)
		json_object_set_new(process, "cwd", json_string(o->workdir));
	/* a whole process says itself whether it has a terminal */
	if (o->tty || !o->process)
		json_object_set_new(process, "terminal", json_boolean(o->tty));
	if (o->no_new_privs)
		json_object_set_new(process, "noNewPrivileges", json_true());
	if ((o->user && set_user(process, pid, o->user, err) < 0) ||
	    (o->privileged && set_all_caps(process, err) < 0) ||
	    add_caps(process, &o->caps, err) < 0 || add_groups(process, &o->groups, err) < 0 ||
	    c_runopts_set_env(process, &o->env, err) < 0)
		return NULL;
	return c_steal_ptr(&out);
}

int c_exec_start(const struct c_state *s, json_t *config, const struct c_spawn_opts *so,
		 pid_t *pid, int *pty, c_err **err)
{
	_cleanup_free_ char *cache = c_store_cache_dir();
	struct c_container *c = c_container_prepare_exec(config, s->id, cache, err);
	sigset_t set;
	int rc;

	if (!c)
		return -1;
	c_supervise_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	rc = c_container_exec(c, s->pid, s->cgroup, so, pid, pty, err);
	c_container_free(c);
	return rc;
}

int c_exec_wait(pid_t pid, int pty, bool stdin_open, c_err **err)
{
	struct c_supervise_opts sup = { .pty = pty, .stdin_open = stdin_open, .grace = 10,
					.stop_signal = SIGTERM };
	bool timed_out;
	int wstatus = 0, rc = c_supervise(pid, &sup, &wstatus, &timed_out, err);

	if (pty >= 0)
		close(pty);
	return rc < 0 ? -1 : c_container_exit_code(wstatus);
}
