#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "json.h"
#include "passwd.h"
#include "spec.h"

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

json_t *c_exec_config(const char *state_dir, pid_t pid, const struct c_exec_opts *o,
		      c_err **err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_t *applied = NULL, *out = NULL;
	json_t *process, *args, *seccomp, *annotations;

	if (asprintf(&path, "%s/config.json", state_dir) < 0) {
		path = NULL;
		oom(err);
		return NULL;
	}
	applied = c_json_load_file(path, CONFIG_MAX, err);
	if (!applied)
		return NULL;
	process = json_deep_copy(json_object_get(applied, "process"));
	args = json_array();
	out = json_object();
	if (!process || !args || !out || json_object_set_new(out, "process", process) < 0 ||
	    json_object_set_new(process, "args", args) < 0) {
		json_decref(args);
		oom(err);
		return NULL;
	}
	for (const char *const *a = o->cmd; *a; a++)
		json_array_append_new(args, json_string(*a));
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
	json_object_set_new(process, "terminal", json_boolean(o->tty));
	if ((o->user && set_user(process, pid, o->user, err) < 0) ||
	    (o->privileged && set_all_caps(process, err) < 0) ||
	    c_runopts_set_env(process, &o->env, err) < 0)
		return NULL;
	return c_steal_ptr(&out);
}
