/* SPDX-License-Identifier: ISC */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* Each block starts with its mapped length, then the caller's bytes, 16-aligned. */
#define SECURE_HDR 16

void *
odin_secure_alloc(size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	const size_t page = pg > 0 ? (size_t)pg : 4096;
	size_t len;
	uint8_t *p;

	if (n == 0 || n > ((size_t)1 << 24))
		return NULL;
	len = (n + SECURE_HDR + page - 1) / page * page;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_DONTDUMP
	(void)madvise(p, len, MADV_DONTDUMP);
#endif
	(void)mlock(p, len);	/* RLIMIT_MEMLOCK may refuse: still out of core dumps */
	*(size_t *)(void *)p = len;	/* page-aligned: a size_t fits, aligned */
	return p + SECURE_HDR;
}

void
odin_secure_free(void *q)
{
	uint8_t *p;
	size_t len;

	if (q == NULL)
		return;
	p = (uint8_t *)q - SECURE_HDR;
	memcpy(&len, p, sizeof(len));
	OPENSSL_cleanse(p, len);
	(void)munlock(p, len);
	(void)munmap(p, len);
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
