#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "json.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CAP_LAST_CAP_PATH "/proc/sys/kernel/cap_last_cap"

/* capabilities(7), by number. */
static const char *const names[C_CAP_LAST_KNOWN + 1] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

/* The five sets in the OCI spec's order, for parsing and writing. */
static const struct {
	const char *key;
	size_t offset;
} set_fields[] = {
	{ "bounding", offsetof(struct c_caps, bounding) },
	{ "effective", offsetof(struct c_caps, effective) },
	{ "inheritable", offsetof(struct c_caps, inheritable) },
	{ "permitted", offsetof(struct c_caps, permitted) },
	{ "ambient", offsetof(struct c_caps, ambient) },
};

static uint64_t *set_field(struct c_caps *set, size_t i)
{
	return (uint64_t *)((char *)set + set_fields[i].offset);
}

static uint64_t set_value(const struct c_caps *set, size_t i)
{
	return *(const uint64_t *)((const char *)set + set_fields[i].offset);
}

const char *c_cap_name(int cap)
{
	if (cap < 0 || cap > C_CAP_LAST_KNOWN)
		return NULL;
	return names[cap];
}

int c_cap_from_name(const char *name)
{
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (int cap = 0; cap <= C_CAP_LAST_KNOWN; cap++)
		if (!strcasecmp(name, names[cap] + 4))
			return cap;
	return -1;
}

int c_cap_last(int *last, c_err **err)
{
	_cleanup_free_ char *buf = NULL;
	char *end;
	long v;

	if (c_read_file(CAP_LAST_CAP_PATH, 64, &buf, NULL, err) < 0)
		return -1;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v < 0 || v > 63)
		return c_err_new(err, C_EXIT_FAIL, 0, "read %s: unexpected content \"%.20s\"",
				 CAP_LAST_CAP_PATH, buf);
	*last = (int)v;
	return 0;
}

uint64_t c_caps_upto(int last)
{
	if (last >= 63)
		return ~UINT64_C(0);
	return C_CAP_BIT(last + 1) - 1;
}

uint64_t c_caps_docker_default(void)
{
	return C_CAP_BIT(CAP_CHOWN) | C_CAP_BIT(CAP_DAC_OVERRIDE) | C_CAP_BIT(CAP_FSETID) |
	       C_CAP_BIT(CAP_FOWNER) | C_CAP_BIT(CAP_MKNOD) | C_CAP_BIT(CAP_NET_RAW) |
	       C_CAP_BIT(CAP_SETGID) | C_CAP_BIT(CAP_SETUID) | C_CAP_BIT(CAP_SETFCAP) |
	       C_CAP_BIT(CAP_SETPCAP) | C_CAP_BIT(CAP_NET_BIND_SERVICE) |
	       C_CAP_BIT(CAP_SYS_CHROOT) | C_CAP_BIT(CAP_KILL) | C_CAP_BIT(CAP_AUDIT_WRITE);
}

/* The lowest capability in mask, which must not be empty. */
static int first_cap(uint64_t mask)
{
	return __builtin_ctzll(mask);
}

/* A name for messages even where we have none. */
static const char *cap_label(int cap, char buf[24])
{
	const char *name = c_cap_name(cap);

	if (name)
		return name;
	snprintf(buf, 24, "capability %d", cap);
	return buf;
}

static int parse_array(json_t *caps, size_t field, int last, uint64_t *out, c_err **err)
{
	const char *key = set_fields[field].key;
	json_t *arr, *v;
	size_t i;

	*out = 0;
	if (c_json_get(caps, "process.capabilities", key, JSON_ARRAY, false, &arr, err) < 0)
		return -1;
	json_array_foreach(arr, i, v)
	{
		int cap;

		if (!json_is_string(v))
			return c_err_new(err, C_EXIT_DATA, 0,
					 "field process.capabilities.%s[%zu]: expected string, "
					 "got %s",
					 key, i, c_json_type_name(v));
		cap = c_cap_from_name(json_string_value(v));
		if (cap < 0)
			return c_err_new(err, C_EXIT_DATA, 0,
					 "field process.capabilities.%s[%zu]: unknown capability "
					 "\"%s\"",
					 key, i, json_string_value(v));
		if (cap <= last)
			*out |= C_CAP_BIT(cap);
	}
	return 0;
}

/* What capset(2) and PR_CAP_AMBIENT_RAISE would refuse without saying
 * which capability or why. */
static int check_consistent(const struct c_caps *set, c_err **err)
{
	uint64_t extra = set->effective & ~set->permitted;

	if (extra)
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field process.capabilities.effective: %s is not in permitted",
				 c_cap_name(first_cap(extra)));
	extra = set->ambient & ~(set->permitted & set->inheritable);
	if (extra)
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field process.capabilities.ambient: %s is not in both permitted "
				 "and inheritable",
				 c_cap_name(first_cap(extra)));
	return 0;
}

int c_caps_parse(json_t *process, int last, struct c_caps *out, bool *present, c_err **err)
{
	json_t *caps;

	*out = (struct c_caps){ 0 };
	if (c_json_get(process, "process", "capabilities", JSON_OBJECT, false, &caps, err) < 0)
		return -1;
	*present = caps != NULL;
	if (!caps)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(set_fields); i++)
		if (parse_array(caps, i, last, set_field(out, i), err) < 0)
			return -1;
	return check_consistent(out, err);
}

static json_t *names_of(uint64_t mask)
{
	json_t *arr = json_array();

	for (int cap = 0; arr && cap <= C_CAP_LAST_KNOWN; cap++) {
		if (!(mask & C_CAP_BIT(cap)))
			continue;
		if (json_array_append_new(arr, json_string(names[cap])) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *c_caps_to_json(const struct c_caps *set)
{
	json_t *obj = json_object();

	for (size_t i = 0; obj && i < ARRAY_SIZE(set_fields); i++) {
		uint64_t mask = set_value(set, i);
		json_t *arr;

		if (!mask)
			continue;
		arr = names_of(mask);
		if (!arr || json_object_set_new(obj, set_fields[i].key, arr) < 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

/* One --cap-add or --cap-drop list as a mask; *has_all when "ALL" is in it. */
static int option_mask(const char *option, const char *const *names_in, size_t n, int last,
		       uint64_t *mask, bool *has_all, c_err **err)
{
	*mask = 0;
	*has_all = false;
	for (size_t i = 0; i < n; i++) {
		int cap;

		if (!strcasecmp(names_in[i], "ALL")) {
			*has_all = true;
			continue;
		}
		cap = c_cap_from_name(names_in[i]);
		if (cap < 0)
			return c_err_new(err, C_EXIT_USAGE, 0, "%s: unknown capability \"%s\"",
					 option, names_in[i]);
		if (cap <= last)
			*mask |= C_CAP_BIT(cap);
	}
	return 0;
}

int c_caps_tweak(uint64_t *caps, uint64_t all, int last, const struct c_caps_docker *opts,
		 c_err **err)
{
	uint64_t add, drop;
	bool add_all, drop_all;

	if (opts->privileged) {
		*caps = all;
		return 0;
	}
	if (option_mask("--cap-add", opts->add, opts->nadd, last, &add, &add_all, err) < 0 ||
	    option_mask("--cap-drop", opts->drop, opts->ndrop, last, &drop, &drop_all, err) < 0)
		return -1;
	if (add_all)
		*caps = all & ~drop;
	else if (drop_all)
		*caps = add;
	else
		*caps = (*caps & ~drop) | add;
	return 0;
}

struct c_caps c_caps_for_user(uint64_t caps, uid_t uid)
{
	if (uid == 0)
		return (struct c_caps){ .bounding = caps, .effective = caps, .permitted = caps };
	return (struct c_caps){ .bounding = caps };
}

/* The last capability of the running kernel as the kernel itself says:
 * PR_CAPBSET_READ fails (EINVAL) past it.  For the child, where /proc may
 * not be mounted; by bisection, six calls rather than one per capability. */
static int kernel_last_cap(void)
{
	int lo = 0, hi = 64; /* lo is valid (CAP_CHOWN), hi is not */

	while (hi - lo > 1) {
		int mid = lo + (hi - lo) / 2;

		if (prctl(PR_CAPBSET_READ, mid, 0, 0, 0) >= 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int bounding_has(int cap, c_err **err)
{
	char buf[24];
	int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

	if (r < 0)
		return c_err_sys(err, "read the bounding set at", cap_label(cap, buf));
	return r;
}

static int capget_now(struct __user_cap_data_struct data[2], c_err **err)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	if (syscall(SYS_capget, &hdr, data) < 0)
		return c_err_sys(err, "capget", NULL);
	return 0;
}

static uint64_t join32(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

int c_caps_current(struct c_caps *out, c_err **err)
{
	struct __user_cap_data_struct data[2];
	char buf[24];

	if (capget_now(data, err) < 0)
		return -1;
	*out = (struct c_caps){
		.effective = join32(data[0].effective, data[1].effective),
		.permitted = join32(data[0].permitted, data[1].permitted),
		.inheritable = join32(data[0].inheritable, data[1].inheritable),
	};
	for (int cap = 0, last = kernel_last_cap(); cap <= last; cap++) {
		int in_bounding = bounding_has(cap, err), in_ambient;

		if (in_bounding < 0)
			return -1;
		in_ambient = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
		/* EINVAL: a kernel before 4.3, which has no ambient set. */
		if (in_ambient < 0 && errno != EINVAL)
			return c_err_sys(err, "read the ambient set at", cap_label(cap, buf));
		if (in_bounding)
			out->bounding |= C_CAP_BIT(cap);
		if (in_ambient > 0)
			out->ambient |= C_CAP_BIT(cap);
	}
	return 0;
}

int c_caps_apply_bounding(uint64_t bounding, c_err **err)
{
	struct __user_cap_data_struct data[2];
	bool setpcap;
	char buf[24];

	if (capget_now(data, err) < 0)
		return -1;
	setpcap = data[0].effective & C_CAP_BIT(CAP_SETPCAP);
	for (int cap = 0, last = kernel_last_cap(); cap <= last; cap++) {
		if (bounding & C_CAP_BIT(cap))
			continue;
		/* Dropping needs CAP_SETPCAP even for what is gone already;
		 * with it, a drop needs no look first. */
		if (!setpcap) {
			int has = bounding_has(cap, err);

			if (has < 0)
				return -1;
			if (!has)
				continue;
		}
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return c_err_sys(err, "drop from the bounding set", cap_label(cap, buf));
	}
	return 0;
}

int c_caps_apply_sets(const struct c_caps *set, c_err **err)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uint64_t missing;
	char buf[24];

	if (capget_now(data, err) < 0)
		return -1;
	missing = set->permitted & ~join32(data[0].permitted, data[1].permitted);
	if (missing)
		return c_err_new(err, C_EXIT_FAIL, EPERM,
				 "capset: %s: not in this process's permitted set",
				 cap_label(first_cap(missing), buf));
	/* The kernel lets no new inheritable capability outside the bounding
	 * set in, not even with CAP_SETPCAP.  Only the new ones are looked up
	 * there: usually none. */
	missing = set->inheritable & ~join32(data[0].inheritable, data[1].inheritable);
	for (uint64_t left = missing; left; left &= left - 1) {
		int cap = first_cap(left), has = bounding_has(cap, err);

		if (has < 0)
			return -1;
		if (!has)
			return c_err_new(err, C_EXIT_FAIL, EPERM,
					 "capset: inheritable %s: not in the bounding set",
					 cap_label(cap, buf));
	}
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(set->effective >> (32 * i));
		data[i].permitted = (uint32_t)(set->permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(set->inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return c_err_sys(err, "capset", NULL);
	return 0;
}

int c_caps_apply_ambient(uint64_t ambient, c_err **err)
{
	char buf[24];

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		/* A kernel without ambient capabilities has none to clear. */
		if (errno == EINVAL && !ambient)
			return 0;
		return c_err_sys(err, "clear the ambient set", NULL);
	}
	for (int cap = 0; cap < 64; cap++) {
		if (!(ambient & C_CAP_BIT(cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return c_err_sys(err, "raise ambient", cap_label(cap, buf));
	}
	return 0;
}
