#include "passwd.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "path.h"

#define PASSWD_PATH "/etc/passwd"
#define GROUP_PATH "/etc/group"

/* The lines of one loaded file, consumed in place. */
struct lines {
	const char *path;
	char *p, *end;
	unsigned lineno;
};

static void pass_err(c_err **err, c_err **e)
{
	if (err)
		*err = *e;
	else
		c_err_free(e);
	*e = NULL;
}

/* A decimal id in docker's range: 1 when s is one, 0 when it is not a
 * number at all (a name), -1 when it is all digits but too large. */
static int parse_id(const char *s, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return 0;
	for (const char *c = s; *c; c++) {
		if (!isdigit((unsigned char)*c))
			return 0;
		if (v > INT32_MAX)
			continue; /* keep scanning: "99999999999x" is still a name */
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v > INT32_MAX)
		return -1;
	*out = v;
	return 1;
}

/* Read path inside the root into a NUL-terminated buffer.  1 when read, 0
 * when the image has no such file, -1 on error. */
static int load(int rootfd, const char *path, char **out, size_t *len, c_err **err)
{
	_cleanup_close_ int fd = -1;
	c_err *e = NULL;
	struct stat st;

	/* O_NONBLOCK: a fifo planted at /etc/passwd must not hang the open. */
	fd = c_path_open_in_root(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &e);
	if (fd < 0) {
		if (e && (e->errnum == ENOENT || e->errnum == ENOTDIR)) {
			c_err_free(&e);
			return 0;
		}
		pass_err(err, &e);
		return -1;
	}
	if (fstat(fd, &st) < 0)
		return c_err_sys(err, "stat", path);
	if (!S_ISREG(st.st_mode))
		return c_err_new(err, C_EXIT_DATA, 0, "read %s: not a regular file", path);
	return c_read_fd(fd, path, C_PASSWD_FILE_MAX, out, len, err) < 0 ? -1 : 1;
}

static char *trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* The next entry, split at ':' into at most maxf fields (the last keeps any
 * further colons).  1 for an entry, 0 at the end, -1 for a line too long. */
static int next_entry(struct lines *l, char **f, size_t maxf, size_t *nf, c_err **err)
{
	while (l->p < l->end) {
		char *line = l->p, *nl = memchr(line, '\n', (size_t)(l->end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(l->end - line);

		l->p = nl ? nl + 1 : l->end;
		l->lineno++;
		if (len > C_PASSWD_LINE_MAX)
			return c_err_new(err, C_EXIT_DATA, 0,
					 "read %s: line %u: longer than %d bytes", l->path,
					 l->lineno, C_PASSWD_LINE_MAX);
		line[len] = '\0'; /* the '\n', or the buffer's own terminator */
		if (strlen(line) != len)
			continue; /* a NUL inside: no name in it could be meant */
		line = trim(line);
		if (!*line || *line == '#')
			continue;
		*nf = 0;
		while (line && *nf < maxf) {
			f[(*nf)++] = line;
			if (*nf < maxf && (line = strchr(line, ':')))
				*line++ = '\0';
		}
		return 1;
	}
	return 0;
}

static int find_user(int rootfd, const char *name, struct c_user *user, char **matched, c_err **err)
{
	_cleanup_free_ char *buf = NULL;
	struct lines l = { .path = PASSWD_PATH };
	unsigned long id = 0, uid, gid;
	size_t len, nf;
	char *f[7];
	int num, r;

	num = parse_id(name, &id);
	if (num < 0)
		return c_err_new(err, C_EXIT_DATA, 0, "user \"%s\": uid out of range 0-%d", name,
				 INT32_MAX);
	r = load(rootfd, PASSWD_PATH, &buf, &len, err);
	if (r < 0)
		return -1;
	l.p = buf;
	l.end = buf + (r ? len : 0);
	/* A number is tried as a name too, in file order, as runc does. */
	while ((r = next_entry(&l, f, 7, &nf, err)) > 0) {
		if (nf < 4 || parse_id(f[2], &uid) != 1 || parse_id(f[3], &gid) != 1)
			continue;
		if (strcmp(f[0], name) && !(num && uid == id))
			continue;
		user->uid = (uid_t)uid;
		user->gid = (gid_t)gid;
		user->home = strdup(nf > 5 && *f[5] ? f[5] : "/");
		*matched = strdup(f[0]);
		if (!user->home || !*matched)
			return c_err_sys(err, "resolve user", name);
		return 0;
	}
	if (r < 0)
		return -1;
	if (!num)
		return c_err_new(err, C_EXIT_DATA, 0, "user \"%s\" not found in the image's %s",
				 name, PASSWD_PATH);
	/* docker's rule for a uid the image does not know: group root. */
	user->uid = (uid_t)id;
	user->gid = 0;
	return 0;
}

static bool has_member(char *list, const char *name)
{
	char *save = NULL;

	for (char *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save))
		if (!strcmp(trim(m), name))
			return true;
	return false;
}

static int add_gid(struct c_user *user, gid_t gid)
{
	gid_t *n = realloc(user->additional_gids,
			   (user->nadditional_gids + 1) * sizeof *user->additional_gids);

	if (!n)
		return -1;
	user->additional_gids = n;
	n[user->nadditional_gids++] = gid;
	return 0;
}

/* With group: set the primary gid from it.  Without: collect the groups that
 * list member, the user's supplementary groups. */
static int find_groups(int rootfd, const char *group, const char *member, struct c_user *user,
		       c_err **err)
{
	_cleanup_free_ char *buf = NULL;
	struct lines l = { .path = GROUP_PATH };
	unsigned long id = 0, gid;
	size_t len, nf;
	char *f[4];
	int num = 0, r;

	if (group && (num = parse_id(group, &id)) < 0)
		return c_err_new(err, C_EXIT_DATA, 0, "group \"%s\": gid out of range 0-%d", group,
				 INT32_MAX);
	r = load(rootfd, GROUP_PATH, &buf, &len, err);
	if (r < 0)
		return -1;
	l.p = buf;
	l.end = buf + (r ? len : 0);
	while ((r = next_entry(&l, f, 4, &nf, err)) > 0) {
		if (nf < 3 || parse_id(f[2], &gid) != 1)
			continue;
		if (group) {
			if (strcmp(f[0], group) && !(num && gid == id))
				continue;
			user->gid = (gid_t)gid;
			return 0;
		}
		if (nf > 3 && has_member(f[3], member) && add_gid(user, (gid_t)gid) < 0)
			return c_err_sys(err, "resolve groups of", member);
	}
	if (r < 0 || !group)
		return r;
	if (!num)
		return c_err_new(err, C_EXIT_DATA, 0, "group \"%s\" not found in the image's %s",
				 group, GROUP_PATH);
	user->gid = (gid_t)id;
	return 0;
}

int c_user_resolve(int rootfd, const char *spec, struct c_user *user, c_err **err)
{
	_cleanup_free_ char *copy = strdup(spec);
	_cleanup_free_ char *matched = NULL;
	const char *name;
	char *group;

	memset(user, 0, sizeof *user);
	if (!copy)
		return c_err_sys(err, "resolve user", spec);
	group = strchr(copy, ':');
	if (group) {
		*group++ = '\0';
		if (strchr(group, ':'))
			return c_err_new(
				err, C_EXIT_DATA, 0,
				"user \"%s\": expected USER[:GROUP], got more than one ':'", spec);
		if (!*group)
			group = NULL;
	}
	/* No user means root, looked up like any uid (for its home and groups). */
	name = *copy ? copy : "0";
	if (find_user(rootfd, name, user, &matched, err) < 0 ||
	    ((group || matched) && find_groups(rootfd, group, matched, user, err) < 0))
		goto fail;
	if (!user->home && !(user->home = strdup("/"))) {
		c_err_sys(err, "resolve user", spec);
		goto fail;
	}
	return 0;
fail:
	c_user_free(user);
	return -1;
}

void c_user_free(struct c_user *user)
{
	free(user->additional_gids);
	free(user->home);
	memset(user, 0, sizeof *user);
}
