#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "json.h"
#include "mountinfo.h"
#include "path.h"
#include "volume.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

/* mount_setattr(2)'s struct mount_attr and MOUNT_ATTR_* values (kernel ABI),
 * under our own names: glibc's <sys/mount.h> and <linux/mount.h> clash, and
 * musl has neither. */
struct rattr {
	uint64_t set, clr, propagation, userns_fd;
};
enum {
	RA_RDONLY = 0x1,
	RA_NOSUID = 0x2,
	RA_NODEV = 0x4,
	RA_NOEXEC = 0x8,
	RA_ATIME = 0x70, /* the field of the three atime modes below */
	RA_RELATIME = 0x0,
	RA_NOATIME = 0x10,
	RA_STRICTATIME = 0x20,
	RA_NODIRATIME = 0x80,
	RA_NOSYMFOLLOW = 0x200000,
};

/* The flags a bind remount changes, leaving the others of the mount. */
#define REMOUNT_FLAGS                                                                              \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | \
	 MS_STRICTATIME | MS_NOSYMFOLLOW)

#define CGROUP_FILE_MAX (1 << 20)

/* ---- mount options ----------------------------------------------------------- */

enum opt_kind {
	K_SET,	   /* sets MS_* flags */
	K_CLEAR,   /* clears them */
	K_BIND,	   /* MS_BIND (| MS_REC) */
	K_PROP,	   /* a propagation change, made after the mount */
	K_RSET,	   /* mount_setattr(AT_RECURSIVE) sets RA_* */
	K_RCLEAR,  /* ... clears them */
	K_RATIME,  /* ... sets the atime mode */
	K_REFUSED, /* known, but c-run does not do it */
};

static const struct mount_opt {
	const char *name;
	enum opt_kind kind;
	unsigned long value;
} mount_opts[] = {
	{ "defaults", K_SET, 0 },
	{ "ro", K_SET, MS_RDONLY },
	{ "rw", K_CLEAR, MS_RDONLY },
	{ "nosuid", K_SET, MS_NOSUID },
	{ "suid", K_CLEAR, MS_NOSUID },
	{ "nodev", K_SET, MS_NODEV },
	{ "dev", K_CLEAR, MS_NODEV },
	{ "noexec", K_SET, MS_NOEXEC },
	{ "exec", K_CLEAR, MS_NOEXEC },
	{ "sync", K_SET, MS_SYNCHRONOUS },
	{ "async", K_CLEAR, MS_SYNCHRONOUS },
	{ "dirsync", K_SET, MS_DIRSYNC },
	{ "mand", K_SET, MS_MANDLOCK },
	{ "nomand", K_CLEAR, MS_MANDLOCK },
	{ "noatime", K_SET, MS_NOATIME },
	{ "atime", K_CLEAR, MS_NOATIME },
	{ "nodiratime", K_SET, MS_NODIRATIME },
	{ "diratime", K_CLEAR, MS_NODIRATIME },
	{ "relatime", K_SET, MS_RELATIME },
	{ "norelatime", K_CLEAR, MS_RELATIME },
	{ "strictatime", K_SET, MS_STRICTATIME },
	{ "nostrictatime", K_CLEAR, MS_STRICTATIME },
	{ "lazytime", K_SET, MS_LAZYTIME },
	{ "nolazytime", K_CLEAR, MS_LAZYTIME },
	{ "iversion", K_SET, MS_I_VERSION },
	{ "noiversion", K_CLEAR, MS_I_VERSION },
	{ "nosymfollow", K_SET, MS_NOSYMFOLLOW },
	{ "symfollow", K_CLEAR, MS_NOSYMFOLLOW },
	{ "silent", K_SET, MS_SILENT },
	{ "loud", K_CLEAR, MS_SILENT },
	{ "bind", K_BIND, MS_BIND },
	{ "rbind", K_BIND, MS_BIND | MS_REC },
	{ "private", K_PROP, MS_PRIVATE },
	{ "rprivate", K_PROP, MS_PRIVATE | MS_REC },
	{ "shared", K_PROP, MS_SHARED },
	{ "rshared", K_PROP, MS_SHARED | MS_REC },
	{ "slave", K_PROP, MS_SLAVE },
	{ "rslave", K_PROP, MS_SLAVE | MS_REC },
	{ "unbindable", K_PROP, MS_UNBINDABLE },
	{ "runbindable", K_PROP, MS_UNBINDABLE | MS_REC },
	{ "rro", K_RSET, RA_RDONLY },
	{ "rrw", K_RCLEAR, RA_RDONLY },
	{ "rnosuid", K_RSET, RA_NOSUID },
	{ "rsuid", K_RCLEAR, RA_NOSUID },
	{ "rnodev", K_RSET, RA_NODEV },
	{ "rdev", K_RCLEAR, RA_NODEV },
	{ "rnoexec", K_RSET, RA_NOEXEC },
	{ "rexec", K_RCLEAR, RA_NOEXEC },
	{ "rnodiratime", K_RSET, RA_NODIRATIME },
	{ "rdiratime", K_RCLEAR, RA_NODIRATIME },
	{ "rnosymfollow", K_RSET, RA_NOSYMFOLLOW },
	{ "rsymfollow", K_RCLEAR, RA_NOSYMFOLLOW },
	{ "rnoatime", K_RATIME, RA_NOATIME },
	{ "rrelatime", K_RATIME, RA_RELATIME },
	{ "rstrictatime", K_RATIME, RA_STRICTATIME },
	/* Leaving an atime mode means taking the default, relatime, except
	 * that norelatime means strictatime, as in mount(8). */
	{ "ratime", K_RATIME, RA_RELATIME },
	{ "rnostrictatime", K_RATIME, RA_RELATIME },
	{ "rnorelatime", K_RATIME, RA_STRICTATIME },
	{ "idmap", K_REFUSED, 0 },
	{ "ridmap", K_REFUSED, 0 },
	{ "tmpcopyup", K_REFUSED, 0 },
};

static const struct mount_opt *find_opt(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++)
		if (!strcmp(mount_opts[i].name, name))
			return &mount_opts[i];
	return NULL;
}

/* ---- the plan ------------------------------------------------------------------ */

enum mnt_kind {
	MNT_FS,	    /* mount(2) of a filesystem type */
	MNT_BIND,   /* bind or rbind */
	MNT_CGROUP, /* the container's cgroups, see mount_cgroup() */
};

struct mnt {
	enum mnt_kind kind;
	const char *dest;     /* as the config wrote it, for messages */
	char *rel;	      /* the cleaned destination, relative to the root */
	const char *type;     /* MNT_FS */
	char *source;	      /* absolute for a bind mount */
	char *data;	      /* the filesystem's own options, comma-joined; NULL for none */
	char *optstr;	      /* every option as written, for messages; NULL for none */
	unsigned long flags;  /* MS_* */
	unsigned long *props; /* propagation changes, in order */
	size_t nprops;
	struct rattr rattr; /* applied when set or clr is not 0 */
	const char *volume; /* C_ROOTFS_VOLUME_COPY's name: fill the source first */
};

struct dev {
	const char *path;
	char *rel;
	mode_t mode; /* type and permissions */
	dev_t rdev;
	long long uid, gid; /* -1: not given */
};

struct sysctl {
	const char *key, *value;
	char *path; /* under /proc/sys */
};

/* The nodes every /dev of ours gets (the OCI spec's default devices). */
static const struct {
	const char *name;
	unsigned int major, minor;
} default_devs[] = {
	{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

struct c_rootfs_plan {
	json_t *config; /* owns the strings the plan points to */
	char *bundle;	/* absolute */
	char *root;	/* absolute, resolved */
	bool readonly;
	char *cwd; /* process.cwd, relative to the root; NULL when not given */
	char **lowers; /* absolute, clean, topmost first */
	size_t nlowers;
	unsigned long propagation;	/* for "/" at step 1 */
	unsigned long late_propagation; /* for the new "/" after the pivot; 0: none */
	const char *propagation_name;
	bool cgroupns;
	bool own_dev;		    /* a filesystem is mounted at /dev */
	unsigned int skip_defaults; /* bit i: default_devs[i] is in linux.devices */
	struct mnt *mounts;
	size_t nmounts;
	struct dev *devs;
	size_t ndevs;
	const char **masked, **readonly_paths;
	size_t nmasked, nreadonly;
	struct sysctl *sysctls;
	size_t nsysctls;
};

static int oom(c_err **err)
{
	return c_err_new(err, C_EXIT_FAIL, ENOMEM, "read config.json: out of memory");
}

/* A string field whose text C can use: a NUL inside would cut a path short. */
static int get_str(json_t *obj, const char *where, const char *key, bool required, const char **out,
		   c_err **err)
{
	json_t *v;

	*out = NULL;
	if (c_json_get(obj, where, key, JSON_STRING, required, &v, err) < 0)
		return -1;
	if (v && strlen(json_string_value(v)) != json_string_length(v))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.%s: contains a NUL byte", where,
				 key);
	if (v)
		*out = json_string_value(v);
	return 0;
}

/* The strings of an optional array field: arr[i], checked. */
static int str_at(json_t *arr, size_t i, const char *where, const char **out, c_err **err)
{
	json_t *v = json_array_get(arr, i);

	if (!json_is_string(v))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s[%zu]: expected string, got %s",
				 where, i, c_json_type_name(v));
	if (strlen(json_string_value(v)) != json_string_length(v))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s[%zu]: contains a NUL byte", where,
				 i);
	*out = json_string_value(v);
	return 0;
}

static int check_absolute(const char *path, const char *field, c_err **err)
{
	if (path[0] != '/')
		return c_err_new(err, C_EXIT_DATA, 0, "field %s: must be absolute, got \"%s\"",
				 field, path);
	return 0;
}

/* The cleaned form of an absolute path, relative to the root. */
static int relative_to_root(const char *path, const char *field, char **rel, c_err **err)
{
	if (check_absolute(path, field, err) < 0)
		return -1;
	if (c_path_clean(path, rel, err) < 0)
		return -1;
	return 0;
}

static char *join_path(const char *dir, const char *name)
{
	char *s;

	if (asprintf(&s, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name) < 0)
		return NULL;
	return s;
}

static int parse_root(struct c_rootfs_plan *p, c_err **err)
{
	_cleanup_free_ char *joined = NULL;
	const char *path;
	json_t *root;

	if (c_json_get(p->config, "", "root", JSON_OBJECT, true, &root, err) < 0 ||
	    get_str(root, "root", "path", true, &path, err) < 0 ||
	    c_json_get_bool(root, "root", "readonly", false, &p->readonly, err) < 0)
		return -1;
	if (path[0] != '/' && !(joined = join_path(p->bundle, path)))
		return oom(err);
	p->root = realpath(joined ? joined : path, NULL);
	if (!p->root)
		return c_err_sys(err, "root.path", joined ? joined : path);
	return 0;
}

static int parse_lowers(struct c_rootfs_plan *p, c_err **err)
{
	static const char field[] = "annotations." C_SPEC_LOWERDIRS_ANNOTATION;
	_cleanup_free_ char *list = NULL;
	const char *value;
	json_t *ann;
	char *dir, *save;

	if (c_json_get(p->config, "", "annotations", JSON_OBJECT, false, &ann, err) < 0 ||
	    (ann &&
	     get_str(ann, "annotations", C_SPEC_LOWERDIRS_ANNOTATION, false, &value, err) < 0))
		return -1;
	if (!ann || !value)
		return 0;
	list = strdup(value);
	p->lowers = calloc(strlen(value) / 2 + 1, sizeof *p->lowers);
	if (!list || !p->lowers)
		return oom(err);
	for (dir = strtok_r(list, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *clean;

		if (check_absolute(dir, field, err) < 0)
			return -1;
		/* The overlay's options are comma-separated. */
		if (strchr(dir, ','))
			return c_err_new(err, C_EXIT_DATA, 0, "field %s: \"%s\": contains a comma",
					 field, dir);
		if (c_path_clean(dir, &clean, err) < 0)
			return -1;
		p->lowers[p->nlowers] = join_path("/", clean);
		free(clean);
		if (!p->lowers[p->nlowers++])
			return oom(err);
	}
	if (!p->nlowers)
		return c_err_new(err, C_EXIT_DATA, 0, "field %s: no directories", field);
	return 0;
}

/* linux.rootfsPropagation, as runc maps it; the default is rprivate. */
static int parse_propagation(struct c_rootfs_plan *p, json_t *lnx, c_err **err)
{
	const struct mount_opt *o;
	const char *name;

	p->propagation = MS_PRIVATE | MS_REC;
	if (get_str(lnx, "linux", "rootfsPropagation", false, &name, err) < 0)
		return -1;
	if (!name)
		return 0;
	o = find_opt(name);
	if (!o || o->kind != K_PROP)
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field linux.rootfsPropagation: unknown propagation \"%s\"", name);
	p->propagation_name = name;
	/* pivot_root(2) refuses a shared "/", and nothing binds from an
	 * unbindable one: those wait for the new root. */
	if (o->value & (MS_SHARED | MS_SLAVE))
		p->propagation = MS_SLAVE | MS_REC;
	if (o->value & (MS_SHARED | MS_UNBINDABLE))
		p->late_propagation = o->value;
	return 0;
}

static int parse_namespaces(struct c_rootfs_plan *p, json_t *lnx, c_err **err)
{
	json_t *nss, *ns;
	size_t i;

	if (c_json_get(lnx, "linux", "namespaces", JSON_ARRAY, false, &nss, err) < 0)
		return -1;
	json_array_foreach(nss, i, ns)
	{
		char where[48];
		const char *type;

		snprintf(where, sizeof where, "linux.namespaces[%zu]", i);
		if (get_str(ns, where, "type", true, &type, err) < 0)
			return -1;
		if (!strcmp(type, "cgroup"))
			p->cgroupns = true;
	}
	return 0;
}

/* Appends opt to *s with a comma. */
static int append_opt(char **s, const char *opt)
{
	char *n;

	if (asprintf(&n, "%s%s%s", *s ? *s : "", *s ? "," : "", opt) < 0)
		return -1;
	free(*s);
	*s = n;
	return 0;
}

static bool is_bind(json_t *opts, const char *type)
{
	json_t *v;
	size_t i;

	if (type && !strcmp(type, "bind"))
		return true;
	json_array_foreach(opts, i, v)
	{
		const struct mount_opt *o = find_opt(json_is_string(v) ? json_string_value(v) : "");

		if (o && o->kind == K_BIND)
			return true;
	}
	return false;
}

static int apply_opt(struct mnt *m, const char *name, const char *where, size_t i, c_err **err)
{
	const struct mount_opt *o = find_opt(name);
	size_t vlen = strlen(C_ROOTFS_VOLUME_COPY);

	if (!strncmp(name, C_ROOTFS_VOLUME_COPY, vlen)) {
		if (m->kind != MNT_BIND || !name[vlen])
			return c_err_new(err, C_EXIT_DATA, 0,
					 "field %s.options[%zu]: \"%s\" wants a volume name and "
					 "a bind mount",
					 where, i, name);
		m->volume = name + vlen;
		return 0;
	}
	if (!o) {
		if (!strncmp(name, "x-", 2))
			return 0;
		if (m->kind == MNT_FS)
			return append_opt(&m->data, name) < 0 ? oom(err) : 0;
		/* the spec passes unknown options to mount(2) as data, which a
		 * bind mount ignores (runc's too: "mode=755" on a bind of /dev) */
		if (m->kind == MNT_BIND && strchr(name, '='))
			return 0;
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field %s.options[%zu]: unknown option \"%s\" for a%s mount",
				 where, i, name, m->kind == MNT_BIND ? " bind" : " cgroup");
	}
	switch (o->kind) {
	case K_SET:
	case K_BIND:
		m->flags |= o->value;
		break;
	case K_CLEAR:
		m->flags &= ~o->value;
		break;
	case K_PROP:
		m->props[m->nprops++] = o->value;
		break;
	case K_RSET:
		m->rattr.set |= o->value;
		m->rattr.clr &= ~o->value;
		break;
	case K_RCLEAR:
		m->rattr.clr |= o->value;
		m->rattr.set &= ~o->value;
		break;
	case K_RATIME:
		m->rattr.set = (m->rattr.set & ~(uint64_t)RA_ATIME) | o->value;
		m->rattr.clr |= RA_ATIME;
		break;
	case K_REFUSED:
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field %s.options[%zu]: option \"%s\" is not supported", where, i,
				 name);
	}
	return 0;
}

static int parse_options(struct mnt *m, json_t *opts, const char *where, c_err **err)
{
	char field[64];
	size_t i;

	snprintf(field, sizeof field, "%s.options", where);
	m->props = calloc(json_array_size(opts) + 1, sizeof *m->props);
	if (!m->props)
		return oom(err);
	for (i = 0; i < json_array_size(opts); i++) {
		const char *name;

		if (str_at(opts, i, field, &name, err) < 0 || apply_opt(m, name, where, i, err) < 0)
			return -1;
		if (append_opt(&m->optstr, name) < 0)
			return oom(err);
	}
	return 0;
}

static int parse_mount(struct c_rootfs_plan *p, struct mnt *m, json_t *obj, size_t i, c_err **err)
{
	char where[32], field[48];
	const char *source;
	json_t *opts;

	snprintf(where, sizeof where, "mounts[%zu]", i);
	snprintf(field, sizeof field, "%s.destination", where);
	if (get_str(obj, where, "destination", true, &m->dest, err) < 0 ||
	    get_str(obj, where, "type", false, &m->type, err) < 0 ||
	    get_str(obj, where, "source", false, &source, err) < 0 ||
	    c_json_get(obj, where, "options", JSON_ARRAY, false, &opts, err) < 0 ||
	    relative_to_root(m->dest, field, &m->rel, err) < 0)
		return -1;
	if (!strcmp(m->rel, "."))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s: must not be the root", field);
	if (is_bind(opts, m->type)) {
		m->kind = MNT_BIND;
		m->flags = MS_BIND;
	} else if (!m->type) {
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.type: missing (not a bind mount)",
				 where);
	} else if (!strcmp(m->type, "cgroup")) {
		m->kind = MNT_CGROUP;
	}
	if (parse_options(m, opts, where, err) < 0)
		return -1;
	if (m->kind != MNT_BIND) {
		m->source = strdup(source ? source : m->type);
	} else if (!source) {
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.source: missing (a bind mount)",
				 where);
	} else {
		m->source = source[0] == '/' ? strdup(source) : join_path(p->bundle, source);
	}
	if (!m->source)
		return oom(err);
	if (m->kind != MNT_BIND && !strcmp(m->rel, "dev"))
		p->own_dev = true;
	return 0;
}

static int parse_mounts(struct c_rootfs_plan *p, c_err **err)
{
	json_t *mounts;

	if (c_json_get(p->config, "", "mounts", JSON_ARRAY, false, &mounts, err) < 0)
		return -1;
	p->mounts = calloc(json_array_size(mounts) + 1, sizeof *p->mounts);
	if (!p->mounts)
		return oom(err);
	for (size_t i = 0; i < json_array_size(mounts); i++) {
		if (parse_mount(p, &p->mounts[i], json_array_get(mounts, i), i, err) < 0) {
			p->nmounts = i + 1; /* for the free */
			return -1;
		}
	}
	p->nmounts = json_array_size(mounts);
	return 0;
}

/* An optional integer field in [0, max]; -1 when absent. */
static int get_uint(json_t *obj, const char *where, const char *key, bool required, long long max,
		    long long *out, c_err **err)
{
	*out = -1;
	if (c_json_get_int(obj, where, key, required, out, err) < 0)
		return -1;
	if (*out < -1 || *out > max || (*out == -1 && json_object_get(obj, key)))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.%s: %lld is out of range 0-%lld",
				 where, key, *out, max);
	return 0;
}

static int parse_device(struct c_rootfs_plan *p, struct dev *d, json_t *obj, size_t i, c_err **err)
{
	long long major, minor, mode;
	char where[40], field[48];
	const char *type;
	mode_t kind;
	bool fifo;

	snprintf(where, sizeof where, "linux.devices[%zu]", i);
	snprintf(field, sizeof field, "%s.path", where);
	if (get_str(obj, where, "path", true, &d->path, err) < 0 ||
	    get_str(obj, where, "type", true, &type, err) < 0 ||
	    relative_to_root(d->path, field, &d->rel, err) < 0)
		return -1;
	if (strlen(type) != 1 || !strchr("cubp", type[0]))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field %s.type: \"%s\": expected \"c\", \"u\", \"b\" or \"p\"",
				 where, type);
	fifo = type[0] == 'p';
	/* major 12 bits, minor 20: the kernel's dev_t */
	if (get_uint(obj, where, "major", !fifo, 0xfff, &major, err) < 0 ||
	    get_uint(obj, where, "minor", !fifo, 0xfffff, &minor, err) < 0 ||
	    get_uint(obj, where, "fileMode", false, 0177777, &mode, err) < 0 ||
	    get_uint(obj, where, "uid", false, UINT32_MAX - 1, &d->uid, err) < 0 ||
	    get_uint(obj, where, "gid", false, UINT32_MAX - 1, &d->gid, err) < 0)
		return -1;
	if (!strcmp(d->rel, "."))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s: must not be the root", field);
	kind = fifo ? S_IFIFO : type[0] == 'b' ? S_IFBLK : S_IFCHR;
	/* Some configs give fileMode with the type bits: type says it. */
	d->mode = kind | (mode_t)(mode < 0 ? 0666 : mode & 07777);
	d->rdev = fifo ? 0 : makedev(major, minor);
	for (size_t k = 0; k < ARRAY_SIZE(default_devs); k++)
		if (!strncmp(d->rel, "dev/", 4) && !strcmp(d->rel + 4, default_devs[k].name))
			p->skip_defaults |= 1u << k;
	return 0;
}

static int parse_devices(struct c_rootfs_plan *p, json_t *lnx, c_err **err)
{
	json_t *devs;

	if (c_json_get(lnx, "linux", "devices", JSON_ARRAY, false, &devs, err) < 0)
		return -1;
	p->devs = calloc(json_array_size(devs) + 1, sizeof *p->devs);
	if (!p->devs)
		return oom(err);
	for (size_t i = 0; i < json_array_size(devs); i++) {
		p->ndevs = i + 1;
		if (parse_device(p, &p->devs[i], json_array_get(devs, i), i, err) < 0)
			return -1;
	}
	return 0;
}

static int parse_paths(json_t *lnx, const char *key, const char ***out, size_t *n, c_err **err)
{
	char field[48];
	json_t *arr;

	snprintf(field, sizeof field, "linux.%s", key);
	if (c_json_get(lnx, "linux", key, JSON_ARRAY, false, &arr, err) < 0)
		return -1;
	*out = calloc(json_array_size(arr) + 1, sizeof **out);
	if (!*out)
		return oom(err);
	for (*n = 0; *n < json_array_size(arr); (*n)++) {
		char item[64];

		snprintf(item, sizeof item, "%s[%zu]", field, *n);
		if (str_at(arr, *n, field, &(*out)[*n], err) < 0 ||
		    check_absolute((*out)[*n], item, err) < 0)
			return -1;
	}
	return 0;
}

/* "net.ipv4.ip_forward" is net/ipv4/ip_forward; a key with slashes is
 * already a path (its dots belong to names, as in "conf/eth0.100/..."). */
static int parse_sysctl(struct sysctl *s, const char *key, json_t *value, c_err **err)
{
	if (!json_is_string(value))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field linux.sysctl.%s: expected string, got %s", key,
				 c_json_type_name(value));
	if (!*key || key[0] == '/' || key[0] == '.' || strstr(key, "..") || strstr(key, "//"))
		return c_err_new(err, C_EXIT_DATA, 0, "field linux.sysctl: bad key \"%s\"", key);
	s->key = key;
	s->value = json_string_value(value);
	if (asprintf(&s->path, "/proc/sys/%s", key) < 0)
		return oom(err);
	if (!strchr(key, '/'))
		for (char *c = s->path + strlen("/proc/sys/"); *c; c++)
			if (*c == '.')
				*c = '/';
	if (strlen(s->value) != json_string_length(value))
		return c_err_new(err, C_EXIT_DATA, 0, "field linux.sysctl.%s: contains a NUL byte",
				 key);
	return 0;
}

static int parse_sysctls(struct c_rootfs_plan *p, json_t *lnx, c_err **err)
{
	json_t *obj, *v;
	const char *key;

	if (c_json_get(lnx, "linux", "sysctl", JSON_OBJECT, false, &obj, err) < 0)
		return -1;
	p->sysctls = calloc(json_object_size(obj) + 1, sizeof *p->sysctls);
	if (!p->sysctls)
		return oom(err);
	json_object_foreach(obj, key, v)
	{
		if (parse_sysctl(&p->sysctls[p->nsysctls++], key, v, err) < 0)
			return -1;
	}
	return 0;
}

/* Made at set-up when missing, as runc does for any config. */
static int parse_cwd(struct c_rootfs_plan *p, c_err **err)
{
	const char *cwd;
	json_t *process;

	if (c_json_get(p->config, "", "process", JSON_OBJECT, false, &process, err) < 0 ||
	    (process && get_str(process, "process", "cwd", false, &cwd, err) < 0))
		return -1;
	if (!process || !cwd)
		return 0;
	return relative_to_root(cwd, "process.cwd", &p->cwd, err);
}

static int parse_linux(struct c_rootfs_plan *p, c_err **err)
{
	json_t *lnx;

	if (c_json_get(p->config, "", "linux", JSON_OBJECT, false, &lnx, err) < 0)
		return -1;
	if (parse_propagation(p, lnx, err) < 0 || parse_namespaces(p, lnx, err) < 0 ||
	    parse_devices(p, lnx, err) < 0 ||
	    parse_paths(lnx, "maskedPaths", &p->masked, &p->nmasked, err) < 0 ||
	    parse_paths(lnx, "readonlyPaths", &p->readonly_paths, &p->nreadonly, err) < 0 ||
	    parse_sysctls(p, lnx, err) < 0)
		return -1;
	return 0;
}

struct c_rootfs_plan *c_rootfs_plan_new(const json_t *config, const char *bundle, c_err **err)
{
	struct c_rootfs_plan *p;

	if (!json_is_object(config)) {
		c_err_new(err, C_EXIT_DATA, 0, "config.json: expected object, got %s",
			  c_json_type_name(config));
		return NULL;
	}
	p = calloc(1, sizeof *p);
	if (!p) {
		oom(err);
		return NULL;
	}
	/* jansson's getters take non-const pointers; nothing here writes. */
	p->config = json_incref((json_t *)config);
	p->bundle = realpath(bundle ? bundle : ".", NULL);
	if (!p->bundle) {
		c_err_sys(err, "bundle", bundle ? bundle : ".");
		goto fail;
	}
	if (parse_root(p, err) < 0 || parse_lowers(p, err) < 0 || parse_mounts(p, err) < 0 ||
	    parse_cwd(p, err) < 0 || parse_linux(p, err) < 0)
		goto fail;
	return p;
fail:
	c_rootfs_plan_free(p);
	return NULL;
}

void c_rootfs_plan_free(struct c_rootfs_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nmounts; i++) {
		free(p->mounts[i].rel);
		free(p->mounts[i].source);
		free(p->mounts[i].data);
		free(p->mounts[i].optstr);
		free(p->mounts[i].props);
	}
	for (size_t i = 0; i < p->ndevs; i++)
		free(p->devs[i].rel);
	for (size_t i = 0; i < p->nsysctls; i++)
		free(p->sysctls[i].path);
	for (size_t i = 0; i < p->nlowers; i++)
		free(p->lowers[i]);
	free(p->lowers);
	free(p->mounts);
	free(p->devs);
	free(p->masked);
	free(p->readonly_paths);
	free(p->sysctls);
	free(p->root);
	free(p->cwd);
	free(p->bundle);
	json_decref(p->config);
	free(p);
}

const char *c_rootfs_plan_root(const struct c_rootfs_plan *p)
{
	return p->root;
}

/* ---- set-up, in the container's child --------------------------------------------- */

struct cgline {
	char *ctrls, *path; /* "cpu,cpuacct" (v1) or "" (v2), "/user.slice" */
};

struct setup {
	const struct c_rootfs_plan *p;
	const struct c_rootfs_opts *o;
	int rootfd;
	struct c_mountinfo mi; /* /proc/self/mountinfo, read when first needed */
	char *cg_text; /* /proc/self/cgroup, likewise */
	struct cgline *cg;
	size_t ncg;
	bool no_mknod; /* mknod(2) was refused: bind the host's nodes */
	bool cgroups_ready; /* opts->before_cgroups has run */
	bool net_ready;	    /* opts->before_net has run */
};

/* The magic link of fd: mount(2) on it reaches exactly that file, whatever
 * happened to its path since it was opened. */
static char *fd_path(char buf[static 32], int fd)
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

/* Hands an error made with a private c_err up, or drops it. */
static int pass_err(c_err **err, c_err **mine)
{
	if (err)
		*err = c_steal_ptr(mine);
	else
		c_err_free(mine);
	return -1;
}

/* "VERB [OBJ on ]DEST[ (options "...")]" with errno. */
static int fail_mount(c_err **err, const struct mnt *m, const char *verb, const char *obj)
{
	return c_err_new(err, C_EXIT_FAIL, errno, "%s %s%s%s%s%s%s", verb, obj ? obj : "",
			 obj ? " on " : "", m->dest, m->optstr ? " (options \"" : "",
			 m->optstr ? m->optstr : "", m->optstr ? "\")" : "");
}

/* A bind remount of target with flags.  A user namespace locks the flags
 * of mounts it inherited; when dropping one is refused (EPERM), try again
 * keeping them, as the kernel allows.  Sets errno. */
static int bind_remount(const char *target, unsigned long flags)
{
	struct statvfs sv;

	flags = MS_BIND | MS_REMOUNT | (flags & REMOUNT_FLAGS);
	if (mount(NULL, target, NULL, flags, NULL) == 0)
		return 0;
	if (errno != EPERM)
		return -1;
	if (statvfs(target, &sv) < 0) {
		errno = EPERM;
		return -1;
	}
	flags |= (sv.f_flag & ST_RDONLY ? MS_RDONLY : 0) | (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) |
		 (sv.f_flag & ST_NODEV ? MS_NODEV : 0) | (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
	/* Without an atime flag a remount keeps the mount's own. */
	return mount(NULL, target, NULL, flags, NULL);
}

/* ---- the host's mounts and cgroups -------------------------------------------------- */

static size_t count_lines(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int load_mountinfo(struct setup *s, c_err **err)
{
	return s->mi.text ? 0 : c_mountinfo_read("/proc/self/mountinfo", &s->mi, err);
}

/* "4:memory:/user.slice", "0::/init.scope" */
static int load_cgroups(struct setup *s, c_err **err)
{
	static const char path[] = "/proc/self/cgroup";
	char *line, *next;

	if (s->cg_text)
		return 0;
	if (c_read_file(path, CGROUP_FILE_MAX, &s->cg_text, NULL, err) < 0)
		return -1;
	s->cg = calloc(count_lines(s->cg_text), sizeof *s->cg);
	if (!s->cg)
		return c_err_sys(err, "read", path);
	for (line = s->cg_text; line && *line; line = next) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!c2)
			continue;
		*c2 = '\0';
		s->cg[s->ncg++] = (struct cgline){ c1 + 1, c2 + 1 };
	}
	return 0;
}

/* Whether the comma-separated list has the n bytes of item as an element. */
static bool has_item(const char *list, const char *item, size_t n)
{
	while (*list) {
		size_t len = strcspn(list, ",");

		if (len == n && !strncmp(list, item, n))
			return true;
		list += len + (list[len] == ',');
	}
	return false;
}

/* The process's cgroup in the v1 hierarchy mounted with options super
 * (whose controllers name it), or in v2 for super NULL. */
static const char *own_cgroup(const struct setup *s, const char *super)
{
	for (size_t i = 0; i < s->ncg; i++) {
		const char *c = s->cg[i].ctrls;
		bool all = super ? *c != '\0' : *c == '\0';

		while (super && all && *c) {
			size_t n = strcspn(c, ",");

			all = has_item(super, c, n);
			c += n + (c[n] == ',');
		}
		if (all)
			return s->cg[i].path;
	}
	return NULL;
}

/* The host directory of cgroup own under the host mount h, or NULL (errno
 * 0) when that mount does not show it. */
static char *cgroup_dir(const struct c_mount *h, const char *own)
{
	size_t n = strcmp(h->root, "/") ? strlen(h->root) : 0;
	char *dir;

	errno = 0;
	if (strncmp(own, h->root, n) || (own[n] && own[n] != '/'))
		return NULL;
	if (asprintf(&dir, "%s%s", h->point, own + n) < 0)
		return NULL;
	return dir;
}

/* The options that pick a v1 hierarchy (controllers, name=, flags), without
 * the superblock's rw/ro and release_agent. */
static char *hierarchy_opts(const char *super)
{
	char *out = NULL, item[256];

	while (*super) {
		size_t n = strcspn(super, ",");

		if (n < sizeof item) {
			memcpy(item, super, n);
			item[n] = '\0';
			if (strcmp(item, "rw") && strcmp(item, "ro") &&
			    strncmp(item, "release_agent=", 14) && append_opt(&out, item) < 0) {
				free(out);
				return NULL;
			}
		}
		super += n + (super[n] == ',');
	}
	return out ? out : strdup("none");
}

/* An fd of the mount just made at m's destination (the fd used to make it
 * is of the directory underneath). */
static int reopen(struct setup *s, const struct mnt *m, c_err **err)
{
	int fd = c_path_open_in_root(s->rootfd, m->rel, O_PATH, 0, err);

	if (fd < 0)
		c_err_wrap(err, "open %s after mounting", m->dest);
	return fd;
}

/* One v1 hierarchy h at target (a fresh directory in our tmpfs). */
static int cgroup_hierarchy(struct setup *s, const struct mnt *m, const struct c_mount *h,
			    const char *target, const char *name, c_err **err)
{
	_cleanup_free_ char *data = NULL, *dir = NULL;
	const char *own;

	if (s->p->cgroupns) {
		/* Mounted in a cgroup namespace, a hierarchy shows the
		 * namespace's root: the container's own cgroup. */
		data = hierarchy_opts(h->super);
		if (!data || mount("cgroup", target, "cgroup", m->flags, data) < 0)
			return c_err_new(err, C_EXIT_FAIL, errno ? errno : ENOMEM,
					 "mount cgroup (options \"%s\") on %s/%s", data ? data : "",
					 m->dest, name);
		return 0;
	}
	own = own_cgroup(s, h->super);
	dir = own ? cgroup_dir(h, own) : NULL;
	if (!dir && errno)
		return c_err_sys(err, "mount cgroups on", m->dest);
	if (!dir)
		return 0; /* the host's mount does not show our cgroup: leave it empty */
	if (mount(dir, target, NULL, MS_BIND, NULL) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "bind mount %s on %s/%s", dir, m->dest,
				 name);
	if ((m->flags & REMOUNT_FLAGS) && bind_remount(target, m->flags) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "remount %s/%s (options \"%s\")", m->dest,
				 name, m->optstr ? m->optstr : "");
	return 0;
}

/* "cpu,cpuacct" is also reachable as cpu and as cpuacct, as on the host. */
static int merged_links(int dirfd, const char *name, const struct mnt *m, c_err **err)
{
	char item[NAME_MAX + 1];

	for (const char *c = name; *c;) {
		size_t n = strcspn(c, ",");

		snprintf(item, sizeof item, "%.*s", (int)n, c);
		if (symlinkat(name, dirfd, item) < 0 && errno != EEXIST)
			return c_err_new(err, C_EXIT_FAIL, errno, "symlink %s/%s", m->dest, item);
		c += n + (c[n] == ',');
	}
	return 0;
}

/* A tmpfs with a directory per v1 hierarchy of the host. */
static int mount_cgroup_v1(struct setup *s, const struct mnt *m, int fd, c_err **err)
{
	_cleanup_close_ int tfd = -1;
	char target[32], sub[64 + NAME_MAX];

	if (!s->p->cgroupns && load_cgroups(s, err) < 0)
		return -1;
	/* Read-only at the end, once the hierarchies are in. */
	if (mount("tmpfs", fd_path(target, fd), "tmpfs", m->flags & ~MS_RDONLY, "mode=755") < 0)
		return fail_mount(err, m, "mount", "tmpfs");
	tfd = reopen(s, m, err);
	if (tfd < 0)
		return -1;
	for (size_t i = 0; i < s->mi.n; i++) {
		const struct c_mount *h = &s->mi.m[i];
		const char *name = strrchr(h->point, '/') + 1;

		if (strcmp(h->fstype, "cgroup") || !*name)
			continue;
		if (mkdirat(tfd, name, 0755) < 0) {
			if (errno == EEXIST) /* a hierarchy the host mounts twice */
				continue;
			return c_err_new(err, C_EXIT_FAIL, errno, "mkdir %s/%s", m->dest, name);
		}
		snprintf(sub, sizeof sub, "/proc/self/fd/%d/%s", tfd, name);
		if (cgroup_hierarchy(s, m, h, sub, name, err) < 0 ||
		    (strchr(name, ',') && merged_links(tfd, name, m, err) < 0))
			return -1;
	}
	if ((m->flags & MS_RDONLY) && bind_remount(fd_path(target, tfd), m->flags) < 0)
		return fail_mount(err, m, "remount", NULL);
	return 0;
}

/* The process's cgroup2 directory: in a cgroup namespace (or where the
 * host has no cgroup2 mount to bind from) a fresh mount shows it. */
static int mount_cgroup_v2(struct setup *s, const struct mnt *m, int fd, c_err **err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int top = -1;
	const struct c_mount *host = NULL;
	char target[32];
	const char *own;

	for (size_t i = 0; !host && i < s->mi.n; i++)
		if (!strcmp(s->mi.m[i].fstype, "cgroup2"))
			host = &s->mi.m[i];
	fd_path(target, fd);
	if (s->p->cgroupns || !host) {
		if (mount("cgroup2", target, "cgroup2", m->flags, NULL) < 0)
			return fail_mount(err, m, "mount", "cgroup2");
		return 0;
	}
	if (load_cgroups(s, err) < 0)
		return -1;
	errno = 0;
	own = own_cgroup(s, NULL);
	dir = own ? cgroup_dir(host, own) : NULL;
	if (!dir)
		return c_err_new(
			err, C_EXIT_FAIL, errno ? errno : ENOENT,
			"mount cgroups on %s: the host's cgroup2 mount at %s does not show "
			"this process's cgroup %s",
			m->dest, host->point, own ? own : "(none)");
	if (mount(dir, target, NULL, MS_BIND, NULL) < 0)
		return fail_mount(err, m, "bind mount", dir);
	top = reopen(s, m, err);
	if (top < 0)
		return -1;
	if ((m->flags & REMOUNT_FLAGS) && bind_remount(fd_path(target, top), m->flags) < 0)
		return fail_mount(err, m, "remount", NULL);
	return 0;
}

static int mount_cgroup(struct setup *s, const struct mnt *m, int fd, c_err **err)
{
	if (load_mountinfo(s, err) < 0)
		return -1;
	for (size_t i = 0; i < s->mi.n; i++)
		if (!strcmp(s->mi.m[i].fstype, "cgroup"))
			return mount_cgroup_v1(s, m, fd, err);
	return mount_cgroup_v2(s, m, fd, err);
}

/* ---- mounts[] --------------------------------------------------------------------- */

/* The usual missing mount point, /dev/pts in a fresh tmpfs, has a parent:
 * a mkdir there takes half the steps of mkdir -p.  -1 for anything else,
 * which mkdir -p then sorts out (and reports). */
static int mkdir_last(struct setup *s, const char *rel)
{
	const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
	_cleanup_free_ char *parent = slash ? strndup(rel, (size_t)(slash - rel)) : NULL;
	_cleanup_close_ int pfd = -1;
	int dirfd = s->rootfd;

	if (slash) {
		pfd = parent ? c_path_open_in_root(s->rootfd, parent, O_PATH | O_DIRECTORY, 0, NULL)
			     : -1;
		if (pfd < 0)
			return -1;
		dirfd = pfd;
	}
	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return -1;
	return openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The directory at rel in the root, made when missing. */
static int mountpoint_dir(struct setup *s, const char *rel, c_err **err)
{
	c_err *mine = NULL;
	int fd = c_path_open_in_root(s->rootfd, rel, O_PATH | O_DIRECTORY, 0, &mine);

	if (fd >= 0)
		return fd;
	if (mine->errnum != ENOENT)
		return pass_err(err, &mine);
	c_err_free(&mine);
	fd = mkdir_last(s, rel);
	if (fd >= 0)
		return fd;
	return c_path_mkdir_p_in_root(s->rootfd, rel, 0755, err);
}

/* The file at rel in the root, made empty when missing. */
static int mountpoint_file(struct setup *s, const char *rel, c_err **err)
{
	const char *slash = strrchr(rel, '/');
	c_err *mine = NULL;
	int fd = c_path_open_in_root(s->rootfd, rel, O_PATH, 0, &mine);

	if (fd >= 0)
		return fd;
	if (mine->errnum != ENOENT)
		return pass_err(err, &mine);
	c_err_free(&mine);
	if (slash) {
		_cleanup_free_ char *parent = strndup(rel, (size_t)(slash - rel));

		if (!parent)
			return c_err_sys(err, "mkdir", rel);
		fd = c_path_mkdir_p_in_root(s->rootfd, parent, 0755, err);
		if (fd < 0)
			return -1;
		close(fd);
	}
	/* Not blocking on a FIFO that someone may have put there since. */
	return c_path_open_in_root(s->rootfd, rel, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY, 0644,
				   err);
}

/* What only the finished mount can be given: a bind's flags, propagation,
 * recursive attributes. */
static int finish_mount(struct setup *s, const struct mnt *m, c_err **err)
{
	bool remount = m->kind == MNT_BIND && (m->flags & REMOUNT_FLAGS);
	bool rattr = m->rattr.set || m->rattr.clr;
	_cleanup_close_ int top = -1;
	char target[32];

	if (!remount && !m->nprops && !rattr)
		return 0;
	top = reopen(s, m, err);
	if (top < 0)
		return -1;
	fd_path(target, top);
	if (remount && bind_remount(target, m->flags) < 0)
		return fail_mount(err, m, "remount", NULL);
	for (size_t i = 0; i < m->nprops; i++)
		if (mount(NULL, target, NULL, m->props[i], NULL) < 0)
			return fail_mount(err, m, "set the propagation of", NULL);
	if (rattr && syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &m->rattr,
			     sizeof m->rattr) < 0)
		return fail_mount(err, m, "set the recursive attributes of", NULL);
	return 0;
}

/* The caller's hook, once. */
static int run_hook(struct setup *s, int (*hook)(void *, c_err **), bool *ran, c_err **err)
{
	if (!hook || *ran)
		return 0;
	*ran = true;
	return hook(s->o->arg, err);
}

static int do_mount(struct setup *s, const struct mnt *m, c_err **err)
{
	_cleanup_close_ int fd = -1;
	char target[32];
	struct stat st;
	bool file = false;

	if ((m->kind == MNT_CGROUP &&
	     run_hook(s, s->o->before_cgroups, &s->cgroups_ready, err) < 0) ||
	    (m->kind == MNT_FS && !strcmp(m->type, "sysfs") &&
	     run_hook(s, s->o->before_net, &s->net_ready, err) < 0))
		return -1;
	if (m->volume && c_volume_fill(m->volume, m->source, s->rootfd, m->rel, err) < 0)
		return -1;
	if (m->kind == MNT_BIND) {
		if (stat(m->source, &st) < 0)
			return fail_mount(err, m, "bind mount", m->source);
		file = !S_ISDIR(st.st_mode);
	}
	fd = file ? mountpoint_file(s, m->rel, err) : mountpoint_dir(s, m->rel, err);
	if (fd < 0)
		return c_err_wrap(err, "mount point %s", m->dest);
	fd_path(target, fd);
	switch (m->kind) {
	case MNT_CGROUP:
		if (mount_cgroup(s, m, fd, err) < 0)
			return -1;
		break;
	case MNT_BIND:
		if (mount(m->source, target, NULL, m->flags & (MS_BIND | MS_REC), NULL) < 0)
			return fail_mount(err, m, "bind mount", m->source);
		break;
	case MNT_FS:
		if (mount(m->source, target, m->type, m->flags, m->data) < 0)
			return fail_mount(err, m, "mount", m->type);
		break;
	}
	return finish_mount(s, m, err);
}

/* ---- the root ----------------------------------------------------------------------- */

/* The length of the deepest directory that holds every lower dir; 0 for "/". */
static size_t common_parent(char *const *dirs, size_t n)
{
	size_t len = (size_t)(strrchr(dirs[0], '/') - dirs[0]);

	for (size_t i = 1; i < n; i++)
		while (len && (strncmp(dirs[i], dirs[0], len) || dirs[i][len] != '/'))
			do
				len--;
			while (len && dirs[0][len] != '/');
	return len;
}

/* Overlay's options, each lower dir without its first skip bytes. */
static char *overlay_data(const struct c_rootfs_plan *p, size_t skip, const char *upper,
			  const char *work)
{
	size_t len = sizeof "lowerdir=" +
		     (upper ? sizeof ",upperdir=,workdir=" + strlen(upper) + strlen(work) : 0);
	char *data, *w;

	for (size_t i = 0; i < p->nlowers; i++)
		len += strlen(p->lowers[i] + skip) + 1;
	data = w = malloc(len);
	if (!data)
		return NULL;
	w += sprintf(w, "lowerdir=");
	for (size_t i = 0; i < p->nlowers; i++)
		w += sprintf(w, "%s%s", i ? ":" : "", p->lowers[i] + skip);
	if (upper)
		sprintf(w, ",upperdir=%s,workdir=%s", upper, work);
	return data;
}

/* A lone lower dir without an upper one: overlay wants two; a read-only
 * bind mount shows the same. */
static int bind_lower(const struct c_rootfs_plan *p, c_err **err)
{
	if (mount(p->lowers[0], p->root, NULL, MS_BIND, NULL) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "bind mount the layer %s on %s",
				 p->lowers[0], p->root);
	if (bind_remount(p->root, MS_RDONLY) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "remount %s read-only", p->root);
	return 0;
}

static int mount_overlay(struct setup *s, c_err **err)
{
	const struct c_rootfs_plan *p = s->p;
	const char *upper = s->o->upper, *work = s->o->work;
	size_t max = (size_t)sysconf(_SC_PAGESIZE) - 1;
	_cleanup_free_ char *data = NULL;

	if (!upper != !work || (upper && (strchr(upper, ',') || strchr(work, ','))))
		return c_err_new(err, C_EXIT_FAIL, EINVAL,
				 "overlay root %s: the upper and work dirs go together, "
				 "without commas",
				 p->root);
	if (!upper && p->nlowers == 1)
		return bind_lower(p, err);
	data = overlay_data(p, 0, upper, work);
	if (data && strlen(data) > max) {
		/* The mount's data is a page: name the layers from their
		 * common parent, which the kernel resolves from our cwd. */
		size_t len = common_parent(p->lowers, p->nlowers);
		_cleanup_free_ char *parent = len ? strndup(p->lowers[0], len) : strdup("/");

		free(data);
		data = parent ? overlay_data(p, len + 1, upper, work) : NULL;
		if (data && strlen(data) <= max && chdir(parent) < 0)
			return c_err_sys(err, "chdir to the layers' parent", parent);
	}
	if (!data)
		return c_err_new(err, C_EXIT_FAIL, ENOMEM, "mount overlay on %s", p->root);
	if (strlen(data) > max)
		return c_err_new(err, C_EXIT_FAIL, E2BIG,
				 "mount overlay on %s: %zu lower dirs need %zu bytes of options, "
				 "more than the kernel's %zu",
				 p->root, p->nlowers, strlen(data), max);
	if (mount("overlay", p->root, "overlay", upper ? 0 : MS_RDONLY, data) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "mount overlay on %s (options \"%s\")",
				 p->root, data);
	return 0;
}

static int mount_root(struct setup *s, c_err **err)
{
	const struct c_rootfs_plan *p = s->p;

	if (p->nlowers) {
		if (mount_overlay(s, err) < 0)
			return -1;
	} else if (s->o->upper || s->o->work) {
		return c_err_new(err, C_EXIT_FAIL, EINVAL,
				 "root %s: an overlay upper dir, but no annotation %s", p->root,
				 C_SPEC_LOWERDIRS_ANNOTATION);
	} else if (mount(p->root, p->root, NULL, MS_BIND | MS_REC, NULL) < 0) {
		/* pivot_root(2) wants a mount point */
		return c_err_new(err, C_EXIT_FAIL, errno, "bind mount the root %s on itself",
				 p->root);
	}
	s->rootfd = openat(AT_FDCWD, p->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0)
		return c_err_sys(err, "open the root", p->root);
	return 0;
}

/* ---- /dev ----------------------------------------------------------------------------- */

/* Binds the host's node at path (the same path) onto dirfd/name. */
static int bind_node(int dirfd, const char *name, const char *path, c_err **err)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	_cleanup_close_ int fd = openat(dirfd, name, flags, 0644);
	char target[32];

	if (fd < 0 && errno == EEXIST && unlinkat(dirfd, name, 0) == 0)
		fd = openat(dirfd, name, flags, 0644);
	if (fd < 0)
		return c_err_sys(err, "create", path);
	if (mount(path, fd_path(target, fd), NULL, MS_BIND, NULL) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno,
				 "bind mount the host's %s on %s (mknod refused)", path, path);
	return 0;
}

/* Makes the node dirfd/name (path in messages); 1 when mknod made it, 0
 * when the host's was bound instead. */
static int make_node(struct setup *s, int dirfd, const char *name, const char *path, mode_t mode,
		     dev_t rdev, c_err **err)
{
	if (!s->no_mknod || S_ISFIFO(mode)) {
		int r = mknodat(dirfd, name, mode, rdev);

		if (r < 0 && errno == EEXIST && unlinkat(dirfd, name, 0) == 0)
			r = mknodat(dirfd, name, mode, rdev);
		if (r == 0)
			return 1;
		/* FIFOs need no privilege: EPERM there is something else */
		if (errno != EPERM || S_ISFIFO(mode))
			return c_err_new(err, C_EXIT_FAIL, errno, "mknod %s (%u:%u)", path,
					 major(rdev), minor(rdev));
		s->no_mknod = true;
	}
	return bind_node(dirfd, name, path, err) < 0 ? -1 : 0;
}

/* An O_PATH fd of rel's directory (made when missing); *base its last name. */
static int open_parent(struct setup *s, const char *rel, const char **base, c_err **err)
{
	const char *slash = strrchr(rel, '/');
	_cleanup_free_ char *parent = slash ? strndup(rel, (size_t)(slash - rel)) : NULL;

	*base = slash ? slash + 1 : rel;
	if (slash && !parent)
		return c_err_sys(err, "mkdir", rel);
	return c_path_mkdir_p_in_root(s->rootfd, parent ? parent : ".", 0755, err);
}

static int make_config_devices(struct setup *s, c_err **err)
{
	for (size_t i = 0; i < s->p->ndevs; i++) {
		const struct dev *d = &s->p->devs[i];
		_cleanup_close_ int dirfd = -1;
		const char *base;
		int made;

		dirfd = open_parent(s, d->rel, &base, err);
		if (dirfd < 0)
			return c_err_wrap(err, "device %s", d->path);
		made = make_node(s, dirfd, base, d->path, d->mode, d->rdev, err);
		if (made < 0)
			return -1;
		/* A bound node is the host's: its owner stays. */
		if (made && (d->uid >= 0 || d->gid >= 0) &&
		    fchownat(dirfd, base, (uid_t)d->uid, (gid_t)d->gid, AT_SYMLINK_NOFOLLOW) < 0)
			return c_err_sys(err, "chown", d->path);
	}
	return 0;
}

static const struct {
	const char *name, *target;
} dev_links[] = {
	{ "fd", "/proc/self/fd" },	 { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" },		 { "core", "/proc/kcore" },
};

static int make_dev_links(int devfd, c_err **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++) {
		const char *name = dev_links[i].name, *target = dev_links[i].target;
		int r;

		/* runc's rule: /dev/core only where the host has a kcore */
		if (!strcmp(name, "core") && access("/proc/kcore", F_OK) < 0)
			continue;
		r = symlinkat(target, devfd, name);
		/* ptmx must lead to our devpts; the others may stay as they are */
		if (r < 0 && errno == EEXIST && !strcmp(name, "ptmx") &&
		    unlinkat(devfd, name, 0) == 0)
			r = symlinkat(target, devfd, name);
		if (r < 0 && errno != EEXIST)
			return c_err_new(err, C_EXIT_FAIL, errno, "symlink /dev/%s -> %s", name,
					 target);
	}
	return 0;
}

static int make_own_dev(struct setup *s, c_err **err)
{
	_cleanup_close_ int devfd =
		c_path_open_in_root(s->rootfd, "dev", O_PATH | O_DIRECTORY, 0, err);
	char path[32];

	if (devfd < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(default_devs); i++) {
		if (s->p->skip_defaults & (1u << i))
			continue;
		snprintf(path, sizeof path, "/dev/%s", default_devs[i].name);
		if (make_node(s, devfd, default_devs[i].name, path, S_IFCHR | 0666,
			      makedev(default_devs[i].major, default_devs[i].minor), err) < 0)
			return -1;
	}
	if (make_config_devices(s, err) < 0)
		return -1;
	return make_dev_links(devfd, err);
}

static int make_devices(struct setup *s, c_err **err)
{
	/* The config gives the nodes' modes in full. */
	mode_t mask = umask(0);
	int r = s->p->own_dev ? make_own_dev(s, err) : make_config_devices(s, err);

	umask(mask);
	if (r < 0 || !s->o->console)
		return r;
	_cleanup_close_ int fd = mountpoint_file(s, "dev/console", err);
	char target[32];

	if (fd < 0)
		return c_err_wrap(err, "console");
	if (mount(s->o->console, fd_path(target, fd), NULL, MS_BIND, NULL) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno,
				 "bind mount the console %s on /dev/console", s->o->console);
	return 0;
}

/* The working directory, inside the mounts as the process will see it;
 * before root.readonly can refuse it.  0755 whatever our umask, as docker
 * and runc make it. */
static int make_cwd(struct setup *s, c_err **err)
{
	mode_t mask;
	int fd;

	if (!s->p->cwd)
		return 0;
	mask = umask(022);
	fd = c_path_mkdir_p_in_root(s->rootfd, s->p->cwd, 0755, err);
	umask(mask);
	if (fd < 0)
		return c_err_wrap(err, "working directory (process.cwd)");
	close(fd);
	return 0;
}

/* ---- into the root ----------------------------------------------------------------------- */

static int pivot(struct setup *s, c_err **err)
{
	if (fchdir(s->rootfd) < 0)
		return c_err_sys(err, "chdir", s->p->root);
	/* The old root ends up stacked on the new one, at "."; detaching it
	 * there needs no directory for it in the image. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return c_err_sys(err, "pivot_root to", s->p->root);
	if (umount2(".", MNT_DETACH) < 0)
		return c_err_sys(err, "detach the old root from", s->p->root);
	if (chdir("/") < 0)
		return c_err_sys(err, "chdir", "/");
	return 0;
}

/* Whether mount point mp must stay when the root moves: "/", the mounts on
 * the way to the root, the root and what is under it. */
static bool keep_mount(const char *mp, const char *root)
{
	size_t n = strlen(mp), r = strlen(root);

	if (!strcmp(mp, "/"))
		return true;
	if (n <= r)
		return !strncmp(root, mp, n) && (root[n] == '/' || !root[n]);
	return !strncmp(mp, root, r) && mp[r] == '/';
}

/* For roots pivot_root(2) refuses (an initramfs): the host's mounts would
 * stay in the namespace under the moved root, reachable by a chroot
 * escape, so they are detached first. */
static int move_root(struct setup *s, c_err **err)
{
	if (load_mountinfo(s, err) < 0)
		return -1;
	for (size_t i = s->mi.n; i-- > 0;) {
		const char *mp = s->mi.m[i].point;

		if (keep_mount(mp, s->p->root))
			continue;
		/* EINVAL, ENOENT: gone with a mount detached before */
		if (umount2(mp, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			return c_err_sys(err, "detach the host's mount", mp);
	}
	if (fchdir(s->rootfd) < 0)
		return c_err_sys(err, "chdir", s->p->root);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return c_err_sys(err, "move the root onto / from", s->p->root);
	if (chroot(".") < 0)
		return c_err_sys(err, "chroot", s->p->root);
	if (chdir("/") < 0)
		return c_err_sys(err, "chdir", "/");
	return 0;
}

/* ---- after the pivot ------------------------------------------------------------------- */

static int write_sysctl(const struct sysctl *sc, c_err **err)
{
	_cleanup_close_ int fd = open(sc->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0 || c_write_all(fd, sc->value, strlen(sc->value)) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "set sysctl %s to \"%s\": %s", sc->key,
				 sc->value, sc->path);
	return 0;
}

static int readonly_path(const char *path, c_err **err)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return 0;
		return c_err_new(err, C_EXIT_FAIL, errno, "bind mount readonly path %s", path);
	}
	if (bind_remount(path, MS_RDONLY) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "remount readonly path %s read-only",
				 path);
	return 0;
}

/* *empty_dir: the first directory masked, whose empty read-only tmpfs the
 * others get too (bound: a superblock fewer to make, and to tear down when
 * the container ends). */
static int mask_path(const char *path, const char **empty_dir, c_err **err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return c_err_sys(err, "mask", path);
	}
	if (S_ISDIR(st.st_mode) && *empty_dir) {
		if (mount(*empty_dir, path, NULL, MS_BIND, NULL) < 0)
			return c_err_new(err, C_EXIT_FAIL, errno,
					 "mask %s with the empty tmpfs of %s", path, *empty_dir);
	} else if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			return c_err_new(err, C_EXIT_FAIL, errno, "mask %s with an empty tmpfs",
					 path);
		*empty_dir = path;
	} else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
		return c_err_new(err, C_EXIT_FAIL, errno, "mask %s with /dev/null", path);
	}
	return 0;
}

static int finish_root(const struct c_rootfs_plan *p, c_err **err)
{
	const char *empty_dir = NULL;

	if (p->late_propagation && mount(NULL, "/", NULL, p->late_propagation, NULL) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno,
				 "set the propagation of / (linux.rootfsPropagation \"%s\")",
				 p->propagation_name);
	/* sysctls first: /proc/sys is usually among the read-only paths */
	for (size_t i = 0; i < p->nsysctls; i++)
		if (write_sysctl(&p->sysctls[i], err) < 0)
			return -1;
	for (size_t i = 0; i < p->nreadonly; i++)
		if (readonly_path(p->readonly_paths[i], err) < 0)
			return -1;
	for (size_t i = 0; i < p->nmasked; i++)
		if (mask_path(p->masked[i], &empty_dir, err) < 0)
			return -1;
	if (p->readonly && bind_remount("/", MS_RDONLY) < 0)
		return c_err_sys(err, "remount read-only", "/");
	return 0;
}

/* Step 1 in the host's own mount namespace would change the host's
 * propagation; a caller that forgot unshare(CLONE_NEWNS) is told so.
 * (Where pid 1's namespace cannot be looked at, as in a user namespace,
 * nothing is known and nothing said.) */
static int check_own_namespace(c_err **err)
{
	struct stat self, init;

	if (stat("/proc/self/ns/mnt", &self) == 0 && stat("/proc/1/ns/mnt", &init) == 0 &&
	    self.st_ino == init.st_ino && self.st_dev == init.st_dev)
		return c_err_new(err, C_EXIT_FAIL, EINVAL,
				 "set up the root: still in the mount namespace of pid 1");
	return 0;
}

static int setup(struct setup *s, c_err **err)
{
	const struct c_rootfs_plan *p = s->p;

	if (check_own_namespace(err) < 0)
		return -1;
	/* The cgroup mounts need the host's hierarchies, which the mounts
	 * to come leave as they are: read now, while what others make for
	 * the caller (its cgroup, its network namespace) may not be ready,
	 * rather than between joining the cgroup and the exec. */
	for (size_t i = 0; i < p->nmounts; i++)
		if (p->mounts[i].kind == MNT_CGROUP && load_mountinfo(s, err) < 0)
			return -1;
	if (mount(NULL, "/", NULL, p->propagation, NULL) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "make / %s",
				 p->propagation & MS_SLAVE ? "rslave" : "rprivate");
	if (mount_root(s, err) < 0)
		return -1;
	for (size_t i = 0; i < p->nmounts; i++)
		if (do_mount(s, &p->mounts[i], err) < 0)
			return -1;
	if (make_devices(s, err) < 0 || make_cwd(s, err) < 0 ||
	    run_hook(s, s->o->before_net, &s->net_ready, err) < 0)
		return -1;
	if ((s->o->no_pivot ? move_root(s, err) : pivot(s, err)) < 0)
		return -1;
	return finish_root(p, err);
}

int c_rootfs_setup(const struct c_rootfs_plan *plan, const struct c_rootfs_opts *opts, c_err **err)
{
	static const struct c_rootfs_opts none;
	struct setup s = { .p = plan, .o = opts ? opts : &none, .rootfd = -1 };
	int r = setup(&s, err);

	if (s.rootfd >= 0)
		close(s.rootfd);
	c_mountinfo_free(&s.mi);
	free(s.cg_text);
	free(s.cg);
	return r;
}

json_t *c_rootfs_features(void)
{
	json_t *names = json_array();

	for (size_t i = 0; names && i < sizeof mount_opts / sizeof mount_opts[0]; i++)
		if (mount_opts[i].kind != K_REFUSED &&
		    json_array_append_new(names, json_string(mount_opts[i].name)) < 0) {
			json_decref(names);
			return NULL;
		}
	return names;
}
