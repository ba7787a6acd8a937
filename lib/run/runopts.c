#include "runopts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "caps.h"
#include "cleanup.h"
#include "devices.h"
#include "file.h"
#include "json.h"
#include "rlimit.h"
#include "rootfs.h"
#include "spec.h"
#include "state.h"

void c_strv_push(struct c_strv *sv, const char *s)
{
	const char **v = realloc(sv->v, (sv->n + 2) * sizeof *v);

	if (!v)
		c_die_usage("out of memory");
	v[sv->n++] = s;
	v[sv->n] = NULL;
	sv->v = v;
}

void c_strv_free(struct c_strv *sv)
{
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static int oom(c_err **err)
{
	return c_err_new(err, C_EXIT_FAIL, ENOMEM, "runtime config");
}

/* obj[key], made an empty one of type (an object or an array) when missing
 * or of another type. */
static json_t *member_at(json_t *obj, const char *key, json_type type)
{
	json_t *v = json_object_get(obj, key);

	if (v && json_typeof(v) == type)
		return v;
	v = type == JSON_ARRAY ? json_array() : json_object();
	return json_object_set_new(obj, key, v) < 0 ? NULL : v;
}

static json_t *object_at(json_t *obj, const char *key)
{
	return member_at(obj, key, JSON_OBJECT);
}

static json_t *array_at(json_t *obj, const char *key)
{
	return member_at(obj, key, JSON_ARRAY);
}

int c_parse_size(const char *option, const char *s, long long *out, c_err **err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		goto bad;
	switch (*end | 0x20) {
	case 'k': v <<= 10; end++; break;
	case 'm': v <<= 20; end++; break;
	case 'g': v <<= 30; end++; break;
	default: break;
	}
	if ((*end | 0x20) == 'b')
		end++;
	if (*end)
		goto bad;
	*out = v;
	return 0;
bad:
	return c_err_new(err, C_EXIT_USAGE, 0, "%s \"%s\": expected a size such as 64m", option, s);
}

/* A bundle's args are whole: a command given replaces them (an image's
 * command and entrypoint were applied by lib/spec.h when unpacking). */
static int set_args(json_t *process, const struct c_runopts *o, c_err **err)
{
	json_t *args = json_array(), *old = json_object_get(process, "args");

	if (!args)
		return oom(err);
	if (o->entrypoint && *o->entrypoint)
		json_array_append_new(args, json_string(o->entrypoint));
	if (o->cmd && o->cmd[0]) {
		for (const char *const *a = o->cmd; *a; a++)
			json_array_append_new(args, json_string(*a));
	} else if (!o->entrypoint && old) {
		json_array_extend(args, old);
	}
	if (json_array_size(args) == 0) {
		json_decref(args);
		return c_err_new(err, C_EXIT_USAGE, 0, "no command: the image has none, give one");
	}
	return json_object_set_new(process, "args", args) < 0 ? oom(err) : 0;
}

/* -e K=V replaces K; -e K takes K from our environment, or drops it. */
/* The index of NAME=... (name is klen bytes) in an env list, or its size. */
static size_t env_index(json_t *list, const char *name, size_t klen)
{
	json_t *v;
	size_t j;

	json_array_foreach(list, j, v) {
		const char *s = json_string_value(v);

		if (s && !strncmp(s, name, klen) && s[klen] == '=')
			break;
	}
	return j;
}

int c_runopts_set_env(json_t *process, const struct c_strv *env, c_err **err)
{
	json_t *list = json_object_get(process, "env");

	if (!json_is_array(list)) {
		list = json_array();
		if (json_object_set_new(process, "env", list) < 0)
			return oom(err);
	}
	for (size_t i = 0; i < env->n; i++) {
		const char *e = env->v[i], *eq = strchr(e, '=');
		size_t klen = eq ? (size_t)(eq - e) : strlen(e);
		_cleanup_free_ char *kv = NULL;
		size_t j;

		if (klen == 0)
			return c_err_new(err, C_EXIT_USAGE, 0, "--env \"%s\": no name", e);
		if (!eq) {
			const char *host = getenv(e);

			if (!host)
				continue;
			if (asprintf(&kv, "%s=%s", e, host) < 0) {
				kv = NULL;
				return oom(err);
			}
			e = kv;
		}
		j = env_index(list, e, klen);
		if (j < json_array_size(list))
			json_array_set_new(list, j, json_string(e));
		else
			json_array_append_new(list, json_string(e));
	}
	return 0;
}

static int set_user(json_t *process, const char *user, c_err **err)
{
	unsigned long uid, gid;
	char *end;
	json_t *u;

	uid = strtoul(user, &end, 10);
	gid = uid;
	if (end != user && *end == ':')
		gid = strtoul(end + 1, &end, 10);
	if (end == user || *end)
		return c_err_new(err, C_EXIT_USAGE, 0,
				 "--user \"%s\": a name is resolved in the image's /etc/passwd only "
				 "when c-run unpacks the image; give UID[:GID] for a bundle", user);
	u = json_pack("{s:I,s:I}", "uid", (json_int_t)uid, "gid", (json_int_t)gid);
	return json_object_set_new(process, "user", u) < 0 ? oom(err) : 0;
}

static int add_mount(json_t *spec, const char *dest, const char *type, const char *source,
		     json_t *options, c_err **err)
{
	json_t *mounts = json_object_get(spec, "mounts");
	json_t *m = json_pack("{s:s,s:s,s:s,s:o}", "destination", dest, "type", type, "source",
			      source, "options", options);

	if (!json_is_array(mounts)) {
		mounts = json_array();
		json_object_set_new(spec, "mounts", mounts);
	}
	if (!m || json_array_append_new(mounts, m) < 0)
		return oom(err);
	return 0;
}

/* A named volume's directory, made on first use. */
static char *volume_dir(const char *volumes, const char *name, c_err **err)
{
	char *data = NULL;
	_cleanup_free_ char *top = NULL;
	c_err *bad = NULL;

	/* Refused as the volume is made, as docker's daemon refuses it: bad
	 * data (c-run's 125), not a command line c-run cannot read. */
	if (c_state_check_id(name, "volume name", &bad) < 0) {
		c_err_new(err, C_EXIT_DATA, 0, "%s", bad->msg);
		c_err_free(&bad);
		return NULL;
	}
	if (!volumes) {
		c_err_new(err, C_EXIT_USAGE, 0, "volume %s: no volume directory", name);
		return NULL;
	}
	if (asprintf(&top, "%s/%s", volumes, name) < 0 || asprintf(&data, "%s/_data", top) < 0) {
		oom(err);
		return NULL;
	}
	/* the volumes' directory 0700, as docker keeps it */
	if (c_mkdir_p(volumes, 0700, err) < 0 || c_mkdir_p(data, 0755, err) < 0) {
		c_err_wrap(err, "volume %s", name);
		free(data);
		return NULL;
	}
	return data;
}

/* mkdir -p of a missing host directory, 0755 as docker makes it. */
static int make_host_dir(const char *path, c_err **err)
{
	return c_mkdir_p(path, 0755, err) < 0 ? c_err_wrap(err, "the volume's host directory") : 0;
}

/* docker's third field: ro, rw, nocopy, comma-separated. */
static int parse_volume_mode(const char *arg, char *mode, bool *ro, bool *nocopy, c_err **err)
{
	for (char *o = strtok(mode, ","); o; o = strtok(NULL, ",")) {
		if (!strcmp(o, "ro") || !strcmp(o, "rw"))
			*ro = !strcmp(o, "ro");
		else if (!strcmp(o, "nocopy"))
			*nocopy = true;
		else
			return c_err_new(err, C_EXIT_USAGE, 0, "--volume \"%s\": unknown mode \"%s\"",
					 arg, o);
	}
	return 0;
}

static int add_volume(json_t *spec, const char *arg, const char *volumes, c_err **err)
{
	_cleanup_free_ char *copy = strdup(arg), *source = NULL, *fill = NULL;
	char *host, *ctr, *mode;
	bool ro = false, nocopy = false;
	struct stat st;

	if (!copy)
		return oom(err);
	host = copy;
	ctr = strchr(host, ':');
	if (!ctr || !*host)
		return c_err_new(err, C_EXIT_USAGE, 0,
				 "--volume \"%s\": expected SOURCE:DEST[:ro|rw|nocopy]", arg);
	*ctr++ = '\0';
	mode = strchr(ctr, ':');
	if (mode) {
		*mode++ = '\0';
		if (parse_volume_mode(arg, mode, &ro, &nocopy, err) < 0)
			return -1;
	}
	if (ctr[0] != '/')
		return c_err_new(err, C_EXIT_USAGE, 0,
				 "--volume \"%s\": the destination must be absolute", arg);
	if (host[0] == '/') {
		if (nocopy)
			return c_err_new(err, C_EXIT_USAGE, 0,
					 "--volume \"%s\": nocopy is for named volumes", arg);
		if (stat(host, &st) < 0) {
			if (errno != ENOENT)
				return c_err_sys(err, "--volume", host);
			if (make_host_dir(host, err) < 0)
				return -1;
		}
		source = strdup(host);
		if (!source)
			return oom(err);
	} else if (!(source = volume_dir(volumes, host, err))) {
		return c_err_wrap(err, "--volume \"%s\"", arg);
	} else if (!nocopy && asprintf(&fill, "%s%s", C_ROOTFS_VOLUME_COPY, host) < 0) {
		fill = NULL;
		return oom(err);
	}
	return add_mount(spec, ctr, "bind", source,
			 fill ? json_pack("[s,s,s]", "rbind", ro ? "ro" : "rw", fill)
			      : json_pack("[s,s]", "rbind", ro ? "ro" : "rw"),
			 err);
}

static int add_tmpfs(json_t *spec, const char *arg, c_err **err)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *opts;
	json_t *list;

	if (!copy)
		return oom(err);
	opts = strchr(copy, ':');
	if (opts)
		*opts++ = '\0';
	if (copy[0] != '/')
		return c_err_new(err, C_EXIT_USAGE, 0, "--tmpfs \"%s\": must be absolute", arg);
	list = json_pack("[s,s,s]", "noexec", "nosuid", "nodev");
	for (char *o = opts ? strtok(opts, ",") : NULL; o; o = strtok(NULL, ","))
		json_array_append_new(list, json_string(o));
	return add_mount(spec, copy, "tmpfs", "tmpfs", list, err);
}

/* --network: none (a network namespace of its own, its lo up as docker
 * has it), host (none of its own), ns:PATH (that one joined, left as it
 * is).  What c-run cannot give yet is refused by name. */
static int set_network(json_t *spec, const char *network, c_err **err)
{
	json_t *list = json_object_get(json_object_get(spec, "linux"), "namespaces"), *ns;
	json_t *annotations = object_at(spec, "annotations");
	size_t i;

	json_array_foreach(list, i, ns)
		if (!strcmp(json_string_value(json_object_get(ns, "type")) ?: "", "network"))
			break;
	if (!annotations)
		return oom(err);
	if (!strcmp(network, "none")) {
		if (i == json_array_size(list))
			json_array_append_new(list, json_pack("{s:s}", "type", "network"));
		json_object_del(json_array_get(list, i), "path");
		json_object_set_new(annotations, C_SPEC_LOOPBACK_ANNOTATION, json_string("up"));
		return 0;
	}
	json_object_del(annotations, C_SPEC_LOOPBACK_ANNOTATION);
	if (!strcmp(network, "host")) {
		if (i < json_array_size(list))
			json_array_remove(list, i);
		return 0;
	}
	if (!strncmp(network, "ns:", 3) && network[3] == '/') {
		if (i == json_array_size(list))
			json_array_append_new(list, json_pack("{s:s}", "type", "network"));
		json_object_set_new(json_array_get(list, i), "path", json_string(network + 3));
		return 0;
	}
	return c_err_new(err, C_EXIT_USAGE, 0,
			 "--network \"%s\": not supported: c-run gives none, host or ns:PATH",
			 network);
}

static int set_resources(json_t *spec, const struct c_runopts *o, c_err **err)
{
	json_t *res = object_at(object_at(spec, "linux"), "resources");
	long long memory = 0, swap = 0;
	char *end;

	if (!res)
		return oom(err);
	if (o->memory) {
		if (c_parse_size("--memory", o->memory, &memory, err) < 0)
			return -1;
		json_object_set_new(object_at(res, "memory"), "limit", json_integer(memory));
	}
	if (o->memory_swap) {
		if (!strcmp(o->memory_swap, "-1"))
			swap = -1;
		else if (c_parse_size("--memory-swap", o->memory_swap, &swap, err) < 0)
			return -1;
		if (!o->memory)
			return c_err_new(err, C_EXIT_USAGE, 0, "--memory-swap needs --memory");
		json_object_set_new(object_at(res, "memory"), "swap", json_integer(swap));
	}
	if (o->cpus) {
		double cpus = strtod(o->cpus, &end);

		if (*end || end == o->cpus || cpus <= 0)
			return c_err_new(err, C_EXIT_USAGE, 0, "--cpus \"%s\": expected a number",
					 o->cpus);
		json_object_set_new(object_at(res, "cpu"), "period", json_integer(100000));
		json_object_set_new(object_at(res, "cpu"), "quota",
				    json_integer((json_int_t)(cpus * 100000)));
	}
	if (o->cpu_shares) {
		long shares = strtol(o->cpu_shares, &end, 10);

		if (*end || end == o->cpu_shares || shares < 2)
			return c_err_new(err, C_EXIT_USAGE, 0, "--cpu-shares \"%s\": expected 2 or more",
					 o->cpu_shares);
		json_object_set_new(object_at(res, "cpu"), "shares", json_integer(shares));
	}
	if (o->cpuset_cpus)
		json_object_set_new(object_at(res, "cpu"), "cpus", json_string(o->cpuset_cpus));
	if (o->pids_limit) {
		long limit = strtol(o->pids_limit, &end, 10);

		if (*end || end == o->pids_limit || limit == 0 || limit < -1)
			return c_err_new(err, C_EXIT_USAGE, 0,
					 "--pids-limit \"%s\": expected a positive number or -1",
					 o->pids_limit);
		json_object_set_new(object_at(res, "pids"), "limit", json_integer(limit));
	}
	return 0;
}

/* ---- devices ---------------------------------------------------------------- */

/* How deep --device DIR and --privileged look below a directory. */
#define DEVICE_TREE_DEPTH 8

static json_t *device_rules(json_t *spec)
{
	return array_at(object_at(object_at(spec, "linux"), "resources"), "devices");
}

/* The host's node st as ctr in the container (linux.devices), and a rule
 * letting it be used with access (linux.resources.devices). */
static int add_device(json_t *spec, const char *ctr, const struct stat *st, unsigned access,
		      c_err **err)
{
	json_t *devs = array_at(object_at(spec, "linux"), "devices"), *rules = device_rules(spec);
	struct c_dev_rule rule = { true, S_ISBLK(st->st_mode) ? C_DEV_BLOCK : C_DEV_CHAR,
				   major(st->st_rdev), minor(st->st_rdev), access };

	if (!devs || !rules ||
	    json_array_append_new(devs, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path", ctr,
						  "type", rule.type == C_DEV_BLOCK ? "b" : "c",
						  "major", (json_int_t)rule.major, "minor",
						  (json_int_t)rule.minor, "fileMode",
						  (json_int_t)(st->st_mode & 07777), "uid",
						  (json_int_t)st->st_uid, "gid",
						  (json_int_t)st->st_gid)) < 0 ||
	    json_array_append_new(rules, c_dev_rule_to_json(&rule)) < 0)
		return oom(err);
	return 0;
}

/* Every device node below the host's directory host, as the same names
 * below ctr, but those docker and runc leave out: the console, and the
 * ptys, shared memory and message queues a container has its own of. */
static int add_device_tree(json_t *spec, const char *host, const char *ctr, unsigned access,
			   int depth, c_err **err)
{
	static const char *const skipped[] = { "pts", "shm", "fd", "mqueue", ".lxc",
					       ".lxd-mounts", ".udev", "console" };
	DIR *d = opendir(host);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return c_err_sys(err, "read the devices of", host);
	while (rc == 0 && (e = readdir(d))) {
		_cleanup_free_ char *h = NULL, *c = NULL;
		bool skip = e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, ".."));
		struct stat st;

		for (size_t i = 0; !skip && i < sizeof skipped / sizeof skipped[0]; i++)
			skip = !strcmp(e->d_name, skipped[i]);
		if (skip)
			continue;
		if (asprintf(&h, "%s/%s", host, e->d_name) < 0 ||
		    asprintf(&c, "%s/%s", ctr, e->d_name) < 0) {
			rc = oom(err);
			break;
		}
		/* gone meanwhile, or a link: not a node of ours to add */
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			rc = add_device(spec, c, &st, access, err);
		else if (S_ISDIR(st.st_mode) && depth > 0)
			rc = add_device_tree(spec, h, c, access, depth - 1, err);
	}
	closedir(d);
	return rc;
}

/* --device HOST[:CONTAINER][:PERMS], as docker reads it: a node, or a
 * directory of them. */
static int add_device_option(json_t *spec, const char *arg, c_err **err)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *parts[3] = { copy, NULL, NULL }, *colon;
	const char *host, *ctr, *perms = "rwm";
	unsigned access;
	struct stat st;
	size_t n = 1;

	if (!copy)
		return oom(err);
	while (n < 3 && (colon = strchr(parts[n - 1], ':'))) {
		*colon = '\0';
		parts[n++] = colon + 1;
	}
	host = ctr = parts[0];
	if (n == 2 && c_dev_access_parse(parts[1], &access))
		perms = parts[1];
	else if (n >= 2)
		ctr = parts[1];
	if (n == 3)
		perms = parts[2];
	if (!c_dev_access_parse(perms, &access))
		return c_err_new(err, C_EXIT_USAGE, 0,
				 "--device \"%s\": permissions \"%s\": expected letters of rwm", arg,
				 perms);
	if (host[0] != '/' || ctr[0] != '/')
		return c_err_new(err, C_EXIT_USAGE, 0,
				 "--device \"%s\": expected HOST[:CONTAINER][:PERMS], absolute paths",
				 arg);
	if (stat(host, &st) < 0)
		return c_err_sys(err, "--device", host);
	if (S_ISDIR(st.st_mode))
		return add_device_tree(spec, host, ctr, access, DEVICE_TREE_DEPTH, err);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return c_err_new(err, C_EXIT_USAGE, 0, "--device %s: not a device node", host);
	return add_device(spec, ctr, &st, access, err);
}

static int set_devices(json_t *spec, const struct c_runopts *o, c_err **err)
{
	json_t *rules = device_rules(spec);

	if (!rules)
		return oom(err);
	/* docker's --privileged: every device of the host, in /dev and usable */
	if (o->privileged) {
		if (json_array_append_new(rules, json_pack("{s:b, s:s}", "allow", 1, "access",
							   "rwm")) < 0)
			return oom(err);
		if (add_device_tree(spec, "/dev", "/dev", C_DEV_RWM, DEVICE_TREE_DEPTH, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < o->devices.n; i++)
		if (add_device_option(spec, o->devices.v[i], err) < 0)
			return -1;
	for (size_t i = 0; i < o->device_cgroup_rules.n; i++) {
		struct c_dev_rule r;

		if (c_dev_rule_parse(o->device_cgroup_rules.v[i], true, "--device-cgroup-rule", &r,
				     err) < 0)
			return -1;
		if (json_array_append_new(rules, c_dev_rule_to_json(&r)) < 0)
			return oom(err);
	}
	return 0;
}

static int set_rlimits(json_t *process, const struct c_strv *ulimits, c_err **err)
{
	json_t *list = json_object_get(process, "rlimits");

	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(process, "rlimits", list);
	}
	for (size_t i = 0; i < ulimits->n; i++) {
		struct c_rlimit rl;
		json_t *one, *v;
		size_t j;

		if (c_rlimit_parse_ulimit(ulimits->v[i], &rl, err) < 0)
			return -1;
		one = c_rlimits_to_json(&rl, 1);
		if (!one)
			return oom(err);
		/* replaces the default for the same limit */
		json_array_foreach(list, j, v)
			if (json_equal(json_object_get(v, "type"),
				       json_object_get(json_array_get(one, 0), "type")))
				break;
		if (j < json_array_size(list))
			json_array_set(list, j, json_array_get(one, 0));
		else
			json_array_append(list, json_array_get(one, 0));
		json_decref(one);
	}
	return 0;
}

static int set_security(json_t *spec, json_t *process, const struct c_runopts *o, c_err **err)
{
	json_t *annotations = object_at(spec, "annotations"), *caps;
	struct c_caps_docker d = { o->privileged, o->cap_add.v, o->cap_add.n, o->cap_drop.v,
				   o->cap_drop.n };
	struct c_caps set = { 0 }, ours;
	bool present;
	uint64_t now;
	int last;

	/* "every capability" is every one c-run has, as podman takes it: the
	 * kernel's full list would fail where the bounding set lacks some */
	if (c_cap_last(&last, err) < 0 || c_caps_current(&ours, err) < 0 ||
	    c_caps_parse(process, last, &set, &present, err) < 0)
		return -1;
	now = present ? set.bounding : c_caps_docker_default();
	if (c_caps_tweak(&now, ours.bounding, last, &d, err) < 0)
		return -1;
	set = (struct c_caps){ now, now, now, 0, 0 };
	caps = c_caps_to_json(&set);
	if (!caps || json_object_set_new(process, "capabilities", caps) < 0)
		return oom(err);
	if (o->privileged) {
		json_t *lx = object_at(spec, "linux");

		json_object_del(lx, "maskedPaths");
		json_object_del(lx, "readonlyPaths");
		json_object_set_new(annotations, "io.c-tools.seccomp", json_string("unconfined"));
	}
	for (size_t i = 0; i < o->security_opts.n; i++) {
		const char *s = o->security_opts.v[i];

		if (!strcmp(s, "seccomp=unconfined") || !strcmp(s, "seccomp:unconfined")) {
			json_object_set_new(annotations, "io.c-tools.seccomp",
					    json_string("unconfined"));
			json_object_del(object_at(spec, "linux"), "seccomp");
		} else if (!strncmp(s, "seccomp=", 8)) {
			c_err *e = NULL;
			json_t *profile = c_json_load_file(s + 8, 1 << 20, &e);

			if (!profile)
				return *err = e, c_err_wrap(err, "--security-opt %s", s);
			json_object_set_new(object_at(spec, "linux"), "seccomp", profile);
		} else if (!strcmp(s, "no-new-privileges") || !strcmp(s, "no-new-privileges=true") ||
			   !strcmp(s, "no-new-privileges:true")) {
			json_object_set_new(process, "noNewPrivileges", json_true());
		} else if (!strcmp(s, "no-new-privileges=false")) {
			json_object_set_new(process, "noNewPrivileges", json_false());
		} else {
			return c_err_new(err, C_EXIT_USAGE, 0, "--security-opt \"%s\": unknown", s);
		}
	}
	return 0;
}

int c_runopts_apply(json_t *spec, const struct c_runopts *o, c_err **err)
{
	json_t *process = object_at(spec, "process");

	if (!process)
		return oom(err);
	if (set_args(process, o, err) < 0 || c_runopts_set_env(process, &o->env, err) < 0)
		return -1;
	if (o->workdir && o->workdir[0] != '/')
		return c_err_new(err, C_EXIT_USAGE, 0, "--workdir \"%s\": must be absolute",
				 o->workdir);
	if (o->workdir)
		json_object_set_new(process, "cwd", json_string(o->workdir));
	if (o->user && set_user(process, o->user, err) < 0)
		return -1;
	if (o->tty) {
		json_t *env = json_object_get(process, "env");

		json_object_set_new(process, "terminal", json_true());
		/* docker's: a terminal is an xterm, unless the image or -e says */
		if (env_index(env, "TERM", 4) == json_array_size(env))
			json_array_append_new(env, json_string("TERM=xterm"));
	}
	if (o->hostname)
		json_object_set_new(spec, "hostname", json_string(o->hostname));
	if (o->read_only)
		json_object_set_new(object_at(spec, "root"), "readonly", json_true());
	for (size_t i = 0; i < o->volumes.n; i++)
		if (add_volume(spec, o->volumes.v[i], o->volumes_dir, err) < 0)
			return -1;
	for (size_t i = 0; i < o->tmpfs.n; i++)
		if (add_tmpfs(spec, o->tmpfs.v[i], err) < 0)
			return -1;
	if (set_network(spec, o->network ? o->network : "none", err) < 0 ||
	    set_resources(spec, o, err) < 0 || set_devices(spec, o, err) < 0 ||
	    set_rlimits(process, &o->ulimits, err) < 0 ||
	    set_security(spec, process, o, err) < 0)
		return -1;
	return 0;
}
