#include "spec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cleanup.h"
#include "json.h"
#include "passwd.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ANN_PREFIX "org.opencontainers.image."
#define OUR_PREFIX "io.c-tools."


static const char *const default_namespaces[] = {
	"pid", "network", "ipc", "uts", "mount", "cgroup",
};

static const char *const masked_paths[] = {
	"/proc/asound",
	"/proc/acpi",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

struct mount_default {
	const char *destination, *type, *source;
	const char *options[8]; /* NULL-terminated */
};

static const struct mount_default default_mounts[] = {
	{ "/proc", "proc", "proc", { "nosuid", "noexec", "nodev" } },
	{ "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
	{ "/dev/pts",
	  "devpts",
	  "devpts",
	  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
	{ "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" } },
	{ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
	{ "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
	{ "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro" } },
};

/* Annotations that are plain strings at the top of the image config. */
static const struct {
	const char *field, *key;
} top_annotations[] = {
	{ "os", ANN_PREFIX "os" },	     { "architecture", ANN_PREFIX "architecture" },
	{ "variant", ANN_PREFIX "variant" }, { "os.version", ANN_PREFIX "os.version" },
	{ "author", ANN_PREFIX "author" },   { "created", ANN_PREFIX "created" },
};

static void user_freep(struct c_user *u)
{
	c_user_free(u);
}

static int oom(c_err **err)
{
	return c_err_new(err, C_EXIT_FAIL, ENOMEM, "build config.json: out of memory");
}

/* json_object_set_new that also fails for a NULL value, so that a failed
 * constructor can be passed straight in. */
static int put(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return -1;
	return json_object_set_new(obj, key, v);
}

static int append(json_t *arr, json_t *v)
{
	if (!v)
		return -1;
	return json_array_append_new(arr, v);
}

static json_t *string_array(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n && v[i]; i++) {
		if (append(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* A jansson string may hold a NUL that C would silently cut at; refuse it
 * rather than run a different command than the image says. */
static int check_no_nul(const json_t *s, const char *where, c_err **err)
{
	if (strlen(json_string_value(s)) != json_string_length(s))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s: contains a NUL byte", where);
	return 0;
}

static int opt_string(json_t *obj, const char *where, const char *key, const char **out,
		      c_err **err)
{
	_cleanup_free_ char *name = NULL;
	json_t *v;

	*out = NULL;
	if (c_json_get_present(obj, where, key, JSON_STRING, &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	if (asprintf(&name, "%s%s%s", where, *where ? "." : "", key) < 0)
		return oom(err);
	if (check_no_nul(v, name, err) < 0)
		return -1;
	*out = json_string_value(v);
	return 0;
}

/* An optional array of strings, config.KEY. */
static int opt_strings(json_t *cfg, const char *key, json_t **out, c_err **err)
{
	json_t *v;
	size_t i;

	if (c_json_get_present(cfg, "config", key, JSON_ARRAY, out, err) < 0)
		return -1;
	json_array_foreach(*out, i, v)
	{
		char where[64];

		snprintf(where, sizeof where, "config.%s[%zu]", key, i);
		if (!json_is_string(v))
			return c_err_new(err, C_EXIT_DATA, 0, "field %s: expected string, got %s",
					 where, c_json_type_name(v));
		if (check_no_nul(v, where, err) < 0)
			return -1;
	}
	return 0;
}

/* docker's rules: a command given replaces Cmd; an entrypoint given
 * replaces Entrypoint and drops Cmd ("" means none). */
static json_t *build_args(json_t *cfg, const struct c_spec_opts *o, c_err **err)
{
	_cleanup_json_ json_t *given = NULL, *given_entry = NULL;
	json_t *entrypoint, *cmd, *args;

	if (opt_strings(cfg, "Entrypoint", &entrypoint, err) < 0 ||
	    opt_strings(cfg, "Cmd", &cmd, err) < 0)
		return NULL;
	if (o && o->entrypoint) {
		given_entry = json_array();
		if (given_entry && *o->entrypoint)
			json_array_append_new(given_entry, json_string(o->entrypoint));
		entrypoint = given_entry;
		cmd = NULL;
	}
	if (o && o->cmd && o->cmd[0]) {
		given = json_array();
		for (const char *const *a = o->cmd; given && *a; a++)
			json_array_append_new(given, json_string(*a));
		cmd = given;
	}
	args = json_array();
	if (!args || (entrypoint && json_array_extend(args, entrypoint) < 0) ||
	    (cmd && json_array_extend(args, cmd) < 0)) {
		json_decref(args);
		oom(err);
		return NULL;
	}
	return args;
}

static bool env_is(const char *entry, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(entry, name, n) && entry[n] == '=';
}

static json_t *build_env(json_t *cfg, const char *home, c_err **err)
{
	_cleanup_json_ json_t *env = NULL;
	_cleanup_free_ char *home_entry = NULL;
	bool have_path = false, have_home = false;
	json_t *image_env, *v;
	size_t i;

	if (opt_strings(cfg, "Env", &image_env, err) < 0)
		return NULL;
	env = image_env ? json_copy(image_env) : json_array();
	if (!env) {
		oom(err);
		return NULL;
	}
	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v), *eq = strchr(s, '=');

		/* runc refuses these when it sets the environment; say so now. */
		if (!eq || eq == s) {
			c_err_new(err, C_EXIT_DATA, 0,
				  "field config.Env[%zu]: \"%s\": expected NAME=VALUE", i, s);
			return NULL;
		}
		have_path |= env_is(s, "PATH");
		have_home |= env_is(s, "HOME");
	}
	if (!have_home && asprintf(&home_entry, "HOME=%s", home) < 0)
		home_entry = NULL;
	if ((!have_path && append(env, json_string("PATH=" C_SPEC_DEFAULT_PATH)) < 0) ||
	    (!have_home && append(env, home_entry ? json_string(home_entry) : NULL) < 0)) {
		oom(err);
		return NULL;
	}
	return c_steal_ptr(&env);
}

static int cwd_of(json_t *cfg, const char **cwd, c_err **err)
{
	if (opt_string(cfg, "config", "WorkingDir", cwd, err) < 0)
		return -1;
	if (!*cwd || !**cwd)
		*cwd = "/";
	else if (**cwd != '/')
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field config.WorkingDir: \"%s\": expected an absolute path",
				 *cwd);
	return 0;
}

static json_t *build_user(const struct c_user *u)
{
	json_t *o = json_object(), *gids = NULL;

	if (!o || put(o, "uid", json_integer(u->uid)) < 0 ||
	    put(o, "gid", json_integer(u->gid)) < 0)
		goto fail;
	if (u->nadditional_gids) {
		if (put(o, "additionalGids", gids = json_array()) < 0)
			goto fail;
		for (size_t i = 0; i < u->nadditional_gids; i++)
			if (append(gids, json_integer(u->additional_gids[i])) < 0)
				goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* docker's default set (lib/caps.h), bounding, effective and permitted. */
static json_t *build_caps(void)
{
	uint64_t d = c_caps_docker_default();

	return c_caps_to_json(&(struct c_caps){ .bounding = d, .effective = d, .permitted = d });
}

static json_t *build_process(json_t *cfg, const struct c_user *user,
			     const struct c_spec_opts *o, c_err **err)
{
	_cleanup_json_ json_t *p = NULL, *args = NULL, *env = NULL;
	const char *cwd;

	args = build_args(cfg, o, err);
	if (!args)
		return NULL;
	env = build_env(cfg, user->home, err);
	if (!env || cwd_of(cfg, &cwd, err) < 0)
		return NULL;
	p = json_object();
	if (!p || put(p, "terminal", json_false()) < 0 || put(p, "user", build_user(user)) < 0 ||
	    /* no command: no "args", which the caller must then supply */
	    (json_array_size(args) && put(p, "args", c_steal_ptr(&args)) < 0) ||
	    put(p, "env", c_steal_ptr(&env)) < 0 || put(p, "cwd", json_string(cwd)) < 0 ||
	    put(p, "capabilities", build_caps()) < 0 ||
	    put(p, "rlimits",
		json_pack("[{s:s,s:i,s:i}]", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024)) <
		    0 ||
	    put(p, "noNewPrivileges", json_true()) < 0) {
		oom(err);
		return NULL;
	}
	return c_steal_ptr(&p);
}

static json_t *build_mounts(void)
{
	json_t *mounts = json_array();

	for (size_t i = 0; mounts && i < ARRAY_SIZE(default_mounts); i++) {
		const struct mount_default *d = &default_mounts[i];
		json_t *m = json_object();

		if (append(mounts, m) < 0 ||
		    put(m, "destination", json_string(d->destination)) < 0 ||
		    put(m, "type", json_string(d->type)) < 0 ||
		    put(m, "source", json_string(d->source)) < 0 ||
		    put(m, "options", string_array(d->options, ARRAY_SIZE(d->options))) < 0) {
			json_decref(mounts);
			return NULL;
		}
	}
	return mounts;
}

static json_t *build_linux(void)
{
	json_t *l = json_object(), *ns = json_array();

	if (!l || put(l, "namespaces", ns) < 0)
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(default_namespaces); i++)
		if (append(ns, json_pack("{s:s}", "type", default_namespaces[i])) < 0)
			goto fail;
	if (put(l, "maskedPaths", string_array(masked_paths, ARRAY_SIZE(masked_paths))) < 0 ||
	    put(l, "readonlyPaths", string_array(readonly_paths, ARRAY_SIZE(readonly_paths))) < 0)
		goto fail;
	return l;
fail:
	json_decref(l);
	return NULL;
}

/* The keys of an object (ExposedPorts, Volumes), in document order. */
static json_t *keys_of(json_t *obj)
{
	json_t *keys = json_array(), *v;
	const char *k;

	json_object_foreach(obj, k, v)
	{
		if (append(keys, json_string(k)) < 0) {
			json_decref(keys);
			return NULL;
		}
	}
	return keys;
}

/* The strings of arr joined with commas, as conversion.md wants for
 * exposedPorts and os.features.  Caller frees. */
static char *join(json_t *arr)
{
	size_t len = 1, i;
	json_t *v;
	char *s, *p;

	json_array_foreach(arr, i, v) len += json_string_length(v) + 1;
	s = p = malloc(len);
	if (!s)
		return NULL;
	*p = '\0';
	json_array_foreach(arr, i, v) p += sprintf(p, "%s%s", i ? "," : "", json_string_value(v));
	return s;
}

static int put_joined(json_t *ann, const char *key, json_t *arr, c_err **err)
{
	_cleanup_free_ char *s = join(arr);

	if (!s || put(ann, key, json_string(s)) < 0)
		return oom(err);
	return 0;
}

static int annotate_features(json_t *ann, json_t *doc, c_err **err)
{
	json_t *features, *v;
	size_t i;

	if (c_json_get_present(doc, "", "os.features", JSON_ARRAY, &features, err) < 0)
		return -1;
	if (!features)
		return 0;
	json_array_foreach(features, i, v) if (!json_is_string(v)) return c_err_new(
		err, C_EXIT_DATA, 0, "field os.features[%zu]: expected string, got %s", i,
		c_json_type_name(v));
	return put_joined(ann, ANN_PREFIX "os.features", features, err);
}

static int annotate_ports_volumes(json_t *ann, json_t *cfg, c_err **err)
{
	_cleanup_json_ json_t *ports_keys = NULL, *volume_keys = NULL;
	_cleanup_free_ char *volumes = NULL;
	json_t *ports, *vols;

	if (c_json_get_present(cfg, "config", "ExposedPorts", JSON_OBJECT, &ports, err) < 0 ||
	    c_json_get_present(cfg, "config", "Volumes", JSON_OBJECT, &vols, err) < 0)
		return -1;
	if (ports && json_object_size(ports)) {
		ports_keys = keys_of(ports);
		if (!ports_keys || put_joined(ann, ANN_PREFIX "exposedPorts", ports_keys, err) < 0)
			return oom(err);
	}
	if (vols && json_object_size(vols)) {
		/* JSON, not commas: a path may hold any character. */
		volume_keys = keys_of(vols);
		if (!volume_keys || !(volumes = c_json_dump(volume_keys, NULL, err)))
			return oom(err);
		if (put(ann, C_SPEC_VOLUMES_ANNOTATION, json_string(volumes)) < 0)
			return oom(err);
	}
	return 0;
}

static int annotate_labels(json_t *ann, json_t *cfg, c_err **err)
{
	json_t *labels, *v;
	const char *k;

	if (c_json_get_present(cfg, "config", "Labels", JSON_OBJECT, &labels, err) < 0)
		return -1;
	json_object_foreach(labels, k, v)
	{
		if (c_json_get(labels, "config.Labels", k, JSON_STRING, true, &v, err) < 0)
			return -1;
		/* Ours to set: an image must not choose its own confinement. */
		if (!strncmp(k, OUR_PREFIX, strlen(OUR_PREFIX)))
			continue;
		/* Labels win over the implicit annotations (conversion.md). */
		if (json_object_set(ann, k, v) < 0)
			return oom(err);
	}
	return 0;
}

static json_t *build_annotations(json_t *doc, json_t *cfg, c_err **err)
{
	_cleanup_json_ json_t *ann = json_object();
	const char *s;

	if (!ann) {
		oom(err);
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(top_annotations); i++) {
		if (opt_string(doc, "", top_annotations[i].field, &s, err) < 0)
			return NULL;
		if (s && put(ann, top_annotations[i].key, json_string(s)) < 0) {
			oom(err);
			return NULL;
		}
	}
	if (annotate_features(ann, doc, err) < 0 ||
	    opt_string(cfg, "config", "StopSignal", &s, err) < 0)
		return NULL;
	if (s && put(ann, ANN_PREFIX "stopSignal", json_string(s)) < 0) {
		oom(err);
		return NULL;
	}
	if (annotate_ports_volumes(ann, cfg, err) < 0 || annotate_labels(ann, cfg, err) < 0)
		return NULL;
	if (put(ann, C_SPEC_SECCOMP_ANNOTATION, json_string("default")) < 0) {
		oom(err);
		return NULL;
	}
	return c_steal_ptr(&ann);
}

json_t *c_spec_from_image(const json_t *image_config_doc, int rootfd,
			  const struct c_spec_opts *opts, c_err **err)
{
	/* jansson's getters take non-const pointers; nothing here writes to doc. */
	json_t *doc = (json_t *)image_config_doc, *cfg;
	__attribute__((cleanup(user_freep))) struct c_user user = { 0 };
	_cleanup_json_ json_t *spec = NULL, *process = NULL, *annotations = NULL;
	const char *user_spec = opts ? opts->user : NULL;
	const char *hostname = opts && opts->hostname ? opts->hostname : C_SPEC_DEFAULT_HOSTNAME;

	if (!json_is_object(doc)) {
		c_err_new(err, C_EXIT_DATA, 0, "image config: expected object, got %s",
			  c_json_type_name(doc));
		return NULL;
	}
	if (c_json_get_present(doc, "", "config", JSON_OBJECT, &cfg, err) < 0 ||
	    (!user_spec && opt_string(cfg, "config", "User", &user_spec, err) < 0))
		return NULL;
	if (c_user_resolve(rootfd, user_spec ? user_spec : "", &user, err) < 0)
		return NULL;
	process = build_process(cfg, &user, opts, err);
	if (!process)
		return NULL;
	annotations = build_annotations(doc, cfg, err);
	if (!annotations)
		return NULL;
	spec = json_object();
	if (!spec || put(spec, "ociVersion", json_string(C_SPEC_OCI_VERSION)) < 0 ||
	    put(spec, "process", c_steal_ptr(&process)) < 0 ||
	    put(spec, "root", json_pack("{s:s,s:b}", "path", "rootfs", "readonly", 0)) < 0 ||
	    put(spec, "hostname", json_string(hostname)) < 0 ||
	    put(spec, "mounts", build_mounts()) < 0 ||
	    put(spec, "annotations", c_steal_ptr(&annotations)) < 0 ||
	    put(spec, "linux", build_linux()) < 0) {
		oom(err);
		return NULL;
	}
	return c_steal_ptr(&spec);
}

int c_spec_write(const char *bundle_dir, const json_t *spec, c_err **err)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/config.json", bundle_dir) < 0)
		return c_err_sys(err, "write config.json in", bundle_dir);
	return c_json_write_file(path, spec, 0644, err);
}
