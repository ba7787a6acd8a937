/* lib/volume: the tree copy, and filling a volume from a root's directory.
 *
 * Under a fresh mkdtemp directory T (in a private mount namespace, as root):
 *   T/src/          a tree with one of everything: files (setuid, big,
 *                   empty), hardlinks across directories, symlinks, a FIFO,
 *                   a device node, a socket, xattrs, odd modes and times,
 *                   and a tmpfs mounted at mnt/ (a mount point inside)
 *   T/root/         a container's root: data/ (the src tree's copy made by
 *                   the test), empty-owned/ (1000:1000 0700), a-file, many/
 *                   (200 files), esc -> T/outside (a host path)
 *   T/outside/      must never be copied: esc points here
 *   T/vols/NAME/_data   the volumes
 *   T/small/        a 256 KiB tmpfs, for a copy that runs out of space
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "tap.h"
#include "volume.h"

#define BIG_SIZE (3 << 20)
#define MANY 200
#define RACERS 4

static char top[PATH_MAX];
static bool root, xattrs;

static const char *at(const char *rel)
{
	return tap_at(top, rel);
}

static void mkd(const char *rel, mode_t mode)
{
	if (mkdir(at(rel), 0700) < 0 || chmod(at(rel), mode) < 0)
		tap_bail("mkdir", at(rel));
}

static void put(const char *rel, const char *text, mode_t mode)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) < 0)
		tap_bail("create", at(rel));
	close(fd);
}

static void set_mtime(const char *rel, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	if (utimensat(AT_FDCWD, at(rel), ts, AT_SYMLINK_NOFOLLOW) < 0)
		tap_bail("utimensat", at(rel));
}

static void own(const char *rel, uid_t uid, gid_t gid)
{
	if (root && lchown(at(rel), uid, gid) < 0)
		tap_bail("chown", at(rel));
}

static char *read_text(const char *rel)
{
	static char buf[256];
	int fd = open(at(rel), O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static bool lst(const char *rel, struct stat *st)
{
	return lstat(at(rel), st) == 0;
}

static int entries(const char *rel)
{
	DIR *d = opendir(at(rel));
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Entries of T/rel whose names start with prefix. */
static int entries_like(const char *rel, const char *prefix)
{
	DIR *d = opendir(at(rel));
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(p);
}

/* The source tree (T/src) and the root around the volumes' sources. */
static void build(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char big[4096];
	int fd, s;

	snprintf(top, sizeof top, "%s/test-volume.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top))
		tap_bail("mkdtemp", top);
	mkd("src", 0750);
	put("src/f", "file f\n", 0640);
	xattrs = setxattr(at("src/f"), "user.c-tools.test", "kept", 4, 0) == 0;
	put("src/setuid", "#!/bin/sh\n", 04755);
	put("src/empty", "", 0644);
	fd = open(at("src/big"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		tap_bail("create", at("src/big"));
	for (size_t i = 0; i < BIG_SIZE / sizeof big; i++) {
		memset(big, 'a' + (int)(i % 26), sizeof big);
		if (write(fd, big, sizeof big) != (ssize_t)sizeof big)
			tap_bail("write", at("src/big"));
	}
	close(fd);
	mkd("src/sub", 0700);
	mkd("src/sub/deep", 0755);
	put("src/sub/deep/g", "deep g\n", 0600);
	if (link(at("src/f"), at("src/hard")) < 0 || link(at("src/f"), at("src/sub/hard2")) < 0)
		tap_bail("link", at("src/f"));
	if (symlink("f", at("src/link")) < 0 || symlink("/etc/passwd", at("src/abs")) < 0)
		tap_bail("symlink", at("src/link"));
	if (mkfifo(at("src/fifo"), 0600) < 0)
		tap_bail("mkfifo", at("src/fifo"));
	if (root && (mknod(at("src/null"), S_IFCHR | 0666, makedev(1, 3)) < 0 ||
		     chmod(at("src/null"), 0666) < 0))
		tap_bail("mknod", at("src/null"));
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("src/sock"));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0)
		tap_bail("bind", at("src/sock"));
	close(s);
	own("src", 1000, 1000);
	own("src/f", 1000, 1001);
	own("src/sub/deep/g", 65534, 65534);
	own("src/link", 1000, 1000);
	set_mtime("src/f", 946684800);
	set_mtime("src/link", 1000000000);
	set_mtime("src/sub", 1500000000);
	set_mtime("src", 1600000000);
	if (root) {
		mkd("src/mnt", 0755);
		if (mount("tmpfs", at("src/mnt"), "tmpfs", 0, "mode=0711") < 0)
			tap_bail("mount tmpfs", at("src/mnt"));
		put("src/mnt/other-fs", "not copied", 0644);
		set_mtime("src", 1600000000);
	}

	mkd("root", 0755);
	mkd("root/empty-owned", 0700);
	own("root/empty-owned", 1000, 1000);
	put("root/a-file", "a file", 0644);
	mkd("root/many", 0755);
	for (int i = 0; i < MANY; i++) {
		char name[32];

		snprintf(name, sizeof name, "root/many/f%03d", i);
		put(name, name, 0644);
	}
	mkd("outside", 0755);
	put("outside/secret", "host secret", 0600);
	if (symlink(at("outside"), at("root/esc")) < 0)
		tap_bail("symlink", at("root/esc"));
	mkd("vols", 0700);
}

static void new_volume(const char *name)
{
	char rel[64];

	snprintf(rel, sizeof rel, "vols/%s", name);
	mkd(rel, 0755);
	snprintf(rel, sizeof rel, "vols/%s/_data", name);
	mkd(rel, 0755);
}

/* ---- c_copy_tree ---------------------------------------------------------------- */

static void test_copy(void)
{
	_cleanup_close_ int src = open(at("src"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int topfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat a, b, c;
	char val[16] = "";
	char target[64] = "";
	c_err *e = NULL;
	int r;

	if (src < 0 || topfd < 0)
		tap_bail("open", top);
	r = c_copy_tree(src, topfd, "dst", "/src", &e);
	if (!ok(r == 0, "copy the tree")) {
		tap_err_has(&e, "");
		return;
	}
	ok(lst("dst", &a) && (a.st_mode & 07777) == 0750 && a.st_mtime == 1600000000 &&
		   (!root || (a.st_uid == 1000 && a.st_gid == 1000)),
	   "the top takes the source's mode, time%s", root ? " and owner" : "");
	ok(!strcmp(read_text("dst/f"), "file f\n") && lst("dst/f", &a) &&
		   (a.st_mode & 07777) == 0640 && a.st_mtime == 946684800 &&
		   (!root || (a.st_uid == 1000 && a.st_gid == 1001)),
	   "a file: content, mode, mtime%s", root ? ", owner" : "");
	ok(lst("dst/setuid", &a) && (a.st_mode & 07777) == 04755, "the setuid bit is kept");
	ok(lst("dst/empty", &a) && S_ISREG(a.st_mode) && a.st_size == 0, "an empty file");
	ok(lst("dst/big", &a) && a.st_size == BIG_SIZE, "a %d MiB file in full", BIG_SIZE >> 20);
	ok(lst("dst/f", &a) && lst("dst/hard", &b) && lst("dst/sub/hard2", &c) &&
		   a.st_ino == b.st_ino && a.st_ino == c.st_ino && a.st_nlink == 3,
	   "hardlinks, across directories too, are one inode (3 links)");
	ok(readlink(at("dst/link"), target, sizeof target - 1) == 1 && !strcmp(target, "f") &&
		   lst("dst/link", &a) && a.st_mtime == 1000000000 &&
		   (!root || a.st_uid == 1000),
	   "a relative symlink: target, mtime%s", root ? ", owner" : "");
	memset(target, 0, sizeof target);
	ok(readlink(at("dst/abs"), target, sizeof target - 1) > 0 &&
		   !strcmp(target, "/etc/passwd"),
	   "an absolute symlink is copied, not followed");
	ok(lst("dst/sub", &a) && (a.st_mode & 07777) == 0700 && a.st_mtime == 1500000000,
	   "a directory's mode and mtime, set after its contents");
	ok(!strcmp(read_text("dst/sub/deep/g"), "deep g\n") && lst("dst/sub/deep/g", &a) &&
		   (!root || a.st_uid == 65534),
	   "deeper files");
	ok(lst("dst/fifo", &a) && S_ISFIFO(a.st_mode) && (a.st_mode & 07777) == 0600, "a FIFO");
	if (root)
		ok(lst("dst/null", &a) && S_ISCHR(a.st_mode) && a.st_rdev == makedev(1, 3) &&
			   (a.st_mode & 07777) == 0666,
		   "a device node");
	else
		tap_skip("a device node", "needs root");
	ok(!lst("dst/sock", &a), "a socket is skipped");
	if (xattrs)
		ok(getxattr(at("dst/f"), "user.c-tools.test", val, sizeof val) == 4 &&
			   !memcmp(val, "kept", 4),
		   "a user xattr is kept");
	else
		tap_skip("a user xattr is kept", "no user xattrs on this filesystem");
	if (root)
		ok(lst("dst/mnt", &a) && S_ISDIR(a.st_mode) && entries("dst/mnt") == 0 &&
			   (a.st_mode & 07777) == 0711,
		   "a mount point inside is copied as its directory, empty");
	else
		tap_skip("a mount point inside", "needs root");

	ok(c_copy_tree(src, topfd, "dst", "/src", &e) < 0 && tap_err_has(&e, "mkdir: dst: File exists"),
	   "the destination must be new");
}

/* A copy that fails midway names the entry. */
static void test_copy_error(void)
{
	_cleanup_close_ int src = open(at("src"), O_RDONLY | O_DIRECTORY | O_CLOEXEC), small = -1;
	c_err *e = NULL;

	if (!root) {
		tap_skip("a full filesystem", "needs root");
		return;
	}
	mkd("small", 0755);
	if (mount("tmpfs", at("small"), "tmpfs", 0, "size=256k") < 0)
		tap_bail("mount tmpfs", at("small"));
	small = open(at("small"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (small < 0)
		tap_bail("open", at("small"));
	ok(c_copy_tree(src, small, "dst", "/src", &e) < 0 &&
		   tap_err_has(&e, "copy: /src/big: No space left on device"),
	   "out of space: the error names the file");
	/* room again for test_fill_error() */
	if (nftw(at("small/dst"), rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		tap_bail("remove", at("small/dst"));
}

/* ---- c_volume_fill ---------------------------------------------------------------- */

static int fill(const char *name, const char *rel, c_err **e)
{
	_cleanup_close_ int rootfd = open(at("root"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	char data[64];

	if (rootfd < 0)
		tap_bail("open", at("root"));
	snprintf(data, sizeof data, "vols/%s/_data", name);
	return c_volume_fill(name, at(data), rootfd, rel, e);
}

static void test_fill(void)
{
	_cleanup_close_ int src = open(at("src"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int rootdir = open(at("root"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat a, b;
	c_err *e = NULL;

	if (src < 0 || rootdir < 0 || c_copy_tree(src, rootdir, "data", "/src", &e) < 0)
		tap_bail("copy the tree into", at("root/data"));

	new_volume("v1");
	ok(fill("v1", "data", &e) == 0 && !strcmp(read_text("vols/v1/_data/f"), "file f\n") &&
		   !strcmp(read_text("vols/v1/_data/sub/deep/g"), "deep g\n"),
	   "an empty volume is filled");
	ok(lst("vols/v1/_data", &a) && (a.st_mode & 07777) == 0750 && a.st_mtime == 1600000000,
	   "the volume's directory is the copy of the image's (mode, mtime)");
	ok(entries("vols/v1") == 2 && lst("vols/v1/lock", &a),
	   "beside _data only the lock file: no temp copy left");

	if (unlink(at("vols/v1/_data/f")) < 0)
		tap_bail("unlink", at("vols/v1/_data/f"));
	put("vols/v1/_data/mine", "mine", 0644);
	lst("vols/v1/_data", &a);
	ok(fill("v1", "data", &e) == 0 && !lst("vols/v1/_data/f", &b) &&
		   !strcmp(read_text("vols/v1/_data/mine"), "mine") && lst("vols/v1/_data", &b) &&
		   a.st_ino == b.st_ino,
	   "a volume with content is left as it is (a deleted file stays deleted)");

	new_volume("owned");
	lst("vols/owned/_data", &a);
	ok(fill("owned", "empty-owned", &e) == 0 && lst("vols/owned/_data", &b) &&
		   a.st_ino == b.st_ino && (b.st_mode & 07777) == 0700 &&
		   (!root || (b.st_uid == 1000 && b.st_gid == 1000)),
	   "an empty image directory: the volume stays, with its owner and mode");

	new_volume("none");
	ok(fill("none", "nowhere/at/all", &e) == 0 && entries("vols/none/_data") == 0,
	   "nothing at the destination: the volume stays empty");
	ok(fill("none", "a-file", &e) == 0 && entries("vols/none/_data") == 0,
	   "a file at the destination: the volume stays empty");
	ok(fill("none", "esc", &e) == 0 && entries("vols/none/_data") == 0,
	   "a symlink to a host path is resolved inside the root: nothing there to copy");

	new_volume("stale");
	mkd("vols/stale/.fill-deadbeef", 0700);
	put("vols/stale/.fill-deadbeef/junk", "from a crash", 0644);
	ok(fill("stale", "many", &e) == 0 && entries("vols/stale/_data") == MANY &&
		   entries_like("vols/stale", ".fill-") == 0,
	   "a crash's temp copy is removed, and the volume filled");

	ok(fill("missing", "many", &e) < 0 && tap_err_has(&e, "volume missing: open: "),
	   "a volume whose directory is missing: the error names it");
}

/* Containers starting at once on one new volume: one copy, all see it. */
static void test_race(void)
{
	pid_t pids[RACERS];
	int good = 0;

	new_volume("race");
	fflush(stdout);
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			tap_bail("fork", "racer");
		if (pids[i] == 0) {
			c_err *e = NULL;

			_exit(fill("race", "many", &e) == 0 && entries("vols/race/_data") == MANY
				      ? 0
				      : 1);
		}
	}
	for (int i = 0; i < RACERS; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			good++;
	}
	ok(good == RACERS, "%d fills at once all succeed and see %d files (%d did)", RACERS, MANY,
	   good);
	ok(entries("vols/race/_data") == MANY && entries_like("vols/race", ".fill-") == 0,
	   "the volume holds one copy, no temp copy left");
}

static void test_fill_error(void)
{
	struct stat st;
	c_err *e = NULL;

	if (!root) {
		tap_skip("a fill that runs out of space", "needs root");
		return;
	}
	if (mkdir(at("small/vols"), 0700) < 0 || mkdir(at("small/vols/full"), 0755) < 0 ||
	    mkdir(at("small/vols/full/_data"), 0755) < 0)
		tap_bail("mkdir", at("small/vols/full/_data"));
	{
		_cleanup_close_ int rootfd = open(at("root"), O_PATH | O_DIRECTORY | O_CLOEXEC);

		ok(c_volume_fill("full", at("small/vols/full/_data"), rootfd, "data", &e) < 0 &&
			   tap_err_has(&e, "volume full: copy the image's /data: copy: /data/big: "
					   "No space left on device"),
		   "out of space: the error names the volume and the path in the image");
	}
	ok(entries("small/vols/full") == 2 && lst("small/vols/full/_data", &st) &&
		   entries("small/vols/full/_data") == 0,
	   "the failed copy is removed; the volume stays empty");
}

int main(void)
{
	root = geteuid() == 0;
	/* The tmpfs mounts stay in a namespace of our own. */
	if (root && (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0))
		tap_bail("unshare", "mount namespace");
	build();
	test_copy();
	test_copy_error();
	test_fill();
	test_race();
	test_fill_error();
	if (root && (umount2(at("src/mnt"), MNT_DETACH) < 0 || umount2(at("small"), MNT_DETACH) < 0))
		tap_bail("umount", top);
	if (nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		tap_bail("remove", top);
	return tap_done();
}
