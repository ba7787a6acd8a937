/* c-image — manage the image store: list, inspect, tag, remove, prune, check;
 * import a root filesystem; save images to an archive and load them back.
 *
 * The mechanisms live in lib/: names, resolving, walking an image, GC and
 * the check in store.c, import in import.c, the archives in save.c and
 * load.c; this file is the command line and the presentation. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "programs.h"
#include "cleanup.h"
#include "cli.h"
#include "err.h"
#include "import.h"
#include "json.h"
#include "load.h"
#include "ref.h"
#include "registry.h"
#include "save.h"
#include "store.h"
#include "timefmt.h"

static const char usage[] =
	"Usage: c-image [--root DIR] COMMAND [ARGS]\n"
	"Manage the image store under $C_ROOT.\n"
	"\n"
	"Commands:\n"
	"  ls, list [--json] [-q]   list the images: NAME, DIGEST, SIZE, CREATED\n"
	"  inspect IMAGE            the image's manifest and config as JSON\n"
	"  tag IMAGE NAME           give an image another name\n"
	"  rm IMAGE...              remove names, then the blobs nothing uses\n"
	"  prune                    remove the blobs no name uses\n"
	"  check                    verify every blob and reference; \"ok\" or the problems\n"
	"  tags REPOSITORY          the tags of a repository on its registry\n"
	"  import FILE|DIR|- [NAME] a root filesystem (a tar, gzip'd or zstd'd, or a\n"
	"                           directory) as a one-layer image; prints its digest\n"
	"  save [-o FILE] IMAGE...  images as one archive (stdout unless -o)\n"
	"  load [-i FILE]           the images of an archive (docker or OCI; stdin\n"
	"                           unless -i); prints \"Loaded image: NAME\" for each\n"
	"\n"
	"IMAGE is a name, a name without its \":latest\", the end of a name after a\n"
	"\"/\", a digest, or 12 or more hex digits of one; \"-\" reads it from stdin.\n"
	"\n"
	"Options:\n"
	"      --root DIR   the state root (default: $C_ROOT, else /var/lib/c-tools\n"
	"                   for root, else ~/.local/share/c-tools)\n"
	"      --json       (ls) a JSON array instead of the table\n"
	"  -q, --quiet      (ls, load) names only (the digest where an image has none)\n"
	"  -c, --change INSTRUCTION  (import) a Dockerfile instruction for the config:\n"
	"                   CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER,\n"
	"                   VOLUME, WORKDIR; repeatable\n"
	"  -m, --message TEXT  (import) the history comment\n"
	"      --platform OS/ARCH[/VARIANT]  (import) default: this machine's\n"
	"  -o, --output FILE   (save) write the archive to FILE (atomically)\n"
	"      --format docker-archive|oci-archive  (save) default: docker-archive\n"
	"  -i, --input FILE    (load) read the archive from FILE; \"-\": stdin\n"
	"      --tls-verify=true|false, --plain-http, --cert-dir DIR, --creds USER:PASSWORD\n"
	"                   (tags) how to reach the registry, as for c-pull\n"
	"  -h, --help       this help\n"
	"      --version    print the version\n";

enum { OPT_JSON = 256, OPT_PLATFORM, OPT_FORMAT };

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "change", required_argument, NULL, 'c' },
	{ "message", required_argument, NULL, 'm' },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "input", required_argument, NULL, 'i' },
	C_CLI_COMMON_OPTIONS,
	C_REGISTRY_CLI_OPTIONS,
	{ 0 },
};

struct opts {
	const char *root;
	bool json, quiet;
	struct c_registry_opts registry;
	const char **changes; /* import */
	size_t nchanges;
	const char *message, *platform;
	const char *output; /* save */
	enum c_save_format format;
	const char *input;  /* load */
};

/* --- presentation -------------------------------------------------------------- */

/* "3 hours ago", as docker images says it; a date in the future as it was
 * given. */
static void relative_time(char *out, size_t n, const char *created)
{
	char since[48];
	time_t t;

	if (!created || !c_time_parse(created, &t) || t > time(NULL)) {
		snprintf(out, n, "%s", created ? created : "-");
		return;
	}
	c_time_since(created, since, sizeof since);
	if (snprintf(out, n, "%s ago", since) >= (int)n)
		out[n - 1] = '\0';
}

/* Total size (each blob once) and the newest config's "created". */
struct summary {
	int64_t size;
	json_t *created; /* string, or NULL */
};

static int summarize_visit(struct c_store *s, const struct c_store_node *node, void *arg,
			   c_err **err)
{
	struct summary *sum = arg;
	_cleanup_json_ json_t *cfg = NULL;
	const char *created = NULL, *best = json_string_value(sum->created);
	c_err *ignore = NULL;
	time_t a, b;

	sum->size += node->size;
	if (node->kind != C_STORE_CONFIG || node->state != C_STORE_OK)
		return 0;
	/* a broken config only loses its column; c-image check reports it */
	cfg = c_store_read_json(s, &node->digest, &ignore);
	c_err_free(&ignore);
	if (json_unpack(cfg, "{s:s}", "created", &created) < 0)
		return 0;
	if (!best || (c_time_parse(created, &a) && c_time_parse(best, &b) && a > b)) {
		json_decref(sum->created);
		sum->created = json_string(created);
	}
	return 0;
}

static int summarize(struct c_store *s, const struct c_store_image *img, struct summary *sum,
		     c_err **err)
{
	memset(sum, 0, sizeof *sum);
	return c_store_walk(s, img, summarize_visit, sum, err);
}

/* --- ls -------------------------------------------------------------------------- */

static json_t *ls_json_entry(const struct c_store_image *img, const struct summary *sum)
{
	return json_pack("{s:o,s:s,s:s,s:I,s:O}", "name",
			 img->name ? json_string(img->name) : json_null(), "digest", img->digest.str,
			 "mediaType", img->media_type, "size", (json_int_t)sum->size, "created",
			 sum->created ? sum->created : json_null());
}

static int print_json(json_t *v, c_err **err)
{
	_cleanup_free_ char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (!s)
		return c_err_new(err, C_EXIT_FAIL, 0, "serialize JSON");
	puts(s);
	return 0;
}

static int cmd_ls(struct c_store *s, const struct opts *o, c_err **err)
{
	_cleanup_json_ json_t *all = json_array();
	struct c_store_image *imgs;
	size_t n, wname = 4;
	int rc = 0;

	if (!all || c_store_list(s, &imgs, &n, err) < 0)
		return all ? -1 : c_err_new(err, C_EXIT_FAIL, 0, "list");
	for (size_t i = 0; i < n; i++)
		if (imgs[i].name && strlen(imgs[i].name) > wname)
			wname = strlen(imgs[i].name);
	if (!o->json && !o->quiet)
		printf("%-*s  %-19s  %-7s  %s\n", (int)wname, "NAME", "DIGEST", "SIZE", "CREATED");
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct c_store_image *img = &imgs[i];
		struct summary sum;
		char size[16], created[64];

		if (o->quiet) {
			puts(img->name ? img->name : img->digest.str);
			continue;
		}
		rc = summarize(s, img, &sum, err);
		if (rc == 0 && o->json) {
			if (json_array_append_new(all, ls_json_entry(img, &sum)) < 0)
				rc = c_err_new(err, C_EXIT_FAIL, 0, "list: %s", img->digest.str);
		} else if (rc == 0) {
			c_human_size(size, sizeof size, sum.size);
			relative_time(created, sizeof created, json_string_value(sum.created));
			printf("%-*s  %.19s  %-7s  %s\n", (int)wname,
			       img->name ? img->name : "<none>", img->digest.str, size, created);
		}
		json_decref(sum.created);
	}
	c_store_images_free(imgs, n);
	if (rc == 0 && o->json)
		rc = print_json(all, err);
	return rc;
}

/* --- inspect --------------------------------------------------------------------- */

/* The output document, and for each manifest the object its config goes in. */
struct inspect {
	json_t *out;
	json_t *slots; /* manifest digest -> object */
};

static int inspect_visit(struct c_store *s, const struct c_store_node *node, void *arg,
			 c_err **err)
{
	struct inspect *in = arg;
	json_t *slot;

	json_t *list;

	if (!node->parent && node->state != C_STORE_OK)
		return c_err_new(err, C_EXIT_DATA, 0, "%s: %s: %s (see c-image check)",
				 node->name ? node->name : node->digest.str, node->digest.str,
				 node->problem ? node->problem : "blob missing or of the wrong size");
	if (node->state != C_STORE_OK)
		return 0;
	if (node->kind == C_STORE_CONFIG) {
		slot = json_object_get(in->slots, node->parent->digest.str);
		if (slot)
			json_object_set_new(slot, "config", c_store_read_json(s, &node->digest, err));
		return slot && !json_object_get(slot, "config") ? -1 : 0;
	}
	if (node->kind != C_STORE_MANIFEST && node->kind != C_STORE_INDEX)
		return 0;
	if (!node->parent) {
		slot = in->out;
		json_object_set(slot, node->kind == C_STORE_INDEX ? "index" : "manifest", node->doc);
	} else {
		slot = json_pack("{s:s,s:s,s:I}", "digest", node->digest.str, "mediaType",
				 node->media_type, "size", (json_int_t)node->size);
		if (!slot)
			return c_err_new(err, C_EXIT_FAIL, 0, "inspect %s", node->digest.str);
		if (node->platform)
			json_object_set(slot, "platform", node->platform);
		json_object_set(slot, node->kind == C_STORE_INDEX ? "index" : "manifest", node->doc);
		list = json_object_get(in->out, "manifests");
		if (!list) {
			list = json_array();
			json_object_set_new(in->out, "manifests", list);
		}
		json_array_append_new(list, slot);
	}
	json_object_set(in->slots, node->digest.str, slot);
	return 0;
}

static int cmd_inspect(struct c_store *s, const char *what, c_err **err)
{
	struct c_store_image img;
	struct inspect in = { NULL, json_object() };
	int rc = -1;

	if (!in.slots || c_store_resolve(s, what, &img, err) < 0) {
		json_decref(in.slots);
		return in.slots ? -1 : c_err_new(err, C_EXIT_FAIL, 0, "inspect %s", what);
	}
	in.out = json_pack("{s:o,s:s,s:s,s:I}", "name",
			   img.name ? json_string(img.name) : json_null(), "digest", img.digest.str,
			   "mediaType", img.media_type, "size", (json_int_t)img.size);
	if (!in.out)
		c_err_new(err, C_EXIT_FAIL, 0, "inspect %s", what);
	else if (c_store_walk(s, &img, inspect_visit, &in, err) == 0)
		rc = print_json(in.out, err);
	json_decref(in.out);
	json_decref(in.slots);
	c_store_image_clear(&img);
	return rc;
}

/* --- tag, rm, prune, check ------------------------------------------------------- */

static int cmd_tag(struct c_store *s, const char *src, const char *name, c_err **err)
{
	struct c_store_image img;
	int rc;

	if (c_store_check_name(name, err) < 0 || c_store_resolve(s, src, &img, err) < 0)
		return -1;
	rc = c_store_set_name(s, name, img.media_type, &img.digest, img.size, err);
	c_store_image_clear(&img);
	return rc;
}

static bool looks_like_digest(const char *s)
{
	size_t n;

	if (!strncmp(s, "sha256:", 7) || !strncmp(s, "sha512:", 7))
		return true;
	n = strspn(s, "0123456789abcdef");
	return n >= 12 && s[n] == '\0';
}

/* A digest or a hex prefix of one removes every name of the image; a name
 * removes that name only. */
static int rm_one(struct c_store *s, const char *what, c_err **err)
{
	struct c_store_image img, *imgs;
	size_t n;
	int rc = -1;

	if (c_store_resolve(s, what, &img, err) < 0)
		return -1;
	if (img.name && (!strcmp(img.name, what) || !looks_like_digest(what))) {
		rc = c_store_remove_name(s, img.name, err);
		if (rc == 0)
			printf("Untagged: %s\n", img.name);
	} else if (c_store_list(s, &imgs, &n, err) == 0) {
		rc = c_store_remove_digest(s, &img.digest, NULL, err);
		for (size_t i = 0; rc == 0 && i < n; i++)
			if (imgs[i].name && c_digest_equal(&imgs[i].digest, &img.digest))
				printf("Untagged: %s\n", imgs[i].name);
		c_store_images_free(imgs, n);
	}
	c_store_image_clear(&img);
	return rc;
}

static void print_deleted(const char *what, int64_t bytes, void *arg)
{
	int64_t *total = arg;

	*total += bytes;
	printf("Deleted: %s\n", what);
}

/* Goes on after an image that cannot be removed, as docker does: each error
 * is reported on its own line, and the status is the last one's. */
static int cmd_rm(struct c_store *s, char **names, int n, c_err **err)
{
	int status = 0;
	int64_t total = 0;

	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *what = c_cli_arg_or_stdin(names[i], "IMAGE");

		if (rm_one(s, what, err) < 0)
			status = c_err_report(err);
	}
	/* a running pull or build keeps the store open: its blobs wait for prune */
	if (c_store_gc(s, C_STORE_GC_NOWAIT, print_deleted, &total, err) < 0) {
		c_err_wrap(err, "blobs kept until c-image prune");
		c_err_print(*err);
		c_err_free(err);
	}
	return status;
}

static int cmd_prune(struct c_store *s, c_err **err)
{
	int64_t total = 0;
	char size[16];

	if (c_store_gc(s, 0, print_deleted, &total, err) < 0)
		return -1;
	c_human_size(size, sizeof size, total);
	printf("Total reclaimed space: %s\n", size);
	return 0;
}

static void print_problem(const char *line, void *arg)
{
	puts(line);
}

static int cmd_check(struct c_store *s, c_err **err)
{
	int problems = c_store_check(s, print_problem, NULL, err);

	if (problems < 0)
		return -1;
	if (problems == 0) {
		puts("ok");
		return 0;
	}
	return c_err_new(err, C_EXIT_DATA, 0, "%d problem%s in the store %s", problems,
			 problems == 1 ? "" : "s", c_store_root(s));
}

/* phiocker's `search`: what a repository offers, from its registry. */
static int cmd_tags(const char *repository, const struct opts *o, c_err **err)
{
	struct c_registry *r;
	struct c_ref ref;
	char **tags;
	size_t n;
	int rc;

	if (c_ref_parse(&ref, repository, err) < 0)
		return -1;
	r = c_registry_open(ref.domain, ref.path, &o->registry, err);
	if (!r)
		return -1;
	rc = c_registry_list_tags(r, &tags, &n, err);
	c_registry_close(r);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		puts(tags[i]);
		free(tags[i]);
	}
	free(tags);
	return 0;
}

/* --- import, save, load ------------------------------------------------------------ */

static int cmd_import(struct c_store *s, const char *source, const char *name,
		      const struct opts *o, c_err **err)
{
	struct c_import_opts io = { o->changes, o->nchanges, o->message, o->platform };
	_cleanup_json_ json_t *config = c_import_config(&io, source, err);
	struct c_digest d;

	if (!config) {
		/* a bad --change or --platform is the command line's */
		(*err)->status = C_EXIT_USAGE;
		return -1;
	}
	if (c_import(s, source, config, name, &d, err) < 0)
		return -1;
	puts(d.str);
	return 0;
}

static bool looks_like_digest(const char *s);

/* An image named by its digest is saved without a name, as docker does. */
static int cmd_save(struct c_store *s, char **args, int n, const struct opts *o, c_err **err)
{
	struct c_store_image *imgs = calloc((size_t)n, sizeof *imgs);
	int rc = 0, i;

	if (!imgs)
		return c_err_sys(err, "save", "images");
	for (i = 0; i < n && rc == 0; i++) {
		_cleanup_free_ char *what = c_cli_arg_or_stdin(args[i], "IMAGE");

		rc = c_store_resolve(s, what, &imgs[i], err);
		if (rc == 0 && looks_like_digest(what)) {
			free(imgs[i].name);
			imgs[i].name = NULL;
		}
	}
	if (rc == 0)
		rc = c_save(s, imgs, (size_t)n, o->format, o->output, err);
	c_store_images_free(imgs, (size_t)i);
	return rc;
}

static int cmd_load(struct c_store *s, const struct opts *o, c_err **err)
{
	struct c_store_image *imgs;
	size_t n;

	if (c_load(s, o->input, &imgs, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		printf("%s%s\n", o->quiet ? "" : "Loaded image: ",
		       imgs[i].name ? imgs[i].name : imgs[i].digest.str);
	c_store_images_free(imgs, n);
	return 0;
}

/* --- main ------------------------------------------------------------------------ */

static void parse_options(int argc, char **argv, const char *optstring, struct opts *o)
{
	int c;

	opterr = 0; /* one line of our own instead of getopt's */
	while ((c = getopt_long(argc, argv, optstring, options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'c': {
			const char **p = realloc(o->changes, (o->nchanges + 1) * sizeof *p);

			if (!p)
				c_die_usage("out of memory");
			o->changes = p;
			o->changes[o->nchanges++] = optarg;
			break;
		}
		case 'm':
			o->message = optarg;
			break;
		case OPT_PLATFORM:
			o->platform = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "docker-archive"))
				o->format = C_SAVE_DOCKER;
			else if (!strcmp(optarg, "oci-archive"))
				o->format = C_SAVE_OCI;
			else
				c_die_usage("--format: docker-archive or oci-archive, not \"%s\"", optarg);
			break;
		case 'i':
			o->input = optarg;
			break;
		default:
			if (!c_cli_common_option(c, optarg, usage, &o->root) &&
			    !c_registry_cli_option(c, optarg, &o->registry))
				c_cli_bad_option(c, argc, argv);
		}
	}
}

static void want_args(const char *cmd, int have, int min, int max)
{
	if (have < min || (max >= 0 && have > max))
		c_die_usage("%s: %s", cmd,
			    have < min ? "missing argument" : "too many arguments");
}

/* -1 with *err set, or the exit status. */
static int run(struct c_store *s, const char *cmd, char **args, int n, const struct opts *o,
	       c_err **err)
{
	_cleanup_free_ char *a0 = NULL;

	if (!strcmp(cmd, "ls") || !strcmp(cmd, "list")) {
		want_args(cmd, n, 0, 0);
		return cmd_ls(s, o, err);
	}
	if (!strcmp(cmd, "rm")) {
		want_args(cmd, n, 1, -1);
		return cmd_rm(s, args, n, err);
	}
	if (!strcmp(cmd, "prune") || !strcmp(cmd, "check")) {
		want_args(cmd, n, 0, 0);
		return cmd[0] == 'p' ? cmd_prune(s, err) : cmd_check(s, err);
	}
	if (!strcmp(cmd, "import")) {
		want_args(cmd, n, 1, 2);
		return cmd_import(s, args[0], n > 1 ? args[1] : NULL, o, err);
	}
	if (!strcmp(cmd, "save")) {
		want_args(cmd, n, 1, -1);
		return cmd_save(s, args, n, o, err);
	}
	if (!strcmp(cmd, "load")) {
		want_args(cmd, n, 0, 0);
		return cmd_load(s, o, err);
	}
	if (!strcmp(cmd, "inspect")) {
		want_args(cmd, n, 1, 1);
		a0 = c_cli_arg_or_stdin(args[0], "IMAGE");
		return cmd_inspect(s, a0, err);
	}
	want_args(cmd, n, 2, 2);
	a0 = c_cli_arg_or_stdin(args[0], "IMAGE");
	return cmd_tag(s, a0, args[1], err);
}

static bool known(const char *cmd)
{
	static const char *const cmds[] = { "ls",    "list",  "inspect", "tag",    "rm",  "prune",
					    "check", "tags",  "import",  "save",   "load" };

	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (!strcmp(cmd, cmds[i]))
			return true;
	return false;
}

int c_image_main(int argc, char **argv)
{
	struct opts o = { .registry.tls_verify = true };
	struct c_store *s;
	c_err *err = NULL;
	const char *cmd;
	int rc, first;

	c_err_init(argv[0]);
	parse_options(argc, argv, "+:hqc:m:o:i:", &o);
	if (optind >= argc)
		c_die_usage("missing command");
	cmd = argv[optind];
	if (!known(cmd))
		c_die_usage("unknown command: %s", cmd);
	/* options may also follow the command */
	first = optind;
	optind = 1;
	parse_options(argc - first, argv + first, ":hqc:m:o:i:", &o);
	if (!strcmp(cmd, "save") && !o.output && isatty(1))
		c_die_usage("save: refusing to write an archive to a terminal: use -o FILE or a redirection");
	if (!strcmp(cmd, "load") && (!o.input || !strcmp(o.input, "-")) && isatty(0))
		c_die_usage("load: refusing to read an archive from a terminal: use -i FILE or a redirection");
	if (!strcmp(cmd, "tags")) {
		want_args(cmd, argc - first - optind, 1, 1);
		return cmd_tags(argv[first + optind], &o, &err) < 0 ? c_err_report(&err) : 0;
	}
	s = c_store_open(o.root, &err);
	if (!s)
		return c_err_report(&err);
	rc = run(s, cmd, argv + first + optind, argc - first - optind, &o, &err);
	c_store_close(s);
	return rc < 0 ? c_err_report(&err) : rc;
}
