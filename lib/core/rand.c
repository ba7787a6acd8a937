#include "rand.h"

#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

int c_rand_hex(char *out, size_t nbytes)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t raw[64];
	size_t done = 0;

	while (done < nbytes) {
		size_t n = nbytes - done < sizeof raw ? nbytes - done : sizeof raw;
		ssize_t got = getrandom(raw, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		for (ssize_t i = 0; i < got; i++, done++) {
			out[2 * done] = digits[raw[i] >> 4];
			out[2 * done + 1] = digits[raw[i] & 15];
		}
	}
	out[2 * nbytes] = '\0';
	return 0;
}
