/* lib/layers: image layers unpacked once under $C_ROOT/layers, named by
 * chain id, in a store of the test's own with images from
 * tests/fixtures/mkimage.py: each layer's own files as an overlay lower dir
 * (whiteouts as 0/0 devices, opaque directories marked, a hardlink to a
 * lower layer's file copied up), a second image sharing the bottom layers
 * sharing their directories, nothing unpacked twice; a refused layer (its
 * diff_id, its blob missing, the config's count) leaves no directory and no
 * temp dir; three processes unpacking one image at once.  The unpacking
 * wants root (device nodes, trusted.* xattrs); the chain ids are checked as
 * anyone.  Run from the top of the repository. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layers.h"
#include "tap-image.h"

static char tmp[] = "/tmp/c-tools-layers-XXXXXX";
static struct c_store *store;

#define OTHER "{\"entries\":[{\"path\":\"other.txt\",\"content\":\"other\"}]}"

static char *layers_dir(const char *rel)
{
	static char dir[PATH_MAX];
	char *full;

	snprintf(dir, sizeof dir, "%s/layers", c_store_root(store));
	full = tap_at(dir, rel);
	return full;
}

/* Entries of layers/ whose names start with prefix ("" for all). */
static int count_layers(const char *prefix)
{
	DIR *d = opendir(layers_dir("."));
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.' ? !strncmp(de->d_name, prefix, strlen(prefix))
					  : !strncmp(de->d_name, ".tmp-", 5) && !strcmp(prefix, ".tmp-");
	if (d)
		closedir(d);
	return n;
}

static ino_t inode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_ino : 0;
}

static bool has_content(const char *path, const char *text)
{
	char *buf = NULL;
	size_t len;
	c_err *e = NULL;
	bool same = c_read_file(path, 4096, &buf, &len, &e) == 0 && !strcmp(buf, text);

	c_err_free(&e);
	free(buf);
	return same;
}

/* Unpack the layers of the image name; dirs and their number back. */
static int ensure(const char *name, int workers, char ***dirs, size_t *n, c_err **e)
{
	struct c_image_config config;
	struct c_manifest *m;
	int rc;

	tap_image_load(store, name, &m, &config);
	*n = m->nlayers;
	*dirs = NULL;
	rc = c_layers_ensure(store, m, &config, workers, dirs, e);
	c_image_config_free(&config);
	c_manifest_free(m);
	return rc;
}

/* sha256 of "a b", by sha256sum: the chain id rule restated. */
static void chain_of(const char *a, const char *b, struct c_digest *out)
{
	char cmd[512], hex[80] = "sha256:";
	c_err *e = NULL;
	FILE *f;

	snprintf(cmd, sizeof cmd, "printf '%%s %%s' '%s' '%s' | sha256sum", a, b);
	f = popen(cmd, "r");
	if (!f || !fgets(hex + 7, 65, f) || pclose(f) != 0 || c_digest_parse(out, hex, &e) < 0)
		tap_bail("sha256sum", a);
}

static void test_chain_ids(void)
{
	struct c_digest diff[3], chain[3], want1, want2;
	struct c_image_config config;
	struct c_manifest *m;

	tap_image_load(store, "base", &m, &config);
	memcpy(diff, config.diff_ids, sizeof diff);
	c_layers_chain_ids(diff, 3, chain);
	chain_of(diff[0].str, diff[1].str, &want1);
	chain_of(want1.str, diff[2].str, &want2);
	ok(c_digest_equal(&chain[0], &diff[0]), "chain id of the bottom layer: its diff_id");
	ok(c_digest_equal(&chain[1], &want1) && c_digest_equal(&chain[2], &want2),
	   "chain ids above: sha256 of \"<chain id below> <diff_id>\"");
	c_image_config_free(&config);
	c_manifest_free(m);
}

static void test_unpack(void)
{
	struct c_digest chain[3];
	struct c_image_config config;
	struct c_manifest *m;
	char **dirs = NULL, val[4] = "";
	bool named = true;
	ino_t inodes[3];
	size_t n;
	struct stat st;
	c_err *e = NULL;

	tap_image_load(store, "base", &m, &config);
	c_layers_chain_ids(config.diff_ids, 3, chain);
	c_image_config_free(&config);
	c_manifest_free(m);

	ok(ensure("base", 4, &dirs, &n, &e) == 0 && n == 3, "a 3-layer image, 4 workers");
	if (e)
		tap_err_has(&e, "(success)");
	for (size_t i = 0; dirs && i < n; i++) {
		named = named && !strcmp(dirs[i], layers_dir(c_digest_hex(&chain[i]))) &&
			stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755;
		inodes[i] = inode_of(dirs[i]);
	}
	ok(dirs && named, "its dirs, bottom first: layers/CHAIN-ID, 0755");
	if (!dirs)
		return;
	ok(has_content(tap_at(dirs[0], "etc/passwd"), TAP_PASSWD) &&
		   has_content(tap_at(dirs[1], "l2.txt"), "two") &&
		   access(tap_at(dirs[1], "etc"), F_OK) < 0 && access(tap_at(dirs[2], "l2.txt"), F_OK) < 0,
	   "each dir holds its layer's own files only");
	ok(lstat(tap_at(dirs[1], "gone"), &st) == 0 && S_ISCHR(st.st_mode) &&
		   st.st_rdev == makedev(0, 0),
	   "a whiteout is a 0/0 character device");
	ok(getxattr(tap_at(dirs[1], "opaque"), "trusted.overlay.opaque", val, sizeof val) == 1 &&
		   val[0] == 'y' && has_content(tap_at(dirs[1], "opaque/new"), "new"),
	   "an opaque directory is marked trusted.overlay.opaque=y, with its new file");
	ok(lstat(tap_at(dirs[2], "links/to-lower"), &st) == 0 && S_ISREG(st.st_mode) &&
		   has_content(tap_at(dirs[2], "links/to-lower"), "shared content\n"),
	   "a hardlink to a lower layer's file is a copy of it");
	ok(count_layers(".tmp-") == 0 && count_layers("") == 3,
	   "three layer dirs, no temp dir left");
	c_layers_free_dirs(dirs, n);

	ok(ensure("base", 4, &dirs, &n, &e) == 0 && n == 3 && inode_of(dirs[0]) == inodes[0] &&
		   inode_of(dirs[1]) == inodes[1] && inode_of(dirs[2]) == inodes[2] &&
		   count_layers("") == 3,
	   "again: the same dirs, none unpacked again");
	c_layers_free_dirs(dirs, n);
	c_err_free(&e);
}

static void test_sharing(void)
{
	char **base = NULL, **fork_ = NULL, **alone = NULL;
	size_t n, nf, na;
	c_err *e = NULL;

	ok(ensure("base", 2, &base, &n, &e) == 0 && ensure("fork", 2, &fork_, &nf, &e) == 0 &&
		   nf == 3 && !strcmp(base[0], fork_[0]) && !strcmp(base[1], fork_[1]) &&
		   strcmp(base[2], fork_[2]) && count_layers("") == 4,
	   "an image on the same two bottom layers shares their dirs, adds one");
	ok(ensure("rebased", 2, &alone, &na, &e) == 0 && na == 1 && strcmp(alone[0], base[1]) &&
		   count_layers("") == 5,
	   "the same layer on another base is another dir");
	c_err_free(&e);
	c_layers_free_dirs(base, n);
	c_layers_free_dirs(fork_, nf);
	c_layers_free_dirs(alone, na);
}

static void test_refused(void)
{
	struct c_image_config config;
	struct c_manifest *m;
	char **dirs = NULL, want[PATH_MAX + 64], *blob;
	size_t n;
	int before = count_layers("");
	c_err *e = NULL;

	tap_image_tamper(store, "base", "bad-diff", 1,
			 "sha256:3333333333333333333333333333333333333333333333333333333333333333");
	tap_image_load(store, "bad-diff", &m, &config);
	snprintf(want, sizeof want, "layer %s: diff_id mismatch: expected %s", m->layers[1].digest.str,
		 config.diff_ids[1].str);
	c_image_config_free(&config);
	c_manifest_free(m);
	ok(ensure("bad-diff", 3, &dirs, &n, &e) < 0 && !dirs && e && e->status == C_EXIT_DATA &&
		   tap_err_has(&e, want),
	   "a layer that is not its config's diff_id is refused, naming the layer and the diff_id");
	ok(count_layers("") == before && count_layers(".tmp-") == 0,
	   "and leaves no dir for it or the layer above, no temp dir");

	tap_image_tamper(store, "base", "short-config", 2, NULL);
	tap_image_load(store, "short-config", &m, &config);
	snprintf(want, sizeof want, "3 layers but 2 diff_ids in config %s", m->config.digest.str);
	c_image_config_free(&config);
	c_manifest_free(m);
	ok(ensure("short-config", 3, &dirs, &n, &e) < 0 && e && e->status == C_EXIT_DATA &&
		   tap_err_has(&e, want),
	   "a config with fewer diff_ids than layers is refused, named");

	tap_image_load(store, "lonely", &m, &config);
	blob = c_store_blob_path(store, &m->layers[0].digest);
	c_image_config_free(&config);
	c_manifest_free(m);
	snprintf(want, sizeof want, "open layer: %s: No such file or directory", blob);
	ok(blob && unlink(blob) == 0 && ensure("lonely", 1, &dirs, &n, &e) < 0 && e &&
		   e->status == C_EXIT_NOTFOUND && tap_err_has(&e, want),
	   "a layer blob missing from the store is not found, its path named");
	ok(count_layers("") == before && count_layers(".tmp-") == 0, "and leaves nothing");
	free(blob);
}

static void test_race(void)
{
	pid_t pids[3];
	int good = 0, status;
	char **dirs = NULL;
	size_t n;
	c_err *e = NULL;
	int before = count_layers("");

	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct c_store *s = c_store_open(c_store_root(store), &e);

			store = s;
			_exit(s && ensure("racy", 1, &dirs, &n, &e) == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < 3; i++)
		good += waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
			WEXITSTATUS(status) == 0;
	ok(good == 3, "three processes unpack one image at once: all succeed (%d)", good);
	ok(count_layers("") == before + 2 && count_layers(".tmp-") == 0,
	   "one dir a layer, no temp dir left");
	ok(ensure("racy", 1, &dirs, &n, &e) == 0 && n == 2 &&
		   has_content(tap_at(dirs[1], "big/file-199"), "file 199\n"),
	   "and each is whole");
	c_layers_free_dirs(dirs, n);
	c_err_free(&e);
}

/* A spec of the given layers (JSON objects, joined). */
static void image(const char *name, const char *layers)
{
	char spec[8192];
	struct c_digest d;

	snprintf(spec, sizeof spec, "{\"layers\":[%s]}", layers);
	tap_mkimage(store, name, spec, &d);
}

static void racy_image(void)
{
	static char spec[64 * 1024];
	size_t len = 0;
	struct c_digest d;

	len += (size_t)snprintf(spec + len, sizeof spec - len,
				"{\"layers\":[{\"entries\":[{\"path\":\"racy\",\"content\":\"r\"}]},"
				"{\"entries\":[{\"path\":\"big\",\"type\":\"dir\"}");
	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(spec + len, sizeof spec - len,
					",{\"path\":\"big/file-%d\",\"content\":\"file %d\\n\"}", i, i);
	snprintf(spec + len, sizeof spec - len, "]}]}");
	tap_mkimage(store, "racy", spec, &d);
}

int main(void)
{
	char root[PATH_MAX];

	if (!mkdtemp(tmp))
		tap_bail("mkdtemp", tmp);
	snprintf(root, sizeof root, "%s/store", tmp);
	store = tap_store_open(root);
	image("base", TAP_LAYER_BASE "," TAP_LAYER_WHITEOUTS "," TAP_LAYER_LINKS);
	image("fork", TAP_LAYER_BASE "," TAP_LAYER_WHITEOUTS "," OTHER);
	image("rebased", TAP_LAYER_WHITEOUTS);
	image("lonely", "{\"entries\":[{\"path\":\"lonely\",\"content\":\"lonely\"}]}");
	racy_image();
	test_chain_ids();
	if (geteuid() != 0) {
		tap_skip("unpacking layers", "needs root (whiteout devices, trusted.* xattrs)");
	} else {
		test_unpack();
		test_sharing();
		test_refused();
		test_race();
	}
	c_store_close(store);
	if (!getenv("KEEP"))
		tap_remove_tree(tmp);
	return tap_done();
}
