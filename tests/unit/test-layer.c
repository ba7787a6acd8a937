/* test-layer.c — lib/layer.c and lib/inflate.c: the multilayer fixture
 * applied in copy and overlay mode, gzip by ISA-L and zlib, zstd, broken
 * streams, and the malicious corpus of tests/fixtures/evil-layers.py.  Run
 * from the top of the repository; wants root for owners and devices. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "inflate.h"
#include "layer.h"
#include "path.h"
#include "tap.h"

#define MAXLAYERS 8

struct layer {
	char blob[4096];
	enum c_compression comp;
	struct c_digest diff_id;
};

static char work[] = "/dev/shm/test-layer.XXXXXX";
static struct layer layers[MAXLAYERS];
static int nlayers;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* The layers of the multilayer fixture, with config diff_ids, in order. */
static int load_fixture(void)
{
	char line[8192], comp[16], blob[4096], diff[128];
	c_err *err = NULL;
	FILE *f;

	if (sh("bash -c 'source tests/helpers/registry.bash; "
	       "fixture_multilayer_image %s/img' >/dev/null", work))
		return -1;
	snprintf(line, sizeof(line),
		 "python3 -c 'import json,sys; d=sys.argv[1]; b=lambda g: d+\"/blobs/\"+g.replace(\":\",\"/\");"
		 "m=json.load(open(b(json.load(open(d+\"/index.json\"))[\"manifests\"][0][\"digest\"])));"
		 "c=json.load(open(b(m[\"config\"][\"digest\"])));"
		 "[print(l[\"mediaType\"].split(\".\")[-1], b(l[\"digest\"]), x) for l,x in "
		 "zip(m[\"layers\"], c[\"rootfs\"][\"diff_ids\"])]' %s/img", work);
	f = popen(line, "r");
	if (!f)
		return -1;
	while (nlayers < MAXLAYERS && fscanf(f, "%15s %4095s %127s", comp, blob, diff) == 3) {
		struct layer *l = &layers[nlayers++];

		snprintf(l->blob, sizeof(l->blob), "%s", blob);
		l->comp = strstr(comp, "gzip")   ? C_COMPRESSION_GZIP
			  : strstr(comp, "zstd") ? C_COMPRESSION_ZSTD
						 : C_COMPRESSION_NONE;
		if (c_digest_parse(&l->diff_id, diff, &err) < 0)
			return -1;
	}
	pclose(f);
	return nlayers ? 0 : -1;
}

static int apply_file(const char *root, const char *blob, enum c_compression comp,
		      const struct c_layer_opts *o, struct c_digest *got, c_err **err)
{
	int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = open(blob, O_RDONLY | O_CLOEXEC);
	int ret;

	if (rfd < 0 || fd < 0) {
		if (rfd >= 0)
			close(rfd);
		return c_err_sys(err, "open", rfd < 0 ? root : blob);
	}
	ret = c_layer_apply(rfd, fd, comp, o, got, err);
	close(fd);
	close(rfd);
	return ret;
}

/* Apply all layers in copy mode into DIR; 0 when every diff_id matched. */
static int apply_all(const char *dir, bool root)
{
	struct c_layer_opts o = { .mode = C_LAYER_COPY, .root = root };
	struct c_digest got;
	c_err *err = NULL;

	if (mkdir(dir, 0755) < 0)
		return -1;
	for (int i = 0; i < nlayers; i++) {
		if (apply_file(dir, layers[i].blob, layers[i].comp, &o, &got, &err) < 0) {
			tap_diag("layer %d: %s", i + 1, err->msg);
			c_err_free(&err);
			return -1;
		}
		if (!c_digest_equal(&got, &layers[i].diff_id)) {
			tap_diag("layer %d: diff_id %s, config says %s", i + 1, got.str,
				 layers[i].diff_id.str);
			return -1;
		}
	}
	return 0;
}

static void test_copy(void)
{
	char dir[256];

	if (geteuid()) {
		tap_skip("multilayer fixture in copy mode", "needs root (owners, devices)");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/copy", work);
	ok(apply_all(dir, true) == 0, "copy mode: %d layers applied, diff_ids match the config",
	   nlayers);
	ok(sh("bash -c 'source tests/helpers/registry.bash; "
	      "diff -u <(fixture_multilayer_tree) <(fixture_tree %s)' >&2", dir) == 0,
	   "copy mode: the tree is fixture_multilayer_tree's");

	c_inflate_test_force_zlib(1);
	snprintf(dir, sizeof(dir), "%s/copy-zlib", work);
	ok(apply_all(dir, true) == 0, "zlib: same diff_ids");
	c_inflate_test_force_zlib(0);
	ok(sh("bash -c 'diff <(python3 tests/fixtures/mkimage.py --tree %s/copy) "
		      "<(python3 tests/fixtures/mkimage.py --tree %s)'", work, dir) == 0,
	   "zlib: the same tree as ISA-L");
}

static void test_overlay(void)
{
	struct c_layer_opts o = { .mode = C_LAYER_OVERLAY, .root = true };
	char dir[256], path[512], val[8];
	int lowers[MAXLAYERS];
	c_err *err = NULL;
	struct stat st;
	ssize_t n;
	int i, bad = 0, sizes_bad = 0;
	int64_t size;

	if (geteuid()) {
		tap_skip("overlay mode", "needs root");
		return;
	}
	for (i = 0; i < nlayers; i++) {
		snprintf(dir, sizeof(dir), "%s/ovl%d", work, i + 1);
		o.diff_id = &layers[i].diff_id;
		/* the layers below, topmost first */
		for (int j = 0; j < i; j++) {
			snprintf(path, sizeof(path), "%s/ovl%d", work, i - j);
			lowers[j] = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		}
		o.lowers = lowers;
		o.nlowers = i;
		o.size_out = &size;
		size = -1;
		if (mkdir(dir, 0755) < 0 ||
		    apply_file(dir, layers[i].blob, layers[i].comp, &o, NULL, &err) < 0) {
			tap_diag("layer %d: %s", i + 1, err ? err->msg : strerror(errno));
			c_err_free(&err);
			bad = 1;
		}
		/* the size of the stream: an uncompressed layer's is its file's */
		if (size < 1024 || (layers[i].comp == C_COMPRESSION_NONE &&
				    (stat(layers[i].blob, &st) < 0 || st.st_size != size)))
			sizes_bad = 1;
		for (int j = 0; j < i; j++)
			close(lowers[j]);
	}
	ok(!bad, "overlay mode: each layer into its own dir, diff_id verified");
	ok(!sizes_bad, "the size of each uncompressed stream told (size_out)");
	snprintf(path, sizeof(path), "%s/ovl2/links/hard-lower-layer", work);
	ok(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 15,
	   "overlay mode: a hardlink to a lower layer's file is a copy of it");
	snprintf(path, sizeof(path), "%s/ovl3/etc/removed", work);
	ok(lstat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
	   "overlay mode: .wh.removed is a 0/0 char device");
	snprintf(path, sizeof(path), "%s/ovl3/gone-dir", work);
	ok(lstat(path, &st) == 0 && S_ISCHR(st.st_mode), "overlay mode: a dir whiteout too");
	snprintf(path, sizeof(path), "%s/ovl3/opaque", work);
	n = getxattr(path, "trusted.overlay.opaque", val, sizeof(val));
	ok(n == 1 && val[0] == 'y', "overlay mode: trusted.overlay.opaque=y on the opaque dir");
	snprintf(path, sizeof(path), "%s/ovl3/opaque/upper", work);
	ok(lstat(path, &st) == 0 && S_ISREG(st.st_mode), "overlay mode: the opaque dir's own file");
	ok(sh("find %s/ovl1 %s/ovl2 %s/ovl3 %s/ovl4 %s/ovl5 -name '.wh.*' | grep -q .", work,
	      work, work, work, work) != 0,
	   "overlay mode: no .wh. names left");
}

static void test_streams(void)
{
	struct c_layer_opts o = { .mode = C_LAYER_COPY, .root = false };
	struct c_digest got, wrong;
	char dir[256], blob[512];
	c_err *err = NULL;
	int ret;

	/* layer 2 is uncompressed: the same stream as zstd */
	snprintf(blob, sizeof(blob), "%s/l2.zst", work);
	snprintf(dir, sizeof(dir), "%s/zstd", work);
	if (geteuid()) {
		tap_skip("zstd layer", "needs root (its layer has a device node)");
	} else if (sh("zstd -q -c %s > %s", layers[1].blob, blob) || mkdir(dir, 0755) < 0) {
		tap_skip("zstd layer", "zstd failed");
	} else {
		o.root = geteuid() == 0;
		/* its hardlink to data/shared needs layer 1 below */
		ret = apply_file(dir, layers[0].blob, layers[0].comp, &o, NULL, &err);
		if (!ret)
			ret = apply_file(dir, blob, C_COMPRESSION_ZSTD, &o, &got, &err);
		ok(ret == 0 && c_digest_equal(&got, &layers[1].diff_id),
		   "zstd: applied, diff_id of the uncompressed stream%s%s", err ? ": " : "",
		   err ? err->msg : "");
		c_err_free(&err);
		o.root = false;
	}

	/* a byte changed in the middle of the deflate data */
	snprintf(blob, sizeof(blob), "%s/bad.gz", work);
	sh("cp %s %s && printf '\\377\\377\\377\\377' | dd of=%s bs=1 seek=$(( $(stat -c %%s %s) / 2 )) conv=notrunc 2>/dev/null",
	   layers[0].blob, blob, blob, blob);
	for (int z = 0; z < 2; z++) {
		c_inflate_test_force_zlib(z);
		snprintf(dir, sizeof(dir), "%s/bad%d", work, z);
		mkdir(dir, 0755);
		ret = apply_file(dir, blob, C_COMPRESSION_GZIP, &o, NULL, &err);
		ok(ret < 0 && err && err->status == C_EXIT_DATA && strstr(err->msg, "gzip stream"),
		   "%s: a corrupt gzip stream is an error: %s", z ? "zlib" : "ISA-L",
		   err ? err->msg : "none");
		c_err_free(&err);
	}
	c_inflate_test_force_zlib(0);

	snprintf(blob, sizeof(blob), "%s/short.gz", work);
	sh("head -c 100 %s > %s", layers[0].blob, blob);
	snprintf(dir, sizeof(dir), "%s/short", work);
	mkdir(dir, 0755);
	ret = apply_file(dir, blob, C_COMPRESSION_GZIP, &o, NULL, &err);
	ok(ret < 0 && err && err->status == C_EXIT_DATA, "a truncated gzip stream is an error: %s",
	   err ? err->msg : "none");
	c_err_free(&err);

	wrong = layers[1].diff_id;
	c_digest_parse(&wrong, "sha256:0000000000000000000000000000000000000000000000000000000000000000",
		       &err);
	o.diff_id = &wrong;
	snprintf(dir, sizeof(dir), "%s/mismatch", work);
	mkdir(dir, 0755);
	o.root = geteuid() == 0;
	ret = apply_file(dir, layers[0].blob, layers[0].comp, &o, NULL, &err);
	ok(ret < 0 && err && err->status == C_EXIT_DATA && strstr(err->msg, wrong.str) &&
		   strstr(err->msg, layers[0].diff_id.str),
	   "an expected diff_id mismatch names both: %s", err ? err->msg : "none");
	c_err_free(&err);
}

/* The corpus: each layer applied as non-root; its victim stays, nothing
 * new appears beside root/, and a refusal names the entry. */
static void test_evil(int walk)
{
	char corpus[256], line[256], path[1024];
	struct c_layer_opts o = { .mode = C_LAYER_COPY, .root = false };
	c_err *err = NULL;
	struct stat st;
	FILE *f;
	int n = 0;

	c_path_test_force_walk(walk);
	snprintf(corpus, sizeof(corpus), "%s/evil%s", work, walk ? "-walk" : "");
	if (sh("python3 tests/fixtures/evil-layers.py %s", corpus)) {
		ok(0, "evil-layers.py runs");
		return;
	}
	snprintf(path, sizeof(path), "%s/cases.tsv", corpus);
	f = fopen(path, "re");
	if (!f) {
		ok(0, "cases.tsv");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *expect = strchr(line, '\t'), root[1024], layer[1024], victim[1024], ls[64];
		int ret, safe;

		if (!expect)
			continue;
		*expect++ = '\0';
		expect[strcspn(expect, "\n")] = '\0';
		snprintf(root, sizeof(root), "%s/%s/root", corpus, line);
		snprintf(layer, sizeof(layer), "%s/%s/layer.tar", corpus, line);
		snprintf(victim, sizeof(victim), "%s/%s/victim", corpus, line);
		ret = apply_file(root, layer, C_COMPRESSION_NONE, &o, NULL, &err);
		safe = stat(victim, &st) == 0 && st.st_size == 7 && st.st_mtime == 946684800 &&
		       sh("test \"$(cat %s)\" = victim && test \"$(ls -A %s/%s | tr '\\n' ' ')\" = 'layer.tar root victim '",
			  victim, corpus, line) == 0;
		snprintf(ls, sizeof(ls), "%s", ret < 0 ? "refused" : "applied");
		if (!strcmp(expect, "ok"))
			ok(safe && ret == 0, "evil%s %s: applied inside the root, victim untouched%s%s",
			   walk ? " (walk)" : "", line, err ? ": " : "", err ? err->msg : "");
		else
			ok(safe && ret < 0 && err && strstr(err->msg, expect),
			   "evil%s %s: %s, victim untouched: %s", walk ? " (walk)" : "", line, ls,
			   err ? err->msg : "no error");
		c_err_free(&err);
		n++;
	}
	fclose(f);
	c_path_test_force_walk(0);
	ok(n >= 15, "evil corpus%s: %d cases", walk ? " (walk)" : "", n);
}

int main(void)
{
	if (!mkdtemp(work)) {
		perror("mkdtemp");
		return 1;
	}
	if (load_fixture() < 0) {
		ok(0, "build the multilayer fixture");
		return tap_done();
	}
	ok(nlayers == 5, "multilayer fixture: %d layers", nlayers);
	test_copy();
	test_overlay();
	test_streams();
	test_evil(0);
	/* again with the component walk of kernels without openat2 */
	test_evil(1);
	if (!getenv("KEEP"))
		tap_remove_tree(work);
	else
		tap_diag("kept %s", work);
	return tap_done();
}
