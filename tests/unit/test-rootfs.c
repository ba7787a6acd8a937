/* lib/rootfs: the container's filesystem view, checked from inside.
 *
 * Each run makes a plan in this process, then forks a child that enters
 * new namespaces (mount, pid, and what the run asks) and forks again: the
 * grandchild is pid 1 of the new pid namespace, runs c_rootfs_setup() and
 * checks what it sees from inside the new root, sending one line per check
 * up a pipe ("1 name", "0 name", "# diag", "T ms").  This process turns the
 * lines into TAP and checks the host side afterwards.
 *
 * Under a fresh mkdtemp directory T:
 *   T/bundle/rootfs/      the root: /marker, /evil -> T/victim (a host path)
 *   T/bundle/ovl-root/    the mount point of the overlay roots
 *   T/hostdir/            bound rw and ro into the container; hostfile
 *   T/hostfile.txt        a file bound onto a file
 *   T/victim/             must stay empty: the evil symlink points here
 *   T/lower1, T/lower2    overlay layers: lower1 hides lower2's "gone"
 *   T/upper, T/work       the overlay's writable layer
 *   T/layers/<long names> many layers, for the page limit of overlay
 *   T/rec/, T/locked/     made mount points by the runs that need them
 *   T/vol/_data/          a named volume, filled from bundle/rootfs/image-data
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cleanup.h"
#include "json.h"
#include "rootfs.h"
#include "spec.h"
#include "tap.h"

#define MQUEUE_MAGIC 0x19800202 /* ipc/mqueue.c; not in linux/magic.h */
#define MANY_LAYERS 35		/* fit in a page only relative to their parent */
#define TOO_MANY_LAYERS 60	/* do not fit at all */
#define TIMING_RUNS 9
/* The namespaces of the default config besides mount, pid and network. */
#define NS_ALL (CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP)
#define NS_NO_CGROUP (CLONE_NEWUTS | CLONE_NEWIPC)

static char top[PATH_MAX];
static char upper[PATH_MAX], work[PATH_MAX]; /* T/upper, T/work */
static json_t *base_spec;
static int report_fd = -1; /* in the container: the pipe to this process */

/* Facts of the host, taken before the runs, to compare with inside. */
static struct {
	dev_t pts_dev;	      /* the host's /dev/pts */
	bool kcore;	      /* /proc/kcore exists */
	bool memcg;	      /* a v1 memory hierarchy is at /sys/fs/cgroup/memory */
	struct stat memcg_st; /* this process's memory cgroup directory */
	char console[64];     /* a pty slave of ours */
	dev_t console_rdev;
} host;

static const char *at(const char *rel)
{
	return tap_at(top, rel);
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(p);
}

/* Lines of a mountinfo fd, which shows the namespace it was opened in. */
static int count_mounts_fd(int fd)
{
	char buf[4096];
	ssize_t r;
	int n = 0;

	if (lseek(fd, 0, SEEK_SET) < 0)
		tap_bail("seek", "mountinfo");
	while ((r = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	return n;
}

static int count_mounts(void)
{
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC), n;

	if (fd < 0)
		tap_bail("open", "/proc/self/mountinfo");
	n = count_mounts_fd(fd);
	close(fd);
	return n;
}

static char layer_name[160];

/* A long name for layer i, as a store's digest directories are. */
static const char *layer(int i)
{
	snprintf(layer_name, sizeof layer_name, "layers/%03d-%0*d", i, 100, 0);
	return layer_name;
}

static void build(void)
{
	snprintf(top, sizeof top, "%s/test-rootfs.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top))
		tap_bail("mkdtemp", top);
	tap_mkdir(at("bundle"));
	tap_mkdir(at("bundle/rootfs"));
	tap_mkdir(at("bundle/ovl-root"));
	tap_mkdir(at("bundle/data"));
	tap_put(at("bundle/data/file"), "from the bundle");
	tap_put(at("bundle/rootfs/marker"), "rootfs-marker");
	tap_mkdir(at("hostdir"));
	tap_put(at("hostdir/hostfile"), "from-the-host");
	tap_put(at("hostfile.txt"), "a bound file");
	tap_mkdir(at("victim"));
	if (symlink(at("victim"), at("bundle/rootfs/evil")) < 0)
		tap_bail("symlink", at("bundle/rootfs/evil"));
	tap_mkdir(at("lower1"));
	tap_mkdir(at("lower2"));
	tap_put(at("lower1/top"), "top");
	tap_put(at("lower1/shared"), "from lower1");
	tap_put(at("lower2/shared"), "from lower2");
	tap_put(at("lower2/base"), "base");
	tap_put(at("lower2/gone"), "hidden by lower1");
	tap_put(at("lower2/marker"), "rootfs-marker");
	/* mount points a read-only root cannot have made */
	tap_mkdir(at("lower2/proc"));
	tap_mkdir(at("lower2/dev"));
	tap_mkdir(at("lower2/sys"));
	/* overlayfs's whiteout: a 0/0 character device */
	if (mknod(at("lower1/gone"), S_IFCHR | 0600, makedev(0, 0)) < 0)
		tap_bail("mknod", at("lower1/gone"));
	tap_mkdir(at("upper"));
	tap_mkdir(at("work"));
	snprintf(upper, sizeof upper, "%s", at("upper"));
	snprintf(work, sizeof work, "%s", at("work"));
	tap_mkdir(at("layers"));
	for (int i = 0; i < TOO_MANY_LAYERS; i++) {
		char file[PATH_MAX];

		tap_mkdir(at(layer(i)));
		snprintf(file, sizeof file, "%s/file%d", layer(i), i);
		tap_put(at(file), "x");
		snprintf(file, sizeof file, "%s/shared", layer(i));
		tap_put(at(file), layer(i));
	}
	tap_mkdir(at("rec"));
	tap_mkdir(at("locked"));
	tap_mkdir(at("bundle/rootfs/image-data"));
	tap_put(at("bundle/rootfs/image-data/file"), "from the image");
	tap_mkdir(at("vol"));
	tap_mkdir(at("vol/_data"));
}

static void learn_host(void)
{
	char line[512], *path = NULL;
	struct stat st;
	FILE *f;
	int fd;

	if (stat("/dev/pts", &st) < 0)
		tap_bail("stat", "/dev/pts");
	host.pts_dev = st.st_dev;
	host.kcore = access("/proc/kcore", F_OK) == 0;
	f = fopen("/proc/self/cgroup", "re");
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, ":memory:")) {
			line[strcspn(line, "\n")] = '\0';
			path = strdup(strstr(line, ":memory:") + strlen(":memory:"));
		}
	if (f)
		fclose(f);
	if (path) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof dir, "/sys/fs/cgroup/memory%s", path);
		host.memcg = stat(dir, &host.memcg_st) == 0;
		free(path);
	}
	/* Kept open for the whole test: the console the runs bind. */
	fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0 || !ptsname(fd))
		tap_bail("open a pty", "/dev/ptmx");
	snprintf(host.console, sizeof host.console, "%s", ptsname(fd));
	if (stat(host.console, &st) < 0)
		tap_bail("stat", host.console);
	host.console_rdev = st.st_rdev;
}

/* ---- inside the container ------------------------------------------------------ */

static void send_line(const char *line, size_t n)
{
	if (write(report_fd, line, n) != (ssize_t)n)
		_exit(3);
}

static void check(bool pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(bool pass, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	line[0] = pass ? '1' : '0';
	line[1] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(line + 2, sizeof line - 3, fmt, ap);
	va_end(ap);
	n = n < 0 ? 0 : n > (int)sizeof line - 4 ? (int)sizeof line - 4 : n;
	line[2 + n] = '\n';
	send_line(line, (size_t)n + 3);
}

static const char *read_text(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return "(unreadable)";
	buf[n] = '\0';
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static long fs_type(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) < 0 ? -1 : (long)sf.f_type;
}

/* The errno of creating path, 0 when it worked (the file stays). */
static int create_errno(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int mkdir_errno(const char *path)
{
	if (mkdir(path, 0755) < 0)
		return errno;
	rmdir(path);
	return 0;
}

static bool link_is(const char *path, const char *want)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof buf - 1);

	if (n < 0)
		return false;
	buf[n] = '\0';
	return !strcmp(buf, want);
}

static bool is_chr(const char *path, unsigned int maj, unsigned int min)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(maj, min);
}

static size_t dir_entries(const char *path)
{
	size_t n = 0;
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d)
		return (size_t)-1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The optional fields ("shared:1 master:2") of the mount at point. */
static const char *propagation_of(const char *point)
{
	static char found[256];
	char line[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	snprintf(found, sizeof found, "(not a mount point)");
	while (f && fgets(line, sizeof line, f)) {
		char *field[6] = { 0 }, *rest = line;
		int n = 0;

		while (n < 6 && (field[n] = strsep(&rest, " ")))
			n++;
		if (n == 6 && rest && !strcmp(field[4], point)) {
			/* rest: "[optional fields ]- fstype ..." */
			char *end = strncmp(rest, "- ", 2) ? strstr(rest, " - ") : rest;

			if (end)
				*end = '\0';
			snprintf(found, sizeof found, "%s", rest);
		}
	}
	if (f)
		fclose(f);
	return found;
}

static void check_root(void)
{
	check(!strcmp(read_text("/marker"), "rootfs-marker"),
	      "/ is the rootfs (its marker is there)");
	check(!exists("/etc/debian_version"), "the host's files are not there");
	check(!exists(at("hostdir")), "the test's own directory is not there");
	check(link_is("/proc/self", "1"), "/proc is of the new pid namespace (/proc/self is 1)");
	check(!strcmp(read_text("/proc/1/comm"), "test-rootfs\n"), "/proc/1/comm is the test");
}

static void check_dev(void)
{
	static const struct {
		const char *path;
		unsigned int maj, min;
	} nodes[] = {
		{ "/dev/null", 1, 3 },	 { "/dev/zero", 1, 5 },	   { "/dev/full", 1, 7 },
		{ "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
	};
	struct stat st;
	int fd;

	for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
		check(is_chr(nodes[i].path, nodes[i].maj, nodes[i].min), "%s is char %u:%u",
		      nodes[i].path, nodes[i].maj, nodes[i].min);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	check(fd >= 0 && write(fd, "x", 1) == 1, "/dev/null is writable");
	if (fd >= 0)
		close(fd);
	check(stat("/dev/null", &st) == 0 && (st.st_mode & 0777) == 0666, "/dev/null is 0666");
	check(link_is("/dev/ptmx", "pts/ptmx"), "/dev/ptmx -> pts/ptmx");
	check(link_is("/dev/fd", "/proc/self/fd") && link_is("/dev/stdin", "/proc/self/fd/0") &&
		      link_is("/dev/stdout", "/proc/self/fd/1") &&
		      link_is("/dev/stderr", "/proc/self/fd/2"),
	      "/dev/fd, stdin, stdout, stderr link to /proc/self/fd");
	check(host.kcore == link_is("/dev/core", "/proc/kcore"),
	      "/dev/core -> /proc/kcore as the host has one");
	check(fs_type("/dev/pts") == DEVPTS_SUPER_MAGIC, "/dev/pts is a devpts");
	check(stat("/dev/pts", &st) == 0 && st.st_dev != host.pts_dev,
	      "/dev/pts is not the host's instance");
	fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	check(fd >= 0 && ptsname(fd) && !strcmp(ptsname(fd), "/dev/pts/0"),
	      "a pty from /dev/ptmx is /dev/pts/0 (a new instance)");
	if (fd >= 0)
		close(fd);
	check(fs_type("/dev/shm") == TMPFS_MAGIC && create_errno("/dev/shm/x") == 0,
	      "/dev/shm is a writable tmpfs");
	check(fs_type("/dev/mqueue") == MQUEUE_MAGIC, "/dev/mqueue is an mqueue");
}

static void check_sys_proc(void)
{
	int fd;
	char c;

	check(fs_type("/sys") == SYSFS_MAGIC && mkdir_errno("/sys/x") == EROFS,
	      "/sys is a read-only sysfs");
	fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (host.kcore)
		check(fd >= 0 && read(fd, &c, 1) == 0, "/proc/kcore is masked (reads nothing)");
	else
		check(fd < 0 && errno == ENOENT, "/proc/kcore: missing here, skipped");
	if (fd >= 0)
		close(fd);
	check(!strcmp(read_text("/proc/keys"), ""), "/proc/keys reads empty");
	check(!strcmp(read_text("/proc/timer_list"), ""), "/proc/timer_list reads empty");
	check(dir_entries("/sys/firmware") == 0 && dir_entries("/proc/acpi") == 0,
	      "/sys/firmware and /proc/acpi are empty");
	check(fs_type("/sys/firmware") == TMPFS_MAGIC && mkdir_errno("/sys/firmware/x") == EROFS,
	      "/sys/firmware is a read-only tmpfs");
	if (exists("/proc/acpi")) {
		struct stat a, b;

		check(fs_type("/proc/acpi") == TMPFS_MAGIC && mkdir_errno("/proc/acpi/x") == EROFS,
		      "/proc/acpi is a read-only tmpfs");
		check(stat("/proc/acpi", &a) == 0 && stat("/sys/firmware", &b) == 0 &&
			      a.st_dev == b.st_dev,
		      "/proc/acpi and /sys/firmware are one tmpfs, bound");
	}
	fd = open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC);
	check(fd < 0 && errno == EROFS, "/proc/sys is read-only");
	if (fd >= 0)
		close(fd);
	fd = open("/proc/irq/default_smp_affinity", O_WRONLY | O_CLOEXEC);
	check(fd < 0 && errno == EROFS, "/proc/irq is read-only");
	if (fd >= 0)
		close(fd);
}

/* The v1 hierarchies of this host, as the container must see them. */
static void check_cgroups(void)
{
	struct stat st;

	check(fs_type("/sys/fs/cgroup") == TMPFS_MAGIC, "/sys/fs/cgroup is a tmpfs");
	check(mkdir_errno("/sys/fs/cgroup/x") == EROFS, "/sys/fs/cgroup is read-only");
	if (!host.memcg) {
		check(true, "no v1 memory hierarchy on this host # SKIP");
		return;
	}
	check(stat("/sys/fs/cgroup/memory", &st) == 0 && st.st_ino == host.memcg_st.st_ino &&
		      st.st_dev == host.memcg_st.st_dev,
	      "/sys/fs/cgroup/memory is the process's own memory cgroup");
	check(mkdir_errno("/sys/fs/cgroup/memory/x") == EROFS,
	      "/sys/fs/cgroup/memory is read-only");
	check(exists("/sys/fs/cgroup/cpu") && exists("/sys/fs/cgroup/pids"),
	      "the other hierarchies are there (cpu, pids)");
}

static void inside_default(void)
{
	struct utsname u;
	struct stat st;

	check_root();
	check_dev();
	check_sys_proc();
	check_cgroups();
	check(!strcmp(read_text("/mnt/rw/hostfile"), "from-the-host") &&
		      create_errno("/mnt/rw/made-inside") == 0,
	      "a rw bind mount of a host dir reads and writes");
	check(!strcmp(read_text("/mnt/ro/hostfile"), "from-the-host") &&
		      create_errno("/mnt/ro/x") == EROFS,
	      "a ro bind mount of a host dir reads, and refuses writes (EROFS)");
	check(!strcmp(propagation_of("/mnt/ro"), ""), "rprivate: /mnt/ro is private (\"%s\")",
	      propagation_of("/mnt/ro"));
	check(!strcmp(read_text("/mnt/rel/file"), "from the bundle"),
	      "a bind source relative to the bundle");
	check(!strcmp(read_text("/etc/bound-file"), "a bound file"),
	      "a file bound onto a file made for it");
	check(exists(at("victim/sub/hostfile")),
	      "the mount through /evil (-> a host path) landed inside the root");
	check(uname(&u) == 0 && !strcmp(u.domainname, "rootfs-test"),
	      "linux.sysctl set kernel.domainname");
	check(stat("/dev/mydev", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 7) &&
		      (st.st_mode & 07777) == 0600 && st.st_uid == 1000 && st.st_gid == 1001,
	      "linux.devices: /dev/mydev char 1:7, 0600, 1000:1001");
	check(stat("/dev/net/tun", &st) == 0 && S_ISCHR(st.st_mode) &&
		      st.st_rdev == makedev(10, 200),
	      "linux.devices: /dev/net/tun in a new directory");
	check(stat("/dev/myfifo", &st) == 0 && S_ISFIFO(st.st_mode), "linux.devices: a FIFO");
	check(stat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode) &&
		      st.st_rdev == host.console_rdev,
	      "/dev/console is the given pty slave");
}

static void inside_cgroup_bind(void)
{
	check_cgroups();
}

static void inside_cgroup_v2(void)
{
	check(fs_type("/sys/fs/cgroup") == CGROUP2_SUPER_MAGIC &&
		      exists("/sys/fs/cgroup/cgroup.controllers"),
	      "v2 host: /sys/fs/cgroup is a cgroup2");
	check(mkdir_errno("/sys/fs/cgroup/x") == EROFS, "v2 host: /sys/fs/cgroup is read-only");
}

static void inside_readonly(void)
{
	check(!strcmp(read_text("/marker"), "rootfs-marker"), "/ is the rootfs");
	check(create_errno("/newfile") == EROFS, "root.readonly: / refuses writes (EROFS)");
	check(create_errno("/dev/shm/x") == 0, "root.readonly: /dev/shm still writable");
}

static void inside_overlay(void)
{
	check(!strcmp(read_text("/top"), "top") && !strcmp(read_text("/base"), "base"),
	      "overlay: both layers show");
	check(!strcmp(read_text("/shared"), "from lower1"), "overlay: the topmost layer wins");
	check(!exists("/gone"), "overlay: the whiteout hides the lower file");
	check(create_errno("/new") == 0, "overlay: / is writable");
	check(link_is("/proc/self", "1"), "overlay: /proc is mounted inside");
}

static void inside_overlay_ro(void)
{
	check(!strcmp(read_text("/top"), "top") && !strcmp(read_text("/base"), "base") &&
		      !exists("/gone"),
	      "read-only overlay: both layers and the whiteout");
	check(create_errno("/new") == EROFS, "read-only overlay: / refuses writes (EROFS)");
}

static void inside_one_lower(void)
{
	check(!strcmp(read_text("/base"), "base") && !exists("/top"),
	      "one lower dir: it is the root");
	check(create_errno("/new") == EROFS, "one lower dir: bound read-only (EROFS)");
}

static void inside_many(void)
{
	char path[64];
	int seen = 0;

	for (int i = 0; i < MANY_LAYERS; i++) {
		snprintf(path, sizeof path, "/file%d", i);
		seen += exists(path);
	}
	check(seen == MANY_LAYERS, "%d layers over a page of options: all %d show", MANY_LAYERS,
	      seen);
	check(!strcmp(read_text("/shared"), layer(0)), "%d layers: the topmost wins", MANY_LAYERS);
}

static void inside_no_pivot(void)
{
	check(!strcmp(read_text("/marker"), "rootfs-marker"), "no_pivot: / is the rootfs");
	check(!exists("/etc/debian_version"), "no_pivot: the host's files are not there");
	check(link_is("/proc/self", "1"), "no_pivot: /proc of the new pid namespace");
	check(fs_type("/dev/pts") == DEVPTS_SUPER_MAGIC, "no_pivot: /dev/pts is a devpts");
}

static void inside_userns(void)
{
	struct statvfs sv;
	struct stat st;
	int fd;

	check(!strcmp(read_text("/marker"), "rootfs-marker"), "user namespace: / is the rootfs");
	check(is_chr("/dev/null", 1, 3), "user namespace: /dev/null (the host's, bound) is 1:3");
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	check(fd >= 0 && write(fd, "x", 1) == 1, "user namespace: /dev/null is writable");
	if (fd >= 0)
		close(fd);
	check(stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 7),
	      "user namespace: linux.devices bound from the host too (/dev/full)");
	check(create_errno("/mnt/locked/x") == EROFS,
	      "user namespace: ro bind of a nosuid,nodev,noexec mount is read-only");
	check(statvfs("/mnt/locked", &sv) == 0 && (sv.f_flag & ST_NOSUID) &&
		      (sv.f_flag & ST_NODEV) && (sv.f_flag & ST_NOEXEC),
	      "user namespace: ... and keeps its locked flags");
	check(mkdir_errno("/sys/x") == EROFS && link_is("/proc/self", "1"),
	      "user namespace: /sys read-only, /proc of the new pid namespace");
	check(!strcmp(read_text("/proc/keys"), ""), "user namespace: masked paths");
	check_cgroups();
}

static void inside_volume_cwd(void)
{
	struct stat st;

	check(!strcmp(read_text("/image-data/file"), "from the image"),
	      "a new named volume shows the image's files at its destination");
	check(create_errno("/image-data/new") == 0, "the volume is writable");
	check(stat("/made/cwd", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755,
	      "process.cwd missing in the image is made, 0755");
	check(create_errno("/x") == EROFS, "root.readonly still holds");
}

static void inside_rec(void)
{
	check(create_errno("/mnt/rro/x") == EROFS && create_errno("/mnt/rro/sub/x") == EROFS,
	      "rro: the bind and its submount are read-only");
	check(create_errno("/mnt/ro/x") == EROFS && create_errno("/mnt/ro/sub/x") == 0,
	      "ro (not rro): only the top is read-only");
}

static bool root_is_shared(void)
{
	char line[1024];
	bool shared = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && fgets(line, sizeof line, f)) {
		char *root = strchr(line, ' '), *point;

		/* id parent maj:min root point ... */
		for (int i = 0; root && i < 2; i++)
			root = strchr(root + 1, ' ');
		point = root ? strchr(root + 1, ' ') : NULL;
		if (point && !strncmp(point, " / ", 3))
			shared = strstr(point, " shared:") != NULL;
	}
	if (f)
		fclose(f);
	return shared;
}

static void inside_shared(void)
{
	check(!strcmp(read_text("/marker"), "rootfs-marker"), "rootfsPropagation shared: pivoted");
	check(root_is_shared(), "rootfsPropagation shared: / is shared");
}

/* ---- running a container ------------------------------------------------------- */

struct run {
	const char *name;
	json_t *config;
	struct c_rootfs_opts opts;
	int ns;			/* more CLONE_NEW* for the container */
	bool userns;		/* in a user namespace mapping 0 to 0, all ids */
	void (*prepare)(void);	/* in the child, in a mount namespace of its own */
	void (*inside)(void);	/* the checks; NULL for none */
	const char *want_error; /* setup must fail so */
	double ms;		/* out: the setup's time */
};

static noreturn void container(struct run *r, const struct c_rootfs_plan *plan)
{
	struct timespec t0, t1;
	c_err *err = NULL;
	char line[64];
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = c_rootfs_setup(plan, &r->opts, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r->want_error) {
		char *msg = err ? c_err_line(err) : NULL;

		check(rc < 0 && msg && strstr(msg, r->want_error), "%s: fails with: %s", r->name,
		      msg ? msg : "(no error)");
		_exit(0);
	}
	if (rc < 0) {
		char *msg = c_err_line(err);

		check(false, "%s: setup: %s", r->name, msg);
		_exit(1);
	}
	snprintf(line, sizeof line, "T %.3f\n",
		 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	send_line(line, strlen(line));
	if (r->inside)
		r->inside();
	_exit(0);
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The maps are written from outside, by the parent (see run()). */
static void wait_for_maps(int sync_fd)
{
	char c;

	if (read(sync_fd, &c, 1) != 1)
		_exit(4);
}

/* The child: namespaces, then pid 1 of the new pid namespace. */
static noreturn void container_parent(struct run *r, const struct c_rootfs_plan *plan, int sync_fd)
{
	int flags = CLONE_NEWNS | CLONE_NEWPID | r->ns, mountinfo = -1, before = 0, status;
	pid_t pid;

	if (r->prepare) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			check(false, "%s: prepare: %s", r->name, strerror(errno));
			_exit(1);
		}
		r->prepare();
		mountinfo = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
		if (mountinfo < 0)
			_exit(6);
		before = count_mounts_fd(mountinfo);
	}
	if (r->userns)
		flags |= CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC;
	if (unshare(flags) < 0) {
		check(false, "%s: unshare: %s", r->name, strerror(errno));
		_exit(1);
	}
	if (r->userns) {
		if (write(sync_fd, "u", 1) != 1)
			_exit(4);
		wait_for_maps(sync_fd);
	}
	pid = fork();
	if (pid < 0)
		_exit(5);
	if (pid == 0)
		container(r, plan);
	status = wait_status(pid);
	if (mountinfo >= 0)
		check(count_mounts_fd(mountinfo) == before,
		      "%s: the parent namespace's mount table is unchanged (%d lines)", r->name,
		      before);
	_exit(status);
}

static void write_map(pid_t pid, const char *file)
{
	char path[64];
	int fd;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0 0 4294967295", 14) != 14)
		tap_bail("write", path);
	close(fd);
}

/* Reads the container's lines into TAP; returns how many checks came. */
static int collect(int fd, struct run *r)
{
	char line[1024];
	int checks = 0;
	FILE *f = fdopen(fd, "r");

	if (!f)
		tap_bail("fdopen", "pipe");
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == 'T') {
			r->ms = strtod(line + 2, NULL);
		} else if (line[0] == '#') {
			tap_diag("%s", line + 2);
		} else {
			ok(line[0] == '1', "%s", line + 2);
			checks++;
		}
	}
	fclose(f);
	return checks;
}

static void run(struct run *r)
{
	struct c_rootfs_plan *plan;
	int fds[2], sync[2] = { -1, -1 }, status, checks;
	c_err *err = NULL;
	pid_t pid;

	plan = c_rootfs_plan_new(r->config, at("bundle"), &err);
	if (!plan) {
		char *line = c_err_line(err);

		ok(false, "%s: plan: %s", r->name, line);
		free(line);
		c_err_free(&err);
		return;
	}
	if (pipe2(fds, O_CLOEXEC) < 0 ||
	    (r->userns && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0))
		tap_bail("pipe", r->name);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		tap_bail("fork", r->name);
	if (pid == 0) {
		close(fds[0]);
		report_fd = fds[1];
		container_parent(r, plan, sync[1]);
	}
	close(fds[1]);
	if (r->userns) {
		char c;

		close(sync[1]);
		if (read(sync[0], &c, 1) != 1)
			tap_bail("sync with", r->name);
		write_map(pid, "uid_map");
		write_map(pid, "gid_map");
		if (write(sync[0], "m", 1) != 1)
			tap_bail("sync with", r->name);
		close(sync[0]);
	}
	checks = collect(fds[0], r);
	status = wait_status(pid);
	ok(status == 0 && (checks > 0 || !r->inside),
	   "%s: the container ran (status %d, %d checks)", r->name, status, checks);
	c_rootfs_plan_free(plan);
}

/* ---- configs --------------------------------------------------------------------- */

static json_t *spec(void)
{
	json_t *s = json_deep_copy(base_spec);

	if (!s)
		tap_bail("copy", "spec");
	return s;
}

static void add_mount(json_t *s, const char *dest, const char *type, const char *source,
		      const char *const *options)
{
	json_t *m = json_object(), *opts = json_array();

	json_object_set_new(m, "destination", json_string(dest));
	if (type)
		json_object_set_new(m, "type", json_string(type));
	if (source)
		json_object_set_new(m, "source", json_string(source));
	for (; options && *options; options++)
		json_array_append_new(opts, json_string(*options));
	json_object_set_new(m, "options", opts);
	json_array_append_new(json_object_get(s, "mounts"), m);
}

/* Drops "cgroup" from linux.namespaces: the runs that do not enter one. */
static void no_cgroupns(json_t *s)
{
	json_t *nss = json_object_get(json_object_get(s, "linux"), "namespaces");

	for (size_t i = json_array_size(nss); i-- > 0;)
		if (!strcmp(json_string_value(json_object_get(json_array_get(nss, i), "type")),
			    "cgroup"))
			json_array_remove(nss, i);
}

static void set_lowers(json_t *s, const char *lowers)
{
	json_object_set_new(json_object_get(s, "annotations"), C_SPEC_LOWERDIRS_ANNOTATION,
			    json_string(lowers));
	json_object_set_new(json_object_get(s, "root"), "path", json_string("ovl-root"));
}

static json_t *devices(void)
{
	return json_pack("[{s:s,s:s,s:i,s:i,s:i,s:i,s:i},{s:s,s:s,s:i,s:i},{s:s,s:s}]", "path",
			 "/dev/mydev", "type", "c", "major", 1, "minor", 7, "fileMode", 0600, "uid",
			 1000, "gid", 1001, "path", "/dev/net/tun", "type", "c", "major", 10,
			 "minor", 200, "path", "/dev/myfifo", "type", "p");
}

static json_t *default_config(void)
{
	static const char *const rbind_rw[] = { "rbind", "rw", NULL };
	static const char *const rbind_ro[] = { "rbind", "ro", "nosuid", "rprivate", NULL };
	static const char *const bind[] = { "bind", NULL };
	json_t *s = spec(), *lnx = json_object_get(s, "linux");

	add_mount(s, "/mnt/rw", NULL, at("hostdir"), rbind_rw);
	add_mount(s, "/mnt/ro", "bind", at("hostdir"), rbind_ro);
	add_mount(s, "/evil/sub", NULL, at("hostdir"), bind);
	add_mount(s, "/etc/bound-file", NULL, at("hostfile.txt"), bind);
	add_mount(s, "/mnt/rel", NULL, "data", bind);
	json_object_set_new(lnx, "sysctl", json_pack("{s:s}", "kernel.domainname", "rootfs-test"));
	json_object_set_new(lnx, "devices", devices());
	return s;
}

static void prepare_rec(void)
{
	if (mkdir(at("rec/sub"), 0755) < 0 && errno != EEXIST)
		tap_bail("mkdir", at("rec/sub"));
	if (mount("tmpfs", at("rec/sub"), "tmpfs", 0, NULL) < 0)
		tap_bail("mount tmpfs", at("rec/sub"));
}

/* As systemd leaves a host: every mount shared, so what is not made
 * private propagates. */
static void prepare_shared(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		tap_bail("make shared", "/");
}

/* A host with only the unified hierarchy, in this child's namespace. */
static void prepare_v2(void)
{
	if (umount2("/sys/fs/cgroup", MNT_DETACH) < 0)
		tap_bail("umount", "/sys/fs/cgroup");
	if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) < 0)
		tap_bail("mount cgroup2", "/sys/fs/cgroup");
}

static void prepare_locked(void)
{
	if (mount("tmpfs", at("locked"), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		tap_bail("mount tmpfs", at("locked"));
}

static void test_default(void)
{
	int before = count_mounts();
	struct run r = {
		.name = "default",
		.config = default_config(),
		.opts = { .console = host.console },
		.ns = NS_ALL,
		.inside = inside_default,
	};
	struct stat st;

	run(&r);
	ok(!strcmp(read_text(at("hostdir/made-inside")), ""), "the rw bind wrote to the host dir");
	ok(stat(at("victim"), &st) == 0 && dir_entries(at("victim")) == 0,
	   "the evil symlink's host target stayed empty");
	ok(count_mounts() == before, "the host's mount table is unchanged (%d lines)", before);
	json_decref(r.config);
}

static void test_variants(void)
{
	static const char *const rro[] = { "rbind", "rro", NULL };
	static const char *const ro[] = { "rbind", "ro", NULL };
	static const char *const locked[] = { "rbind", "ro", NULL };
	char lowers[2 * PATH_MAX];
	struct run runs[] = {
		{ .name = "cgroups bound from the host",
		  .config = spec(),
		  .ns = NS_NO_CGROUP,
		  .inside = inside_cgroup_bind },
		{ .name = "a cgroup v2 host",
		  .config = spec(),
		  .ns = NS_ALL,
		  .prepare = prepare_v2,
		  .inside = inside_cgroup_v2 },
		{ .name = "a cgroup v2 host, no cgroup namespace",
		  .config = spec(),
		  .ns = NS_NO_CGROUP,
		  .prepare = prepare_v2,
		  .inside = inside_cgroup_v2 },
		{ .name = "root.readonly",
		  .config = spec(),
		  .ns = NS_ALL,
		  .inside = inside_readonly },
		{ .name = "overlay",
		  .config = spec(),
		  .ns = NS_ALL,
		  .opts = { .upper = upper, .work = work },
		  .inside = inside_overlay },
		{ .name = "read-only overlay",
		  .config = spec(),
		  .ns = NS_ALL,
		  .inside = inside_overlay_ro },
		{ .name = "one lower dir",
		  .config = spec(),
		  .ns = NS_ALL,
		  .inside = inside_one_lower },
		{ .name = "no_pivot",
		  .config = spec(),
		  .ns = NS_ALL,
		  .opts = { .no_pivot = true },
		  .inside = inside_no_pivot },
		{ .name = "user namespace",
		  .config = spec(),
		  .userns = true,
		  .prepare = prepare_locked,
		  .inside = inside_userns },
		{ .name = "rro",
		  .config = spec(),
		  .ns = NS_ALL,
		  .prepare = prepare_rec,
		  .inside = inside_rec },
		{ .name = "rootfsPropagation shared",
		  .config = spec(),
		  .ns = NS_ALL,
		  .inside = inside_shared },
		{ .name = "a shared host, rootfsPropagation rslave",
		  .config = default_config(),
		  .ns = NS_ALL,
		  .opts = { .console = host.console },
		  .prepare = prepare_shared,
		  .inside = inside_default },
		{ .name = "a shared host, rootfsPropagation rshared",
		  .config = spec(),
		  .ns = NS_ALL,
		  .prepare = prepare_shared,
		  .inside = inside_shared },
	};
	size_t i = 0;

	no_cgroupns(runs[i++].config);
	i++; /* v2 */
	no_cgroupns(runs[i++].config);
	json_object_set_new(json_object_get(runs[i++].config, "root"), "readonly", json_true());
	snprintf(lowers, sizeof lowers, "%s:%s", at("lower1"), at("lower2"));
	set_lowers(runs[i++].config, lowers);
	set_lowers(runs[i++].config, lowers);
	set_lowers(runs[i++].config, at("lower2"));
	i++; /* no_pivot */
	no_cgroupns(runs[i].config);
	json_object_set_new(json_object_get(runs[i].config, "linux"), "devices",
			    json_pack("[{s:s,s:s,s:i,s:i}]", "path", "/dev/full", "type", "c",
				      "major", 1, "minor", 7));
	add_mount(runs[i++].config, "/mnt/locked", NULL, at("locked"), locked);
	add_mount(runs[i].config, "/mnt/rro", NULL, at("rec"), rro);
	add_mount(runs[i++].config, "/mnt/ro", NULL, at("rec"), ro);
	json_object_set_new(json_object_get(runs[i++].config, "linux"), "rootfsPropagation",
			    json_string("shared"));
	/* slave mounts, so that rprivate on /mnt/ro shows */
	json_object_set_new(json_object_get(runs[i++].config, "linux"), "rootfsPropagation",
			    json_string("rslave"));
	json_object_set_new(json_object_get(runs[i++].config, "linux"), "rootfsPropagation",
			    json_string("rshared"));

	for (i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		int before = count_mounts();

		run(&runs[i]);
		ok(count_mounts() == before, "%s: the host's mount table is unchanged",
		   runs[i].name);
		json_decref(runs[i].config);
	}
	ok(exists(at("upper/new")) && !exists(at("lower1/new")) && !exists(at("lower2/new")),
	   "overlay: the write landed in the upper dir, not in the layers");
}

/* ---- the caller's hooks ---------------------------------------------------------- */

/* What the hooks saw, in the container's process (where they run). */
static struct {
	int seq, net_calls, net_at, cgroup_calls, cgroup_at;
} hooks;

/* Joining a network namespace must come before sysfs, which shows the
 * mounting process's network devices; the mounts before it go on while
 * that namespace is made. */
static int net_hook(void *arg, c_err **err)
{
	(void)arg;
	(void)err;
	hooks.net_calls++;
	hooks.net_at = ++hooks.seq;
	check(fs_type(at("bundle/rootfs/proc")) == PROC_SUPER_MAGIC,
	      "before_net: the mounts before sysfs are made (/proc is a proc)");
	check(fs_type(at("bundle/rootfs/sys")) != SYSFS_MAGIC, "before_net: /sys is not mounted yet");
	return 0;
}

static int cgroup_hook(void *arg, c_err **err)
{
	(void)arg;
	(void)err;
	hooks.cgroup_calls++;
	hooks.cgroup_at = ++hooks.seq;
	return 0;
}

/* With no sysfs mount, before_net still runs, before the pivot. */
static int net_hook_no_sysfs(void *arg, c_err **err)
{
	(void)arg;
	(void)err;
	hooks.net_calls++;
	check(fs_type(at("bundle/rootfs/proc")) == PROC_SUPER_MAGIC &&
		      !strcmp(read_text(at("bundle/rootfs/marker")), "rootfs-marker"),
	      "before_net, no sysfs mount: after the mounts, before the pivot");
	return 0;
}

static int failing_hook(void *arg, c_err **err)
{
	(void)arg;
	return c_err_new(err, C_EXIT_FAIL, ENOENT, "join namespace: network");
}

static void inside_hooks(void)
{
	check(hooks.net_calls == 1 && hooks.cgroup_calls == 1,
	      "before_net and before_cgroups ran once each (%d, %d)", hooks.net_calls,
	      hooks.cgroup_calls);
	check(hooks.net_at < hooks.cgroup_at, "before_net ran first: sysfs comes before the cgroups");
	check(fs_type("/sys") == SYSFS_MAGIC, "/sys is a sysfs");
}

static void inside_hooks_no_sysfs(void)
{
	check(hooks.net_calls == 1, "before_net ran once (%d)", hooks.net_calls);
	check(fs_type("/sys") != SYSFS_MAGIC, "no sysfs at /sys");
}

/* The config's mounts but those under /sys. */
static json_t *spec_without_sys(void)
{
	json_t *s = spec(), *mounts = json_object_get(s, "mounts");

	for (size_t i = json_array_size(mounts); i-- > 0;) {
		const char *dest = json_string_value(
			json_object_get(json_array_get(mounts, i), "destination"));

		if (dest && !strncmp(dest, "/sys", 4))
			json_array_remove(mounts, i);
	}
	return s;
}

static void test_hooks(void)
{
	struct run runs[] = {
		{ .name = "hooks",
		  .config = spec(),
		  .ns = NS_ALL,
		  .opts = { .before_net = net_hook, .before_cgroups = cgroup_hook },
		  .inside = inside_hooks },
		{ .name = "hooks, no sysfs mount",
		  .config = spec_without_sys(),
		  .ns = NS_ALL,
		  .opts = { .before_net = net_hook_no_sysfs },
		  .inside = inside_hooks_no_sysfs },
		{ .name = "a failing before_net",
		  .config = spec(),
		  .ns = NS_ALL,
		  .opts = { .before_net = failing_hook },
		  .want_error = "join namespace: network" },
	};

	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		run(&runs[i]);
		json_decref(runs[i].config);
	}
}

/* Lower dirs T/layers/..., topmost first. */
static char *layer_list(int n)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < n; i++)
		len += strlen(at(layer(i))) + 1;
	s = calloc(1, len);
	if (!s)
		tap_bail("calloc", "layers");
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(s, ":");
		strcat(s, at(layer(i)));
	}
	return s;
}

static void test_many_layers(void)
{
	_cleanup_free_ char *many = layer_list(MANY_LAYERS),
			    *too_many = layer_list(TOO_MANY_LAYERS);
	struct run r = { .name = "many layers",
			 .config = spec(),
			 .ns = NS_ALL,
			 .opts = { .upper = upper, .work = work },
			 .inside = inside_many };
	struct run r2 = { .name = "too many layers",
			  .config = spec(),
			  .ns = NS_ALL,
			  .opts = { .upper = upper, .work = work },
			  .want_error = "more than the kernel's" };

	ok(strlen(many) > 4096, "%d layers take %zu bytes, over a page", MANY_LAYERS, strlen(many));
	set_lowers(r.config, many);
	run(&r);
	set_lowers(r2.config, too_many);
	run(&r2);
	json_decref(r.config);
	json_decref(r2.config);
}

static void test_mount_error(void)
{
	json_t *s = spec();
	json_t *opts = json_object_get(json_array_get(json_object_get(s, "mounts"), 1), "options");
	struct run r = { .name = "a bad tmpfs option",
			 .config = s,
			 .ns = NS_ALL,
			 .want_error = "mount tmpfs on /dev (options "
				       "\"nosuid,strictatime,mode=755,size=bogus\"): "
				       "Invalid argument" };

	json_array_set_new(opts, 3, json_string("size=bogus"));
	run(&r);
	json_decref(s);

	s = spec();
	json_object_set_new(json_object_get(s, "linux"), "sysctl",
			    json_pack("{s:s}", "kernel.nonexistent", "1"));
	r = (struct run){ .name = "a missing sysctl",
			  .config = s,
			  .ns = NS_ALL,
			  .want_error = "set sysctl kernel.nonexistent to \"1\": "
					"/proc/sys/kernel/nonexistent: No such file or directory" };
	run(&r);
	json_decref(s);
}

/* A named volume to fill, and a missing working directory, in a read-only
 * root. */
static void test_volume_cwd(void)
{
	const char *const opts[] = { "rbind", "rw", C_ROOTFS_VOLUME_COPY "v", NULL };
	json_t *s = spec();
	struct run r = { .name = "volume and cwd",
			 .config = s,
			 .ns = NS_ALL,
			 .inside = inside_volume_cwd };

	add_mount(s, "/image-data", NULL, at("vol/_data"), opts);
	json_object_set_new(json_object_get(s, "root"), "readonly", json_true());
	json_object_set_new(json_object_get(s, "process"), "cwd", json_string("/made/cwd"));
	run(&r);
	ok(!strcmp(read_text(at("vol/_data/file")), "from the image") &&
		   exists(at("vol/_data/new")),
	   "the volume on the host holds the copy and what the container wrote");
	ok(!exists(at("bundle/rootfs/image-data/new")), "nothing was written to the image's files");
	json_decref(s);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void test_timing(void)
{
	double ms[TIMING_RUNS], ovl[TIMING_RUNS];
	char lowers[2 * PATH_MAX];
	struct run r = { .name = "timing", .config = spec(), .ns = NS_ALL };
	struct run o = { .name = "timing overlay",
			 .config = spec(),
			 .ns = NS_ALL,
			 .opts = { .upper = upper, .work = work } };
	struct timespec t0, t1;
	_cleanup_json_ json_t *c = spec();
	double plan_us;

	snprintf(lowers, sizeof lowers, "%s:%s", at("lower1"), at("lower2"));
	set_lowers(o.config, lowers);
	for (int i = 0; i < TIMING_RUNS; i++) {
		run(&r);
		ms[i] = r.ms;
		run(&o);
		ovl[i] = o.ms;
	}
	qsort(ms, TIMING_RUNS, sizeof ms[0], cmp_double);
	qsort(ovl, TIMING_RUNS, sizeof ovl[0], cmp_double);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100; i++) {
		c_err *err = NULL;

		c_rootfs_plan_free(c_rootfs_plan_new(c, at("bundle"), &err));
		c_err_free(&err);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	plan_us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
		  100 / 1e3;
	tap_diag("c_rootfs_plan_new: %.1f us; c_rootfs_setup, median of %d: %.3f ms (bind root), "
		 "%.3f ms (overlay root); min %.3f / %.3f, max %.3f / %.3f",
		 plan_us, TIMING_RUNS, ms[TIMING_RUNS / 2], ovl[TIMING_RUNS / 2], ms[0], ovl[0],
		 ms[TIMING_RUNS - 1], ovl[TIMING_RUNS - 1]);
	ok(ms[TIMING_RUNS / 2] > 0 && ms[TIMING_RUNS / 2] < 50,
	   "setup takes milliseconds (median %.3f ms)", ms[TIMING_RUNS / 2]);
	json_decref(r.config);
	json_decref(o.config);
}

/* ---- plan errors ------------------------------------------------------------------- */

struct bad {
	const char *what, *json_path, *value; /* value: JSON text set at json_path */
	const char *error;
	int status;
};

/* Sets the JSON at a dotted path with [index] steps. */
static void set_at(json_t *root, const char *path, const char *json_text)
{
	char buf[256], *save, *step;
	json_t *cur = root, *v = json_loads(json_text, JSON_DECODE_ANY, NULL);
	const char *last = NULL;
	json_t *parent = NULL;
	long idx = -1;

	if (!v)
		tap_bail("parse", json_text);
	snprintf(buf, sizeof buf, "%s", path);
	for (step = strtok_r(buf, ".", &save); step; step = strtok_r(NULL, ".", &save)) {
		char *br = strchr(step, '[');

		if (br)
			*br = '\0';
		parent = cur;
		last = step;
		idx = -1;
		if (!json_object_get(cur, step))
			json_object_set_new(cur, step, json_object());
		cur = json_object_get(cur, step);
		if (br) {
			idx = strtol(br + 1, NULL, 10);
			parent = cur;
			cur = json_array_get(cur, (size_t)idx);
		}
	}
	if (idx >= 0 && (size_t)idx >= json_array_size(parent))
		json_array_append_new(parent, v);
	else if (idx >= 0)
		json_array_set_new(parent, (size_t)idx, v);
	else
		json_object_set_new(parent, last, v);
}

static void test_plan_errors(void)
{
	static const struct bad bad[] = {
		{ "relative destination", "mounts[2].destination", "\"dev/pts\"",
		  "field mounts[2].destination: must be absolute", C_EXIT_DATA },
		{ "destination /", "mounts[0].destination", "\"/\"",
		  "field mounts[0].destination: must not be the root", C_EXIT_DATA },
		{ "destination not a string", "mounts[1].destination", "7",
		  "field mounts[1].destination: expected string, got integer", C_EXIT_DATA },
		{ "unknown bind option", "mounts[7]",
		  "{\"destination\":\"/x\",\"source\":\"/"
		  "tmp\",\"options\":[\"rbind\",\"frobnicate\"]}",
		  "field mounts[7].options[1]: unknown option \"frobnicate\" for a bind mount",
		  C_EXIT_DATA },
		{ "option not a string", "mounts[0].options", "[\"nosuid\", 3]",
		  "field mounts[0].options[1]: expected string, got integer", C_EXIT_DATA },
		{ "idmap", "mounts[7]",
		  "{\"destination\":\"/x\",\"source\":\"/tmp\",\"options\":[\"rbind\",\"idmap\"]}",
		  "field mounts[7].options[1]: option \"idmap\" is not supported", C_EXIT_DATA },
		{ "option for a cgroup mount", "mounts[6].options", "[\"ro\",\"memory\"]",
		  "field mounts[6].options[1]: unknown option \"memory\" for a cgroup mount",
		  C_EXIT_DATA },
		{ "no type", "mounts[7]", "{\"destination\":\"/x\"}",
		  "field mounts[7].type: missing (not a bind mount)", C_EXIT_DATA },
		{ "bind without source", "mounts[7]", "{\"destination\":\"/x\",\"type\":\"bind\"}",
		  "field mounts[7].source: missing (a bind mount)", C_EXIT_DATA },
		{ "root.path missing", "root.path", "\"nowhere\"", "root.path: ", C_EXIT_NOTFOUND },
		{ "root without path", "root", "{}", "field root.path: missing", C_EXIT_DATA },
		{ "rootfsPropagation", "linux.rootfsPropagation", "\"sideways\"",
		  "field linux.rootfsPropagation: unknown propagation \"sideways\"", C_EXIT_DATA },
		{ "relative masked path", "linux.maskedPaths[0]", "\"proc/kcore\"",
		  "field linux.maskedPaths[0]: must be absolute", C_EXIT_DATA },
		{ "sysctl key with ..", "linux.sysctl", "{\"net/../../etc\":\"1\"}",
		  "field linux.sysctl: bad key \"net/../../etc\"", C_EXIT_DATA },
		{ "sysctl value", "linux.sysctl", "{\"kernel.domainname\":1}",
		  "field linux.sysctl.kernel.domainname: expected string, got integer",
		  C_EXIT_DATA },
		{ "device type", "linux.devices", "[{\"path\":\"/dev/x\",\"type\":\"q\"}]",
		  "field linux.devices[0].type: \"q\": expected", C_EXIT_DATA },
		{ "device major", "linux.devices",
		  "[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":5000,\"minor\":1}]",
		  "field linux.devices[0].major: 5000 is out of range", C_EXIT_DATA },
		{ "device without minor", "linux.devices",
		  "[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1}]",
		  "field linux.devices[0].minor: missing", C_EXIT_DATA },
		{ "relative lower dir", "annotations." C_SPEC_LOWERDIRS_ANNOTATION, "\"/a:b\"",
		  "must be absolute, got \"b\"", C_EXIT_DATA },
		{ "volume copy on a filesystem mount", "mounts[7]",
		  "{\"destination\":\"/x\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
		  "\"options\":[\"" C_ROOTFS_VOLUME_COPY "v\"]}",
		  "field mounts[7].options[0]: \"" C_ROOTFS_VOLUME_COPY
		  "v\" wants a volume name and a bind mount",
		  C_EXIT_DATA },
		{ "volume copy without a name", "mounts[7]",
		  "{\"destination\":\"/x\",\"source\":\"/tmp\","
		  "\"options\":[\"rbind\",\"" C_ROOTFS_VOLUME_COPY "\"]}",
		  "field mounts[7].options[1]: \"" C_ROOTFS_VOLUME_COPY
		  "\" wants a volume name and a bind mount",
		  C_EXIT_DATA },
		{ "relative process.cwd", "process.cwd", "\"tmp\"",
		  "field process.cwd: must be absolute", C_EXIT_DATA },
		{ "lower dir with a comma", "annotations." C_SPEC_LOWERDIRS_ANNOTATION,
		  "\"/a,b\"", "contains a comma", C_EXIT_DATA },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		_cleanup_json_ json_t *s = spec();
		struct c_rootfs_plan *p;
		c_err *err = NULL;

		/* set_at splits at dots: the annotation's name has some */
		if (!strncmp(bad[i].json_path, "annotations.", 12))
			json_object_set_new(json_object_get(s, "annotations"),
					    bad[i].json_path + 12,
					    json_loads(bad[i].value, JSON_DECODE_ANY, NULL));
		else
			set_at(s, bad[i].json_path, bad[i].value);
		p = c_rootfs_plan_new(s, at("bundle"), &err);
		ok(!p && err && err->status == bad[i].status && tap_err_has(&err, bad[i].error),
		   "plan refuses %s", bad[i].what);
		c_rootfs_plan_free(p);
		c_err_free(&err);
	}
}

int main(void)
{
	_cleanup_json_ json_t *image = json_object();
	c_err *err = NULL;
	int rootfd;

	if (geteuid() != 0) {
		tap_skip("rootfs", "needs root");
		return tap_done();
	}
	build();
	learn_host();
	rootfd = open(at("bundle/rootfs"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	base_spec = c_spec_from_image(image, rootfd, NULL, &err);
	if (!base_spec)
		c_die(&err);
	close(rootfd);

	test_plan_errors();
	test_default();
	test_variants();
	test_hooks();
	test_many_layers();
	test_mount_error();
	test_volume_cwd();
	test_timing();

	json_decref(base_spec);
	if (nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		tap_bail("remove", top);
	return tap_done();
}
