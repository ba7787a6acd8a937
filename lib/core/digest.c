#include "digest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHANI 1
#endif

/* --- sha256 with the x86 SHA extensions ---------------------------------------- */

static const uint32_t sha256_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

#ifdef HAVE_SHANI
static const uint32_t sha256_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static bool cpu_has_shani(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return b & bit_SHA;
}

/* Four rounds on message words w (already in host order) and k[4i..4i+3].
 * sha256rnds2 does two rounds, taking CDGH, ABEF and the two words in the
 * low half, and returns the new ABEF; the old ABEF is the new CDGH. */
#define ROUNDS4(w, i)                                                                  \
	do {                                                                           \
		msg = _mm_add_epi32(w, _mm_load_si128((const __m128i *)&sha256_k[4 * (i)])); \
		st1 = _mm_sha256rnds2_epu32(st1, st0, msg);                            \
		st0 = _mm_sha256rnds2_epu32(st0, st1, _mm_shuffle_epi32(msg, 0x0e));   \
	} while (0)

/* w0 = W[t+4] from w0..w3 = W[t..t+3].  It depends on the message only, so
 * the CPU runs it ahead of the rounds; no hand interleaving needed. */
#define SCHEDULE(w0, w1, w2, w3)                                                     \
	(w0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w0, w1),       \
						 _mm_alignr_epi8(w3, w2, 4)),        \
				   w3))

__attribute__((target("sha,sse4.1")))
static void ni_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i st0, st1, tmp, msg, w0, w1, w2, w3, abef, cdgh;
	int i;

	/* The instructions keep the state as ABEF and CDGH. */
	tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xb1); /* CDAB */
	st1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1b); /* EFGH */
	st0 = _mm_alignr_epi8(tmp, st1, 8);                                      /* ABEF */
	st1 = _mm_blend_epi16(st1, tmp, 0xf0);                                   /* CDGH */

	for (; nblocks; nblocks--, p += 64) {
		abef = st0;
		cdgh = st1;
		w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
		w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
		w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
		w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
		ROUNDS4(w0, 0);
		ROUNDS4(w1, 1);
		ROUNDS4(w2, 2);
		ROUNDS4(w3, 3);
		for (i = 4; i < 16; i += 4) {
			SCHEDULE(w0, w1, w2, w3);
			ROUNDS4(w0, i);
			SCHEDULE(w1, w2, w3, w0);
			ROUNDS4(w1, i + 1);
			SCHEDULE(w2, w3, w0, w1);
			ROUNDS4(w2, i + 2);
			SCHEDULE(w3, w0, w1, w2);
			ROUNDS4(w3, i + 3);
		}
		st0 = _mm_add_epi32(st0, abef);
		st1 = _mm_add_epi32(st1, cdgh);
	}

	tmp = _mm_shuffle_epi32(st0, 0x1b);    /* FEBA */
	st1 = _mm_shuffle_epi32(st1, 0xb1);    /* DCHG */
	st0 = _mm_blend_epi16(tmp, st1, 0xf0); /* DCBA */
	st1 = _mm_alignr_epi8(st1, tmp, 8);    /* HGFE */
	_mm_storeu_si128((__m128i *)&h[0], st0);
	_mm_storeu_si128((__m128i *)&h[4], st1);
}
#else
static bool cpu_has_shani(void)
{
	return false;
}

/* Never called: no context starts on SHA-NI here. */
static void ni_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	__builtin_trap();
}
#endif

/* Probed once; a race probes twice with the same answer, hence relaxed. */
static int shani_cpu = -1;
static bool force_generic;

static bool shani_chosen(void)
{
	int have = __atomic_load_n(&shani_cpu, __ATOMIC_RELAXED);

	if (have < 0) {
		have = cpu_has_shani();
		__atomic_store_n(&shani_cpu, have, __ATOMIC_RELAXED);
	}
	return have && !__atomic_load_n(&force_generic, __ATOMIC_RELAXED);
}

void c_sha256_use_generic(bool generic)
{
	__atomic_store_n(&force_generic, generic, __ATOMIC_RELAXED);
}

const char *c_sha256_impl(void)
{
	return shani_chosen() ? "sha-ni" : "bearssl";
}

void c_sha256_init(struct c_sha256 *ctx)
{
	ctx->shani = shani_chosen();
	if (ctx->shani) {
		memcpy(ctx->ni.h, sha256_iv, sizeof ctx->ni.h);
		ctx->ni.count = 0;
	} else {
		br_sha256_init(&ctx->br);
	}
}

static void ni_update(struct c_sha256 *ctx, const uint8_t *p, size_t len)
{
	size_t used = ctx->ni.count % 64, n;

	ctx->ni.count += len;
	if (used) {
		n = len < 64 - used ? len : 64 - used;
		memcpy(ctx->ni.buf + used, p, n);
		if (used + n < 64)
			return;
		ni_blocks(ctx->ni.h, ctx->ni.buf, 1);
		p += n;
		len -= n;
	}
	if (len >= 64) {
		ni_blocks(ctx->ni.h, p, len / 64);
		p += len & ~(size_t)63;
		len %= 64;
	}
	memcpy(ctx->ni.buf, p, len);
}

void c_sha256_update(struct c_sha256 *ctx, const void *data, size_t len)
{
	if (!len)
		return;
	if (ctx->shani)
		ni_update(ctx, data, len);
	else
		br_sha256_update(&ctx->br, data, len);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void ni_final(struct c_sha256 *ctx, uint8_t out[C_SHA256_LEN])
{
	uint64_t bits = ctx->ni.count * 8;
	size_t used = ctx->ni.count % 64;
	uint8_t *buf = ctx->ni.buf;
	int i;

	buf[used++] = 0x80;
	if (used > 56) {
		memset(buf + used, 0, 64 - used);
		ni_blocks(ctx->ni.h, buf, 1);
		used = 0;
	}
	memset(buf + used, 0, 56 - used);
	put_be32(buf + 56, bits >> 32);
	put_be32(buf + 60, bits);
	ni_blocks(ctx->ni.h, buf, 1);
	for (i = 0; i < 8; i++)
		put_be32(out + 4 * i, ctx->ni.h[i]);
}

void c_sha256_final(struct c_sha256 *ctx, uint8_t out[C_SHA256_LEN])
{
	if (ctx->shani)
		ni_final(ctx, out);
	else
		br_sha256_out(&ctx->br, out);
}

void c_sha256(const void *data, size_t len, uint8_t out[C_SHA256_LEN])
{
	struct c_sha256 ctx;

	c_sha256_init(&ctx);
	c_sha256_update(&ctx, data, len);
	c_sha256_final(&ctx, out);
}

/* --- OCI digests ------------------------------------------------------------------ */

static const struct {
	const char *name;
	size_t len;
} algs[] = {
	[C_DIGEST_SHA256] = { "sha256", C_SHA256_LEN },
	[C_DIGEST_SHA512] = { "sha512", C_SHA512_LEN },
};

const char *c_digest_alg_name(enum c_digest_alg alg)
{
	return algs[alg].name;
}

size_t c_digest_len(enum c_digest_alg alg)
{
	return algs[alg].len;
}

const char *c_digest_hex(const struct c_digest *d)
{
	return d->str + strlen(algs[d->alg].name) + 1;
}

void c_hex_encode(char *out, const void *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = in;
	size_t i;

	for (i = 0; i < len; i++) {
		*out++ = digits[p[i] >> 4];
		*out++ = digits[p[i] & 15];
	}
	*out = '\0';
}

/* Input bytes shown in a message; a whole sha512 digest fits. */
#define QUOTE_SHOWN 150

/* `s` as messages show it: quoted, with control and non-ASCII bytes escaped
 * so the error stays one line, and cut short so a hostile header cannot
 * flood the log. */
static void quote(char out[4 * QUOTE_SHOWN + 6], const char *s, size_t len)
{
	size_t i;

	*out++ = '"';
	for (i = 0; i < len && i < QUOTE_SHOWN; i++) {
		unsigned char ch = s[i];

		if (ch == '"' || ch == '\\') {
			*out++ = '\\';
			*out++ = ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			out += sprintf(out, "\\x%02x", ch);
		} else {
			*out++ = ch;
		}
	}
	*out++ = '"';
	strcpy(out, len > QUOTE_SHOWN ? "..." : "");
}

static int malformed(c_err **err, const char *s, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int malformed(c_err **err, const char *s, size_t len, const char *fmt, ...)
{
	char q[4 * QUOTE_SHOWN + 6], reason[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	quote(q, s, len);
	return c_err_new(err, C_EXIT_DATA, 0, "malformed digest %s: %s", q, reason);
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* algorithm ::= component (separator component)*
 * component ::= [a-z0-9]+, separator ::= [+._-] */
static bool valid_algorithm(const char *s, size_t len)
{
	bool after_sep = true;
	size_t i;

	for (i = 0; i < len; i++) {
		if (is_lower_alnum(s[i]))
			after_sep = false;
		else if (!after_sep && (s[i] == '+' || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			after_sep = true;
		else
			return false;
	}
	return !after_sep;
}

static int lower_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool hex_decode(uint8_t *out, const char *hex, size_t nbytes)
{
	int hi, lo;
	size_t i;

	for (i = 0; i < nbytes; i++) {
		hi = lower_hex_value(hex[2 * i]);
		lo = lower_hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = hi << 4 | lo;
	}
	return true;
}

int c_digest_parse_n(struct c_digest *d, const char *s, size_t len, c_err **err)
{
	const char *colon, *enc;
	size_t alen, elen, nbytes;
	unsigned int alg;

	if (!len)
		return malformed(err, s, len, "empty string");
	if (memchr(s, '\0', len))
		return malformed(err, s, len, "contains a NUL byte");
	colon = memchr(s, ':', len);
	if (!colon)
		return malformed(err, s, len, "missing ':' between algorithm and encoded part");
	alen = colon - s;
	enc = colon + 1;
	elen = len - alen - 1;
	if (!alen)
		return malformed(err, s, len, "empty algorithm");
	if (!elen)
		return malformed(err, s, len, "empty encoded part");
	if (!valid_algorithm(s, alen))
		return malformed(err, s, len,
				 "algorithm must be [a-z0-9]+ parts joined by one of +._-");
	for (alg = 0; alg < sizeof algs / sizeof algs[0]; alg++)
		if (strlen(algs[alg].name) == alen && !memcmp(algs[alg].name, s, alen))
			break;
	if (alg == sizeof algs / sizeof algs[0])
		return malformed(err, s, len, "unsupported algorithm %.*s (only sha256 and sha512 are)",
				 (int)(alen < 32 ? alen : 32), s);
	nbytes = algs[alg].len;
	if (elen != 2 * nbytes || !hex_decode(d->bytes, enc, nbytes))
		return malformed(err, s, len, "encoded part must be %zu lowercase hex digits",
				 2 * nbytes);
	d->alg = alg;
	memcpy(d->str, s, len);
	d->str[len] = '\0';
	return 0;
}

int c_digest_parse(struct c_digest *d, const char *s, c_err **err)
{
	return c_digest_parse_n(d, s, strlen(s), err);
}

void c_digest_from_hash(struct c_digest *d, enum c_digest_alg alg, const uint8_t *hash)
{
	size_t n = strlen(algs[alg].name);

	d->alg = alg;
	memcpy(d->bytes, hash, algs[alg].len);
	memcpy(d->str, algs[alg].name, n);
	d->str[n] = ':';
	c_hex_encode(d->str + n + 1, hash, algs[alg].len);
}

bool c_digest_equal(const struct c_digest *a, const struct c_digest *b)
{
	return a->alg == b->alg && !memcmp(a->bytes, b->bytes, algs[a->alg].len);
}

int c_digest_verify(const struct c_digest *want, const struct c_digest *got, c_err **err)
{
	if (c_digest_equal(want, got))
		return 0;
	return c_err_new(err, C_EXIT_DATA, 0, "digest mismatch: expected %s, got %s",
			 want->str, got->str);
}

/* --- either algorithm ---------------------------------------------------------- */

void c_hasher_init(struct c_hasher *h, enum c_digest_alg alg)
{
	h->alg = alg;
	if (alg == C_DIGEST_SHA256)
		c_sha256_init(&h->sha256);
	else
		br_sha512_init(&h->sha512);
}

void c_hasher_update(struct c_hasher *h, const void *data, size_t len)
{
	if (h->alg == C_DIGEST_SHA256)
		c_sha256_update(&h->sha256, data, len);
	else
		br_sha512_update(&h->sha512, data, len);
}

void c_hasher_final(struct c_hasher *h, struct c_digest *out)
{
	uint8_t hash[C_DIGEST_MAX_LEN];

	if (h->alg == C_DIGEST_SHA256)
		c_sha256_final(&h->sha256, hash);
	else
		br_sha512_out(&h->sha512, hash);
	c_digest_from_hash(out, h->alg, hash);
}

void c_digest_of(enum c_digest_alg alg, const void *buf, size_t len, struct c_digest *out)
{
	struct c_hasher h;

	c_hasher_init(&h, alg);
	c_hasher_update(&h, buf, len);
	c_hasher_final(&h, out);
}
