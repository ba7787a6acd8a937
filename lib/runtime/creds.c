#include "creds.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "json.h"

/* (uid_t)-1 tells setresuid(2) "leave it", so it cannot be an id. */
#define ID_MAX 4294967294LL
#define OOM_SCORE_ADJ_PATH "/proc/self/oom_score_adj"
#define SETGROUPS_PATH "/proc/self/setgroups"

/* An optional integer field within [min, max]; *found says whether it was
 * there. */
static int get_ranged(json_t *obj, const char *where, const char *key, bool required, long long min,
		      long long max, long long *out, bool *found, c_err **err)
{
	json_t *v;

	if (c_json_get(obj, where, key, JSON_INTEGER, required, &v, err) < 0)
		return -1;
	*found = v != NULL;
	if (!v)
		return 0;
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.%s: %lld out of range %lld..%lld",
				 where, key, *out, min, max);
	return 0;
}

static int parse_gids(json_t *user, struct c_identity *out, c_err **err)
{
	json_t *arr, *v;
	size_t i;

	if (c_json_get(user, "process.user", "additionalGids", JSON_ARRAY, false, &arr, err) < 0)
		return -1;
	if (!arr || !json_array_size(arr))
		return 0;
	if (json_array_size(arr) > NGROUPS_MAX)
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field process.user.additionalGids: %zu gids, more than %d",
				 json_array_size(arr), NGROUPS_MAX);
	out->additional_gids = calloc(json_array_size(arr), sizeof(gid_t));
	if (!out->additional_gids)
		return c_err_sys(err, "parse", "process.user.additionalGids");
	json_array_foreach(arr, i, v)
	{
		long long gid;

		if (!json_is_integer(v))
			return c_err_new(
				err, C_EXIT_DATA, 0,
				"field process.user.additionalGids[%zu]: expected integer, "
				"got %s",
				i, c_json_type_name(v));
		gid = json_integer_value(v);
		if (gid < 0 || gid > ID_MAX)
			return c_err_new(
				err, C_EXIT_DATA, 0,
				"field process.user.additionalGids[%zu]: %lld out of range "
				"0..%lld",
				i, gid, ID_MAX);
		out->additional_gids[out->nadditional_gids++] = (gid_t)gid;
	}
	return 0;
}

static int parse_user(json_t *process, struct c_identity *out, c_err **err)
{
	long long v = 0;
	bool found;
	json_t *user;

	if (c_json_get(process, "process", "user", JSON_OBJECT, false, &user, err) < 0)
		return -1;
	if (!user)
		return 0;
	if (get_ranged(user, "process.user", "uid", true, 0, ID_MAX, &v, &found, err) < 0)
		return -1;
	out->uid = (uid_t)v;
	if (get_ranged(user, "process.user", "gid", true, 0, ID_MAX, &v, &found, err) < 0)
		return -1;
	out->gid = (gid_t)v;
	if (get_ranged(user, "process.user", "umask", false, 0, 0777, &v, &out->has_umask, err) < 0)
		return -1;
	out->umask = (mode_t)v;
	return parse_gids(user, out, err);
}

int c_identity_parse(json_t *process, struct c_identity *out, c_err **err)
{
	long long v = 0;

	*out = (struct c_identity){ 0 };
	if (parse_user(process, out, err) < 0 ||
	    c_json_get_bool(process, "process", "noNewPrivileges", false, &out->no_new_privs, err) <
		    0 ||
	    get_ranged(process, "process", "oomScoreAdj", false, -1000, 1000, &v,
		       &out->has_oom_score_adj, err) < 0) {
		c_identity_free(out);
		return -1;
	}
	out->oom_score_adj = (int)v;
	return 0;
}

void c_identity_free(struct c_identity *id)
{
	free(id->additional_gids);
	id->additional_gids = NULL;
	id->nadditional_gids = 0;
}

/* Whether this user namespace forbids setgroups(2) (written by whoever
 * mapped it; then the groups are the ones it was made with). */
static bool setgroups_denied(void)
{
	_cleanup_free_ char *buf = NULL;
	c_err *ignored = NULL;

	if (c_read_file(SETGROUPS_PATH, 64, &buf, NULL, &ignored) < 0) {
		c_err_free(&ignored);
		return false;
	}
	return !strncmp(buf, "deny", 4);
}

/* "10,50,2000", cut after a whole gid with ",..." when long (len > 16);
 * "none" for no gids. */
static const char *gids_label(const struct c_identity *id, char *buf, size_t len)
{
	size_t n = 0, room = len - 4; /* for ",..." and the NUL */

	if (!id->nadditional_gids)
		return "none";
	for (size_t i = 0; i < id->nadditional_gids; i++) {
		int w = snprintf(buf + n, room - n, "%s%u", i ? "," : "",
				 (unsigned)id->additional_gids[i]);

		if (w < 0 || (size_t)w >= room - n) {
			strcpy(buf + n, ",...");
			break;
		}
		n += (size_t)w;
	}
	return buf;
}

static int set_groups(const struct c_identity *id, c_err **err)
{
	char buf[64];
	int saved;

	if (!setgroups(id->nadditional_gids, id->additional_gids))
		return 0;
	saved = errno;
	if (saved == EPERM && setgroups_denied()) {
		/* The groups the namespace was made with stay, as runc lets them. */
		if (!id->nadditional_gids)
			return 0;
		return c_err_new(err, C_EXIT_FAIL, EPERM,
				 "setgroups %s: %s is \"deny\" in this user namespace",
				 gids_label(id, buf, sizeof buf), SETGROUPS_PATH);
	}
	return c_err_new(err, C_EXIT_FAIL, saved, "setgroups %s", gids_label(id, buf, sizeof buf));
}

int c_identity_switch(const struct c_identity *id, const struct c_caps *caps, c_err **err)
{
	if (caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return c_err_sys(err, "prctl", "PR_SET_KEEPCAPS");
	if (caps && c_caps_apply_bounding(caps->bounding, err) < 0)
		return -1;
	if (set_groups(id, err) < 0)
		return -1;
	if (setresgid(id->gid, id->gid, id->gid) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "setresgid %u", (unsigned)id->gid);
	if (setresuid(id->uid, id->uid, id->uid) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "setresuid %u", (unsigned)id->uid);
	if (caps &&
	    (c_caps_apply_sets(caps, err) < 0 || c_caps_apply_ambient(caps->ambient, err) < 0))
		return -1;
	if (id->has_umask)
		umask(id->umask);
	return 0;
}

int c_no_new_privs(c_err **err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return c_err_sys(err, "prctl", "PR_SET_NO_NEW_PRIVS");
	return 0;
}

int c_oom_score_adj(int value, c_err **err)
{
	_cleanup_close_ int fd = open(OOM_SCORE_ADJ_PATH, O_WRONLY | O_CLOEXEC);
	char buf[16];
	int len = snprintf(buf, sizeof buf, "%d", value);

	if (fd < 0)
		return c_err_sys(err, "open", OOM_SCORE_ADJ_PATH);
	if (c_write_all(fd, buf, (size_t)len) < 0)
		return c_err_new(err, C_EXIT_FAIL, errno, "write %d to %s", value,
				 OOM_SCORE_ADJ_PATH);
	return 0;
}
