/* sha256 on both implementations, sha512, and OCI digest strings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "tap.h"

#define MSG448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define MSG896 "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn" \
	       "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
#define HEX_EMPTY256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HEX_ABC256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define HEX_ABC512 "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" \
		   "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

static const struct {
	const char *name, *msg, *sha256, *sha512;
} vectors[] = {
	{ "empty", "", HEX_EMPTY256,
	  "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	  "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e" },
	{ "abc", "abc", HEX_ABC256, HEX_ABC512 },
	{ "448-bit message", MSG448,
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	  "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
	  "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445" },
	{ "896-bit message", MSG896,
	  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
	  "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
	  "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909" },
};

#define MILLION_A_256 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define MILLION_A_512 "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb" \
		      "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"

/* Odd sizes, so updates straddle block boundaries in every way. */
static const size_t chunk_sizes[] = { 1, 3, 7, 55, 56, 61, 63, 64, 65, 127, 1000, 4097 };

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static bool has_shani(void)
{
	c_sha256_use_generic(false);
	return !strcmp(c_sha256_impl(), "sha-ni");
}

/* Start a context on the generic code or on SHA-NI. */
static void init_impl(struct c_sha256 *ctx, bool generic)
{
	c_sha256_use_generic(generic);
	c_sha256_init(ctx);
	c_sha256_use_generic(false);
}

static const char *hex(const uint8_t *h, size_t len)
{
	static char buf[2 * C_DIGEST_MAX_LEN + 1];

	c_hex_encode(buf, h, len);
	return buf;
}

static void million_a(struct c_hasher *h)
{
	static char a[4097];
	size_t done = 0, n, i = 0;

	memset(a, 'a', sizeof a);
	while (done < 1000000) {
		n = chunk_sizes[i++ % (sizeof chunk_sizes / sizeof chunk_sizes[0])];
		if (n > 1000000 - done)
			n = 1000000 - done;
		c_hasher_update(h, a, n);
		done += n;
	}
}

static void test_sha256_vectors(bool generic)
{
	const char *impl = generic ? "bearssl" : "sha-ni";
	struct c_sha256 ctx;
	struct c_hasher h;
	struct c_digest d;
	uint8_t out[C_SHA256_LEN];
	size_t i;

	if (!generic && !has_shani()) {
		/* as many as would run, so the count is the same on every CPU */
		for (i = 0; i < sizeof vectors / sizeof vectors[0] + 2; i++)
			tap_skip("sha256 FIPS 180-2 vectors on sha-ni", "CPU lacks SHA-NI");
		return;
	}
	init_impl(&ctx, generic);
	ok(ctx.shani == !generic, "context started on %s", impl);
	for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		init_impl(&ctx, generic);
		c_sha256_update(&ctx, vectors[i].msg, strlen(vectors[i].msg));
		c_sha256_final(&ctx, out);
		ok(!strcmp(hex(out, sizeof out), vectors[i].sha256), "%s: sha256 %s",
		   impl, vectors[i].name);
	}
	h.alg = C_DIGEST_SHA256;
	init_impl(&h.sha256, generic);
	million_a(&h);
	c_hasher_final(&h, &d);
	ok(!strcmp(c_digest_hex(&d), MILLION_A_256), "%s: sha256 one million 'a' in odd chunks",
	   impl);
}

static void test_sha512_vectors(void)
{
	struct c_hasher h;
	struct c_digest d;
	size_t i;

	for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		c_hasher_init(&h, C_DIGEST_SHA512);
		c_hasher_update(&h, vectors[i].msg, strlen(vectors[i].msg));
		c_hasher_final(&h, &d);
		ok(d.alg == C_DIGEST_SHA512 && !strcmp(c_digest_hex(&d), vectors[i].sha512) &&
			   !strncmp(d.str, "sha512:", 7),
		   "sha512 %s", vectors[i].name);
	}
	c_hasher_init(&h, C_DIGEST_SHA512);
	million_a(&h);
	c_hasher_final(&h, &d);
	ok(!strcmp(c_digest_hex(&d), MILLION_A_512), "sha512 one million 'a' in odd chunks");
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Feed data[0..len) to ctx in pieces cut at up to three random points. */
static void update_split(struct c_sha256 *ctx, const uint8_t *data, size_t len)
{
	size_t cuts[5] = { 0 }, ncuts = rng() % 4, i;

	for (i = 1; i <= ncuts; i++)
		cuts[i] = rng() % (len + 1);
	cuts[ncuts + 1] = len;
	qsort(cuts, ncuts + 2, sizeof cuts[0], cmp_size);
	for (i = 0; i <= ncuts; i++)
		c_sha256_update(ctx, data + cuts[i], cuts[i + 1] - cuts[i]);
}

static void test_shani_matches_generic(void)
{
	uint8_t want[C_SHA256_LEN], got[C_SHA256_LEN], *buf;
	struct c_sha256 g, n;
	int i, bad = 0;
	size_t len, j;

	if (!has_shani()) {
		tap_skip("sha-ni agrees with bearssl on 3000 random inputs", "CPU lacks SHA-NI");
		tap_skip("sha-ni agrees with bearssl on 1 MiB at an odd address", "CPU lacks SHA-NI");
		return;
	}
	tap_diag("random inputs from xorshift64 seed %#llx", (unsigned long long)rng_state);
	for (i = 0; i < 3000; i++) {
		len = rng() % 10001;
		/* exactly len bytes, so ASan catches any read past the end */
		buf = malloc(len ? len : 1);
		if (!buf)
			abort();
		for (j = 0; j < len; j++)
			buf[j] = rng();
		init_impl(&g, true);
		init_impl(&n, false);
		update_split(&g, buf, len);
		update_split(&n, buf, len);
		c_sha256_final(&g, want);
		c_sha256_final(&n, got);
		if (memcmp(want, got, sizeof want) && !bad++)
			tap_diag("first mismatch: input %d, length %zu", i, len);
		free(buf);
	}
	ok(!bad, "sha-ni agrees with bearssl on 3000 random inputs (%d differ)", bad);

	len = (1 << 20) + 13;
	buf = malloc(len + 1);
	if (!buf)
		abort();
	for (j = 0; j <= len; j++)
		buf[j] = rng();
	init_impl(&g, true);
	c_sha256_update(&g, buf + 1, len);
	c_sha256_final(&g, want);
	c_sha256(buf + 1, len, got);
	ok(!memcmp(want, got, sizeof want), "sha-ni agrees with bearssl on 1 MiB at an odd address");
	free(buf);
}

static void test_impl_choice(void)
{
	c_sha256_use_generic(true);
	ok(!strcmp(c_sha256_impl(), "bearssl"), "c_sha256_use_generic(true) selects bearssl");
	c_sha256_use_generic(false);
	tap_diag("sha256 implementation on this CPU: %s", c_sha256_impl());
}

static void test_one_shot(void)
{
	uint8_t out[C_SHA256_LEN];

	c_sha256("abc", 3, out);
	ok(!strcmp(hex(out, sizeof out), HEX_ABC256), "c_sha256 one-shot");
	c_sha256(NULL, 0, out);
	ok(!strcmp(hex(out, sizeof out), HEX_EMPTY256), "c_sha256 of nothing, NULL data");
}

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define BAD "malformed digest "

static const struct {
	const char *s;
	size_t len; /* 0: strlen(s) */
	const char *reason; /* NULL: valid */
} parse_cases[] = {
	{ "sha256:" HEX_EMPTY256, 0, NULL },
	{ "sha256:" H64, 0, NULL },
	{ "sha512:" HEX_ABC512, 0, NULL },
	{ "", 0, "empty string" },
	{ "sha256", 0, "missing ':'" },
	{ H64, 0, "missing ':'" },
	{ ":" H64, 0, "empty algorithm" },
	{ "sha256:", 0, "empty encoded part" },
	{ "sha256:ABC", 0, "encoded part must be 64 lowercase hex digits" },
	{ "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", 0,
	  "encoded part must be 64 lowercase hex digits" },
	{ "sha256:" H64 "0", 0, "encoded part must be 64 lowercase hex digits" },
	{ "sha256:" H64 "x", 0, "encoded part must be 64 lowercase hex digits" },
	{ "sha256:" H64 "\n", 0, "encoded part must be 64 lowercase hex digits" },
	{ "sha256:" H64 ":", 0, "encoded part must be 64 lowercase hex digits" },
	{ "sha256::" H64, 0, "encoded part must be 64 lowercase hex digits" },
	{ "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", 0,
	  "encoded part must be 64 lowercase hex digits" },
	{ "sha256:0123456789abcdef0123456789abcdef 123456789abcdef0123456789abcdef", 0,
	  "encoded part must be 64 lowercase hex digits" },
	{ "sha256:0123456789abcdefg123456789abcdef0123456789abcdef0123456789abcdef", 0,
	  "encoded part must be 64 lowercase hex digits" },
	{ "sha256:" HEX_ABC512, 0, "encoded part must be 64 lowercase hex digits" },
	{ "sha512:" H64, 0, "encoded part must be 128 lowercase hex digits" },
	{ " sha256:" H64, 0, "algorithm must be" },
	{ "sha256 :" H64, 0, "algorithm must be" },
	{ "sha256\t:" H64, 0, "algorithm must be" },
	{ "SHA256:" H64, 0, "algorithm must be" },
	{ "sha256-:" H64, 0, "algorithm must be" },
	{ "sha256..b64u:" H64, 0, "algorithm must be" },
	{ "sha384:" H64 "0123456789abcdef0123456789abcdef", 0, "unsupported algorithm sha384" },
	{ "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", 0,
	  "unsupported algorithm sha256+b64u" },
	{ "sha256:" H64 "\0", 7 + 64 + 1, "contains a NUL byte" },
	{ "sha256\0:" H64, 8 + 64, "contains a NUL byte" },
};

static void test_parse_table(void)
{
	struct c_digest d;
	c_err *e = NULL;
	size_t i, len;
	int rc;

	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		len = parse_cases[i].len ? parse_cases[i].len : strlen(parse_cases[i].s);
		rc = c_digest_parse_n(&d, parse_cases[i].s, len, &e);
		if (!parse_cases[i].reason) {
			ok(rc == 0 && !e && !strcmp(d.str, parse_cases[i].s),
			   "parse accepts case %zu (%s)", i, parse_cases[i].s);
			continue;
		}
		ok(rc == -1 && e && e->status == C_EXIT_DATA && e->errnum == 0 &&
			   !strncmp(e->msg, BAD "\"", strlen(BAD "\"")) &&
			   strstr(e->msg, parse_cases[i].reason),
		   "parse rejects case %zu: %s", i, e ? e->msg : "(no error)");
		c_err_free(&e);
	}
}

static void test_parse_details(void)
{
	static const uint8_t abc_head[4] = { 0xba, 0x78, 0x16, 0xbf };
	char long_input[7 + 300 + 1], want[256];
	struct c_digest d;
	c_err *e = NULL;

	ok(c_digest_parse(&d, "sha256:" HEX_ABC256, &e) == 0 && d.alg == C_DIGEST_SHA256 &&
		   !memcmp(d.bytes, abc_head, 4) && d.bytes[31] == 0xad &&
		   !strcmp(c_digest_hex(&d), HEX_ABC256),
	   "parse decodes sha256 to bytes and keeps the hex");
	ok(c_digest_parse(&d, "sha512:" HEX_ABC512, &e) == 0 && d.alg == C_DIGEST_SHA512 &&
		   d.bytes[0] == 0xdd && d.bytes[63] == 0x9f && !strcmp(c_digest_hex(&d), HEX_ABC512),
	   "parse decodes sha512");

	c_digest_parse(&d, "sha256:ABC", &e);
	ok(e && !strcmp(e->msg, BAD "\"sha256:ABC\": encoded part must be 64 lowercase hex digits"),
	   "message names the digest and the reason: %s", e ? e->msg : "(no error)");
	c_err_free(&e);

	c_digest_parse_n(&d, "sha256:\"\\\n\0\xff", 12, &e);
	ok(e && !strcmp(e->msg, BAD "\"sha256:\\\"\\\\\\x0a\\x00\\xff\": contains a NUL byte"),
	   "message escapes quotes and control bytes: %s", e ? e->msg : "(no error)");
	c_err_free(&e);

	memcpy(long_input, "sha256:", 7);
	memset(long_input + 7, 'a', 300);
	long_input[7 + 300] = '\0';
	snprintf(want, sizeof want, BAD "\"%.150s\"...: encoded part must be 64 lowercase hex digits",
		 long_input);
	c_digest_parse(&d, long_input, &e);
	ok(e && !strcmp(e->msg, want), "message truncates a long digest to 150 bytes");
	c_err_free(&e);
}

static void test_format_and_verify(void)
{
	static const uint8_t bytes[3] = { 0x00, 0xff, 0x0a };
	uint8_t hash[C_SHA256_LEN];
	struct c_digest want, got;
	struct c_hasher h;
	char buf[7];
	c_err *e = NULL;
	int rc;

	c_hex_encode(buf, bytes, sizeof bytes);
	ok(!strcmp(buf, "00ff0a"), "hex encoding is lowercase, two digits a byte");

	c_sha256("abc", 3, hash);
	c_digest_from_hash(&got, C_DIGEST_SHA256, hash);
	ok(!strcmp(got.str, "sha256:" HEX_ABC256) && !strcmp(c_digest_alg_name(got.alg), "sha256") &&
		   c_digest_len(got.alg) == 32,
	   "c_digest_from_hash formats sha256:<hex>");

	c_digest_parse(&want, "sha256:" HEX_ABC256, &e);
	c_hasher_init(&h, want.alg);
	c_hasher_update(&h, "a", 1);
	c_hasher_update(&h, "bc", 2);
	c_hasher_final(&h, &got);
	ok(c_digest_equal(&want, &got) && c_digest_verify(&want, &got, &e) == 0 && !e,
	   "verify accepts the matching sha256 digest");

	c_digest_parse(&want, "sha512:" HEX_ABC512, &e);
	c_hasher_init(&h, want.alg);
	c_hasher_update(&h, "abc", 3);
	c_hasher_final(&h, &got);
	ok(c_digest_verify(&want, &got, &e) == 0 && !e, "verify accepts the matching sha512 digest");

	c_digest_parse(&want, "sha256:" HEX_EMPTY256, &e);
	c_sha256("abc", 3, hash);
	c_digest_from_hash(&got, C_DIGEST_SHA256, hash);
	rc = c_digest_verify(&want, &got, &e);
	ok(rc == -1 && e && e->status == C_EXIT_DATA &&
		   !strcmp(e->msg, "digest mismatch: expected sha256:" HEX_EMPTY256
				   ", got sha256:" HEX_ABC256),
	   "verify refuses a different hash: %s", e ? e->msg : "(no error)");
	c_err_free(&e);

	/* a sha256 equal to the head of a sha512 is still another digest */
	c_hasher_init(&h, C_DIGEST_SHA512);
	c_hasher_update(&h, "abc", 3);
	c_hasher_final(&h, &got);
	c_digest_from_hash(&want, C_DIGEST_SHA256, got.bytes);
	ok(!c_digest_equal(&want, &got) && c_digest_verify(&want, &got, &e) == -1 && e,
	   "verify refuses a digest of another algorithm");
	c_err_free(&e);
}

int main(void)
{
	test_impl_choice();
	test_sha256_vectors(true);
	test_sha256_vectors(false);
	test_sha512_vectors();
	test_one_shot();
	test_shani_matches_generic();
	test_parse_table();
	test_parse_details();
	test_format_and_verify();
	return tap_done();
}
