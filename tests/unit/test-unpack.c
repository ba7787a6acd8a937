/* lib/unpack: images of a store of the test's own (made by
 * tests/fixtures/mkimage.py) into bundles — copy mode as anyone: the
 * layers applied in order (whiteouts, opaque dirs, hardlinks), config.json
 * from the image config with the user looked up in the image's files, an
 * index giving this machine's platform; overlay mode as root: an empty
 * rootfs and the layer dirs in the lowerdirs annotation, which mounted give
 * the copy's tree, a second bundle unpacking nothing; every refusal (the
 * bundle there already, an unknown image or platform, a layer that is not
 * its diff_id, a user the image lacks) leaving neither the bundle nor its
 * temp dir; single layers from files and pipes, compression recognised.
 * Run from the top of the repository. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ref.h"
#include "spec.h"
#include "tap-image.h"
#include "unpack.h"

static char tmp[] = "/tmp/c-tools-unpack-XXXXXX";
static char bundles[PATH_MAX];
static struct c_store *store;

#define CONFIG(user)                                                                               \
	"\"config\":{\"Entrypoint\":[\"/bin/tool\"],\"Cmd\":[\"--flag\"],\"Env\":[\"A=b\"],"     \
	"\"WorkingDir\":\"/data\",\"User\":\"" user "\"}"
/* An image for architecture a whose file /arch says a. */
#define ARCH(a)                                                                                    \
	"{\"architecture\":\"" a "\",\"layers\":[{\"entries\":[{\"path\":\"arch\",\"content\":\"" a  \
	"\"}]}]}"

static char *bundle(const char *name)
{
	return tap_at(bundles, name);
}

static bool has_content(const char *path, const char *text)
{
	char *buf = NULL;
	size_t len;
	c_err *e = NULL;
	bool same = c_read_file(path, 4096, &buf, &len, &e) == 0 && !strcmp(buf, text);

	if (!same)
		tap_diag("%s: %s", path, buf ? buf : e ? e->msg : "?");
	c_err_free(&e);
	free(buf);
	return same;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode : 0;
}

/* Only what the test left in the bundles dir: no temp dir of a failed
 * unpack beside them. */
static bool bundles_are(const char *want)
{
	char got[1024];

	if (tap_ls(bundles, got, sizeof got) < 0 || strcmp(got, want)) {
		tap_diag("bundles: %s", got);
		return false;
	}
	return true;
}

static int unpack(const char *image, const char *name, enum c_unpack_mode mode, const char *user,
		  c_err **e)
{
	struct c_unpack_opts o = { .mode = mode, .spec = { .user = user, .hostname = "box" } };

	return c_unpack_image(store, image, bundle(name), &o, e);
}

static json_t *config_of(const char *name)
{
	c_err *e = NULL;
	json_t *c = c_json_load_file(tap_at(bundle(name), "config.json"), 1 << 20, &e);

	if (!c)
		tap_err_has(&e, "(success)");
	return c;
}

/* A string of a config.json, by a path of keys and indexes ("process",
 * "args", "0"). */
static const char *config_str(json_t *c, const char *path)
{
	char buf[256], *save = NULL;
	json_t *v = c;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); v && k; k = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(k)) : json_object_get(v, k);
	return json_string_value(v) ? json_string_value(v) : "";
}

static const char *lowerdirs_of(json_t *c)
{
	json_t *v = json_object_get(json_object_get(c, "annotations"), C_SPEC_LOWERDIRS_ANNOTATION);

	return json_string_value(v) ? json_string_value(v) : "";
}

static json_int_t config_int(json_t *c, const char *obj, const char *key)
{
	json_t *process = json_object_get(c, "process");

	return json_integer_value(json_object_get(json_object_get(process, obj), key));
}

static bool env_has(json_t *c, const char *want)
{
	json_t *env = json_object_get(json_object_get(c, "process"), "env"), *v;
	size_t i;

	json_array_foreach(env, i, v)
		if (!strcmp(json_string_value(v), want))
			return true;
	return false;
}

static char *tree_of(const char *dir)
{
	static char out[2][8192];
	static int k;
	char cmd[PATH_MAX + 64];
	size_t n;
	FILE *f;

	k = (k + 1) % 2;
	snprintf(cmd, sizeof cmd, "python3 tests/fixtures/mkimage.py --tree '%s'", dir);
	f = popen(cmd, "r");
	n = f ? fread(out[k], 1, sizeof out[k] - 1, f) : 0;
	out[k][n] = '\0';
	if (f)
		pclose(f);
	return out[k];
}

static void test_copy(void)
{
	char *root = tap_at(bundle("copy"), "rootfs"), listing[256];
	c_err *e = NULL;
	json_t *c;

	ok(unpack("app", "copy", C_UNPACK_COPY, NULL, &e) == 0, "copy mode: a 3-layer image");
	if (e)
		tap_err_has(&e, "(success)");
	ok((mode_of(bundle("copy")) & 07777) == 0755 &&
		   tap_ls(bundle("copy"), listing, sizeof listing) == 0 &&
		   !strcmp(listing, "config.json rootfs "),
	   "the bundle: config.json and rootfs, 0755 (%s)", listing);
	ok(bundles_are("copy "), "no temp dir left beside it");
	ok(has_content(tap_at(root, "etc/passwd"), TAP_PASSWD) &&
		   has_content(tap_at(root, "l2.txt"), "two") && has_content(tap_at(root, "l3.txt"), "three"),
	   "rootfs: every layer's files");
	ok(access(tap_at(root, "gone"), F_OK) < 0 && access(tap_at(root, "opaque/old"), F_OK) < 0 &&
		   has_content(tap_at(root, "opaque/new"), "new"),
	   "rootfs: whiteouts delete, an opaque dir keeps only its layer's files");
	ok(has_content(tap_at(root, "links/to-lower"), "shared content\n") &&
		   (mode_of(tap_at(root, "bin/tool")) & 07777) == 0755,
	   "rootfs: a hardlink to a lower layer's file, modes kept");

	c = config_of("copy");
	ok(c && !strcmp(config_str(c, "process.args.0"), "/bin/tool") &&
		   !strcmp(config_str(c, "process.args.1"), "--flag") &&
		   !strcmp(config_str(c, "process.cwd"), "/data") &&
		   !strcmp(config_str(c, "root.path"), "rootfs") &&
		   !strcmp(config_str(c, "hostname"), "box"),
	   "config.json: Entrypoint + Cmd, WorkingDir, root, the hostname asked");
	ok(c && env_has(c, "A=b") && env_has(c, "HOME=/home/app") &&
		   env_has(c, "PATH=" C_SPEC_DEFAULT_PATH),
	   "config.json: Env, then HOME from /etc/passwd and the default PATH");
	ok(c && config_int(c, "user", "uid") == 1000 && config_int(c, "user", "gid") == 1000,
	   "config.json: User app looked up in the image's /etc/passwd: 1000:1000");
	ok(c && !lowerdirs_of(c)[0],
	   "config.json: no lowerdirs annotation in copy mode");
	json_decref(c);

	ok(unpack("app", "as-root", C_UNPACK_COPY, "root", &e) == 0 && (c = config_of("as-root")) &&
		   config_int(c, "user", "uid") == 0 && env_has(c, "HOME=/root"),
	   "-u root: uid 0, HOME /root");
	json_decref(c);
	c_err_free(&e);
}

static void test_index(void)
{
	struct c_platform host;
	c_err *e = NULL;
	char want[128];

	c_platform_host(&host);
	ok(unpack("multi", "multi", C_UNPACK_COPY, NULL, &e) == 0 &&
		   has_content(tap_at(bundle("multi"), "rootfs/arch"), host.arch),
	   "an index gives this machine's platform's image (%s)", host.arch);
	c_err_free(&e);
	snprintf(want, sizeof want, "no image for platform linux/%s", host.arch);
	ok(unpack("foreign", "foreign", C_UNPACK_COPY, NULL, &e) < 0 && e &&
		   e->status == C_EXIT_NOTFOUND && tap_err_has(&e, want),
	   "an index without it: not found, the platform named");
	ok(access(bundle("foreign"), F_OK) < 0 && bundles_are("as-root copy multi "),
	   "and nothing is left");
}

/* Each refusal: its status, its line, and nothing left. */
static void refused(const char *image, enum c_unpack_mode mode, const char *user, int status,
		    const char *want, const char *what)
{
	c_err *e = NULL;
	char line[512];

	snprintf(line, sizeof line, want, image);
	ok(unpack(image, "refused", mode, user, &e) < 0 && e && tap_err_has_status(&e, status, line),
	   "%s: %s", mode == C_UNPACK_OVERLAY ? "overlay" : "copy", what);
	ok(access(bundle("refused"), F_OK) < 0 && bundles_are("as-root copy multi "),
	   "%s: and no bundle, no temp dir beside it", mode == C_UNPACK_OVERLAY ? "overlay" : "copy");
}

static void test_refused(enum c_unpack_mode mode)
{
	struct c_image_config config;
	struct c_manifest *m;
	char want[512];
	c_err *e = NULL;

	tap_image_load(store, "bad-diff", &m, &config);
	snprintf(want, sizeof want, "unpack %%s: layer %s: diff_id mismatch: expected %s",
		 m->layers[1].digest.str, config.diff_ids[1].str);
	c_image_config_free(&config);
	c_manifest_free(m);
	refused("bad-diff", mode, NULL, C_EXIT_DATA, want,
		"a layer that is not its diff_id is refused, naming it");
	refused("ghost", mode, NULL, C_EXIT_DATA, "user \"%s\" not found in the image's /etc/passwd",
		"a user the image does not have is refused, naming it");
	refused("nope", mode, NULL, C_EXIT_NOTFOUND, "image not found: %s",
		"an unknown image is not found");

	ok(unpack("app", "copy", mode, NULL, &e) < 0 && e && e->errnum == EEXIST &&
		   tap_err_has(&e, bundle("copy")),
	   "a bundle dir that exists is EEXIST, named");
	ok(access(tap_at(bundle("copy"), "rootfs/l3.txt"), F_OK) == 0 &&
		   bundles_are("as-root copy multi "),
	   "and stays as it was");
}

static void test_missing_parent(void)
{
	c_err *e = NULL;

	ok(unpack("app", "no/such/dir", C_UNPACK_COPY, NULL, &e) < 0 && e &&
		   tap_err_has(&e, bundle("no/such/.dir.tmp-")),
	   "a bundle whose parent is missing: the temp dir that could not be made is named");
	ok(bundles_are("as-root copy multi "), "nothing is left");
}

/* ---- overlay mode ------------------------------------------------------- */

static int count_layer_dirs(void)
{
	char list[8192], *p = list;
	int n = 0;

	if (tap_ls(tap_at(c_store_root(store), "layers"), list, sizeof list) < 0)
		return 0;
	while ((p = strchr(p, ' ')))
		n++, p++;
	return n;
}

/* Whether a mount of this process's view lies in the test's temp dir. */
static bool mounted_here(void)
{
	char *buf = NULL;
	size_t len;
	c_err *e = NULL;
	bool found = c_read_file("/proc/self/mountinfo", 1 << 20, &buf, &len, &e) == 0 &&
		     strstr(buf, tmp);

	c_err_free(&e);
	free(buf);
	return found;
}

/* The tree of the bundle's lowerdirs mounted as overlayfs on its rootfs, in
 * a child's own mount namespace; NULL when the mount failed. */
static const char *merged_tree(const char *name, const char *lowerdirs)
{
	static char out[8192];
	char *root = tap_at(bundle(name), "rootfs"), data[4200];
	int p[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	snprintf(data, sizeof data, "lowerdir=%s", lowerdirs);
	if (pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("overlay", root, "overlay", MS_RDONLY, data) < 0)
			_exit(1);
		_exit(c_write_all(p[1], tree_of(root), strlen(tree_of(root))) < 0 ? 1 : 0);
	}
	close(p[1]);
	while ((n = read(p[0], out + len, sizeof out - 1 - (size_t)len)) > 0)
		len += n;
	close(p[0]);
	out[len] = '\0';
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out : NULL;
}

static void test_overlay(void)
{
	char list[64], lowerdirs[4096], *top, *bottom;
	int layers;
	const char *merged;
	c_err *e = NULL;
	json_t *c;

	ok(unpack("app", "ovl", C_UNPACK_OVERLAY, NULL, &e) == 0, "overlay mode: the 3-layer image");
	if (e)
		tap_err_has(&e, "(success)");
	ok(tap_ls(tap_at(bundle("ovl"), "rootfs"), list, sizeof list) == 0 && !strcmp(list, ""),
	   "the rootfs is an empty mount point");
	c = config_of("ovl");
	snprintf(lowerdirs, sizeof lowerdirs, "%s",
		 c ? lowerdirs_of(c) : "");
	top = lowerdirs;
	bottom = strrchr(lowerdirs, ':');
	ok(strchr(lowerdirs, ':') != bottom && bottom &&
		   !strncmp(top, tap_at(c_store_root(store), "layers/"), strlen(c_store_root(store)) + 8),
	   "lowerdirs: three dirs under $C_ROOT/layers");
	if (bottom) {
		char first[PATH_MAX];

		snprintf(first, sizeof first, "%.*s", (int)strcspn(top, ":"), top);
		ok(access(tap_at(first, "l3.txt"), F_OK) == 0 &&
			   access(tap_at(bottom + 1, "etc/passwd"), F_OK) == 0,
		   "lowerdirs: topmost first");
	} else {
		ok(0, "lowerdirs: topmost first");
	}
	ok(c && config_int(c, "user", "uid") == 1000,
	   "the user is looked up in the layers' merged files: 1000");
	ok(!mounted_here(), "and the mount that took is not in the host's view");
	json_decref(c);

	merged = merged_tree("ovl", lowerdirs);
	ok(merged && strstr(merged, "/links/to-lower - 0644") &&
		   !strcmp(merged, tree_of(tap_at(bundle("copy"), "rootfs"))),
	   "the lowerdirs mounted give the copy mode's tree");
	if (merged && strcmp(merged, tree_of(tap_at(bundle("copy"), "rootfs"))))
		tap_diag("merged:\n%s\ncopy:\n%s", merged, tree_of(tap_at(bundle("copy"), "rootfs")));

	layers = count_layer_dirs();
	ok(unpack("app", "ovl2", C_UNPACK_OVERLAY, NULL, &e) == 0 && count_layer_dirs() == layers &&
		   (c = config_of("ovl2")) &&
		   !strcmp(lowerdirs_of(c), lowerdirs),
	   "a second bundle of it: the same layer dirs, nothing unpacked");
	json_decref(c);

	ok(unpack("app", "auto", C_UNPACK_AUTO, NULL, &e) == 0 && (c = config_of("auto")) &&
		   lowerdirs_of(c)[0],
	   "auto as root, where overlay mounts: overlay");
	json_decref(c);
	c_remove_tree(bundle("ovl"));
	c_remove_tree(bundle("ovl2"));
	c_remove_tree(bundle("auto"));
	c_err_free(&e);
}

static void test_auto_user(void)
{
	c_err *e = NULL;
	json_t *c = NULL;

	ok(unpack("app", "auto", C_UNPACK_AUTO, NULL, &e) == 0 && (c = config_of("auto")) &&
		   !lowerdirs_of(c)[0] &&
		   access(tap_at(bundle("auto"), "rootfs/l3.txt"), F_OK) == 0,
	   "auto as a user: copy");
	json_decref(c);
	c_remove_tree(bundle("auto"));
	c_err_free(&e);
}

/* ---- single layers ------------------------------------------------------- */

static pid_t writer;

/* A pipe that gets the file at path, its first bytes (when first is not 0)
 * a moment before the rest; the read end back. */
static int pipe_from(const char *path, size_t first)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		tap_bail("pipe", path);
	writer = fork();
	if (writer == 0) {
		char *buf = NULL;
		size_t len;
		c_err *e = NULL;

		close(p[0]);
		if (c_read_file(path, 1 << 24, &buf, &len, &e) < 0 || first >= len ||
		    c_write_all(p[1], buf, first) < 0)
			_exit(1);
		usleep(first ? 200000 : 0);
		_exit(c_write_all(p[1], buf + first, len - first) < 0 ? 1 : 0);
	}
	close(p[1]);
	return p[0];
}

/* The layer read from fd into the bundles dir's name; a writer of a pipe
 * is waited for. */
static int unpack_layer(int fd, const char *name, c_err **e)
{
	int rc = c_unpack_layer(fd, name, bundle(name), e);

	close(fd);
	if (writer > 0)
		waitpid(writer, NULL, 0);
	writer = 0;
	return rc;
}

static void test_layer(void)
{
	struct c_image_config config;
	struct c_manifest *m;
	char *gz, *zst, tar[PATH_MAX], cmd[3 * PATH_MAX], bad[PATH_MAX];
	c_err *e = NULL;

	tap_image_load(store, "app", &m, &config);
	gz = c_store_blob_path(store, &m->layers[0].digest);
	c_image_config_free(&config);
	c_manifest_free(m);
	tap_image_load(store, "zstd", &m, &config);
	zst = c_store_blob_path(store, &m->layers[0].digest);
	c_image_config_free(&config);
	c_manifest_free(m);
	snprintf(tar, sizeof tar, "%s/layer.tar", tmp);
	snprintf(bad, sizeof bad, "%s/bad.gz", tmp);
	snprintf(cmd, sizeof cmd, "gzip -dc '%s' > '%s' && head -c 300 '%s' > '%s'", gz, tar, gz, bad);
	if (system(cmd) != 0)
		tap_bail("gzip -d", gz);

	ok(unpack_layer(open(gz, O_RDONLY | O_CLOEXEC), "l-file", &e) == 0 &&
		   has_content(tap_at(bundle("l-file"), "etc/passwd"), TAP_PASSWD),
	   "layer: a gzip file into a dir made for it");
	ok(unpack_layer(pipe_from(gz, 0), "l-pipe", &e) == 0 &&
		   access(tap_at(bundle("l-pipe"), "bin/tool"), F_OK) == 0,
	   "layer: gzip from a pipe");
	ok(unpack_layer(pipe_from(tar, 0), "l-tar", &e) == 0 &&
		   access(tap_at(bundle("l-tar"), "bin/tool"), F_OK) == 0,
	   "layer: a plain tar from a pipe");
	ok(unpack_layer(pipe_from(zst, 0), "l-zstd", &e) == 0 &&
		   has_content(tap_at(bundle("l-zstd"), "z"), "zstd"),
	   "layer: zstd from a pipe");
	if (!ok(unpack_layer(pipe_from(gz, 1), "l-slow", &e) == 0 &&
			access(tap_at(bundle("l-slow"), "bin/tool"), F_OK) == 0,
		"layer: gzip from a pipe whose first byte comes alone is still gzip"))
		tap_err_has(&e, "(success)");
	if (!ok(unpack_layer(pipe_from(zst, 2), "l-slow-zstd", &e) == 0 &&
			has_content(tap_at(bundle("l-slow-zstd"), "z"), "zstd"),
		"layer: zstd from a pipe whose first two bytes come alone is still zstd"))
		tap_err_has(&e, "(success)");
	ok(unpack_layer(open(bad, O_RDONLY | O_CLOEXEC), "l-bad", &e) < 0 && e &&
		   e->status == C_EXIT_DATA && tap_err_has(&e, "layer l-bad: "),
	   "layer: a gzip stream cut short is refused, naming the layer");
	free(gz);
	free(zst);
}

static void images(void)
{
	struct c_digest d;

	tap_mkimage(store, "app",
		    "{" CONFIG("app") ",\"layers\":[" TAP_LAYER_BASE "," TAP_LAYER_WHITEOUTS
		    "," TAP_LAYER_LINKS "]}",
		    &d);
	tap_mkimage(store, "ghost", "{" CONFIG("ghost") ",\"layers\":[" TAP_LAYER_BASE "]}", &d);
	tap_mkimage(store, "multi",
		    "{\"index\":[" ARCH("s390x") "," ARCH("amd64") "," ARCH("arm64") "]}", &d);
	tap_mkimage(store, "foreign", "{\"index\":[" ARCH("s390x") "," ARCH("ppc64le") "]}", &d);
	tap_mkimage(store, "zstd", "{\"layers\":[{\"compression\":\"zstd\",\"entries\":"
				   "[{\"path\":\"z\",\"content\":\"zstd\"}]}]}", &d);
	tap_image_tamper(store, "app", "bad-diff", 1,
			 "sha256:4444444444444444444444444444444444444444444444444444444444444444");
}

int main(void)
{
	char root[PATH_MAX];

	if (!mkdtemp(tmp))
		tap_bail("mkdtemp", tmp);
	snprintf(root, sizeof root, "%s/store", tmp);
	snprintf(bundles, sizeof bundles, "%s/bundles", tmp);
	tap_mkdir(bundles);
	store = tap_store_open(root);
	images();
	test_copy();
	test_index();
	test_refused(C_UNPACK_COPY);
	test_missing_parent();
	if (geteuid() != 0) {
		tap_skip("overlay mode", "needs root (layer dirs with whiteout devices, mounts)");
		test_auto_user();
	} else {
		test_overlay();
		test_refused(C_UNPACK_OVERLAY);
	}
	c_remove_tree(bundles);
	tap_mkdir(bundles);
	test_layer();
	c_store_close(store);
	tap_remove_tree(tmp);
	return tap_done();
}
