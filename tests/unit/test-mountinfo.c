/* lib/mountinfo: /proc/PID/mountinfo split into root, mount point, type
 * and superblock options; escapes undone, optional fields skipped, lines
 * without their last fields left out. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mountinfo.h"
#include "tap.h"

static const char text[] =
	/* no optional field */
	"22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
	/* two optional fields, escapes in the root and the mount point */
	"30 22 0:26 /a\\040dir /mnt/with\\040space\\134x rw shared:7 master:2 - tmpfs none "
	"rw,size=1k\n"
	/* cut short after "-": left out */
	"31 22 0:27 / /cut rw - cgroup\n"
	/* the last line, without its newline */
	"32 22 0:28 /user.slice /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory";

static int same(const struct c_mount *m, const char *root, const char *point,
		const char *fstype, const char *super)
{
	return !strcmp(m->root, root) && !strcmp(m->point, point) && !strcmp(m->fstype, fstype) &&
	       !strcmp(m->super, super);
}

int main(void)
{
	char dir[] = "/tmp/c-tools-mountinfo-XXXXXX";
	struct c_mountinfo mi;
	c_err *e = NULL;
	size_t root;

	if (!mkdtemp(dir))
		tap_bail("mkdtemp", dir);
	tap_put(tap_at(dir, "mountinfo"), text);

	ok(c_mountinfo_read(tap_at(dir, "mountinfo"), &mi, &e) == 0, "read");
	ok(mi.n == 3, "three mounts: the one cut short is left out (%zu)", mi.n);
	ok(mi.n > 0 && same(&mi.m[0], "/", "/proc", "proc", "rw"), "fields of a plain line");
	ok(mi.n > 1 && same(&mi.m[1], "/a dir", "/mnt/with space\\x", "tmpfs", "rw,size=1k"),
	   "optional fields skipped; \\040 and \\134 undone in the root and the mount point");
	ok(mi.n > 2 && same(&mi.m[2], "/user.slice", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"),
	   "the last line, without a newline");
	c_mountinfo_free(&mi);
	ok(mi.text == NULL && mi.m == NULL && mi.n == 0, "freed, and empty");

	ok(c_mountinfo_read("/proc/self/mountinfo", &mi, &e) == 0 && mi.n > 0, "this process's own");
	for (root = 0; root < mi.n && strcmp(mi.m[root].point, "/"); root++)
		;
	ok(root < mi.n, "... has a mount at /");
	c_mountinfo_free(&mi);

	ok(c_mountinfo_read(tap_at(dir, "missing"), &mi, &e) < 0 &&
		   tap_err_has(&e, tap_at(dir, "missing")),
	   "a missing file is an error naming it");
	tap_remove_tree(dir);
	return tap_done();
}
