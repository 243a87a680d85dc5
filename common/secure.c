/* SPDX-License-Identifier: ISC */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "err.h"
#include "secure.h"

void
odin_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

void
odin_free_wipe(void *p, size_t n)
{
	if (p == NULL)
		return;
	odin_wipe(p, n);
	free(p);
}

void
odin_free_str(char *s)
{
	if (s == NULL)
		return;
	odin_free_wipe(s, strlen(s));
}

int
odin_random(void *buf, size_t n)
{
	if (n == 0)
		return ODIN_OK;
	if (buf == NULL || n > (size_t)1 << 20)
		return ODIN_EINVAL;
	/* OpenSSL 3's default DRBG is seeded from getrandom(2). */
	if (RAND_bytes(buf, (int)n) != 1) {
		odin_wipe(buf, n);
		return ODIN_ECRYPTO;
	}
	return ODIN_OK;
}

int
odin_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
