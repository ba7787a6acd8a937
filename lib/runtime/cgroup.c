#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices.h"
#include "file.h"
#include "json.h"
#include "mountinfo.h"
#include "path.h"

#define RES "linux.resources"

#define VALUE_MAX (64 << 10)
#define PROCS_MAX (16 << 20)
/* rmdir is retried this many times, 10 ms apart, while processes exit. */
#define RMDIR_TRIES 200
/* How long, in ms, the v1 freezer gets to reach FROZEN before the kill goes
 * ahead anyway (a task in uninterruptible sleep keeps it FREEZING). */
#define FREEZE_WAIT_MS 1000
/* Passes over cgroup.procs before a kill gives up on processes still
 * forking. */
#define KILL_PASSES 100

enum ctrl { CPU, CPUACCT, CPUSET, MEMORY, PIDS, DEVICES, FREEZER, NCTRL };

static const char *const ctrl_names[NCTRL] = {
	[CPU] = "cpu",	 [CPUACCT] = "cpuacct", [CPUSET] = "cpuset",   [MEMORY] = "memory",
	[PIDS] = "pids", [DEVICES] = "devices", [FREEZER] = "freezer",
};

#define BIT(c) (1u << (c))

/* The v2 controllers we enable, in the kernel's order. */
static const enum ctrl v2_ctrls[] = { CPUSET, CPU, MEMORY, PIDS };

static const char *proc_root = "/proc";
static bool fake_tree;

void c_cgroup_test_proc_root(const char *root)
{
	proc_root = root ? root : "/proc";
	fake_tree = root != NULL;
}

/* ---- layout -------------------------------------------------------------- */

struct hier {
	unsigned ctrls; /* v1: ours mounted here; v2: ours its root offers */
	char *mnt;	/* mount point, without a trailing slash ("" for "/") */
	char *root;	/* the hierarchy's directory mounted there */
};

struct layout {
	enum c_cgroup_version version;
	size_t n;
	struct hier h[NCTRL];
};

static void layout_free(struct layout *lo)
{
	for (size_t i = 0; i < lo->n; i++) {
		free(lo->h[i].mnt);
		free(lo->h[i].root);
	}
	lo->n = 0;
}

static int oom(c_err **err)
{
	return c_err_new(err, C_EXIT_FAIL, ENOMEM, "cgroup: out of memory");
}

/* Our controllers among the names in list, separated by any of seps. */
static unsigned ctrl_bits(const char *list, const char *seps)
{
	unsigned bits = 0;

	while (*list) {
		size_t len = strcspn(list, seps);

		for (int c = 0; c < NCTRL; c++)
			if (strlen(ctrl_names[c]) == len && !strncmp(list, ctrl_names[c], len))
				bits |= BIT(c);
		list += len;
		list += strspn(list, seps);
	}
	return bits;
}

static int add_hier(struct layout *lo, unsigned ctrls, const char *mnt, const char *root)
{
	struct hier *h = &lo->h[lo->n];
	size_t len;

	h->mnt = strdup(mnt);
	h->root = strdup(root);
	if (!h->mnt || !h->root) {
		free(h->mnt);
		free(h->root);
		return -1;
	}
	len = strlen(h->mnt);
	while (len > 0 && h->mnt[len - 1] == '/')
		h->mnt[--len] = '\0';
	h->ctrls = ctrls;
	lo->n++;
	return 0;
}

/* One mount: a cgroup mount adds the controllers of ours that no earlier
 * mount had; the first cgroup2 mount is remembered. */
static int add_mount(const struct c_mount *m, struct layout *lo, unsigned *seen,
		     const struct c_mount **v2)
{
	if (!strcmp(m->fstype, "cgroup")) {
		unsigned bits = ctrl_bits(m->super, ",") & ~*seen;

		if (!bits)
			return 0;
		*seen |= bits;
		return add_hier(lo, bits, m->point, m->root);
	}
	if (!strcmp(m->fstype, "cgroup2") && !*v2)
		*v2 = m;
	return 0;
}

/* The controllers of ours that a v2 hierarchy's root offers. */
static int v2_offered(struct hier *h, c_err **err)
{
	_cleanup_free_ char *path = NULL, *text = NULL;

	if (asprintf(&path, "%s/cgroup.controllers", h->mnt) < 0)
		return oom(err);
	if (c_read_file(path, VALUE_MAX, &text, NULL, err) < 0)
		return -1;
	h->ctrls = ctrl_bits(text, " \n");
	return 0;
}

static int detect(struct layout *lo, c_err **err)
{
	_cleanup_free_ char *path = NULL;
	struct c_mountinfo mi;
	const struct c_mount *v2 = NULL;
	unsigned seen = 0;
	int rc = 0;

	memset(lo, 0, sizeof *lo);
	if (asprintf(&path, "%s/self/mountinfo", proc_root) < 0)
		return oom(err);
	if (c_mountinfo_read(path, &mi, err) < 0)
		return -1;
	for (size_t i = 0; i < mi.n && rc == 0; i++)
		rc = add_mount(&mi.m[i], lo, &seen, &v2);
	if (rc < 0) {
		rc = oom(err);
	} else if (lo->n) {
		lo->version = C_CGROUP_V1;
	} else if (!v2) {
		rc = c_err_new(err, C_EXIT_FAIL, 0, "find cgroups: %s: no cgroup or cgroup2 mount",
			       path);
	} else {
		lo->version = C_CGROUP_V2;
		if (add_hier(lo, 0, v2->point, v2->root) < 0)
			rc = oom(err);
		else
			rc = v2_offered(&lo->h[0], err);
	}
	c_mountinfo_free(&mi);
	if (rc < 0)
		layout_free(lo);
	return rc;
}

int c_cgroup_detect(enum c_cgroup_version *out, c_err **err)
{
	struct layout lo;

	if (detect(&lo, err) < 0)
		return -1;
	*out = lo.version;
	layout_free(&lo);
	return 0;
}

/* The cgroups of a process in each hierarchy of lo, from /proc/WHO/cgroup
 * ("ID:CONTROLLERS:PATH"; v2's is "0::PATH"); paths[i] stays NULL for a
 * hierarchy it does not list. */
static int proc_cgroups(const char *who, const struct layout *lo, char **paths, c_err **err)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	char *next;

	if (asprintf(&path, "%s/%s/cgroup", proc_root, who) < 0)
		return oom(err);
	if (c_read_file(path, VALUE_MAX, &text, NULL, err) < 0)
		return -1;
	for (char *line = text; line && *line; line = next) {
		char *ctrls = strchr(line, ':'), *cgpath = ctrls ? strchr(ctrls + 1, ':') : NULL;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!cgpath)
			continue;
		*ctrls++ = '\0';
		*cgpath++ = '\0';
		for (size_t i = 0; i < lo->n; i++) {
			bool match = lo->version == C_CGROUP_V2
					 ? !strcmp(line, "0") && !*ctrls
					 : ctrl_bits(ctrls, ",") & lo->h[i].ctrls;

			if (match && !paths[i] && !(paths[i] = strdup(cgpath)))
				return oom(err);
		}
	}
	return 0;
}

static void free_paths(char **paths)
{
	for (size_t i = 0; i < NCTRL; i++)
		free(paths[i]);
}

/* The directory of cgroup cgpath (as /proc/PID/cgroup has it) in h. */
static char *dir_of(const struct hier *h, const char *cgpath, c_err **err)
{
	size_t rl = strlen(h->root);
	const char *rel = cgpath;
	char *dir;

	if (strcmp(h->root, "/")) {
		if (strncmp(cgpath, h->root, rl) || (cgpath[rl] && cgpath[rl] != '/')) {
			c_err_new(err, C_EXIT_FAIL, 0, "cgroup %s: outside the mount at %s (of %s)",
				  cgpath, *h->mnt ? h->mnt : "/", h->root);
			return NULL;
		}
		rel += rl;
	}
	rel += strspn(rel, "/");
	if (asprintf(&dir, "%s%s%s", h->mnt, *rel ? "/" : "", rel) < 0) {
		oom(err);
		return NULL;
	}
	return dir;
}

/* ---- control files ------------------------------------------------------- */

/* Keeps errno for write_pair(). */
static int write_error(c_err **err, const char *path, const char *value)
{
	int e = errno;

	c_err_new(err, e == ENOENT ? C_EXIT_NOTFOUND : C_EXIT_FAIL, e, "write %s: \"%s\"", path,
		  value);
	errno = e;
	return -1;
}

/* A control file, opened for writing value (named in the message when
 * it cannot be); *path for cg_put()'s messages. */
static int cg_open(const char *dir, const char *file, const char *value, char **path,
		   c_err **err)
{
	int fd;

	if (asprintf(path, "%s/%s", dir, file) < 0) {
		*path = NULL;
		return oom(err);
	}
	/* openat: musl's open() follows O_CLOEXEC with an fcntl(2) for
	 * kernels older than 2.6.23, one syscall more for each of the
	 * dozens of writes of a container's start */
	fd = openat(AT_FDCWD, *path, O_WRONLY | O_TRUNC | O_CLOEXEC | (fake_tree ? O_CREAT : 0),
		    0644);
	if (fd < 0)
		return write_error(err, *path, value);
	return fd;
}

/* One write(2) of the whole value, as cgroup files want it; an fd takes
 * any number of them (the kernel reads one device rule a write). */
static int cg_put(int fd, const char *path, const char *value, c_err **err)
{
	size_t len = strlen(value);
	ssize_t n;

	do
		n = pwrite(fd, value, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return write_error(err, path, value);
	if ((size_t)n != len) {
		errno = EIO;
		return write_error(err, path, value);
	}
	/* a fake tree's plain file keeps the last value, as cgroupfs shows it */
	if (fake_tree && ftruncate(fd, (off_t)len) < 0)
		return write_error(err, path, value);
	return 0;
}

static int cg_write(const char *dir, const char *file, const char *value, c_err **err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = cg_open(dir, file, value, &path, err);

	return fd < 0 ? -1 : cg_put(fd, path, value, err);
}

/* A control file's text without the trailing newline; a file that is not
 * there reads as empty when missing_ok. */
static int cg_read(const char *dir, const char *file, bool missing_ok, size_t max, char **out,
		   c_err **err)
{
	_cleanup_free_ char *path = NULL;
	size_t len;

	c_err *mine = NULL;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return oom(err);
	if (c_read_file(path, max, out, &len, &mine) < 0) {
		if (missing_ok && mine->errnum == ENOENT) {
			c_err_free(&mine);
			return (*out = strdup("")) ? 0 : oom(err);
		}
		if (err)
			*err = mine;
		else
			c_err_free(&mine);
		return -1;
	}
	while (len > 0 && (*out)[len - 1] == '\n')
		(*out)[--len] = '\0';
	return 0;
}

static bool has_file(const char *dir, const char *file)
{
	char path[PATH_MAX];

	return snprintf(path, sizeof path, "%s/%s", dir, file) < (int)sizeof path &&
	       access(path, F_OK) == 0;
}

/* Two files the kernel checks against each other (memory and memory+swap
 * limits, CFS period and quota): first then second, or the other way round
 * when the first is refused as invalid against the second's current value.
 * Either value may be NULL for "leave alone". */
static int write_pair(const char *dir, const char *f1, const char *v1, const char *f2,
		      const char *v2, c_err **err)
{
	if (v1 && cg_write(dir, f1, v1, err) < 0) {
		if (!v2 || errno != EINVAL)
			return -1;
		c_err_free(err);
		if (cg_write(dir, f2, v2, err) < 0)
			return -1;
		return cg_write(dir, f1, v1, err);
	}
	return v2 ? cg_write(dir, f2, v2, err) : 0;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The cgroups directly below dir (full paths, NULL-terminated); none when
 * dir is gone. */
static char **subdirs(const char *dir, c_err **err)
{
	char **v = calloc(1, sizeof *v), **nv;
	size_t n = 0;
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (!v) {
		oom(err);
		return NULL;
	}
	/* A directory's link count is 2 plus its subdirectories on cgroupfs
	 * (kernfs), as on tmpfs and ext4 (the tests' fake trees): 2 spares the
	 * scan of the dozens of control files, where most cgroups have no
	 * child.  Filesystems that do not count say 1, and are scanned. */
	if (stat(dir, &st) == 0 && st.st_nlink == 2)
		return v;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return v;
		c_err_sys(err, "open cgroup", dir);
		free(v);
		return NULL;
	}
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		nv = realloc(v, (n + 2) * sizeof *v);
		if (!nv)
			goto fail;
		v = nv;
		if (asprintf(&v[n], "%s/%s", dir, e->d_name) < 0)
			goto fail;
		v[++n] = NULL;
	}
	closedir(d);
	return v;
fail:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	oom(err);
	return NULL;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* rmdir, waiting out EBUSY while the last processes leave. */
static int rmdir_wait(const char *dir, c_err **err)
{
	for (int i = 0;; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || i == RMDIR_TRIES)
			return c_err_sys(err, "remove cgroup", dir);
		pause_ms(10);
	}
}

/* dir and every cgroup below it, deepest first. */
static int remove_tree(const char *dir, c_err **err)
{
	char **subs = subdirs(dir, err);
	int rc = 0;

	if (!subs)
		return -1;
	for (size_t i = 0; subs[i] && rc == 0; i++)
		rc = remove_tree(subs[i], err);
	free_strv(subs);
	return rc < 0 ? -1 : rmdir_wait(dir, err);
}

/* ---- the handle ---------------------------------------------------------- */

struct res {
	long long limit, reservation, swap; /* 0: unset, -1: unlimited */
	long long kernel, kernel_tcp;       /* v1's kmem limits, likewise */
	long long swappiness;               /* -1: unset */
	bool disable_oom;
	long long shares, quota, period; /* 0: unset */
	const char *cpus, *mems;
	bool has_pids;
	long long pids;
	size_t nrules;
	struct c_dev_rule *rules;
};

static void res_free(struct res *r)
{
	free(r->rules);
}


struct hdir {
	unsigned ctrls;
	char *mnt;  /* the hierarchy's mount point */
	char *base; /* what the path is relative to */
	char *dir;  /* the cgroup, NULL when absent from this hierarchy */
	int made;   /* trailing components of dir made by this handle */
};

struct c_cgroup {
	enum c_cgroup_version version;
	size_t n;
	struct hdir h[NCTRL];
	char *path;	/* as given, for messages */
	struct res res; /* what c_cgroup_make() applies; its strings are the config's */
};

void c_cgroup_free(struct c_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n; i++) {
		free(cg->h[i].mnt);
		free(cg->h[i].base);
		free(cg->h[i].dir);
	}
	free(cg->path);
	res_free(&cg->res);
	free(cg);
}

static void cgroup_freep(struct c_cgroup **cg)
{
	c_cgroup_free(*cg);
}

static void layout_freep(struct layout *lo)
{
	layout_free(lo);
}

static void paths_freep(char *(*paths)[NCTRL])
{
	free_paths(*paths);
}

enum c_cgroup_version c_cgroup_version(const struct c_cgroup *cg)
{
	return cg->version;
}

const char *c_cgroup_dir(const struct c_cgroup *cg, const char *controller)
{
	if (cg->version == C_CGROUP_V2)
		return cg->n ? cg->h[0].dir : NULL;
	for (size_t i = 0; i < cg->n; i++)
		if (controller && (cg->h[i].ctrls & ctrl_bits(controller, ",")))
			return cg->h[i].dir;
	return NULL;
}

static const char *dir_for(const struct c_cgroup *cg, enum ctrl c)
{
	return c_cgroup_dir(cg, ctrl_names[c]);
}

/* cgroupsPath → *rel, cleaned and relative; *absolute when it started at the
 * root. */
static int check_path(const char *path, bool *absolute, char **rel, c_err **err)
{
	const char *p = path;

	if (!path || !*path)
		return c_err_new(err, C_EXIT_DATA, 0, "cgroupsPath: empty");
	if (strchr(path, ':'))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "cgroupsPath \"%s\": systemd's slice:prefix:name form is not "
				 "supported",
				 path);
	while (*p) {
		size_t len = strcspn(p, "/");

		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return c_err_new(err, C_EXIT_DATA, 0,
					 "cgroupsPath \"%s\": \".\" and \"..\" are not allowed",
					 path);
		p += len;
		p += strspn(p, "/");
	}
	if (c_path_clean(path, rel, err) < 0)
		return -1;
	if (!strcmp(*rel, "."))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "cgroupsPath \"%s\": the root cgroup cannot be a container's",
				 path);
	*absolute = path[0] == '/';
	return 0;
}

/* Where path lives in each hierarchy of this machine. */
static struct c_cgroup *resolve(const char *path, c_err **err)
{
	__attribute__((cleanup(layout_freep))) struct layout lo = { 0 };
	__attribute__((cleanup(paths_freep))) char *own[NCTRL] = { 0 };
	__attribute__((cleanup(cgroup_freep))) struct c_cgroup *cg = NULL;
	_cleanup_free_ char *rel = NULL;
	bool absolute = false;

	if (check_path(path, &absolute, &rel, err) < 0 || detect(&lo, err) < 0)
		return NULL;
	if (!absolute && proc_cgroups("self", &lo, own, err) < 0)
		return NULL;
	cg = calloc(1, sizeof *cg);
	if (!cg) {
		oom(err);
		return NULL;
	}
	cg->version = lo.version;
	for (size_t i = 0; i < lo.n; i++) {
		struct hdir *h = &cg->h[cg->n++];

		h->ctrls = lo.h[i].ctrls;
		if (!absolute && !own[i]) {
			c_err_new(
			    err, C_EXIT_FAIL, 0,
			    "cgroupsPath \"%s\": our own cgroup in the hierarchy at %s is not "
			    "in %s/self/cgroup",
			    path, lo.h[i].mnt, proc_root);
			return NULL;
		}
		h->mnt = strdup(lo.h[i].mnt);
		if (!h->mnt) {
			oom(err);
			return NULL;
		}
		/* the spec: an absolute path is from the mount point, even where
		 * the mount shows a cgroup below the hierarchy's root */
		if (absolute && !(h->base = strdup(lo.h[i].mnt))) {
			oom(err);
			return NULL;
		}
		if (!absolute && !(h->base = dir_of(&lo.h[i], own[i], err)))
			return NULL;
		if (asprintf(&h->dir, "%s/%s", h->base, rel) < 0) {
			h->dir = NULL;
			oom(err);
			return NULL;
		}
	}
	return c_steal_ptr(&cg);
}

/* mkdir -p of h->dir below h->base, counting the trailing components made
 * here.  A parent that vanishes meanwhile (another runtime removing the
 * shared parent it made) makes it start over; one that someone else made
 * meanwhile is theirs, and so is everything above it. */
static int make_dirs(struct hdir *h, c_err **err)
{
	_cleanup_free_ char *p = strdup(h->dir);
	size_t start = strlen(h->base) + 1;

	if (!p)
		return oom(err);
	for (int attempt = 0;; attempt++) {
		char *s = p + start, *slash;
		bool vanished = false;

		h->made = 0;
		do {
			slash = strchr(s, '/');
			if (slash)
				*slash = '\0';
			if (mkdir(p, 0755) == 0)
				h->made++;
			else if (errno == EEXIST)
				h->made = 0;
			else if (errno == ENOENT && attempt < 5)
				vanished = true;
			else
				goto fail;
			if (slash)
				*slash = '/';
			s = slash + 1;
		} while (slash && !vanished);
		if (!vanished)
			return 0;
	}
fail:
	c_err_sys(err, "create cgroup", p);
	/* p ends at the component that failed: those made are just above it */
	for (; h->made > 0; h->made--) {
		*strrchr(p, '/') = '\0';
		rmdir(p);
	}
	return -1;
}

/* Calls step(parent, child) for each directory of dir below top, top down. */
static int walk_down(const char *top, const char *dir,
		     int (*step)(const char *parent, const char *child, void *arg, c_err **err),
		     void *arg, c_err **err)
{
	_cleanup_free_ char *parent = strdup(dir), *child = strdup(dir);
	size_t at = strlen(top);

	if (!parent || !child)
		return oom(err);
	while (dir[at] == '/') {
		const char *end = strchr(dir + at + 1, '/');
		size_t next = end ? (size_t)(end - dir) : strlen(dir);

		parent[at] = '\0';
		memcpy(child, dir, next);
		child[next] = '\0';
		if (step(parent, child, arg, err) < 0)
			return -1;
		memcpy(parent, dir, next);
		at = next;
	}
	return 0;
}

/* A v1 cpuset starts with no CPUs and no memory nodes and refuses every
 * process until it has some: each directory on the way down from h->base
 * to h->dir gets its parent's, the value handed down rather than read
 * again.  The directories this handle made are written without a look
 * (they are new: empty, or their parent's already when it has
 * cgroup.clone_children); the others only when they have none. */
static int fill_cpusets(const struct hdir *h, c_err **err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	const char *dir = h->dir;
	char *above[2] = { NULL, NULL };
	size_t at = strlen(h->base), levels = 0;
	int rc = 0;

	for (const char *c = dir + at; *c; c++)
		levels += *c == '/';
	for (size_t level = 0; rc == 0 && dir[at] == '/'; level++) {
		const char *end = strchr(dir + at + 1, '/');
		size_t next = end ? (size_t)(end - dir) : strlen(dir);
		_cleanup_free_ char *parent = strndup(dir, at), *child = strndup(dir, next);
		bool made = level + (size_t)h->made >= levels;

		if (!parent || !child)
			rc = oom(err);
		for (size_t i = 0; rc == 0 && i < 2; i++) {
			char *have = NULL;

			if (!made && (rc = cg_read(child, files[i], true, VALUE_MAX, &have, err)) < 0)
				break;
			if (have && *have) {
				free(above[i]);
				above[i] = have;
				continue;
			}
			free(have);
			/* the parent's, read when first needed */
			if (!above[i])
				rc = cg_read(parent, files[i], false, VALUE_MAX, &above[i], err);
			if (rc == 0)
				rc = cg_write(child, files[i], above[i], err);
		}
		at = next;
	}
	free(above[0]);
	free(above[1]);
	return rc;
}

/* "+cpuset +cpu ..." for the v2 controllers in ctrls. */
static void v2_enable_list(unsigned ctrls, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof v2_ctrls / sizeof v2_ctrls[0]; i++)
		if (ctrls & BIT(v2_ctrls[i]))
			n += (size_t)snprintf(buf + n, size - n, "%s+%s", n ? " " : "",
					      ctrl_names[v2_ctrls[i]]);
}

/* The v2 controllers to enable below each directory (ctrls), and those the
 * resources need (need). */
struct v2_enable {
	unsigned ctrls, need;
};

/* Enables e->ctrls in parent's cgroup.subtree_control, in one write.  Where
 * parent holds processes the kernel refuses it with EBUSY (the
 * no-internal-process rule: a path below the runtime's own cgroup, or a
 * runtime in a container whose cgroup namespace's root holds its init).
 * Then nothing is enabled here and below when the resources need none of
 * them, as runc does (enabling the threaded controllers alone would make
 * parent a thread root, where no process can join a cgroup below), and the
 * refusal is the error when they need one.  Where the kernel refuses a
 * controller for another reason, the others are enabled one by one: one
 * the resources do not need is left out here and below; one they need is
 * the error. */
static int enable_v2(const char *parent, const char *child, void *arg, c_err **err)
{
	struct v2_enable *e = arg;
	c_err *first = NULL;
	char list[64];

	(void)child;
	v2_enable_list(e->ctrls, list, sizeof list);
	if (!*list || cg_write(parent, "cgroup.subtree_control", list, &first) == 0)
		return 0;
	if (first && first->errnum == EBUSY) {
		if (e->ctrls & e->need) {
			if (err)
				*err = first;
			else
				c_err_free(&first);
			return -1;
		}
		c_err_free(&first);
		e->ctrls = 0;
		return 0;
	}
	c_err_free(&first);
	for (size_t i = 0; i < sizeof v2_ctrls / sizeof v2_ctrls[0]; i++) {
		unsigned bit = BIT(v2_ctrls[i]);
		bool needed = e->need & bit;

		if (!(e->ctrls & bit))
			continue;
		v2_enable_list(bit, list, sizeof list);
		if (cg_write(parent, "cgroup.subtree_control", list, needed ? err : NULL) == 0)
			continue;
		if (needed)
			return -1;
		e->ctrls &= ~bit;
	}
	return 0;
}

static int make_all(struct c_cgroup *cg, unsigned need, c_err **err)
{
	for (size_t i = 0; i < cg->n; i++) {
		struct hdir *h = &cg->h[i];
		struct v2_enable e = { h->ctrls, need };

		if (make_dirs(h, err) < 0)
			return -1;
		if (cg->version == C_CGROUP_V1 && (h->ctrls & BIT(CPUSET)) &&
		    fill_cpusets(h, err) < 0)
			return -1;
		if (cg->version == C_CGROUP_V2 && walk_down(h->mnt, h->dir, enable_v2, &e, err) < 0)
			return -1;
	}
	return 0;
}

/* The parents this handle made above the leaf, once the leaf is gone. */
static int remove_parents(const struct hdir *h, c_err **err)
{
	_cleanup_free_ char *p = NULL;

	if (h->made < 2)
		return 0;
	p = strdup(h->dir);
	if (!p)
		return oom(err);
	for (int i = 1; i < h->made; i++) {
		*strrchr(p, '/') = '\0';
		if (rmdir(p) == 0 || errno == ENOENT)
			continue;
		/* another container's cgroup is in it: it stays theirs */
		if (errno == EBUSY || errno == ENOTEMPTY)
			break;
		return c_err_sys(err, "remove cgroup", p);
	}
	return 0;
}

/* The leaf, what was made below it, and the parents this handle made. */
static int remove_made(struct hdir *h, c_err **err)
{
	if (!h->dir)
		return 0;
	if (remove_tree(h->dir, err) < 0)
		return -1;
	return remove_parents(h, err);
}

int c_cgroup_destroy(struct c_cgroup *cg, c_err **err)
{
	int rc = 0;

	for (size_t i = 0; i < cg->n; i++)
		if (remove_made(&cg->h[i], rc < 0 ? NULL : err) < 0)
			rc = -1;
	return rc;
}

int c_cgroup_remove(struct c_cgroup *cg, c_err **err)
{
	bool busy = false;
	int rc = 0;

	for (size_t i = 0; i < cg->n; i++) {
		struct hdir *h = &cg->h[i];

		if (!h->dir)
			continue;
		if (rmdir(h->dir) < 0 && errno != ENOENT) {
			/* processes, or cgroups below it: for the kill */
			if (errno == EBUSY) {
				busy = true;
				continue;
			}
			c_err_sys(rc < 0 ? NULL : err, "remove cgroup", h->dir);
			rc = -1;
			continue;
		}
		if (remove_parents(h, rc < 0 ? NULL : err) < 0)
			rc = -1;
		/* gone from this hierarchy: nothing left there to kill or remove */
		free(h->dir);
		h->dir = NULL;
	}
	if (!busy)
		return rc;
	if (c_cgroup_kill(cg, SIGKILL, rc < 0 ? NULL : err) < 0)
		rc = -1;
	if (c_cgroup_destroy(cg, rc < 0 ? NULL : err) < 0)
		rc = -1;
	return rc;
}

/* ---- resources ----------------------------------------------------------- */

/* An optional integer, at least min; 0 when absent. */
static int opt_int(json_t *obj, const char *where, const char *key, long long min,
		   const char *expected, long long *out, c_err **err)
{
	json_t *v;

	*out = 0;
	if (c_json_get_present(obj, where, key, JSON_INTEGER, &v, err) < 0)
		return -1;
	if (v)
		*out = json_integer_value(v);
	if (*out < min)
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.%s: %lld: expected %s", where, key,
				 *out, expected);
	return 0;
}

static int opt_str(json_t *obj, const char *where, const char *key, const char **out, c_err **err)
{
	json_t *v;

	*out = NULL;
	if (c_json_get_present(obj, where, key, JSON_STRING, &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	if (strlen(json_string_value(v)) != json_string_length(v))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.%s: contains a NUL byte", where,
				 key);
	*out = json_string_value(v);
	return 0;
}

static int parse_memory(json_t *res, struct res *r, c_err **err)
{
	static const char where[] = RES ".memory", bytes[] = "bytes, or -1 for unlimited";
	json_t *mem, *v;

	if (c_json_get_present(res, RES, "memory", JSON_OBJECT, &mem, err) < 0)
		return -1;
	if (!mem)
		return 0;
	if (opt_int(mem, where, "limit", -1, bytes, &r->limit, err) < 0 ||
	    opt_int(mem, where, "reservation", -1, bytes, &r->reservation, err) < 0 ||
	    opt_int(mem, where, "swap", -1, bytes, &r->swap, err) < 0 ||
	    opt_int(mem, where, "kernel", -1, bytes, &r->kernel, err) < 0 ||
	    opt_int(mem, where, "kernelTCP", -1, bytes, &r->kernel_tcp, err) < 0 ||
	    c_json_get_present(mem, where, "disableOOMKiller", JSON_TRUE, &v, err) < 0)
		return -1;
	r->disable_oom = json_is_true(v);
	if (c_json_get_present(mem, where, "swappiness", JSON_INTEGER, &v, err) < 0)
		return -1;
	r->swappiness = v ? json_integer_value(v) : -1;
	if (v && (r->swappiness < 0 || r->swappiness > 100))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.swappiness: %lld: expected 0 to 100",
				 where, r->swappiness);
	if (r->swap > 0 && r->limit <= 0)
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.swap: %lld: needs memory.limit",
				 where, r->swap);
	if (r->swap > 0 && r->swap < r->limit)
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field %s.swap: %lld: below memory.limit %lld (swap is memory "
				 "+ swap)",
				 where, r->swap, r->limit);
	return 0;
}

static int parse_cpu(json_t *res, struct res *r, c_err **err)
{
	static const char where[] = RES ".cpu";
	json_t *cpu;

	if (c_json_get_present(res, RES, "cpu", JSON_OBJECT, &cpu, err) < 0)
		return -1;
	if (opt_int(cpu, where, "shares", 0, "a positive number", &r->shares, err) < 0 ||
	    opt_int(cpu, where, "quota", -1, "microseconds, or -1 for none", &r->quota, err) < 0 ||
	    opt_int(cpu, where, "period", 0, "microseconds", &r->period, err) < 0 ||
	    opt_str(cpu, where, "cpus", &r->cpus, err) < 0 ||
	    opt_str(cpu, where, "mems", &r->mems, err) < 0)
		return -1;
	return 0;
}

static int parse_pids(json_t *res, struct res *r, c_err **err)
{
	json_t *pids, *v;

	if (c_json_get_present(res, RES, "pids", JSON_OBJECT, &pids, err) < 0)
		return -1;
	if (!pids)
		return 0;
	if (c_json_get(pids, RES ".pids", "limit", JSON_INTEGER, true, &v, err) < 0)
		return -1;
	r->has_pids = true;
	r->pids = json_integer_value(v);
	return 0;
}

static int parse_devices(json_t *res, struct res *r, c_err **err)
{
	json_t *devices, *rule;
	size_t i;

	if (c_json_get_present(res, RES, "devices", JSON_ARRAY, &devices, err) < 0)
		return -1;
	if (!devices || !json_array_size(devices))
		return 0;
	r->rules = calloc(json_array_size(devices), sizeof *r->rules);
	if (!r->rules)
		return oom(err);
	json_array_foreach(devices, i, rule)
	{
		char where[64];

		snprintf(where, sizeof where, RES ".devices[%zu]", i);
		if (c_dev_rule_from_json(rule, where, &r->rules[i], err) < 0)
			return -1;
		r->nrules++;
	}
	return 0;
}

/* The spec: what a runtime cannot apply is an error, not a container
 * without it.  Empty objects and arrays ask for nothing. */
static int refuse_unapplied(json_t *res, c_err **err)
{
	static const char *const whole[] = { "blockIO", "hugepageLimits", "network", "rdma",
					     "unified" };
	static const char *const cpu_keys[] = { "realtimeRuntime", "realtimePeriod", "burst",
						"idle" };
	json_t *cpu = json_object_get(res, "cpu"), *v;

	for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
		v = json_object_get(res, whole[i]);
		if (v && !json_is_null(v) &&
		    ((!json_is_object(v) && !json_is_array(v)) || json_object_size(v) ||
		     json_array_size(v)))
			return c_err_new(err, C_EXIT_DATA, 0,
					 "field " RES ".%s: not supported by c-run", whole[i]);
	}
	for (size_t i = 0; i < sizeof cpu_keys / sizeof cpu_keys[0]; i++) {
		v = json_object_get(cpu, cpu_keys[i]);
		if (v && !json_is_null(v))
			return c_err_new(err, C_EXIT_DATA, 0,
					 "field " RES ".cpu.%s: not supported by c-run", cpu_keys[i]);
	}
	return 0;
}

static int parse_res(json_t *res, struct res *r, c_err **err)
{
	memset(r, 0, sizeof *r);
	r->swappiness = -1;
	if (!res || json_is_null(res))
		return 0;
	if (!json_is_object(res))
		return c_err_new(err, C_EXIT_DATA, 0, "field " RES ": expected object, got %s",
				 c_json_type_name(res));
	if (parse_memory(res, r, err) < 0 || parse_cpu(res, r, err) < 0 ||
	    parse_pids(res, r, err) < 0 || parse_devices(res, r, err) < 0 ||
	    refuse_unapplied(res, err) < 0)
		return -1;
	return 0;
}

static const char *num(char buf[24], long long v)
{
	snprintf(buf, 24, "%lld", v);
	return buf;
}

static bool wants_memory(const struct res *r)
{
	return r->limit || r->reservation || r->swap || r->disable_oom || r->kernel ||
	       r->kernel_tcp || r->swappiness >= 0;
}

static bool wants_cpu(const struct res *r)
{
	return r->shares || r->quota || r->period;
}

/* The files that are the same on v1 and v2. */
static int cpuset_pids(const char *cpuset, const char *pids, const struct res *r, c_err **err)
{
	char a[24];

	if ((r->cpus && cg_write(cpuset, "cpuset.cpus", r->cpus, err) < 0) ||
	    (r->mems && cg_write(cpuset, "cpuset.mems", r->mems, err) < 0))
		return -1;
	if (r->has_pids &&
	    cg_write(pids, "pids.max", r->pids > 0 ? num(a, r->pids) : "max", err) < 0)
		return -1;
	return 0;
}

/* A swap limit the kernel would not keep is refused rather than left out:
 * the container would run with none. */
static int no_swap_accounting(const char *dir, const char *file, c_err **err)
{
	return c_err_new(err, C_EXIT_FAIL, 0,
			 "apply " RES ".memory.swap: this kernel keeps no swap accounting (no %s/%s)",
			 dir, file);
}

static int v1_memory(const char *dir, const struct res *r, c_err **err)
{
	char a[24], b[24];

	if (r->swap && !has_file(dir, "memory.memsw.limit_in_bytes"))
		return no_swap_accounting(dir, "memory.memsw.limit_in_bytes", err);
	if (write_pair(dir, "memory.limit_in_bytes", r->limit ? num(a, r->limit) : NULL,
		       "memory.memsw.limit_in_bytes", r->swap ? num(b, r->swap) : NULL, err) < 0)
		return -1;
	if (r->reservation &&
	    cg_write(dir, "memory.soft_limit_in_bytes", num(a, r->reservation), err) < 0)
		return -1;
	if ((r->kernel && cg_write(dir, "memory.kmem.limit_in_bytes", num(a, r->kernel), err) < 0) ||
	    (r->kernel_tcp &&
	     cg_write(dir, "memory.kmem.tcp.limit_in_bytes", num(a, r->kernel_tcp), err) < 0) ||
	    (r->swappiness >= 0 &&
	     cg_write(dir, "memory.swappiness", num(a, r->swappiness), err) < 0))
		return -1;
	return r->disable_oom ? cg_write(dir, "memory.oom_control", "1", err) : 0;
}

/* The rules a container's cgroup gets, in the order they are applied:
 * every device denied, the config's rules, then c-run's defaults, which come
 * last so that a config starting with docker's "deny all" cannot take them
 * away.  i runs from 0 to nrules + c_dev_ndefaults. */
static const struct c_dev_rule *device_rule(const struct res *r, size_t i)
{
	static const struct c_dev_rule deny_all = { false, C_DEV_ALL, C_DEV_ANY, C_DEV_ANY,
						    C_DEV_RWM };

	return i == 0 ? &deny_all : i <= r->nrules ? &r->rules[i - 1]
						   : &c_dev_defaults[i - 1 - r->nrules];
}

static size_t ndevice_rules(const struct res *r)
{
	return 1 + r->nrules + c_dev_ndefaults;
}

/* What the rules leave, as the v1 controller keeps it. */
static int device_policy(const struct res *r, struct c_dev_policy *p, c_err **err)
{
	*p = (struct c_dev_policy){ 0 };
	for (size_t i = 0; i < ndevice_rules(r); i++)
		if (c_dev_policy_add(p, device_rule(r, i), err) < 0) {
			c_dev_policy_free(p);
			return -1;
		}
	return 0;
}

/* One open of devices.allow and of devices.deny for all the rules. */
static int v1_devices(const char *dir, const struct res *r, c_err **err)
{
	static const char *const files[] = { "devices.deny", "devices.allow" };
	char *path[2] = { NULL, NULL };
	int fd[2] = { -1, -1 }, rc = 0;

	for (size_t i = 0; rc == 0 && i < ndevice_rules(r); i++) {
		const struct c_dev_rule *rule = device_rule(r, i);
		char value[C_DEV_RULE_TEXT];

		c_dev_rule_text(rule, value);
		if (fd[rule->allow] < 0 &&
		    (fd[rule->allow] = cg_open(dir, files[rule->allow], value, &path[rule->allow],
					       err)) < 0)
			rc = -1;
		else
			rc = cg_put(fd[rule->allow], path[rule->allow], value, err);
	}
	for (size_t i = 0; i < 2; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		free(path[i]);
	}
	return rc;
}

static int apply_v1(const struct c_cgroup *cg, const struct res *r, c_err **err)
{
	const char *mem = dir_for(cg, MEMORY), *cpu = dir_for(cg, CPU);
	const char *cpuset = dir_for(cg, CPUSET), *pids = dir_for(cg, PIDS);
	const char *devices = dir_for(cg, DEVICES);
	char a[24], b[24];

	if (wants_memory(r) && v1_memory(mem, r, err) < 0)
		return -1;
	if (r->shares && cg_write(cpu, "cpu.shares", num(a, r->shares), err) < 0)
		return -1;
	if ((r->period || r->quota) &&
	    write_pair(cpu, "cpu.cfs_period_us", r->period ? num(a, r->period) : NULL,
		       "cpu.cfs_quota_us", r->quota ? num(b, r->quota) : NULL, err) < 0)
		return -1;
	if (cpuset_pids(cpuset, pids, r, err) < 0)
		return -1;
	/* no controller: check_ctrls() found the rules allow every device */
	return devices ? v1_devices(devices, r, err) : 0;
}

/* ln(m) for m in [1, 2), by the series of atanh((m - 1) / (m + 1)). */
static double ln_1_2(double m)
{
	double t = (m - 1) / (m + 1), t2 = t * t, term = t, sum = 0;

	for (int k = 1; k < 60; k += 2, term *= t2)
		sum += term / k;
	return 2 * sum;
}

/* cpu.weight from cpu.shares (see cgroup.h).  Without libm, which the host
 * build does not link: log2 and 10^x by series, exact where the formula's
 * exponent is a whole number (1, 100, 10000 at the ends and the default). */
static unsigned long long shares_to_weight(unsigned long long shares)
{
	static const double ln2 = 0.69314718055994530942, ln10 = 2.30258509299404568402;
	double l, e, f, p = 1, term = 1;
	int k, whole;

	shares = shares < 2 ? 2 : shares > 262144 ? 262144 : shares;
	k = 63 - __builtin_clzll(shares);
	l = k + ln_1_2((double)shares / (double)(1ULL << k)) / ln2;
	e = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
	whole = (int)e;
	f = (e - whole) * ln10;
	for (int i = 1; i < 40; i++) {
		term *= f / i;
		p += term;
	}
	while (whole-- > 0)
		p *= 10;
	return (unsigned long long)p + ((double)(unsigned long long)p < p);
}

static const char *v2_size(char buf[24], long long v)
{
	return v == -1 ? "max" : num(buf, v);
}

static int v2_memory(const char *dir, const struct res *r, c_err **err)
{
	char a[24];

	if (r->swap && !has_file(dir, "memory.swap.max"))
		return no_swap_accounting(dir, "memory.swap.max", err);
	if (r->limit && cg_write(dir, "memory.max", v2_size(a, r->limit), err) < 0)
		return -1;
	if (r->swap && cg_write(dir, "memory.swap.max",
				r->swap == -1 ? "max" : num(a, r->swap - r->limit), err) < 0)
		return -1;
	if (r->reservation && cg_write(dir, "memory.low", v2_size(a, r->reservation), err) < 0)
		return -1;
	return 0;
}

/* The device rules as a BPF program on the cgroup.  On the unit tests'
 * fake tree, whose directories are plain ones, the rules the program would
 * enforce are written to a file instead, one a line. */
static int v2_devices(const char *dir, const struct res *r, c_err **err)
{
	struct c_dev_policy p;
	_cleanup_close_ int fd = -1;
	int rc;

	if (fake_tree) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		if (!f)
			return oom(err);
		for (size_t i = 0; i < ndevice_rules(r); i++) {
			char rule[C_DEV_RULE_TEXT];
			const struct c_dev_rule *d = device_rule(r, i);

			fprintf(f, "%s %s\n", d->allow ? "allow" : "deny", c_dev_rule_text(d, rule));
		}
		if (fclose(f) != 0)
			return oom(err);
		return cg_write(dir, "c-tools.devices", text, err);
	}
	if (device_policy(r, &p, err) < 0)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = fd < 0 ? c_err_sys(err, "open cgroup", dir) : c_dev_attach(fd, dir, &p, err);
	c_dev_policy_free(&p);
	return rc < 0 ? c_err_wrap(err, "apply " RES ".devices") : 0;
}

static int apply_v2(const struct c_cgroup *cg, const struct res *r, c_err **err)
{
	const char *dir = cg->h[0].dir;
	char a[24], max[48];

	if (wants_memory(r) && v2_memory(dir, r, err) < 0)
		return -1;
	if (r->shares &&
	    cg_write(dir, "cpu.weight",
		     num(a, (long long)shares_to_weight((unsigned long long)r->shares)), err) < 0)
		return -1;
	if (r->quota > 0)
		snprintf(max, sizeof max, "%lld %lld", r->quota, r->period ? r->period : 100000);
	else
		snprintf(max, sizeof max, "max %lld", r->period ? r->period : 100000);
	if ((r->quota || r->period) && cg_write(dir, "cpu.max", max, err) < 0)
		return -1;
	if (cpuset_pids(dir, dir, r, err) < 0)
		return -1;
	return v2_devices(dir, r, err);
}

/* The controllers r needs. */
static unsigned needed_ctrls(const struct res *r)
{
	return (wants_memory(r) ? BIT(MEMORY) : 0) | (wants_cpu(r) ? BIT(CPU) : 0) |
	       (r->cpus || r->mems ? BIT(CPUSET) : 0) | (r->has_pids ? BIT(PIDS) : 0);
}

/* Rules that no controller would enforce are refused, not skipped: the
 * container could open every device. */
static int check_v1_devices(const struct c_cgroup *cg, const struct res *r, c_err **err)
{
	struct c_dev_policy p;
	bool all;

	if (dir_for(cg, DEVICES))
		return 0;
	if (device_policy(r, &p, err) < 0)
		return -1;
	all = c_dev_policy_allows_all(&p);
	c_dev_policy_free(&p);
	return all ? 0
		   : c_err_new(err, C_EXIT_FAIL, 0,
			       "apply " RES ".devices: no devices cgroup controller mounted, so no "
			       "device rule would be enforced");
}

/* What v1's memory controller has and v2's does not.  A kernel memory
 * limit of -1 asks for nothing. */
static int check_v2_memory(const struct res *r, c_err **err)
{
	const char *field = NULL, *why = "no kernel memory limit apart from memory.limit";

	if (r->disable_oom)
		field = "disableOOMKiller", why = "no switch to disable the OOM killer";
	else if (r->swappiness >= 0)
		field = "swappiness", why = "no swappiness";
	else if (r->kernel > 0)
		field = "kernel";
	else if (r->kernel_tcp > 0)
		field = "kernelTCP";
	if (!field)
		return 0;
	return c_err_new(err, C_EXIT_FAIL, 0, "apply " RES ".memory.%s: cgroup v2 has %s", field,
			 why);
}

/* Whether the controllers r needs are there, and whether the layout can
 * apply all of r, before anything is made. */
static int check_ctrls(const struct c_cgroup *cg, const struct res *r, c_err **err)
{
	static const struct {
		enum ctrl c;
		const char *field;
	} need[] = {
		{ MEMORY, "memory" }, { CPU, "cpu" }, { CPUSET, "cpu.cpus" }, { PIDS, "pids" }
	};
	unsigned wants = needed_ctrls(r);

	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		enum ctrl c = need[i].c;

		if (!(wants & BIT(c)))
			continue;
		if (cg->version == C_CGROUP_V1 && !dir_for(cg, c))
			return c_err_new(err, C_EXIT_FAIL, 0,
					 "apply " RES ".%s: no %s cgroup controller mounted",
					 need[i].field, ctrl_names[c]);
		if (cg->version == C_CGROUP_V2 && !(cg->h[0].ctrls & BIT(c)))
			return c_err_new(err, C_EXIT_FAIL, 0,
					 "apply " RES ".%s: cgroup v2 controller %s not offered by "
					 "%s/cgroup.controllers",
					 need[i].field, ctrl_names[c], cg->h[0].mnt);
	}
	return cg->version == C_CGROUP_V1 ? check_v1_devices(cg, r, err) : check_v2_memory(r, err);
}

struct c_cgroup *c_cgroup_plan(const char *path, json_t *resources, c_err **err)
{
	__attribute__((cleanup(res_free))) struct res r;
	struct c_cgroup *cg;

	if (parse_res(resources, &r, err) < 0)
		return NULL;
	cg = resolve(path, err);
	if (!cg)
		return NULL;
	if (check_ctrls(cg, &r, err) < 0) {
		c_cgroup_free(cg);
		c_err_wrap(err, "cgroup %s", path);
		return NULL;
	}
	cg->path = strdup(path);
	if (!cg->path) {
		c_cgroup_free(cg);
		oom(err);
		return NULL;
	}
	cg->res = r;
	memset(&r, 0, sizeof r);
	return cg;
}

int c_cgroup_make(struct c_cgroup *cg, c_err **err)
{
	int rc = make_all(cg, needed_ctrls(&cg->res), err);

	if (rc == 0)
		rc = cg->version == C_CGROUP_V1 ? apply_v1(cg, &cg->res, err)
						: apply_v2(cg, &cg->res, err);
	if (rc < 0) {
		/* the first error is the one to tell; the clean-up's stay quiet */
		for (size_t i = 0; i < cg->n; i++) {
			if (cg->h[i].made)
				remove_made(&cg->h[i], NULL);
			cg->h[i].made = 0;
		}
		return c_err_wrap(err, "cgroup %s", cg->path);
	}
	return 0;
}

struct c_cgroup *c_cgroup_create(const char *path, json_t *resources, c_err **err)
{
	struct c_cgroup *cg = c_cgroup_plan(path, resources, err);

	if (cg && c_cgroup_make(cg, err) < 0) {
		c_cgroup_free(cg);
		return NULL;
	}
	return cg;
}

struct c_cgroup *c_cgroup_open(const char *path, c_err **err)
{
	struct c_cgroup *cg = resolve(path, err);
	bool any = false;

	if (!cg)
		return NULL;
	for (size_t i = 0; i < cg->n; i++) {
		struct hdir *h = &cg->h[i];

		if (access(h->dir, F_OK) == 0) {
			h->made = 1;
			any = true;
			continue;
		}
		if (errno != ENOENT) {
			c_err_sys(err, "open cgroup", h->dir);
			c_cgroup_free(cg);
			return NULL;
		}
		free(h->dir);
		h->dir = NULL;
	}
	if (!any) {
		c_err_new(err, C_EXIT_NOTFOUND, ENOENT, "open cgroup %s", path);
		c_cgroup_free(cg);
		return NULL;
	}
	return cg;
}

/* ---- processes ----------------------------------------------------------- */

int c_cgroup_enter(const struct c_cgroup *cg, pid_t pid, c_err **err)
{
	char buf[24];

	for (size_t i = 0; i < cg->n; i++)
		if (cg->h[i].dir && cg_write(cg->h[i].dir, "cgroup.procs", num(buf, pid), err) < 0)
			return -1;
	return 0;
}

int c_cgroup_enter_self(const struct c_cgroup *cg, c_err **err)
{
	const char *file = cg->version == C_CGROUP_V1 ? "tasks" : "cgroup.procs";

	for (size_t i = 0; i < cg->n; i++)
		if (cg->h[i].dir && cg_write(cg->h[i].dir, file, "0", err) < 0)
			return -1;
	return 0;
}

_Static_assert(NCTRL <= C_CGROUP_FILES_MAX, "a file per hierarchy");

int c_cgroup_open_enter(const struct c_cgroup *cg, int fds[C_CGROUP_FILES_MAX], size_t *n,
			c_err **err)
{
	const char *file = cg->version == C_CGROUP_V1 ? "tasks" : "cgroup.procs";

	*n = 0;
	for (size_t i = 0; i < cg->n; i++) {
		_cleanup_free_ char *path = NULL;

		if (!cg->h[i].dir)
			continue;
		if (asprintf(&path, "%s/%s", cg->h[i].dir, file) < 0) {
			oom(err);
			goto fail;
		}
		fds[*n] = openat(AT_FDCWD, path, O_WRONLY | O_CLOEXEC);
		if (fds[*n] < 0) {
			c_err_sys(err, "open", path);
			goto fail;
		}
		(*n)++;
	}
	return 0;
fail:
	while (*n > 0)
		close(fds[--*n]);
	return -1;
}

int c_cgroup_enter_fds(const int *fds, size_t n, c_err **err)
{
	for (size_t i = 0; i < n; i++) {
		char link[32], path[PATH_MAX];
		ssize_t len, w;

		do
			w = write(fds[i], "0", 1);
		while (w < 0 && errno == EINTR);
		if (w == 1)
			continue;
		if (w >= 0)
			errno = EIO;
		/* the file's name, for the message, as far as it can be told */
		snprintf(link, sizeof link, "/proc/self/fd/%d", fds[i]);
		len = readlink(link, path, sizeof path - 1);
		path[len > 0 ? len : 0] = '\0';
		return write_error(err, len > 0 ? path : link, "0");
	}
	return 0;
}

int c_cgroup_join(pid_t target, pid_t pid, c_err **err)
{
	__attribute__((cleanup(layout_freep))) struct layout lo = { 0 };
	__attribute__((cleanup(paths_freep))) char *paths[NCTRL] = { 0 };
	char who[24], buf[24];
	bool any = false;

	if (detect(&lo, err) < 0 || proc_cgroups(num(who, target), &lo, paths, err) < 0)
		return c_err_wrap(err, "join the cgroups of process %d", (int)target);
	for (size_t i = 0; i < lo.n; i++) {
		_cleanup_free_ char *dir = NULL;

		if (!paths[i])
			continue;
		dir = dir_of(&lo.h[i], paths[i], err);
		if (!dir || cg_write(dir, "cgroup.procs", num(buf, pid), err) < 0)
			return c_err_wrap(err, "join the cgroups of process %d", (int)target);
		any = true;
	}
	if (!any)
		return c_err_new(err, C_EXIT_NOTFOUND, 0,
				 "join the cgroups of process %d: none in a hierarchy we use",
				 (int)target);
	return 0;
}

int c_cgroup_oom_kills(const struct c_cgroup *cg, unsigned long long *count, c_err **err)
{
	const char *dir = dir_for(cg, MEMORY);
	const char *file = cg->version == C_CGROUP_V1 ? "memory.oom_control" : "memory.events";
	_cleanup_free_ char *text = NULL;
	const char *p;

	if (!dir)
		return c_err_new(err, C_EXIT_FAIL, 0,
				 "count OOM kills: no memory cgroup controller");
	if (cg_read(dir, file, false, VALUE_MAX, &text, err) < 0)
		return -1;
	for (p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "oom_kill ", 9)) {
			*count = strtoull(p + 9, NULL, 10);
			return 0;
		}
	}
	return c_err_new(err, C_EXIT_FAIL, 0, "count OOM kills: %s/%s: no oom_kill line", dir,
			 file);
}

struct pidset {
	pid_t *v;
	size_t n, cap;
};

static bool pidset_has(const struct pidset *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == pid)
			return true;
	return false;
}

static int pidset_add(struct pidset *s, pid_t pid)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		pid_t *v = realloc(s->v, cap * sizeof *v);

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = pid;
	return 0;
}

/* Signal the processes of dir and below that are not in seen yet; *fresh
 * tells whether there were any. */
static int signal_tree(const char *dir, int signo, struct pidset *seen, bool *fresh, c_err **err)
{
	_cleanup_free_ char *procs = NULL;
	char **subs;
	int rc = 0;

	if (cg_read(dir, "cgroup.procs", true, PROCS_MAX, &procs, err) < 0)
		return -1;
	for (char *p = procs, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid <= 0 || pidset_has(seen, (pid_t)pid))
			continue;
		if (pidset_add(seen, (pid_t)pid) < 0)
			return oom(err);
		*fresh = true;
		if (kill((pid_t)pid, signo) < 0 && errno != ESRCH) {
			char what[64];

			snprintf(what, sizeof what, "kill process %ld in", pid);
			return c_err_sys(err, what, dir);
		}
	}
	subs = subdirs(dir, err);
	if (!subs)
		return -1;
	for (size_t i = 0; subs[i] && rc == 0; i++)
		rc = signal_tree(subs[i], signo, seen, fresh, err);
	free_strv(subs);
	return rc;
}

static int freeze(const char *dir, c_err **err)
{
	if (cg_write(dir, "freezer.state", "FROZEN", err) < 0)
		return -1;
	for (int waited = 0; waited < FREEZE_WAIT_MS; waited++) {
		_cleanup_free_ char *state = NULL;

		if (cg_read(dir, "freezer.state", false, VALUE_MAX, &state, err) < 0)
			return -1;
		if (!strcmp(state, "FROZEN"))
			return 0;
		pause_ms(1);
	}
	return 0;
}

int c_cgroup_kill(const struct c_cgroup *cg, int signo, c_err **err)
{
	const char *v2 = cg->version == C_CGROUP_V2 ? cg->h[0].dir : NULL;
	const char *freezer = v2 ? NULL : dir_for(cg, FREEZER);
	struct pidset seen = { 0 };
	bool fresh = false;
	int rc = 0;

	if (v2 && signo == SIGKILL && has_file(v2, "cgroup.kill"))
		return cg_write(v2, "cgroup.kill", "1", err);
	/* Nobody can fork into an empty cgroup, so a look first (signal 0)
	 * spares the freezer's round trip in the common case: a container
	 * with its own pid namespace, all gone with its pid 1. */
	for (size_t i = 0; i < cg->n && rc == 0 && !fresh; i++)
		if (cg->h[i].dir)
			rc = signal_tree(cg->h[i].dir, 0, &seen, &fresh, err);
	seen.n = 0;
	if (rc < 0 || !fresh) {
		free(seen.v);
		return rc;
	}
	if (freezer)
		rc = freeze(freezer, err);
	/* Without a freezer a process can fork between reading cgroup.procs and
	 * the kill: go on until a pass finds nobody new. */
	for (int pass = 0; fresh && rc == 0 && pass < KILL_PASSES; pass++) {
		fresh = false;
		for (size_t i = 0; i < cg->n && rc == 0; i++)
			if (cg->h[i].dir)
				rc = signal_tree(cg->h[i].dir, signo, &seen, &fresh, err);
	}
	free(seen.v);
	if (freezer && cg_write(freezer, "freezer.state", "THAWED", rc < 0 ? NULL : err) < 0)
		rc = -1;
	return rc;
}
