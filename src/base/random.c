#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/clock.h"
#include "base/digest.h"
#include "base/random.h"
#include "base/xalloc.h"

void random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "mtag: getrandom failed: %s\n", strerror(errno));
			abort();
		}
		p += r;
		n -= (size_t)r;
	}
}

void random_hex(char *out, size_t n)
{
	unsigned char b[64];
	size_t done = 0;
	while (done < n) {
		size_t k = n - done < sizeof(b) ? n - done : sizeof(b);
		random_bytes(b, k);
		digest_hex(b, k, out + 2 * done);
		done += k;
	}
	out[2 * n] = '\0';
}

static void uuid_format(const unsigned char b[16], char out[UUID_STR_LEN])
{
	char hex[33];
	digest_hex(b, 16, hex);
	snprintf(out, UUID_STR_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
		 hex + 12, hex + 16, hex + 20);
}

void uuid_v4(char out[UUID_STR_LEN])
{
	unsigned char b[16];
	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	uuid_format(b, out);
}

void uuid_v7(char out[UUID_STR_LEN])
{
	unsigned char b[16];
	random_bytes(b, sizeof(b));
	uint64_t ms = (uint64_t)(clock_now_us() / 1000);
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x70);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	uuid_format(b, out);
}

bool uuid_valid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}
