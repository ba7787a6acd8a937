#include "base64.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *c_base64_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	char *out, *o;
	size_t i;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3) {
		errno = ENOMEM;
		return NULL;
	}
	out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	o = out;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64_alphabet[in[i] >> 2];
		*o++ = b64_alphabet[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*o++ = b64_alphabet[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		*o++ = b64_alphabet[in[i + 2] & 63];
	}
	if (i < len) {
		*o++ = b64_alphabet[in[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64_alphabet[(in[i] & 3) << 4 | in[i + 1] >> 4];
			*o++ = b64_alphabet[(in[i + 1] & 15) << 2];
		} else {
			*o++ = b64_alphabet[(in[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Unpadded input is accepted: some tools write auth files without padding.
 * The NUL after the data is for callers that want a string. */
void *c_base64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text), pad = 0, i, o = 0;
	unsigned int acc = 0;
	unsigned char *out;
	int bits = 0, v;

	if (n % 4 == 0 && n > 0 && text[n - 1] == '=') {
		pad = text[n - 2] == '=' ? 2 : 1;
		n -= pad;
	}
	if (n % 4 == 1) {
		errno = EINVAL;
		return NULL;
	}
	out = malloc(n / 4 * 3 + 3);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		v = b64_value((unsigned char)text[i]);
		if (v < 0) {
			explicit_bzero(out, o);
			free(out);
			errno = EINVAL;
			return NULL;
		}
		acc = acc << 6 | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	explicit_bzero(&acc, sizeof acc);
	out[o] = '\0';
	*len = o;
	return out;
}

/* Base64 of [p, end) into out (room for 3/4 of the input); -1 on a bad byte. */
ssize_t c_base64_decode_pem(const char *p, const char *end, unsigned char *out)
{
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0, v;

	for (; p < end; p++) {
		if (*p == '=')
			break;
		if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
			continue;
		v = b64_value((unsigned char)*p);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	for (; p < end; p++)
		if (*p != '=' && *p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			return -1;
	return (ssize_t)n;
}
